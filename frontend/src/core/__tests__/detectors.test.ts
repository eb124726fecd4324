/** @jest-environment jsdom */
import { createHash } from 'node:crypto';
import { BASE_CONFIG, clearCookies, loadPage, MemoryStore } from './fixturePage';
import { trackPageLoad } from '../session';
import { trackAddToCart, trackPaymentSubmit, trackVariantView, type CartAdded } from '../detectors/shop';
import { trackWishlistClick, watchNewsletterSubscribe } from '../detectors/engagement';
import { rememberWebsiteForm, watchWebsiteForm } from '../detectors/forms';
import { rememberAttendee } from '../detectors/events';
import { PIXEL_STATE, type PageConfig } from '../config';
import type { RelayOutcome } from '../relay';
import { VECTORS } from '../../../../tests/vectors/contractVectors';
import { EVENT_CONTENT_ID_PREFIX } from '@contract/eventContent';

const ORIGIN = 'http://localhost';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const PIXEL = BASE_CONFIG.pixel_id;

beforeEach(() => {
  clearCookies();
});

/** jsdom's document.referrer is fixed at creation; a test sets the one the next page sees. */
function setReferrer(referrer: string): void {
  Object.defineProperty(document, 'referrer', { value: referrer, configurable: true });
}

describe('PageView', () => {
  beforeEach(() => setReferrer(''));

  it('relays the page view with the config id and a clean address, and leaves the browser copy to the inline code', async () => {
    const page = loadPage('cart', `${ORIGIN}/shop/cart?ttclid=E.C.P.abc&access_token=s3cr3t#summary`);
    trackPageLoad(page.ctx, page.doc);
    await page.flush();
    expect(page.tracks().map((t) => t.name)).not.toContain('Pageview');
    const pv = page.relayed.find((e) => e.event === 'PageView');
    expect(pv).toMatchObject({ event_id: 'pv-1', consent: 'not_required', page: { url: `${ORIGIN}/shop/cart?ttclid=E.C.P.abc` }, user: { ttclid: 'E.C.P.abc' } });
    expect(JSON.stringify(page.relayed)).not.toContain('s3cr3t');
    expect(page.doc.cookie).toContain('ttclid=E.C.P.abc');
  });

  it('does not relay again the PageView the inline code kept and sent, and shows the answer it read', async () => {
    const sent = loadPage('cart', `${ORIGIN}/shop/cart`);
    let answer: (status: string) => void = () => undefined;
    (window as any).__tiktokHeadRelay = { id: 'pv-1', done: new Promise((resolve) => (answer = resolve)) };
    trackPageLoad(sent.ctx, sent.doc);
    await sent.flush();
    expect(sent.relayed.map((e) => e.event)).not.toContain('PageView');
    const record = () => sent.ctx.tracker.records.find((r) => r.event === 'PageView')?.relay;
    expect(record()).toBe('sending');
    // what earlier pages kept waits for the head's request: never two copies in flight at once
    expect(sent.sends).toEqual([]);
    answer('accepted');
    await sent.flush();
    expect(record()).toBe('accepted');

    // the mark of another page (a page restored from the back-forward cache) is not this one's
    const other = loadPage('cart', `${ORIGIN}/shop/cart`, { page_event_id: 'pv-2' });
    (window as any).__tiktokHeadRelay = { id: 'pv-1', done: Promise.resolve('accepted') };
    trackPageLoad(other.ctx, other.doc);
    await other.flush();
    expect(other.relayed.filter((e) => e.event === 'PageView').map((e) => e.event_id)).toEqual(['pv-2']);
  });

  it('sends the referrer only when it is a page of the shop, cleaned', async () => {
    setReferrer(`${ORIGIN}/shop?search=desk&access_token=s3cr3t#grid`);
    const inner = loadPage('cart', `${ORIGIN}/shop/cart`);
    trackPageLoad(inner.ctx, inner.doc);
    await inner.flush();
    expect(inner.relayed[0].page).toEqual({ url: `${ORIGIN}/shop/cart`, referrer: `${ORIGIN}/shop?search=desk` });

    setReferrer('https://webmail.example/inbox?user=jane@example.com');
    const outer = loadPage('cart', `${ORIGIN}/shop/cart`, { page_event_id: 'pv-2' });
    trackPageLoad(outer.ctx, outer.doc);
    await outer.flush();
    expect(outer.relayed[0].page).toEqual({ url: `${ORIGIN}/shop/cart` });
  });
});

describe('ViewContent', () => {
  it('uses the module product config on a product page', async () => {
    const page = loadPage('product', `${ORIGIN}/shop/furn-7777-office-chair-5`, {
      product: { content_id: '5', content_name: 'Office Chair', content_category: 'Office', price: 63, currency: 'USD' },
    });
    trackPageLoad(page.ctx, page.doc);
    const [view] = page.tracks().filter((t) => t.name === 'ViewContent');
    expect(view.props).toEqual({
      contents: [{ content_id: '5', content_type: 'product', content_name: 'Office Chair', content_category: 'Office', price: 63 }],
      content_type: 'product',
      currency: 'USD',
      value: 63,
    });
    await page.flush();
    expect(page.relayed.find((e) => e.event === 'ViewContent')?.event_id).toBe(view.eventId);
  });

  it('reports a product group while no variant is chosen, and not the variant the page shows', () => {
    const page = loadPage('product_variants', `${ORIGIN}/shop/customizable-desk-9`, {
      product: { content_id: '9', content_type: 'product_group', variant_id: 'SKU-41', content_name: 'Desk', price: 750, currency: 'USD' },
      content_ids: { '9': 'SKU-OTHER', '41': 'SKU-41' },
    });
    trackPageLoad(page.ctx, page.doc);
    // Odoo announces the variant the page shows on load (by its product id), then the shopper picks another.
    trackVariantView(page.ctx, { item_id: 41, item_name: 'Desk (Steel)', price: 750 }, page.doc);
    trackVariantView(page.ctx, { item_id: 42, item_name: 'Desk (Oak)', price: 800 }, page.doc);
    const views = page.tracks().filter((t) => t.name === 'ViewContent');
    expect(views.map((v) => v.props)).toEqual([
      { contents: [{ content_id: '9', content_type: 'product_group', content_name: 'Desk', price: 750 }], content_type: 'product_group', currency: 'USD', value: 750 },
      { contents: [{ content_id: '42', content_type: 'product', content_name: 'Desk (Oak)', price: 800 }], content_type: 'product', currency: 'USD', value: 800 },
    ]);
  });

  it("keeps the module's content id as it is (an internal reference that is also another product's id)", () => {
    const page = loadPage('product', `${ORIGIN}/shop/furn-7777-office-chair-5`, {
      product: { content_id: '12', content_name: 'Office Chair', price: 63, currency: 'USD' },
      content_ids: { '5': '12', '12': 'LAMP-1' },
    });
    trackPageLoad(page.ctx, page.doc);
    expect(page.tracks().find((t) => t.name === 'ViewContent')?.props.contents).toEqual([
      { content_id: '12', content_type: 'product', content_name: 'Office Chair', price: 63 },
    ]);
  });

  it('reads the product page itself when the config has no product', () => {
    const page = loadPage('product', `${ORIGIN}/shop/furn-7777-office-chair-5`);
    trackPageLoad(page.ctx, page.doc);
    const view = page.tracks().find((t) => t.name === 'ViewContent');
    expect(view?.props.contents).toEqual([{ content_id: '5', content_type: 'product', content_name: 'Office Chair', price: 63 }]);
  });

  it('reports a variant change once and skips the variant already viewed', () => {
    const page = loadPage('product_variants', `${ORIGIN}/shop/customizable-desk-9`);
    trackPageLoad(page.ctx, page.doc);
    const initial = page.doc.querySelector<HTMLInputElement>('#product_detail input[name="product_id"]')!.value;
    trackVariantView(page.ctx, { item_id: Number(initial), item_name: 'Desk', price: 750 }, page.doc);
    trackVariantView(page.ctx, { item_id: 999, item_name: 'Customizable Desk (Aluminium, Black)', currency: 'USD', price: 800 }, page.doc);
    const views = page.tracks().filter((t) => t.name === 'ViewContent');
    expect(views).toHaveLength(2);
    expect(views[1].props).toMatchObject({ contents: [{ content_id: '999', content_name: 'Customizable Desk (Aluminium, Black)' }], value: 800 });
  });

  it('reports an event page as viewed content', () => {
    const page = loadPage('event', `${ORIGIN}/event/tiktok-fixture-conference-9/register`);
    trackPageLoad(page.ctx, page.doc);
    expect(page.tracks().find((t) => t.name === 'ViewContent')?.props).toEqual({
      contents: [{ content_id: `${EVENT_CONTENT_ID_PREFIX}9`, content_type: 'product', content_name: 'TikTok Fixture Conference' }],
      content_type: 'product',
      currency: 'USD',
    });
  });
});

describe('AddToCart', () => {
  const chair = { content_id: '5', content_type: 'product' as const, content_name: 'Office Chair', content_category: 'Office', price: 63 };
  /** `tiktok_added` of Odoo's answer: 3 chairs added to a line that held 2. */
  const addedThree: CartAdded = { currency: 'USD', contents: [{ ...chair, quantity: 3 }], cart: [{ ...chair, quantity: 5 }] };

  it("reports what Odoo's cart controller says was added", async () => {
    const page = loadPage('product', `${ORIGIN}/shop/furn-7777-office-chair-5`);
    trackAddToCart(page.ctx, addedThree);
    const add = page.tracks().find((t) => t.name === 'AddToCart')!;
    expect(add.props).toEqual({ contents: [{ ...chair, quantity: 3 }], content_type: 'product', currency: 'USD', value: 189 });
    await page.flush();
    expect(page.relayed.filter((e) => e.event === 'AddToCart').map((e) => e.event_id)).toEqual([add.eventId]);
  });

  it('fires nothing for an answer without additions (tracking off on the server, nothing added)', () => {
    const page = loadPage('product', `${ORIGIN}/shop/furn-7777-office-chair-5`);
    trackAddToCart(page.ctx, undefined);
    trackAddToCart(page.ctx, { currency: 'USD', contents: [], cart: [{ ...chair, quantity: 5 }] });
    expect(page.tracks()).toEqual([]);
  });
});

describe('checkout, payment and purchase', () => {
  const chair = { content_id: '5', content_type: 'product' as const, content_name: 'Office Chair', price: 63, quantity: 2 };
  /** The module's `order` of the cart and checkout pages, in USD. */
  const inUsd = { value: 126, currency: 'USD', contents: [chair] };
  /** The same cart after the address step moved the shopper to a pricelist in EUR (delivery included in the total). */
  const inEur = { value: 128.3, currency: 'EUR', contents: [{ ...chair, price: 58.15 }] };

  it('fires InitiateCheckout once per cart, then AddPaymentInfo, PlaceAnOrder and Purchase, each with its page\'s order', async () => {
    const store = new MemoryStore();
    const address = loadPage('checkout_address', `${ORIGIN}/shop/address`, { page_event_id: 'pv-2', order: inUsd }, store);
    trackPageLoad(address.ctx, address.doc);
    await address.flush();
    const initiate = address.tracks().find((t) => t.name === 'InitiateCheckout')!;
    expect(initiate.props).toEqual({ contents: [chair], content_type: 'product', currency: 'USD', value: 126 });

    // the address moved the shopper to another pricelist: the payment page's order is in EUR
    const payment = loadPage('payment', `${ORIGIN}/shop/payment`, { page_event_id: 'pv-3', order: inEur }, store);
    trackPageLoad(payment.ctx, payment.doc);
    expect(payment.tracks().map((t) => t.name)).not.toContain('InitiateCheckout');
    trackPaymentSubmit(payment.ctx, payment.doc);
    trackPaymentSubmit(payment.ctx, payment.doc);
    await payment.flush();
    const infos = payment.tracks().filter((t) => t.name === 'AddPaymentInfo');
    expect(infos).toHaveLength(1);
    // currency, value and content prices of one order: never a total in EUR labelled USD
    expect(infos[0].props).toEqual({ contents: [{ ...chair, price: 58.15 }], content_type: 'product', currency: 'EUR', value: 128.3, description: 'demo' });
    expect(payment.tracks().map((t) => t.name)).not.toContain('PlaceAnOrder');

    const purchase = {
      event_id: 'purchase-so-37',
      order_id: 'S00037',
      value: 128.3,
      currency: 'EUR',
      contents: [{ content_id: '5', content_name: 'Office Chair', price: 58.15, quantity: 2 }],
    };
    const confirmation = loadPage('confirmation', `${ORIGIN}/shop/confirmation`, { page_event_id: 'pv-4', purchase, identify: { email: sha('jane@example.com') } }, store);
    trackPageLoad(confirmation.ctx, confirmation.doc);
    await confirmation.flush();
    const names = confirmation.tracks().map((t) => t.name);
    expect(names).toEqual(['PlaceAnOrder', 'Purchase']);
    expect(confirmation.tracks()[0].props).toEqual({ contents: [{ ...chair, price: 58.15 }], content_type: 'product', currency: 'EUR', value: 128.3 });
    const bought = confirmation.tracks()[1];
    expect(bought).toMatchObject({ eventId: 'purchase-so-37', props: { value: 128.3, currency: 'EUR', order_id: 'S00037', contents: [{ content_id: '5', content_type: 'product', quantity: 2 }] } });
    // identify precedes every track when the customer's hashes are known
    expect(confirmation.ttq[0]).toEqual({ method: 'identify', args: [{ email: sha('jane@example.com') }], pixel: PIXEL });
    // the browser never relays a Purchase: the sidecar's poller sends the server copy
    expect(confirmation.relayed.map((e) => e.event)).toEqual(['PageView', 'PlaceAnOrder']);
    expect(confirmation.relayed[1].user?.email).toBe(sha('jane@example.com'));

    // reloading the confirmation page does not fire the same purchase again
    const reload = loadPage('confirmation', `${ORIGIN}/shop/confirmation`, { page_event_id: 'pv-5', purchase }, store);
    trackPageLoad(reload.ctx, reload.doc);
    expect(reload.tracks()).toEqual([]);
  });

  it('fires InitiateCheckout again when the cart changed, not when only its prices did', () => {
    const store = new MemoryStore();
    const initiated = (order: typeof inUsd, id: string) => {
      const page = loadPage('checkout', `${ORIGIN}/shop/checkout`, { page_event_id: id, order }, store);
      trackPageLoad(page.ctx, page.doc);
      return page.tracks().filter((t) => t.name === 'InitiateCheckout').map((t) => t.props.contents[0].quantity);
    };
    expect(initiated(inUsd, 'pv-1')).toEqual([2]);
    expect(initiated(inEur, 'pv-2')).toEqual([]);
    expect(initiated({ ...inUsd, contents: [{ ...chair, quantity: 5 }] }, 'pv-3')).toEqual([5]);
  });

  it('counts a new checkout after a purchase, even of the same cart', () => {
    const store = new MemoryStore();
    const checkout = () => {
      const page = loadPage('checkout', `${ORIGIN}/shop/checkout`, { order: inUsd }, store);
      trackPageLoad(page.ctx, page.doc);
      return page.tracks().map((t) => t.name);
    };
    expect(checkout()).toEqual(['InitiateCheckout']);
    const purchase = { event_id: 'purchase-so-38', value: 126, currency: 'USD', contents: [chair] };
    trackPageLoad(loadPage('confirmation', `${ORIGIN}/shop/confirmation`, { purchase }, store).ctx, document);
    expect(checkout()).toEqual(['InitiateCheckout']);
  });
});

describe('event registration', () => {
  it('carries the attendee hashes across the redirect to CompleteRegistration', async () => {
    const store = new MemoryStore();
    const modal = loadPage('event_attendee_modal', `${ORIGIN}/event/tiktok-fixture-conference-9/register`, {}, store);
    const form = modal.doc.querySelector<HTMLFormElement>('form#attendee_registration')!;
    form.querySelector<HTMLInputElement>('input[name^="1-email"]')!.value = ' Ann.Attendee@Example.com ';
    form.querySelector<HTMLInputElement>('input[name^="1-phone"]')!.value = '+32 470 11 22 33';
    await rememberAttendee(modal.ctx, form);
    expect(JSON.stringify([...store.data.values()])).not.toContain('ann.attendee');

    const success = loadPage('event_registration_success', `${ORIGIN}/event/tiktok-fixture-conference-9/registration/success?registration_ids=30`, {}, store);
    trackPageLoad(success.ctx, success.doc);
    await success.flush();
    const keys = { email: sha('ann.attendee@example.com'), phone_number: sha('+32470112233') };
    // the success page shares the event layout but is not a second ViewContent
    expect(success.tracks().map((t) => t.name)).toEqual(['CompleteRegistration']);
    const registration = success.tracks().find((t) => t.name === 'CompleteRegistration')!;
    expect(registration.props.contents).toEqual([{ content_id: `${EVENT_CONTENT_ID_PREFIX}9`, content_type: 'product', content_name: 'TikTok Fixture Conference' }]);
    const trackIndex = success.ttq.findIndex((c) => c.method === 'track' && c.args[0] === 'CompleteRegistration');
    expect(success.ttq[trackIndex - 1]).toEqual({ method: 'identify', args: [keys], pixel: PIXEL });
    expect(success.relayed.find((e) => e.event === 'CompleteRegistration')?.user).toMatchObject({ email: keys.email, phone: keys.phone_number });
  });
});

describe('Search and AddToWishlist', () => {
  it('fires Search on a results page once per query', () => {
    const store = new MemoryStore();
    const page = loadPage('shop_search', `${ORIGIN}/shop?search=desk`, {}, store);
    trackPageLoad(page.ctx, page.doc);
    expect(page.tracks().find((t) => t.name === 'Search')?.props).toEqual({ query: 'desk' });
    const reload = loadPage('shop_search', `${ORIGIN}/shop?search=desk`, { page_event_id: 'pv-2' }, store);
    trackPageLoad(reload.ctx, reload.doc);
    expect(reload.tracks().map((t) => t.name)).not.toContain('Search');
  });

  it('reports the wishlisted product variant from the grid', () => {
    const page = loadPage('shop_search', `${ORIGIN}/shop?search=desk`);
    const button = page.doc.querySelector<HTMLElement>('.o_add_wishlist[data-product-product-id]')!;
    trackWishlistClick(page.ctx, button);
    const wish = page.tracks().find((t) => t.name === 'AddToWishlist')!;
    expect(wish.props.contents[0]).toMatchObject({ content_id: button.dataset.productProductId, content_type: 'product', quantity: 1 });
    expect(typeof wish.props.contents[0].content_name).toBe('string');
  });

  it('reports the product page wishlist button', () => {
    const page = loadPage('product', `${ORIGIN}/shop/furn-7777-office-chair-5`);
    trackWishlistClick(page.ctx, page.doc.querySelector<HTMLElement>('.o_add_wishlist_dyn')!);
    expect(page.tracks()[0].props).toMatchObject({ contents: [{ content_id: '5', content_name: 'Office Chair', price: 63 }], value: 63 });
  });
});

describe('content ids of a website that sends internal references (the module\'s content_ids)', () => {
  it('names the grid\'s wishlisted variant and a variant change with the module\'s ids', () => {
    const grid = loadPage('shop_search', `${ORIGIN}/shop?search=desk`);
    const button = grid.doc.querySelector<HTMLElement>('.o_add_wishlist[data-product-product-id]')!;
    const gridIds = { [button.dataset.productProductId!]: 'FURN_0001' };
    const mapped = loadPage('shop_search', `${ORIGIN}/shop?search=desk`, { content_ids: gridIds });
    trackWishlistClick(mapped.ctx, mapped.doc.querySelector<HTMLElement>('.o_add_wishlist[data-product-product-id]')!);
    expect(mapped.tracks().find((t) => t.name === 'AddToWishlist')!.props.contents[0].content_id).toBe('FURN_0001');

    const product = loadPage('product_variants', `${ORIGIN}/shop/customizable-desk-9`, { content_ids: { '999': 'DESK-ALU-BLK' } });
    trackVariantView(product.ctx, { item_id: 999, item_name: 'Customizable Desk (Aluminium, Black)', currency: 'USD', price: 800 }, product.doc);
    expect(product.tracks().find((t) => t.name === 'ViewContent')!.props.contents[0].content_id).toBe('DESK-ALU-BLK');

  });

  it('keeps the product id of a product the module did not map', () => {
    const page = loadPage('product', `${ORIGIN}/shop/furn-7777-office-chair-5`, { content_ids: { '6': 'OTHER' } });
    trackWishlistClick(page.ctx, page.doc.querySelector<HTMLElement>('.o_add_wishlist_dyn')!);
    expect(page.tracks()[0].props.contents[0].content_id).toBe('5');
  });
});

describe('Subscribe (newsletter block)', () => {
  it('fires only once Odoo shows the thank-you block, with the hashed e-mail', async () => {
    const page = loadPage('newsletter', `${ORIGIN}/tiktok-newsletter`);
    const block = page.doc.querySelector<HTMLElement>('.js_subscribe')!;
    block.querySelector<HTMLInputElement>('.js_subscribe_value')!.value = 'News.Reader@example.com';
    watchNewsletterSubscribe(page.ctx, block);
    await page.flush();
    expect(page.tracks()).toEqual([]);
    // what website_mass_mailing's _updateSubscribeControlsStatus(true) does on success
    block.querySelector('.js_subscribed_wrap')!.classList.remove('d-none');
    block.querySelector('.js_subscribe_wrap')!.classList.add('d-none');
    await page.flush();
    await page.flush();
    expect(page.tracks().map((t) => t.name)).toEqual(['Subscribe']);
    expect(page.ttq[0]).toEqual({ method: 'identify', args: [{ email: sha('news.reader@example.com') }], pixel: PIXEL });
  });

  it('matches the real subscribed state captured from Odoo', () => {
    const page = loadPage('newsletter_subscribed', `${ORIGIN}/tiktok-newsletter`);
    expect(page.doc.querySelector('.js_subscribe .js_subscribed_wrap')!.classList.contains('d-none')).toBe(false);
  });
});

describe('website forms', () => {
  it('fires Contact on the thank-you page the contact form redirects to, never before', async () => {
    const store = new MemoryStore();
    const contact = loadPage('contactus', `${ORIGIN}/contactus`, {}, store);
    const form = contact.doc.querySelector<HTMLFormElement>('.s_website_form form[data-model_name]')!;
    form.querySelector<HTMLInputElement>('[name="email_from"]')!.value = 'Visitor@Example.com';
    form.querySelector<HTMLInputElement>('[name="phone"]')!.value = '+1 (555) 010-9999';
    await rememberWebsiteForm(contact.ctx, form);
    expect(contact.tracks()).toEqual([]);

    const elsewhere = loadPage('shop_search', `${ORIGIN}/shop?search=desk`, {}, store);
    trackPageLoad(elsewhere.ctx, elsewhere.doc);
    expect(elsewhere.tracks().map((t) => t.name)).not.toContain('Contact');

    const thanks = loadPage('contactus_thank_you', `${ORIGIN}/contactus-thank-you`, {}, store);
    trackPageLoad(thanks.ctx, thanks.doc);
    await thanks.flush();
    expect(thanks.tracks().map((t) => t.name)).toEqual(['Contact']);
    const keys = { email: sha('visitor@example.com'), phone_number: sha('+15550109999') };
    expect(thanks.ttq[0]).toEqual({ method: 'identify', args: [keys], pixel: PIXEL });
    expect(thanks.relayed.find((e) => e.event === 'Contact')?.user).toMatchObject({ email: keys.email, phone: keys.phone_number });
  });

  it("reads a number typed without its country code in the page's phone country, and drops it without one", async () => {
    const typed = async (config: Partial<PageConfig>) => {
      const page = loadPage('contactus', `${ORIGIN}/contactus`, config);
      const form = page.doc.querySelector<HTMLFormElement>('.s_website_form form[data-model_name]')!;
      form.querySelector<HTMLInputElement>('[name="email_from"]')!.value = 'visitor@example.com';
      form.querySelector<HTMLInputElement>('[name="phone"]')!.value = '8 912 345 67 89';
      return (await rememberWebsiteForm(page.ctx, form))!.user;
    };
    expect(await typed({ phone_country: 'RU' })).toEqual({ email: sha('visitor@example.com'), phone: sha('+79123456789') });
    expect(await typed({})).toEqual({ email: sha('visitor@example.com') });
  });

  it.each([
    ['the contact keys only (the default)', undefined, false],
    ['names and addresses too', 'contact_name_address' as const, true],
  ])('reads the person\'s name from a form when the website shares %s', async (_what, level, named) => {
    const store = new MemoryStore();
    const contact = loadPage('contactus', `${ORIGIN}/contactus`, { match_keys: level }, store);
    const form = contact.doc.querySelector<HTMLFormElement>('.s_website_form form[data-model_name]')!;
    form.querySelector<HTMLInputElement>('[name="email_from"]')!.value = 'Visitor@Example.com';
    form.querySelector<HTMLInputElement>('[name="name"]')!.value = VECTORS.person_name[1].raw;
    await rememberWebsiteForm(contact.ctx, form);
    expect(JSON.stringify([...store.data.values()])).not.toMatch(/mary|jane/i);
    const thanks = loadPage('contactus_thank_you', `${ORIGIN}/contactus-thank-you`, { match_keys: level }, store);
    trackPageLoad(thanks.ctx, thanks.doc);
    await thanks.flush();
    const names = { first_name: VECTORS.person_name[1].first_name_sha256!, last_name: VECTORS.person_name[1].last_name_sha256! };
    const keys = { email: sha('visitor@example.com'), ...(named ? names : {}) };
    expect(thanks.ttq[0]).toEqual({ method: 'identify', args: [keys], pixel: PIXEL });
    expect(thanks.relayed.find((e) => e.event === 'Contact')?.user).toEqual(expect.objectContaining(keys));
    if (!named) expect(thanks.relayed.find((e) => e.event === 'Contact')?.user).not.toHaveProperty('first_name');
  });

  it('fires SubmitApplication on an in-page success and nothing on an error', async () => {
    const page = loadPage('job_apply', `${ORIGIN}/jobs/apply/experienced-developer-3`);
    const form = page.doc.querySelector<HTMLFormElement>('.s_website_form form[data-model_name="hr.applicant"]')!;
    form.querySelector<HTMLInputElement>('[name="email_from"]')!.value = 'dev@example.com';
    form.querySelector<HTMLInputElement>('[name="partner_phone"]')!.value = '+32 470 99 88 77';
    const result = () => form.querySelector('#s_website_form_result')!;

    watchWebsiteForm(page.ctx, form, rememberWebsiteForm(page.ctx, form));
    result().className = 'me-2 small text-danger';
    await page.flush();
    await page.flush();
    expect(page.tracks()).toEqual([]);

    watchWebsiteForm(page.ctx, form, rememberWebsiteForm(page.ctx, form));
    result().className = 'me-2 small text-success';
    await page.until(() => page.tracks().length > 0);
    expect(page.tracks().map((t) => t.name)).toEqual(['SubmitApplication']);
  });

  it('maps crm.lead forms to SubmitForm under the pixel name variant', async () => {
    const page = loadPage('contactus', `${ORIGIN}/contactus`, { event_names: { SubmitForm: 'Lead' } });
    const form = page.doc.querySelector<HTMLFormElement>('.s_website_form form[data-model_name]')!;
    form.dataset.model_name = 'crm.lead';
    form.dataset.successMode = 'message';
    watchWebsiteForm(page.ctx, form, rememberWebsiteForm(page.ctx, form));
    // success mode "message": Odoo hides the form and shows the end message
    const end = page.doc.createElement('div');
    end.className = 's_website_form_end_message';
    form.parentElement!.appendChild(end);
    form.classList.add('d-none');
    await page.until(() => page.tracks().length > 0);
    expect(page.tracks().map((t) => t.name)).toEqual(['Lead']);
    await page.until(() => page.relayed.some((e) => e.event === 'SubmitForm'));
    expect(page.relayed.find((e) => e.event === 'SubmitForm')).toBeDefined();
  });
});

describe('consent', () => {
  it('queues relay copies until optional cookies are accepted, while ttq gets them at once', async () => {
    const store = new MemoryStore();
    const page = loadPage('shop_search', `${ORIGIN}/shop?search=desk`, { consent_required: true }, store);
    trackPageLoad(page.ctx, page.doc);
    await page.flush();
    expect(page.tracks().map((t) => t.name)).toEqual(['Search']);
    expect(page.relayed).toEqual([]);

    const next = loadPage('product', `${ORIGIN}/shop/furn-7777-office-chair-5`, { consent_required: true, page_event_id: 'pv-2' }, store);
    next.doc.cookie = 'website_cookies_bar=' + encodeURIComponent('{"required": true, "optional": true}') + '; Path=/';
    trackPageLoad(next.ctx, next.doc);
    await next.flush();
    // this page's PageView first, then what waited, then this page's own events
    expect(next.relayed.map((e) => [e.event, e.event_id, e.consent])).toEqual([
      ['PageView', 'pv-2', 'granted'],
      ['PageView', 'pv-1', 'granted'],
      ['Search', page.tracks()[0].eventId, 'granted'],
      ['ViewContent', next.tracks()[0].eventId, 'granted'],
    ]);
  });

  it('flushes on optionalCookiesAccepted and stays silent after a denial', async () => {
    const page = loadPage('product', `${ORIGIN}/shop/furn-7777-office-chair-5`, { consent_required: true });
    trackPageLoad(page.ctx, page.doc);
    page.ctx.tracker.denyConsent();
    await page.flush();
    expect(page.relayed).toEqual([]);
    page.ctx.tracker.grantConsent();
    await page.flush();
    expect(page.relayed.map((e) => e.event)).toEqual(['PageView', 'ViewContent']);
    expect(page.ttq.map((c) => c.method)).toEqual(['track', 'revokeConsent', 'grantConsent']);
  });
});

describe('privacy of what leaves the page', () => {
  it('redacts contact data typed in a search, for the pixel and the relay alike', async () => {
    const page = loadPage('shop_search', `${ORIGIN}/shop?search=jane%40example.com`);
    trackPageLoad(page.ctx, page.doc);
    await page.flush();
    expect(page.tracks().find((t) => t.name === 'Search')?.props).toEqual({ query: '[redacted]' });
    const search = page.relayed.find((e) => e.event === 'Search')!;
    expect(search.properties).toEqual({ query: '[redacted]' });
    expect(search.page?.url).toBe(`${ORIGIN}/shop`);
    expect(JSON.stringify([page.ttq, page.relayed])).not.toMatch(/jane/);
  });

  it('sends ttclid and _ttp only in their own shapes', async () => {
    page: {
      document.cookie = '_ttp=' + encodeURIComponent('jane@example.com') + '; Path=/';
      const page = loadPage('cart', `${ORIGIN}/shop/cart?ttclid=${encodeURIComponent('"><img src=x>')}`);
      trackPageLoad(page.ctx, page.doc);
      await page.flush();
      expect(page.relayed[0].user).toEqual({ locale: navigator.language });
      expect(page.doc.cookie).not.toContain('ttclid=');
      break page;
    }
    document.cookie = '_ttp=2fJ3kLmN0pQrStUv; Path=/';
    const page = loadPage('cart', `${ORIGIN}/shop/cart?ttclid=E.C.P.valid-1`, { page_event_id: 'pv-2' });
    trackPageLoad(page.ctx, page.doc);
    await page.flush();
    expect(page.relayed[0].user).toMatchObject({ ttclid: 'E.C.P.valid-1', ttp: '2fJ3kLmN0pQrStUv' });
  });

  it('writes the ttclid cookie of a landing page only once the visitor accepts optional cookies', async () => {
    const page = loadPage('product', `${ORIGIN}/shop/furn-7777-office-chair-5?ttclid=E.C.P.landing-1`, { consent_required: true });
    trackPageLoad(page.ctx, page.doc);
    expect(page.doc.cookie).not.toContain('ttclid=');
    // the landing page's own events still carry the click id, in the consent queue
    expect(page.ctx.tracker.ttclid).toBe('E.C.P.landing-1');
    page.ctx.tracker.grantConsent();
    await page.flush();
    expect(page.doc.cookie).toContain('ttclid=E.C.P.landing-1');
    expect(page.relayed.find((e) => e.event === 'PageView')?.user?.ttclid).toBe('E.C.P.landing-1');
  });

  it('addresses every ttq call to our pixel: identify and track on its instance, pixel_code on every track', () => {
    const page = loadPage('product', `${ORIGIN}/shop/furn-7777-office-chair-5`, { identify: { email: sha('jane@example.com') } });
    trackPageLoad(page.ctx, page.doc);
    trackWishlistClick(page.ctx, page.doc.querySelector<HTMLElement>('.o_add_wishlist_dyn')!);
    trackAddToCart(page.ctx, { currency: 'USD', contents: [{ content_id: '5', price: 63, quantity: 1 }] });
    const calls = page.ttq.filter((c) => c.method === 'track' || c.method === 'identify');
    expect(calls.map((c) => c.method)).toEqual(['identify', 'track', 'identify', 'track', 'identify', 'track']);
    for (const call of calls) expect(call.pixel).toBe(PIXEL);
    for (const track of page.tracks()) expect(track.pixelCode).toBe(PIXEL);
  });
});

describe('relays the sidecar did not accept', () => {
  beforeEach(() => setReferrer(''));

  it('keeps them and sends them again on the next page, after its PageView, with the same ids', async () => {
    const store = new MemoryStore();
    const first = loadPage('shop_search', `${ORIGIN}/shop?search=desk`, {}, store);
    let calls = 0;
    // a deploy: the first request meets a 503, the second no sidecar at all
    first.answer = () => ({ status: 'failed', error: ++calls === 1 ? '503 shutting_down' : 'TypeError: Failed to fetch' });
    trackPageLoad(first.ctx, first.doc);
    await first.flush();
    const failed = first.sends.flat();
    expect(failed).toEqual(['pv-1', first.tracks().find((t) => t.name === 'Search')!.eventId]);

    const second = loadPage('cart', `${ORIGIN}/shop/cart`, { page_event_id: 'pv-2' }, store);
    trackPageLoad(second.ctx, second.doc);
    await second.flush();
    expect(second.sends).toEqual([['pv-2'], failed]);
    expect(second.relayed.find((e) => e.event === 'Search')?.properties).toEqual({ query: 'desk' });

    // accepted this time: a third page has nothing left to send again
    const third = loadPage('cart', `${ORIGIN}/shop/cart`, { page_event_id: 'pv-3' }, store);
    trackPageLoad(third.ctx, third.doc);
    await third.flush();
    expect(third.sends).toEqual([['pv-3']]);
  });

  it('keeps each event before it is sent: a page left before the answer came leaves it to the next page', async () => {
    const store = new MemoryStore();
    const first = loadPage('shop_search', `${ORIGIN}/shop?search=desk`, {}, store);
    first.answer = () => new Promise<never>(() => undefined); // the page is gone: no answer is ever read
    trackPageLoad(first.ctx, first.doc);
    await first.flush();
    const sent = first.sends.flat();
    expect(sent).toHaveLength(2);

    const second = loadPage('cart', `${ORIGIN}/shop/cart`, { page_event_id: 'pv-2' }, store);
    trackPageLoad(second.ctx, second.doc);
    await second.flush();
    expect(second.sends).toEqual([['pv-2'], sent]);
  });

  it('counts an answer as accepted only when it is the relay\'s, with its counts', async () => {
    const store = new MemoryStore();
    const first = loadPage('shop_search', `${ORIGIN}/shop?search=desk`, {}, store);
    first.answer = () => ({ status: 'failed', error: '200 not the relay\'s answer' });
    trackPageLoad(first.ctx, first.doc);
    await first.flush();
    const second = loadPage('cart', `${ORIGIN}/shop/cart`, { page_event_id: 'pv-2' }, store);
    trackPageLoad(second.ctx, second.doc);
    await second.flush();
    expect(second.sends[1]).toEqual(first.sends.flat());
  });

  it('does not keep what the sidecar refused for good (4xx)', async () => {
    const store = new MemoryStore();
    const first = loadPage('shop_search', `${ORIGIN}/shop?search=desk`, {}, store);
    first.answer = () => ({ status: 'refused', httpStatus: 400, error: 'invalid_request' });
    trackPageLoad(first.ctx, first.doc);
    await first.flush();
    const second = loadPage('cart', `${ORIGIN}/shop/cart`, { page_event_id: 'pv-2' }, store);
    trackPageLoad(second.ctx, second.doc);
    await second.flush();
    expect(second.sends).toEqual([['pv-2']]);
  });

  it('sends a refused request again one event at a time: one bad event does not take the others with it', async () => {
    const store = new MemoryStore();
    const first = loadPage('shop_search', `${ORIGIN}/shop?search=desk`, {}, store);
    first.answer = () => ({ status: 'failed', error: 'TypeError: Failed to fetch' });
    trackPageLoad(first.ctx, first.doc);
    await first.flush();
    const [pv1, search] = first.sends.flat();

    const second = loadPage('cart', `${ORIGIN}/shop/cart`, { page_event_id: 'pv-2' }, store);
    // the relay refuses the whole request for the search alone
    second.answer = (events) =>
      events.some((e) => e.event === 'Search') ? { status: 'refused', httpStatus: 400, error: 'invalid_event' } : { status: 'accepted', accepted: events.length };
    trackPageLoad(second.ctx, second.doc);
    await second.flush();
    await second.flush();
    expect(second.sends).toEqual([['pv-2'], [pv1, search], [pv1], [search]]);
    // the PageView went through; the search was refused for good: nothing is left
    const third = loadPage('cart', `${ORIGIN}/shop/cart`, { page_event_id: 'pv-3' }, store);
    trackPageLoad(third.ctx, third.doc);
    await third.flush();
    expect(third.sends).toEqual([['pv-3']]);
  });
});

describe('attacks on what the page keeps', () => {
  beforeEach(() => setReferrer(''));
  const GRANTED = 'website_cookies_bar=' + encodeURIComponent('{"required": true, "optional": true}') + '; Path=/';
  const WITHDRAWN = 'website_cookies_bar=' + encodeURIComponent('{"required": true, "optional": false}') + '; Path=/';

  it('never sends what was kept under a consent the visitor then withdrew, until it is given again', async () => {
    const store = new MemoryStore();
    document.cookie = GRANTED;
    const first = loadPage('shop_search', `${ORIGIN}/shop?search=desk`, { consent_required: true }, store);
    first.answer = () => ({ status: 'failed', error: 'TypeError: Failed to fetch' }); // the sidecar is down
    trackPageLoad(first.ctx, first.doc);
    await first.flush();
    const kept = first.sends.flat();
    expect(kept).toHaveLength(2);

    document.cookie = WITHDRAWN;
    const second = loadPage('cart', `${ORIGIN}/shop/cart`, { consent_required: true, page_event_id: 'pv-2' }, store);
    trackPageLoad(second.ctx, second.doc);
    second.ctx.tracker.flush(); // the page is left
    await second.flush();
    expect(second.sends).toEqual([]);

    // given again on a later page: what waited leaves, under the consent given now
    document.cookie = GRANTED;
    const third = loadPage('cart', `${ORIGIN}/shop/cart`, { consent_required: true, page_event_id: 'pv-3' }, store);
    trackPageLoad(third.ctx, third.doc);
    await third.flush();
    expect(third.relayed.map((e) => [e.event_id, e.consent])).toEqual([['pv-3', 'granted'], ...[...kept, 'pv-2'].map((id) => [id, 'granted'])]);
  });

  it('keeps no plain contact data: what it keeps is what may leave the page', async () => {
    const store = new MemoryStore();
    const page = loadPage('contactus', `${ORIGIN}/contactus?search=jane%40example.com`, {}, store);
    page.answer = () => ({ status: 'failed', error: 'TypeError: Failed to fetch' });
    page.ctx.tracker.track('Search', { query: 'call me at +32 470 12 34 56 or jane@example.com' });
    const form = page.doc.querySelector<HTMLFormElement>('.s_website_form form[data-model_name]')!;
    form.querySelector<HTMLInputElement>('[name="email_from"]')!.value = 'Jane@Example.com';
    form.querySelector<HTMLInputElement>('[name="phone"]')!.value = '+32 470 12 34 56';
    const pending = await rememberWebsiteForm(page.ctx, form);
    page.ctx.tracker.track(pending!.event, { description: pending!.model }, { user: pending!.user });
    await page.flush();
    const kept = [...store.data.entries()].filter(([key]) => key.startsWith('tiktok_events.kept.'));
    expect(kept.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(kept)).not.toMatch(/jane|example\.com|\+32|470 12 34 56|32470123456/i);
    expect(JSON.stringify(kept)).toContain(sha('jane@example.com'));
  });

  it('still sends an event where storage is full or refuses it (it is only not kept)', async () => {
    const full = new MemoryStore();
    full.setItem = () => {
      throw new DOMException('quota', 'QuotaExceededError');
    };
    const page = loadPage('shop_search', `${ORIGIN}/shop?search=desk`, {}, full);
    trackPageLoad(page.ctx, page.doc);
    await page.flush();
    expect(page.relayed.map((e) => e.event)).toEqual(['PageView', 'Search']);
  });
});

describe('a page being left', () => {
  it('sends what is kept: relays not accepted yet, and a consent queue released meanwhile', async () => {
    const store = new MemoryStore();
    const earlier = loadPage('shop_search', `${ORIGIN}/shop?search=desk`, {}, store);
    earlier.answer = () => ({ status: 'failed', error: 'TypeError: Failed to fetch' });
    earlier.ctx.tracker.track('Search', { query: 'lamp' }, { eventId: 'kept-1' });
    await earlier.flush();

    const page = loadPage('product', `${ORIGIN}/shop/furn-7777-office-chair-5`, { consent_required: true, page_event_id: 'pv-2' }, store);
    trackPageLoad(page.ctx, page.doc);
    page.ctx.tracker.flush();
    await page.flush();
    expect(page.sends).toEqual([]); // no consent yet: nothing leaves, not even what was kept
    // the visitor accepted optional cookies in another tab
    document.cookie = 'website_cookies_bar=' + encodeURIComponent('{"required": true, "optional": true}') + '; Path=/';
    page.ctx.tracker.flush();
    await page.flush();
    const viewId = page.tracks().find((t) => t.name === 'ViewContent')!.eventId;
    expect(page.sends).toEqual([['kept-1', 'pv-2', viewId]]);
    expect(page.relayed.map((e) => e.consent)).toEqual(['granted', 'granted', 'granted']);
  });

  it('does not send again what this page is still sending, and keeps what failed for the next page', async () => {
    const store = new MemoryStore();
    const page = loadPage('cart', `${ORIGIN}/shop/cart`, {}, store);
    let answer: (outcome: RelayOutcome) => void = () => undefined;
    page.answer = () => new Promise<RelayOutcome>((resolve) => (answer = resolve));
    page.ctx.tracker.track('Search', { query: 'lamp' }, { eventId: 'kept-2' });
    page.ctx.tracker.flush(); // pagehide while the request is out
    await page.flush();
    expect(page.sends).toEqual([['kept-2']]);
    answer({ status: 'failed', error: '429 rate_limited' });
    await page.flush();
    page.answer = () => ({ status: 'failed', error: 'TypeError: Failed to fetch' });
    page.ctx.tracker.flush();
    await page.flush();
    expect(page.sends).toEqual([['kept-2'], ['kept-2']]);
    const next = loadPage('cart', `${ORIGIN}/shop/cart`, { page_event_id: 'pv-2' }, store);
    trackPageLoad(next.ctx, next.doc);
    await next.flush();
    expect(next.sends).toEqual([['pv-2'], ['kept-2']]);
  });
});

describe('what the page says of TikTok\'s pixel (the head code\'s PIXEL_STATE)', () => {
  afterEach(() => {
    delete (window as unknown as Record<string, unknown>)[PIXEL_STATE];
  });

  it.each(['loaded', 'blocked'])('relays every event with the pixel %s, as the head code saw it when the event was made', async (state) => {
    (window as unknown as Record<string, unknown>)[PIXEL_STATE] = state;
    const page = loadPage('cart', `${ORIGIN}/shop/cart`);
    page.ctx.tracker.track('Search', { query: 'desk' });
    await page.flush();
    expect(page.relayed.find((e) => e.event === 'Search')?.pixel).toBe(state);
  });

  it('says nothing while it is not known', async () => {
    const page = loadPage('cart', `${ORIGIN}/shop/cart`);
    page.ctx.tracker.track('Search', { query: 'desk' });
    await page.flush();
    expect(page.relayed.find((e) => e.event === 'Search')).not.toHaveProperty('pixel');
  });
});
