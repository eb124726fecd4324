/**
 * A task of the sidecar's Odoo loops (purchase polls, reports): run on a timer,
 * one run at a time, each run saying how long to wait before the next. `stop()`
 * cancels the next run and waits for the one under way. Runs must not throw.
 */
export class RepeatingTask {
  private timer?: NodeJS.Timeout;
  private running = false;
  private current?: Promise<void>;

  constructor(private readonly run: () => Promise<number>) {}

  start(): void {
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.current;
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.current = this.run()
        .then((next) => this.schedule(next))
        .finally(() => (this.current = undefined));
    }, delayMs);
  }
}

/** The wait before the next run of a loop whose Odoo failed `failures` times in a row: doubling from the interval, capped. */
export function failureBackoff(failures: number, opts: { intervalMs: number; maxBackoffMs: number }): number {
  return Math.min(opts.maxBackoffMs, opts.intervalMs * 2 ** Math.min(failures, 8));
}
