/**
 * The JSON blob the module renders in <head> as
 * <script type="application/json" id="tiktok-events-config">. See docs/CONTRACTS.md.
 */
import type { TikTokContent } from '../../../sidecar/src/tiktok/types';

/** One `contents[]` entry: the Events API's own shape, declared once in the sidecar. */
export type ContentItem = TikTokContent;

export interface PageConfig {
  pixel_id: string;
  website_id: number;
  relay_url: string;
  page_event_id: string;
  currency?: string;
  debug?: boolean;
  consent_required?: boolean;
  event_names?: { Purchase?: 'Purchase' | 'CompletePayment'; SubmitForm?: 'SubmitForm' | 'Lead' };
  identify?: { email?: string; phone_number?: string; external_id?: string };
  product?: { content_id: string; content_name?: string; content_category?: string; price?: number; currency?: string };
  purchase?: { event_id: string; order_id?: string; value: number; currency: string; contents: ContentItem[] };
}

export const CONFIG_ELEMENT_ID = 'tiktok-events-config';

/**
 * Set on `window` by the inline head code to the page's `page_event_id` once
 * it has handed the PageView relay to sendBeacon: the bundle then does not
 * send it again.
 */
export const PAGE_VIEW_RELAYED = '__tiktokPageViewRelayed';
