import { isIP } from 'node:net';
import { LOCALE, NAME_ADDRESS_KEYS, NAME_ADDRESS_PLAIN_KEYS, type MatchLevel } from '../contract/constants';
import { normalizePlace } from '../contract/normalize';
import { buildEventRow, type EventInput } from './payload';
import { cleanUserAgent, hidesContactData, isContactDataReference, scrubFreeText, scrubPageUrl } from './contactData';
import { isTtclid, isTtp } from '../contract/privacy';
import type { TikTokContent, TikTokEventRow, TikTokPage, TikTokProperties, TikTokUser } from './types';

/**
 * The one step between what reaches the sidecar and what it stores and sends,
 * for browser events and the server's own (Purchases, CRM stages, offline
 * sales) alike: page addresses of the shop's own origins without secrets, free
 * text without contact data, references that carry none, attribution ids only
 * in TikTok's shapes, a user agent that is only a browser's name. A value that
 * fails is dropped, not the event: the shopper's action still happened.
 */

// Each scrubbed object is a copy whose existing keys are overwritten: V8 falls off a
// cliff (microseconds per object) when a spread copy gains keys the original lacks.

function scrubUser(user: TikTokUser): TikTokUser {
  const out = { ...user };
  if (out.ttclid !== undefined && !isTtclid(out.ttclid)) out.ttclid = undefined;
  if (out.ttp !== undefined && !isTtp(out.ttp)) out.ttp = undefined;
  if (out.user_agent !== undefined) out.user_agent = cleanUserAgent(out.user_agent);
  if (out.ip !== undefined && !isIP(out.ip)) out.ip = undefined;
  if (out.locale !== undefined && !LOCALE.test(out.locale)) out.locale = undefined;
  // Plain text travels to TikTok as it is: only its normalized form, never free text,
  // and nothing of a value that held an address or a number (normalized, no longer recognizable).
  for (const key of NAME_ADDRESS_PLAIN_KEYS) {
    const place = out[key];
    if (place !== undefined) out[key] = hidesContactData(place) ? undefined : normalizePlace(place);
  }
  return out;
}

/**
 * The keys of a person the website shares: under `contact` (the default), the
 * name and address keys are dropped whoever sent them (a cached page rendered
 * before the merchant changed the setting, a forged relay request).
 */
export function sharedUser(user: TikTokUser | undefined, level: MatchLevel): TikTokUser | undefined {
  if (user === undefined || level === 'contact_name_address') return user;
  const out = { ...user };
  for (const key of NAME_ADDRESS_KEYS) if (out[key] !== undefined) out[key] = undefined;
  return out;
}

/** A content whose id is contact data is no product of the catalog: it is dropped, its text redacted otherwise. */
function scrubContent(content: TikTokContent): TikTokContent | undefined {
  if (isContactDataReference(content.content_id)) return undefined;
  const out = { ...content };
  if (out.content_name !== undefined) out.content_name = scrubFreeText(out.content_name);
  if (out.content_category !== undefined) out.content_category = scrubFreeText(out.content_category);
  if (out.brand !== undefined) out.brand = scrubFreeText(out.brand);
  return out;
}

function scrubProperties(properties: TikTokProperties): TikTokProperties {
  const out = { ...properties };
  if (out.contents !== undefined) out.contents = out.contents.map(scrubContent).filter((c) => c !== undefined);
  if (out.query !== undefined) out.query = scrubFreeText(out.query);
  if (out.description !== undefined) out.description = scrubFreeText(out.description);
  // References, not text: one that carries contact data is dropped rather than mangled,
  // and one made of digits (`Boutique 2 - 000005`) is kept.
  if (out.order_id !== undefined && isContactDataReference(out.order_id)) out.order_id = undefined;
  if (out.shop_id !== undefined && isContactDataReference(out.shop_id)) out.shop_id = undefined;
  return out;
}

/** With `origins`, an address outside them (a referrer from a search engine, a forged page) is dropped. */
function scrubPage(page: TikTokPage, origins: readonly string[] | undefined): TikTokPage {
  const out = { ...page };
  if (out.url !== undefined) out.url = scrubPageUrl(out.url, origins);
  if (out.referrer !== undefined) out.referrer = scrubPageUrl(out.referrer, origins);
  return out;
}

export function scrubEventInput(input: EventInput, origins?: readonly string[]): EventInput {
  const out = { ...input };
  if (out.user !== undefined) out.user = scrubUser(out.user);
  if (out.properties !== undefined) out.properties = scrubProperties(out.properties);
  if (out.page !== undefined) out.page = scrubPage(out.page, origins);
  return out;
}

/** The `data[]` row of an event as it may leave the shop (empty values removed, as `buildEventRow` does). */
export function buildScrubbedEventRow(input: EventInput, origins?: readonly string[]): TikTokEventRow {
  return buildEventRow(scrubEventInput(input, origins));
}
