import { OutboxCap } from '../outboxCap';

function counting(initial: Record<string, number>) {
  const waiting = { ...initial };
  const reads: string[] = [];
  const count = async (pixelId: string, limit: number) => {
    reads.push(pixelId);
    return Math.min(waiting[pixelId] ?? 0, limit);
  };
  return { waiting, reads, count };
}

describe('OutboxCap', () => {
  it('is full at the cap, per pixel', async () => {
    const store = counting({ A: 10, B: 9 });
    const cap = new OutboxCap(store.count, 10, () => 0);
    expect(await cap.isFull('A')).toBe(true);
    expect(await cap.isFull('B')).toBe(false);
  });

  it('reads the count at most once per interval, adding what was stored in between', async () => {
    let now = 0;
    const store = counting({ A: 8 });
    const cap = new OutboxCap(store.count, 10, () => now, 1000);
    expect(await cap.isFull('A')).toBe(false);
    cap.noteStored('A', 2);
    now = 999;
    expect(await cap.isFull('A')).toBe(true);
    expect(store.reads).toEqual(['A']);
    store.waiting.A = 3; // TikTok took some
    now = 1000;
    expect(await cap.isFull('A')).toBe(false);
    expect(store.reads).toEqual(['A', 'A']);
  });

  it('asks the store for no more than the cap', async () => {
    const limits: number[] = [];
    const cap = new OutboxCap(async (_p, limit) => (limits.push(limit), 0), 100_000, () => 0);
    await cap.isFull('A');
    expect(limits).toEqual([100_000]);
  });

  it('is never full, and reads nothing, when turned off', async () => {
    const store = counting({ A: 1e9 });
    const cap = new OutboxCap(store.count, 0, () => 0);
    expect(await cap.isFull('A')).toBe(false);
    expect(store.reads).toEqual([]);
  });
});
