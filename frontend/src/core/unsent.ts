import type { RelayEvent } from './relay';
import { readJson, writeJson, STORAGE_PREFIX, type KeyValueStore } from './storage';

/**
 * Relays that have not reached the sidecar yet, kept in sessionStorage for a
 * later moment of the visit: those waiting for the visitor's consent (Odoo's
 * cookie bar), and those the sidecar did not accept (down for a deploy, busy,
 * unreachable). They leave with their own event ids, so the sidecar's outbox
 * absorbs a copy that did arrive after all. Bounded: a sidecar is back within
 * minutes, and a visitor who never answers the cookie bar should not grow
 * storage forever.
 */
const UNSENT_KEY = STORAGE_PREFIX + 'unsent';
export const UNSENT_LIMIT = 50;
export const UNSENT_MAX_AGE_SECONDS = 3600;

function fresh(events: RelayEvent[], nowMs: number): RelayEvent[] {
  return events.filter((e) => (e.event_time ?? 0) > nowMs / 1000 - UNSENT_MAX_AGE_SECONDS);
}

/** Adds events (one copy per event id, the newest last), dropping the oldest beyond the bounds. */
export function keepUnsent(store: KeyValueStore | undefined, events: RelayEvent[], nowMs: number): void {
  const ids = new Set(events.map((e) => e.event_id));
  const kept = (readJson<RelayEvent[]>(store, UNSENT_KEY) ?? []).filter((e) => !ids.has(e.event_id));
  writeJson(store, UNSENT_KEY, fresh(kept.concat(events), nowMs).slice(-UNSENT_LIMIT));
}

/** Everything kept and still fresh; the store is emptied (what fails again is kept again). */
export function takeUnsent(store: KeyValueStore | undefined, nowMs: number): RelayEvent[] {
  const kept = readJson<RelayEvent[]>(store, UNSENT_KEY) ?? [];
  writeJson(store, UNSENT_KEY, undefined);
  return fresh(kept, nowMs);
}
