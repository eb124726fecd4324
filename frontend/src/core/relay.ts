import { RELAY_MAX_EVENTS_PER_REQUEST } from '@contract/constants';
import type { RelayEventInput } from '@contract/relay';
import type { CanonicalEvent } from './eventNames';
import type { RelayConsent } from './consent';

/**
 * One event as the bundle relays it: the relay's schema (docs/CONTRACTS.md §4,
 * `sidecar/src/contract/relay.ts`), with a canonical name and a consent always said.
 */
export type RelayEvent = RelayEventInput & { event: CanonicalEvent; consent: RelayConsent };

/**
 * The relay's answer as read: `accepted` only when a 2xx answer gave its
 * counts (the outbox stored or already held every event); `refused`: refused
 * for good (a 4xx other than 408 and 429 would be refused again); `failed`:
 * not known to be delivered, worth another try (network error, a sidecar down
 * or busy: 5xx, 408, 429, or an answer that is not the relay's).
 */
export type RelayOutcome =
  | { status: 'accepted'; accepted: number; skipped?: number }
  | { status: 'refused'; httpStatus: number; error: string }
  | { status: 'failed'; error: string };

export interface RelayTransport {
  send(events: RelayEvent[]): Promise<RelayOutcome>;
}

/**
 * The most one relay request carries, in UTF-8 bytes: below the relay's
 * default body limit (RELAY_MAX_BODY_BYTES, 64 KiB) and below the 64 KiB a
 * page may have in flight in `keepalive` requests (Chromium's budget, shared
 * by all of them), so that a request of a page being left still goes.
 */
export const RELAY_MAX_BATCH_BYTES = 48 * 1024;

const bytesOf = (text: string) => new TextEncoder().encode(text).length;

/** Splits a queue into relay-sized requests: at most RELAY_MAX_EVENTS_PER_REQUEST events and RELAY_MAX_BATCH_BYTES each. */
export function relayBatches<T>(events: T[], maxBytes = RELAY_MAX_BATCH_BYTES): T[][] {
  const batches: T[][] = [];
  let bytes = Infinity;
  for (const event of events) {
    const size = bytesOf(JSON.stringify(event)) + 1;
    if (bytes + size > maxBytes || batches[batches.length - 1].length >= RELAY_MAX_EVENTS_PER_REQUEST) {
      batches.push([]);
      bytes = 1;
    }
    batches[batches.length - 1].push(event);
    bytes += size;
  }
  return batches;
}

/**
 * `fetch` with keepalive, which a navigation does not cancel, and no
 * credentials (the shop's session cookie is none of the relay's business).
 * The answer is read while the page lives; a page that is gone reads
 * nothing, and what it sent stays kept for the next page (./kept.ts). A
 * string body goes as `text/plain`, which keeps the request "simple": a relay
 * on another origin needs no CORS preflight. No `sendBeacon`: it would carry
 * the shop's cookies and its "sent" says nothing of the relay's answer.
 */
export function createRelayTransport(url: string, fetchImpl: typeof fetch | undefined): RelayTransport {
  return {
    async send(events) {
      const body = JSON.stringify(events);
      try {
        // without fetch, the TypeError below is the failure (kept)
        const response = await fetchImpl!(url, { method: 'POST', body, keepalive: bytesOf(body) <= 64 * 1024, credentials: 'omit' });
        const answer = (await response.json().catch(() => ({}))) as { accepted?: unknown; skipped?: number; error?: string };
        const { status } = response;
        if (response.ok && typeof answer.accepted === 'number') return { status: 'accepted', accepted: answer.accepted, skipped: answer.skipped };
        const error = `${status} ${answer.error ?? ''}`.trim();
        // a 2xx without the relay's counts (a proxy's page) proves nothing: kept
        if (response.ok || status >= 500 || status === 408 || status === 429 || status < 400) return { status: 'failed', error };
        return { status: 'refused', httpStatus: status, error };
      } catch (err) {
        return { status: 'failed', error: String(err) };
      }
    },
  };
}
