import { toNumber } from '../clean';
import { contentId, pageCurrency, productProps, type DetectorContext } from '../context';
import { hashContact } from '../hashing';
import { readJson, writeJson, STORAGE_PREFIX } from '../storage';

// --------------------------------------------------------------------- Search

const SEARCHED_KEY = STORAGE_PREFIX + 'searched';

/**
 * A results page (`?search=` with Odoo's search bar on the page): every search
 * bar submit lands here, so this one rule covers /shop, /website/search, /event
 * and the navbar search. Reloading the same results page is not a new search.
 */
export function trackSearchLanding(ctx: DetectorContext, root: ParentNode): void {
  const query = new URLSearchParams(ctx.location.search).get('search')?.trim();
  if (!query || !root.querySelector('form.o_searchbar_form input[name="search"], input[name="search"]')) return;
  const key = `${ctx.location.pathname}?${query}`;
  if (readJson<string>(ctx.store, SEARCHED_KEY) === key) return;
  writeJson(ctx.store, SEARCHED_KEY, key);
  ctx.tracker.track('Search', { query });
}

// ------------------------------------------------------------------- Wishlist

/** `.o_add_wishlist` (grid, cart "Save for later") and `.o_add_wishlist_dyn` (product page). */
export function trackWishlistClick(ctx: DetectorContext, button: HTMLElement): void {
  const productId = button.dataset.productProductId;
  if (!productId || productId === '0') return;
  const card = button.closest('.oe_product, .o_wsale_product_grid_wrapper, #product_detail, .o_cart_product');
  const name =
    card?.querySelector('.o_wsale_products_item_title a, h1, h6, [itemprop="name"]')?.textContent?.trim() || undefined;
  const price = toNumber(card?.querySelector('.oe_price .oe_currency_value, .oe_currency_value')?.textContent ?? undefined);
  ctx.tracker.track('AddToWishlist', productProps([{ content_id: contentId(ctx, productId), content_name: name, price, quantity: 1 }], pageCurrency(ctx), price));
}

// ----------------------------------------------------------------- Newsletter

function isShown(el: Element | null): boolean {
  return !!el && !el.classList.contains('d-none');
}

/**
 * Newsletter block (`.js_subscribe`): Odoo shows `.js_subscribed_wrap` only
 * when the subscription RPC succeeded, so Subscribe fires on that change, not
 * on the click. Returns a function that stops watching.
 */
export function watchNewsletterSubscribe(ctx: DetectorContext, block: HTMLElement): () => void {
  const input = block.querySelector<HTMLInputElement>('.js_subscribe_value, .js_subscribe_email');
  const keys = hashContact(ctx.phone, input?.value);
  const thanks = block.querySelector('.js_subscribed_wrap');
  if (!thanks) return () => undefined;
  const view = block.ownerDocument.defaultView;
  if (!view) return () => undefined;
  let done = false;
  const observer = new view.MutationObserver(() => {
    if (done || !isShown(thanks)) return;
    done = true;
    observer.disconnect();
    void keys.then((user) => ctx.tracker.track('Subscribe', { description: 'newsletter' }, { user }));
  });
  observer.observe(thanks, { attributes: true, attributeFilter: ['class'] });
  return () => observer.disconnect();
}
