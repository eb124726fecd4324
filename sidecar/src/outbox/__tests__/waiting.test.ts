import type { NewOutboxEvent } from '../eventQueue';
import { SqliteOutbox } from '../outbox';

function event(pixelId: string, i: number): NewOutboxEvent {
  return { pixelId, event: 'AddToCart', eventId: `e-${i}`, source: 'browser', row: { event: 'AddToCart', event_time: 1_732_500_000, event_id: `e-${i}` } };
}

describe('SqliteEventQueue.waitingCount', () => {
  it('counts pending and in-flight events of one pixel, not delivered or dead ones, up to the limit', () => {
    const outbox = new SqliteOutbox(':memory:');
    outbox.immediate.events.enqueue([...Array.from({ length: 10 }, (_, i) => event('A', i)), event('B', 1)], 1000);
    const [group] = outbox.immediate.events.dueLanes(2000).filter((g) => g.pixelId === 'A');
    const claimed = outbox.immediate.events.claim(group, 2000, 6); // 6 in flight, 4 pending
    outbox.immediate.events.markDelivered(claimed.slice(0, 2).map((r) => r.id), 3000);
    outbox.immediate.events.markDead(claimed.slice(2, 3).map((r) => r.id), 40002, 'bad', 3000);
    expect(outbox.immediate.events.waitingCount('A', 1000)).toBe(7);
    expect(outbox.immediate.events.waitingCount('B', 1000)).toBe(1);
    expect(outbox.immediate.events.waitingCount('C', 1000)).toBe(0);
    expect(outbox.immediate.events.waitingCount('A', 3)).toBeLessThanOrEqual(6);
    expect(outbox.immediate.events.waitingCount('A', 3)).toBeGreaterThanOrEqual(3);
  });
});

describe('SqliteOutbox.probeWrite', () => {
  it('commits on a writable file and throws the SQLite code on one that takes no writes', async () => {
    const outbox = new SqliteOutbox(':memory:');
    await expect(outbox.probeWrite(1)).resolves.toBeUndefined();
    await expect(outbox.probeWrite(2)).resolves.toBeUndefined();
    (outbox as unknown as { db: { pragma(sql: string): unknown } }).db.pragma('query_only = 1');
    await expect(outbox.probeWrite(3)).rejects.toMatchObject({ code: 'SQLITE_READONLY' });
  });
});
