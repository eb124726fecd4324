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
import { PAGE_VIEW_RELAYED, type PageConfig } from '../config';
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

interface HeadRun {
  /** The body a string (sent as text/plain, a request that needs no CORS preflight). */
  beacons: Array<{ url: string; body: RelayEvent; type: string }>;
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
  /** What navigator.sendBeacon answers; null: the browser has no sendBeacon. */
  beacon?: boolean | null;
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
function runHead(setup: PageSetup): HeadRun {
  const win = window as any;
  for (const name of ['ttq', 'TiktokAnalyticsObject', PAGE_VIEW_RELAYED]) delete win[name];
  clearCookies();
  for (const cookie of setup.cookies ?? []) document.cookie = `${cookie}; Path=/`;
  window.history.replaceState(null, '', setup.url);
  Object.defineProperty(document, 'referrer', { value: setup.referrer ?? '', configurable: true });
  const beacons: Array<{ url: string; data: unknown }> = [];
  Object.defineProperty(navigator, 'sendBeacon', {
    value:
      setup.beacon === null
        ? undefined
        : (url: string, data: unknown) => {
            beacons.push({ url: new URL(url, window.location.href).href, data });
            return setup.beacon ?? true;
          },
    configurable: true,
  });
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
  const ttq = win.ttq;
  return {
    beacons: beacons.map((b) => ({ url: b.url, type: typeof b.data, body: JSON.parse(String(b.data)) })),
    globalQueue: Array.from(ttq as unknown[][]),
    pixelQueue: Array.from(ttq._i[PIXEL] as unknown[][]),
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
  const ctx = createSession(window, config(setup), { transport, store: new MemoryStore(), now: () => NOW_MS });
  trackPageLoad(ctx, document);
  await new Promise((resolve) => setTimeout(resolve, 0));
  return relayed.filter((e) => e.event === 'PageView');
}

describe('inline head code: the browser PageView', () => {
  it('fires on our pixel only, with the page event id, after the customer keys', async () => {
    const identify = { email: 'a'.repeat(64), external_id: 'b'.repeat(64) };
    const run = runHead({ url: `${ORIGIN}/`, config: { identify } });
    expect(run.pixelQueue).toEqual([
      ['identify', identify],
      ['track', 'Pageview', {}, { event_id: 'pv-5f0c3a7e-1', pixel_code: PIXEL }],
    ]);
    // nothing on the page-wide queue, which every TikTok pixel of the page reads
    expect(run.globalQueue.map((call) => call[0])).toEqual([]);
  });

  it('holds the pixel until the cookie bar is answered', async () => {
    const run = runHead({ url: `${ORIGIN}/`, consentRequired: true });
    expect(run.globalQueue).toEqual([['holdConsent']]);
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
    const run = runHead(setup);
    expect(run.beacons.map((b) => [b.url, b.type])).toEqual([[`${ORIGIN}/tiktok/relay`, 'string']]);
    const fromHead = run.beacons[0].body;
    delete (window as any)[PAGE_VIEW_RELAYED]; // let the bundle build its own copy to compare
    expect(await bundlePageView(setup)).toEqual([fromHead]);
    expect(JSON.stringify(fromHead)).not.toMatch(/s3cr3t|r3set|jane|details|webmail|470123456/);
  });

  it('carries every key of the customer\'s identify, the phone named as the Events API names it', async () => {
    const { phone_number: phone, ...rest } = VECTORS.partner_identify.contact_name_address;
    const setup = { url: `${ORIGIN}/shop`, config: { identify: VECTORS.partner_identify.contact_name_address } };
    expect(runHead(setup).beacons[0].body.user).toMatchObject({ ...rest, phone });
    delete (window as any)[PAGE_VIEW_RELAYED];
    expect((await bundlePageView(setup))[0].user).toMatchObject({ ...rest, phone });
  });

  it('spells the addresses the way the shared cleaning does', async () => {
    const url = `${ORIGIN}/my/orders/7?access_token=s3cr3t&utm_source=tiktok&search=jane%40example.com&order=name+asc#details`;
    const run = runHead({ url, referrer: `${ORIGIN}/shop?search=desk&token=r3set` });
    expect(run.beacons[0].body.page).toEqual({ url: `${ORIGIN}/my/orders/7?utm_source=tiktok&order=name+asc`, referrer: `${ORIGIN}/shop?search=desk` });
    expect(run.beacons[0].body).toMatchObject({ pixel_id: PIXEL, event: 'PageView', event_id: 'pv-5f0c3a7e-1', event_time: NOW_MS / 1000, consent: 'not_required' });
  });

  it('marks the PageView sent, so the bundle does not send it again', async () => {
    const setup = { url: `${ORIGIN}/shop` };
    runHead(setup);
    expect((window as any)[PAGE_VIEW_RELAYED]).toBe('pv-5f0c3a7e-1');
    expect(await bundlePageView(setup)).toEqual([]);
  });

  it.each<[string, PageSetup]>([
    ['the cookie bar is not answered', { url: `${ORIGIN}/shop`, consentRequired: true }],
    ['optional cookies were refused', { url: `${ORIGIN}/shop`, consentRequired: true, cookies: ['website_cookies_bar=' + encodeURIComponent('{"required": true, "optional": false}')] }],
    ['the browser refuses the beacon', { url: `${ORIGIN}/shop`, beacon: false }],
    ['the browser has no sendBeacon', { url: `${ORIGIN}/shop`, beacon: null }],
  ])('leaves the PageView relay to the bundle when %s', async (_what, setup) => {
    const run = runHead(setup);
    expect(run.beacons).toHaveLength(setup.beacon === false ? 1 : 0);
    expect((window as any)[PAGE_VIEW_RELAYED]).toBeUndefined();
    const consentGiven = !setup.consentRequired;
    const relayed = await bundlePageView(setup);
    // without consent the bundle queues it (sent once the visitor accepts); else it sends it now
    expect(relayed.map((e) => e.event_id)).toEqual(consentGiven ? ['pv-5f0c3a7e-1'] : []);
  });
});

describe('the e2e stand-in for events.js (tests/e2e/support/ttqRecorder.ts)', () => {
  it('records what the head code queued and what the bundle calls later, each with the pixel it was addressed to', () => {
    sessionStorage.clear();
    runHead({ url: `${ORIGIN}/shop`, config: { identify: { email: 'a'.repeat(64) } } });
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
