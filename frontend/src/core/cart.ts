import type { ContentItem } from './config';
import { roundMoney, toNumber } from './clean';
import { readJson, writeJson, STORAGE_PREFIX, type KeyValueStore } from './storage';

/**
 * What the shopper's cart holds, kept in sessionStorage so the checkout steps
 * (InitiateCheckout, AddPaymentInfo, PlaceAnOrder) can report contents and
 * value even though Odoo's checkout pages show no product ids.
 */
export interface CartSnapshot {
  contents: ContentItem[];
  value: number;
  currency?: string;
  /** Signature of the cart for which InitiateCheckout already fired. */
  checkoutFor?: string;
}

const CART_KEY = STORAGE_PREFIX + 'cart';

export function loadCart(store: KeyValueStore | undefined): CartSnapshot | undefined {
  return readJson<CartSnapshot>(store, CART_KEY);
}

export function saveCart(store: KeyValueStore | undefined, cart: CartSnapshot | undefined): void {
  writeJson(store, CART_KEY, cart);
}

/** Identifies a cart's content: a new product or quantity means a new checkout. */
export function cartSignature(cart: CartSnapshot): string {
  return cart.contents
    .map((c) => `${c.content_id}x${c.quantity ?? 1}`)
    .sort()
    .join(',');
}

export function cartValue(contents: ContentItem[]): number {
  return roundMoney(contents.reduce((sum, c) => sum + (c.price ?? 0) * (c.quantity ?? 1), 0));
}

/**
 * Reads the cart page (`/shop/cart`): one `.o_cart_product[data-product-id]`
 * per line, its quantity input and its displayed line price (Odoo shows the
 * line total, so the unit price is total / quantity).
 */
export function readCartPage(root: ParentNode, currency?: string): CartSnapshot | undefined {
  const lines = Array.from(root.querySelectorAll<HTMLElement>('.o_cart_product[data-product-id]'));
  if (!lines.length) return undefined;
  const contents: ContentItem[] = [];
  for (const line of lines) {
    const productId = line.dataset.productId;
    if (!productId) continue;
    const quantity = toNumber(line.querySelector<HTMLInputElement>('input.js_quantity')?.value) ?? 1;
    const lineTotal = toNumber(
      line.querySelector('[name="website_sale_cart_line_price"] .oe_currency_value')?.textContent ?? undefined,
    );
    const name = line.querySelector('h6')?.textContent?.trim();
    contents.push({
      content_id: productId,
      content_type: 'product',
      content_name: name,
      quantity,
      price: lineTotal !== undefined && quantity > 0 ? roundMoney(lineTotal / quantity) : undefined,
    });
  }
  return { contents, value: cartValue(contents), currency };
}
