import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
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

  it('rejects every waiting caller when the commit fails, so the relay does not answer "accepted"', async () => {
    const store = new SqliteOutboxStore(':memory:');
    store.close();
    const writer = new GroupCommitWriter(store);
    await expect(writer.enqueue([event('a')])).rejects.toThrow();
  });
});

describe('background checkpoints', () => {
  /** Frames in the WAL right now, seen from another connection (a passive checkpoint reports them). */
  function walFrames(file: string): number {
    const probe = new Database(file);
    const [{ log }] = probe.pragma('wal_checkpoint(PASSIVE)') as { log: number }[];
    probe.close();
    return log;
  }

  it.each([
    [true, (frames: number) => expect(frames).toBeLessThan(50)],
    [false, (frames: number) => expect(frames).toBeGreaterThan(1000)],
  ])('background checkpointer %s: the log is started over only when checkpoints run', async (background, check) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbox-ckpt-'));
    const file = path.join(dir, 'outbox.sqlite');
    const store = new SqliteOutboxStore(file, { backgroundCheckpoint: background });
    if (!background) (store as unknown as { db: Database.Database }).db.pragma('wal_autocheckpoint = 0');
    const big = 'x'.repeat(2000);
    const batch = (n: number) =>
      store.enqueue(Array.from({ length: 100 }, (_, i) => event(`e-${n}-${i}`, { row: { event: 'Search', event_id: `e-${n}-${i}`, event_time: 1, properties: { query: big } } })), 1000);
    for (let n = 0; n < 20; n++) batch(n);
    await new Promise((r) => setTimeout(r, 1300)); // two checkpoint ticks with the writer idle
    store.enqueue([event('after')], 1000);
    try {
      check(walFrames(file));
    } finally {
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
