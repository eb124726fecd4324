import { patch } from '@web/core/utils/patch';
import { CartService } from '@website_sale/js/cart_service';
import type { TiktokTracking } from './trackingService';

/**
 * AddToCart from Odoo's own answer to `/shop/cart/add`, which the module's
 * cart controller extends with `tiktok_added`. Every add to cart of the shop
 * (product page, grids, snippets, configurators, "Buy now") goes through the
 * cart service, which asks that route through `this.rpc` ("to be
 * overridable"). The answer reaches the tracking service before Odoo shows
 * its notification or, with the website's "go to cart", leaves the page (the
 * relay's request outlives that navigation).
 */
// The method this patch replaces (what `super.setup` would reach), kept typed.
// eslint-disable-next-line @typescript-eslint/unbound-method -- always called with the service as `this`
const originalSetup = CartService.prototype.setup;

patch(CartService.prototype, {
  setup(env: { services: { tiktok_tracking?: TiktokTracking } }, services: unknown) {
    const exposed = originalSetup.call(this, env, services);
    const rpc = this.rpc;
    this.rpc = async (route: string, ...args: unknown[]) => {
      const answer = await rpc(route, ...args);
      if (route === '/shop/cart/add') env.services.tiktok_tracking?.cartAnswered(answer);
      return answer;
    };
    return exposed;
  },
});
