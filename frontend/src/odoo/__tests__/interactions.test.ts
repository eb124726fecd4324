/** @jest-environment jsdom */
import { loadPage, clearCookies, recordingTtq, type TtqCall } from '../../core/__tests__/fixturePage';
import { odoo, startInteractions, startOdoo, stopInteractions } from './odooStubs';

jest.mock('@web/public/interaction', () => require('./odooStubs').interactionModule, { virtual: true });
jest.mock('@web/core/registry', () => require('./odooStubs').registryModule, { virtual: true });
jest.mock('@web/core/utils/patch', () => require('./odooStubs').patchModule, { virtual: true });
jest.mock('@website_sale/js/cart_service', () => require('./odooStubs').cartServiceModule, { virtual: true });
jest.mock('@web/core/assets', () => require('./odooStubs').assetsModule, { virtual: true });

// The bundle is loaded once, as on a page: its registrations and its patch of the cart service.
require('../main');

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Odoo's answer to `/shop/cart/add` for 2 office chairs added to a line that already held 1. */
const TWO_CHAIRS_ADDED = {
  quantity: 3,
  cart_quantity: 3,
  notification_info: { lines: [{ id: 41, quantity: 2 }] },
  // Odoo's own tracking (Google Analytics): the line's total
  tracking_info: [{ item_id: 5, item_name: 'Office Chair', currency: 'USD', price: 63, quantity: 3 }],
  tiktok_added: {
    currency: 'USD',
    contents: [{ content_id: '5', content_type: 'product', content_name: 'Office Chair', price: 63, quantity: 2 }],
    cart: [{ content_id: '5', content_type: 'product', content_name: 'Office Chair', price: 63, quantity: 3 }],
  },
};

describe('Odoo glue: the tracking service, the interactions and the cart service patch', () => {
  let calls: TtqCall[];
  let beacons: string[];
  /** The ids of each relay request's events (the relay answers 202 with its counts). */
  let requests: string[][];

  beforeEach(() => {
    clearCookies();
    sessionStorage.clear();
    localStorage.clear();
    odoo.reset();
    beacons = [];
    // sendBeacon would carry the shop's cookies: it must never be used
    Object.defineProperty(navigator, 'sendBeacon', { value: (_url: string, data: string) => beacons.push(data) > 0, configurable: true });
    requests = [];
    (window as any).fetch = async (_url: string, init: RequestInit) => {
      const events = JSON.parse(init.body as string) as Array<{ event_id: string }>;
      requests.push(events.map((e) => e.event_id));
      return { ok: true, status: 202, json: async () => ({ accepted: events.length, duplicates: 0, skipped: 0 }) };
    };
  });

  afterEach(() => {
    stopInteractions();
    delete (window as any).fetch;
    expect(beacons).toEqual([]);
  });

  function pageWithConfig(url: string, withConfig = true, extra: Record<string, unknown> = {}) {
    loadPage('product', url);
    if (withConfig) {
      const config = document.createElement('script');
      config.type = 'application/json';
      config.id = 'tiktok-events-config';
      config.textContent = JSON.stringify({ pixel_id: 'PIX', website_id: 1, relay_url: '/tiktok/relay', page_event_id: 'pv-x', currency: 'USD', ...extra });
      document.head.appendChild(config);
    }
    calls = [];
    (window as any).ttq = recordingTtq(calls);
  }
  const tracks = () => calls.filter((c) => c.method === 'track');

  it('registers the tiktok_tracking service and one interaction per behaviour', () => {
    expect([...odoo.registries.get('services')!.keys()]).toEqual(['tiktok_tracking']);
    expect([...odoo.registries.get('public.interactions')!.keys()].sort()).toEqual([
      'website_tiktok_events.attendee_form',
      'website_tiktok_events.newsletter',
      'website_tiktok_events.page_tracking',
      'website_tiktok_events.website_form',
      'website_tiktok_events.wishlist_button',
    ]);
  });

  it('wires a real product page: ViewContent on load, AddToCart from the cart answer, wishlist click', async () => {
    pageWithConfig('http://localhost/shop/furn-7777-office-chair-5');
    const { services } = startOdoo();
    expect(tracks().map((c) => c.args[0])).toEqual(['ViewContent']);

    // the product page's "Add to cart" goes through Odoo's cart service
    odoo.rpcAnswers.set('/shop/cart/add', TWO_CHAIRS_ADDED);
    await expect(services.cart.add({ productTemplateId: 7, productId: 5, quantity: 2 })).resolves.toBe(3);
    expect(odoo.rpcCalls.map((c) => c.route)).toEqual(['/shop/cart/add']);
    // Odoo still dispatched its add_to_cart_event (Google Analytics): no second AddToCart from it
    expect(tracks().map((c) => c.args[0])).toEqual(['ViewContent', 'AddToCart']);
    expect(tracks()[1].args[1]).toEqual({
      contents: [{ content_id: '5', content_type: 'product', content_name: 'Office Chair', price: 63, quantity: 2 }],
      content_type: 'product',
      currency: 'USD',
      value: 126,
    });

    document.querySelector<HTMLElement>('.o_add_wishlist_dyn')!.click();
    expect(tracks()[2].args[0]).toBe('AddToWishlist');
    // every call on our pixel's instance, and named again in pixel_code
    expect(tracks().map((c) => [c.pixel, (c.args[2] as { pixel_code: string }).pixel_code])).toEqual([
      ['PIX', 'PIX'],
      ['PIX', 'PIX'],
      ['PIX', 'PIX'],
    ]);
  });

  it('reports an add to cart whose page goes to the cart: the relay leaves before the redirect, by keepalive fetch', async () => {
    pageWithConfig('http://localhost/shop/furn-7777-office-chair-5');
    const relays: Array<{ events: Array<{ event: string }>; keepalive: boolean; redirectedAlready: boolean }> = [];
    (window as any).fetch = async (_url: string, init: RequestInit) => {
      relays.push({ events: JSON.parse(init.body as string), keepalive: !!init.keepalive, redirectedAlready: odoo.redirects.length > 0 });
      return { ok: true, status: 202, json: async () => ({ accepted: 1 }) };
    };
    const { services } = startOdoo();
    await settle();
    relays.splice(0);
    odoo.addToCartAction = 'go_to_cart';
    odoo.rpcAnswers.set('/shop/cart/add', TWO_CHAIRS_ADDED);
    await services.cart.add({ productTemplateId: 7, productId: 5, quantity: 2 });
    expect(odoo.redirects).toEqual(['/shop/cart']);
    expect(relays.map((r) => [r.events.map((e) => e.event), r.keepalive, r.redirectedAlready])).toEqual([[['AddToCart'], true, false]]);
  });

  it('takes additions only from /shop/cart/add answers', async () => {
    pageWithConfig('http://localhost/shop/furn-7777-office-chair-5');
    const { services } = startOdoo();
    const { CartService } = require('@website_sale/js/cart_service');
    // the patched `this.rpc` of a cart service, as Odoo's `add` uses it for its other routes
    const cart = Object.create(CartService.prototype);
    cart.setup({ services }, {});
    odoo.rpcAnswers.set('/sale/create_product_variant', TWO_CHAIRS_ADDED);
    await expect(cart.rpc('/sale/create_product_variant', {})).resolves.toBe(TWO_CHAIRS_ADDED);
    expect(tracks().map((c) => c.args[0])).toEqual(['ViewContent']);
  });

  it('sends the page-load events once per page, however often its interactions restart', async () => {
    pageWithConfig('http://localhost/shop/furn-7777-office-chair-5');
    const { services } = startOdoo();
    // Odoo stops and starts interactions again (the editor, a re-rendered part of the page)
    stopInteractions();
    startInteractions({ services });
    await settle();
    expect(tracks().map((c) => c.args[0])).toEqual(['ViewContent']);
    const viewId = (tracks()[0].args[2] as { event_id: string }).event_id;
    expect(requests.flat()).toEqual(['pv-x', viewId]);
  });

  it('stays inert on a page without a usable config, and the cart still works', async () => {
    pageWithConfig('http://localhost/shop/furn-7777-office-chair-5', false);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const { services } = startOdoo();
      expect(services.tiktok_tracking.ctx).toBeUndefined();
      odoo.rpcAnswers.set('/shop/cart/add', TWO_CHAIRS_ADDED);
      await expect(services.cart.add({ productTemplateId: 7, productId: 5, quantity: 2 })).resolves.toBe(3);
      document.querySelector<HTMLElement>('.o_add_wishlist_dyn')!.click();
      window.dispatchEvent(new Event('pagehide'));
      expect(calls).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      warn.mockRestore();
    }
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
  ])('sends again what is kept on %s, never what is on its way', async (_what, leave) => {
    pageWithConfig('http://localhost/shop/furn-7777-office-chair-5');
    // the relay was down on an earlier page of the visit, and still is: this page's relays fail too
    const earlier = { pixel_id: 'PIX', event: 'Search', event_id: 'kept-9', event_time: Math.floor(Date.now() / 1000) - 60, consent: 'not_required' };
    localStorage.setItem('tiktok_events.kept.PIX.kept-9', JSON.stringify({ owner: '', event: earlier }));
    const fetched: string[][] = [];
    (window as any).fetch = (_url: string, init: RequestInit) => {
      fetched.push((JSON.parse(init.body as string) as Array<{ event_id: string }>).map((e) => e.event_id));
      return Promise.reject(new TypeError('Failed to fetch'));
    };
    try {
      startOdoo();
      await settle();
      const viewId = (tracks()[0].args[2] as { event_id: string }).event_id;
      expect(fetched).toEqual([['pv-x'], ['kept-9'], [viewId]]);
      document.dispatchEvent(new Event('visibilitychange')); // still visible: nothing leaves
      await settle();
      expect(fetched).toHaveLength(3);
      leave();
      await settle();
      expect(fetched[3]).toEqual(['kept-9', 'pv-x', viewId]);
      // all of it still kept for the next page
      expect(Object.keys(localStorage).filter((k) => k.startsWith('tiktok_events.kept.')).sort()).toEqual(
        ['kept-9', 'pv-x', viewId].map((id) => `tiktok_events.kept.PIX.${id}`).sort(),
      );
    } finally {
      Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
    }
  });

  it('mounts the debug panel on debug pages only, from its own bundle', async () => {
    pageWithConfig('http://localhost/shop/furn-7777-office-chair-5');
    startOdoo();
    expect(odoo.mounted).toEqual([]);
    stopInteractions();
    pageWithConfig('http://localhost/shop/furn-7777-office-chair-5', true, { debug: true });
    startOdoo();
    const { LazyComponent } = require('@web/core/assets');
    expect(odoo.mounted).toEqual([
      {
        el: expect.any(HTMLElement),
        component: LazyComponent,
        props: { Component: 'website_tiktok_events.PixelHelper', bundle: 'website_tiktok_events.pixel_helper', props: { tracker: expect.anything() } },
      },
    ]);
  });
});
