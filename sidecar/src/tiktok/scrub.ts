import { buildEventRow, type EventInput } from './payload';
import { cleanPageUrl, cleanUserAgent, containsContactData, isTtclid, isTtp, redactContactData } from './privacy';
import type { TikTokContent, TikTokEventRow, TikTokPage, TikTokProperties, TikTokUser } from './types';

/**
 * The one step between what reaches the sidecar and what it stores and sends,
 * for browser events and server Purchases alike: page addresses of the shop's
 * own origins without secrets, free text without contact data, attribution ids
 * only in TikTok's shapes, a user agent that is only a browser's name. A value
 * that fails is dropped, not the event: the shopper's action still happened.
 */

const redact = (text: string | undefined) => (text === undefined ? undefined : redactContactData(text));

function scrubUser(user: TikTokUser): TikTokUser {
  return {
    ...user,
    ttclid: isTtclid(user.ttclid) ? user.ttclid : undefined,
    ttp: isTtp(user.ttp) ? user.ttp : undefined,
    user_agent: cleanUserAgent(user.user_agent),
  };
}

function scrubContent(content: TikTokContent): TikTokContent {
  return {
    ...content,
    content_name: redact(content.content_name),
    content_category: redact(content.content_category),
    brand: redact(content.brand),
  };
}

function scrubProperties(properties: TikTokProperties): TikTokProperties {
  return {
    ...properties,
    contents: properties.contents?.map(scrubContent),
    query: redact(properties.query),
    description: redact(properties.description),
    // A reference, not text: one that looks like contact data is dropped rather than mangled.
    order_id: properties.order_id !== undefined && containsContactData(properties.order_id) ? undefined : properties.order_id,
  };
}

/** With `origins`, an address outside them (a referrer from a search engine, a forged page) is dropped. */
function scrubPage(page: TikTokPage, origins: readonly string[] | undefined): TikTokPage {
  return { url: cleanPageUrl(page.url, origins), referrer: cleanPageUrl(page.referrer, origins) };
}

export function scrubEventInput(input: EventInput, origins?: readonly string[]): EventInput {
  return {
    ...input,
    user: input.user && scrubUser(input.user),
    properties: input.properties && scrubProperties(input.properties),
    page: input.page && scrubPage(input.page, origins),
  };
}

/** The `data[]` row of an event as it may leave the shop (empty values removed, as `buildEventRow` does). */
export function buildScrubbedEventRow(input: EventInput, origins?: readonly string[]): TikTokEventRow {
  return buildEventRow(scrubEventInput(input, origins));
}
