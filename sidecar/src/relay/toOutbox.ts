import type { NewOutboxEvent } from '../outbox/store';
import type { WebsiteSettings } from '../settings/types';
import { BROWSER_EVENTS, isCanonicalEvent, serverEventName } from '../tiktok/eventNames';
import { buildEventRow } from '../tiktok/payload';
import { MAX_FUTURE_SKEW_SECONDS, validateEventRow } from '../tiktok/validate';
import type { RelayEvent } from './schema';

export interface RequestContext {
  ip?: string;
  userAgent?: string;
  nowSeconds: number;
}

export type RelayDecision =
  | { kind: 'store'; event: NewOutboxEvent }
  | { kind: 'skip'; reason: 'no_consent' }
  | { kind: 'refuse'; status: number; error: string; detail: string };

/** Browser clocks drift; beyond this the server's receive time is used instead. */
const MAX_CLIENT_CLOCK_AGE_SECONDS = 3600;

export function pickEventTime(clientTime: number | undefined, nowSeconds: number): number {
  if (clientTime === undefined) return nowSeconds;
  const tooOld = nowSeconds - clientTime > MAX_CLIENT_CLOCK_AGE_SECONDS;
  const inFuture = clientTime - nowSeconds > MAX_FUTURE_SKEW_SECONDS;
  return tooOld || inFuture ? nowSeconds : clientTime;
}

function hasConsent(event: RelayEvent, settings: WebsiteSettings): boolean {
  if (event.consent === 'denied') return false;
  return !settings.consentRequired || event.consent === 'granted';
}

/** Decide what happens to one relayed event: the pure heart of the relay endpoint. */
export function decideRelayEvent(event: RelayEvent, settings: WebsiteSettings | undefined, ctx: RequestContext): RelayDecision {
  if (!settings) return { kind: 'refuse', status: 400, error: 'unknown_pixel', detail: `pixel ${event.pixel_id} is not configured on this sidecar` };
  if (!settings.enabled) return { kind: 'refuse', status: 403, error: 'pixel_disabled', detail: `tracking is disabled for pixel ${event.pixel_id}` };
  if (!isCanonicalEvent(event.event) || !BROWSER_EVENTS.includes(event.event)) {
    const detail =
      event.event === 'Purchase' || event.event === 'CompletePayment'
        ? 'Purchase is sent by the server from confirmed payments, never from a browser'
        : `"${event.event}" is not an event a browser may relay (allowed: ${BROWSER_EVENTS.join(', ')})`;
    return { kind: 'refuse', status: 400, error: 'event_not_allowed', detail };
  }
  if (!hasConsent(event, settings)) return { kind: 'skip', reason: 'no_consent' };

  const row = buildEventRow({
    event: serverEventName(event.event, settings.eventNames),
    eventId: event.event_id,
    eventTime: pickEventTime(event.event_time, ctx.nowSeconds),
    user: { ...event.user, ip: ctx.ip, user_agent: ctx.userAgent },
    properties: event.properties,
    page: event.page,
  });
  const reasons = validateEventRow(row, { nowSeconds: ctx.nowSeconds });
  if (reasons.length > 0) return { kind: 'refuse', status: 400, error: 'invalid_event', detail: reasons.join('; ') };
  return {
    kind: 'store',
    event: {
      pixelId: settings.pixelId,
      event: row.event,
      eventId: row.event_id,
      testEventCode: settings.testEventCode,
      source: 'browser',
      row,
    },
  };
}
