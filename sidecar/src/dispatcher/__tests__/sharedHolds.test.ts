import pino from 'pino';
import { describePg, usePgDatabase } from '../../../../tests/helpers/pgOutbox';
import { website } from '../../../../tests/helpers/sidecar';
import { until } from '../../../../tests/helpers/until';
import { Metrics } from '../../metrics';
import type { LaneHold } from '../../outbox/eventQueue';
import { PgOutbox } from '../../outbox/pg/outbox';
import { StaticSettings } from '../../settings/static';
import type { WebsiteSettings } from '../../settings/types';
import type { EventsApiClient } from '../../tiktok/client';
import type { SendOutcome } from '../../tiktok/outcome';
import type { TikTokEventRow } from '../../tiktok/types';
import { Dispatcher } from '../dispatcher';
import { Lanes } from '../lanes';

const PIXEL = 'CSHAREDHOLDPIXEL0001';
const LANE = { pixelId: PIXEL, testEventCode: '' };
const TOKEN = 'token-shared-00000001';
const PAUSE_MS = 60_000;

const tokenRefused: SendOutcome = { kind: 'request_problem', problem: 'token_refused', code: 40001, message: 'No permission to operate pixel' };
const rateLimited: SendOutcome = { kind: 'retry', cause: 'rate_limited', detail: '40100: Too many requests' };
const delivered: SendOutcome = { kind: 'delivered' };

const site: WebsiteSettings = website({ pixelId: PIXEL, accessToken: TOKEN });

describePg('Dispatchers of replicas sharing a PostgreSQL outbox: lane holds', () => {
  const db = usePgDatabase();
  const outboxes: PgOutbox[] = [];
  const dispatchers: Dispatcher[] = [];
  beforeEach(() => db.reset());
  afterEach(async () => {
    await Promise.all(dispatchers.splice(0).map((d) => d.stop(0)));
    await Promise.all(outboxes.splice(0).map((o) => o.close()));
  });

  /** The Events API every replica calls, answering from `answer`, each answer after `delayMs`; every request is kept with its replica. */
  function eventsApi(answer: (token: string) => SendOutcome, delayMs = 0) {
    const requests: { replica: string; ids: string[] }[] = [];
    const clientOf = (replica: string): EventsApiClient => ({
      async send(body, token) {
        requests.push({ replica, ids: (JSON.parse(body) as { data: TikTokEventRow[] }).data.map((r) => r.event_id) });
        if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
        return answer(token);
      },
    });
    return { requests, clientOf };
  }

  let skew = 0;
  const clock = () => Date.now() + skew;

  async function replica(
    name: string,
    client: EventsApiClient,
    batch = 1000,
    backoff = { baseMs: 10, maxMs: 20 },
    settings = new StaticSettings([site]),
    maxRequestsPerSecond = 0,
  ): Promise<{ outbox: PgOutbox; dispatcher: Dispatcher }> {
    const outbox = await PgOutbox.open({ url: db.url(), replica: name, leaseMs: 60_000 });
    outboxes.push(outbox);
    const dispatcher = new Dispatcher(
      { queue: outbox.events, client, settings, metrics: new Metrics(), log: pino({ level: 'silent' }), clock, random: () => 0 },
      { maxBatchSize: batch, lingerMs: 0, maxConcurrentRequests: 2, backoff, pause: { baseMs: PAUSE_MS, maxMs: 4 * PAUSE_MS }, idleMs: 20, probeLeaseMs: 30_000, maxRequestsPerSecond },
    );
    dispatchers.push(dispatcher);
    return { outbox, dispatcher };
  }

  const enqueue = (outbox: PgOutbox, ids: string[]) =>
    outbox.events.enqueue(
      ids.map((eventId) => ({ pixelId: PIXEL, event: 'AddToCart', eventId, source: 'browser' as const, row: { event: 'AddToCart', event_id: eventId, event_time: Math.floor(clock() / 1000) - 60 } })),
      clock(),
    );
  const ids = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

  beforeEach(() => {
    skew = 0;
  });

  it('a lane one replica paused is paused for the other: it sends nothing of it, and reports it paused', async () => {
    const api = eventsApi(() => tokenRefused);
    const a = await replica('replica-a', api.clientOf('replica-a'));
    const b = await replica('replica-b', api.clientOf('replica-b'));
    await enqueue(a.outbox, ids(5, 'before'));
    a.dispatcher.start();
    await until(() => a.dispatcher.laneStates()[0]?.state === 'paused', 15_000, 'the pause of replica a');
    b.dispatcher.start();
    // Events relayed after the pause, through either replica, wait with the lane.
    await enqueue(b.outbox, ids(5, 'after-b'));
    await enqueue(a.outbox, ids(5, 'after-a'));
    b.dispatcher.wake();
    await until(() => b.dispatcher.laneStates()[0]?.state === 'paused', 15_000, 'replica b seeing the pause');
    expect(b.dispatcher.laneStates()[0]).toMatchObject({ ...LANE, state: 'paused', reason: 'token_refused', code: 40001 });
    // Several turns of b's loop (each looks at the lane); then nothing of b reached TikTok.
    const turn = b.dispatcher.heartbeat().lastTurnAt;
    await until(() => b.dispatcher.heartbeat().lastTurnAt > turn + 100, 15_000, 'turns of replica b');
    expect(api.requests).toEqual([{ replica: 'replica-a', ids: ids(5, 'before') }]);
    expect(await b.outbox.events.counts()).toMatchObject({ pending: 15, in_flight: 0 });
  });

  it('the probe at the end of a shared pause leaves from one replica, and the streak grows once for both', async () => {
    // Slow answers: the other replica looks at the lane many times while the probe is on its way.
    const api = eventsApi(() => tokenRefused, 300);
    const a = await replica('replica-a', api.clientOf('replica-a'), 2);
    const b = await replica('replica-b', api.clientOf('replica-b'), 2);
    await enqueue(a.outbox, ids(20, 'e'));
    a.dispatcher.start();
    await until(async () => (await a.outbox.events.laneHolds()).length === 1 && (await a.outbox.events.counts()).in_flight === 0, 15_000, 'the first pause');
    b.dispatcher.start();
    // Both batches a's two request slots took left before the pause.
    const beforeProbe = api.requests.length;
    expect(beforeProbe).toBeLessThanOrEqual(2);
    skew += PAUSE_MS;
    a.dispatcher.wake();
    b.dispatcher.wake();
    await until(async () => (await a.outbox.events.laneHolds())[0]?.streak === 2 && (await a.outbox.events.counts()).in_flight === 0, 15_000, 'the probe refused');
    expect(api.requests).toHaveLength(beforeProbe + 1);
    const [hold] = await a.outbox.events.laneHolds();
    expect(hold).toMatchObject({ reason: 'token_refused', streak: 2, until: expect.any(Number) });
    // The second pause is twice the first, for both replicas.
    expect(hold.until - clock()).toBeGreaterThan(PAUSE_MS);
    // Replica b reads the hold on its next turn (whenever that comes), and reports the same pause.
    b.dispatcher.wake();
    await until(() => b.dispatcher.laneStates()[0]?.state === 'paused', 15_000, "replica b's next turn");
    expect(b.dispatcher.laneStates()[0]).toMatchObject({ state: 'paused', until: hold.until });
  });

  it("TikTok's rate limit holds the pixel's lane for every replica; one probe, then both deliver", async () => {
    let limited = true;
    const api = eventsApi(() => (limited ? rateLimited : delivered), 100);
    // A minute's hold, as long as the first retry waits: the test moves the clock past both.
    const backoff = { baseMs: PAUSE_MS, maxMs: 2 * PAUSE_MS };
    const a = await replica('replica-a', api.clientOf('replica-a'), 2, backoff);
    const b = await replica('replica-b', api.clientOf('replica-b'), 2, backoff);
    await enqueue(a.outbox, ids(20, 'e'));
    a.dispatcher.start();
    b.dispatcher.start();
    await until(async () => (await a.outbox.events.laneHolds())[0]?.reason === 'rate_limited' && (await a.outbox.events.counts()).in_flight === 0, 15_000, 'the rate limit');
    // The batches that left before the hold (two request slots per replica) came back limited too; none leaves while it holds.
    await until(async () => (await b.outbox.events.counts()).in_flight === 0 && b.dispatcher.heartbeat().lastTurnAt > clock() - 50, 15_000, 'replica b settled');
    const whileHeld = api.requests.length;
    expect(whileHeld).toBeLessThanOrEqual(4);
    const turn = b.dispatcher.heartbeat().lastTurnAt;
    await until(() => a.dispatcher.heartbeat().lastTurnAt > turn + 100 && b.dispatcher.heartbeat().lastTurnAt > turn + 100, 15_000, 'turns of both replicas');
    expect(api.requests).toHaveLength(whileHeld);
    // A rate-limited lane is running for Odoo's report: nothing for the shop to fix.
    expect(a.dispatcher.laneStates()[0]).toMatchObject({ state: 'running' });
    limited = false;
    skew += 3 * PAUSE_MS; // past the hold and the rows' retry time
    a.dispatcher.wake();
    b.dispatcher.wake();
    await until(async () => (await a.outbox.events.counts()).delivered === 20, 15_000, 'every event delivered');
    expect(await a.outbox.events.laneHolds()).toEqual([]);
  });

  it("a new token lifts a pause for the token on every replica within seconds: the pause stores the token's fingerprint, never the token", async () => {
    const NEW_TOKEN = 'token-shared-00000002';
    // TikTok refuses the old token, whichever replica still sends with it, and takes the new one.
    const api = eventsApi((token) => (token === NEW_TOKEN ? delivered : tokenRefused));
    const settingsA = new StaticSettings([{ ...site }]);
    const settingsB = new StaticSettings([{ ...site }]);
    const a = await replica('replica-a', api.clientOf('replica-a'), 1000, undefined, settingsA);
    const b = await replica('replica-b', api.clientOf('replica-b'), 1000, undefined, settingsB);
    await enqueue(a.outbox, ids(5, 'e'));
    a.dispatcher.start();
    b.dispatcher.start();
    await until(async () => (await a.outbox.events.laneHolds()).length === 1 && (await a.outbox.events.counts()).in_flight === 0, 15_000, 'the pause');
    const [stored] = await a.outbox.events.laneHolds();
    expect(stored.tokenFingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(stored)).not.toContain(TOKEN);
    // Odoo gives b a new token first: b lifts the pause and sends, well before its minute.
    settingsB.all()[0].accessToken = NEW_TOKEN;
    skew += 5_000; // the rows' recheck time of a token pause
    b.dispatcher.wake();
    await until(async () => (await a.outbox.events.counts()).delivered === 5, 15_000, 'delivery with the new token');
    expect(api.requests.at(-1)).toMatchObject({ replica: 'replica-b' });
    expect(await a.outbox.events.laneHolds()).toEqual([]);
  });

  it('keeps the requests of a pixel under TIKTOK_MAX_REQUESTS_PER_SECOND counted for both replicas together', async () => {
    const sentAt: number[] = [];
    const api = eventsApi(() => (sentAt.push(clock()), delivered));
    const a = await replica('replica-a', api.clientOf('replica-a'), 1, undefined, undefined, 1);
    const b = await replica('replica-b', api.clientOf('replica-b'), 1, undefined, undefined, 1);
    await enqueue(a.outbox, ids(4, 'e'));
    a.dispatcher.start();
    b.dispatcher.start();
    await until(async () => (await a.outbox.events.counts()).delivered === 4, 30_000, 'every event delivered');
    const seconds = sentAt.map((t) => Math.floor(t / 1000));
    expect(new Set(seconds).size).toBe(4);
    expect(new Set(api.requests.map((r) => r.replica)).size).toBe(2);
  }, 60_000);

  it('serializes the writes of one hold: each process decides from the hold the last one stored', async () => {
    const outs = await Promise.all(['replica-a', 'replica-b', 'replica-c'].map((name) => PgOutbox.open({ url: db.url(), replica: name, leaseMs: 60_000, poolMax: 4 })));
    outboxes.push(...outs);
    const lanes = new Lanes({ baseMs: 1000, maxMs: 8000 }, 200);
    const grow = (current: LaneHold | undefined): LaneHold => ({ ...lanes.nextHold(undefined, { reason: 'request_refused', message: 'm' }, 0, '').hold, streak: (current?.streak ?? 0) + 1 });
    await Promise.all(Array.from({ length: 12 }, (_, i) => outs[i % 3].events.holdLane(LANE, grow)));
    expect((await outs[0].events.laneHolds())[0].streak).toBe(12);
  });
});
