import type { CanonicalEvent } from './eventNames';
import type { RelayConsent } from './consent';

/** One event as the sidecar's relay accepts it (docs/CONTRACTS.md §4). */
export interface RelayEvent {
  pixel_id: string;
  event: CanonicalEvent;
  event_id: string;
  event_time?: number;
  consent: RelayConsent;
  page?: { url?: string; referrer?: string };
  user?: { email?: string; phone?: string; external_id?: string; ttclid?: string; ttp?: string; locale?: string };
  properties?: Record<string, unknown>;
}

/** The relay accepts at most this many events per request. */
export const RELAY_BATCH_LIMIT = 20;

export type RelayOutcome =
  | { status: 'accepted'; accepted: number; skipped?: number }
  | { status: 'refused'; httpStatus: number; error?: string }
  | { status: 'sent' } // handed to sendBeacon: the browser delivers it, nobody reads the answer
  | { status: 'failed'; error: string };

export interface RelayTransport {
  send(events: RelayEvent[]): Promise<RelayOutcome>;
}

export interface RelayEnv {
  sendBeacon?: (url: string, data: Blob) => boolean;
  fetch?: typeof fetch;
}

/** Splits a queue into relay-sized requests. */
export function relayBatches<T>(events: T[], size = RELAY_BATCH_LIMIT): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < events.length; i += size) batches.push(events.slice(i, i + size));
  return batches;
}

/**
 * sendBeacon survives page unloads (a click that navigates away) and never
 * delays the page; its answer cannot be read. `text/plain` keeps the request
 * "simple", so a relay on another origin needs no CORS preflight. When the
 * answer matters (debug panel) or sendBeacon refuses, fetch with keepalive.
 */
export function createRelayTransport(url: string, env: RelayEnv, readAnswers: boolean): RelayTransport {
  return {
    async send(events) {
      if (!events.length) return { status: 'accepted', accepted: 0 };
      const body = JSON.stringify(events.length === 1 ? events[0] : events);
      if (!readAnswers && env.sendBeacon) {
        try {
          if (env.sendBeacon(url, new Blob([body], { type: 'text/plain' }))) return { status: 'sent' };
        } catch {
          /* fall through to fetch */
        }
      }
      if (!env.fetch) return { status: 'failed', error: 'no transport' };
      try {
        const response = await env.fetch(url, {
          method: 'POST',
          body,
          headers: { 'Content-Type': 'text/plain' },
          keepalive: true,
          credentials: 'omit',
        });
        const answer = (await response.json().catch(() => ({}))) as { accepted?: number; skipped?: number; error?: string };
        if (response.ok) return { status: 'accepted', accepted: answer.accepted ?? 0, skipped: answer.skipped };
        return { status: 'refused', httpStatus: response.status, error: answer.error };
      } catch (err) {
        return { status: 'failed', error: err instanceof Error ? err.message : String(err) };
      }
    },
  };
}
