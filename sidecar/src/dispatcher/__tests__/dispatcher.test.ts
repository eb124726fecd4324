import pino from 'pino';
import { Metrics } from '../../metrics';
import { SqliteOutbox } from '../../outbox/outbox';
import { StaticSettings } from '../../settings/static';
import type { WebsiteSettings } from '../../settings/types';
import type { EventsApiClient } from '../../tiktok/client';
import type { SendOutcome } from '../../tiktok/outcome';
import type { TikTokEventRow } from '../../tiktok/types';
import { promised } from '../../outbox/promised';
import { Dispatcher, type DispatchQueue } from '../dispatcher';
import { website } from '../../../../tests/helpers/sidecar';
import { until } from '../../../../tests/helpers/until';

const PIXEL = 'CDISPATCHPIXEL000001';
const TOKEN = 'token-one-0000000001';
const PAUSE_MS = 60_000;

type Script = (rows: TikTokEventRow[], token: string) => SendOutcome | Promise<SendOutcome>;

const delivered: SendOutcome = { kind: 'delivered' };
const rejected = (message: string, code = 40002): SendOutcome => ({ kind: 'rejected', code, message });

/** A dispatcher on an in-memory outbox whose Events API answers from a script; time can be moved forward. */
function harness(script: Script, opts: { batch?: number; testEventCode?: string; concurrency?: number; backoffMs?: number } = {}) {
  const outbox = new SqliteOutbox(':memory:');
  const queue = outbox.immediate.events;
  const site: WebsiteSettings = website({ pixelId: PIXEL, accessToken: TOKEN });
  const metrics = new Metrics();
  const requests: { ids: string[]; token: string }[] = [];
  const client: EventsApiClient = {
    async send(body, token) {
      const rows = (JSON.parse(body) as { data: TikTokEventRow[] }).data;
      requests.push({ ids: rows.map((r) => r.event_id), token });
      return script(rows, token);
    },
  };
  let skew = 0;
  const clock = () => Date.now() + skew;
  const dispatcher = new Dispatcher(
    { queue: outbox.events, client, settings: new StaticSettings([site]), metrics, log: pino({ level: 'silent' }), clock, random: () => 0 },
    { maxBatchSize: opts.batch ?? 1000, lingerMs: 0, maxConcurrentRequests: opts.concurrency ?? 1, backoff: { baseMs: opts.backoffMs ?? 10, maxMs: 2 * (opts.backoffMs ?? 10) }, pause: { baseMs: PAUSE_MS, maxMs: 4 * PAUSE_MS }, idleMs: 20 },
  );
  const enqueue = (ids: string[]) => {
    const eventTime = Math.floor(clock() / 1000) - 60;
    queue.enqueue(
      ids.map((eventId) => ({
        pixelId: PIXEL,
        event: 'AddToCart',
        eventId,
        testEventCode: opts.testEventCode,
        source: 'browser' as const,
        row: { event: 'AddToCart', event_id: eventId, event_time: eventTime },
      })),
      clock(),
    );
    dispatcher.wake();
  };
  const settled = () => queue.counts().in_flight === 0;
  return {
    queue,
    site,
    metrics,
    requests,
    dispatcher,
    enqueue,
    settled,
    /** Move the clock forward (pauses and retries end) and wake the loop. */
    advance(ms: number) {
      skew += ms;
      dispatcher.wake();
    },
    async stop() {
      await dispatcher.stop(0);
      void outbox.close();
    },
  };
}


const ids = (n: number, prefix = 'e') => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('Dispatcher: refusals of a whole request', () => {
  let h: ReturnType<typeof harness>;
  afterEach(async () => h?.stop());

  it('stops bisecting when every part is refused alike: the lane pauses, nothing is dead, no attempt is burnt', async () => {
    h = harness(() => rejected('Invalid parameter'));
    h.enqueue(ids(400));
    h.dispatcher.start();
    await until(() => h.dispatcher.laneStates()[0]?.state === 'paused' && h.settled());
    // The batch, its two halves and one row sent alone.
    expect(h.requests.map((r) => r.ids.length)).toEqual([400, 200, 200, 1]);
    expect(h.queue.counts()).toMatchObject({ pending: 400, dead: 0, delivered: 0 });
    expect(h.dispatcher.laneStates()).toEqual([
      expect.objectContaining({ pixelId: PIXEL, testEventCode: '', state: 'paused', reason: 'request_refused', code: 40002, message: 'every event refused alike: Invalid parameter' }),
    ]);
    const text = await h.metrics.registry.metrics();
    expect(text).toContain(`tiktok_lane_paused{pixel="${PIXEL}",reason="request_refused"} 1`);
    expect(text).toContain('tiktok_lane_pauses_total{reason="request_refused"} 1');
    await h.dispatcher.stop(0);
    expect(h.queue.claim({ pixelId: PIXEL, testEventCode: '' }, Date.now() + 10 * PAUSE_MS, 1000).every((r) => r.attempts === 1)).toBe(true);
  });

  it('probes again at the end of the pause, with a longer pause while the refusal persists, and delivers once it stops', async () => {
    let refusing = true;
    h = harness(() => (refusing ? rejected('Invalid parameter') : delivered));
    h.enqueue(ids(10));
    h.dispatcher.start();
    await until(() => h.dispatcher.laneStates()[0]?.state === 'paused' && h.settled());
    const first = h.dispatcher.laneStates()[0];
    expect(first.until! - first.since!).toBe(PAUSE_MS);
    const before = h.requests.length;
    h.advance(PAUSE_MS);
    await until(() => h.requests.length > before && h.dispatcher.laneStates()[0]?.state === 'paused' && h.settled());
    const second = h.dispatcher.laneStates()[0];
    expect(second.since).toBe(first.since);
    expect(second.until! - first.until!).toBeGreaterThanOrEqual(2 * PAUSE_MS);
    expect(h.queue.counts()).toMatchObject({ pending: 10, dead: 0 });
    refusing = false;
    h.advance(2 * PAUSE_MS);
    await until(() => h.queue.counts().delivered === 10);
    expect(h.dispatcher.laneStates()[0].state).toBe('running');
    expect(await h.metrics.registry.metrics()).not.toMatch(/tiktok_lane_paused\{[^}]*\} 1/);
  });

  it('pauses for an expired token (40104) and resumes within seconds of a new token', async () => {
    h = harness((_rows, token) => (token === TOKEN ? { kind: 'request_problem', problem: 'token_refused', code: 40104, message: 'Access token has expired.' } : delivered));
    h.enqueue(ids(300));
    h.dispatcher.start();
    await until(() => h.dispatcher.laneStates()[0]?.state === 'paused' && h.settled());
    expect(h.requests).toHaveLength(1);
    expect(h.dispatcher.laneStates()[0]).toMatchObject({ reason: 'token_refused', code: 40104 });
    expect(h.queue.counts()).toMatchObject({ pending: 300, dead: 0 });
    h.site.accessToken = 'token-two-0000000002';
    h.advance(6000); // far less than the pause: only the new token lifts it
    await until(() => h.queue.counts().delivered === 300);
    expect(h.requests.slice(1).every((r) => r.token === 'token-two-0000000002')).toBe(true);
  });

  it('pauses for a wrong base URL (404) after one request', async () => {
    h = harness(() => ({ kind: 'request_problem', problem: 'wrong_base_url', code: 404, message: 'HTTP 404 from http://127.0.0.1:9/wrong/v1.3/event/track/' }));
    h.enqueue(ids(250));
    h.dispatcher.start();
    await until(() => h.dispatcher.laneStates()[0]?.state === 'paused' && h.settled());
    expect(h.requests).toHaveLength(1);
    expect(h.dispatcher.laneStates()[0]).toMatchObject({ reason: 'wrong_base_url', code: 404, message: expect.stringContaining('/wrong/v1.3/event/track/') });
    expect(h.queue.counts()).toMatchObject({ pending: 250, dead: 0 });
  });

  it('waits for a token when the pixel has none, without dead letters', async () => {
    h = harness(() => delivered);
    h.site.accessToken = '';
    h.enqueue(ids(3));
    h.dispatcher.start();
    await until(() => h.dispatcher.laneStates()[0]?.state === 'paused' && h.settled());
    expect(h.dispatcher.laneStates()[0]).toMatchObject({ reason: 'no_token' });
    expect(h.requests).toHaveLength(0);
    h.site.accessToken = TOKEN;
    h.advance(6000);
    await until(() => h.queue.counts().delivered === 3);
  });

  it('does not spend the shutdown grace period waiting for a paused lane', async () => {
    h = harness(() => ({ kind: 'request_problem', problem: 'request_refused', code: 41999, message: 'unknown code 41999: x' }));
    h.enqueue(ids(5));
    h.dispatcher.start();
    await until(() => h.dispatcher.laneStates()[0]?.state === 'paused' && h.settled());
    h.enqueue(ids(3, 'late')); // due now, in a paused lane
    const started = Date.now();
    await h.dispatcher.stop(5000);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(h.requests).toHaveLength(1);
    expect(h.queue.counts()).toMatchObject({ pending: 8, dead: 0 });
  });

  it('sends nothing more for a batch that was in flight when its lane paused', async () => {
    const later = (ms: number, outcome: SendOutcome) => new Promise<SendOutcome>((resolve) => setTimeout(() => resolve(outcome), ms));
    h = harness(
      (rows) =>
        rows[0].event_id === 'e-0'
          ? later(20, { kind: 'request_problem', problem: 'wrong_base_url', code: 404, message: 'HTTP 404 from x' })
          : later(rows.length === 10 ? 80 : 0, rejected('Invalid parameter')),
      { batch: 10, concurrency: 2 },
    );
    h.enqueue(ids(20));
    h.dispatcher.start();
    await until(() => h.requests.length >= 2 && h.settled());
    // The second batch was refused after the first one paused the lane: its halves wait with the lane.
    expect(h.requests.map((r) => r.ids.length)).toEqual([10, 10]);
    expect(h.queue.counts()).toMatchObject({ pending: 20, dead: 0 });
    expect(h.dispatcher.laneStates()[0]).toMatchObject({ state: 'paused', reason: 'wrong_base_url' });
  });

  it('pauses when single-event batches are refused alike one after the other', async () => {
    h = harness(() => rejected('Invalid parameter'), { testEventCode: 'TEST1' });
    h.enqueue(ids(5));
    h.dispatcher.start();
    await until(() => h.dispatcher.laneStates()[0]?.state === 'paused' && h.settled());
    // The first one could be a bad event; the second refused the same way says it is not.
    expect(h.requests.map((r) => r.ids.length)).toEqual([1, 1]);
    expect(h.queue.counts()).toMatchObject({ dead: 1, pending: 4 });
    expect(h.dispatcher.laneStates()[0]).toMatchObject({ testEventCode: 'TEST1', reason: 'request_refused' });
  });
});

describe('Dispatcher: refusals of rows', () => {
  let h: ReturnType<typeof harness>;
  afterEach(async () => h?.stop());

  const refuseIds = (bad: Set<string>, message = (id: string) => `Invalid parameter: ${id}`): Script => (rows) => {
    const hit = rows.find((r) => bad.has(r.event_id));
    return hit ? rejected(message(hit.event_id)) : delivered;
  };

  it('bisects down to the one bad row and delivers the rest', async () => {
    h = harness(refuseIds(new Set(['e-137'])));
    h.enqueue(ids(400));
    h.dispatcher.start();
    await until(() => h.queue.counts().delivered === 399 && h.queue.counts().dead === 1);
    expect(h.queue.deadLetters(5)).toEqual([expect.objectContaining({ eventId: 'e-137', errorCode: 40002, lastError: 'Invalid parameter: e-137' })]);
    expect(h.requests.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(400)) + 1);
    expect(h.dispatcher.laneStates()[0].state).toBe('running');
  });

  it('finds two bad rows refused with the same generic message in different halves', async () => {
    h = harness(refuseIds(new Set(['e-17', 'e-300']), () => 'Invalid parameter'));
    h.enqueue(ids(400));
    h.dispatcher.start();
    await until(() => h.queue.counts().delivered === 398 && h.queue.counts().dead === 2);
    expect(h.queue.deadLetters(5).map((d) => d.eventId).sort()).toEqual(['e-17', 'e-300']);
    expect(h.dispatcher.laneStates()[0].state).toBe('running');
    expect(h.requests.length).toBeLessThan(50);
  });

  it('splits a batch TikTok finds too large until it fits, and parks a single row still too large', async () => {
    h = harness((rows) => (rows.length > 50 || rows.some((r) => r.event_id === 'e-3') ? { kind: 'too_large', status: 413, message: 'Request Entity Too Large' } : delivered));
    h.enqueue(ids(400));
    h.dispatcher.start();
    await until(() => h.queue.counts().delivered === 399 && h.queue.counts().dead === 1);
    // The smallest event alone first (all are alike here: the first), then the halves of the other 399.
    expect(h.requests[1].ids).toEqual(['e-0']);
    expect(h.requests.filter((r) => r.ids.length > 50).map((r) => r.ids.length)).toEqual([400, 200, 100, 100, 199, 100, 99]);
    expect(h.queue.deadLetters(1)[0]).toMatchObject({ eventId: 'e-3', errorCode: 413, lastError: expect.stringContaining('too large to send even alone') });
    expect(h.dispatcher.laneStates()[0].state).toBe('running');
  });

  const tooLarge: SendOutcome = { kind: 'too_large', status: 413, message: '413 Request Entity Too Large' };

  it('pauses when every request is too large, even the smallest event alone: two requests, no dead letter, no attempt burnt', async () => {
    h = harness(() => tooLarge);
    h.enqueue(ids(1000));
    h.dispatcher.start();
    await until(() => h.dispatcher.laneStates()[0]?.state === 'paused' && h.settled());
    expect(h.requests.map((r) => r.ids.length)).toEqual([1000, 1]);
    expect(h.queue.counts()).toMatchObject({ pending: 1000, dead: 0, delivered: 0 });
    expect(h.dispatcher.laneStates()[0]).toMatchObject({ reason: 'request_refused', code: 413, message: expect.stringContaining('every request refused as too large') });
    await h.dispatcher.stop(0);
    expect(h.queue.claim({ pixelId: PIXEL, testEventCode: '' }, Date.now() + 10 * PAUSE_MS, 1000).every((r) => r.attempts === 1)).toBe(true);
  });

  it('probes a batch refused as too large with its smallest event', async () => {
    h = harness((rows) => (rows.length > 1 ? tooLarge : delivered));
    h.queue.enqueue(
      ['big-a', 'small', 'big-b'].map((eventId) => ({
        pixelId: PIXEL,
        event: 'AddToCart',
        eventId,
        source: 'browser' as const,
        row: { event: 'AddToCart', event_id: eventId, event_time: Math.floor(Date.now() / 1000) - 60, properties: { description: eventId === 'small' ? '' : 'x'.repeat(500) } },
      })),
      Date.now(),
    );
    h.dispatcher.start();
    await until(() => h.queue.counts().delivered === 3);
    expect(h.requests.map((r) => r.ids)).toEqual([['big-a', 'small', 'big-b'], ['small'], ['big-a'], ['big-b']]);
  });

  it('pauses single-event batches refused as too large one after the other, without a dead letter', async () => {
    h = harness(() => tooLarge, { testEventCode: 'TEST1' });
    h.enqueue(ids(5));
    h.dispatcher.start();
    await until(() => h.dispatcher.laneStates()[0]?.state === 'paused' && h.settled());
    h.advance(PAUSE_MS);
    await until(() => h.requests.length === 2 && h.dispatcher.laneStates()[0]?.state === 'paused' && h.settled());
    expect(h.queue.counts()).toMatchObject({ pending: 5, dead: 0 });
    expect(h.dispatcher.laneStates()[0]).toMatchObject({ testEventCode: 'TEST1', reason: 'request_refused', code: 413 });
  });

  it('parks a single event too large alone once other events of its lane fit, in single-event batches too', async () => {
    h = harness((rows) => (rows[0].event_id === 'e-0' ? tooLarge : delivered), { testEventCode: 'TEST1' });
    h.enqueue(ids(3));
    h.dispatcher.start();
    // Alone at first, nothing tells the event from every request: the lane pauses.
    await until(() => h.dispatcher.laneStates()[0]?.state === 'paused' && h.settled());
    expect(h.queue.counts()).toMatchObject({ dead: 0, pending: 3 });
    h.advance(PAUSE_MS);
    await until(() => h.queue.counts().delivered === 2 && h.queue.counts().dead === 1);
    expect(h.queue.deadLetters(1)[0]).toMatchObject({ eventId: 'e-0', errorCode: 413, lastError: expect.stringContaining('while other events fit') });
    expect(h.requests.map((r) => r.ids[0])).toEqual(['e-0', 'e-1', 'e-2', 'e-0']);
  });

  it('retries the whole batch when the event probing a 413 meets a dropped connection', async () => {
    let calls = 0;
    h = harness((rows) => {
      calls += 1;
      if (calls === 2) return { kind: 'retry', cause: 'network', detail: 'ECONNRESET' };
      return rows.length > 10 ? tooLarge : delivered;
    });
    h.enqueue(ids(40));
    h.dispatcher.start();
    await until(() => h.queue.counts().delivered === 40);
    expect(h.requests.slice(0, 3).map((r) => r.ids.length)).toEqual([40, 1, 40]);
    expect(h.queue.counts().dead).toBe(0);
  });

  it('delivers a 20001 answer except the events it names, which become dead letters', async () => {
    h = harness((rows) => {
      const bad = rows.findIndex((r) => r.event_id === 'e-5');
      return bad < 0 ? delivered : { kind: 'partial', failures: [{ index: bad, code: 40002, message: 'Invalid parameter: currency' }, { eventId: 'not-in-batch', code: 40002, message: 'x' }] };
    });
    h.enqueue(ids(20));
    h.dispatcher.start();
    await until(() => h.queue.counts().delivered === 19 && h.queue.counts().dead === 1);
    expect(h.requests).toHaveLength(1);
    expect(h.queue.deadLetters(1)[0]).toMatchObject({ eventId: 'e-5', errorCode: 40002, lastError: 'Invalid parameter: currency' });
  });

  it('retries the events a 20001 answer names with a retryable code', async () => {
    let calls = 0;
    h = harness((rows) => (calls++ === 0 ? { kind: 'partial', failures: [{ eventId: rows[1].event_id, code: 40100, message: 'Too many requests' }] } : delivered));
    h.enqueue(ids(4));
    h.dispatcher.start();
    await until(() => h.queue.counts().delivered === 4);
    expect(h.requests.map((r) => r.ids)).toEqual([ids(4), ['e-1']]);
    expect(h.queue.counts().dead).toBe(0);
  });

  it('pauses when a 20001 answer names every event with the same refusal', async () => {
    h = harness((rows) => ({ kind: 'partial', failures: rows.map((r) => ({ eventId: r.event_id, code: 40002, message: 'Invalid parameter' })) }));
    h.enqueue(ids(30));
    h.dispatcher.start();
    await until(() => h.dispatcher.laneStates()[0]?.state === 'paused' && h.settled());
    expect(h.requests).toHaveLength(1);
    expect(h.queue.counts()).toMatchObject({ pending: 30, dead: 0, delivered: 0 });
  });

  it('retries 40700 like a 5xx, with a typed reason', async () => {
    let calls = 0;
    h = harness(() => (calls++ < 2 ? { kind: 'retry', cause: 'tiktok_busy', detail: '40700: busy' } : delivered));
    h.enqueue(ids(5));
    h.dispatcher.start();
    await until(() => h.queue.counts().delivered === 5);
    expect(h.requests).toHaveLength(3);
    expect(await h.metrics.registry.metrics()).toContain('tiktok_events_retried_total{reason="tiktok_busy"} 10');
  });
});

describe('Dispatcher: a clock that goes back', () => {
  let h: ReturnType<typeof harness>;
  afterEach(async () => h?.stop());
  const HOUR = 3_600_000;

  it('sends events whose retry was scheduled before the clock went back an hour now, not an hour later', async () => {
    let calls = 0;
    // A retry a minute ahead: it cannot come due by itself while the test looks.
    h = harness(() => (calls++ === 0 ? { kind: 'retry', cause: 'server_error', detail: 'HTTP 503' } : delivered), { backoffMs: 60_000 });
    h.enqueue(ids(10));
    h.dispatcher.start();
    await until(() => h.requests.length === 1 && h.settled());
    h.advance(-HOUR);
    await until(() => h.queue.counts().delivered === 10);
    expect(h.requests).toHaveLength(2);
  });

  it('ends a pause no later than its longest length after the clock went back', async () => {
    let refusing = true;
    h = harness(() => (refusing ? rejected('Invalid parameter') : delivered));
    h.enqueue(ids(10));
    h.dispatcher.start();
    await until(() => h.dispatcher.laneStates()[0]?.state === 'paused' && h.settled());
    refusing = false;
    h.advance(-HOUR);
    // The pause, set an hour "ahead", is brought within its longest length of the clock as it is now...
    await until(() => h.dispatcher.laneStates()[0].until! <= Date.now() - HOUR + 4 * PAUSE_MS + 1000);
    h.advance(4 * PAUSE_MS); // ...and so ends after it, not an hour later.
    await until(() => h.queue.counts().delivered === 10);
  });

  it('makes rows scheduled far ahead by an earlier run due at start', async () => {
    h = harness(() => delivered);
    h.enqueue(ids(3));
    const lane = { pixelId: PIXEL, testEventCode: '' };
    const claimed = h.queue.claim(lane, Date.now(), 3);
    h.queue.markRetry(claimed.map((r) => r.id), Date.now() + 24 * HOUR, 'server_error', 'HTTP 503 (scheduled by a clock a day ahead)');
    h.dispatcher.start();
    await until(() => h.queue.counts().delivered === 3);
  });
});

describe('Dispatcher: an outbox that refuses writes', () => {
  const full = () => Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });

  /** A dispatcher whose queue's writes fail while `failing` names them; every log line is kept. */
  function failingHarness(script: Script) {
    const outbox = new SqliteOutbox(':memory:');
    const queue = outbox.immediate.events;
    const failing = new Set<string>();
    const calls: Record<string, number> = {};
    const wrap = <K extends keyof typeof queue>(name: K) =>
      ((...args: unknown[]) => {
        calls[name] = (calls[name] ?? 0) + 1;
        if (failing.has(name)) throw full();
        return (queue[name] as (...a: unknown[]) => unknown).apply(queue, args);
      }) as (typeof queue)[K];
    const flaky = {
      releaseInFlight: wrap('releaseInFlight'),
      rescheduleLaterThan: wrap('rescheduleLaterThan'),
      dueLanes: wrap('dueLanes'),
      claim: wrap('claim'),
      markDelivered: wrap('markDelivered'),
      markRetry: wrap('markRetry'),
      markDead: wrap('markDead'),
      markPaused: wrap('markPaused'),
      nextAttemptAt: wrap('nextAttemptAt'),
      laneHolds: wrap('laneHolds'),
      holdLane: wrap('holdLane'),
      clearLaneHold: wrap('clearLaneHold'),
      takeProbe: wrap('takeProbe'),
      takeRequestSlot: wrap('takeRequestSlot'),
    };
    const lines: Array<{ level: number; msg: string }> = [];
    const log = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const requests: string[][] = [];
    const outboxErrors: unknown[] = [];
    const site = { websiteId: 1, name: 'Shop', enabled: true, pixelId: PIXEL, accessToken: TOKEN, domains: ['https://shop.example'], eventNames: { Purchase: 'Purchase', SubmitForm: 'SubmitForm' }, consentRequired: false, purchaseWithoutPayment: false, debug: false, matchKeys: 'contact', limitedDataUse: false } as WebsiteSettings;
    const client: EventsApiClient = {
      async send(body) {
        const rows = (JSON.parse(body) as { data: TikTokEventRow[] }).data;
        requests.push(rows.map((r) => r.event_id));
        return script(rows, TOKEN);
      },
    };
    const dispatcher = new Dispatcher(
      { queue: promised<DispatchQueue>(flaky), client, settings: new StaticSettings([site]), metrics: new Metrics(), log, random: () => 0, onOutboxError: (err) => outboxErrors.push(err) },
      { maxBatchSize: 1000, lingerMs: 0, maxConcurrentRequests: 1, backoff: { baseMs: 10, maxMs: 20 }, pause: { baseMs: PAUSE_MS, maxMs: PAUSE_MS }, idleMs: 20, outboxBackoff: { baseMs: 50, maxMs: 400 } },
    );
    const enqueue = (n: number) =>
      queue.enqueue(
        ids(n).map((eventId) => ({ pixelId: PIXEL, event: 'AddToCart', eventId, source: 'browser' as const, row: { event: 'AddToCart', event_id: eventId, event_time: Math.floor(Date.now() / 1000) - 60 } })),
        Date.now(),
      );
    return { queue, failing, calls, lines, requests, outboxErrors, dispatcher, enqueue, close: async () => (await dispatcher.stop(0), outbox.close()) };
  }

  let f: ReturnType<typeof failingHarness>;
  afterEach(async () => f?.close());

  it('backs off and logs one line while claims fail, then one line when they work again, and delivers', async () => {
    f = failingHarness(() => delivered);
    f.enqueue(50);
    f.failing.add('claim');
    f.dispatcher.start();
    await new Promise((r) => setTimeout(r, 1500));
    // 50, 100, 200, 400, 400… ms: at most a handful of attempts in 1.5 s, where a fixed 62 ms poll made ~24.
    expect(f.calls.claim).toBeGreaterThanOrEqual(2);
    expect(f.calls.claim).toBeLessThanOrEqual(7);
    const refusing = f.lines.filter((l) => /outbox (still )?refuses writes/.test(l.msg));
    expect(refusing).toHaveLength(1);
    expect(refusing[0]).toMatchObject({ level: 50, error: 'SQLITE_FULL' });
    expect(f.lines.filter((l) => 'err' in l)).toEqual([]);
    expect(f.outboxErrors.length).toBe(f.calls.claim);
    f.failing.delete('claim');
    await until(() => f.queue.counts().delivered === 50);
    expect(f.lines.filter((l) => /takes writes again/.test(l.msg))).toHaveLength(1);
    expect(f.requests).toHaveLength(1);
  });

  it('settles a batch TikTok accepted while the outbox refused to record it, once it takes writes: not sent again, not left in flight', async () => {
    f = failingHarness(() => delivered);
    f.enqueue(30);
    f.failing.add('markDelivered');
    f.dispatcher.start();
    await until(() => f.requests.length === 1 && (f.calls.markDelivered ?? 0) >= 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(f.queue.counts()).toMatchObject({ in_flight: 30, delivered: 0 });
    f.failing.delete('markDelivered');
    await until(() => f.queue.counts().delivered === 30);
    expect(f.queue.counts().in_flight).toBe(0);
    expect(f.requests).toHaveLength(1);
  });

  it('puts a batch whose retry could not be recorded back in the queue once the outbox takes writes, and delivers it', async () => {
    let calls = 0;
    f = failingHarness(() => (calls++ === 0 ? { kind: 'retry', cause: 'server_error', detail: 'HTTP 503' } : delivered));
    f.enqueue(10);
    f.failing.add('markRetry');
    f.dispatcher.start();
    await until(() => (f.calls.markRetry ?? 0) >= 1);
    f.failing.delete('markRetry');
    await until(() => f.queue.counts().delivered === 10);
    expect(f.requests).toHaveLength(2);
  });

  it('starts even when the rows left in flight cannot be released yet, and releases them later', async () => {
    f = failingHarness(() => delivered);
    f.enqueue(5);
    f.queue.claim({ pixelId: PIXEL, testEventCode: '' }, Date.now(), 5); // a previous run's batch
    f.failing.add('releaseInFlight');
    expect(() => f.dispatcher.start()).not.toThrow();
    await new Promise((r) => setTimeout(r, 100));
    f.failing.delete('releaseInFlight');
    await until(() => f.queue.counts().delivered === 5);
  });
});
