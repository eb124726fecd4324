import axios from 'axios';
import { HttpEventsApiClient } from '../../sidecar/src/tiktok/client';
import { startFakeEventsApi, type FakeEventsApi } from '../support/fakeEventsApi';
import { BROWSER_UA, PIXEL, relayEvent, SHOP, testSidecar, website } from '../helpers/sidecar';
import { VECTORS } from '../vectors/contractVectors';
import { until } from '../helpers/until';

const TOKEN = 'test-access-token-0001';
const FAST = { DISPATCH_LINGER_MS: '30', RETRY_BASE_MS: '20', RETRY_MAX_MS: '200', LANE_PAUSE_BASE_MS: '60000', TIKTOK_TIMEOUT_MS: '500' };


describe('relay → outbox → Events API (fake), over real HTTP', () => {
  let api: FakeEventsApi;
  let sidecar: ReturnType<typeof testSidecar>;
  let relayUrl: string;

  async function start(opts: { env?: Record<string, string>; websites?: ReturnType<typeof website>[] } = {}) {
    sidecar = testSidecar({
      env: { ...FAST, ...opts.env },
      websites: opts.websites,
      client: new HttpEventsApiClient({ baseUrl: api.baseUrl, timeoutMs: Number(opts.env?.TIKTOK_TIMEOUT_MS ?? FAST.TIKTOK_TIMEOUT_MS) }),
    });
    const port = await sidecar.start();
    relayUrl = `http://127.0.0.1:${port}/tiktok/relay`;
  }

  async function relay(events: unknown[]): Promise<void> {
    for (let i = 0; i < events.length; i += 20) {
      const res = await axios.post(relayUrl, JSON.stringify(events.slice(i, i + 20)), {
        headers: { 'Content-Type': 'text/plain', Origin: SHOP, 'User-Agent': BROWSER_UA },
      });
      expect(res.status).toBe(202);
    }
  }

  const deliveredIds = () => api.delivered.map((d) => d.row.event_id as string);

  beforeEach(async () => {
    api = await startFakeEventsApi({ tokens: { [PIXEL]: TOKEN }, slowMs: 1500 });
  });
  afterEach(async () => {
    await sidecar?.stop();
    await api.close();
  });

  it('delivers every relayed event once, in batches, with the browser\'s event_id', async () => {
    await start();
    const events = Array.from({ length: 200 }, (_, i) => relayEvent({ event_id: `batch-${i}` }));
    await relay(events);
    await until(() => api.delivered.length === 200);
    expect(new Set(deliveredIds())).toEqual(new Set(events.map((e) => e.event_id)));
    expect(api.requests.length).toBeLessThan(20);
    expect(api.delivered[0]).toMatchObject({ pixelId: PIXEL, row: { event: 'AddToCart', properties: { currency: 'USD', value: 675 } } });
    await until(async () => (await sidecar.outbox.events.counts()).delivered === 200);
  });

  it('names the platform (partner_name) in every request, and passes name, address and limited data use keys the fake accepts', async () => {
    await start({ websites: [website({ matchKeys: 'contact_name_address', limitedDataUse: true })] });
    const { first_name, last_name, zip_code, city, state, country } = VECTORS.partner_identify.contact_name_address;
    const user = { first_name, last_name, zip_code, city, state, country };
    await relay(Array.from({ length: 30 }, (_, i) => relayEvent({ event_id: `partner-${i}`, user })));
    await until(() => api.delivered.length === 30);
    expect(api.requests.length).toBeGreaterThan(0);
    expect(api.requests.every((r) => r.partnerName === 'Odoo')).toBe(true);
    expect(api.delivered.every((d) => d.row.limited_data_use === true)).toBe(true);
    expect(api.delivered[0].row.user).toMatchObject(user);
  });

  it('parks only the row TikTok rejects and delivers the rest of its batch', async () => {
    await api.close();
    api = await startFakeEventsApi({
      tokens: { [PIXEL]: TOKEN },
      rejectEvent: (row) => (row.event_id === 'poison' ? 'Invalid parameter: content_id unknown to the catalog' : undefined),
    });
    await start({ env: { DISPATCH_LINGER_MS: '200' } });
    const events = Array.from({ length: 40 }, (_, i) => relayEvent({ event_id: i === 17 ? 'poison' : `good-${i}` }));
    await relay(events);
    await until(async () => api.delivered.length === 39 && (await sidecar.outbox.events.counts()).dead === 1);
    expect(deliveredIds()).not.toContain('poison');
    expect(await sidecar.outbox.events.deadLetters(10)).toEqual([
      expect.objectContaining({ eventId: 'poison', errorCode: 40002, lastError: expect.stringContaining('content_id unknown') }),
    ]);
    expect(api.requests.filter((r) => r.code === 40002).length).toBeGreaterThan(1);
  });

  it('retries through rate limits, 5xx, dropped connections and timeouts, reusing the event_id', async () => {
    await start();
    api.enqueueFaults('rate_limit', 2);
    api.enqueueFaults('server_error', 1);
    api.enqueueFaults('drop', 1);
    api.enqueueFaults('slow', 1);
    const events = Array.from({ length: 5 }, (_, i) => relayEvent({ event_id: `retry-${i}` }));
    await relay(events);
    await until(async () => (await sidecar.outbox.events.counts()).delivered === 5, 15_000);
    expect(api.requests.filter((r) => r.fault).map((r) => r.fault)).toEqual(['rate_limit', 'rate_limit', 'server_error', 'drop', 'slow']);
    // Every attempt carried the same ids: what TikTok accepted is exactly what the browser sent.
    expect(new Set(deliveredIds())).toEqual(new Set(events.map((e) => e.event_id)));
    expect((await sidecar.outbox.events.counts()).dead).toBe(0);
  });

  it('sends test-event-code traffic one event per request, with the code', async () => {
    await start({ websites: [website({ testEventCode: 'TEST123' })] });
    await relay(Array.from({ length: 3 }, (_, i) => relayEvent({ event_id: `test-${i}` })));
    await until(() => api.delivered.length === 3);
    expect(api.requests.map((r) => [r.rows, r.testEventCode])).toEqual([[1, 'TEST123'], [1, 'TEST123'], [1, 'TEST123']]);
  });

  it('keeps events waiting, not dead, when TikTok refuses the token', async () => {
    await start({ websites: [website({ accessToken: 'wrong-token-000000' })] });
    await relay([relayEvent({ event_id: 'tok-1' })]);
    await until(async () => api.requests.length === 1 && (await sidecar.outbox.events.counts()).pending === 1);
    expect(api.requests[0].code).toBe(40105);
    expect(await sidecar.outbox.events.counts()).toMatchObject({ pending: 1, dead: 0, delivered: 0 });
  });

  it('flushes what is due when stopped', async () => {
    await start({ env: { DISPATCH_LINGER_MS: '60000' } });
    await relay([relayEvent({ event_id: 'flush-1' }), relayEvent({ event_id: 'flush-2' })]);
    expect(api.delivered).toHaveLength(0);
    await sidecar.stop();
    expect(deliveredIds().sort()).toEqual(['flush-1', 'flush-2']);
    sidecar = undefined as never;
  });
});

describe('a corrected token applies without a restart', () => {
  it('resumes a paused pixel as soon as its token changes', async () => {
    const api = await startFakeEventsApi({ tokens: { [PIXEL]: TOKEN } });
    const settings = [website({ accessToken: 'wrong-token-000000' })];
    const sidecar = testSidecar({
      env: { DISPATCH_LINGER_MS: '10', RETRY_BASE_MS: '20', LANE_PAUSE_BASE_MS: '600000', LANE_PAUSE_MAX_MS: '600000' },
      websites: settings,
      client: new HttpEventsApiClient({ baseUrl: api.baseUrl, timeoutMs: 1000 }),
    });
    const port = await sidecar.start();
    try {
      await axios.post(`http://127.0.0.1:${port}/tiktok/relay`, JSON.stringify(relayEvent({ event_id: 'fix-1' })), {
        headers: { 'Content-Type': 'text/plain', Origin: SHOP, 'User-Agent': BROWSER_UA },
      });
      await until(() => api.requests.length === 1);
      settings[0].accessToken = TOKEN; // what a settings refresh from Odoo does
      await until(() => api.delivered.length === 1, 15_000);
      expect(api.delivered[0].row.event_id).toBe('fix-1');
    } finally {
      await sidecar.stop();
      await api.close();
    }
  });
});

describe('events too old for TikTok', () => {
  it('are parked with the reason instead of being sent', async () => {
    const api = await startFakeEventsApi({ tokens: { [PIXEL]: TOKEN } });
    const sidecar = testSidecar({ env: { DISPATCH_LINGER_MS: '10' }, client: new HttpEventsApiClient({ baseUrl: api.baseUrl, timeoutMs: 1000 }) });
    const eightDaysAgo = Math.floor(Date.now() / 1000) - 8 * 86400;
    (await sidecar.outbox.events.enqueue(
      [
        { pixelId: PIXEL, event: 'AddToCart', eventId: 'stale-1', source: 'browser', row: { event: 'AddToCart', event_id: 'stale-1', event_time: eightDaysAgo } },
        { pixelId: PIXEL, event: 'AddToCart', eventId: 'fresh-1', source: 'browser', row: { event: 'AddToCart', event_id: 'fresh-1', event_time: eightDaysAgo + 8 * 86400 } },
      ],
      Date.now(),
    ));
    await sidecar.start();
    try {
      await until(async () => (await sidecar.outbox.events.counts()).dead === 1 && api.delivered.length === 1);
      expect(api.delivered[0].row.event_id).toBe('fresh-1');
      expect((await sidecar.outbox.events.deadLetters(5))[0]).toMatchObject({ eventId: 'stale-1', lastError: expect.stringContaining('older than 7 days') });
    } finally {
      await sidecar.stop();
      await api.close();
    }
  });
});
