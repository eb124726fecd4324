/**
 * Entry point of the browser bundle (addon static/src/js/tiktok_events.js):
 * registers the `tiktok_tracking` service and the public interactions, and
 * patches website_sale's cart service.
 */
import { registry } from '@web/core/registry';
import { trackingService } from './trackingService';
import { TiktokAttendeeForm, TiktokNewsletter, TiktokPageTracking, TiktokWebsiteForm, TiktokWishlistButton } from './interactions';
import './cartServicePatch';

registry.category('services').add('tiktok_tracking', trackingService);

const interactions = registry.category('public.interactions');
interactions.add('website_tiktok_events.page_tracking', TiktokPageTracking);
interactions.add('website_tiktok_events.wishlist_button', TiktokWishlistButton);
interactions.add('website_tiktok_events.newsletter', TiktokNewsletter);
interactions.add('website_tiktok_events.website_form', TiktokWebsiteForm);
interactions.add('website_tiktok_events.attendee_form', TiktokAttendeeForm);
