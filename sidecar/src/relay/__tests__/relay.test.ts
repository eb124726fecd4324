import request from 'supertest';
import { BROWSER_UA, PIXEL, relayEvent, SHOP, testSidecar, website } from '../../../../tests/helpers/sidecar';

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

function storedRows(sidecar: ReturnType<typeof testSidecar>) {
  return sidecar.store.dueGroups(Date.now() + 1e9).flatMap((g) => sidecar.store.claim(g, Date.now() + 1e9, 1000));
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
    expect(sidecar.store.counts().pending).toBe(0);
  });

  it('refuses the whole list when one event is bad', async () => {
    const sidecar = testSidecar();
    const res = await post(sidecar.handler, [relayEvent(), relayEvent({ event: 'Purchase' })]);
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/^\[1\] Purchase is sent by the server/);
    expect(sidecar.store.counts().pending).toBe(0);
  });

  it('rate-limits one address', async () => {
    const sidecar = testSidecar({ env: { RELAY_RATE_LIMIT_PER_MINUTE: '3' } });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await post(sidecar.handler, relayEvent())).status);
    expect(statuses).toEqual([202, 202, 202, 429, 429]);
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
    expect(sidecar.store.counts()).toEqual({ pending: 0, in_flight: 0, delivered: 0, dead: 0 });
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

describe('operations endpoints', () => {
  it('reports health and Prometheus metrics, without the token', async () => {
    const sidecar = testSidecar();
    await post(sidecar.handler, relayEvent());
    await post(sidecar.handler, relayEvent({ event: 'Purchase' }));
    const health = await request(sidecar.handler).get('/healthz');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', mode: 'relay-only', outbox: { pending: 1 } });
    const metrics = await request(sidecar.handler).get('/metrics');
    expect(metrics.text).toContain('tiktok_relay_accepted_total{event="AddToCart"} 1');
    expect(metrics.text).toContain('tiktok_relay_refused_total{reason="event_not_allowed"} 1');
    expect(metrics.text).toContain('tiktok_outbox_events{state="pending"} 1');
    expect(metrics.text).not.toContain('test-access-token-0001');
  });
});
