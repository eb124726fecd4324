/**
 * The per-pixel ceiling on events waiting in the outbox (pending or in flight),
 * so a long TikTok outage or a flood fills neither the disk nor the memory of
 * the first batch after it. Counting on every request would put a scan on the
 * hot path: the count is read (bounded by the cap) at most once per refresh
 * interval per pixel, and events accepted in between are added to it.
 */
export class OutboxCap {
  private readonly waiting = new Map<string, { count: number; countedAt: number }>();

  constructor(
    /** Waiting events of a pixel, counted up to `limit` (a bounded index scan). */
    private readonly countWaiting: (pixelId: string, limit: number) => Promise<number>,
    /** 0 turns the cap off. */
    readonly cap: number,
    private readonly clock: () => number = Date.now,
    private readonly refreshMs = 1000,
  ) {}

  async isFull(pixelId: string): Promise<boolean> {
    if (this.cap <= 0) return false;
    const now = this.clock();
    let entry = this.waiting.get(pixelId);
    if (!entry || now - entry.countedAt >= this.refreshMs) {
      entry = { count: await this.countWaiting(pixelId, this.cap), countedAt: now };
      this.waiting.set(pixelId, entry);
    }
    return entry.count >= this.cap;
  }

  /** Events just stored: counted until the next read, so a burst within one interval cannot overshoot by much. */
  noteStored(pixelId: string, count: number): void {
    const entry = this.waiting.get(pixelId);
    if (entry) entry.count += count;
  }
}
