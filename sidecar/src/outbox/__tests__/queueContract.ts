import { GroupCommitWriter } from '../groupCommit';
import type { LaneHold, NewOutboxEvent } from '../eventQueue';
import type { CheckedOutboxEvent } from '../rowGate';
import type { Outbox } from '../outbox';
import type { TikTokEventRow } from '../../tiktok/types';

/**
 * The queue's contract, whatever stores it: every engine's outbox (SQLite file,
 * PostgreSQL) passes these same tests (queue.test.ts runs them once per engine).
 */
export interface QueueEngine {
  /** A fresh, empty outbox. */
  open(): Promise<Outbox>;
  /** The same storage opened again after `close`, as by a restarted process (the same replica). */
  reopen(): Promise<Outbox>;
  /** A stored column of the row of `eventId`, read beside the outbox. */
  column(eventId: string, column: 'payload' | 'last_error'): Promise<string | null>;
  /** After each test, once the outbox is closed. */
  cleanup(): Promise<void>;
}

const PIXEL = 'CABCDEFGH12345678';
const LANE = { pixelId: PIXEL, testEventCode: '' };
const HASH = 'c'.repeat(64);

/** A stored row as the writers take it: what it holds is this suite's business, not the gate's. */
export function event(eventId: string, overrides: Partial<NewOutboxEvent> = {}): CheckedOutboxEvent {
  return {
    pixelId: PIXEL,
    event: 'AddToCart',
    eventId,
    source: 'browser',
    row: { event: 'AddToCart', event_id: eventId, event_time: 1_732_500_000 },
    ...overrides,
  } as CheckedOutboxEvent;
}

/** A row as the relay stores it: every match key, the browser's ip and user agent, pages with query strings. */
function personalRow(eventId: string): TikTokEventRow {
  return {
    event: 'AddToCart',
    event_id: eventId,
    event_time: 1_732_500_000,
    user: {
      email: HASH,
      phone: [HASH, HASH],
      external_id: HASH,
      ttclid: 'E.C.P.click-id-123',
      ttp: 'ttp-cookie-value-1',
      ip: '203.0.113.7',
      user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0',
      locale: 'fr_BE',
      ...({ first_party_id: 'unknown-key-kept-nowhere' } as object),
    },
    properties: { contents: [{ content_id: '23', content_type: 'product', price: 675, quantity: 1 }], currency: 'USD', value: 675 },
    page: { url: 'https://shop.example/shop/desk?utm_source=tiktok&ttclid=E.C.P.click-id-123#reviews', referrer: 'https://shop.example/shop?search=desk' },
  };
}

const personalEvent = (row: TikTokEventRow): NewOutboxEvent => ({ pixelId: PIXEL, event: row.event, eventId: row.event_id, source: 'browser', row });

export function queueContract(engine: () => QueueEngine): void {
  let db: QueueEngine;
  let outbox: Outbox;
  const reopen = async () => {
    await outbox.close();
    outbox = await db.reopen();
  };

  beforeEach(async () => {
    db = engine();
    outbox = await db.open();
  });
  afterEach(async () => {
    await outbox.close();
    await db.cleanup();
  });

  describe('the event queue', () => {
    it('absorbs a repeated (pixel, event, event_id)', async () => {
      expect(await outbox.events.enqueue([event('a'), event('b')], 1000)).toEqual([true, true]);
      expect(await outbox.events.enqueue([event('a'), event('a', { event: 'ViewContent' }), event('a', { pixelId: 'COTHERPIXEL1' })], 1001)).toEqual([false, true, true]);
      expect(await outbox.events.counts()).toEqual({ pending: 4, in_flight: 0, delivered: 0, dead: 0 });
    });

    it('stores the first of a key repeated in one call, and says the others are duplicates', async () => {
      expect(await outbox.events.enqueue([event('r'), event('s'), event('r', { row: { event: 'AddToCart', event_id: 'r', event_time: 1 } })], 1000)).toEqual([true, true, false]);
      expect((await outbox.events.claim(LANE, 1000, 10)).map((r) => [r.eventId, r.eventTime])).toEqual([['r', 1_732_500_000], ['s', 1_732_500_000]]);
    });

    it('keeps events across a reopen (durable once enqueue returns)', async () => {
      await outbox.events.enqueue([event('a')], 1000);
      await reopen();
      expect((await outbox.events.counts()).pending).toBe(1);
    });

    it('reads a lane key once into where its events go, also for lanes left by a previous run', async () => {
      const crmLane = 'crm:2:7300000000000000001';
      await outbox.events.enqueue([event('a'), event('c', { pixelId: crmLane })], 1000);
      const expected = [
        { pixelId: PIXEL, testEventCode: '', lane: { eventSource: 'web', eventSourceId: PIXEL }, due: 1, oldestDueAt: 1000 },
        { pixelId: crmLane, testEventCode: '', lane: { eventSource: 'crm', websiteId: 2, eventSourceId: '7300000000000000001' }, due: 1, oldestDueAt: 1000 },
      ];
      expect(await outbox.events.dueLanes(1000)).toEqual(expected);
      await reopen();
      expect(await outbox.events.dueLanes(1000)).toEqual(expected);
    });

    it('claims due events per lane, oldest first, and counts attempts', async () => {
      await outbox.events.enqueue([event('a'), event('b'), event('t', { testEventCode: 'TEST1' })], 1000);
      expect(await outbox.events.dueLanes(1000)).toEqual(
        expect.arrayContaining([
          { pixelId: PIXEL, testEventCode: '', lane: { eventSource: 'web', eventSourceId: PIXEL }, due: 2, oldestDueAt: 1000 },
          { pixelId: PIXEL, testEventCode: 'TEST1', lane: { eventSource: 'web', eventSourceId: PIXEL }, due: 1, oldestDueAt: 1000 },
        ]),
      );
      const claimed = await outbox.events.claim(LANE, 1000, 10);
      expect(claimed.map((r) => [r.eventId, r.attempts])).toEqual([['a', 1], ['b', 1]]);
      expect(JSON.parse(claimed[0].payload)).toEqual({ event: 'AddToCart', event_id: 'a', event_time: 1_732_500_000 });
      expect(await outbox.events.claim(LANE, 1000, 10)).toEqual([]);
      expect((await outbox.events.counts()).in_flight).toBe(2);
    });

    it('moves rows through retry, delivery and dead letters', async () => {
      await outbox.events.enqueue([event('a'), event('b'), event('c')], 1000);
      const [a, b, c] = await outbox.events.claim(LANE, 1000, 10);
      await outbox.events.markRetry([a.id], 5000, 'server_error', 'HTTP 503');
      await outbox.events.markDelivered([b.id], 1100);
      await outbox.events.markDead([c.id], 40002, 'Invalid parameter', 1100);
      expect(await outbox.events.counts()).toEqual({ pending: 1, in_flight: 0, delivered: 1, dead: 1 });
      expect(await outbox.events.dueLanes(4999)).toEqual([]);
      expect(await outbox.events.nextAttemptAt()).toBe(5000);
      expect(await db.column('a', 'last_error')).toBe('server_error: HTTP 503');
      expect((await outbox.events.claim(LANE, 5000, 10)).map((r) => [r.eventId, r.attempts])).toEqual([['a', 2]]);
      expect(await outbox.events.deadLetters(10)).toEqual([expect.objectContaining({ eventId: 'c', errorCode: 40002, lastError: 'Invalid parameter' })]);
      expect(await outbox.events.requeueDead(6000)).toBe(1);
      expect((await outbox.events.counts()).dead).toBe(0);
    });

    it('keeps at most 1,000 characters of an error', async () => {
      await outbox.events.enqueue([event('a'), event('b')], 1000);
      const [a, b] = await outbox.events.claim(LANE, 1000, 10);
      await outbox.events.markRetry([a.id], 5000, 'server_error', 'x'.repeat(5000));
      await outbox.events.markDead([b.id], 40002, 'y'.repeat(5000), 1100);
      expect(await db.column('a', 'last_error')).toBe(`server_error: ${'x'.repeat(1000 - 'server_error: '.length)}`);
      expect(await db.column('b', 'last_error')).toBe('y'.repeat(1000));
    });

    it('queues only the named dead letters again, as a first attempt with their event id, most recently parked listed first', async () => {
      await outbox.events.enqueue([event('a'), event('b'), event('c')], 1000);
      const [a, b, c] = await outbox.events.claim(LANE, 1000, 10);
      await outbox.events.markDead([b.id], 40002, 'Invalid parameter', 1300);
      await outbox.events.markDead([a.id], 40002, 'Invalid parameter', 1200);
      await outbox.events.markDelivered([c.id], 1100);
      expect((await outbox.events.deadLetters(10)).map((d) => [d.eventId, d.deadAt, d.eventTime])).toEqual([['b', 1300, 1_732_500_000], ['a', 1200, 1_732_500_000]]);
      expect(await outbox.events.requeueDeadLetters([b.id, c.id, 999], 2000)).toBe(1);
      expect(await outbox.events.counts()).toEqual({ pending: 1, in_flight: 0, delivered: 1, dead: 1 });
      expect((await outbox.events.claim(LANE, 2000, 10)).map((r) => [r.id, r.eventId, r.attempts])).toEqual([[b.id, 'b', 1]]);
      expect(await outbox.events.requeueDeadLetters([], 2000)).toBe(0);
    });

    it('returns in-flight rows of a crashed run to pending', async () => {
      await outbox.events.enqueue([event('a')], 1000);
      await outbox.events.claim(LANE, 1000, 10);
      await reopen();
      expect(await outbox.events.releaseInFlight()).toBe(1);
      expect((await outbox.events.counts()).pending).toBe(1);
    });

    it('prunes delivered rows past retention only', async () => {
      await outbox.events.enqueue([event('a'), event('b')], 1000);
      const [a] = await outbox.events.claim(LANE, 1000, 1);
      await outbox.events.markDelivered([a.id], 2000);
      expect(await outbox.events.prune(1999)).toBe(0);
      expect(await outbox.events.prune(2001)).toBe(1);
      expect(await outbox.events.counts()).toEqual({ pending: 1, in_flight: 0, delivered: 0, dead: 0 });
    });

    it('puts a dead Purchase back in the queue when Odoo hands its order out again, and leaves a delivered one alone', async () => {
      const purchase = (eventId: string, value: number) =>
        event(eventId, { event: 'Purchase', source: 'server', row: { event: 'Purchase', event_id: eventId, event_time: 1_732_500_000, properties: { value } } });
      await outbox.purchaseClaims.enqueueClaims([{ orderId: 1, event: purchase('p-1', 10) }, { orderId: 2, event: purchase('p-2', 20) }], 1000);
      const [first, second] = await outbox.events.claim(LANE, 1000, 10);
      await outbox.events.markDead([first.id], 40002, 'bad value', 1100);
      await outbox.events.markDelivered([second.id], 1100);
      expect(await outbox.purchaseClaims.settledClaims(10)).toEqual(expect.arrayContaining([{ orderId: 1, outcome: 'dead' }, { orderId: 2, outcome: 'delivered' }]));

      // An administrator fixed the order and asked for it again: the same ids come back.
      expect(await outbox.purchaseClaims.enqueueClaims([{ orderId: 1, event: purchase('p-1', 11) }, { orderId: 2, event: purchase('p-2', 20) }], 2000)).toEqual([false, false]);
      expect(await outbox.purchaseClaims.settledClaims(10)).toEqual([{ orderId: 2, outcome: 'delivered' }]);
      const again = await outbox.events.claim(LANE, 2000, 10);
      expect(again.map((r) => [r.eventId, r.attempts, JSON.parse(r.payload).properties?.value])).toEqual([['p-1', 1, 11]]);
    });

    it('forgets a claim reported delivered, keeps one reported refused until it is delivered, and holds unreported rows past retention', async () => {
      const crm = (eventId: string) => event(eventId, { event: 'Lead', source: 'server', pixelId: 'crm:2:7300000000000000001' });
      await outbox.sourceClaims.enqueueClaims([{ event: crm('lead-1') }, { event: crm('lead-2') }], 1000);
      const claimed = await outbox.events.claim({ pixelId: 'crm:2:7300000000000000001', testEventCode: '' }, 1000, 10);
      await outbox.events.markDelivered([claimed[0].id], 1100);
      await outbox.events.markDead([claimed[1].id], 40002, 'bad', 1100);
      expect(await outbox.events.prune(5000)).toBe(0);
      expect(await outbox.sourceClaims.settledClaims(10)).toEqual(expect.arrayContaining([{ eventId: 'lead-1', outcome: 'delivered' }, { eventId: 'lead-2', outcome: 'dead' }]));
      await outbox.sourceClaims.markReported(['lead-1'], 'delivered');
      await outbox.sourceClaims.markReported(['lead-2'], 'dead');
      expect(await outbox.sourceClaims.settledClaims(10)).toEqual([]);
      expect(await outbox.events.prune(5000)).toBe(1);
    });

    it('puts claimed rows back to pending at the given time without counting the claim as an attempt (markPaused)', async () => {
      await outbox.events.enqueue([event('a'), event('b')], 1000);
      const claimed = await outbox.events.claim(LANE, 1000, 10);
      expect(claimed.map((r) => r.attempts)).toEqual([1, 1]);
      await outbox.events.markPaused([claimed[0].id], 5000, 'lane paused (token_refused)');
      expect(await outbox.events.counts()).toMatchObject({ pending: 1, in_flight: 1 });
      expect(await outbox.events.claim(LANE, 4999, 10)).toEqual([]);
      expect((await outbox.events.claim(LANE, 5000, 10)).map((r) => [r.eventId, r.attempts])).toEqual([['a', 1]]);
      // Only rows in flight: a delivered row stays delivered.
      await outbox.events.markDelivered([claimed[1].id], 6000);
      await outbox.events.markPaused([claimed[1].id], 7000, 'x');
      expect(await outbox.events.counts()).toMatchObject({ delivered: 1 });
    });

    it('counts pending and in-flight events of one pixel, not delivered or dead ones, up to the limit (waitingCount)', async () => {
      const of = (pixelId: string, i: number) => event(`e-${i}`, { pixelId });
      await outbox.events.enqueue([...Array.from({ length: 10 }, (_, i) => of('A', i)), of('B', 1)], 1000);
      const [group] = (await outbox.events.dueLanes(2000)).filter((g) => g.pixelId === 'A');
      const claimed = await outbox.events.claim(group, 2000, 6); // 6 in flight, 4 pending
      await outbox.events.markDelivered(claimed.slice(0, 2).map((r) => r.id), 3000);
      await outbox.events.markDead(claimed.slice(2, 3).map((r) => r.id), 40002, 'bad', 3000);
      expect(await outbox.events.waitingCount('A', 1000)).toBe(7);
      expect(await outbox.events.waitingCount('B', 1000)).toBe(1);
      expect(await outbox.events.waitingCount('C', 1000)).toBe(0);
      expect(await outbox.events.waitingCount('A', 3)).toBeLessThanOrEqual(6);
      expect(await outbox.events.waitingCount('A', 3)).toBeGreaterThanOrEqual(3);
    });

    it('keeps the settings snapshot across a reopen, the last one saved', async () => {
      expect(await outbox.settingsSnapshot.load()).toBeUndefined();
      await outbox.settingsSnapshot.save('[{"websiteId":1}]', 1000);
      await outbox.settingsSnapshot.save('[{"websiteId":2}]', 2000);
      await reopen();
      expect(await outbox.settingsSnapshot.load()).toBe('[{"websiteId":2}]');
    });

    it('commits concurrent callers of the group-commit writer together and reports duplicates per caller', async () => {
      const commits: NewOutboxEvent[][] = [];
      const writer = new GroupCommitWriter({ enqueue: (events, now) => (commits.push(events), outbox.events.enqueue(events, now)) }, () => 1000);
      const [first, second, third] = await Promise.all([writer.enqueue([event('a'), event('b')]), writer.enqueue([event('a')]), writer.enqueue([event('c')])]);
      expect(commits).toHaveLength(1);
      expect(first).toEqual({ inserted: 2, duplicates: 0 });
      expect(second).toEqual({ inserted: 0, duplicates: 1 });
      expect(third).toEqual({ inserted: 1, duplicates: 0 });
    });
  });

  describe('lane holds', () => {
    const TEST_LANE = { pixelId: PIXEL, testEventCode: 'TEST1' };
    const hold = (until: number, streak = 1): LaneHold => ({ until, reason: 'token_refused', code: 40001, message: 'm', streak, since: 1000, tokenFingerprint: 'f'.repeat(16) });

    it("skips a held lane's due rows (in flight or not) until the hold ends, and only that lane's", async () => {
      await outbox.events.enqueue([event('a'), event('b'), event('t', { testEventCode: 'TEST1' })], 1000);
      expect((await outbox.events.claim(LANE, 1000, 1)).map((r) => r.eventId)).toEqual(['a']);
      await outbox.events.holdLane(LANE, () => hold(5000));
      expect(await outbox.events.claim(LANE, 4999, 10)).toEqual([]);
      expect((await outbox.events.claim(TEST_LANE, 4999, 10)).map((r) => r.eventId)).toEqual(['t']);
      expect((await outbox.events.claim(LANE, 5000, 10)).map((r) => r.eventId)).toEqual(['b']);
      // Still listed after its end: the streak is the lane's memory until a delivery.
      expect(await outbox.events.laneHolds()).toEqual([{ ...LANE, ...hold(5000) }]);
    });

    it('decides a hold from the current one, keeps it across a reopen, and a delivery clears it', async () => {
      const seen: (LaneHold | undefined)[] = [];
      const stored = await outbox.events.holdLane(LANE, (current) => (seen.push(current), hold(5000)));
      expect(stored).toEqual(hold(5000));
      await reopen();
      await outbox.events.holdLane(LANE, (current) => (seen.push(current), { ...current!, until: 9000, streak: current!.streak + 1 }));
      expect(seen).toEqual([undefined, hold(5000)]);
      expect(await outbox.events.laneHolds()).toEqual([{ ...LANE, ...hold(9000, 2) }]);
      // A hold no longer the one seen (another process held it again since) stays.
      await outbox.events.clearLaneHold(LANE, { until: 5000, streak: 1 });
      expect(await outbox.events.laneHolds()).toHaveLength(1);
      await outbox.events.clearLaneHold(LANE, { until: 9000, streak: 2 });
      expect(await outbox.events.laneHolds()).toEqual([]);
      await outbox.events.holdLane(LANE, () => hold(5000));
      await outbox.events.clearLaneHold(LANE);
      expect(await outbox.events.laneHolds()).toEqual([]);
    });

    it('takes the probe of a hold once it has ended, and holding the lane again ends the probe', async () => {
      await outbox.events.enqueue([event('a')], 1000);
      expect(await outbox.events.takeProbe(LANE, 1000, 2000)).toBe(false); // no hold
      await outbox.events.holdLane(LANE, () => hold(5000));
      expect(await outbox.events.takeProbe(LANE, 4999, 6000)).toBe(false);
      expect(await outbox.events.takeProbe(LANE, 5000, 6000)).toBe(true);
      expect((await outbox.events.claim(LANE, 5000, 10)).map((r) => r.eventId)).toEqual(['a']);
      await outbox.events.holdLane(LANE, (current) => ({ ...current!, until: 7000, streak: 2 }));
      expect(await outbox.events.takeProbe(LANE, 6500, 8000)).toBe(false);
    });
  });

  describe('the ceiling of requests per pixel and second', () => {
    it('counts requests per pixel within each second, refuses past the ceiling, and starts again the next second', async () => {
      const take = (pixelId: string, now: number) => outbox.events.takeRequestSlot(pixelId, now, 2);
      expect([await take('A', 1000), await take('A', 1500), await take('A', 1999)]).toEqual([true, true, false]);
      expect(await take('B', 1999)).toBe(true);
      expect([await take('A', 2000), await take('A', 2999), await take('A', 2999)]).toEqual([true, true, false]);
      // A process whose clock is behind is refused in a window already passed, and waits.
      expect(await take('A', 1200)).toBe(false);
    });
  });

  describe('the scrub of old dead letters', () => {
    const payloadOf = async (eventId: string): Promise<unknown> => JSON.parse((await db.column(eventId, 'payload'))!);

    /** Enqueue rows and park them as dead letters at `deadAt`. */
    async function park(rows: TikTokEventRow[], deadAt: number): Promise<void> {
      await outbox.events.enqueue(rows.map(personalEvent), deadAt - 10);
      const claimed = await outbox.events.claim(LANE, deadAt, rows.length);
      await outbox.events.markDead(claimed.map((r) => r.id), 40002, 'Invalid parameter: data[0].page.url', deadAt);
    }

    it('removes every user key and page query strings of old dead letters, and keeps what explains them', async () => {
      await park([personalRow('old')], 1000);
      expect(await outbox.events.scrubDeadLetters(2000, 100)).toBe(1);
      expect(await payloadOf('old')).toEqual({
        event: 'AddToCart',
        event_id: 'old',
        event_time: 1_732_500_000,
        properties: { contents: [{ content_id: '23', content_type: 'product', price: 675, quantity: 1 }], currency: 'USD', value: 675 },
        page: { url: 'https://shop.example/shop/desk', referrer: 'https://shop.example/shop' },
      });
      expect(await outbox.events.deadLetters(10)).toEqual([
        expect.objectContaining({ eventId: 'old', event: 'AddToCart', errorCode: 40002, lastError: 'Invalid parameter: data[0].page.url', attempts: 1 }),
      ]);
    });

    it('is idempotent: a second pass changes nothing', async () => {
      await park([personalRow('old')], 1000);
      expect(await outbox.events.scrubDeadLetters(2000, 100)).toBe(1);
      const once = await payloadOf('old');
      expect(await outbox.events.scrubDeadLetters(2000, 100)).toBe(0);
      expect(await payloadOf('old')).toEqual(once);
    });

    it('leaves dead letters younger than the cut-off, and events still on their way, untouched', async () => {
      await park([personalRow('young')], 5000);
      await outbox.events.enqueue([personalEvent(personalRow('waiting'))], 1000);
      expect(await outbox.events.scrubDeadLetters(2000, 100)).toBe(0);
      expect(await payloadOf('young')).toEqual(personalRow('young'));
      expect(await payloadOf('waiting')).toEqual(personalRow('waiting'));
    });

    it('does not add a page or a referrer a row did not have', async () => {
      const noReferrer = { ...personalRow('a'), page: { url: 'https://shop.example/shop?order=price' } };
      const noPage = { ...personalRow('b'), page: undefined };
      await park([noReferrer, noPage], 1000);
      expect(await outbox.events.scrubDeadLetters(2000, 100)).toBe(2);
      expect(await payloadOf('a')).toMatchObject({ page: { url: 'https://shop.example/shop' } });
      expect(((await payloadOf('a')) as TikTokEventRow).page).not.toHaveProperty('referrer');
      expect(await payloadOf('b')).not.toHaveProperty('page');
      expect(await payloadOf('b')).not.toHaveProperty('user');
    });

    it('changes at most `limit` rows per call', async () => {
      const ids = ['1', '2', '3', '4', '5'];
      await park(ids.map(personalRow), 1000);
      const passes: number[] = [];
      for (let i = 0; i < 4; i++) passes.push(await outbox.events.scrubDeadLetters(2000, 2));
      expect(passes).toEqual([2, 2, 1, 0]);
      for (const id of ids) expect(await payloadOf(id)).not.toHaveProperty('user');
    });

    it('scrubs a dead letter whose text holds a NUL character or half a surrogate pair, and the others with it', async () => {
      const withNul = { ...personalRow('nul'), properties: { contents: [{ content_id: '7', content_name: 'De\u0000sk \\u0000 \ud800 \ud83d\ude00' }], currency: 'USD', value: 1 } };
      await park([withNul, personalRow('plain')], 1000);
      expect(await outbox.events.scrubDeadLetters(2000, 100)).toBe(2);
      for (const id of ['nul', 'plain']) {
        expect(await payloadOf(id)).not.toHaveProperty('user');
        expect(await payloadOf(id)).toMatchObject({ page: { url: 'https://shop.example/shop/desk', referrer: 'https://shop.example/shop' } });
      }
      // The escaped backslash and the text after it stay as they were.
      expect((await payloadOf('nul')) as TikTokEventRow).toMatchObject({ properties: { contents: [{ content_name: expect.stringMatching(/^De.sk \\u0000 . \ud83d\ude00$/) }] } });
    });

    it('sends a requeued scrubbed dead letter without personal data', async () => {
      await park([personalRow('old')], 1000);
      await outbox.events.scrubDeadLetters(2000, 100);
      expect(await outbox.events.requeueDead(3000)).toBe(1);
      const [row] = await outbox.events.claim(LANE, 3000, 10);
      expect(JSON.parse(row.payload).user).toBeUndefined();
      expect(row.payload).not.toMatch(/203\.0\.113\.7|Mozilla|utm_source|search=|ttp-cookie|click-id/);
    });
  });
}
