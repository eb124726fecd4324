/** @jest-environment jsdom */
/**
 * The inline <head> code of addon/website_tiktok_events/views/website_templates.xml,
 * run as the module renders it: the script is taken from the template, its two
 * `t-out` values filled in, the XML entities undone, and it runs in a jsdom
 * page next to the config blob. Its PageView relay must be the one the bundle
 * would send for the same page.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HEAD_RELAY, PIXEL_STATE, type PageConfig } from '../config';
import { KEPT_PREFIX, keptKey } from '../kept';
import type { RelayEvent, RelayTransport } from '../relay';
import { createSession, trackPageLoad } from '../session';
import { clearCookies, MemoryStore } from './fixturePage';
import { EVENTS_JS_STAND_IN, trackCalls, TTQ_STORAGE_KEY, type TtqCall } from '../../../../tests/e2e/support/ttqRecorder';
import { VECTORS } from '../../../../tests/vectors/contractVectors';

const TEMPLATE = join(__dirname, '..', '..', '..', '..', 'addon', 'website_tiktok_events', 'views', 'website_templates.xml');
const PIXEL = 'C4A1B2C3D4E5F6G7H8I9';
const ORIGIN = 'http://localhost'; // jest's jsdom page: one origin for the whole file
const NOW_MS = 1_732_500_000_000;

/** The script body as QWeb renders it for `consent_required` and `pixel_id`. */
function renderHeadCode(consentRequired: boolean, pixelId: string): string {
  const xml = readFileSync(TEMPLATE, 'utf8');
  // QWeb drops the XML comments (the code's explanations) from what it renders.
  const body = /<script id="tiktok-pixel-base">([\s\S]*?)<\/script>/.exec(xml)?.[1]?.replace(/<!--[\s\S]*?-->/g, '');
  if (!body) throw new Error('no <script id="tiktok-pixel-base"> in the template');
  const outs = [...body.matchAll(/<t t-out="([^"]*)"\/>/g)].map((m) => m[1]);
  expect(outs).toEqual(["'true' if tiktok_page['consent_required'] else 'false'", "tiktok_page['pixel_id']"]);
  return body
    .replace(`<t t-out="${outs[0]}"/>`, consentRequired ? 'true' : 'false')
    .replace(`<t t-out="${outs[1]}"/>`, pixelId)
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

interface Answer {
  status: number;
  body?: unknown;
}

interface HeadRun {
  /** Each relay request: the body a string (sent as text/plain, a request that needs no CORS preflight), and the kept keys when it left. */
  requests: Array<{ url: string; body: RelayEvent[]; type: string; init: RequestInit; keptAtSend: string[] }>;
  /** What the head code told the bundle (`window.__tiktokHeadRelay`), its promise settled. */
  head?: { id: string; status: string };
  /** The `ttq` queue the base code left for events.js: page-wide calls, and each pixel's own. */
  globalQueue: unknown[][];
  pixelQueue: unknown[][];
}

interface PageSetup {
  url: string;
  referrer?: string;
  cookies?: string[];
  config?: Partial<PageConfig>;
  consentRequired?: boolean;
  /** What the relay answers (default 202 with counts); 'offline': a network error; null: the browser has no fetch. */
  answer?: Answer | ((events: RelayEvent[]) => Answer) | 'offline' | null;
  /** localStorage as the page finds it; null: storage is disabled. */
  kept?: Record<string, string> | null;
  /** `navigator.globalPrivacyControl` (default: not defined, as in most browsers). */
  gpc?: boolean;
}

function config(setup: PageSetup): PageConfig {
  return {
    pixel_id: PIXEL,
    website_id: 1,
    relay_url: '/tiktok/relay',
    page_event_id: 'pv-5f0c3a7e-1',
    currency: 'USD',
    debug: false,
    consent_required: !!setup.consentRequired,
    ...setup.config,
  };
}

/** A fresh page at `setup.url` whose <head> holds the config blob and the inline code, as the module renders them. */
async function runHead(setup: PageSetup): Promise<HeadRun> {
  const win = window as any;
  for (const name of ['ttq', 'TiktokAnalyticsObject', HEAD_RELAY, PIXEL_STATE]) delete win[name];
  clearCookies();
  for (const cookie of setup.cookies ?? []) document.cookie = `${cookie}; Path=/`;
  window.history.replaceState(null, '', setup.url);
  Object.defineProperty(document, 'referrer', { value: setup.referrer ?? '', configurable: true });
  localStorage.clear();
  for (const [key, value] of Object.entries(setup.kept ?? {})) localStorage.setItem(key, value);
  const storage = jest.spyOn(window, 'localStorage', 'get');
  if (setup.kept === null) storage.mockImplementation(() => { throw new DOMException('denied', 'SecurityError'); });
  const requests: Array<{ url: string; init: RequestInit; keptAtSend: string[] }> = [];
  const answer = setup.answer === undefined ? { status: 202 } : setup.answer;
  win.fetch =
    answer === null
      ? undefined
      : async (url: string, init: RequestInit) => {
          requests.push({ url: new URL(url, window.location.href).href, init, keptAtSend: kept() });
          if (answer === 'offline') throw new TypeError('Failed to fetch');
          const events = JSON.parse(init.body as string) as RelayEvent[];
          const { status, body } = typeof answer === 'function' ? answer(events) : answer;
          const json = async () => (body === undefined ? { accepted: events.length, duplicates: 0, skipped: 0 } : typeof body === 'string' ? JSON.parse(body) : body);
          return { ok: status >= 200 && status < 300, status, json };
        };
  if (setup.gpc === undefined) delete (navigator as any).globalPrivacyControl;
  else Object.defineProperty(navigator, 'globalPrivacyControl', { value: setup.gpc, configurable: true });
  document.documentElement.innerHTML = '<head></head><body></body>';
  const blob = document.createElement('script');
  blob.type = 'application/json';
  blob.id = 'tiktok-events-config';
  blob.textContent = JSON.stringify(config(setup));
  document.head.appendChild(blob);
  const head = document.createElement('script');
  head.id = 'tiktok-pixel-base';
  head.textContent = renderHeadCode(!!setup.consentRequired, PIXEL);
  const now = jest.spyOn(Date, 'now').mockReturnValue(NOW_MS);
  try {
    document.head.appendChild(head); // runs it, as the parser would
  } finally {
    now.mockRestore();
  }
  const relayed = win[HEAD_RELAY] as { id: string; done: Promise<string> } | undefined;
  const status = relayed && (await relayed.done);
  storage.mockRestore();
  const ttq = win.ttq;
  return {
    requests: requests.map((r) => ({ ...r, type: typeof r.init.body, body: JSON.parse(r.init.body as string) as RelayEvent[] })),
    head: relayed && { id: relayed.id, status: status! },
    globalQueue: Array.from(ttq as unknown[][]),
    pixelQueue: Array.from((ttq._i?.[PIXEL] ?? []) as unknown[][]),
  };
}

/** The PageView relay the bundle would send on the page `run` rendered. */
async function bundlePageView(setup: PageSetup): Promise<RelayEvent[]> {
  const relayed: RelayEvent[] = [];
  const transport: RelayTransport = {
    send: async (events) => {
      relayed.push(...events);
      return { status: 'accepted', accepted: events.length };
    },
  };
  const ctx = createSession(window, config(setup), { transport, store: new MemoryStore(), kept: new MemoryStore(), now: () => NOW_MS });
  trackPageLoad(ctx, document);
  await new Promise((resolve) => setTimeout(resolve, 0));
  return relayed.filter((e) => e.event === 'PageView');
}

describe('inline head code: the browser PageView', () => {
  it('fires on our pixel only, with the page event id, after the customer keys', async () => {
    const identify = { email: 'a'.repeat(64), external_id: 'b'.repeat(64) };
    const run = await runHead({ url: `${ORIGIN}/`, config: { identify } });
    expect(run.pixelQueue).toEqual([
      ['identify', identify],
      ['track', 'Pageview', {}, { event_id: 'pv-5f0c3a7e-1', pixel_code: PIXEL }],
    ]);
    // nothing on the page-wide queue, which every TikTok pixel of the page reads
    expect(run.globalQueue.map((call) => call[0])).toEqual([]);
  });

  it('holds the pixel until the cookie bar is answered', async () => {
    const run = await runHead({ url: `${ORIGIN}/`, consentRequired: true });
    expect(run.globalQueue).toEqual([['holdConsent']]);
  });
});

describe('inline head code: whether TikTok\'s events.js loaded (PIXEL_STATE)', () => {
  const eventsJs = () => document.querySelector<HTMLScriptElement>('script[src^="https://analytics.tiktok.com/i18n/pixel/events.js"]');

  it.each([
    ['load', 'loaded'],
    ['error', 'blocked'],
  ])('says %s as "%s" once the script answers, nothing before', async (answer, said) => {
    await runHead({ url: `${ORIGIN}/` });
    const script = eventsJs();
    expect(script?.src).toContain(`sdkid=${PIXEL}`);
    expect((window as any)[PIXEL_STATE]).toBeUndefined();
    script!.dispatchEvent(new Event(answer));
    expect((window as any)[PIXEL_STATE]).toBe(said);
  });
});

describe('inline head code: Global Privacy Control (navigator.globalPrivacyControl), per the website\'s policy', () => {
  const eventsJs = () => document.querySelector('script[src^="https://analytics.tiktok.com/"]');
  afterAll(() => {
    delete (navigator as any).globalPrivacyControl;
  });

  it('treat as refused: nothing of TikTok on the page, and the bundle finds no config (it stays inert)', async () => {
    const run = await runHead({ url: `${ORIGIN}/shop`, gpc: true, config: { gpc: 'refuse' } });
    expect(run.requests).toEqual([]);
    expect(run.head).toBeUndefined();
    expect(eventsJs()).toBeNull();
    expect(run.pixelQueue).toEqual([]);
    expect(document.getElementById('tiktok-events-config')).toBeNull();
  });

  it('limited data use: the pixel is not loaded (said "withheld"); the PageView still leaves for the server', async () => {
    const run = await runHead({ url: `${ORIGIN}/shop`, gpc: true, config: { gpc: 'limited_data_use' } });
    expect(eventsJs()).toBeNull();
    expect((window as any)[PIXEL_STATE]).toBe('withheld');
    expect(run.requests.map((r) => r.body[0].event)).toEqual(['PageView']);
    expect(document.getElementById('tiktok-events-config')).not.toBeNull();
  });

  it.each<[string, PageSetup]>([
    ['a browser without the signal on a "refuse" website', { url: `${ORIGIN}/shop`, gpc: false, config: { gpc: 'refuse' } }],
    ['a browser that never heard of it', { url: `${ORIGIN}/shop`, config: { gpc: 'refuse' } }],
    ['a website that ignores it (no gpc in the config)', { url: `${ORIGIN}/shop`, gpc: true }],
  ])('changes nothing for %s', async (_what, setup) => {
    const run = await runHead(setup);
    expect(eventsJs()).not.toBeNull();
    expect(run.requests).toHaveLength(1);
    expect((window as any)[PIXEL_STATE]).toBeUndefined();
  });
});

describe('inline head code: the PageView relay', () => {
  it.each<[string, PageSetup]>([
    ['a plain page', { url: `${ORIGIN}/shop` }],
    [
      'secrets, a fragment and contact data in the address; a referrer of the shop',
      {
        url: `${ORIGIN}/my/orders/7?access_token=s3cr3t&utm_source=tiktok&utm_campaign=spring&search=jane%40example.com&order=name+asc#details`,
        referrer: `${ORIGIN}/shop?search=desk&token=r3set`,
      },
    ],
    ['a referrer elsewhere', { url: `${ORIGIN}/shop/desk-5`, referrer: 'https://webmail.example/inbox?u=jane@example.com' }],
    ['a phone number in the path', { url: `${ORIGIN}/contact/+32470123456` }],
    ['an ad click landing', { url: `${ORIGIN}/shop?ttclid=E.C.P.CtQBZabc123-_xyz&utm_source=tiktok`, cookies: ['_ttp=2fJ3kLmN0pQrStUv'] }],
    ['a click id kept from an earlier landing', { url: `${ORIGIN}/shop/cart`, cookies: ['ttclid=E.C.P.earlier-click-1'] }],
    ['click ids that are not TikTok\'s', { url: `${ORIGIN}/shop?ttclid=%22%3E%3Cimg%3E`, cookies: ['ttclid=jane%40example.com', '_ttp=a%20b'] }],
    ['a logged-in customer', { url: `${ORIGIN}/shop`, config: { identify: { email: 'a'.repeat(64), phone_number: 'c'.repeat(64), external_id: 'b'.repeat(64) } } }],
    ['a logged-in customer with name and address keys', { url: `${ORIGIN}/shop`, config: { match_keys: 'contact_name_address', identify: VECTORS.partner_identify.contact_name_address } }],
    ['a visitor who accepted optional cookies', { url: `${ORIGIN}/shop`, consentRequired: true, cookies: ['website_cookies_bar=' + encodeURIComponent('{"required": true, "optional": true}')] }],
  ])('is the relay the bundle would send: %s', async (_what, setup) => {
    const run = await runHead(setup);
    expect(run.requests.map((r) => [r.url, r.type])).toEqual([[`${ORIGIN}/tiktok/relay`, 'string']]);
    // a request that outlives the page, without the shop's cookies
    expect(run.requests[0].init).toMatchObject({ method: 'POST', keepalive: true, credentials: 'omit' });
    const [fromHead] = run.requests[0].body;
    delete (window as any)[HEAD_RELAY]; // let the bundle build its own copy to compare
    expect(await bundlePageView(setup)).toEqual([fromHead]);
    expect(JSON.stringify(fromHead)).not.toMatch(/s3cr3t|r3set|jane|details|webmail|470123456/);
  });

  it('carries every key of the customer\'s identify, the phone named as the Events API names it', async () => {
    const { phone_number: phone, ...rest } = VECTORS.partner_identify.contact_name_address;
    const setup = { url: `${ORIGIN}/shop`, config: { identify: VECTORS.partner_identify.contact_name_address } };
    expect((await runHead(setup)).requests[0].body[0].user).toMatchObject({ ...rest, phone });
    delete (window as any)[HEAD_RELAY];
    expect((await bundlePageView(setup))[0].user).toMatchObject({ ...rest, phone });
  });

  it('spells the addresses the way the shared cleaning does', async () => {
    const url = `${ORIGIN}/my/orders/7?access_token=s3cr3t&utm_source=tiktok&search=jane%40example.com&order=name+asc#details`;
    const [pageView] = (await runHead({ url, referrer: `${ORIGIN}/shop?search=desk&token=r3set` })).requests[0].body;
    expect(pageView.page).toEqual({ url: `${ORIGIN}/my/orders/7?utm_source=tiktok&order=name+asc`, referrer: `${ORIGIN}/shop?search=desk` });
    expect(pageView).toMatchObject({ pixel_id: PIXEL, event: 'PageView', event_id: 'pv-5f0c3a7e-1', event_time: NOW_MS / 1000, consent: 'not_required' });
  });

  it('tells the bundle it sent the PageView and what the relay answered, so the bundle does not send it again', async () => {
    const setup = { url: `${ORIGIN}/shop` };
    expect((await runHead(setup)).head).toEqual({ id: 'pv-5f0c3a7e-1', status: 'accepted' });
    expect(await bundlePageView(setup)).toEqual([]);
  });
});

const PV_KEY = keptKey(PIXEL, 'pv-5f0c3a7e-1');
/** The kept keys of localStorage ([] while the page may not use storage). */
function kept(): string[] {
  try {
    return Object.keys(localStorage).filter((key) => key.startsWith(KEPT_PREFIX)).sort();
  } catch {
    return [];
  }
}
const keptEntry = (key: string) => JSON.parse(localStorage.getItem(key)!) as { owner: string; event: RelayEvent };
/** An entry an earlier page kept, as kept.ts writes it. */
function earlier(eventId: string, options: { owner?: string; pixel?: string; ageSeconds?: number; properties?: object } = {}): Record<string, string> {
  const pixel = options.pixel ?? PIXEL;
  const event = { pixel_id: pixel, event: 'Search', event_id: eventId, event_time: NOW_MS / 1000 - (options.ageSeconds ?? 60), consent: 'not_required', properties: options.properties ?? { query: 'desk' } };
  return { [keptKey(pixel, eventId)]: JSON.stringify({ owner: options.owner ?? '', event }) };
}

describe('inline head code: nothing lost between the page and the relay', () => {
  it('keeps the PageView before it is sent, and drops it once the relay accepted it', async () => {
    const run = await runHead({ url: `${ORIGIN}/shop` });
    expect(run.requests[0].keptAtSend).toEqual([PV_KEY]);
    expect(run.head).toEqual({ id: 'pv-5f0c3a7e-1', status: 'accepted' });
    expect(kept()).toEqual([]);
  });

  it.each<[string, PageSetup['answer']]>([
    ['the sidecar is down', 'offline'],
    ['the sidecar is shutting down (503)', { status: 503, body: { error: 'shutting_down' } }],
    ['the relay is busy (429)', { status: 429, body: { error: 'rate_limited' } }],
    ['an answer that is not the relay\'s (a proxy\'s 200)', { status: 200, body: '<html>' }],
  ])('keeps the PageView for the next page when %s', async (_what, answer) => {
    const run = await runHead({ url: `${ORIGIN}/shop`, answer });
    expect(run.head).toEqual({ id: 'pv-5f0c3a7e-1', status: 'failed' });
    expect(kept()).toEqual([PV_KEY]);
    expect(keptEntry(PV_KEY)).toEqual({ owner: '', event: run.requests[0].body[0] });
  });

  it('drops the PageView the relay refused for good (400)', async () => {
    const run = await runHead({ url: `${ORIGIN}/shop`, answer: { status: 400, body: { error: 'invalid_request' } } });
    expect(run.head?.status).toBe('refused');
    expect(kept()).toEqual([]);
  });

  it('sends what earlier pages of this person kept with its PageView, under this page\'s consent, and drops it once accepted', async () => {
    const run = await runHead({
      url: `${ORIGIN}/shop`,
      consentRequired: true,
      cookies: ['website_cookies_bar=' + encodeURIComponent('{"required": true, "optional": true}')],
      kept: { ...earlier('search-1'), ...earlier('search-2') },
    });
    const [request] = run.requests;
    expect(request.body.map((e) => [e.event_id, e.consent])).toEqual([
      ['pv-5f0c3a7e-1', 'granted'],
      ['search-1', 'granted'],
      ['search-2', 'granted'],
    ]);
    expect(kept()).toEqual([]);
  });

  it('leaves another person\'s events and another pixel\'s to the bundle, and removes broken and expired entries', async () => {
    const other = earlier('theirs-1', { owner: 'c'.repeat(64) });
    const otherPixel = earlier('elsewhere-1', { pixel: 'CZZZZZZZZZZZZZZZZZZZ' });
    const run = await runHead({
      url: `${ORIGIN}/shop`,
      kept: {
        ...other,
        ...otherPixel,
        ...earlier('old-1', { ageSeconds: 3601 }),
        [keptKey(PIXEL, 'broken-1')]: '{"owner": "", "event": ',
        // an entry whose key names another event than it holds
        [keptKey(PIXEL, 'forged-1')]: earlier('search-9')[keptKey(PIXEL, 'search-9')],
      },
    });
    expect(run.requests[0].body.map((e) => e.event_id)).toEqual(['pv-5f0c3a7e-1']);
    expect(kept()).toEqual([...Object.keys(other), ...Object.keys(otherPixel)].sort());
  });

  it('sends at most one relay request\'s worth: 20 events, a short body; the rest waits', async () => {
    const many = Object.assign({}, ...Array.from({ length: 30 }, (_, i) => earlier(`search-${String(i).padStart(2, '0')}`)));
    const run = await runHead({ url: `${ORIGIN}/shop`, kept: many });
    expect(run.requests[0].body).toHaveLength(20);
    expect(kept()).toHaveLength(11);
    const big = earlier('big-1', { properties: { description: 'x'.repeat(17_000) } });
    const bigRun = await runHead({ url: `${ORIGIN}/shop`, kept: big });
    expect(bigRun.requests[0].body.map((e) => e.event_id)).toEqual(['pv-5f0c3a7e-1']);
    expect(kept()).toEqual(Object.keys(big));
  });

  it('sends its own PageView alone when a kept event makes the relay refuse the request, and leaves that event to the bundle', async () => {
    const bad = earlier('bad-1', { properties: { query: 'x'.repeat(600) } });
    const run = await runHead({
      url: `${ORIGIN}/shop`,
      kept: bad,
      answer: (events) => (events.some((e) => e.event_id === 'bad-1') ? { status: 400, body: { error: 'invalid_request' } } : { status: 202 }),
    });
    expect(run.requests.map((r) => r.body.map((e) => e.event_id))).toEqual([['pv-5f0c3a7e-1', 'bad-1'], ['pv-5f0c3a7e-1']]);
    expect(run.head?.status).toBe('accepted');
    expect(kept()).toEqual(Object.keys(bad));
  });

  it('only keeps the PageView while the cookie bar is not answered or optional cookies were refused', async () => {
    for (const cookies of [[], ['website_cookies_bar=' + encodeURIComponent('{"required": true, "optional": false}')]]) {
      const run = await runHead({ url: `${ORIGIN}/shop`, consentRequired: true, cookies, kept: earlier('search-1') });
      expect(run.requests).toEqual([]);
      expect(run.head).toEqual({ id: 'pv-5f0c3a7e-1', status: 'queued' });
      expect(keptEntry(PV_KEY).event.consent).toBe('denied');
      // the bundle sends it (and what else waits) once the visitor accepts
      expect(await bundlePageView({ url: `${ORIGIN}/shop`, consentRequired: true })).toEqual([]);
    }
  });

  it('sends the PageView without keeping it where storage is disabled', async () => {
    const run = await runHead({ url: `${ORIGIN}/shop`, kept: null });
    expect(run.requests[0].body.map((e) => e.event_id)).toEqual(['pv-5f0c3a7e-1']);
    expect(run.head?.status).toBe('accepted');
  });

  it('leaves the PageView to the bundle where it can neither keep nor send it', async () => {
    const run = await runHead({ url: `${ORIGIN}/shop`, kept: null, answer: null });
    expect(run.head).toBeUndefined();
    expect((await bundlePageView({ url: `${ORIGIN}/shop` })).map((e) => e.event_id)).toEqual(['pv-5f0c3a7e-1']);
  });

  it('never uses sendBeacon, which would carry the shop\'s cookies', () => {
    expect(renderHeadCode(false, PIXEL)).not.toContain('sendBeacon');
  });
});

describe('the e2e stand-in for events.js (tests/e2e/support/ttqRecorder.ts)', () => {
  it('records what the head code queued and what the bundle calls later, each with the pixel it was addressed to', async () => {
    sessionStorage.clear();
    await runHead({ url: `${ORIGIN}/shop`, config: { identify: { email: 'a'.repeat(64) } } });
    const standIn = document.createElement('script');
    standIn.textContent = EVENTS_JS_STAND_IN;
    document.head.appendChild(standIn);
    const ttq = (window as any).ttq;
    ttq.instance(PIXEL).track('Search', { query: 'desk' }, { event_id: 'evt-1', pixel_code: PIXEL });
    ttq.grantConsent();
    const calls: TtqCall[] = JSON.parse(sessionStorage.getItem(TTQ_STORAGE_KEY) ?? '[]');
    expect(calls.map((c) => [c.method, c.pixel, c.args[0]])).toEqual([
      ['identify', PIXEL, { email: 'a'.repeat(64) }],
      ['track', PIXEL, 'Pageview'],
      ['track', PIXEL, 'Search'],
      ['grantConsent', null, undefined],
    ]);
    expect(trackCalls(calls).map((t) => [t.name, t.eventId, t.pixelCode])).toEqual([
      ['Pageview', 'pv-5f0c3a7e-1', PIXEL],
      ['Search', 'evt-1', PIXEL],
    ]);
    sessionStorage.clear();
  });
});
