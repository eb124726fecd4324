import request from 'supertest';
import { PIXEL, testSidecar } from '../../../tests/helpers/sidecar';
import type { NewOutboxEvent } from '../outbox/eventQueue';
import type { Outbox } from '../outbox/outbox';
import { HEALTH_PATH, LIVE_PATH, READY_PATH } from '../ops';
import { livenessStatus, readinessStatus, stallAfterMs, worstOf } from '../probes';
import type { EventsApiClient } from '../tiktok/client';
import type { SendOutcome } from '../tiktok/outcome';

const OPS_TOKEN = 'ops-token-for-tests-0123456789abcdef';

describe('probe decisions (pure)', () => {
  it('is ready only while accepting with a writable outbox', () => {
    expect(readinessStatus({ accepting: true, outboxWritable: true })).toEqual({ ok: true, status: 'ok' });
    expect(readinessStatus({ accepting: false, outboxWritable: true })).toEqual({ ok: false, status: 'stopping' });
    expect(readinessStatus({ accepting: true, outboxWritable: false })).toEqual({ ok: false, status: 'outbox_unwritable' });
  });

  it('is live unless a running loop has not turned for several of its longest waits', () => {
    const heartbeat = { running: true, lastTurnAt: 1_000_000, longestWaitMs: 30_000 };
    const bound = stallAfterMs(heartbeat);
    expect(bound).toBeGreaterThanOrEqual(2 * heartbeat.longestWaitMs);
    expect(livenessStatus(heartbeat, heartbeat.lastTurnAt + heartbeat.longestWaitMs)).toEqual({ ok: true, status: 'ok' });
    expect(livenessStatus(heartbeat, heartbeat.lastTurnAt + bound)).toEqual({ ok: true, status: 'ok' });
    expect(livenessStatus(heartbeat, heartbeat.lastTurnAt + bound + 1)).toEqual({ ok: false, status: 'stalled' });
    // A clock that went back is no stall.
    expect(livenessStatus(heartbeat, heartbeat.lastTurnAt - 3_600_000)).toEqual({ ok: true, status: 'ok' });
    // Before start and after stop the loop is not meant to turn.
    expect(livenessStatus({ ...heartbeat, running: false }, heartbeat.lastTurnAt + 10 * bound)).toEqual({ ok: true, status: 'ok' });
  });

  it('answers with the first probe that fails', () => {
    const ok = { ok: true, status: 'ok' } as const;
    expect(worstOf(ok, ok)).toEqual(ok);
    expect(worstOf(ok, { ok: false, status: 'stalled' })).toEqual({ ok: false, status: 'stalled' });
    expect(worstOf({ ok: false, status: 'stopping' }, { ok: false, status: 'stalled' })).toEqual({ ok: false, status: 'stopping' });
  });
});

/** An Events API that answers only when told to (a TikTok outage: the request hangs until its timeout). */
function heldClient(outcome: SendOutcome = { kind: 'retry', cause: 'timeout', detail: 'held' }) {
  const waiting: Array<() => void> = [];
  let requests = 0;
  const client: EventsApiClient = {
    send: () =>
      new Promise<SendOutcome>((resolve) => {
        requests += 1;
        waiting.push(() => resolve(outcome));
      }),
  };
  return {
    client,
    requests: () => requests,
    release: () => waiting.splice(0).forEach((answer) => answer()),
  };
}

function storedEvent(eventId: string): NewOutboxEvent {
  const eventTime = Math.floor(Date.now() / 1000) - 60;
  return { pixelId: PIXEL, event: 'AddToCart', eventId, source: 'browser', row: { event: 'AddToCart', event_id: eventId, event_time: eventTime } };
}

async function probe(handler: Parameters<typeof request>[0], path: string, token?: string) {
  const req = request(handler).get(path);
  const res = await (token ? req.set('Authorization', `Bearer ${token}`) : req);
  return { code: res.status, body: res.body as { status: string } & Record<string, unknown> };
}

describe('/readyz, /livez and /healthz', () => {
  it('are ok on a running sidecar; anonymous callers get the status only, the token adds the details', async () => {
    const sidecar = testSidecar({ env: { OPS_TOKEN } });
    await sidecar.start();
    try {
      for (const path of [HEALTH_PATH, READY_PATH, LIVE_PATH]) {
        expect([path, await probe(sidecar.handler, path)]).toEqual([path, { code: 200, body: { status: 'ok' } }]);
        const detailed = await probe(sidecar.handler, path, OPS_TOKEN);
        expect([path, detailed.code, detailed.body.status, typeof detailed.body.dispatcherLastTurnSecondsAgo]).toEqual([path, 200, 'ok', 'number']);
        const wrong = await probe(sidecar.handler, path, OPS_TOKEN.replace(/.$/, 'x'));
        expect([path, wrong.code]).toEqual([path, 401]);
      }
    } finally {
      await sidecar.stop();
    }
  });

  it('readiness is off (503 outbox_unwritable) while the outbox takes no writes, liveness stays on', async () => {
    const sidecar = testSidecar();
    const sqlite = (sidecar.outbox as unknown as { db: { pragma(sql: string): unknown } }).db;
    await sidecar.start();
    try {
      // A read-only file (a remount, a failing disk; an unreachable database is the same to the probe write).
      sqlite.pragma('query_only = 1');
      expect(await probe(sidecar.handler, READY_PATH)).toEqual({ code: 503, body: { status: 'outbox_unwritable' } });
      expect(await probe(sidecar.handler, HEALTH_PATH)).toEqual({ code: 503, body: { status: 'outbox_unwritable' } });
      // A restart would not free the disk: the process is alive.
      expect(await probe(sidecar.handler, LIVE_PATH)).toEqual({ code: 200, body: { status: 'ok' } });
    } finally {
      sqlite.pragma('query_only = 0');
      await sidecar.stop();
    }
  });

  it('readiness is off (503 stopping) while the sidecar drains at shutdown, liveness stays on', async () => {
    const tiktok = heldClient({ kind: 'delivered' });
    const sidecar = testSidecar({ client: tiktok.client });
    await sidecar.start();
    await sidecar.outbox.events.enqueue([storedEvent('evt-drain-1')], Date.now());
    sidecar.dispatcher.wake();
    while (tiktok.requests() === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    // The drain waits for the request on the wire.
    const stopped = sidecar.stop();
    try {
      expect(await probe(sidecar.handler, READY_PATH)).toEqual({ code: 503, body: { status: 'stopping' } });
      expect(await probe(sidecar.handler, HEALTH_PATH)).toEqual({ code: 503, body: { status: 'stopping' } });
      expect(await probe(sidecar.handler, LIVE_PATH)).toEqual({ code: 200, body: { status: 'ok' } });
    } finally {
      tiktok.release();
      await stopped;
    }
  });
});

describe('/livez follows the dispatcher loop (fake timers: the loop turns only when time is moved on)', () => {
  /** The clock the drain reads went back to the real one: no drain of the test's leftovers. */
  const QUICK_STOP = { SHUTDOWN_GRACE_MS: '0' };
  /** Past the stall bound of the sidecar's loop (2 minutes with its defaults): a stuck loop would fail by then. */
  const pastStallBound = (sidecar: { dispatcher: { heartbeat(): { longestWaitMs: number } } }) => stallAfterMs(sidecar.dispatcher.heartbeat()) + 30_000;

  beforeEach(() => {
    // Timers only: the HTTP requests of the test still run on the real event loop.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('fails (503 stalled) when the loop has not turned for longer than the stall bound, and recovers once it turns', async () => {
    const sidecar = testSidecar();
    await sidecar.start();
    try {
      expect(await probe(sidecar.handler, LIVE_PATH)).toEqual({ code: 200, body: { status: 'ok' } });
      // Time passes and no timer of the loop fires: it is stuck.
      jest.setSystemTime(Date.now() + pastStallBound(sidecar));
      expect(await probe(sidecar.handler, LIVE_PATH)).toEqual({ code: 503, body: { status: 'stalled' } });
      expect(await probe(sidecar.handler, HEALTH_PATH)).toEqual({ code: 503, body: { status: 'stalled' } });
      // Readiness is about traffic, not progress: the replica still takes events.
      expect(await probe(sidecar.handler, READY_PATH)).toEqual({ code: 200, body: { status: 'ok' } });
      await jest.advanceTimersByTimeAsync(5_000);
      expect(await probe(sidecar.handler, LIVE_PATH)).toEqual({ code: 200, body: { status: 'ok' } });
    } finally {
      jest.useRealTimers();
      await sidecar.stop();
    }
  });

  it('fails (503 stalled) when the loop hangs on an outbox call that never answers (a half-open database connection)', async () => {
    let hang = false;
    let hung = 0;
    const held: Array<(rows: []) => void> = [];
    const hangingClaims = (outbox: Outbox): Outbox => {
      const events = new Proxy(outbox.events, {
        get: (target, key) =>
          key === 'claim' && hang
            ? () => {
                hung += 1;
                return new Promise<[]>((answer) => held.push(answer));
              }
            : (Reflect.get(target, key, target) as unknown),
      });
      return new Proxy(outbox, { get: (target, key) => (key === 'events' ? events : (Reflect.get(target, key, target) as unknown)) });
    };
    const sidecar = testSidecar({ env: QUICK_STOP, wrapOutbox: hangingClaims });
    await sidecar.start();
    try {
      hang = true;
      await sidecar.outbox.events.enqueue([storedEvent('evt-hang-1')], Date.now());
      sidecar.dispatcher.wake();
      await jest.advanceTimersByTimeAsync(1_000);
      expect(hung).toBe(1);
      await jest.advanceTimersByTimeAsync(pastStallBound(sidecar));
      expect(await probe(sidecar.handler, LIVE_PATH)).toEqual({ code: 503, body: { status: 'stalled' } });
      // The relay still stores events: only a restart gets the delivery going again.
      expect(await probe(sidecar.handler, READY_PATH)).toEqual({ code: 200, body: { status: 'ok' } });
    } finally {
      jest.useRealTimers();
      hang = false;
      held.forEach((answer) => answer([]));
      await sidecar.stop();
    }
  });

  it('stays ok through a TikTok that does not answer for longer than the stall bound: the loop waits on purpose and keeps turning', async () => {
    const tiktok = heldClient();
    const sidecar = testSidecar({ client: tiktok.client, env: QUICK_STOP });
    await sidecar.start();
    try {
      await sidecar.outbox.events.enqueue([storedEvent('evt-outage-1')], Date.now());
      sidecar.dispatcher.wake();
      await jest.advanceTimersByTimeAsync(pastStallBound(sidecar));
      expect(tiktok.requests()).toBeGreaterThan(0);
      expect((await sidecar.outbox.events.counts()).in_flight).toBe(1);
      expect(await probe(sidecar.handler, LIVE_PATH)).toEqual({ code: 200, body: { status: 'ok' } });
      expect(await probe(sidecar.handler, HEALTH_PATH)).toEqual({ code: 200, body: { status: 'ok' } });
    } finally {
      jest.useRealTimers();
      tiktok.release();
      await sidecar.stop();
    }
  });

  it('stays ok through a lane paused for its token for longer than the stall bound', async () => {
    const tiktok = heldClient({ kind: 'request_problem', problem: 'token_refused', code: 40001, message: 'token refused' });
    const sidecar = testSidecar({ client: tiktok.client, env: QUICK_STOP });
    await sidecar.start();
    try {
      await sidecar.outbox.events.enqueue([storedEvent('evt-paused-1')], Date.now());
      sidecar.dispatcher.wake();
      await jest.advanceTimersByTimeAsync(1_000);
      tiktok.release();
      await jest.advanceTimersByTimeAsync(1_000);
      expect(sidecar.dispatcher.laneStates().map((lane) => lane.state)).toEqual(['paused']);
      await jest.advanceTimersByTimeAsync(pastStallBound(sidecar));
      expect(await probe(sidecar.handler, LIVE_PATH)).toEqual({ code: 200, body: { status: 'ok' } });
    } finally {
      jest.useRealTimers();
      tiktok.release();
      await sidecar.stop();
    }
  });
});
