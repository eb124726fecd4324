import { SqliteOutboxStore, type NewOutboxEvent } from '../store';

function event(pixelId: string, i: number): NewOutboxEvent {
  return { pixelId, event: 'AddToCart', eventId: `e-${i}`, source: 'browser', row: { event: 'AddToCart', event_time: 1_732_500_000, event_id: `e-${i}` } };
}

describe('SqliteOutboxStore.waitingCount', () => {
  it('counts pending and in-flight events of one pixel, not delivered or dead ones, up to the limit', () => {
    const store = new SqliteOutboxStore(':memory:');
    store.enqueue([...Array.from({ length: 10 }, (_, i) => event('A', i)), event('B', 1)], 1000);
    const [group] = store.dueGroups(2000).filter((g) => g.pixelId === 'A');
    const claimed = store.claim(group, 2000, 6); // 6 in flight, 4 pending
    store.markDelivered(claimed.slice(0, 2).map((r) => r.id), 3000);
    store.markDead(claimed.slice(2, 3).map((r) => r.id), 40002, 'bad', 3000);
    expect(store.waitingCount('A', 1000)).toBe(7);
    expect(store.waitingCount('B', 1000)).toBe(1);
    expect(store.waitingCount('C', 1000)).toBe(0);
    expect(store.waitingCount('A', 3)).toBeLessThanOrEqual(6);
    expect(store.waitingCount('A', 3)).toBeGreaterThanOrEqual(3);
  });
});

describe('SqliteOutboxStore.probeWrite', () => {
  it('commits on a writable file and throws the SQLite code on one that takes no writes', () => {
    const store = new SqliteOutboxStore(':memory:');
    expect(() => store.probeWrite(1)).not.toThrow();
    expect(() => store.probeWrite(2)).not.toThrow();
    (store as unknown as { db: { pragma(sql: string): unknown } }).db.pragma('query_only = 1');
    expect(() => store.probeWrite(3)).toThrow(expect.objectContaining({ code: 'SQLITE_READONLY' }));
  });
});
