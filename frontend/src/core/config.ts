/**
 * The JSON blob the module renders in <head> as
 * <script type="application/json" id="tiktok-events-config">: its schema is
 * `sidecar/src/contract/pageConfig.ts` (docs/CONTRACTS.md §2). Types only:
 * the page does not validate it.
 */
export type { PageConfig } from '../../../sidecar/src/contract/pageConfig';
/** One `contents[]` entry: the Events API's own shape, declared once in the contract. */
export type { Content as ContentItem } from '../../../sidecar/src/contract/content';

export const CONFIG_ELEMENT_ID = 'tiktok-events-config';

/**
 * Set on `window` by the inline head code to the page's `page_event_id` once
 * it has handed the PageView relay to sendBeacon: the bundle then does not
 * send it again.
 */
export const PAGE_VIEW_RELAYED = '__tiktokPageViewRelayed';
