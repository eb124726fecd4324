/**
 * Wait until `check` holds, looking again every few milliseconds. The timeout is
 * only how long a failing test waits before it says so: nothing is asserted about
 * when the condition came true, so a busy machine only makes a test slower.
 */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = 'the condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
