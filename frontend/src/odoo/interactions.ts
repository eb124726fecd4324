import { Interaction } from '@web/public/interaction';
import { registry } from '@web/core/registry';
import { trackPageLoad } from '../core/session';
import { rememberAddToCartClick, trackAddToCart, trackPaymentSubmit, trackVariantView } from '../core/detectors/shop';
import { trackWishlistClick, watchNewsletterSubscribe } from '../core/detectors/engagement';
import { rememberWebsiteForm, watchWebsiteForm } from '../core/detectors/forms';
import { rememberAttendee } from '../core/detectors/events';
import { pageSession } from './session_holder';
import { PixelHelper } from './pixel_helper';

let pageLoadTracked = false;

/**
 * Page-wide: page-load events, website_sale's CustomEvents (they do not
 * bubble, hence capture on document), cookie-bar consent, the payment button
 * (it sits outside `#o_payment_form`), a page being left (what still waits
 * leaves by beacon: on `pagehide`, and on turning hidden, on mobile often the
 * last moment a page is given) and, in debug mode, the pixel helper.
 */
export class TiktokPageTracking extends Interaction {
  static override selector = '#wrapwrap';
  override dynamicContent = {
    _document: {
      't-on-view_item_event.capture.noUpdate': (ev: CustomEvent) => {
        const ctx = pageSession();
        if (ctx && ev.detail) trackVariantView(ctx, ev.detail, document);
      },
      't-on-add_to_cart_event.capture.noUpdate': (ev: CustomEvent) => {
        const ctx = pageSession();
        if (ctx) trackAddToCart(ctx, ev.detail);
      },
      't-on-optionalCookiesAccepted.noUpdate': () => pageSession()?.tracker.grantConsent(),
      't-on-optionalCookiesDenied.noUpdate': () => pageSession()?.tracker.denyConsent(),
      't-on-visibilitychange.noUpdate': () => {
        if (document.visibilityState === 'hidden') pageSession()?.tracker.flush(true);
      },
    },
    _window: {
      't-on-pagehide.noUpdate': () => pageSession()?.tracker.flush(true),
    },
    'button[name="o_payment_submit_button"]': {
      't-on-click.noUpdate': () => {
        const ctx = pageSession();
        if (ctx) trackPaymentSubmit(ctx, document);
      },
    },
  };

  override start(): void {
    const ctx = pageSession();
    if (!ctx) return;
    if (!pageLoadTracked) {
      pageLoadTracked = true;
      trackPageLoad(ctx, document);
    }
    // Odoo wraps it in its own root element and removes both when the interaction stops.
    if (ctx.tracker.config.debug) this.mountComponent(document.body, PixelHelper, { tracker: ctx.tracker });
  }
}

/** Product page: how many the shopper asked for, before Odoo's cart RPC answers. */
export class TiktokAddToCartButton extends Interaction {
  static override selector = '#product_detail';
  override dynamicContent = {
    '#add_to_cart, .o_we_buy_now': {
      't-on-click.noUpdate': (ev: MouseEvent) => {
        const ctx = pageSession();
        if (ctx) rememberAddToCartClick(ctx, ev.currentTarget as Element);
      },
    },
  };
}

export class TiktokWishlistButton extends Interaction {
  static override selector = '.o_add_wishlist, .o_add_wishlist_dyn';
  override dynamicContent = {
    _root: {
      't-on-click.noUpdate': () => {
        const ctx = pageSession();
        if (ctx) trackWishlistClick(ctx, this.el);
      },
    },
  };
}

export class TiktokNewsletter extends Interaction {
  static override selector = '.js_subscribe';
  private stopWatching: () => void = () => undefined;
  override dynamicContent = {
    '.js_subscribe_btn': {
      't-on-click.noUpdate': () => {
        const ctx = pageSession();
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
export class TiktokWebsiteForm extends Interaction {
  static override selector = '.s_website_form form[data-model_name]';
  private lastSubmit = 0;
  override dynamicContent = {
    _root: { 't-on-submit.noUpdate': () => this.onSend() },
    '.s_website_form_send, .o_website_form_send': { 't-on-click.noUpdate': () => this.onSend() },
  };

  private onSend(): void {
    const ctx = pageSession();
    // a click on "Submit" and the form's submit event are one sending
    if (!ctx || ctx.now() - this.lastSubmit < 1500) return;
    this.lastSubmit = ctx.now();
    const form = this.el as HTMLFormElement;
    this.registerCleanup(watchWebsiteForm(ctx, form, rememberWebsiteForm(ctx, form)));
  }
}

/** Event registration: keep the attendee's hashed keys for the success page. */
export class TiktokAttendeeForm extends Interaction {
  static override selector = 'form#attendee_registration';
  override dynamicContent = {
    _root: {
      't-on-submit.noUpdate': () => {
        const ctx = pageSession();
        if (ctx) void rememberAttendee(ctx, this.el as HTMLFormElement);
      },
    },
  };
}

const interactions = registry.category('public.interactions');
interactions.add('website_tiktok_events.page_tracking', TiktokPageTracking);
interactions.add('website_tiktok_events.add_to_cart_button', TiktokAddToCartButton);
interactions.add('website_tiktok_events.wishlist_button', TiktokWishlistButton);
interactions.add('website_tiktok_events.newsletter', TiktokNewsletter);
interactions.add('website_tiktok_events.website_form', TiktokWebsiteForm);
interactions.add('website_tiktok_events.attendee_form', TiktokAttendeeForm);

/** Tests only. */
export function resetPageLoadFlag(): void {
  pageLoadTracked = false;
}
