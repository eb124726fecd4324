/** True at most once per `everyMs` for each key: a flood must not turn into a flood of log lines. */
export function throttle(everyMs: number, clock: () => number = Date.now): (key: string) => boolean {
  const last = new Map<string, number>();
  return (key) => {
    const now = clock();
    if (now - (last.get(key) ?? Number.NEGATIVE_INFINITY) < everyMs) return false;
    last.set(key, now);
    return true;
  };
}
