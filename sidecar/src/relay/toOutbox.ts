import type { NewOutboxEvent } from '../outbox/eventQueue';
import type { WebsiteSettings } from '../settings/types';
import { BROWSER_EVENTS, isCanonicalEvent, serverEventName, type CanonicalEvent } from '../contract/eventNames';
import { MAX_FUTURE_SKEW_SECONDS } from '../contract/formats';
import { checkRelayedRow, type CheckedOutboxEvent } from '../outbox/rowGate';
import { websiteOutboxEvent } from '../outbox/websiteRow';
import type { RelayEvent } from '../contract/relay';
import type { TikTokUser } from '../tiktok/types';

export interface RequestContext {
  ip?: string;
  userAgent?: string;
  nowSeconds: number;
  /** The request carried `Sec-GPC: 1`: the visitor's browser asks not to be sold or shared. */
  gpc?: boolean;
}

/** Ceilings above which an amount is a forgery or a unit error, not a shopper's cart. */
export interface PlausibilityLimits {
  value: number;
  price: number;
  quantity: number;
}

export interface RelayRules {
  limits: PlausibilityLimits;
  /** Origins accepted for every pixel, on top of each website's own domains. */
  extraOrigins: readonly string[];
}

/** A request or event the relay turns down: the HTTP status, the `error` metrics count it by, and words for the sender. */
export type RelayRefusal = { kind: 'refuse'; status: number; error: string; detail: string; retryAfterSeconds?: number };

export const refuse = (status: number, error: string, detail: string, retryAfterSeconds?: number): RelayRefusal => ({ kind: 'refuse', status, error, detail, retryAfterSeconds });

export type RelayDecision = { kind: 'store'; event: CheckedOutboxEvent } | { kind: 'skip'; reason: 'no_consent' | 'gpc' } | RelayRefusal;

/** Browser clocks drift; beyond this the server's receive time is used instead. */
const MAX_CLIENT_CLOCK_AGE_SECONDS = 3600;

export function pickEventTime(clientTime: number | undefined, nowSeconds: number): number {
  if (clientTime === undefined) return nowSeconds;
  const tooOld = nowSeconds - clientTime > MAX_CLIENT_CLOCK_AGE_SECONDS;
  const inFuture = clientTime - nowSeconds > MAX_FUTURE_SKEW_SECONDS;
  return tooOld || inFuture ? nowSeconds : clientTime;
}

/** The first amount above its ceiling, in words that name the field and the limit; undefined when all are plausible. */
export function implausibleAmount(properties: RelayEvent['properties'], limits: PlausibilityLimits): string | undefined {
  if (!properties) return undefined;
  const over = (field: string, amount: number | undefined, limit: number) =>
    amount !== undefined && amount > limit ? `${field} ${amount} is above the limit of ${limit}` : undefined;
  const contents = properties.contents ?? [];
  return (
    over('properties.value', properties.value, limits.value) ??
    contents.map((c, i) => over(`properties.contents[${i}].price`, c.price, limits.price)).find(Boolean) ??
    contents.map((c, i) => over(`properties.contents[${i}].quantity`, c.quantity, limits.quantity)).find(Boolean)
  );
}

function hasConsent(event: RelayEvent, settings: WebsiteSettings): boolean {
  if (event.consent === 'denied') return false;
  return !settings.consentRequired || event.consent === 'granted';
}

/** Decide what happens to one relayed event: the pure heart of the relay endpoint. */
export function decideRelayEvent(event: RelayEvent, settings: WebsiteSettings | undefined, ctx: RequestContext, rules: RelayRules): RelayDecision {
  if (!settings) return refuse(400, 'unknown_pixel', `pixel ${event.pixel_id} is not configured on this sidecar`);
  if (!settings.enabled) return refuse(403, 'pixel_disabled', `tracking is disabled for pixel ${event.pixel_id}`);
  if (!isCanonicalEvent(event.event) || !BROWSER_EVENTS.includes(event.event)) {
    const detail =
      event.event === 'Purchase' || event.event === 'CompletePayment'
        ? 'Purchase is sent by the server from confirmed payments, never from a browser'
        : `"${event.event}" is not an event a browser may relay (allowed: ${BROWSER_EVENTS.join(', ')})`;
    return refuse(400, 'event_not_allowed', detail);
  }
  const implausible = implausibleAmount(event.properties, rules.limits);
  if (implausible) return refuse(400, 'implausible_amount', implausible);
  if (!hasConsent(event, settings)) return { kind: 'skip', reason: 'no_consent' };
  // The header, never the body: a page cannot say its visitor's browser did not send it.
  if (ctx.gpc && settings.gpc === 'refuse') return { kind: 'skip', reason: 'gpc' };

  // The outbox's gate for a relayed row: what only the built row shows, its formats having been
  // checked once, by the relay's contract (outbox/rowGate.ts).
  const checked = checkRelayedRow(relayedOutboxEvent(event, settings, ctx, rules));
  if (checked.kind === 'refused') return refuse(400, 'invalid_event', checked.reasons.join('; '));
  return { kind: 'store', event: checked.event };
}

/**
 * The event's user with the request's address and browser. Copied by Object.assign, then
 * set: a spread copy of the contract's object that gains keys its original lacks (spread
 * with them, or set after) takes V8's slow path, about 3 µs an event against 0.05 µs.
 */
function withRequestContext(user: RelayEvent['user'], ctx: RequestContext): TikTokUser {
  const out: TikTokUser = Object.assign({}, user);
  out.ip = ctx.ip;
  out.user_agent = ctx.userAgent;
  return out;
}

/** The outbox event of a relayed event of `settings`' website: its TikTok name, time, the request's ip and user agent, scrubbed. */
export function relayedOutboxEvent(event: RelayEvent, settings: WebsiteSettings, ctx: RequestContext, rules: RelayRules): NewOutboxEvent {
  // A page or referrer outside the website's origins is dropped, not refused: the Origin header
  // already showed the request comes from the shop, and refusing would lose the whole batch
  // over a claim nobody can verify.
  return websiteOutboxEvent(
    {
      event: serverEventName(event.event as CanonicalEvent, settings.eventNames),
      eventId: event.event_id,
      eventTime: pickEventTime(event.event_time, ctx.nowSeconds),
      user: withRequestContext(event.user, ctx),
      properties: event.properties,
      page: event.page,
    },
    settings,
    { laneId: settings.pixelId, source: 'browser', testEventCode: settings.testEventCode, origins: [...settings.domains, ...rules.extraOrigins], pixel: event.pixel, gpc: ctx.gpc },
  );
}
