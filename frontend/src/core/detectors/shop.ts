import type { ContentItem, PageConfig } from '../config';
import type { CartAdded } from '@contract/cart';
import { toNumber } from '../clean';
import { cartSignature, cartValue } from '../cart';
import { contentId, pageCurrency, productProps, type DetectorContext } from '../context';
import { readJson, writeJson, STORAGE_PREFIX } from '../storage';

/** website_sale's tracking payload (view_item_event detail). */
export interface OdooTrackingItem {
  item_id?: string | number;
  item_name?: string;
  item_category?: string;
  currency?: string;
  price?: number;
  quantity?: number;
}

const PLACE_ORDER_KEY = STORAGE_PREFIX + 'place_order';
/** The cart (its signature) whose InitiateCheckout fired: one checkout per cart content. */
const CHECKOUT_KEY = STORAGE_PREFIX + 'checkout';
/** A payment submitted this long ago no longer explains a status page visit. */
const PLACE_ORDER_TTL_MS = 30 * 60_000;

const CHECKOUT_STEP = /^(?:\/[a-z]{2}(?:_[A-Za-z]{2,4})?)?\/shop\/(?:checkout|address|extra_info|payment)\/?$/;
const AFTER_PAYMENT = /^(?:\/[a-z]{2}(?:_[A-Za-z]{2,4})?)?\/(?:payment\/status|shop\/payment\/validate|shop\/confirmation)\/?$/;

/**
 * website_sale sends `product.barcode or product.id` as item_id: a number is
 * the record id, a string (even all digits, like an EAN) is a barcode.
 */
function isProductId(id: unknown): id is number {
  return typeof id === 'number' && Number.isInteger(id);
}

// ---------------------------------------------------------------- ViewContent

/** Product page without the module's config: read what Odoo renders (a product: productProps says so). */
export function readProductPage(root: ParentNode): ContentItem | undefined {
  const detail = root.querySelector('#product_detail');
  const productId = detail?.querySelector<HTMLInputElement>('input[name="product_id"]')?.value;
  if (!detail || !productId) return undefined;
  return {
    content_id: productId,
    content_name: detail.querySelector('h1')?.textContent?.trim(),
    price: toNumber(detail.querySelector('.oe_price .oe_currency_value')?.textContent ?? undefined),
  };
}


/**
 * Product page load: the module's `product` config (its content id is the
 * module's own: a product group's while no variant is chosen), else the page
 * itself (a product id, named as the module names it).
 */
export function trackProductView(ctx: DetectorContext, root: ParentNode): void {
  const config = ctx.tracker.config.product;
  const { currency, variant_id, ...item }: Partial<PageConfig['product'] & {}> = config ?? readProductPage(root) ?? {};
  if (!item.content_id) return;
  if (!config) item.content_id = contentId(ctx, item.content_id);
  // The variant the page shows: Odoo announces it again on load, already viewed.
  ctx.page.viewed = variant_id ?? item.content_id;
  ctx.tracker.track('ViewContent', productProps([item], currency ?? pageCurrency(ctx), item.price));
}

/**
 * `view_item_event` (variant change). Odoo also dispatches it once on load,
 * for the variant the page-load ViewContent already reported: skip that one.
 */
export function trackVariantView(ctx: DetectorContext, detail: OdooTrackingItem, root: ParentNode): void {
  const productId = isProductId(detail.item_id)
    ? String(detail.item_id)
    : root.querySelector<HTMLInputElement>('#product_detail input[name="product_id"]')?.value;
  if (!productId) return;
  const id = contentId(ctx, productId);
  if (id === ctx.page.viewed) return;
  ctx.page.viewed = id;
  const price = toNumber(detail.price);
  const item = { content_id: id, content_name: detail.item_name, content_category: detail.item_category, price };
  ctx.tracker.track('ViewContent', productProps([item], detail.currency ?? pageCurrency(ctx), price));
}

// ------------------------------------------------------------------ AddToCart

/**
 * `tiktok_added` of Odoo's answer to an add to cart (docs/CONTRACTS.md §9):
 * what that request added and the whole cart after it, as the module's cart
 * controller computed them.
 */
export type { CartAdded };

/** AddToCart with what was added. */
export function trackAddToCart(ctx: DetectorContext, added: CartAdded | undefined): void {
  if (!added?.contents?.length) return;
  const { contents } = added;
  ctx.tracker.track('AddToCart', productProps(contents, added.currency ?? pageCurrency(ctx), cartValue(contents)));
}

// ------------------------------------------------------- checkout and payment

/**
 * The properties of an order's events: its contents, currency and value as
 * the module rendered them on this page (`order` on the cart and checkout
 * pages, `purchase` on the confirmation page), all from one order: after the
 * address step the cart may be in another currency than on earlier pages.
 */
function orderProps(order: { contents: ContentItem[]; currency: string; value: number } | undefined) {
  return productProps(order?.contents, order?.currency, order?.value);
}

/**
 * Page-load rules of the shop:
 * - a checkout step (`/shop/checkout`, `/shop/address`, `/shop/extra_info`,
 *   `/shop/payment`): InitiateCheckout, once per cart content — landing on
 *   the first step catches every way in (cart button, "Buy now", express
 *   links) and reloading or going back does not count a second checkout.
 * - after payment (`/payment/status`, `/shop/confirmation`): PlaceAnOrder, if
 *   this session submitted a payment form and it was not reported yet.
 */
export function trackShopLanding(ctx: DetectorContext): void {
  const path = ctx.location.pathname;
  const { order } = ctx.tracker.config;
  if (CHECKOUT_STEP.test(path)) {
    const signature = cartSignature(order?.contents ?? []);
    if (readJson<string>(ctx.store, CHECKOUT_KEY) === signature) return;
    writeJson(ctx.store, CHECKOUT_KEY, signature);
    ctx.tracker.track('InitiateCheckout', orderProps(order));
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

/**
 * The payment form's submit button: AddPaymentInfo at once (once per page),
 * and a PlaceAnOrder that fires on the page the payment leads to, so a click
 * that fails validation is not counted as a placed order. Both carry the
 * order as the payment page shows it.
 */
export function trackPaymentSubmit(ctx: DetectorContext, root: ParentNode): void {
  const props = orderProps(ctx.tracker.config.order);
  const method = root.querySelector<HTMLInputElement>('input[name="o_payment_radio"]:checked')?.dataset.providerCode;
  if (!ctx.page.paymentInfoSent) {
    ctx.page.paymentInfoSent = true;
    ctx.tracker.track('AddPaymentInfo', { ...props, description: method });
  }
  writeJson(ctx.store, PLACE_ORDER_KEY, { props, at: ctx.now() });
}

// ------------------------------------------------------------------- Purchase

/** Confirmation page: the browser copy of the order's Purchase, with the order's id. */
export function trackPurchase(ctx: DetectorContext): void {
  const { purchase } = ctx.tracker.config;
  if (!purchase) return;
  ctx.tracker.track('Purchase', { ...orderProps(purchase), order_id: purchase.order_id }, { eventId: purchase.event_id, relay: false });
  // the next cart is a new checkout, even with the same content
  writeJson(ctx.store, CHECKOUT_KEY, undefined);
}
