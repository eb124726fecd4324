import { createRelayTransport, type RelayEvent } from '../relay';
import { keepUnsent, takeUnsent, UNSENT_LIMIT, UNSENT_MAX_AGE_SECONDS } from '../unsent';
import { MemoryStore } from './fixturePage';

const NOW_MS = 1_732_500_000_000;
const NOW_S = NOW_MS / 1000;

function event(id: string, ageSeconds = 0): RelayEvent {
  return { pixel_id: 'C4A1B2C3D4E5F6G7H8I9', event: 'Search', event_id: id, event_time: NOW_S - ageSeconds, consent: 'not_required' };
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
  it('uses fetch with keepalive and no credentials while the page lives, and reads the answer', async () => {
    const { fetchImpl, calls } = answering(202, { accepted: 1 });
    const beacons: string[] = [];
    const transport = createRelayTransport('/tiktok/relay', { fetch: fetchImpl, sendBeacon: (url) => (beacons.push(url), true) });
    expect(await transport.send([event('a')])).toEqual({ status: 'accepted', accepted: 1 });
    expect(calls[0].url).toBe('/tiktok/relay');
    expect(calls[0].init).toMatchObject({ method: 'POST', keepalive: true, credentials: 'omit' });
    // a string body: sent as text/plain, a "simple" request that needs no CORS preflight
    expect(JSON.parse(calls[0].init.body as string)).toEqual([event('a')]);
    expect(beacons).toEqual([]);
  });

  it.each([500, 503, 408, 429])('counts a %i answer as not delivered (worth another try)', async (status) => {
    const transport = createRelayTransport('/r', { fetch: answering(status, { error: 'outbox_unavailable' }).fetchImpl });
    expect(await transport.send([event('a')])).toEqual({ status: 'failed', error: `${status} outbox_unavailable` });
  });

  it.each([400, 403, 413])('counts a %i answer as refused for good', async (status) => {
    const transport = createRelayTransport('/r', { fetch: answering(status, { error: 'invalid_request' }).fetchImpl });
    expect(await transport.send([event('a')])).toEqual({ status: 'refused', httpStatus: status, error: 'invalid_request' });
  });

  it('counts a network error as not delivered', async () => {
    const offline = createRelayTransport('/r', { fetch: async () => Promise.reject(new TypeError('Failed to fetch')) });
    expect(await offline.send([event('a')])).toEqual({ status: 'failed', error: 'TypeError: Failed to fetch' });
  });

  it('sends by beacon when the page is being left; a beacon the browser refuses is not delivered', async () => {
    const { fetchImpl, calls } = answering(202);
    const bodies: string[] = [];
    let accept = true;
    const transport = createRelayTransport('/r', { fetch: fetchImpl, sendBeacon: (_url, data) => (bodies.push(data), accept) });
    expect(await transport.send([event('a'), event('b')], true)).toEqual({ status: 'sent' });
    expect(JSON.parse(bodies[0]).map((e: RelayEvent) => e.event_id)).toEqual(['a', 'b']);
    accept = false;
    expect((await transport.send([event('c')], true)).status).toBe('failed');
    expect(calls).toEqual([]);
  });

  it('falls back on sendBeacon where fetch is missing, and fails without either', async () => {
    expect(await createRelayTransport('/r', { sendBeacon: () => true }).send([event('a')])).toEqual({ status: 'sent' });
    expect((await createRelayTransport('/r', {}).send([event('a')])).status).toBe('failed');
  });
});

describe('unsent relays', () => {
  it('gives back what was kept, once, with the same event ids', () => {
    const store = new MemoryStore();
    keepUnsent(store, [event('a'), event('b')], NOW_MS);
    keepUnsent(store, [event('a')], NOW_MS); // failed again: one copy
    expect(takeUnsent(store, NOW_MS).map((e) => e.event_id)).toEqual(['b', 'a']);
    expect(takeUnsent(store, NOW_MS)).toEqual([]);
  });

  it('keeps at most the newest UNSENT_LIMIT events', () => {
    const store = new MemoryStore();
    const many = Array.from({ length: UNSENT_LIMIT + 10 }, (_, i) => event(`e${i}`));
    keepUnsent(store, many.slice(0, 30), NOW_MS);
    keepUnsent(store, many.slice(30), NOW_MS);
    const kept = takeUnsent(store, NOW_MS).map((e) => e.event_id);
    expect(kept).toHaveLength(UNSENT_LIMIT);
    expect(kept[0]).toBe('e10');
    expect(kept[kept.length - 1]).toBe(`e${UNSENT_LIMIT + 9}`);
  });

  it('drops events older than UNSENT_MAX_AGE_SECONDS, when kept and when taken', () => {
    const store = new MemoryStore();
    keepUnsent(store, [event('old', UNSENT_MAX_AGE_SECONDS + 1), event('young', 60)], NOW_MS);
    expect([...store.data.values()].join()).not.toContain('"old"');
    keepUnsent(store, [event('aging', UNSENT_MAX_AGE_SECONDS - 10)], NOW_MS);
    expect(takeUnsent(store, NOW_MS + 20_000).map((e) => e.event_id)).toEqual(['young']);
  });
});
