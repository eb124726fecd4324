/**
 * The full shopper's walk that touches all 14 events, and the checks every
 * walk must pass: each browser `ttq.track` has a server copy with the same
 * event name and event_id, each page's `ttq.page()` has a server `Pageview`
 * with the page's event id, and nothing secret or personal leaks.
 */
import type { TrackCall } from './ttqRecorder';
import { addToCart, applyForJob, checkoutToPayment, confirmedOrderId, payWithDemo, registerForEvent, searchAndWishlist, sendContactForm, sendLeadForm, subscribeNewsletter, type Contact } from './flows';
import type { ShopData } from './shopData';
import type { Shopper } from './shopper';
import { ACCESS_TOKEN, type Stack } from './stack';
import { serverCopy } from './pairing';
import type { DeliveredEvent } from '../../support/fakeEventsApi';

/** As a new installation names them: SubmitForm goes as `Lead`, TikTok's current name. */
export const ALL_EVENTS = [
  'PageView', 'ViewContent', 'AddToCart', 'InitiateCheckout', 'AddPaymentInfo', 'PlaceAnOrder', 'Purchase',
  'CompleteRegistration', 'Search', 'AddToWishlist', 'Subscribe', 'Contact', 'Lead', 'SubmitApplication',
] as const;

export interface WalkResult {
  orderId: number;
  /** Unit price the product page showed (pricelist applied). */
  shownPrice: number;
  tracks: TrackCall[];
  /** Browser track ↔ server row, by event_id. */
  pairs: Array<{ browser: TrackCall; server: DeliveredEvent }>;
  /** page_event_id of each page with tracking ↔ its server Pageview. */
  /** Browser tracks without a server copy: "<name> <event_id> on <url>". */
  unpaired: string[];
  pageViews: Array<{ url: string; pageEventId: string; server: DeliveredEvent }>;
  /** Pages whose page_event_id never reached the fake as a Pageview. */
  missingPageViews: string[];
}

/** Waits (one shared deadline) for the server copy of each browser track. */
export async function pairUp(stack: Stack, tracks: TrackCall[], timeoutMs = 20_000): Promise<{ pairs: Array<{ browser: TrackCall; server: DeliveredEvent }>; unpaired: string[] }> {
  const deadline = Date.now() + timeoutMs;
  const pairs = [];
  const unpaired = [];
  for (const browser of tracks) {
    const server = await serverCopy(stack.fake, browser.eventId, Math.max(0, deadline - Date.now())).catch(() => undefined);
    if (server) pairs.push({ browser, server });
    else unpaired.push(`${browser.name} ${browser.eventId} on ${browser.url}`);
  }
  return { pairs, unpaired };
}

export interface WalkContacts {
  buyer?: Contact;
  newsletter: Contact;
  contact: Contact;
  lead: Contact;
  applicant: Contact;
  attendee: Contact;
}

/** Everything a shopper can do, in one tab; returns once each browser event has its server copy. */
export async function walkAllEvents(stack: Stack, shopper: Shopper, data: ShopData, contacts: WalkContacts): Promise<WalkResult> {
  await searchAndWishlist(shopper, 'desk');
  const shownPrice = await addToCart(shopper, data.productUrl, 2);
  await checkoutToPayment(shopper, contacts.buyer);
  await payWithDemo(shopper);
  const orderId = await confirmedOrderId(shopper.page);
  await subscribeNewsletter(shopper, data.newsletterUrl, contacts.newsletter.email);
  await sendContactForm(shopper, contacts.contact);
  await sendLeadForm(shopper, data.leadUrl, contacts.lead);
  await applyForJob(shopper, data.jobUrl, contacts.applicant);
  await registerForEvent(shopper, data.eventUrl, contacts.attendee);
  // the last page's relays (keepalive fetch) are on their way.
  await shopper.page.waitForTimeout(1000);

  const tracks = await shopper.tracks();
  const { pairs, unpaired } = await pairUp(stack, tracks);
  const pageViews = [];
  const missingPageViews: string[] = [];
  for (const visited of shopper.visited) {
    if (!visited.config) continue;
    const server = await serverCopy(stack.fake, visited.config.page_event_id, 5_000).catch(() => undefined);
    if (server) pageViews.push({ url: visited.url, pageEventId: visited.config.page_event_id, server });
    else missingPageViews.push(visited.url);
  }
  return { orderId, shownPrice, tracks, pairs, unpaired, pageViews, missingPageViews };
}

export interface PurchaseWalkResult {
  orderId: number;
  tracks: TrackCall[];
  pairs: Array<{ browser: TrackCall; server: DeliveredEvent }>;
  unpaired: string[];
}

/**
 * The shop part of the walk: search, wishlist, product, cart, checkout and a
 * payment with the demo provider; returns once each browser event has its
 * server copy.
 */
export async function walkToPurchase(stack: Stack, shopper: Shopper, data: ShopData, buyer: Contact): Promise<PurchaseWalkResult> {
  await searchAndWishlist(shopper, 'desk');
  await addToCart(shopper, data.productUrl, 1);
  await checkoutToPayment(shopper, buyer);
  await payWithDemo(shopper);
  const orderId = await confirmedOrderId(shopper.page);
  await shopper.page.waitForTimeout(1000);
  const tracks = await shopper.tracks();
  return { orderId, tracks, ...(await pairUp(stack, tracks)) };
}

export function tracksNamed(result: WalkResult, name: string): TrackCall[] {
  return result.tracks.filter((t) => t.name === name);
}

export function pairNamed(result: Pick<WalkResult, 'pairs' | 'tracks'>, name: string): { browser: TrackCall; server: DeliveredEvent } {
  const pair = result.pairs.find((p) => p.browser.name === name);
  if (!pair) throw new Error(`no browser ${name}; tracked: ${result.tracks.map((t) => t.name).join(', ')}`);
  return pair;
}

/** Strings that must never appear where the module or the bundle put data. */
export function leaksIn(shopper: Shopper, secrets: string[]): string[] {
  const problems: string[] = [];
  for (const page of shopper.visited) {
    if (page.html.includes(ACCESS_TOKEN)) problems.push(`token in the HTML of ${page.url}`);
    for (const secret of secrets) {
      if (page.injected.includes(secret)) problems.push(`"${secret}" in the pixel code/config of ${page.url}`);
      if (page.panel.includes(secret)) problems.push(`"${secret}" in the debug panel of ${page.url}`);
    }
  }
  for (const request of shopper.relayRequests) {
    for (const secret of [ACCESS_TOKEN, ...secrets]) if (request.body.includes(secret)) problems.push(`"${secret}" in a relay body`);
  }
  return problems;
}

/** Plain forms of a contact's e-mail and phone as they could appear in text. */
export function plainForms(contact: Contact): string[] {
  const digits = contact.phone.replace(/[^\d]/g, '');
  return [contact.email, contact.email.toLowerCase(), contact.phone, `+${digits}`, digits];
}
