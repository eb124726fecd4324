import axios from 'axios';
import pino from 'pino';
import { loadConfig } from '../../sidecar/src/config';
import { SidecarReportSchema } from '../../sidecar/src/contract/report';
import { Metrics } from '../../sidecar/src/metrics';
import { startFakeOdoo, type FakeOdoo } from '../../sidecar/src/odoo/__tests__/fakeOdoo';
import { SqliteOutbox } from '../../sidecar/src/outbox/outbox';
import { FakeOdooPurchases } from '../../sidecar/src/poller/__tests__/fakeOdooPurchases';
import { createSidecar, type Sidecar } from '../../sidecar/src/server';
import { StaticSettings } from '../../sidecar/src/settings/static';
import type { EventsApiClient } from '../../sidecar/src/tiktok/client';
import { startFakeEventsApi, type FakeEventsApi } from '../support/fakeEventsApi';
import { BROWSER_UA, PIXEL, relayEvent, SHOP, testSidecar, website } from '../helpers/sidecar';
import { until } from '../helpers/until';

const TOKEN = 'test-access-token-0001';
const API_KEY = '0123456789abcdef0123456789abcdef01234567';
const OTHER_PIXEL = 'COTHERPIXEL000000002';
const OTHER_SHOP = 'https://other.example';
/** Website 1 has a test event code (its events go to TikTok's test tool), website 2 does not. */
const WEBSITES = [
  { website_id: 1, name: 'Shop', enabled: true, pixel_id: PIXEL, access_token: TOKEN, test_event_code: 'TEST123', domains: [SHOP] },
  { website_id: 2, name: 'Other', enabled: true, pixel_id: OTHER_PIXEL, access_token: TOKEN, test_event_code: false, domains: [OTHER_SHOP] },
];
const FAST = { POLL_INTERVAL_SECONDS: '1', DISPATCH_LINGER_MS: '20', RETRY_BASE_MS: '20', RETRY_MAX_MS: '200', TIKTOK_TIMEOUT_MS: '2000' };


/** A sidecar in Odoo mode, its settings read from the fake Odoo. */
async function startSidecar(odoo: FakeOdoo, api: FakeEventsApi, transport: 'json2' | 'xmlrpc'): Promise<{ sidecar: Sidecar; relayUrl: string }> {
  const cfg = loadConfig({
    ...FAST,
    OUTBOX_PATH: ':memory:',
    RELAY_PORT: '0',
    LOG_LEVEL: 'silent',
    ODOO_URL: odoo.url,
    ODOO_DB: 'shop',
    ODOO_LOGIN: 'tiktok-sidecar',
    ODOO_API_KEY: API_KEY,
    ODOO_TRANSPORT: transport,
    TIKTOK_API_BASE_URL: api.baseUrl,
    SIDECAR_REPLICA_ID: 'shop-sidecar-1',
  });
  const sidecar = createSidecar(cfg, { log: pino({ level: 'silent' }), metrics: new Metrics(), outbox: new SqliteOutbox(':memory:') });
  const relayUrl = `http://127.0.0.1:${await sidecar.start()}/tiktok/relay`;
  await until(() => sidecar.settings.all().length === 2);
  return { sidecar, relayUrl };
}

type Report = Record<string, any>;
/** A counter summed over every report Odoo received: what its daily aggregates add up. */
const total = (reports: Report[], websiteId: number, event: string, field: string): number =>
  reports.flatMap((r) => r.counters).filter((c) => c.website_id === websiteId && c.event === event).reduce((n, c) => n + c[field], 0);
/** A content id's count summed over every report: what Odoo's daily content counts add up. */
const contentTotal = (reports: Report[], websiteId: number, event: string, contentId: string): number =>
  reports.flatMap((r) => r.contents ?? []).filter((c) => c.website_id === websiteId && c.event === event && c.content_id === contentId).reduce((n, c) => n + c.count, 0);

describe('the report to Odoo (fake Odoo over JSON-2, fake Events API), over real HTTP', () => {
  let api: FakeEventsApi;
  let odoo: FakeOdoo;
  let sidecar: Sidecar;
  let relayUrl: string;
  const poisoned = new Set<string>();

  beforeEach(async () => {
    poisoned.clear();
    api = await startFakeEventsApi({
      tokens: { [PIXEL]: TOKEN, [OTHER_PIXEL]: TOKEN },
      rejectEvent: (row) => (poisoned.has(row.event_id) ? 'Invalid parameter: content_id is not in the catalog' : undefined),
    });
    odoo = await startFakeOdoo({ withModule: true, apiKey: API_KEY, websites: WEBSITES });
    ({ sidecar, relayUrl } = await startSidecar(odoo, api, 'json2'));
  });
  afterEach(async () => {
    await sidecar.stop();
    await odoo.close();
    await api.close();
  });

  async function relay(origin: string, events: unknown[]): Promise<void> {
    const res = await axios.post(relayUrl, JSON.stringify(events), { headers: { 'Content-Type': 'text/plain', Origin: origin, 'User-Agent': BROWSER_UA } });
    expect(res.status).toBe(202);
  }

  it('reports each interval what became of relayed events, each count once', async () => {
    await relay(SHOP, [
      ...Array.from({ length: 5 }, () => relayEvent()),
      ...Array.from({ length: 3 }, () => relayEvent({ event: 'ViewContent' })),
    ]);
    await relay(OTHER_SHOP, Array.from({ length: 2 }, () => relayEvent({ pixel_id: OTHER_PIXEL, event: 'Search', page: { url: `${OTHER_SHOP}/shop?search=desk` } })));
    await until(() => api.delivered.length === 10);
    await until(() => total(odoo.reports, 2, 'Search', 'delivered') === 2 && total(odoo.reports, 1, 'AddToCart', 'delivered') === 5 && total(odoo.reports, 1, 'ViewContent', 'delivered') === 3);
    const seen = odoo.reports.length;
    await until(() => odoo.reports.length >= seen + 2); // later reports add nothing
    const reports = odoo.reports;
    expect([total(reports, 1, 'AddToCart', 'accepted'), total(reports, 1, 'AddToCart', 'delivered')]).toEqual([5, 5]);
    expect([total(reports, 1, 'ViewContent', 'accepted'), total(reports, 1, 'ViewContent', 'delivered')]).toEqual([3, 3]);
    expect([total(reports, 2, 'Search', 'accepted'), total(reports, 2, 'Search', 'delivered')]).toEqual([2, 2]);
    expect(reports.reduce((n, r) => n + r.match_keys.delivered, 0)).toBe(10);
    expect(reports.reduce((n, r) => n + r.match_keys.user_agent, 0)).toBe(10);
    expect(Math.max(...reports.map((r) => r.latency_ms.max))).toBeGreaterThan(0);
    // The catalog match: the relayed events' content id (23), per website and event; Search carries none.
    expect([contentTotal(reports, 1, 'AddToCart', '23'), contentTotal(reports, 1, 'ViewContent', '23')]).toEqual([5, 3]);
    expect(reports.flatMap((r) => r.contents ?? []).every((c) => c.website_id === 1 && c.content_type === 'product')).toBe(true);

    const last = reports.at(-1)!;
    expect(SidecarReportSchema.safeParse(last).success).toBe(true);
    expect(last).toMatchObject({ replica: 'shop-sidecar-1', mode: 'odoo', outbox: { delivered: 10, pending: 0, dead: 0 } });
    expect(last.lanes).toEqual(
      expect.arrayContaining([
        { pixel_id: PIXEL, test: true, state: 'running' },
        { pixel_id: OTHER_PIXEL, test: false, state: 'running' },
      ]),
    );
    expect(JSON.stringify(reports)).not.toMatch(/TEST123|Mozilla|203\.0\.113|search=desk/);
    expect(odoo.calls.find((c) => c.method === 'tiktok_claim_purchases')?.kwargs).toMatchObject({ claimer: 'shop-sidecar-1' });
  });

  it('lists a dead letter; sent again at Odoo\'s request it is delivered with its event id and leaves the list', async () => {
    poisoned.add('poison');
    await relay(OTHER_SHOP, [relayEvent({ pixel_id: OTHER_PIXEL, event_id: 'poison', page: { url: `${OTHER_SHOP}/shop/desk` } })]);
    await until(() => odoo.reports.some((r) => r.dead_letters.length === 1));
    const listed = odoo.reports.find((r) => r.dead_letters.length === 1)!.dead_letters[0];
    expect(listed).toMatchObject({ pixel_id: OTHER_PIXEL, event: 'AddToCart', event_id: 'poison', code: 40002, message: expect.stringContaining('content_id is not in the catalog') });
    expect(Object.keys(listed).sort()).toEqual(['code', 'dead_at', 'event', 'event_id', 'event_time', 'id', 'message', 'pixel_id']);

    poisoned.clear(); // the catalog is fixed
    odoo.answerNextReport({ ok: true, send_again: [{ id: listed.id }], test_events: [] });
    await until(() => api.delivered.some((d) => d.row.event_id === 'poison'));
    await until(() => total(odoo.reports, 2, 'AddToCart', 'delivered') === 1);
    const after = odoo.reports.at(-1)!;
    expect(after.dead_letters).toEqual([]);
    expect(after.outbox).toMatchObject({ dead: 0, delivered: 1 });
    expect([total(odoo.reports, 2, 'AddToCart', 'accepted'), total(odoo.reports, 2, 'AddToCart', 'dead')]).toEqual([1, 1]);
    expect(api.delivered.filter((d) => d.row.event_id === 'poison')).toHaveLength(1);
  });

  it('sends one test event with the website\'s test event code and reports TikTok\'s answer; none without a code', async () => {
    odoo.answerNextReport({ ok: true, test_events: [{ request_id: 7, website_id: 1 }, { request_id: 8, website_id: 2 }] });
    await until(() => odoo.reports.flatMap((r) => r.test_events).length === 2);
    const seen = odoo.reports.length;
    await until(() => odoo.reports.length >= seen + 1);
    expect(api.requests).toHaveLength(1);
    expect(api.requests[0]).toMatchObject({ pixelId: PIXEL, testEventCode: 'TEST123', rows: 1, code: 0 });
    expect(api.delivered[0].row).toMatchObject({ event: 'Pageview', event_id: expect.stringMatching(/^test-7-[0-9a-f]{8}$/), page: { url: `${SHOP}/` } });
    const answers = odoo.reports.flatMap((r) => r.test_events);
    expect(answers).toEqual(
      expect.arrayContaining([
        { request_id: 7, code: 0, message: `OK: TikTok accepted the test event (Pageview, event id ${api.delivered[0].row.event_id})` },
        { request_id: 8, message: expect.stringContaining('not sent: website 2 has no test event code') },
      ]),
    );
    expect(answers).toHaveLength(2);
  });

  it('holds the counts while Odoo is down and reports them once when it is back', async () => {
    odoo.breakWith('proxy502');
    await relay(OTHER_SHOP, Array.from({ length: 6 }, () => relayEvent({ pixel_id: OTHER_PIXEL, page: { url: `${OTHER_SHOP}/shop/desk` } })));
    await until(() => api.delivered.length === 6);
    await until(() => sidecar.reporter!.consecutiveFailures >= 2); // two reports lost
    expect(total(odoo.reports, 2, 'AddToCart', 'accepted')).toBe(0);
    odoo.breakWith('none');
    await until(() => total(odoo.reports, 2, 'AddToCart', 'delivered') === 6, 20_000);
    const seen = odoo.reports.length;
    await until(() => odoo.reports.length >= seen + 1);
    expect([total(odoo.reports, 2, 'AddToCart', 'accepted'), total(odoo.reports, 2, 'AddToCart', 'delivered')]).toEqual([6, 6]);
  }, 40_000);
});

describe('the report over XML-RPC', () => {
  it('carries the same report and reads the same answer', async () => {
    const api = await startFakeEventsApi({ tokens: { [PIXEL]: TOKEN, [OTHER_PIXEL]: TOKEN } });
    const odoo = await startFakeOdoo({ withModule: true, apiKey: API_KEY, websites: WEBSITES });
    const { sidecar, relayUrl } = await startSidecar(odoo, api, 'xmlrpc');
    try {
      await axios.post(relayUrl, JSON.stringify([relayEvent(), relayEvent()]), { headers: { 'Content-Type': 'text/plain', Origin: SHOP, 'User-Agent': BROWSER_UA } });
      odoo.answerNextReport({ ok: true, send_again: [], test_events: [{ request_id: 9, website_id: 1 }] });
      await until(() => total(odoo.reports, 1, 'AddToCart', 'delivered') === 2 && odoo.reports.some((r) => r.test_events.length === 1));
      expect(odoo.calls.filter((c) => c.method === 'tiktok_report').every((c) => c.transport === 'xmlrpc')).toBe(true);
      expect(odoo.reports.flatMap((r) => r.test_events)).toEqual([{ request_id: 9, code: 0, message: expect.stringMatching(/^OK: /) }]);
      expect(SidecarReportSchema.safeParse(odoo.reports.at(-1)).success).toBe(true);
      expect(total(odoo.reports, 1, 'AddToCart', 'accepted')).toBe(2);
      expect(contentTotal(odoo.reports, 1, 'AddToCart', '23')).toBe(2);
    } finally {
      await sidecar.stop();
      await odoo.close();
      await api.close();
    }
  });
});

describe('the report beside the purchase poll', () => {
  it('goes every interval while the purchase claim fails', async () => {
    const odoo = new FakeOdooPurchases();
    odoo.failing.add('tiktok_claim_purchases');
    const cfg = loadConfig({ ...FAST, OUTBOX_PATH: ':memory:', RELAY_PORT: '0', LOG_LEVEL: 'silent' });
    const sidecar = createSidecar(cfg, {
      log: pino({ level: 'silent' }),
      metrics: new Metrics(),
      outbox: new SqliteOutbox(':memory:'),
      settings: new StaticSettings([website()]),
      odoo: () => Promise.resolve(odoo.transport()),
    });
    await sidecar.start();
    try {
      await until(() => odoo.reports.length >= 4, 10_000);
      const claims = odoo.calls.filter((c) => c.method === 'tiktok_claim_purchases').length;
      // The poll backs off (1 s, 2 s, 4 s…); the report keeps its interval.
      expect(claims).toBeLessThan(odoo.reports.length);
    } finally {
      await sidecar.stop();
    }
  });

  it('on stop, sends a last report with what the drain delivered, before the outbox closes', async () => {
    const odoo = new FakeOdooPurchases();
    let sent!: () => void;
    const sending = new Promise<void>((resolve) => (sent = resolve));
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    const client: EventsApiClient = {
      async send() {
        sent();
        await answered;
        return { kind: 'delivered' };
      },
    };
    const cfg = loadConfig({ ...FAST, POLL_INTERVAL_SECONDS: '3600', OUTBOX_PATH: ':memory:', RELAY_PORT: '0', LOG_LEVEL: 'silent' });
    const sidecar = createSidecar(cfg, {
      log: pino({ level: 'silent' }),
      metrics: new Metrics(),
      outbox: new SqliteOutbox(':memory:'),
      settings: new StaticSettings([website()]),
      client,
      odoo: () => Promise.resolve(odoo.transport()),
    });
    const relayUrl = `http://127.0.0.1:${await sidecar.start()}/tiktok/relay`;
    await axios.post(relayUrl, JSON.stringify([relayEvent()]), { headers: { 'Content-Type': 'text/plain', Origin: SHOP, 'User-Agent': BROWSER_UA } });
    await sending;
    const before = odoo.reports.length;
    const stopped = sidecar.stop();
    answer();
    await stopped;
    expect(odoo.reports.length).toBe(before + 1);
    expect(total(odoo.reports, 1, 'AddToCart', 'delivered')).toBe(1);
  });

  it('is not made in relay-only mode', () => {
    expect(testSidecar().reporter).toBeUndefined();
  });
});
