import { Interaction } from '@web/public/interaction';
import type { DetectorContext } from '../core/context';
import { trackPaymentSubmit, trackVariantView, type OdooTrackingItem } from '../core/detectors/shop';
import { trackWishlistClick, watchNewsletterSubscribe } from '../core/detectors/engagement';
import { rememberWebsiteForm, watchWebsiteForm } from '../core/detectors/forms';
import { rememberAttendee } from '../core/detectors/events';
import { LazyComponent } from '@web/core/assets';
import { PIXEL_HELPER_BUNDLE, PIXEL_HELPER_COMPONENT } from './pixelHelperBundle';
import type { TiktokTracking } from './trackingService';

/** Our interactions share the page's tracking through the `tiktok_tracking` service. */
class TiktokInteraction extends Interaction {
  declare services: { tiktok_tracking: TiktokTracking };

  /** Undefined when the page has no usable config: the interaction stays inert. */
  get ctx(): DetectorContext | undefined {
    return this.services.tiktok_tracking.ctx;
  }
}

/**
 * Page-wide: page-load events, website_sale's `view_item_event` (it does not
 * bubble, hence capture on document), cookie-bar consent, the payment button
 * (it sits outside `#o_payment_form`), a page being left (what is still kept
 * is sent again, by fetch with keepalive: on `pagehide`, and on turning
 * hidden, on mobile often the last moment a page is given) and, in debug
 * mode, the pixel helper.
 * AddToCart comes from the cart service (./cartServicePatch.ts).
 */
export class TiktokPageTracking extends TiktokInteraction {
  static override selector = '#wrapwrap';
  override dynamicContent = {
    _document: {
      't-on-view_item_event.capture.noUpdate': (ev: CustomEvent<OdooTrackingItem | undefined>) => {
        const { ctx } = this;
        if (ctx && ev.detail) trackVariantView(ctx, ev.detail, document);
      },
      't-on-optionalCookiesAccepted.noUpdate': () => this.ctx?.tracker.grantConsent(),
      't-on-optionalCookiesDenied.noUpdate': () => this.ctx?.tracker.denyConsent(),
      't-on-visibilitychange.noUpdate': () => {
        if (document.visibilityState === 'hidden') this.ctx?.tracker.flush();
      },
    },
    _window: {
      't-on-pagehide.noUpdate': () => this.ctx?.tracker.flush(),
    },
    'button[name="o_payment_submit_button"]': {
      't-on-click.noUpdate': () => {
        const { ctx } = this;
        if (ctx) trackPaymentSubmit(ctx, document);
      },
    },
  };

  override start(): void {
    const { ctx } = this;
    if (!ctx) return;
    this.services.tiktok_tracking.pageLoaded(document);
    // At the end of the page, in its flow; Odoo removes it when the interaction stops.
    // Loaded with its own bundle, on debug pages only (./pixelHelperBundle.ts).
    if (ctx.tracker.config.debug) {
      this.mountComponent(this.el, LazyComponent, { Component: PIXEL_HELPER_COMPONENT, bundle: PIXEL_HELPER_BUNDLE, props: { tracker: ctx.tracker } });
    }
  }
}

export class TiktokWishlistButton extends TiktokInteraction {
  static override selector = '.o_add_wishlist, .o_add_wishlist_dyn';
  override dynamicContent = {
    _root: {
      't-on-click.noUpdate': () => {
        const { ctx } = this;
        if (ctx) trackWishlistClick(ctx, this.el);
      },
    },
  };
}

export class TiktokNewsletter extends TiktokInteraction {
  static override selector = '.js_subscribe';
  private stopWatching: () => void = () => undefined;
  override dynamicContent = {
    '.js_subscribe_btn': {
      't-on-click.noUpdate': () => {
        const { ctx } = this;
        if (!ctx) return;
        // only the latest click's e-mail is the one Odoo subscribes
        this.stopWatching();
        this.stopWatching = watchNewsletterSubscribe(ctx, this.el);
      },
    },
  };

  override destroy(): void {
    this.stopWatching();
  }
}

/** Contact, lead, job application and mailing forms of the website builder. */
export class TiktokWebsiteForm extends TiktokInteraction {
  static override selector = '.s_website_form form[data-model_name]';
  private lastSubmit = 0;
  override dynamicContent = {
    _root: { 't-on-submit.noUpdate': () => this.onSend() },
    '.s_website_form_send, .o_website_form_send': { 't-on-click.noUpdate': () => this.onSend() },
  };

  private onSend(): void {
    const { ctx } = this;
    // a click on "Submit" and the form's submit event are one sending
    if (!ctx || ctx.now() - this.lastSubmit < 1500) return;
    this.lastSubmit = ctx.now();
    const form = this.el as HTMLFormElement;
    this.registerCleanup(watchWebsiteForm(ctx, form, rememberWebsiteForm(ctx, form)));
  }
}

/** Event registration: keep the attendee's hashed keys for the success page. */
export class TiktokAttendeeForm extends TiktokInteraction {
  static override selector = 'form#attendee_registration';
  override dynamicContent = {
    _root: {
      't-on-submit.noUpdate': () => {
        const { ctx } = this;
        if (ctx) void rememberAttendee(ctx, this.el as HTMLFormElement);
      },
    },
  };
}
