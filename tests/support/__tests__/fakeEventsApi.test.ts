import axios, { AxiosResponse } from 'axios';
import { FakeEventsApi, startFakeEventsApi, summarize } from '../fakeEventsApi';
import { VECTORS } from '../../vectors/contractVectors';

const PIXEL = 'C4A1B2C3D4E5F6G7H8I9';
const TOKEN = 'token-abc';
const HASH = 'a'.repeat(40) + '0123456789abcdef01234567';

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

function row(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event: 'AddToCart',
    event_time: nowSeconds() - 60,
    event_id: `evt-${Math.random().toString(36).slice(2)}`,
    user: { email: HASH, phone: [HASH, HASH], external_id: HASH, ttclid: 'E.C.P.x', ttp: 'ttp-1', ip: '203.0.113.7', user_agent: 'Mozilla/5.0' },
    properties: {
      contents: [{ content_id: '23', content_type: 'product', content_name: 'Desk', price: 675, quantity: 1 }],
      content_type: 'product',
      currency: 'USD',
      value: 675,
    },
    page: { url: 'https://shop.example/shop/desk' },
    ...overrides,
  };
}

function body(rows: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { event_source: 'web', event_source_id: PIXEL, data: rows, ...extra };
}

describe('fake TikTok Events API', () => {
  let api: FakeEventsApi;

  async function post(payload: unknown, headers: Record<string, string> = {}): Promise<AxiosResponse> {
    return axios.post(`${api.baseUrl}/v1.3/event/track/`, payload, {
      headers: { 'Access-Token': TOKEN, 'Content-Type': 'application/json', ...headers },
      validateStatus: () => true,
      transformRequest: typeof payload === 'string' ? [(d) => d] : undefined,
    });
  }

  afterEach(async () => {
    await api?.close();
  });

  describe('valid requests', () => {
    beforeEach(async () => {
      api = await startFakeEventsApi({ seed: 7 });
    });

    it('answers code 0 and records each row with its pixel and test event code', async () => {
      const rows = [row(), row({ event: 'Pageview', properties: undefined }), row({ event: 'CompletePayment' })];
      const res = await post(body(rows, { test_event_code: 'TEST123' }));
      expect(res.status).toBe(200);
      expect(res.data).toMatchObject({ code: 0, message: 'OK', data: {} });
      expect(res.data.request_id).toMatch(/^\d{14}[0-9A-F]{20}$/);
      expect(api.delivered.map((d) => d.row.event_id)).toEqual(rows.map((r) => r.event_id));
      expect(api.delivered.every((d) => d.pixelId === PIXEL && d.testEventCode === 'TEST123')).toBe(true);
      expect(api.requests).toHaveLength(1);
      expect(api.requests[0]).toMatchObject({ pixelId: PIXEL, testEventCode: 'TEST123', rows: 3, status: 200, code: 0 });
      expect(api.requests[0].size).toBe(Buffer.byteLength(JSON.stringify(body(rows, { test_event_code: 'TEST123' }))));
    });

    it('accepts the name and address keys (hashed names and postal code, plain places), partner_name and limited_data_use', async () => {
      const keys = VECTORS.partner_identify.contact_name_address;
      const user = { first_name: keys.first_name, last_name: keys.last_name, zip_code: keys.zip_code, city: keys.city, state: keys.state, country: keys.country };
      const res = await post(body([row({ user, limited_data_use: true })], { partner_name: 'Odoo' }));
      expect(res.data).toMatchObject({ code: 0 });
      expect(api.delivered[0].row).toMatchObject({ user, limited_data_use: true });
      expect(api.requests[0].partnerName).toBe('Odoo');
    });

    it('accepts a full batch of 1,000 rows and the legacy and sunsetting event names', async () => {
      const names = ['Lead', 'PlaceAnOrder', 'ClickButton', 'SubmitForm', 'Purchase'];
      const rows = Array.from({ length: 1000 }, (_, i) => row({ event: names[i % names.length], event_id: `e-${i}` }));
      const res = await post(body(rows));
      expect(res.data.code).toBe(0);
      expect(api.delivered).toHaveLength(1000);
    });

    it('accepts CRM lead stages and offline sales with their own rules, and records their source', async () => {
      const lead = row({ event: 'Converted', user: { phone: HASH }, properties: undefined, page: undefined, lead: { lead_id: '74', lead_event_source: 'Odoo' } });
      const byLeadIdOnly = row({ event: 'Raw', user: undefined, properties: undefined, page: undefined, lead: { lead_id: '75', lead_event_source: 'Odoo' } });
      expect((await post(body([lead, byLeadIdOnly], { event_source: 'crm', event_source_id: '7300000000000000001' }))).data.code).toBe(0);
      const sale = row({ event: 'Purchase', event_time: nowSeconds() - 20 * 86400, user: { external_id: HASH }, page: undefined, properties: { value: 5, currency: 'EUR', shop_id: '3' } });
      expect((await post(body([sale], { event_source: 'offline', event_source_id: '7400000000000000001' }))).data.code).toBe(0);
      expect(api.delivered.map((d) => [d.eventSource, d.pixelId, d.row.event])).toEqual([
        ['crm', '7300000000000000001', 'Converted'],
        ['crm', '7300000000000000001', 'Raw'],
        ['offline', '7400000000000000001', 'Purchase'],
      ]);
    });

    it('counts duplicates by (pixel, event, event_id) in the summary', async () => {
      const r = row({ event_id: 'same' });
      await post(body([r]));
      await post(body([r, row({ event_id: 'other' })]));
      expect(summarize(api)).toMatchObject({ requests: 2, succeeded: 2, deliveredRows: 3, uniqueEvents: 2, duplicateRows: 1, rowsPerAcceptedRequest: 1.5 });
    });
  });

  describe('validation rejects the whole batch with 40002 and records nothing', () => {
    beforeEach(async () => {
      api = await startFakeEventsApi({ seed: 7 });
    });

    const cases: Array<[string, () => unknown, RegExp]> = [
      ['a string value', () => body([row(), row(), row(), row({ properties: { value: '675.00', currency: 'USD' } })]), /^Invalid parameter: data\[3\]\.properties\.value must be a number/],
      ['an unknown event_source', () => body([row()], { event_source: 'app' }), /event_source must be one of "web", "crm", "offline"/],
      ['an empty event_source_id', () => body([row()], { event_source_id: '' }), /event_source_id/],
      ['a non-string test_event_code', () => body([row()], { test_event_code: 42 }), /test_event_code/],
      ['data that is not an array', () => ({ event_source: 'web', event_source_id: PIXEL, data: row() }), /data must be an array/],
      ['an empty batch', () => body([]), /at least 1 event/],
      ['more than 1,000 rows', () => body(Array.from({ length: 1001 }, () => row())), /at most 1000 events/],
      ['an unknown event name', () => body([row({ event: 'PageView' })]), /data\[0\]\.event "PageView" is not a supported event/],
      ['a missing event_time', () => body([row({ event_time: undefined })]), /data\[0\]\.event_time is required/],
      ['event_time as a string', () => body([row({ event_time: String(nowSeconds()) })]), /event_time must be an integer/],
      ['event_time with a fraction', () => body([row({ event_time: nowSeconds() + 0.5 })]), /event_time must be an integer/],
      ['event_time in milliseconds', () => body([row({ event_time: Date.now() })]), /seconds, not milliseconds/],
      ['event_time ten minutes ahead', () => body([row({ event_time: nowSeconds() + 600 })]), /event_time is in the future/],
      ['event_time eight days old', () => body([row({ event_time: nowSeconds() - 8 * 86400 })]), /older than 7 days/],
      ['a missing event_id', () => body([row({ event_id: undefined })]), /event_id is required/],
      ['a numeric event_id', () => body([row({ event_id: 42 })]), /event_id must be a non-empty string/],
      ['a plain email', () => body([row({ user: { email: 'jane@example.com' } })]), /user\.email must be a lowercase SHA-256/],
      ['an upper-case hash', () => body([row({ user: { external_id: HASH.toUpperCase() } })]), /user\.external_id/],
      ['a bad hash inside an array', () => body([row({ user: { phone: [HASH, '+15551234567'] } })]), /user\.phone\[1\]/],
      ['a numeric ip', () => body([row({ user: { ip: 2130706433 } })]), /user\.ip must be a string/],
      ['a lower-case currency', () => body([row({ properties: { value: 1, currency: 'usd' } })]), /currency must be an ISO 4217/],
      ['a numeric content_id', () => body([row({ properties: { contents: [{ content_id: 23 }] } })]), /contents\[0\]\.content_id must be a non-empty string/],
      ['a string price', () => body([row({ properties: { contents: [{ content_id: '23', price: '675' }] } })]), /contents\[0\]\.price must be a number/],
      ['a string quantity', () => body([row({ properties: { contents: [{ content_id: '23', quantity: '1' }] } })]), /contents\[0\]\.quantity must be a number/],
      ['contents that is not an array', () => body([row({ properties: { contents: { content_id: '23' } } })]), /contents must be an array/],
      ['a plain first_name', () => body([row({ user: { first_name: 'john' } })]), /user\.first_name must be a lowercase SHA-256/],
      ['a plain last_name', () => body([row({ user: { last_name: 'Doe' } })]), /user\.last_name must be a lowercase SHA-256/],
      ['a plain zip_code', () => body([row({ user: { zip_code: '75001' } })]), /user\.zip_code must be a lowercase SHA-256/],
      ['a hashed city', () => body([row({ user: { city: HASH } })]), /user\.city must be plain text, not hashed/],
      ['a city with spaces and capitals', () => body([row({ user: { city: 'New York' } })]), /user\.city must be lower-case letters and digits only/],
      ['a numeric country', () => body([row({ user: { country: 32 } })]), /user\.country must be a string/],
      ['a state with punctuation', () => body([row({ user: { state: 'île-de-france' } })]), /user\.state must be lower-case letters and digits only/],
      ['an empty partner_name', () => body([row()], { partner_name: '' }), /partner_name must be a non-empty string/],
      ['a non-boolean limited_data_use', () => body([row({ limited_data_use: 'false' })]), /limited_data_use must be a boolean/],
    ];

    const crmRow = (overrides: Record<string, unknown> = {}) =>
      row({ event: 'Qualified', user: { email: HASH }, properties: undefined, page: undefined, ...overrides });
    const crm = (rows: unknown[]) => body(rows, { event_source: 'crm', event_source_id: '7300000000000000001' });
    const offlineRow = (overrides: Record<string, unknown> = {}) =>
      row({ event: 'Purchase', user: { phone: HASH }, page: undefined, properties: { value: 5, currency: 'EUR', shop_id: '3' }, ...overrides });
    const offline = (rows: unknown[]) => body(rows, { event_source: 'offline', event_source_id: '7400000000000000001' });
    cases.push(
      ['a web event name in a CRM Event Set', () => crm([crmRow({ event: 'Purchase' })]), /data\[0\]\.event "Purchase" is not a supported event of a CRM Event Set/],
      ['a CRM event naming nobody', () => crm([crmRow({ user: { ip: '203.0.113.7' } })]), /data\[0\] must identify the lead/],
      ['a lead without its id', () => crm([crmRow({ lead: { lead_event_source: 'Odoo' } })]), /data\[0\]\.lead\.lead_id must be a non-empty string/],
      ['a lead without its source', () => crm([crmRow({ lead: { lead_id: '74' } })]), /data\[0\]\.lead\.lead_event_source must be a non-empty string/],
      ['an unknown key in lead', () => crm([crmRow({ lead: { lead_id: '74', lead_event_source: 'Odoo', stage: 'x' } })]), /lead\.stage is not a field of lead/],
      ['a lead on a web event', () => body([row({ lead: { lead_id: '74', lead_event_source: 'Odoo' } })]), /data\[0\]\.lead is only accepted with event_source "crm"/],
      ['an offline sale naming nobody', () => offline([offlineRow({ user: { ip: '203.0.113.7' } })]), /data\[0\]\.user must carry at least one of email, phone, external_id/],
      ['an offline sale without its shop', () => offline([offlineRow({ properties: { value: 5, currency: 'EUR' } })]), /properties\.shop_id must be a non-empty string/],
      ['an offline sale 29 days old', () => offline([offlineRow({ event_time: nowSeconds() - 29 * 86400 })]), /older than 28 days/],
      ['a CRM event eight days old', () => crm([crmRow({ event_time: nowSeconds() - 8 * 86400 })]), /older than 7 days/],
    );

    it.each(cases)('refuses %s', async (_label, makeBody, message) => {
      const res = await post(makeBody());
      expect(res.status).toBe(200);
      expect(res.data.code).toBe(40002);
      expect(res.data.message).toMatch(message);
      expect(typeof res.data.request_id).toBe('string');
      expect(api.delivered).toHaveLength(0);
      expect(api.requests[0]).toMatchObject({ status: 200, code: 40002 });
    });

    it('answers 40000 to a body that is not JSON or not declared as JSON', async () => {
      const notJson = await post('{"event_source":', {});
      expect(notJson.data).toMatchObject({ code: 40000, message: expect.stringMatching(/not valid JSON/) });
      const textPlain = await post(JSON.stringify(body([row()])), { 'Content-Type': 'text/plain' });
      expect(textPlain.data).toMatchObject({ code: 40000, message: expect.stringMatching(/Content-Type/) });
      expect(api.delivered).toHaveLength(0);
    });

    it('answers 40105 without an Access-Token header', async () => {
      const res = await axios.post(`${api.baseUrl}/v1.3/event/track/`, body([row()]), { validateStatus: () => true });
      expect(res.data).toMatchObject({ code: 40105, message: 'Access token is missing.' });
      expect(api.delivered).toHaveLength(0);
    });

    it('serves only the exact v1.3 track path with POST; another path gets an HTML 404 page', async () => {
      const noSlash = await axios.post(`${api.baseUrl}/v1.3/event/track`, body([row()]), { headers: { 'Access-Token': TOKEN }, validateStatus: () => true });
      expect(noSlash.status).toBe(404);
      expect(String(noSlash.headers['content-type'])).toMatch(/text\/html/);
      expect(noSlash.data).toMatch(/<title>404 Not Found<\/title>/);
      const get = await axios.get(`${api.baseUrl}/v1.3/event/track/`, { validateStatus: () => true });
      expect(get.status).toBe(405);
      expect(api.delivered).toHaveLength(0);
    });
  });

  describe('options', () => {
    it('checks tokens per pixel when a token map is given', async () => {
      api = await startFakeEventsApi({ tokens: { [PIXEL]: TOKEN } });
      expect((await post(body([row()]), { 'Access-Token': 'stolen' })).data.code).toBe(40105);
      expect((await post(body([row()], { event_source_id: 'OTHERPIXEL' }))).data.code).toBe(40001);
      expect((await post(body([row()]))).data.code).toBe(0);
      expect(api.delivered).toHaveLength(1);
    });

    it('rejects the whole batch naming the row a rejectEvent hook refuses', async () => {
      api = await startFakeEventsApi({ rejectEvent: (r) => (r.event_id === 'poison' ? 'event_id is blocked' : undefined) });
      const res = await post(body([row(), row({ event_id: 'poison' }), row()]));
      expect(res.data).toMatchObject({ code: 40002, message: 'Invalid parameter: data[1]: event_id is blocked' });
      expect(api.delivered).toHaveLength(0);
      expect((await post(body([row(), row()]))).data.code).toBe(0);
      expect(api.delivered).toHaveLength(2);
    });

    it("answers refused rows per event with 20001 in rejectMode 'partial', accepting the others", async () => {
      api = await startFakeEventsApi({ rejectMode: 'partial', rejectEvent: (r) => (r.event_id === 'poison' ? 'event_id is blocked' : undefined) });
      const rows = [row(), row({ event_id: 'poison' }), row(), row({ properties: { value: '1' } })];
      const res = await post(body(rows));
      expect(res.data).toMatchObject({
        code: 20001,
        data: {
          failed_events: [
            { index: 1, event_id: 'poison', code: 40002, message: 'Invalid parameter: data[1]: event_id is blocked' },
            { index: 3, event_id: rows[3].event_id, code: 40002, message: expect.stringContaining('data[3].properties.value must be a number') },
          ],
        },
      });
      expect(api.delivered.map((d) => d.row.event_id)).toEqual([rows[0].event_id, rows[2].event_id]);
      // The envelope is still checked as a whole; a clean batch is plain success.
      expect((await post(body([row()], { event_source: 'app' }))).data.code).toBe(40002);
      expect((await post(body([row()]))).data).toMatchObject({ code: 0, data: {} });
    });

    it("keeps only event, event_id and event_time of delivered rows with retainRows 'ids'", async () => {
      api = await startFakeEventsApi({ retainRows: 'ids' });
      const r = row();
      await post(body([r]));
      expect(api.delivered[0].row).toEqual({ event: r.event, event_id: r.event_id, event_time: r.event_time });
    });

    it('honours maxEventAgeDays', async () => {
      api = await startFakeEventsApi({ maxEventAgeDays: 28 });
      expect((await post(body([row({ event_time: nowSeconds() - 20 * 86400 })]))).data.code).toBe(0);
      expect((await post(body([row({ event_time: nowSeconds() - 29 * 86400 })]))).data.message).toMatch(/older than 28 days/);
    });
  });

  describe('fault injection', () => {
    it.each([
      ['rate_limit', 40100],
      ['invalid_param', 40002],
      ['bad_token', 40105],
      ['token_expired', 40104],
      ['busy', 40700],
    ] as const)('answers HTTP 200 with the code of %s and delivers nothing', async (kind, code) => {
      api = await startFakeEventsApi();
      api.enqueueFaults(kind);
      const res = await post(body([row()]));
      expect(res.status).toBe(200);
      expect(res.data.code).toBe(code);
      expect(api.delivered).toHaveLength(0);
      expect(api.requests[0]).toMatchObject({ fault: kind, code, rows: 1, pixelId: PIXEL });
      // Only the enqueued request fails: the next identical one goes through.
      expect((await post(body([row()]))).data.code).toBe(0);
      expect(api.delivered).toHaveLength(1);
    });

    it('answers server_error with a 5xx status and a non-JSON body', async () => {
      api = await startFakeEventsApi({ seed: 3 });
      api.enqueueFaults('server_error', 6);
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await post(body([row()]));
        statuses.push(res.status);
        expect(String(res.headers['content-type'])).toMatch(/text\/html/);
      }
      expect(statuses.every((s) => [500, 502, 503].includes(s))).toBe(true);
      expect(api.delivered).toHaveLength(0);
      expect(api.requests.every((r) => r.fault === 'server_error' && r.code === undefined)).toBe(true);
    });

    it.each([
      ['not_found_html', 404, /<title>404 Not Found<\/title>/],
      ['too_large_html', 413, /<title>413 Request Entity Too Large<\/title>/],
    ] as const)('answers %s with HTTP %s and an HTML page, and delivers nothing', async (kind, status, page) => {
      api = await startFakeEventsApi();
      api.enqueueFaults(kind);
      const res = await post(body([row()]));
      expect(res.status).toBe(status);
      expect(String(res.headers['content-type'])).toMatch(/text\/html/);
      expect(res.data).toMatch(page);
      expect(api.delivered).toHaveLength(0);
      expect(api.requests[0]).toMatchObject({ fault: kind, status, code: undefined });
      expect(summarize(api).answers).toEqual({ [`http_${status}`]: 1 });
    });

    it('answers partial_failure with 20001 naming data[0] in data.failed_events and accepts the other rows', async () => {
      api = await startFakeEventsApi();
      api.enqueueFaults('partial_failure', 2);
      const rows = [row(), row(), row()];
      const res = await post(body(rows));
      expect(res.status).toBe(200);
      expect(res.data).toMatchObject({
        code: 20001,
        message: 'Partial success: 1 of 3 events failed.',
        data: { failed_events: [{ index: 0, event_id: rows[0].event_id, code: 40002, message: expect.stringMatching(/^Invalid parameter/) }] },
      });
      expect(api.delivered.map((d) => d.row.event_id)).toEqual([rows[1].event_id, rows[2].event_id]);
      // Only a request TikTok would accept can partly succeed: a bad one is refused whole.
      const bad = await post(body([row({ event_id: 42 })]));
      expect(bad.data.code).toBe(40002);
      expect(api.delivered).toHaveLength(2);
    });

    it('answers every request with a sticky fault, after queued ones, until it is cleared', async () => {
      api = await startFakeEventsApi({ stickyFault: 'invalid_param' });
      api.enqueueFaults('rate_limit');
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push((await post(body([row(), row()]))).data);
      expect(answers.map((a) => a.code)).toEqual([40100, 40002, 40002, 40002]);
      expect(new Set(answers.slice(1).map((a) => a.message)).size).toBe(1);
      api.setStickyFault();
      expect((await post(body([row()]))).data.code).toBe(0);
      api.setStickyFault('token_expired');
      expect((await post(body([row()]))).data.code).toBe(40104);
      api.reset();
      expect((await post(body([row()]))).data.code).toBe(40002);
      expect(() => api.setStickyFault('teapot' as never)).toThrow(/unknown fault kind: teapot/);
      await expect(startFakeEventsApi({ stickyFault: 'teapot' as never })).rejects.toThrow(/unknown fault kind/);
    });

    it('answers 413 with an HTML page to bodies above maxRows, before any fault', async () => {
      api = await startFakeEventsApi({ maxRows: 3 });
      api.enqueueFaults('rate_limit');
      const tooMany = await post(body([row(), row(), row(), row()]));
      expect(tooMany.status).toBe(413);
      expect(tooMany.data).toMatch(/413 Request Entity Too Large/);
      expect(api.requests[0]).toMatchObject({ status: 413, rows: 4 });
      expect(api.requests[0].fault).toBeUndefined();
      expect((await post(body([row(), row(), row()]))).data.code).toBe(40100);
      expect((await post(body([row(), row(), row()]))).data.code).toBe(0);
      api.setMaxRows(undefined);
      expect((await post(body([row(), row(), row(), row()]))).data.code).toBe(0);
      expect(api.delivered).toHaveLength(7);
      expect(() => api.setMaxRows(0)).toThrow(/maxRows must be a whole number/);
    });

    it('answers slow requests after slowMs and still accepts them', async () => {
      api = await startFakeEventsApi({ slowMs: 300 });
      api.enqueueFaults('slow');
      const started = Date.now();
      const res = await post(body([row()]));
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(res.data.code).toBe(0);
      expect(api.delivered).toHaveLength(1);
      expect(api.requests[0]).toMatchObject({ status: 200, code: 0, answeredAt: expect.any(Number) });
      expect(api.requests[0].clientGone).toBeUndefined();
    });

    it('lets a client time out on a slow answer, and records no delivery for it', async () => {
      api = await startFakeEventsApi({ slowMs: 400 });
      api.enqueueFaults('slow');
      await expect(
        axios.post(`${api.baseUrl}/v1.3/event/track/`, body([row()]), { headers: { 'Access-Token': TOKEN }, timeout: 100 }),
      ).rejects.toMatchObject({ code: 'ECONNABORTED' });
      // While the answer is pending the request is recorded, unanswered.
      expect(api.requests[0]).toMatchObject({ fault: 'slow', status: 0 });
      expect(api.requests[0].answeredAt).toBeUndefined();
      await new Promise((r) => setTimeout(r, 600));
      expect(api.requests[0]).toMatchObject({ fault: 'slow', status: 0, clientGone: true, message: 'client went away before the answer' });
      expect(api.requests[0].answeredAt).toBeUndefined();
      expect(api.delivered).toHaveLength(0);
      expect(summarize(api)).toMatchObject({ succeeded: 0, deliveredRows: 0, answers: { client_gone: 1 } });
    });

    it('records a client that hung up when its socket closes, long before the held answer was due', async () => {
      api = await startFakeEventsApi({ slowMs: 120_000 });
      api.enqueueFaults('slow');
      await expect(
        axios.post(`${api.baseUrl}/v1.3/event/track/`, body([row()]), { headers: { 'Access-Token': TOKEN }, timeout: 100 }),
      ).rejects.toMatchObject({ code: 'ECONNABORTED' });
      // Without the close listener this would stay unset for two minutes.
      for (let i = 0; i < 500 && !api.requests[0].clientGone; i++) await new Promise((r) => setTimeout(r, 10));
      expect(api.requests[0]).toMatchObject({ fault: 'slow', status: 0, clientGone: true });
      expect(api.requests[0].answeredAt).toBeUndefined();
      expect(api.delivered).toHaveLength(0);
    });

    it('drops the connection without an answer', async () => {
      api = await startFakeEventsApi();
      api.enqueueFaults('drop');
      await expect(post(body([row()]))).rejects.toMatchObject({ code: expect.stringMatching(/ECONNRESET|ERR_BAD_RESPONSE|EPIPE/) });
      expect(api.requests[0]).toMatchObject({ fault: 'drop', status: 0 });
      expect(api.delivered).toHaveLength(0);
    });

    it('serves enqueued faults before random ones, in order', async () => {
      api = await startFakeEventsApi({ faultRate: 1, faultKinds: ['rate_limit'] });
      api.enqueueFaults('bad_token');
      api.enqueueFaults('invalid_param');
      const codes = [];
      for (let i = 0; i < 3; i++) codes.push((await post(body([row()]))).data.code);
      expect(codes).toEqual([40105, 40002, 40100]);
    });

    it('fails about faultRate of requests, reproducibly for a seed', async () => {
      const runFaults = async (seed: number): Promise<Array<string | undefined>> => {
        api = await startFakeEventsApi({ seed, faultRate: 0.3, faultKinds: ['rate_limit', 'invalid_param', 'bad_token'] });
        for (let i = 0; i < 200; i++) await post(body([row()]));
        const faults = api.requests.map((r) => r.fault);
        await api.close();
        return faults;
      };
      const first = await runFaults(42);
      const again = await runFaults(42);
      const other = await runFaults(43);
      expect(again).toEqual(first);
      expect(other).not.toEqual(first);
      const failed = first.filter(Boolean).length;
      expect(failed).toBeGreaterThan(30);
      expect(failed).toBeLessThan(90);
      expect(new Set(first.filter(Boolean))).toEqual(new Set(['rate_limit', 'invalid_param', 'bad_token']));
      api = await startFakeEventsApi();
    });

    it('turns random faults on and off at run time, and reset restores the start state', async () => {
      api = await startFakeEventsApi();
      api.setFaultRate(1, ['rate_limit']);
      expect((await post(body([row()]))).data.code).toBe(40100);
      api.setFaultRate(0);
      expect((await post(body([row()]))).data.code).toBe(0);
      api.setFaultRate(1, ['bad_token']);
      api.enqueueFaults('rate_limit', 3);
      api.reset();
      expect(api.requests).toHaveLength(0);
      expect(api.delivered).toHaveLength(0);
      expect((await post(body([row()]))).data.code).toBe(0);
      expect(() => api.enqueueFaults('nonsense' as never)).toThrow(/unknown fault kind/);
    });
  });

  describe('control routes', () => {
    it('reports stats and steers faults over HTTP for an out-of-process fake', async () => {
      api = await startFakeEventsApi();
      const control = api.baseUrl.replace(/\/open_api$/, '/_fake');
      await axios.post(`${control}/faults`, { kind: 'rate_limit', count: 1 });
      expect((await post(body([row()]))).data.code).toBe(40100);
      expect((await post(body([row(), row()]))).data.code).toBe(0);
      const stats = (await axios.get(`${control}/stats`)).data;
      expect(stats).toMatchObject({ requests: 2, succeeded: 1, deliveredRows: 2, faults: { rate_limit: 1 }, answers: { '0': 1, '40100': 1 } });
      const page = (await axios.get(`${control}/delivered?offset=1`)).data;
      expect(page.total).toBe(2);
      expect(page.events).toHaveLength(1);
      await axios.post(`${control}/reset`);
      expect(api.requests).toHaveLength(0);
    });

    it('sets and clears a sticky fault and a row limit over HTTP', async () => {
      api = await startFakeEventsApi();
      const control = api.baseUrl.replace(/\/open_api$/, '/_fake');
      expect((await axios.post(`${control}/faults`, { sticky: 'not_found_html', maxRows: 2 })).data).toMatchObject({ sticky: 'not_found_html', maxRows: 2 });
      expect((await post(body([row(), row(), row()]))).status).toBe(413);
      expect((await post(body([row()]))).status).toBe(404);
      expect((await axios.post(`${control}/faults`, { sticky: null, maxRows: null })).data).toMatchObject({ sticky: null, maxRows: null });
      expect((await post(body([row(), row(), row()]))).data.code).toBe(0);
      const refused = await axios.post(`${control}/faults`, { sticky: 'teapot' }, { validateStatus: () => true });
      expect(refused.status).toBe(400);
    });
  });
});
