/** @jest-environment jsdom */
import { createHash } from 'node:crypto';
import { clearCookies, loadPage, MemoryStore } from './fixturePage';
import { trackPageLoad } from '../session';
import { readCartPage, loadCart } from '../cart';
import {
  rememberAddToCartClick,
  resetPaymentMemory,
  resetProductViewMemory,
  trackAddToCart,
  trackPaymentSubmit,
  trackVariantView,
} from '../detectors/shop';
import { trackWishlistClick, watchNewsletterSubscribe } from '../detectors/engagement';
import { rememberWebsiteForm, watchWebsiteForm } from '../detectors/forms';
import { rememberAttendee } from '../detectors/events';

const ORIGIN = 'http://localhost';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

beforeEach(() => {
  clearCookies();
  resetProductViewMemory();
  resetPaymentMemory();
});

describe('PageView', () => {
  it('relays the page view with the config id and leaves ttq.page() to the inline code', async () => {
    const page = loadPage('cart', `${ORIGIN}/shop/cart?ttclid=E.C.P.abc`);
    trackPageLoad(page.ctx, page.doc);
    await page.flush();
    expect(page.tracks().map((t) => t.name)).not.toContain('Pageview');
    const pv = page.relayed.find((e) => e.event === 'PageView');
    expect(pv).toMatchObject({ event_id: 'pv-1', consent: 'not_required', page: { url: `${ORIGIN}/shop/cart?ttclid=E.C.P.abc` }, user: { ttclid: 'E.C.P.abc' } });
    expect(page.doc.cookie).toContain('ttclid=E.C.P.abc');
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
      contents: [{ content_id: 'event-9', content_type: 'product', content_name: 'TikTok Fixture Conference' }],
      content_type: 'product',
      currency: 'USD',
    });
  });
});

describe('AddToCart and the cart snapshot', () => {
  it('counts the quantity added, not the cart line total', async () => {
    const store = new MemoryStore();
    const page = loadPage('product', `${ORIGIN}/shop/furn-7777-office-chair-5`, {}, store);
    page.doc.querySelector<HTMLInputElement>('input[name="add_qty"]')!.value = '2';
    rememberAddToCartClick(page.ctx, page.doc.querySelector('#add_to_cart')!);
    // Odoo's detail: the line now holds 2 (it was empty)
    trackAddToCart(page.ctx, [{ item_id: 5, item_name: 'Office Chair', item_category: 'Office', currency: 'USD', price: 63, quantity: 2 }]);
    let add = page.tracks().find((t) => t.name === 'AddToCart')!;
    expect(add.props).toEqual({
      contents: [{ content_id: '5', content_type: 'product', content_name: 'Office Chair', content_category: 'Office', price: 63, quantity: 2 }],
      content_type: 'product',
      currency: 'USD',
      value: 126,
    });
    // a second add without a click on this page: the line went from 2 to 5
    trackAddToCart(page.ctx, [{ item_id: 5, item_name: 'Office Chair', currency: 'USD', price: 63, quantity: 5 }]);
    add = page.tracks().filter((t) => t.name === 'AddToCart')[1];
    expect(add.props.contents[0].quantity).toBe(3);
    expect(add.props.value).toBe(189);
    expect(loadCart(store)?.contents[0].quantity).toBe(5);
    await page.flush();
    expect(page.relayed.filter((e) => e.event === 'AddToCart').map((e) => e.event_id)).toEqual(
      page.tracks().filter((t) => t.name === 'AddToCart').map((t) => t.eventId),
    );
  });

  it('falls back on the page product id when Odoo sends a barcode as item_id', () => {
    const page = loadPage('product', `${ORIGIN}/shop/furn-7777-office-chair-5`);
    rememberAddToCartClick(page.ctx, page.doc.querySelector('#add_to_cart')!);
    trackAddToCart(page.ctx, [{ item_id: '601647855631', price: 63, quantity: 1 }]);
    expect(page.tracks()[0].props.contents[0].content_id).toBe('5');
  });

  it('reads the cart page lines', () => {
    const page = loadPage('cart', `${ORIGIN}/shop/cart`);
    expect(readCartPage(page.doc, 'USD')).toEqual({
      contents: [{ content_id: '5', content_type: 'product', content_name: 'Office Chair', quantity: 2, price: 63 }],
      value: 126,
      currency: 'USD',
    });
  });
});

describe('checkout, payment and purchase', () => {
  it('fires InitiateCheckout once per cart, then AddPaymentInfo, PlaceAnOrder and Purchase with the snapshot', async () => {
    const store = new MemoryStore();
    trackPageLoad(loadPage('cart', `${ORIGIN}/shop/cart`, {}, store).ctx, loadPage('cart', `${ORIGIN}/shop/cart`, {}, store).doc);

    const address = loadPage('checkout_address', `${ORIGIN}/shop/address`, { page_event_id: 'pv-2' }, store);
    trackPageLoad(address.ctx, address.doc);
    const initiate = address.tracks().find((t) => t.name === 'InitiateCheckout')!;
    expect(initiate.props).toEqual({
      contents: [{ content_id: '5', content_type: 'product', content_name: 'Office Chair', quantity: 2, price: 63 }],
      content_type: 'product',
      currency: 'USD',
      value: 126,
    });

    const payment = loadPage('payment', `${ORIGIN}/shop/payment`, { page_event_id: 'pv-3' }, store);
    trackPageLoad(payment.ctx, payment.doc);
    expect(payment.tracks().map((t) => t.name)).not.toContain('InitiateCheckout');
    trackPaymentSubmit(payment.ctx, payment.doc);
    trackPaymentSubmit(payment.ctx, payment.doc);
    const infos = payment.tracks().filter((t) => t.name === 'AddPaymentInfo');
    expect(infos).toHaveLength(1);
    expect(infos[0].props).toMatchObject({ value: 126, currency: 'USD', contents: [{ content_id: '5', quantity: 2 }] });
    expect(payment.tracks().map((t) => t.name)).not.toContain('PlaceAnOrder');

    const purchase = {
      event_id: 'purchase-so-37',
      order_id: 'S00037',
      value: 126,
      currency: 'USD',
      contents: [{ content_id: '5', content_name: 'Office Chair', price: 63, quantity: 2 }],
    };
    const confirmation = loadPage('confirmation', `${ORIGIN}/shop/confirmation`, { page_event_id: 'pv-4', purchase, identify: { email: sha('jane@example.com') } }, store);
    trackPageLoad(confirmation.ctx, confirmation.doc);
    await confirmation.flush();
    const names = confirmation.tracks().map((t) => t.name);
    expect(names).toEqual(['PlaceAnOrder', 'Purchase']);
    const bought = confirmation.tracks()[1];
    expect(bought).toMatchObject({ eventId: 'purchase-so-37', props: { value: 126, currency: 'USD', order_id: 'S00037', contents: [{ content_id: '5', content_type: 'product', quantity: 2 }] } });
    // identify precedes every track when the customer's hashes are known
    expect(confirmation.ttq[0]).toEqual({ method: 'identify', args: [{ email: sha('jane@example.com') }] });
    // the browser never relays a Purchase: the sidecar's poller sends the server copy
    expect(confirmation.relayed.map((e) => e.event)).toEqual(['PageView', 'PlaceAnOrder']);
    expect(confirmation.relayed[1].user?.email).toBe(sha('jane@example.com'));

    // reloading the confirmation page does not fire the same purchase again
    const reload = loadPage('confirmation', `${ORIGIN}/shop/confirmation`, { page_event_id: 'pv-5', purchase }, store);
    trackPageLoad(reload.ctx, reload.doc);
    expect(reload.tracks()).toEqual([]);
  });

  it('fires InitiateCheckout again when the cart changed', () => {
    const store = new MemoryStore();
    const first = loadPage('checkout', `${ORIGIN}/shop/checkout`, {}, store);
    trackPageLoad(first.ctx, first.doc);
    const cart = loadPage('cart', `${ORIGIN}/shop/cart`, {}, store);
    trackPageLoad(cart.ctx, cart.doc);
    const again = loadPage('checkout', `${ORIGIN}/shop/checkout`, { page_event_id: 'pv-9' }, store);
    trackPageLoad(again.ctx, again.doc);
    expect(first.tracks().map((t) => t.name)).toEqual(['InitiateCheckout']);
    expect(again.tracks().map((t) => t.name)).toEqual(['InitiateCheckout']);
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
    expect(registration.props.contents).toEqual([{ content_id: 'event-9', content_type: 'product', content_name: 'TikTok Fixture Conference' }]);
    const trackIndex = success.ttq.findIndex((c) => c.method === 'track' && c.args[0] === 'CompleteRegistration');
    expect(success.ttq[trackIndex - 1]).toEqual({ method: 'identify', args: [keys] });
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
    expect(page.ttq[0]).toEqual({ method: 'identify', args: [{ email: sha('news.reader@example.com') }] });
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
    expect(thanks.ttq[0]).toEqual({ method: 'identify', args: [keys] });
    expect(thanks.relayed.find((e) => e.event === 'Contact')?.user).toMatchObject({ email: keys.email, phone: keys.phone_number });
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
    await page.flush();
    await page.flush();
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
    await page.flush();
    await page.flush();
    expect(page.tracks().map((t) => t.name)).toEqual(['Lead']);
    await page.flush();
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
    expect(next.relayed.map((e) => [e.event, e.consent])).toEqual([
      ['PageView', 'granted'],
      ['Search', 'granted'],
      ['PageView', 'granted'],
      ['ViewContent', 'granted'],
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
