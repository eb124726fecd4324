/**
 * Ask again every `intervalMs` until an answer is final, the time is up or
 * the caller went away (a dialog closed). Time and sleep are injected, so the
 * rule is tested without waiting.
 */
export interface PollOptions {
  intervalMs: number;
  timeoutMs: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** True once nobody listens any more: the loop stops without another call. */
  cancelled?: () => boolean;
}

export interface PollResult<T> {
  value: T;
  done: boolean;
  timedOut: boolean;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function pollUntil<T>(
  fetchValue: () => Promise<T>,
  isDone: (value: T) => boolean,
  onValue: (value: T) => void,
  options: PollOptions,
): Promise<PollResult<T> | undefined> {
  const sleep = options.sleep ?? wait;
  const now = options.now ?? Date.now;
  const cancelled = options.cancelled ?? (() => false);
  const deadline = now() + options.timeoutMs;
  for (;;) {
    if (cancelled()) return undefined;
    const value = await fetchValue();
    if (cancelled()) return undefined;
    onValue(value);
    if (isDone(value)) return { value, done: true, timedOut: false };
    if (now() + options.intervalMs > deadline) return { value, done: false, timedOut: true };
    await sleep(options.intervalMs);
  }
}
