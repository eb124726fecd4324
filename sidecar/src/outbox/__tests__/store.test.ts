import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GroupCommitWriter } from '../groupCommit';
import { SqliteOutboxStore, type NewOutboxEvent } from '../store';

const PIXEL = 'CABCDEFGH12345678';

function event(eventId: string, overrides: Partial<NewOutboxEvent> = {}): NewOutboxEvent {
  return {
    pixelId: PIXEL,
    event: 'AddToCart',
    eventId,
    source: 'browser',
    row: { event: 'AddToCart', event_id: eventId, event_time: 1_732_500_000 },
    ...overrides,
  };
}

describe('SqliteOutboxStore', () => {
  let dir: string;
  let file: string;
  let store: SqliteOutboxStore;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbox-'));
    file = path.join(dir, 'nested', 'outbox.sqlite');
    store = new SqliteOutboxStore(file);
  });
  afterEach(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('uses WAL and absorbs a repeated (pixel, event, event_id)', () => {
    expect(store.enqueue([event('a'), event('b')], 1000)).toEqual([true, true]);
    expect(store.enqueue([event('a'), event('a', { event: 'ViewContent' }), event('a', { pixelId: 'COTHERPIXEL1' })], 1001)).toEqual([false, true, true]);
    expect(store.counts()).toEqual({ pending: 4, in_flight: 0, delivered: 0, dead: 0 });
    expect(fs.existsSync(`${file}-wal`)).toBe(true);
  });

  it('keeps events across a reopen (durable once enqueue returns)', () => {
    store.enqueue([event('a')], 1000);
    store.close();
    store = new SqliteOutboxStore(file);
    expect(store.counts().pending).toBe(1);
  });

  it('claims due events per lane, oldest first, and counts attempts', () => {
    store.enqueue([event('a'), event('b'), event('t', { testEventCode: 'TEST1' })], 1000);
    expect(store.dueGroups(1000)).toEqual(
      expect.arrayContaining([
        { pixelId: PIXEL, testEventCode: '', due: 2, oldestCreatedAt: 1000 },
        { pixelId: PIXEL, testEventCode: 'TEST1', due: 1, oldestCreatedAt: 1000 },
      ]),
    );
    const claimed = store.claim({ pixelId: PIXEL, testEventCode: '' }, 1000, 10);
    expect(claimed.map((r) => [r.eventId, r.attempts])).toEqual([['a', 1], ['b', 1]]);
    expect(claimed[0].row).toEqual({ event: 'AddToCart', event_id: 'a', event_time: 1_732_500_000 });
    expect(store.claim({ pixelId: PIXEL, testEventCode: '' }, 1000, 10)).toEqual([]);
    expect(store.counts().in_flight).toBe(2);
  });

  it('moves rows through retry, delivery and dead letters', () => {
    store.enqueue([event('a'), event('b'), event('c')], 1000);
    const [a, b, c] = store.claim({ pixelId: PIXEL, testEventCode: '' }, 1000, 10);
    store.markRetry([a.id], 5000, 'HTTP 503');
    store.markDelivered([b.id], 1100);
    store.markDead([c.id], 40002, 'Invalid parameter', 1100);
    expect(store.counts()).toEqual({ pending: 1, in_flight: 0, delivered: 1, dead: 1 });
    expect(store.dueGroups(4999)).toEqual([]);
    expect(store.nextAttemptAt()).toBe(5000);
    expect(store.claim({ pixelId: PIXEL, testEventCode: '' }, 5000, 10).map((r) => [r.eventId, r.attempts])).toEqual([['a', 2]]);
    expect(store.deadLetters(10)).toEqual([expect.objectContaining({ eventId: 'c', errorCode: 40002, lastError: 'Invalid parameter' })]);
    expect(store.requeueDead(6000)).toBe(1);
    expect(store.counts().dead).toBe(0);
  });

  it('returns in-flight rows of a crashed run to pending', () => {
    store.enqueue([event('a')], 1000);
    store.claim({ pixelId: PIXEL, testEventCode: '' }, 1000, 10);
    store.close();
    store = new SqliteOutboxStore(file);
    expect(store.releaseInFlight()).toBe(1);
    expect(store.counts().pending).toBe(1);
  });

  it('prunes delivered rows past retention only', () => {
    store.enqueue([event('a'), event('b')], 1000);
    const [a] = store.claim({ pixelId: PIXEL, testEventCode: '' }, 1000, 1);
    store.markDelivered([a.id], 2000);
    expect(store.prune(1999)).toBe(0);
    expect(store.prune(2001)).toBe(1);
    expect(store.counts()).toEqual({ pending: 1, in_flight: 0, delivered: 0, dead: 0 });
  });
  it('puts a dead Purchase back in the queue when Odoo hands its order out again, and leaves a delivered one alone', () => {
    const purchase = (eventId: string, value: number) =>
      event(eventId, { event: 'Purchase', source: 'server', row: { event: 'Purchase', event_id: eventId, event_time: 1_732_500_000, properties: { value } } });
    store.enqueueClaims([{ orderId: 1, event: purchase('p-1', 10) }, { orderId: 2, event: purchase('p-2', 20) }], 1000);
    const [first, second] = store.claim({ pixelId: PIXEL, testEventCode: '' }, 1000, 10);
    store.markDead([first.id], 40002, 'bad value', 1100);
    store.markDelivered([second.id], 1100);
    expect(store.settledClaims(10)).toEqual(expect.arrayContaining([{ orderId: 1, outcome: 'dead' }, { orderId: 2, outcome: 'delivered' }]));

    // An administrator fixed the order and asked for it again: the same ids come back.
    expect(store.enqueueClaims([{ orderId: 1, event: purchase('p-1', 11) }, { orderId: 2, event: purchase('p-2', 20) }], 2000)).toEqual([false, false]);
    expect(store.settledClaims(10)).toEqual([{ orderId: 2, outcome: 'delivered' }]);
    const again = store.claim({ pixelId: PIXEL, testEventCode: '' }, 2000, 10);
    expect(again.map((r) => [r.eventId, r.attempts, r.row.properties?.value])).toEqual([['p-1', 1, 11]]);
  });
});

describe('GroupCommitWriter', () => {
  it('commits concurrent callers in one transaction and reports duplicates per caller', async () => {
    const store = new SqliteOutboxStore(':memory:');
    const spy = jest.spyOn(store, 'enqueue');
    const writer = new GroupCommitWriter(store, () => 1000);
    const [first, second, third] = await Promise.all([
      writer.enqueue([event('a'), event('b')]),
      writer.enqueue([event('a')]),
      writer.enqueue([event('c')]),
    ]);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(first).toEqual({ inserted: 2, duplicates: 0 });
    expect(second).toEqual({ inserted: 0, duplicates: 1 });
    expect(third).toEqual({ inserted: 1, duplicates: 0 });
    store.close();
  });

  it('retries a commit that met a lock held by another connection, instead of refusing the events', async () => {
    const store = new SqliteOutboxStore(':memory:');
    const real = store.enqueue.bind(store);
    let busy = 2;
    jest.spyOn(store, 'enqueue').mockImplementation((events, now) => {
      if (busy-- > 0) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
      return real(events, now);
    });
    const writer = new GroupCommitWriter(store, () => 1000);
    await expect(writer.enqueue([event('a')])).resolves.toEqual({ inserted: 1, duplicates: 0 });
    expect(store.counts().pending).toBe(1);
    store.close();
  });

  it('rejects every waiting caller when the commit fails, so the relay does not answer "accepted"', async () => {
    const store = new SqliteOutboxStore(':memory:');
    store.close();
    const writer = new GroupCommitWriter(store);
    await expect(writer.enqueue([event('a')])).rejects.toThrow();
  });
});
