import { createRelayTransport, relayBatches, RELAY_MAX_BATCH_BYTES, type RelayEvent } from '../relay';
import { KEPT_LIMIT, KEPT_MAX_AGE_SECONDS, KEPT_MAX_CHARS, KeptEvents, keptKey } from '../kept';
import { RELAY_MAX_EVENTS_PER_REQUEST } from '../../../../sidecar/src/contract/constants';
import { loadConfig } from '../../../../sidecar/src/config';
import { MemoryStore } from './fixturePage';

const NOW_MS = 1_732_500_000_000;
const NOW_S = NOW_MS / 1000;
const PIXEL = 'C4A1B2C3D4E5F6G7H8I9';
const ALICE = 'a'.repeat(64);
const BOB = 'b'.repeat(64);

function event(id: string, ageSeconds = 0, extra: Partial<RelayEvent> = {}): RelayEvent {
  return { pixel_id: PIXEL, event: 'Search', event_id: id, event_time: NOW_S - ageSeconds, consent: 'not_required', ...extra };
}

function answering(status: number, body: unknown = {}) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const fetchImpl = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return { ok: status >= 200 && status < 300, status, json: async () => body } as Response;
  }) as unknown as typeof fetch;
  return { fetchImpl, calls };
}

describe('relay transport', () => {
  it('uses fetch with keepalive and no credentials, and reads the answer', async () => {
    const { fetchImpl, calls } = answering(202, { accepted: 1, duplicates: 0, skipped: 0 });
    const transport = createRelayTransport('/tiktok/relay', fetchImpl);
    expect(await transport.send([event('a')])).toEqual({ status: 'accepted', accepted: 1, skipped: 0 });
    expect(calls[0].url).toBe('/tiktok/relay');
    expect(calls[0].init).toMatchObject({ method: 'POST', keepalive: true, credentials: 'omit' });
    // a string body: sent as text/plain, a "simple" request that needs no CORS preflight
    expect(JSON.parse(calls[0].init.body as string)).toEqual([event('a')]);
  });

  it.each([500, 503, 408, 429])('counts a %i answer as not delivered (worth another try)', async (status) => {
    const transport = createRelayTransport('/r', answering(status, { error: 'outbox_unavailable' }).fetchImpl);
    expect(await transport.send([event('a')])).toEqual({ status: 'failed', error: `${status} outbox_unavailable` });
  });

  it.each([
    ['a 200 without the relay\'s counts (a proxy\'s or a captive portal\'s page)', 200, '<html>'],
    ['a 202 whose counts are not numbers', 202, { accepted: '1' }],
    ['a redirect', 302, {}],
  ])('counts %s as not delivered', async (_what, status, body) => {
    const transport = createRelayTransport('/r', answering(status, body).fetchImpl);
    expect((await transport.send([event('a')])).status).toBe('failed');
  });

  it.each([400, 403, 413])('counts a %i answer as refused for good', async (status) => {
    const transport = createRelayTransport('/r', answering(status, { error: 'invalid_request' }).fetchImpl);
    expect(await transport.send([event('a')])).toEqual({ status: 'refused', httpStatus: status, error: `${status} invalid_request` });
  });

  it('counts a network error, or a browser without fetch, as not delivered', async () => {
    const offline = createRelayTransport('/r', async () => Promise.reject(new TypeError('Failed to fetch')));
    expect(await offline.send([event('a')])).toEqual({ status: 'failed', error: 'TypeError: Failed to fetch' });
    expect((await createRelayTransport('/r', undefined).send([event('a')])).status).toBe('failed');
  });

  it('asks for keepalive only where the browser allows it (64 KiB in flight)', async () => {
    const { fetchImpl, calls } = answering(202, { accepted: 1 });
    await createRelayTransport('/r', fetchImpl).send([event('big', 0, { properties: { description: 'é'.repeat(40_000) } })]);
    expect(calls[0].init.keepalive).toBe(false);
  });
});

describe('relay batches', () => {
  it('splits by RELAY_MAX_EVENTS_PER_REQUEST events', () => {
    const events = Array.from({ length: 45 }, (_, i) => event(`e${i}`));
    expect(relayBatches(events).map((b) => b.length)).toEqual([RELAY_MAX_EVENTS_PER_REQUEST, RELAY_MAX_EVENTS_PER_REQUEST, 5]);
  });

  it('keeps every request under RELAY_MAX_BATCH_BYTES of UTF-8, a larger event alone', () => {
    const wide = (id: string) => event(id, 0, { properties: { description: 'é'.repeat(8000) } }); // 16 kB each in UTF-8
    const batches = relayBatches([wide('a'), wide('b'), wide('c'), wide('d'), wide('e'), event('huge', 0, { properties: { description: 'x'.repeat(60_000) } })]);
    expect(batches.map((b) => b.map((e) => e.event_id))).toEqual([['a', 'b', 'c'], ['d', 'e'], ['huge']]);
    for (const batch of batches.slice(0, 2)) expect(new TextEncoder().encode(JSON.stringify(batch)).length).toBeLessThanOrEqual(RELAY_MAX_BATCH_BYTES);
  });

  it('fits the relay\'s default body limit and the browser\'s keepalive budget', () => {
    expect(RELAY_MAX_BATCH_BYTES).toBeLessThan(loadConfig({ TIKTOK_PIXEL_ID: PIXEL, TIKTOK_ACCESS_TOKEN: 'test-access-token-0001' }).RELAY_MAX_BODY_BYTES);
    expect(RELAY_MAX_BATCH_BYTES).toBeLessThan(64 * 1024);
  });
});

describe('kept events (the write-ahead store)', () => {
  it('gives back what was kept, oldest first, until it is dropped; one copy per event id', () => {
    const store = new MemoryStore();
    const kept = new KeptEvents(store, PIXEL, '');
    kept.keep([event('b', 5), event('a', 10)], NOW_MS);
    kept.keep([event('b', 5)], NOW_MS);
    expect(kept.list(NOW_MS).map((e) => e.event_id)).toEqual(['a', 'b']);
    kept.drop(['a']);
    expect(kept.list(NOW_MS).map((e) => e.event_id)).toEqual(['b']);
    expect([...store.data.keys()]).toEqual([keptKey(PIXEL, 'b')]);
  });

  it('keeps the newest KEPT_LIMIT events of a pixel', () => {
    const store = new MemoryStore();
    const kept = new KeptEvents(store, PIXEL, '');
    kept.keep(Array.from({ length: KEPT_LIMIT + 10 }, (_, i) => event(`e${i}`, KEPT_LIMIT + 10 - i)), NOW_MS);
    const ids = kept.list(NOW_MS).map((e) => e.event_id);
    expect(ids).toHaveLength(KEPT_LIMIT);
    expect(ids[0]).toBe('e10');
    expect(store.data.size).toBe(KEPT_LIMIT);
  });

  it('drops events older than KEPT_MAX_AGE_SECONDS (or dated far ahead), when kept and when read', () => {
    const store = new MemoryStore();
    const kept = new KeptEvents(store, PIXEL, '');
    kept.keep([event('old', KEPT_MAX_AGE_SECONDS + 1), event('ahead', -KEPT_MAX_AGE_SECONDS - 1), event('young', 60)], NOW_MS);
    expect([...store.data.keys()]).toEqual([keptKey(PIXEL, 'young')]);
    kept.keep([event('aging', KEPT_MAX_AGE_SECONDS - 10)], NOW_MS);
    expect(kept.list(NOW_MS + 20_000).map((e) => e.event_id)).toEqual(['young']);
  });

  it('removes what another script wrote under its keys, never sends it', () => {
    const store = new MemoryStore();
    const entry = (e: unknown, owner: unknown = '') => JSON.stringify({ owner, event: e });
    store.setItem(keptKey(PIXEL, 'broken'), '{"owner": "", "ev');
    store.setItem(keptKey(PIXEL, 'not-an-entry'), '"just a string"');
    store.setItem(keptKey(PIXEL, 'null'), 'null');
    store.setItem(keptKey(PIXEL, 'forged'), entry(event('another-id')));
    store.setItem(keptKey(PIXEL, 'no-time'), entry({ ...event('no-time'), event_time: undefined }));
    store.setItem(keptKey(PIXEL, 'no-owner'), entry(event('no-owner'), 42));
    store.setItem(keptKey(PIXEL, 'huge'), entry(event('huge', 0, { properties: { description: 'x'.repeat(KEPT_MAX_CHARS) } })));
    store.setItem(keptKey(PIXEL, 'good'), entry(event('good')));
    store.setItem('unrelated', 'kept as it is');
    const kept = new KeptEvents(store, PIXEL, '');
    expect(kept.list(NOW_MS).map((e) => e.event_id)).toEqual(['good']);
    expect([...store.data.keys()].sort()).toEqual([keptKey(PIXEL, 'good'), 'unrelated']);
  });

  it('keeps each pixel\'s events apart', () => {
    const store = new MemoryStore();
    const other = 'CZZZZZZZZZZZZZZZZZZZ';
    new KeptEvents(store, other, '').keep([{ ...event('theirs'), pixel_id: other }], NOW_MS);
    const ours = new KeptEvents(store, PIXEL, '');
    ours.keep([event('ours')], NOW_MS);
    expect(ours.list(NOW_MS).map((e) => e.event_id)).toEqual(['ours']);
    expect(new KeptEvents(store, other, '').list(NOW_MS).map((e) => e.event_id)).toEqual(['theirs']);
  });

  it('sends another person\'s events without their keys, and forgets those keys at once', () => {
    const store = new MemoryStore();
    const user = { email: 'e'.repeat(64), external_id: ALICE, city: 'paris', ttclid: 'E.C.P.click-1', ttp: '2fJ3kLmN0pQrStUv', locale: 'fr-FR' };
    new KeptEvents(store, PIXEL, ALICE).keep([event('alices', 0, { user })], NOW_MS);
    // Alice logged out and Bob logged in, in the same browser
    const [sent] = new KeptEvents(store, PIXEL, BOB).list(NOW_MS);
    expect(sent.user).toEqual({ ttclid: 'E.C.P.click-1', ttp: '2fJ3kLmN0pQrStUv', locale: 'fr-FR' });
    expect([...store.data.values()].join()).not.toMatch(/e{64}|a{64}|paris/);
    // Alice's own pages still send her events with her keys
    new KeptEvents(store, PIXEL, ALICE).keep([event('alices-2', 0, { user })], NOW_MS);
    expect(new KeptEvents(store, PIXEL, ALICE).list(NOW_MS).find((e) => e.event_id === 'alices-2')?.user).toEqual(user);
  });
});
