import type { IncomingMessage } from 'node:http';
import pino from 'pino';
import { Metrics } from '../../metrics';
import { StaticSettings } from '../../settings/static';
import { BROWSER_UA, PIXEL, relayEvent, SHOP, website } from '../../../../tests/helpers/sidecar';
import { contentTypeRefusal, createRelay, decideEvents, headerRefusal, isKnownOrigin, isShopOrigin, pageOrigin, parseEvents, type RelayOptions } from '../handler';

const OPTS: RelayOptions = {
  path: '/tiktok/relay',
  maxBodyBytes: 65536,
  rateLimitPerMinute: 0,
  rateLimitEventsPerMinute: 0,
  bodyTimeoutMs: 1000,
  limits: { value: 1e9, price: 1e9, quantity: 1e4 },
  maxWaitingPerPixel: 0,
  extraAllowedOrigins: ['https://Extra.example:8443/'],
  trustProxy: false,
};

function relayOf(websites = [website()], accepting = true) {
  const settings = new StaticSettings(websites);
  const relay = createRelay({ settings, enqueue: async () => ({ inserted: 0, duplicates: 0 }), metrics: new Metrics(), log: pino({ level: 'silent' }), isAccepting: () => accepting }, OPTS);
  return { relay, settings };
}

const request = (method: string, headers: Record<string, string>) => ({ method, headers }) as unknown as IncomingMessage;

describe('relay steps, each on its own', () => {
  it('refuses on headers alone, in the order method, shutdown, prefetch, bot', () => {
    const { relay } = relayOf();
    expect(headerRefusal(relay, request('GET', { 'user-agent': 'curl/8' }))?.error).toBe('method_not_allowed');
    expect(headerRefusal(relayOf(undefined, false).relay, request('POST', { purpose: 'prefetch' }))?.error).toBe('shutting_down');
    expect(headerRefusal(relay, request('POST', { purpose: 'prefetch', 'user-agent': 'curl/8' }))?.error).toBe('prefetch');
    expect(headerRefusal(relay, request('POST', { 'user-agent': 'curl/8.0 (x86_64)' }))?.error).toBe('bot');
    expect(headerRefusal(relay, request('POST', { 'user-agent': BROWSER_UA }))).toBeUndefined();
  });

  it('takes JSON as a fetch or a beacon sends it, nothing else', () => {
    expect(contentTypeRefusal('text/plain;charset=UTF-8')).toBeUndefined();
    expect(contentTypeRefusal(' Application/JSON ')).toBeUndefined();
    expect(contentTypeRefusal('application/x-www-form-urlencoded')?.status).toBe(415);
    expect(contentTypeRefusal(undefined)?.error).toBe('unsupported_media_type');
  });

  it('reads the page origin from Origin, else Referer, and refuses a request with neither', () => {
    expect(pageOrigin(request('POST', { origin: 'HTTPS://Shop.Example' }))).toBe(SHOP);
    expect(pageOrigin(request('POST', { origin: 'null', referer: `${SHOP}/shop?x=1` }))).toBe(SHOP);
    expect(pageOrigin(request('POST', {}))).toMatchObject({ status: 403, error: 'missing_origin' });
  });

  it('parses one event or a list, and names what is wrong', () => {
    expect(parseEvents('{')).toMatchObject({ error: 'malformed_json' });
    expect(parseEvents(JSON.stringify({ ...relayEvent(), extra: 1 }))).toMatchObject({ error: 'invalid_request' });
    expect(parseEvents(JSON.stringify(relayEvent()))).toHaveLength(1);
    expect(parseEvents(JSON.stringify([relayEvent(), relayEvent()]))).toHaveLength(2);
  });

  it('matches origins against the website of the pixel and the extra origins, and sees new settings at once', () => {
    const { relay } = relayOf();
    const shop = website();
    expect(isShopOrigin(relay, SHOP, shop)).toBe(true);
    expect(isShopOrigin(relay, 'https://extra.example:8443', shop)).toBe(true);
    expect(isShopOrigin(relay, 'https://evil.example', shop)).toBe(false);
    // Settings read again hand out new lists: a decision made for the old ones does not stick.
    expect(isShopOrigin(relay, SHOP, website({ domains: ['https://other.example'] }))).toBe(false);
    expect(isShopOrigin(relay, 'https://other.example', website({ domains: ['https://other.example'] }))).toBe(true);
    expect(isKnownOrigin(relay, SHOP)).toBe(true);
    expect(isKnownOrigin(relay, 'https://evil.example')).toBe(false);
  });

  it('refuses a whole list for one event from a page of another website, naming its place', () => {
    const { relay } = relayOf([website(), website({ websiteId: 2, pixelId: 'COTHERPIXEL000000002', domains: ['https://other.example'] })]);
    const events = parseEvents(JSON.stringify([relayEvent(), relayEvent({ pixel_id: 'COTHERPIXEL000000002' })]));
    if (!Array.isArray(events)) throw new Error('the events should parse');
    const decided = decideEvents(relay, SHOP, events, { nowSeconds: 1_780_000_000 });
    expect(decided).toMatchObject({ status: 403, error: 'origin_not_allowed', detail: `[1] origin ${SHOP} is not a domain of the website that owns pixel COTHERPIXEL000000002` });
    expect(decideEvents(relay, SHOP, events.slice(0, 1), { nowSeconds: 1_780_000_000 })).toMatchObject({ kind: 'batch', skipped: 0, toStore: [{ pixelId: PIXEL }] });
  });
});
