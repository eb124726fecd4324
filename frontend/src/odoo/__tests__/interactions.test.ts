/** @jest-environment jsdom */
import { loadPage, clearCookies, recordingTtq, type TtqCall } from '../../core/__tests__/fixturePage';

/**
 * A small stand-in for Odoo's Interaction (web/static/src/public/interaction.js):
 * it binds `dynamicContent` the way colibri does (`_root`, `_document`,
 * `_window`, CSS selectors inside the element, `.capture`/`.noUpdate` suffixes).
 */
jest.mock(
  '@web/public/interaction',
  () => ({
    Interaction: class {
      static selector = '';
      dynamicContent: Record<string, Record<string, (ev: Event) => void>> = {};
      constructor(public el: HTMLElement) {}
      setup() {}
      start() {}
      destroy() {}
      registerCleanup(fn: () => void) {
        (globalThis as any).__interactionCleanups.push(fn);
      }
      mountComponent() {
        return () => undefined;
      }
      boot() {
        this.setup();
        for (const [selector, directives] of Object.entries(this.dynamicContent)) {
          const nodes: EventTarget[] =
            selector === '_root'
              ? [this.el]
              : selector === '_document'
                ? [document]
                : selector === '_window'
                  ? [window]
                  : Array.from(this.el.querySelectorAll(selector));
          for (const [directive, handler] of Object.entries(directives)) {
            const parts = directive.replace(/^t-on-/, '').split('.');
            const capture = parts.includes('capture');
            for (const node of nodes) {
              node.addEventListener(parts[0], handler, { capture });
              this.registerCleanup(() => node.removeEventListener(parts[0], handler, { capture }));
            }
          }
        }
        this.start();
      }
    },
  }),
  { virtual: true },
);
(globalThis as any).__interactionCleanups = [];
const registered = new Map<string, any>();
jest.mock('@web/core/registry', () => ({ registry: { category: () => ({ add: (k: string, v: unknown) => registered.set(k, v) }) } }), {
  virtual: true,
});

function startInteractions() {
  for (const Cls of registered.values()) {
    for (const el of Array.from(document.querySelectorAll<HTMLElement>(Cls.selector))) new Cls(el).boot();
  }
}

function readBlob(blob: Blob): Promise<string> {
  return new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.readAsText(blob);
  });
}

describe('Odoo interactions', () => {
  afterEach(() => {
    // what Odoo does when the page's interactions stop
    for (const cleanup of (globalThis as any).__interactionCleanups.splice(0)) cleanup();
  });

  beforeEach(() => {
    clearCookies();
    jest.resetModules();
    registered.clear();
  });

  it('registers one interaction per behaviour in public.interactions', () => {
    jest.isolateModules(() => require('../main'));
    expect([...registered.keys()].sort()).toEqual([
      'website_tiktok_events.add_to_cart_button',
      'website_tiktok_events.attendee_form',
      'website_tiktok_events.newsletter',
      'website_tiktok_events.page_tracking',
      'website_tiktok_events.website_form',
      'website_tiktok_events.wishlist_button',
    ]);
  });

  function pageWithConfig(url: string) {
    const page = loadPage('product', url);
    const config = document.createElement('script');
    config.type = 'application/json';
    config.id = 'tiktok-events-config';
    config.textContent = JSON.stringify({ pixel_id: 'PIX', website_id: 1, relay_url: '/tiktok/relay', page_event_id: 'pv-x', currency: 'USD' });
    document.head.appendChild(config);
    const calls: TtqCall[] = [];
    (window as any).ttq = recordingTtq(calls);
    return { page, calls };
  }

  it('wires a real product page: ViewContent on load, AddToCart from the non-bubbling CustomEvent, wishlist click', () => {
    const { page, calls } = pageWithConfig('http://localhost/shop/furn-7777-office-chair-5');
    Object.defineProperty(navigator, 'sendBeacon', { value: () => true, configurable: true });
    jest.isolateModules(() => require('../main'));
    startInteractions();
    const tracks = () => calls.filter((c) => c.method === 'track');
    expect(tracks().map((c) => c.args[0])).toEqual(['ViewContent']);

    document.querySelector<HTMLInputElement>('input[name="add_qty"]')!.value = '3';
    document.querySelector<HTMLElement>('#add_to_cart')!.click();
    // website_sale dispatches it on .oe_website_sale without bubbling
    document
      .querySelector('.oe_website_sale')!
      .dispatchEvent(new CustomEvent('add_to_cart_event', { detail: [{ item_id: 5, item_name: 'Office Chair', price: 63, currency: 'USD', quantity: 3 }] }));
    expect(tracks()[1].args[0]).toBe('AddToCart');
    expect(tracks()[1].args[1]).toMatchObject({ value: 189, contents: [{ content_id: '5', quantity: 3 }] });

    document.querySelector<HTMLElement>('.o_add_wishlist_dyn')!.click();
    expect(tracks()[2].args[0]).toBe('AddToWishlist');
    // every call on our pixel's instance, and named again in pixel_code
    expect(tracks().map((c) => [c.pixel, (c.args[2] as { pixel_code: string }).pixel_code])).toEqual([
      ['PIX', 'PIX'],
      ['PIX', 'PIX'],
      ['PIX', 'PIX'],
    ]);
    expect(page).toBeDefined();
  });

  it.each([
    ['pagehide', () => window.dispatchEvent(new Event('pagehide'))],
    [
      'the page turning hidden',
      () => {
        Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
      },
    ],
  ])('sends what waits by beacon on %s', async (_what, leave) => {
    sessionStorage.clear();
    pageWithConfig('http://localhost/shop/furn-7777-office-chair-5');
    // the relay was down on an earlier page of the visit, and still is: this page's relays fail too
    sessionStorage.setItem(
      'tiktok_events.unsent',
      JSON.stringify([{ pixel_id: 'PIX', event: 'Search', event_id: 'kept-9', event_time: Math.floor(Date.now() / 1000), consent: 'not_required' }]),
    );
    (window as any).fetch = () => Promise.reject(new TypeError('Failed to fetch'));
    const beacons: string[] = [];
    Object.defineProperty(navigator, 'sendBeacon', { value: (_url: string, data: string) => beacons.push(data) > 0, configurable: true });
    try {
      jest.isolateModules(() => require('../main'));
      startInteractions();
      await new Promise((resolve) => setTimeout(resolve, 0));
      document.dispatchEvent(new Event('visibilitychange')); // still visible: nothing leaves
      expect(beacons).toEqual([]);
      leave();
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(beacons).toHaveLength(1);
      const sent = (JSON.parse(beacons[0]) as Array<{ event_id: string }>).map((e) => e.event_id);
      expect(sent.slice(0, 2)).toEqual(['pv-x', 'kept-9']);
      expect(sent).toHaveLength(3); // and this page's ViewContent
    } finally {
      Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
      delete (window as any).fetch;
      sessionStorage.clear();
    }
  });
});
