import type Database from 'better-sqlite3';
import net from 'node:net';
import pino from 'pino';
import request from 'supertest';
import { loadConfig } from '../../config';
import { Metrics } from '../../metrics';
import { SqliteOutbox } from '../../outbox/outbox';
import { PurchasePoller } from '../../poller/purchasePoller';
import { createSidecar } from '../../server';
import { StaticSettings } from '../../settings/static';
import type { TikTokEventRow } from '../../tiktok/types';
import { FakeOdooPurchases } from '../../poller/__tests__/fakeOdooPurchases';
import { BROWSER_UA, PIXEL, relayEvent, SHOP, testSidecar, website } from '../../../../tests/helpers/sidecar';
import { VECTORS } from '../../../../tests/vectors/contractVectors';
import { NAME_ADDRESS_KEYS } from '../../contract/constants';

const HASH = 'b'.repeat(64);
/** A _ttp cookie value as TikTok sets it. */
const TTP = '2Ab3cD4eF5gH6iJ7kL8mN9oP0q';

function post(app: Parameters<typeof request>[0], body: unknown, headers: Record<string, string> = {}) {
  const req = request(app)
    .post('/tiktok/relay')
    .set('User-Agent', BROWSER_UA)
    .set('Origin', SHOP)
    .set('Content-Type', 'application/json');
  for (const [k, v] of Object.entries(headers)) req.set(k, v);
  return req.send(typeof body === 'string' ? body : JSON.stringify(body));
}

/** Every stored event, claimed, with its row parsed. */
function storedRows(sidecar: ReturnType<typeof testSidecar>) {
  const { events } = sidecar.file;
  return events
    .dueLanes(Date.now() + 1e9)
    .flatMap((lane) => events.claim(lane, Date.now() + 1e9, 1000))
    .map((e) => ({ ...e, row: JSON.parse(e.payload) as TikTokEventRow }));
}

describe('relay: accepting', () => {
  it('stores a JSON event with ip and user agent added, and answers 202', async () => {
    const sidecar = testSidecar();
    const res = await post(sidecar.handler, relayEvent({ event_id: 'e-1', user: { email: HASH, ttclid: 'E.C.P.abc', ttp: TTP } }));
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ accepted: 1, duplicates: 0, skipped: 0 });
    const [row] = storedRows(sidecar);
    expect(row.pixelId).toBe(PIXEL);
    expect(row.row).toMatchObject({
      event: 'AddToCart',
      event_id: 'e-1',
      user: { email: HASH, ttclid: 'E.C.P.abc', ttp: TTP, user_agent: BROWSER_UA },
      properties: { value: 675, currency: 'USD' },
      page: { url: `${SHOP}/shop/desk` },
    });
    expect(row.row.user?.ip).toMatch(/127\.0\.0\.1|::1/);
  });

  it('accepts sendBeacon bodies (text/plain) and lists of events', async () => {
    const sidecar = testSidecar();
    const res = await post(sidecar.handler, [relayEvent(), relayEvent({ event: 'ViewContent' })], { 'Content-Type': 'text/plain;charset=UTF-8' });
    expect(res.status).toBe(202);
    expect(res.body.accepted).toBe(2);
  });

  it('absorbs a repeated event_id', async () => {
    const sidecar = testSidecar();
    await post(sidecar.handler, relayEvent({ event_id: 'same' }));
    const res = await post(sidecar.handler, relayEvent({ event_id: 'same' }));
    expect(res.body).toEqual({ accepted: 0, duplicates: 1, skipped: 0 });
    expect(storedRows(sidecar)).toHaveLength(1);
  });

  it('sends the pixel\'s event-name variants (SubmitForm as Lead, PageView as Pageview)', async () => {
    const sidecar = testSidecar({ websites: [website({ eventNames: { Purchase: 'CompletePayment', SubmitForm: 'Lead' } })] });
    await post(sidecar.handler, [relayEvent({ event: 'SubmitForm', properties: undefined }), relayEvent({ event: 'PageView', properties: undefined })]);
    expect(storedRows(sidecar).map((r) => r.event).sort()).toEqual(['Lead', 'Pageview']);
  });

  it('stores the website\'s test event code with the event', async () => {
    const sidecar = testSidecar({ websites: [website({ testEventCode: 'TEST123' })] });
    await post(sidecar.handler, relayEvent());
    expect(storedRows(sidecar)[0].testEventCode).toBe('TEST123');
  });

  it('uses the client\'s IP from X-Forwarded-For only behind a trusted proxy', async () => {
    const trusted = testSidecar({ env: { TRUST_PROXY: 'loopback' } });
    await post(trusted.handler, relayEvent(), { 'X-Forwarded-For': '203.0.113.7' });
    expect(storedRows(trusted)[0].row.user?.ip).toBe('203.0.113.7');
    const untrusted = testSidecar();
    await post(untrusted.handler, relayEvent(), { 'X-Forwarded-For': '203.0.113.7' });
    expect(storedRows(untrusted)[0].row.user?.ip).not.toBe('203.0.113.7');
  });

  it('replaces a browser clock far in the past with the receive time', async () => {
    const sidecar = testSidecar();
    await post(sidecar.handler, relayEvent({ event_time: 1_000_000_000 }));
    expect(Math.abs(storedRows(sidecar)[0].row.event_time - Date.now() / 1000)).toBeLessThan(5);
  });
});

describe('relay: name and address keys, limited data use (per website)', () => {
  // A form's keys as the browser sends them: names and postal code hashed, places normalized (docs/CONTRACTS.md §3).
  const richer = VECTORS.partner_identify.contact_name_address;
  const user = { first_name: richer.first_name, last_name: richer.last_name, zip_code: richer.zip_code, city: richer.city, state: richer.state, country: richer.country };

  it('keeps them when the website shares names and addresses', async () => {
    const sidecar = testSidecar({ websites: [website({ matchKeys: 'contact_name_address' })] });
    await post(sidecar.handler, relayEvent({ user: { email: HASH, ...user } }));
    expect(storedRows(sidecar)[0].row.user).toMatchObject({ email: HASH, ...user });
  });

  it('drops them under the contact keys only (the default), keeping the contact keys', async () => {
    const sidecar = testSidecar();
    const res = await post(sidecar.handler, relayEvent({ user: { email: HASH, ...user } }));
    expect(res.body.accepted).toBe(1);
    const stored = storedRows(sidecar)[0].row.user ?? {};
    expect(stored.email).toBe(HASH);
    for (const key of NAME_ADDRESS_KEYS) expect(stored).not.toHaveProperty(key);
  });

  it('sends city, state and country normalized, and drops one with nothing left', async () => {
    const sidecar = testSidecar({ websites: [website({ matchKeys: 'contact_name_address' })] });
    await post(sidecar.handler, relayEvent({ user: { city: 'Saint-Étienne', state: ' --- ', country: 'FR' } }));
    const stored = storedRows(sidecar)[0].row.user;
    expect(stored).toMatchObject({ city: 'saintétienne', country: 'fr' });
    expect(stored).not.toHaveProperty('state');
  });

  it('refuses a plain first name (names leave the page hashed)', async () => {
    const sidecar = testSidecar({ websites: [website({ matchKeys: 'contact_name_address' })] });
    const res = await post(sidecar.handler, relayEvent({ user: { first_name: 'John' } }));
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/first_name/);
  });

  it('marks every row for limited data use when the website asks, and leaves the key out otherwise', async () => {
    const limited = testSidecar({ websites: [website({ limitedDataUse: true })] });
    await post(limited.handler, relayEvent());
    expect(storedRows(limited)[0].row.limited_data_use).toBe(true);
    const plain = testSidecar();
    await post(plain.handler, relayEvent());
    expect(storedRows(plain)[0].row).not.toHaveProperty('limited_data_use');
  });
});

describe('relay: consent', () => {
  it('does not store an event without consent when the website requires it', async () => {
    const sidecar = testSidecar({ websites: [website({ consentRequired: true })] });
    const denied = await post(sidecar.handler, relayEvent({ consent: 'denied' }));
    const missing = await post(sidecar.handler, relayEvent());
    const granted = await post(sidecar.handler, relayEvent({ consent: 'granted' }));
    expect([denied.body.skipped, missing.body.skipped, granted.body.accepted]).toEqual([1, 1, 1]);
    expect(storedRows(sidecar)).toHaveLength(1);
  });
  it('honours an explicit denial even when the website has no cookie bar', async () => {
    const sidecar = testSidecar();
    const res = await post(sidecar.handler, relayEvent({ consent: 'denied' }));
    expect(res.body).toEqual({ accepted: 0, duplicates: 0, skipped: 1 });
  });
});

describe('relay: Global Privacy Control (Sec-GPC: 1), per the website\'s policy', () => {
  const GPC = { 'Sec-GPC': '1' };

  it('refuse: stores nothing of a visitor whose browser sends it, as a refusal of optional cookies does', async () => {
    const sidecar = testSidecar({ websites: [website({ gpc: 'refuse' })] });
    const withGpc = await post(sidecar.handler, [relayEvent(), relayEvent({ event: 'Search', properties: { query: 'desk' } })], GPC);
    expect(withGpc.body).toEqual({ accepted: 0, duplicates: 0, skipped: 2 });
    expect(storedRows(sidecar)).toHaveLength(0);
    // the page cannot argue: what it says of consent does not undo the header
    const granted = await post(sidecar.handler, relayEvent({ consent: 'granted' }), GPC);
    expect(granted.body.skipped).toBe(1);
    // a visitor without the signal is served as before
    const without = await post(sidecar.handler, relayEvent());
    expect(without.body.accepted).toBe(1);
  });

  it('limited data use: marks the rows of a visitor whose browser sends it, and only theirs', async () => {
    const sidecar = testSidecar({ websites: [website({ gpc: 'limited_data_use' })] });
    await post(sidecar.handler, relayEvent({ event_id: 'with-gpc' }), GPC);
    await post(sidecar.handler, relayEvent({ event_id: 'without-gpc' }));
    await post(sidecar.handler, relayEvent({ event_id: 'gpc-zero' }), { 'Sec-GPC': '0' });
    const rows = Object.fromEntries(storedRows(sidecar).map((r) => [r.row.event_id, r.row]));
    expect(rows['with-gpc'].limited_data_use).toBe(true);
    expect(rows['without-gpc']).not.toHaveProperty('limited_data_use');
    expect(rows['gpc-zero']).not.toHaveProperty('limited_data_use');
  });

  it('ignore: the signal changes nothing', async () => {
    const sidecar = testSidecar({ websites: [website({ gpc: 'ignore' })] });
    const res = await post(sidecar.handler, relayEvent(), GPC);
    expect(res.body.accepted).toBe(1);
    expect(storedRows(sidecar)[0].row).not.toHaveProperty('limited_data_use');
  });
});

describe('relay: refusing (4xx with a reason, nothing stored)', () => {
  const cases: [string, unknown, Record<string, string>, number, string][] = [
    ['malformed JSON', '{"pixel_id": ', {}, 400, 'malformed_json'],
    ['an empty body', '', {}, 400, 'malformed_json'],
    ['a JSON string', '"hello"', {}, 400, 'invalid_request'],
    ['value as a string', relayEvent({ properties: { value: '10', currency: 'USD' } }), {}, 400, 'invalid_request'],
    ['an unknown key', relayEvent({ extra: 1 }), {}, 400, 'invalid_request'],
    ['a plain email', relayEvent({ user: { email: 'john@example.com' } }), {}, 400, 'invalid_request'],
    ['an unknown event', relayEvent({ event: 'BuyNow' }), {}, 400, 'event_not_allowed'],
    ['a Purchase from a browser', relayEvent({ event: 'Purchase' }), {}, 400, 'event_not_allowed'],
    ['a CompletePayment from a browser', relayEvent({ event: 'CompletePayment' }), {}, 400, 'event_not_allowed'],
    ['an unknown pixel', relayEvent({ pixel_id: 'CUNKNOWNPIXEL000001' }), {}, 400, 'unknown_pixel'],
    ['an unknown origin', relayEvent(), { Origin: 'https://evil.example' }, 403, 'origin_not_allowed'],
    ['no origin at all', relayEvent(), { Origin: '' }, 403, 'missing_origin'],
    ['a bot user agent', relayEvent(), { 'User-Agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' }, 403, 'bot'],
    ['headless Chrome', relayEvent(), { 'User-Agent': 'Mozilla/5.0 HeadlessChrome/131.0' }, 403, 'bot'],
    ['a prefetch', relayEvent(), { 'Sec-Purpose': 'prefetch;prerender' }, 403, 'prefetch'],
    ['a legacy prefetch', relayEvent(), { Purpose: 'prefetch' }, 403, 'prefetch'],
    ['a form post', 'a=1', { 'Content-Type': 'application/x-www-form-urlencoded' }, 415, 'unsupported_media_type'],
    ['too many events', Array.from({ length: 21 }, () => relayEvent()), {}, 400, 'invalid_request'],
    ['an oversized body', relayEvent({ properties: { description: 'x'.repeat(70_000) } }), {}, 413, 'body_too_large'],
  ];

  it.each(cases)('refuses %s', async (_name, body, headers, status, error) => {
    const sidecar = testSidecar();
    const res = await post(sidecar.handler, body, headers);
    expect(res.status).toBe(status);
    expect(res.body.error).toBe(error);
    expect(typeof res.body.detail).toBe('string');
    expect(sidecar.file.events.counts().pending).toBe(0);
  });

  it('refuses the whole list when one event is bad', async () => {
    const sidecar = testSidecar();
    const res = await post(sidecar.handler, [relayEvent(), relayEvent({ event: 'Purchase' })]);
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/^\[1\] Purchase is sent by the server/);
    expect(sidecar.file.events.counts().pending).toBe(0);
  });

  it('rate-limits one address', async () => {
    const sidecar = testSidecar({ env: { RELAY_RATE_LIMIT_PER_MINUTE: '3' } });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await post(sidecar.handler, relayEvent())).status);
    expect(statuses).toEqual([202, 202, 202, 429, 429]);
  });

  it('rate-limits an IPv6 client by its /64, whichever address of it a request comes from', async () => {
    const sidecar = testSidecar({ env: { RELAY_RATE_LIMIT_PER_MINUTE: '3', TRUST_PROXY: 'loopback' } });
    const from = (address: string) => post(sidecar.handler, relayEvent(), { 'X-Forwarded-For': address });
    const statuses = [];
    for (let i = 1; i <= 4; i++) statuses.push((await from(`2001:db8:1:2::${i}`)).status);
    expect(statuses).toEqual([202, 202, 202, 429]);
    expect((await from('2001:db8:1:3::1')).status).toBe(202);
  });

  it('survives a storm of random hostile bodies without a 5xx or a stored event', async () => {
    const sidecar = testSidecar();
    const samples: unknown[] = [
      null, 0, [], {}, [[]], 'x', true, { pixel_id: null }, { __proto__: { event: 'AddToCart' } },
      { ...relayEvent(), constructor: { prototype: { polluted: true } } },
      relayEvent({ event_id: '' }), relayEvent({ event_id: 'x'.repeat(500) }), relayEvent({ event_id: '<script>' }),
      relayEvent({ event_time: -1 }), relayEvent({ event_time: 1.5 }), relayEvent({ page: { url: 'javascript:alert(1)' } }),
      relayEvent({ properties: { contents: [{ content_id: 1 }] } }), relayEvent({ properties: { value: -5, currency: 'USD' } }),
      relayEvent({ properties: { value: 5, currency: 'usd' } }), relayEvent({ user: { phone: ['x'] } }),
      relayEvent({ user: { locale: '../../etc' } }), relayEvent({ consent: 'maybe' }), relayEvent({ pixel_id: 'a b' }),
      relayEvent({ properties: { value: 1e308, currency: 'USD' } }), relayEvent({ properties: { value: 5, currency: 'ABC' } }),
      relayEvent({ properties: { value: 5, currency: 'XXX' } }), relayEvent({ properties: { contents: [{ content_id: '1', quantity: 1e9 }] } }),
      relayEvent({ properties: { contents: [{ content_id: '1', price: Number.MAX_VALUE }] } }),
    ];
    let rng = 42;
    const random = () => ((rng = (rng * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 300; i++) {
      const bytes = Array.from({ length: Math.floor(random() * 200) }, () => String.fromCharCode(32 + Math.floor(random() * 95))).join('');
      samples.push(random() < 0.5 ? bytes : `{"pixel_id":"${PIXEL}","event":"AddToCart","event_id":"${bytes.replace(/["\\]/g, '')}"`);
    }
    for (const body of samples) {
      const res = await post(sidecar.handler, typeof body === 'string' ? body : JSON.stringify(body));
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.body.error).toEqual(expect.any(String));
    }
    expect(sidecar.file.events.counts()).toEqual({ pending: 0, in_flight: 0, delivered: 0, dead: 0 });
  });
});

describe('relay: CORS for a relay on another host', () => {
  it('answers the preflight of a shop origin only', async () => {
    const sidecar = testSidecar();
    const ok = await request(sidecar.handler).options('/tiktok/relay').set('Origin', SHOP).set('Access-Control-Request-Method', 'POST');
    expect(ok.headers['access-control-allow-origin']).toBe(SHOP);
    const evil = await request(sidecar.handler).options('/tiktok/relay').set('Origin', 'https://evil.example').set('Access-Control-Request-Method', 'POST');
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
  });
});

/** Every stored payload, as the dispatcher would send it. */
function storedPayloads(sidecar: ReturnType<typeof testSidecar>): string[] {
  return storedRows(sidecar).map((r) => r.payload);
}

describe('relay: nothing secret or personal is stored (hostile input)', () => {
  const SECRET_TOKEN = 'rst-9f1e7c2a';
  const PORTAL_TOKEN = 'portal-4b5c6d7e';
  const EMAIL = 'jane.doe@mail.com';
  const PHONE = '+32 470 12 34 56';
  const hostile = [
    relayEvent({ page: { url: `${SHOP}/web/reset_password?token=${SECRET_TOKEN}&db=shop`, referrer: `${SHOP}/my/orders/7?access_token=${PORTAL_TOKEN}` } }),
    relayEvent({ page: { url: `https://admin:hunter2@shop.example/shop#token=${SECRET_TOKEN}` } }),
    relayEvent({ page: { url: `${SHOP}/shop?search=${encodeURIComponent(EMAIL)}&utm_source=tiktok`, referrer: `https://mail.example/inbox?u=${EMAIL}` } }),
    relayEvent({ page: { url: `${SHOP}/contact/${EMAIL}` } }),
    relayEvent({ event: 'Search', properties: { query: `${EMAIL} desk` } }),
    relayEvent({ event: 'Search', properties: { query: `call ${PHONE}` } }),
    relayEvent({ properties: { description: `deliver to ${EMAIL}, ${PHONE}`, contents: [{ content_id: '1', content_name: `for ${EMAIL}`, content_category: PHONE }], currency: 'USD', value: 1 } }),
    relayEvent({ user: { ttclid: EMAIL, ttp: '<img src=x onerror=alert(1)>' } }),
    relayEvent({ user: { ttclid: `E.C.P.${'a'.repeat(20)}<script>`, ttp: `a${'b'.repeat(10)} ${EMAIL}` } }),
  ];

  it('accepts the events and stores them scrubbed', async () => {
    const sidecar = testSidecar();
    const res = await post(sidecar.handler, hostile);
    expect(res.status).toBe(202);
    expect(res.body.accepted).toBe(hostile.length);
    const payloads = storedPayloads(sidecar);
    expect(payloads).toHaveLength(hostile.length);
    for (const payload of payloads) {
      expect(payload).not.toMatch(/token=|token%3D/i);
      expect(payload).not.toContain(SECRET_TOKEN);
      expect(payload).not.toContain(PORTAL_TOKEN);
      expect(payload).not.toContain('hunter2');
      expect(payload).not.toMatch(/@|%40/);
      expect(payload).not.toMatch(/470\D{0,3}12\D{0,3}34/);
      expect(payload).not.toMatch(/<script|<img|onerror/i);
    }
  });

  it('keeps what is not secret: the page path, campaign tags, the search terms, product names', async () => {
    const sidecar = testSidecar();
    await post(sidecar.handler, [
      relayEvent({ event_id: 'reset', page: { url: `${SHOP}/web/reset_password?token=${SECRET_TOKEN}`, referrer: `${SHOP}/my/orders/7?access_token=${PORTAL_TOKEN}#top` } }),
      relayEvent({ event_id: 'search', event: 'Search', page: { url: `${SHOP}/shop?search=desk&utm_campaign=spring` }, properties: { query: `desk ${EMAIL}` } }),
    ]);
    const rows = Object.fromEntries(storedRows(sidecar).map((r) => [r.eventId, r.row]));
    expect(rows.reset.page).toEqual({ url: `${SHOP}/web/reset_password`, referrer: `${SHOP}/my/orders/7` });
    expect(rows.search.page).toEqual({ url: `${SHOP}/shop?search=desk&utm_campaign=spring` });
    expect(rows.search.properties).toEqual({ query: 'desk [redacted]' });
  });

  it('drops a page of another site and a referrer from elsewhere, keeping the event', async () => {
    const sidecar = testSidecar();
    const res = await post(sidecar.handler, relayEvent({ page: { url: 'https://evil.example/landing', referrer: 'https://www.google.com/search?q=desk' } }));
    expect(res.status).toBe(202);
    expect(storedRows(sidecar)[0].row.page).toBeUndefined();
  });

  it('accepts a page on any origin of the pixel: the website\'s domains and RELAY_ALLOWED_ORIGINS', async () => {
    const sidecar = testSidecar({
      env: { RELAY_ALLOWED_ORIGINS: 'https://www.shop.example' },
      websites: [website({ domains: [SHOP, 'https://shop.example.be'] })],
    });
    for (const origin of [SHOP, 'https://shop.example.be', 'https://www.shop.example']) {
      const res = await post(sidecar.handler, relayEvent({ page: { url: `${origin}/shop/desk`, referrer: `${origin}/shop` } }), { Origin: origin });
      expect(res.status).toBe(202);
    }
    const pages = storedRows(sidecar).map((r) => r.row.page?.url).sort();
    expect(pages).toEqual(['https://shop.example.be/shop/desk', 'https://shop.example/shop/desk', 'https://www.shop.example/shop/desk']);
  });

  it('drops a user agent that carries contact data or is absurdly long, keeping the event', async () => {
    const sidecar = testSidecar();
    await post(sidecar.handler, relayEvent({ event_id: 'mail' }), { 'User-Agent': `${BROWSER_UA} (${EMAIL})` });
    await post(sidecar.handler, relayEvent({ event_id: 'long' }), { 'User-Agent': `${BROWSER_UA} ${'x'.repeat(600)}` });
    const rows = storedRows(sidecar);
    expect(rows.map((r) => r.eventId).sort()).toEqual(['long', 'mail']);
    for (const r of rows) expect(r.row.user?.user_agent).toBeUndefined();
  });
});

describe('relay: plausibility limits', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a value of 1e308', { value: 1e308, currency: 'USD' }, /^properties\.value 1e\+308 is above the limit of 1000000000$/],
    ['a value just above the ceiling', { value: 1_000_000_000.01, currency: 'IDR' }, /properties\.value .* above the limit of 1000000000/],
    ['a huge price', { contents: [{ content_id: '1', price: 5e9 }] }, /properties\.contents\[0\]\.price 5000000000 is above the limit of 1000000000/],
    ['a huge quantity', { contents: [{ content_id: '1' }, { content_id: '2', quantity: 1e6 }] }, /properties\.contents\[1\]\.quantity 1000000 is above the limit of 10000/],
  ])('refuses %s with the field and the limit', async (_name, properties, detail) => {
    const sidecar = testSidecar();
    const res = await post(sidecar.handler, relayEvent({ properties }));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('implausible_amount');
    expect(res.body.detail).toMatch(detail);
    expect(sidecar.file.events.counts().pending).toBe(0);
  });

  it('accepts amounts at the ceiling, and follows the configured ceilings', async () => {
    const atDefault = testSidecar();
    const ok = await post(atDefault.handler, relayEvent({ properties: { value: 1e9, currency: 'VND', contents: [{ content_id: '1', price: 1e9, quantity: 10_000 }] } }));
    expect(ok.status).toBe(202);
    const strict = testSidecar({ env: { RELAY_MAX_VALUE: '5000', RELAY_MAX_PRICE: '2000', RELAY_MAX_QUANTITY: '10' } });
    const value = await post(strict.handler, relayEvent({ properties: { value: 5000.5, currency: 'USD' } }));
    const quantity = await post(strict.handler, relayEvent({ properties: { contents: [{ content_id: '1', quantity: 11 }] } }));
    expect([value.status, value.body.detail]).toEqual([400, 'properties.value 5000.5 is above the limit of 5000']);
    expect([quantity.status, quantity.body.detail]).toEqual([400, 'properties.contents[0].quantity 11 is above the limit of 10']);
  });

  it.each(['ABC', 'XXX', 'XTS', 'EURO', 'eur'])('refuses the currency %s, naming ISO 4217', async (currency) => {
    const sidecar = testSidecar();
    const res = await post(sidecar.handler, relayEvent({ properties: { value: 5, currency } }));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.detail).toMatch(/properties\.currency: .*ISO 4217/);
  });
});

describe('relay: rate limit in events', () => {
  const batch = (n: number) => Array.from({ length: n }, () => relayEvent());

  it('counts the events of a body, not the requests, and answers 429 with Retry-After', async () => {
    const sidecar = testSidecar({ env: { RELAY_RATE_LIMIT_EVENTS_PER_MINUTE: '100' } });
    const statuses: number[] = [];
    let refused: request.Response | undefined;
    for (let i = 0; i < 8; i++) {
      const res = await post(sidecar.handler, batch(20));
      statuses.push(res.status);
      if (res.status === 429) refused ??= res;
    }
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429, 429, 429]);
    expect(refused?.body).toEqual({ error: 'rate_limited', detail: 'more than 100 events a minute from this address' });
    expect(Number(refused?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused?.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(sidecar.file.events.counts().pending).toBe(100);
  });

  it('keeps one address\'s flood from spending another\'s budget', async () => {
    const sidecar = testSidecar({ env: { RELAY_RATE_LIMIT_EVENTS_PER_MINUTE: '40', TRUST_PROXY: 'loopback' } });
    for (let i = 0; i < 3; i++) await post(sidecar.handler, batch(20), { 'X-Forwarded-For': '203.0.113.1' });
    const other = await post(sidecar.handler, batch(20), { 'X-Forwarded-For': '203.0.113.2' });
    expect(other.status).toBe(202);
    expect(sidecar.file.events.counts().pending).toBe(60);
  });

  it('survives a flood of 20-event requests without a 5xx, storing at most the budget', async () => {
    const sidecar = testSidecar({ env: { RELAY_RATE_LIMIT_EVENTS_PER_MINUTE: '200' } });
    const responses = await Promise.all(Array.from({ length: 60 }, () => post(sidecar.handler, batch(20))));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(50);
    expect(sidecar.file.events.counts().pending).toBe(200);
  });
});

describe('relay: per-pixel outbox cap', () => {
  const waiting = (sidecar: ReturnType<typeof testSidecar>) => sidecar.file.events.waitingCount(PIXEL, 1_000_000);

  it('refuses new browser events with 503 outbox_full once the pixel has the cap waiting, and drops nothing stored', async () => {
    const sidecar = testSidecar({ env: { OUTBOX_MAX_WAITING_PER_PIXEL: '5' } });
    expect((await post(sidecar.handler, Array.from({ length: 5 }, () => relayEvent()))).status).toBe(202);
    const full = await post(sidecar.handler, relayEvent());
    expect(full.status).toBe(503);
    expect(full.body).toEqual({ error: 'outbox_full', detail: `pixel ${PIXEL} has 5 events waiting for TikTok; retry later` });
    expect(full.headers['retry-after']).toBe('60');
    expect(waiting(sidecar)).toBe(5);
    expect(await sidecar.metrics.registry.metrics()).toContain('tiktok_relay_refused_total{reason="outbox_full"} 1');
  });

  it('takes browser events again once TikTok has taken some (the count is re-read within a second)', async () => {
    const sidecar = testSidecar({ env: { OUTBOX_MAX_WAITING_PER_PIXEL: '3' } });
    await post(sidecar.handler, [relayEvent(), relayEvent(), relayEvent()]);
    expect((await post(sidecar.handler, relayEvent())).status).toBe(503);
    const rows = storedRows(sidecar);
    sidecar.file.events.markDelivered(rows.map((r) => r.id), Date.now());
    await new Promise((r) => setTimeout(r, 1100));
    expect((await post(sidecar.handler, relayEvent())).status).toBe(202);
  });

  it('never blocks a server Purchase: the poller stores it past the cap', async () => {
    const sidecar = testSidecar({ env: { OUTBOX_MAX_WAITING_PER_PIXEL: '2' } });
    await post(sidecar.handler, [relayEvent(), relayEvent()]);
    expect((await post(sidecar.handler, relayEvent())).status).toBe(503);
    const odoo = new FakeOdooPurchases();
    odoo.add(42);
    const poller = new PurchasePoller(
      { odoo: async () => odoo.transport(), settings: sidecar.settings, purchaseClaims: sidecar.outbox.purchaseClaims, log: pino({ level: 'silent' }), onEnqueued: () => {} },
      { intervalMs: 10, leaseSeconds: 60, batchSize: 50, maxBackoffMs: 100 },
    );
    expect(await poller.pollOnce()).toBe(1);
    expect(waiting(sidecar)).toBe(3);
    const purchase = storedRows(sidecar).find((r) => r.eventId === 'purchase-so-42');
    // Stored through the shared scrub, which keeps attribution ids of TikTok's shapes.
    expect(purchase?.row.user).toMatchObject({ ttclid: 'E.C.P.fake42', ttp: '2FakeTtpCookie000042', user_agent: 'Mozilla/5.0 (X11) Chrome/131' });
  });

  it('counts each pixel apart', async () => {
    const other = 'COTHERPIXEL000000002';
    const sidecar = testSidecar({ env: { OUTBOX_MAX_WAITING_PER_PIXEL: '1' }, websites: [website(), website({ websiteId: 2, pixelId: other })] });
    expect((await post(sidecar.handler, relayEvent())).status).toBe(202);
    expect((await post(sidecar.handler, relayEvent())).status).toBe(503);
    expect((await post(sidecar.handler, relayEvent({ pixel_id: other }))).status).toBe(202);
  });
});

/** A raw HTTP/1.1 exchange on a real socket: what the server wrote and when it closed the connection. */
async function rawExchange(port: number, write: (socket: net.Socket) => NodeJS.Timeout | undefined): Promise<{ text: string; closedAfterMs: number }> {
  const socket = net.connect(port, '127.0.0.1');
  const started = Date.now();
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  socket.on('error', () => {});
  const trickle = write(socket);
  await new Promise<void>((resolve) => socket.on('close', () => resolve()));
  clearInterval(trickle);
  return { text, closedAfterMs: Date.now() - started };
}

describe('relay: slow clients (real sockets)', () => {
  let sidecar: ReturnType<typeof testSidecar>;
  let port: number;
  beforeEach(async () => {
    sidecar = testSidecar({ env: { RELAY_BODY_TIMEOUT_MS: '400' } });
    port = await sidecar.start();
  });
  afterEach(() => sidecar.stop());

  const head = (length: number, extra = '') =>
    `POST /tiktok/relay HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${SHOP}\r\nUser-Agent: ${BROWSER_UA}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n${extra}\r\n`;

  it('answers 408 to a body that trickles in, and frees the socket', async () => {
    const body = JSON.stringify(relayEvent());
    const { text, closedAfterMs } = await rawExchange(port, (socket) => {
      socket.write(head(body.length));
      let sent = 0;
      return setInterval(() => socket.writable && sent < body.length && socket.write(body[sent++]), 50);
    });
    const [answerHead] = text.split('\r\n\r\n');
    expect(answerHead).toMatch(/^HTTP\/1\.1 408 /);
    expect(answerHead).toMatch(/\r\nconnection: close\r\n/i);
    expect(text).toContain('"error":"body_timeout"');
    // One answer, then the end: what is still trickling is not read as another request.
    expect(text.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    expect(closedAfterMs).toBeGreaterThanOrEqual(350);
    expect(closedAfterMs).toBeLessThan(2000);
    expect(sidecar.file.events.counts().pending).toBe(0);
    expect(await sidecar.metrics.registry.metrics()).toContain('tiktok_relay_refused_total{reason="body_timeout"} 1');
  });

  it('cuts off headers that trickle in', async () => {
    const { text, closedAfterMs } = await rawExchange(port, (socket) => {
      const headers = head(2);
      let sent = 0;
      return setInterval(() => socket.writable && sent < headers.length && socket.write(headers[sent++]), 50);
    });
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(closedAfterMs).toBeLessThan(3000);
  });

  it('still serves a client that sends its body in time, on the same kind of socket', async () => {
    const body = JSON.stringify(relayEvent());
    const { text } = await rawExchange(port, (socket) => {
      socket.write(head(body.length, 'Connection: close\r\n') + body);
      return undefined;
    });
    expect(text).toMatch(/^HTTP\/1\.1 202 /);
    expect(sidecar.file.events.counts().pending).toBe(1);
  });
});

describe('/healthz follows whether the outbox takes writes', () => {
  /** The outbox's own SQLite connection: its limits stand in for a full disk or a read-only file. */
  const sqliteOf = (sidecar: ReturnType<typeof testSidecar>) => (sidecar.outbox as unknown as { db: Database.Database }).db;

  it('reports outbox_unwritable (503) after a write fails with SQLITE_FULL, and ok again once one succeeds', async () => {
    const sidecar = testSidecar();
    expect((await request(sidecar.handler).get('/healthz')).status).toBe(200);
    const db = sqliteOf(sidecar);
    db.pragma(`max_page_count = ${Number(db.pragma('page_count', { simple: true }))}`);
    const big = () => Array.from({ length: 20 }, () => relayEvent({ properties: { description: 'x'.repeat(1000) } }));
    const refused = await post(sidecar.handler, big());
    expect(refused.status).toBe(503);
    expect(refused.body.error).toBe('outbox_unavailable');
    expect(refused.headers['retry-after']).toBe('5');
    expect(await sidecar.metrics.registry.metrics()).toContain('tiktok_relay_refused_total{reason="outbox_unavailable"} 1');
    const unhealthy = await request(sidecar.handler).get('/healthz');
    expect(unhealthy.status).toBe(503);
    expect(unhealthy.body.status).toBe('outbox_unwritable');
    expect(await sidecar.health()).toEqual({ ok: false, status: 'outbox_unwritable' });

    db.pragma('max_page_count = 1073741823');
    expect((await post(sidecar.handler, big())).status).toBe(202);
    const healthy = await request(sidecar.handler).get('/healthz');
    expect([healthy.status, healthy.body.status]).toEqual([200, 'ok']);
  });

  it('notices an outbox that takes no writes even without traffic (probe)', async () => {
    const sidecar = testSidecar();
    sqliteOf(sidecar).pragma('query_only = 1');
    const res = await request(sidecar.handler).get('/healthz');
    expect(res.status).toBe(503);
    expect(res.body.status).toBe('outbox_unwritable');
  });
});

describe('relay: logs under a flood stay few', () => {
  /** A sidecar whose log lines are kept, parsed. */
  function loggingSidecar(env: Record<string, string>) {
    const lines: Record<string, unknown>[] = [];
    const stream = { write: (line: string) => lines.push(JSON.parse(line)) };
    const cfg = loadConfig({ OUTBOX_PATH: ':memory:', RELAY_PORT: '0', ...env });
    const sidecar = createSidecar(cfg, {
      log: pino({ level: 'info' }, stream),
      metrics: new Metrics(),
      outbox: new SqliteOutbox(cfg.OUTBOX_PATH),
      settings: new StaticSettings([website()]),
    });
    return { sidecar, lines };
  }

  it('warns once a minute per pixel that the outbox is full, not once per refused request', async () => {
    const { sidecar, lines } = loggingSidecar({ OUTBOX_MAX_WAITING_PER_PIXEL: '1' });
    await post(sidecar.handler, relayEvent());
    for (let i = 0; i < 5; i++) expect((await post(sidecar.handler, relayEvent())).status).toBe(503);
    const warnings = lines.filter((l) => String(l.msg).includes('outbox holds the most events'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 40, pixelId: PIXEL, cap: 1 });
  });

  it('logs a failing outbox once, not once per request', async () => {
    const { sidecar, lines } = loggingSidecar({});
    const db = (sidecar.outbox as unknown as { db: Database.Database }).db;
    db.pragma('query_only = 1');
    for (let i = 0; i < 5; i++) expect((await post(sidecar.handler, relayEvent())).status).toBe(503);
    expect(lines.filter((l) => l.msg === 'relay: the outbox could not store events')).toHaveLength(1);
  });
});
