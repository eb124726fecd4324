import type { DetectorContext } from '../core/context';
import { trackAddToCart, type CartAdded } from '../core/detectors/shop';
import { createSession, readPageConfig, trackPageLoad, type SessionOptions } from '../core/session';
import { loadPhoneRule } from './phoneRule';

/**
 * The page's TikTok tracking, one per page: the config read once, the
 * tracker, what the page remembers, and whether its page-load events were
 * sent. The interactions and the cart service patch reach it as
 * `services.tiktok_tracking`. Without a usable config (tracking off) `ctx` is
 * undefined and everything stays inert.
 */
export class TiktokTracking {
  readonly ctx: DetectorContext | undefined;
  private pageLoadTracked = false;

  constructor(win: Window & typeof globalThis, options?: SessionOptions) {
    const config = readPageConfig(win.document);
    this.ctx = config && createSession(win, config, { loadPhoneRule, ...options });
  }

  /** Page-load events, once per page however often the interactions (re)start. */
  pageLoaded(doc: Document): void {
    if (!this.ctx || this.pageLoadTracked) return;
    this.pageLoadTracked = true;
    trackPageLoad(this.ctx, doc);
  }

  /** An answer of Odoo's cart controllers: AddToCart with what the module says it added. */
  cartAnswered(answer: unknown): void {
    if (this.ctx) trackAddToCart(this.ctx, (answer as { tiktok_added?: CartAdded } | undefined)?.tiktok_added);
  }
}

/** Registered as `tiktok_tracking` in Odoo's services (./main.ts). */
export const trackingService = {
  start: () => new TiktokTracking(window),
};
