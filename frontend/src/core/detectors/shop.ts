import type { ContentItem } from '../config';
import { toNumber } from '../clean';
import { cartSignature, cartValue, loadCart, mergeIntoCart, quantityInCart, readCartPage, saveCart, type CartSnapshot } from '../cart';
import { pageCurrency, type DetectorContext } from '../context';
import { readJson, writeJson, STORAGE_PREFIX } from '../storage';

/** website_sale's tracking payload (add_to_cart_event / view_item_event details). */
export interface OdooTrackingItem {
  item_id?: string | number;
  item_name?: string;
  item_category?: string;
  currency?: string;
  price?: number;
  quantity?: number;
}

const LAST_ADD_KEY = STORAGE_PREFIX + 'last_add';
const PLACE_ORDER_KEY = STORAGE_PREFIX + 'place_order';
/** A click on "Add to cart" explains an add_to_cart_event only for a short while. */
const ADD_CLICK_TTL_MS = 60_000;
/** A payment submitted this long ago no longer explains a status page visit. */
const PLACE_ORDER_TTL_MS = 30 * 60_000;

const CHECKOUT_STEP = /^(?:\/[a-z]{2}(?:_[A-Za-z]{2,4})?)?\/shop\/(?:checkout|address|extra_info|payment)\/?$/;
const AFTER_PAYMENT = /^(?:\/[a-z]{2}(?:_[A-Za-z]{2,4})?)?\/(?:payment\/status|shop\/payment\/validate|shop\/confirmation)\/?$/;
const CART_PAGE = /^(?:\/[a-z]{2}(?:_[A-Za-z]{2,4})?)?\/shop\/cart\/?$/;

/**
 * website_sale sends `product.barcode or product.id` as item_id: a number is
 * the record id, a string (even all digits, like an EAN) is a barcode.
 */
function isProductId(id: unknown): id is number {
  return typeof id === 'number' && Number.isInteger(id);
}

// ---------------------------------------------------------------- ViewContent

/** Product page without the module's config: read what Odoo renders. */
export function readProductPage(root: ParentNode): ContentItem | undefined {
  const detail = root.querySelector('#product_detail');
  const productId = detail?.querySelector<HTMLInputElement>('input[name="product_id"]')?.value;
  if (!detail || !productId) return undefined;
  return {
    content_id: productId,
    content_type: 'product',
    content_name: detail.querySelector('h1')?.textContent?.trim(),
    price: toNumber(detail.querySelector('.oe_price .oe_currency_value')?.textContent ?? undefined),
  };
}

function viewContentProps(item: ContentItem, currency: string | undefined): Record<string, unknown> {
  return {
    contents: [{ ...item, content_type: item.content_type ?? 'product', quantity: undefined }],
    content_type: 'product',
    currency,
    value: item.price,
  };
}

let lastViewedOnPage: string | undefined;

/** Product page load: the module's `product` config, else the page itself. */
export function trackProductView(ctx: DetectorContext, root: ParentNode): void {
  const fromConfig = ctx.tracker.config.product;
  const item: ContentItem | undefined = fromConfig
    ? { content_id: fromConfig.content_id, content_name: fromConfig.content_name, content_category: fromConfig.content_category, price: fromConfig.price }
    : readProductPage(root);
  if (!item) return;
  lastViewedOnPage = item.content_id;
  ctx.tracker.track('ViewContent', viewContentProps(item, fromConfig?.currency ?? pageCurrency(ctx)));
}

/**
 * `view_item_event` (variant change). Odoo also dispatches it once on load,
 * for the variant the page-load ViewContent already reported: skip that one.
 */
export function trackVariantView(ctx: DetectorContext, detail: OdooTrackingItem, root: ParentNode): void {
  const contentId = isProductId(detail.item_id)
    ? String(detail.item_id)
    : root.querySelector<HTMLInputElement>('#product_detail input[name="product_id"]')?.value;
  if (!contentId || contentId === lastViewedOnPage) return;
  lastViewedOnPage = contentId;
  ctx.tracker.track(
    'ViewContent',
    viewContentProps(
      { content_id: contentId, content_name: detail.item_name, content_category: detail.item_category, price: toNumber(detail.price) },
      detail.currency ?? pageCurrency(ctx),
    ),
  );
}

/** Test hook: a new page starts with nothing viewed. */
export function resetProductViewMemory(): void {
  lastViewedOnPage = undefined;
}

// ------------------------------------------------------------------ AddToCart

interface AddClick {
  productId?: string;
  quantity: number;
  at: number;
}

/** "Add to cart" click: remember how many the shopper asked for (`add_qty`). */
export function rememberAddToCartClick(ctx: DetectorContext, button: Element): void {
  const scope = button.closest('form, .js_product, #product_detail') ?? button.ownerDocument;
  const quantity = toNumber(scope.querySelector<HTMLInputElement>('input[name="add_qty"]')?.value) ?? 1;
  const productId = scope.querySelector<HTMLInputElement>('input[name="product_id"]')?.value;
  writeJson(ctx.store, LAST_ADD_KEY, { productId, quantity: quantity > 0 ? quantity : 1, at: ctx.now() } satisfies AddClick);
}

/**
 * `add_to_cart_event`: its `quantity` is the cart line's new total, not what
 * was added. The added quantity is the `add_qty` of the click that caused it,
 * else the growth over the cart snapshot, else 1.
 */
export function addedItems(detail: OdooTrackingItem[], click: AddClick | undefined, cart: CartSnapshot | undefined, now: number): ContentItem[] {
  const freshClick = click && now - click.at < ADD_CLICK_TTL_MS ? click : undefined;
  return detail.map((item, index) => {
    // item_id is the barcode when the product has one: fall back on the page's product id
    const contentId = isProductId(item.item_id)
      ? String(item.item_id)
      : index === 0 && freshClick?.productId
        ? freshClick.productId
        : String(item.item_id ?? '');
    const lineTotal = toNumber(item.quantity);
    const before = quantityInCart(cart, contentId);
    let quantity = 1;
    if (freshClick && index === 0) quantity = freshClick.quantity;
    else if (lineTotal !== undefined && before !== undefined && lineTotal > before) quantity = lineTotal - before;
    else if (lineTotal !== undefined && before === undefined && lineTotal > 0 && !freshClick) quantity = lineTotal;
    return {
      content_id: contentId,
      content_type: 'product',
      content_name: item.item_name,
      content_category: item.item_category,
      price: toNumber(item.price),
      quantity,
    };
  });
}

export function trackAddToCart(ctx: DetectorContext, detail: unknown): void {
  const items = (Array.isArray(detail) ? detail : [detail]).filter(
    (d): d is OdooTrackingItem => typeof d === 'object' && d !== null,
  );
  if (!items.length) return;
  const cart = loadCart(ctx.store);
  const added = addedItems(items, readJson<AddClick>(ctx.store, LAST_ADD_KEY), cart, ctx.now());
  writeJson(ctx.store, LAST_ADD_KEY, undefined);
  const currency = items[0].currency ?? pageCurrency(ctx);
  const value = cartValue(added);
  ctx.tracker.track('AddToCart', { contents: added, content_type: 'product', currency, value });
  saveCart(ctx.store, mergeIntoCart(cart, added, currency));
}

// ------------------------------------------------------- checkout and payment

function checkoutProps(cart: CartSnapshot | undefined, currency: string | undefined, value?: number) {
  return {
    contents: cart?.contents,
    content_type: 'product',
    currency: cart?.currency ?? currency,
    value: value ?? cart?.value,
  };
}

/**
 * Page-load rules of the shop:
 * - `/shop/cart`: refresh the cart snapshot from the page.
 * - a checkout step (`/shop/checkout`, `/shop/address`, `/shop/extra_info`,
 *   `/shop/payment`): InitiateCheckout, once per cart content — landing on
 *   the first step catches every way in (cart button, "Buy now", express
 *   links) and reloading or going back does not count a second checkout.
 * - after payment (`/payment/status`, `/shop/confirmation`): PlaceAnOrder, if
 *   this session submitted a payment form and it was not reported yet.
 */
export function trackShopLanding(ctx: DetectorContext, root: ParentNode): void {
  const path = ctx.location.pathname;
  const currency = pageCurrency(ctx);
  if (CART_PAGE.test(path)) {
    const fromPage = readCartPage(root, currency);
    const previous = loadCart(ctx.store);
    if (fromPage) {
      const sameCart = previous && cartSignature(previous) === cartSignature(fromPage);
      saveCart(ctx.store, { ...fromPage, checkoutFor: sameCart ? previous.checkoutFor : undefined });
    }
    return;
  }
  if (CHECKOUT_STEP.test(path)) {
    const cart = loadCart(ctx.store);
    const signature = cart ? cartSignature(cart) : 'unknown';
    if (cart?.checkoutFor === signature) return;
    ctx.tracker.track('InitiateCheckout', checkoutProps(cart, currency, paymentAmount(root)));
    saveCart(ctx.store, { ...(cart ?? { contents: [], value: 0, currency }), checkoutFor: signature });
    return;
  }
  if (AFTER_PAYMENT.test(path)) {
    const pending = readJson<{ props: Record<string, unknown>; at: number }>(ctx.store, PLACE_ORDER_KEY);
    if (pending && ctx.now() - pending.at < PLACE_ORDER_TTL_MS) {
      writeJson(ctx.store, PLACE_ORDER_KEY, undefined);
      ctx.tracker.track('PlaceAnOrder', pending.props);
    }
  }
}

/** The payment form's own amount is the order total, delivery included. */
function paymentAmount(root: ParentNode): number | undefined {
  return toNumber(root.querySelector<HTMLElement>('#o_payment_form')?.dataset.amount);
}

let paymentInfoSent = false;

/**
 * The payment form's submit button: AddPaymentInfo at once (once per page),
 * and a PlaceAnOrder that fires on the page the payment leads to, so a click
 * that fails validation is not counted as a placed order.
 */
export function trackPaymentSubmit(ctx: DetectorContext, root: ParentNode): void {
  const cart = loadCart(ctx.store);
  const props = checkoutProps(cart, pageCurrency(ctx), paymentAmount(root));
  const method = root.querySelector<HTMLInputElement>('input[name="o_payment_radio"]:checked')?.dataset.providerCode;
  if (!paymentInfoSent) {
    paymentInfoSent = true;
    ctx.tracker.track('AddPaymentInfo', { ...props, description: method });
  }
  writeJson(ctx.store, PLACE_ORDER_KEY, { props, at: ctx.now() });
}

export function resetPaymentMemory(): void {
  paymentInfoSent = false;
}

// ------------------------------------------------------------------- Purchase

/** Confirmation page: the browser copy of the order's Purchase, with the order's id. */
export function trackPurchase(ctx: DetectorContext): void {
  const purchase = ctx.tracker.config.purchase;
  if (!purchase) return;
  ctx.tracker.track(
    'Purchase',
    {
      contents: purchase.contents.map((c) => ({ content_type: 'product', ...c })),
      content_type: 'product',
      currency: purchase.currency,
      value: purchase.value,
      order_id: purchase.order_id,
    },
    { eventId: purchase.event_id, relay: false },
  );
  saveCart(ctx.store, undefined);
}
