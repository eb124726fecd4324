/** @jest-environment jsdom */
import { loadPage, clearCookies } from '../../core/__tests__/fixturePage';

/**
 * A small stand-in for Odoo's Interaction (web/static/src/public/interaction.js):
 * it binds `dynamicContent` the way colibri does (`_root`, `_document`, CSS
 * selectors inside the element, `.capture`/`.noUpdate` suffixes).
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
      registerCleanup() {}
      mountComponent() {
        return () => undefined;
      }
      boot() {
        this.setup();
        for (const [selector, directives] of Object.entries(this.dynamicContent)) {
          const nodes: EventTarget[] =
            selector === '_root' ? [this.el] : selector === '_document' ? [document] : Array.from(this.el.querySelectorAll(selector));
          for (const [directive, handler] of Object.entries(directives)) {
            const parts = directive.replace(/^t-on-/, '').split('.');
            const capture = parts.includes('capture');
            for (const node of nodes) node.addEventListener(parts[0], handler, { capture });
          }
        }
        this.start();
      }
    },
  }),
  { virtual: true },
);
const registered = new Map<string, any>();
jest.mock('@web/core/registry', () => ({ registry: { category: () => ({ add: (k: string, v: unknown) => registered.set(k, v) }) } }), {
  virtual: true,
});

function startInteractions() {
  for (const Cls of registered.values()) {
    for (const el of Array.from(document.querySelectorAll<HTMLElement>(Cls.selector))) new Cls(el).boot();
  }
}

describe('Odoo interactions', () => {
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

  it('wires a real product page: ViewContent on load, AddToCart from the non-bubbling CustomEvent, wishlist click', () => {
    const page = loadPage('product', 'http://localhost/shop/furn-7777-office-chair-5');
    const config = document.createElement('script');
    config.type = 'application/json';
    config.id = 'tiktok-events-config';
    config.textContent = JSON.stringify({ pixel_id: 'PIX', website_id: 1, relay_url: '/tiktok/relay', page_event_id: 'pv-x', currency: 'USD' });
    document.head.appendChild(config);
    const calls: unknown[][] = [];
    (window as any).ttq = { track: (...a: unknown[]) => calls.push(a), identify: () => undefined };
    Object.defineProperty(navigator, 'sendBeacon', { value: () => true, configurable: true });
    jest.isolateModules(() => require('../main'));
    startInteractions();
    expect(calls.map((c) => c[0])).toEqual(['ViewContent']);

    document.querySelector<HTMLInputElement>('input[name="add_qty"]')!.value = '3';
    document.querySelector<HTMLElement>('#add_to_cart')!.click();
    // website_sale dispatches it on .oe_website_sale without bubbling
    document
      .querySelector('.oe_website_sale')!
      .dispatchEvent(new CustomEvent('add_to_cart_event', { detail: [{ item_id: 5, item_name: 'Office Chair', price: 63, currency: 'USD', quantity: 3 }] }));
    expect(calls[1][0]).toBe('AddToCart');
    expect(calls[1][1]).toMatchObject({ value: 189, contents: [{ content_id: '5', quantity: 3 }] });

    document.querySelector<HTMLElement>('.o_add_wishlist_dyn')!.click();
    expect(calls[2][0]).toBe('AddToWishlist');
    expect(page).toBeDefined();
  });
});
