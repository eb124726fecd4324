/** @jest-environment jsdom */
import { clearCookies, loadPage, MemoryStore } from '../../core/__tests__/fixturePage';
import type { RelayEvent } from '../../core/relay';
import { TiktokTracking, trackingService } from '../trackingService';

const PRODUCT_URL = 'http://localhost/shop/furn-7777-office-chair-5';
const CHAIR = { content_id: '5', content_type: 'product' as const, content_name: 'Office Chair', price: 63 };

/** A product page with the module's config blob, and a fresh tracking service over it. */
function serviceOnProductPage(config: Record<string, unknown> | null = { currency: 'USD' }) {
  const page = loadPage('product', PRODUCT_URL);
  if (config) {
    const blob = document.createElement('script');
    blob.type = 'application/json';
    blob.id = 'tiktok-events-config';
    blob.textContent = JSON.stringify({ pixel_id: 'PIX', website_id: 1, relay_url: '/tiktok/relay', page_event_id: 'pv-7', ...config });
    document.head.appendChild(blob);
  }
  const relayed: RelayEvent[] = [];
  const store = new MemoryStore();
  const tracking = new TiktokTracking(window, {
    store,
    kept: store,
    now: () => 1_732_500_000_000,
    transport: { send: async (events) => (relayed.push(...events), { status: 'accepted', accepted: events.length }) },
  });
  const tracked = () => page.ttq.filter((c) => c.method === 'track').map((c) => c.args[0]);
  return { tracking, relayed, store, tracked };
}

describe('the tiktok_tracking service', () => {
  beforeEach(() => clearCookies());

  it('starts one tracking per page from the config blob', () => {
    serviceOnProductPage({ currency: 'EUR' });
    const tracking = trackingService.start();
    expect(tracking).toBeInstanceOf(TiktokTracking);
    expect(tracking.ctx?.tracker.config).toMatchObject({ pixel_id: 'PIX', page_event_id: 'pv-7', currency: 'EUR' });
    expect(tracking.ctx?.page).toEqual({});
  });

  it('sends the page-load events once, however often it is asked', async () => {
    const { tracking, relayed, tracked } = serviceOnProductPage();
    tracking.pageLoaded(document);
    tracking.pageLoaded(document);
    await Promise.resolve();
    expect(relayed.map((e) => e.event)).toEqual(['PageView', 'ViewContent']);
    expect(tracked()).toEqual(['ViewContent']);
  });

  it('remembers the product viewed on its page only: a new page reports the same variant again', () => {
    const first = serviceOnProductPage();
    first.tracking.pageLoaded(document);
    expect(first.tracking.ctx?.page.viewed).toBe('5');
    const second = serviceOnProductPage({ currency: 'USD', page_event_id: 'pv-8' });
    expect(second.tracking.ctx?.page.viewed).toBeUndefined();
    second.tracking.pageLoaded(document);
    expect(second.tracked()).toEqual(['ViewContent']);
  });

  it("fires AddToCart from a cart answer's tiktok_added, and nothing from an answer without it", async () => {
    const { tracking, relayed } = serviceOnProductPage();
    tracking.cartAnswered({ quantity: 5, tracking_info: [{ item_id: 5, quantity: 5 }] });
    tracking.cartAnswered(undefined);
    tracking.cartAnswered({ tiktok_added: { currency: 'USD', contents: [{ ...CHAIR, quantity: 3 }], cart: [{ ...CHAIR, quantity: 5 }] } });
    await Promise.resolve();
    expect(relayed.map((e) => [e.event, e.properties])).toEqual([
      ['AddToCart', { contents: [{ ...CHAIR, quantity: 3 }], content_type: 'product', currency: 'USD', value: 189 }],
    ]);
  });

  it('is inert without a usable config', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const { tracking, relayed, tracked } = serviceOnProductPage(null);
      expect(tracking.ctx).toBeUndefined();
      tracking.pageLoaded(document);
      tracking.cartAnswered({ tiktok_added: { contents: [{ ...CHAIR, quantity: 1 }] } });
      expect(relayed).toEqual([]);
      expect(tracked()).toEqual([]);
    } finally {
      warn.mockRestore();
    }
  });
});
