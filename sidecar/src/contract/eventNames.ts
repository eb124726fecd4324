
/**
 * The 14 events of the product, by canonical key. The key is what the browser,
 * the relay and the outbox speak; the name TikTok receives is resolved per pixel
 * (TikTok renamed some events and still accepts the legacy names).
 */
export const CANONICAL_EVENTS = [
  'PageView',
  'ViewContent',
  'AddToCart',
  'InitiateCheckout',
  'AddPaymentInfo',
  'PlaceAnOrder',
  'Purchase',
  'CompleteRegistration',
  'Search',
  'AddToWishlist',
  'Subscribe',
  'Contact',
  'SubmitForm',
  'SubmitApplication',
] as const;

export type CanonicalEvent = (typeof CANONICAL_EVENTS)[number];

/**
 * The events whose `content_id`s must be `sku_id`s of the website's TikTok
 * catalog (TikTok measures its match rate on these three): the report counts
 * their delivered content ids, the control room their share in the feed.
 */
export const CATALOG_MATCH_EVENTS = ['ViewContent', 'AddToCart', 'Purchase'] as const satisfies readonly CanonicalEvent[];

/** Events a browser may relay. Purchase only ever comes from the server poller. */
export const BROWSER_EVENTS: readonly CanonicalEvent[] = /* @__PURE__ */ CANONICAL_EVENTS.filter((e) => e !== 'Purchase');

/**
 * Per pixel, the name TikTok receives where it has two spellings for one
 * conversion (the settings' `event_names`, `EventNamesSchema`). Plain lists, no
 * schema here: the page bundle imports this file and carries no zod.
 */
export const EVENT_NAME_CHOICES = {
  Purchase: ['Purchase', 'CompletePayment'],
  SubmitForm: ['SubmitForm', 'Lead'],
} as const;

export type EventNameVariants = { [K in keyof typeof EVENT_NAME_CHOICES]: (typeof EVENT_NAME_CHOICES)[K][number] };

export const DEFAULT_EVENT_NAMES: EventNameVariants = { Purchase: 'Purchase', SubmitForm: 'SubmitForm' };

/** Every event name the Events API v1.3 accepts (standard events, plus legacy/sunsetting ones). */
export const TIKTOK_EVENT_NAMES: ReadonlySet<string> = new Set([
  'Pageview',
  'AddPaymentInfo',
  'AddToCart',
  'AddToWishlist',
  'ApplicationApproval',
  'ClickButton',
  'CompletePayment',
  'CompleteRegistration',
  'Contact',
  'CustomizeProduct',
  'Download',
  'FindLocation',
  'InitiateCheckout',
  'Lead',
  'PlaceAnOrder',
  'Purchase',
  'Schedule',
  'Search',
  'StartTrial',
  'SubmitApplication',
  'SubmitForm',
  'Subscribe',
  'ViewContent',
]);

export function isCanonicalEvent(name: unknown): name is CanonicalEvent {
  return typeof name === 'string' && (CANONICAL_EVENTS as readonly string[]).includes(name);
}

/** The name sent in a server payload for a canonical event on a given pixel. */
export function serverEventName(event: CanonicalEvent, names: EventNameVariants = DEFAULT_EVENT_NAMES): string {
  if (event === 'PageView') return 'Pageview';
  // The variants' keys are canonical events (Purchase, SubmitForm); no other canonical event
  // names a key an object inherits.
  return (names as Partial<Record<CanonicalEvent, string>>)[event] ?? event;
}

/** The name passed to `ttq.track`: the server's, so that TikTok pairs the two copies. */
export const browserEventName = serverEventName;
