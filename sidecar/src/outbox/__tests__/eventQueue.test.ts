import type Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GroupCommitWriter } from '../groupCommit';
import type { NewOutboxEvent } from '../eventQueue';
import type { CheckedOutboxEvent } from '../rowGate';
import { SqliteOutbox } from '../outbox';

const PIXEL = 'CABCDEFGH12345678';

/** The storage's own tests: rows handed to its writers as if past the gate (rowGate.test.ts tests the gate). */
function event(eventId: string, overrides: Partial<NewOutboxEvent> = {}): CheckedOutboxEvent {
  return {
    pixelId: PIXEL,
    event: 'AddToCart',
    eventId,
    source: 'browser',
    row: { event: 'AddToCart', event_id: eventId, event_time: 1_732_500_000 },
    ...overrides,
  } as CheckedOutboxEvent;
}

describe('SqliteEventQueue', () => {
  let dir: string;
  let file: string;
  let outbox: SqliteOutbox;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbox-'));
    file = path.join(dir, 'nested', 'outbox.sqlite');
    outbox = new SqliteOutbox(file);
  });
  afterEach(() => {
    void outbox.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('uses WAL and absorbs a repeated (pixel, event, event_id)', () => {
    expect(outbox.immediate.events.enqueue([event('a'), event('b')], 1000)).toEqual([true, true]);
    expect(outbox.immediate.events.enqueue([event('a'), event('a', { event: 'ViewContent' }), event('a', { pixelId: 'COTHERPIXEL1' })], 1001)).toEqual([false, true, true]);
    expect(outbox.immediate.events.counts()).toEqual({ pending: 4, in_flight: 0, delivered: 0, dead: 0 });
    expect(fs.existsSync(`${file}-wal`)).toBe(true);
  });

  it('keeps events across a reopen (durable once enqueue returns)', () => {
    outbox.immediate.events.enqueue([event('a')], 1000);
    void outbox.close();
    outbox = new SqliteOutbox(file);
    expect(outbox.immediate.events.counts().pending).toBe(1);
  });

  it('reads a lane key once into where its events go, also for lanes left by a previous run', () => {
    const crmLane = 'crm:2:7300000000000000001';
    outbox.immediate.events.enqueue([event('a'), event('c', { pixelId: crmLane })], 1000);
    const expected = [
      { pixelId: PIXEL, testEventCode: '', lane: { eventSource: 'web', eventSourceId: PIXEL }, due: 1, oldestDueAt: 1000 },
      { pixelId: crmLane, testEventCode: '', lane: { eventSource: 'crm', websiteId: 2, eventSourceId: '7300000000000000001' }, due: 1, oldestDueAt: 1000 },
    ];
    expect(outbox.immediate.events.dueLanes(1000)).toEqual(expected);
    void outbox.close();
    outbox = new SqliteOutbox(file);
    expect(outbox.immediate.events.dueLanes(1000)).toEqual(expected);
  });

  it('claims due events per lane, oldest first, and counts attempts', () => {
    outbox.immediate.events.enqueue([event('a'), event('b'), event('t', { testEventCode: 'TEST1' })], 1000);
    expect(outbox.immediate.events.dueLanes(1000)).toEqual(
      expect.arrayContaining([
        { pixelId: PIXEL, testEventCode: '', lane: { eventSource: 'web', eventSourceId: PIXEL }, due: 2, oldestDueAt: 1000 },
        { pixelId: PIXEL, testEventCode: 'TEST1', lane: { eventSource: 'web', eventSourceId: PIXEL }, due: 1, oldestDueAt: 1000 },
      ]),
    );
    const claimed = outbox.immediate.events.claim({ pixelId: PIXEL, testEventCode: '' }, 1000, 10);
    expect(claimed.map((r) => [r.eventId, r.attempts])).toEqual([['a', 1], ['b', 1]]);
    expect(JSON.parse(claimed[0].payload)).toEqual({ event: 'AddToCart', event_id: 'a', event_time: 1_732_500_000 });
    expect(outbox.immediate.events.claim({ pixelId: PIXEL, testEventCode: '' }, 1000, 10)).toEqual([]);
    expect(outbox.immediate.events.counts().in_flight).toBe(2);
  });

  it('moves rows through retry, delivery and dead letters', () => {
    outbox.immediate.events.enqueue([event('a'), event('b'), event('c')], 1000);
    const [a, b, c] = outbox.immediate.events.claim({ pixelId: PIXEL, testEventCode: '' }, 1000, 10);
    outbox.immediate.events.markRetry([a.id], 5000, 'server_error', 'HTTP 503');
    outbox.immediate.events.markDelivered([b.id], 1100);
    outbox.immediate.events.markDead([c.id], 40002, 'Invalid parameter', 1100);
    expect(outbox.immediate.events.counts()).toEqual({ pending: 1, in_flight: 0, delivered: 1, dead: 1 });
    expect(outbox.immediate.events.dueLanes(4999)).toEqual([]);
    expect(outbox.immediate.events.nextAttemptAt()).toBe(5000);
    const lastError = (outbox as unknown as { db: Database.Database }).db.prepare('SELECT last_error FROM outbox WHERE id = ?').pluck().get(a.id);
    expect(lastError).toBe('server_error: HTTP 503');
    expect(outbox.immediate.events.claim({ pixelId: PIXEL, testEventCode: '' }, 5000, 10).map((r) => [r.eventId, r.attempts])).toEqual([['a', 2]]);
    expect(outbox.immediate.events.deadLetters(10)).toEqual([expect.objectContaining({ eventId: 'c', errorCode: 40002, lastError: 'Invalid parameter' })]);
    expect(outbox.immediate.events.requeueDead(6000)).toBe(1);
    expect(outbox.immediate.events.counts().dead).toBe(0);
  });

  it('queues only the named dead letters again, as a first attempt with their event id, most recently parked listed first', () => {
    outbox.immediate.events.enqueue([event('a'), event('b'), event('c')], 1000);
    const [a, b, c] = outbox.immediate.events.claim({ pixelId: PIXEL, testEventCode: '' }, 1000, 10);
    outbox.immediate.events.markDead([b.id], 40002, 'Invalid parameter', 1300);
    outbox.immediate.events.markDead([a.id], 40002, 'Invalid parameter', 1200);
    outbox.immediate.events.markDelivered([c.id], 1100);
    expect(outbox.immediate.events.deadLetters(10).map((d) => [d.eventId, d.deadAt, d.eventTime])).toEqual([['b', 1300, 1_732_500_000], ['a', 1200, 1_732_500_000]]);
    expect(outbox.immediate.events.requeueDeadLetters([b.id, c.id, 999], 2000)).toBe(1);
    expect(outbox.immediate.events.counts()).toEqual({ pending: 1, in_flight: 0, delivered: 1, dead: 1 });
    expect(outbox.immediate.events.claim({ pixelId: PIXEL, testEventCode: '' }, 2000, 10).map((r) => [r.id, r.eventId, r.attempts])).toEqual([[b.id, 'b', 1]]);
    expect(outbox.immediate.events.requeueDeadLetters([], 2000)).toBe(0);
  });

  it('returns in-flight rows of a crashed run to pending', () => {
    outbox.immediate.events.enqueue([event('a')], 1000);
    outbox.immediate.events.claim({ pixelId: PIXEL, testEventCode: '' }, 1000, 10);
    void outbox.close();
    outbox = new SqliteOutbox(file);
    expect(outbox.immediate.events.releaseInFlight()).toBe(1);
    expect(outbox.immediate.events.counts().pending).toBe(1);
  });

  it('prunes delivered rows past retention only', () => {
    outbox.immediate.events.enqueue([event('a'), event('b')], 1000);
    const [a] = outbox.immediate.events.claim({ pixelId: PIXEL, testEventCode: '' }, 1000, 1);
    outbox.immediate.events.markDelivered([a.id], 2000);
    expect(outbox.immediate.events.prune(1999)).toBe(0);
    expect(outbox.immediate.events.prune(2001)).toBe(1);
    expect(outbox.immediate.events.counts()).toEqual({ pending: 1, in_flight: 0, delivered: 0, dead: 0 });
  });

  it('puts a dead Purchase back in the queue when Odoo hands its order out again, and leaves a delivered one alone', () => {
    const purchase = (eventId: string, value: number) =>
      event(eventId, { event: 'Purchase', source: 'server', row: { event: 'Purchase', event_id: eventId, event_time: 1_732_500_000, properties: { value } } });
    outbox.immediate.purchaseClaims.enqueueClaims([{ orderId: 1, event: purchase('p-1', 10) }, { orderId: 2, event: purchase('p-2', 20) }], 1000);
    const [first, second] = outbox.immediate.events.claim({ pixelId: PIXEL, testEventCode: '' }, 1000, 10);
    outbox.immediate.events.markDead([first.id], 40002, 'bad value', 1100);
    outbox.immediate.events.markDelivered([second.id], 1100);
    expect(outbox.immediate.purchaseClaims.settledClaims(10)).toEqual(expect.arrayContaining([{ orderId: 1, outcome: 'dead' }, { orderId: 2, outcome: 'delivered' }]));

    // An administrator fixed the order and asked for it again: the same ids come back.
    expect(outbox.immediate.purchaseClaims.enqueueClaims([{ orderId: 1, event: purchase('p-1', 11) }, { orderId: 2, event: purchase('p-2', 20) }], 2000)).toEqual([false, false]);
    expect(outbox.immediate.purchaseClaims.settledClaims(10)).toEqual([{ orderId: 2, outcome: 'delivered' }]);
    const again = outbox.immediate.events.claim({ pixelId: PIXEL, testEventCode: '' }, 2000, 10);
    expect(again.map((r) => [r.eventId, r.attempts, JSON.parse(r.payload).properties?.value])).toEqual([['p-1', 1, 11]]);
  });
});

describe('GroupCommitWriter', () => {
  it('commits concurrent callers in one transaction and reports duplicates per caller', async () => {
    const outbox = new SqliteOutbox(':memory:');
    const spy = jest.spyOn(outbox.immediate.events, 'enqueue');
    const writer = new GroupCommitWriter(outbox.events, () => 1000);
    const [first, second, third] = await Promise.all([
      writer.enqueue([event('a'), event('b')]),
      writer.enqueue([event('a')]),
      writer.enqueue([event('c')]),
    ]);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(first).toEqual({ inserted: 2, duplicates: 0 });
    expect(second).toEqual({ inserted: 0, duplicates: 1 });
    expect(third).toEqual({ inserted: 1, duplicates: 0 });
    void outbox.close();
  });

  it('retries a commit that met a lock held by another connection, instead of refusing the events', async () => {
    const outbox = new SqliteOutbox(':memory:');
    const real = outbox.immediate.events.enqueue.bind(outbox.immediate.events);
    let busy = 2;
    jest.spyOn(outbox.immediate.events, 'enqueue').mockImplementation((events, now) => {
      if (busy-- > 0) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
      return real(events, now);
    });
    const writer = new GroupCommitWriter(outbox.events, () => 1000);
    await expect(writer.enqueue([event('a')])).resolves.toEqual({ inserted: 1, duplicates: 0 });
    expect(outbox.immediate.events.counts().pending).toBe(1);
    void outbox.close();
  });

  it('rejects every waiting caller when the commit fails, so the relay does not answer "accepted"', async () => {
    const outbox = new SqliteOutbox(':memory:');
    void outbox.close();
    const writer = new GroupCommitWriter(outbox.events);
    await expect(writer.enqueue([event('a')])).rejects.toThrow();
  });
});
