import axios from 'axios';
import pino from 'pino';
import { Writable } from 'node:stream';
import { loadConfig } from '../../sidecar/src/config';
import { Metrics } from '../../sidecar/src/metrics';
import { SqliteOutbox } from '../../sidecar/src/outbox/outbox';
import { createSidecar } from '../../sidecar/src/server';
import { StaticSettings } from '../../sidecar/src/settings/static';
import { HttpEventsApiClient } from '../../sidecar/src/tiktok/client';
import { startFakeEventsApi, type FakeEventsApi, type FaultKind } from '../support/fakeEventsApi';
import { BROWSER_UA, PIXEL, relayEvent, SHOP, testSidecar, website } from '../helpers/sidecar';
import { until } from '../helpers/until';

/**
 * Request-level refusals over real HTTP: 200 relayed events meet a fake Events API
 * that refuses every call the same way. None may become a dead letter, the lane
 * must pause with the right reason after a few requests, and every event must
 * reach TikTok once it answers 0 again.
 */

const TOKEN = 'test-access-token-0001';
const EVENTS = 200;
/** Short pauses so a test sees a few probes: 300 ms, 600 ms, then 1.2 s. */
const ENV = { DISPATCH_LINGER_MS: '30', RETRY_BASE_MS: '20', RETRY_MAX_MS: '200', LANE_PAUSE_BASE_MS: '300', LANE_PAUSE_MAX_MS: '1200', TIKTOK_TIMEOUT_MS: '1000' };
/** How long the refusal lasts after the lane paused: long enough for two or three probes. */
const REFUSAL_HELD_MS = 1500;
/** "A few dozen requests", whatever the number of events. */
const MAX_REQUESTS_WHILE_REFUSED = 36;


async function relay(port: number, events: unknown[]): Promise<void> {
  for (let i = 0; i < events.length; i += 20) {
    const res = await axios.post(`http://127.0.0.1:${port}/tiktok/relay`, JSON.stringify(events.slice(i, i + 20)), {
      headers: { 'Content-Type': 'text/plain', Origin: SHOP, 'User-Agent': BROWSER_UA },
    });
    expect(res.status).toBe(202);
  }
}

describe('request-level refusals from TikTok, over real HTTP', () => {
  let api: FakeEventsApi;
  let sidecar: ReturnType<typeof testSidecar> | undefined;

  beforeEach(async () => {
    api = await startFakeEventsApi({ tokens: { [PIXEL]: TOKEN } });
  });
  afterEach(async () => {
    await sidecar?.stop();
    sidecar = undefined;
    await api.close();
  });

  async function start(): Promise<number> {
    sidecar = testSidecar({ env: ENV, websites: [website({ accessToken: TOKEN })], client: new HttpEventsApiClient({ baseUrl: api.baseUrl, timeoutMs: 1000 }) });
    return sidecar.start();
  }

  const lane = () => sidecar!.dispatcher.laneStates().find((l) => l.pixelId === PIXEL && l.testEventCode === '');

  it.each([
    ['40002 to every call', 'invalid_param', 'request_refused', 40002],
    ['an expired token (40104)', 'token_expired', 'token_refused', 40104],
    ['an HTML 404 page', 'not_found_html', 'wrong_base_url', 404],
    ['an HTML 413 to every request, however small (a proxy)', 'too_large_html', 'request_refused', 413],
  ] as Array<[string, FaultKind, string, number]>)('%s: pauses the lane, keeps all 200 events, delivers them once TikTok accepts again', async (_label, fault, reason, code) => {
    api.setStickyFault(fault);
    const port = await start();
    const events = Array.from({ length: EVENTS }, (_, i) => relayEvent({ event_id: `${fault}-${i}` }));
    await relay(port, events);

    const queue = sidecar!.file.events;
    await until(() => lane()?.state === 'paused' && queue.counts().pending === EVENTS);
    expect(lane()).toMatchObject({ state: 'paused', reason, code });
    await new Promise((r) => setTimeout(r, REFUSAL_HELD_MS));
    const refusedRequests = api.requests.length;
    expect(refusedRequests).toBeLessThanOrEqual(MAX_REQUESTS_WHILE_REFUSED);
    expect(api.delivered).toHaveLength(0);
    expect(queue.counts()).toMatchObject({ dead: 0, delivered: 0 });
    expect(await sidecar!.metrics.registry.metrics()).toContain(`tiktok_lane_paused{pixel="${PIXEL}",reason="${reason}"} 1`);

    api.setStickyFault();
    await until(() => queue.counts().delivered === EVENTS);
    expect(new Set(api.delivered.map((d) => d.row.event_id))).toEqual(new Set(events.map((e) => e.event_id)));
    expect(queue.counts().dead).toBe(0);
    expect(lane()?.state).toBe('running');
    expect(api.requests.length - refusedRequests).toBeLessThanOrEqual(4);
  });

  it('413 (HTML) above 25 rows: splits batches until they fit and delivers all 200 events, without a pause or a dead letter', async () => {
    api.setMaxRows(25);
    const port = await start();
    const events = Array.from({ length: EVENTS }, (_, i) => relayEvent({ event_id: `large-${i}` }));
    await relay(port, events);
    const queue = sidecar!.file.events;
    await until(() => queue.counts().delivered === EVENTS);
    expect(new Set(api.delivered.map((d) => d.row.event_id)).size).toBe(EVENTS);
    expect(queue.counts().dead).toBe(0);
    expect(api.requests.filter((r) => r.status === 413).every((r) => r.rows > 25)).toBe(true);
    expect(api.requests.filter((r) => r.code === 0).every((r) => r.rows <= 25)).toBe(true);
    expect(api.requests.length).toBeLessThanOrEqual(MAX_REQUESTS_WHILE_REFUSED);
    expect(sidecar!.dispatcher.laneStates().every((l) => l.state === 'running')).toBe(true);
    expect(await sidecar!.metrics.registry.metrics()).not.toContain('tiktok_lane_pauses_total{');
  });
});

describe('a wrong TIKTOK_API_BASE_URL', () => {
  it('pauses the lane with one log line naming the URL called and TIKTOK_API_BASE_URL; no event is dead', async () => {
    const api = await startFakeEventsApi({ tokens: { [PIXEL]: TOKEN } });
    const wrongBase = api.baseUrl.replace(/\/open_api$/, '/open-api');
    const lines: Array<{ level: number; msg: string; reason?: string }> = [];
    const log = pino(
      { level: 'warn' },
      new Writable({
        write(chunk, _enc, done) {
          lines.push(JSON.parse(String(chunk)));
          done();
        },
      }),
    );
    const cfg = loadConfig({ ...ENV, OUTBOX_PATH: ':memory:', RELAY_PORT: '0', TIKTOK_API_BASE_URL: wrongBase });
    const sidecar = createSidecar(cfg, {
      log,
      metrics: new Metrics(),
      outbox: new SqliteOutbox(':memory:'),
      settings: new StaticSettings([website({ accessToken: TOKEN })]),
    });
    const port = await sidecar.start();
    try {
      await relay(port, Array.from({ length: 60 }, (_, i) => relayEvent({ event_id: `url-${i}` })));
      await until(async () => sidecar.dispatcher.laneStates()[0]?.state === 'paused' && (await sidecar.outbox.events.counts()).pending === 60);
      expect(sidecar.dispatcher.laneStates()[0]).toMatchObject({ reason: 'wrong_base_url', code: 404, message: `HTTP 404 from ${wrongBase}/v1.3/event/track/` });
      expect((await sidecar.outbox.events.counts()).dead).toBe(0);
      const paused = lines.filter((l) => l.msg.includes('lane paused'));
      expect(paused).toHaveLength(1);
      expect(paused[0].msg).toContain(`${wrongBase}/v1.3/event/track/`);
      expect(paused[0].msg).toContain('TIKTOK_API_BASE_URL');
      expect(lines.filter((l) => /dead letter/.test(l.msg))).toHaveLength(0);
      // Every request went to the wrong address and none was accepted.
      expect(api.requests).toHaveLength(0);
    } finally {
      await sidecar.stop();
      await api.close();
    }
  });
});
