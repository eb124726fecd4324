import { RELAY_MAX_EVENTS_PER_REQUEST } from '../../../sidecar/src/contract/constants';
import type { RelayEventInput } from '../../../sidecar/src/contract/relay';
import type { CanonicalEvent } from './eventNames';
import type { RelayConsent } from './consent';

/**
 * One event as the bundle relays it: the relay's schema (docs/CONTRACTS.md §4,
 * `sidecar/src/contract/relay.ts`), with a canonical name and a consent always said.
 */
export type RelayEvent = RelayEventInput & { event: CanonicalEvent; consent: RelayConsent };

/**
 * `failed`: not delivered, worth another try (network error, a beacon the
 * browser refused, a sidecar down or busy: 5xx, 408, 429); `refused`: refused
 * for good (any other 4xx would be refused again).
 */
export type RelayOutcome =
  | { status: 'accepted'; accepted: number; skipped?: number }
  | { status: 'refused'; httpStatus: number; error?: string }
  | { status: 'sent' } // handed to sendBeacon: the browser delivers it, nobody reads the answer
  | { status: 'failed'; error: string };

export interface RelayTransport {
  /** `leaving`: the page is going away (pagehide, hidden); only a beacon outlives it. */
  send(events: RelayEvent[], leaving?: boolean): Promise<RelayOutcome>;
}

export interface RelayEnv {
  sendBeacon?: (url: string, data: string) => boolean;
  fetch?: typeof fetch;
}

/** Splits a queue into relay-sized requests. */
export function relayBatches<T>(events: T[], size = RELAY_MAX_EVENTS_PER_REQUEST): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < events.length; i += size) batches.push(events.slice(i, i + size));
  return batches;
}

/**
 * While the page lives, `fetch` with keepalive (a navigation does not cancel
 * it): its answer tells a sidecar that is down or busy, whose events are kept
 * and sent again, from a refusal for good. A page being left uses sendBeacon,
 * the one request a browser still delivers after the page is gone; its answer
 * cannot be read, and a beacon the browser refuses is a failure (kept).
 * A string body goes as `text/plain`, which keeps both requests "simple": a
 * relay on another origin needs no CORS preflight.
 */
export function createRelayTransport(url: string, env: RelayEnv): RelayTransport {
  return {
    async send(events, leaving = false) {
      const body = JSON.stringify(events);
      try {
        if (env.sendBeacon && (leaving || !env.fetch)) {
          return env.sendBeacon(url, body) ? { status: 'sent' } : { status: 'failed', error: 'beacon refused' };
        }
        // without fetch either, the TypeError below is the failure (kept)
        // credentials omitted: the shop's session cookie is none of the relay's business
        const response = await env.fetch!(url, { method: 'POST', body, keepalive: true, credentials: 'omit' });
        const answer = (await response.json().catch(() => ({}))) as { accepted?: number; skipped?: number; error?: string };
        const { status } = response;
        if (response.ok) return { status: 'accepted', accepted: answer.accepted ?? 0, skipped: answer.skipped };
        if (status >= 500 || status === 408 || status === 429) return { status: 'failed', error: `${status} ${answer.error ?? ''}`.trim() };
        return { status: 'refused', httpStatus: status, error: answer.error };
      } catch (err) {
        return { status: 'failed', error: String(err) };
      }
    },
  };
}
