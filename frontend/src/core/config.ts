/**
 * The JSON blob the module renders in <head> as
 * <script type="application/json" id="tiktok-events-config">: its schema is
 * `sidecar/src/contract/pageConfig.ts` (docs/CONTRACTS.md §2). Types only:
 * the page does not validate it.
 */
export type { PageConfig } from '@contract/pageConfig';
/** One `contents[]` entry: the Events API's own shape, declared once in the contract. */
export type { Content as ContentItem } from '@contract/content';

export const CONFIG_ELEMENT_ID = 'tiktok-events-config';

/**
 * Set on `window` by the inline head code once it has kept (and, with
 * consent, sent) the page's PageView relay: `{ id, done }`, the page event id
 * and a promise of the relay's answer as read ('accepted', 'refused',
 * 'failed'; 'queued' when it waits for consent). The bundle then does not
 * relay the PageView again, and sends what is kept once the head's request is
 * answered, so that it does not send the same events twice at once.
 */
export const HEAD_RELAY = '__tiktokHeadRelay';

/**
 * Set on `window` by the inline head code when TikTok's events.js answered:
 * 'loaded', 'blocked' when it failed to load (an extension, a network
 * filter), or 'withheld' when the head code did not load it (Global Privacy
 * Control under limited data use). Each relayed event says it (`pixel`, docs/CONTRACTS.md §4): the
 * sidecar counts the events only the server delivered. Unset: not known yet.
 */
export const PIXEL_STATE = '__tiktokPixel';
