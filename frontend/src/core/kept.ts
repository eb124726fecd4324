import { keysStartingWith, readText, writeJson, STORAGE_PREFIX, type KeyValueStore } from './storage';
import { RELAY_MAX_BATCH_BYTES, type RelayEvent } from './relay';

/**
 * The write-ahead store of relay events: every relay event is kept here
 * before it is sent, and dropped only once the relay's answer was read
 * (accepted, or refused for good). What is still kept leaves with the next
 * page of the shop, from its inline head code or its bundle, with its own
 * event id: the sidecar's outbox absorbs a copy that did arrive. Events
 * waiting for the visitor's consent wait here too.
 *
 * localStorage, one key per event (`tiktok_events.kept.<pixel>.<event id>`):
 * shared by the shop's tabs and kept when a tab is closed; adding or dropping
 * one event never rewrites another tab's. The inline head code
 * (views/website_templates.xml) reads and writes the same keys and entries.
 *
 * Bounded: an hour (after that the relay would date the event at its
 * arrival), the newest KEPT_LIMIT events per pixel, KEPT_MAX_CHARS an event
 * (what a relay request can carry). Anything under the prefix that is not a
 * well-formed entry of its key (another script's write, a broken value) is
 * removed, never sent.
 */
export const KEPT_PREFIX = STORAGE_PREFIX + 'kept.';
export const KEPT_LIMIT = 100;
export const KEPT_MAX_AGE_SECONDS = 3600;
export const KEPT_MAX_CHARS = RELAY_MAX_BATCH_BYTES;

/** One kept event, and whose page made it: the logged-in customer's external id, '' for a visitor. */
export interface KeptEntry {
  owner: string;
  event: RelayEvent;
}

export function keptKey(pixelId: string, eventId: string): string {
  return `${KEPT_PREFIX}${pixelId}.${eventId}`;
}

/**
 * The entry stored under `key` when it is one: at most KEPT_MAX_CHARS, fresh,
 * of the pixel and event id its key names.
 */
function readEntry(store: KeyValueStore | undefined, key: string, nowMs: number): KeptEntry | undefined {
  const raw = readText(store, key);
  try {
    const entry = JSON.parse(raw) as KeptEntry;
    const event = entry.event;
    const valid =
      raw.length <= KEPT_MAX_CHARS &&
      typeof entry.owner === 'string' &&
      typeof event.event === 'string' &&
      key === keptKey(event.pixel_id, event.event_id) &&
      Math.abs(nowMs / 1000 - (event.event_time ?? 0)) < KEPT_MAX_AGE_SECONDS;
    return valid ? entry : undefined;
  } catch {
    return undefined;
  }
}

/** The kept events of one pixel, as seen from the page of `owner`. */
export class KeptEvents {
  constructor(
    private readonly store: KeyValueStore | undefined,
    private readonly pixelId: string,
    private readonly owner: string,
  ) {}

  keep(events: RelayEvent[], nowMs: number): void {
    for (const event of events) writeJson(this.store, keptKey(this.pixelId, event.event_id), { owner: this.owner, event } satisfies KeptEntry);
    this.entries(nowMs);
  }

  drop(eventIds: string[]): void {
    for (const id of eventIds) writeJson(this.store, keptKey(this.pixelId, id), undefined);
  }

  /**
   * Everything kept, oldest first. An event made on another person's page (a
   * customer who logged out, then another logged in) leaves without that
   * person's keys: it keeps only the browser's own ids, and is stored again
   * that way at once.
   */
  list(nowMs: number): RelayEvent[] {
    return this.entries(nowMs).map(({ key, entry }) => {
      if (entry.owner === this.owner) return entry.event;
      const { user } = entry.event;
      // the browser's own ids only (JSON leaves the undefined ones out)
      const event = { ...entry.event, user: { ttclid: user?.ttclid, ttp: user?.ttp, locale: user?.locale } };
      writeJson(this.store, key, { owner: this.owner, event } satisfies KeptEntry);
      return event;
    });
  }

  /**
   * The kept entries of the pixel, oldest first, the newest KEPT_LIMIT;
   * removes the older ones and whatever is not a valid entry (of any pixel).
   */
  private entries(nowMs: number): Array<{ key: string; entry: KeptEntry }> {
    const ours: Array<{ key: string; entry: KeptEntry }> = [];
    for (const key of keysStartingWith(this.store, KEPT_PREFIX)) {
      const entry = readEntry(this.store, key, nowMs);
      if (!entry) writeJson(this.store, key, undefined);
      else if (entry.event.pixel_id === this.pixelId) ours.push({ key, entry });
    }
    ours.sort((a, b) => (a.entry.event.event_time ?? 0) - (b.entry.event.event_time ?? 0));
    const beyond = Math.max(0, ours.length - KEPT_LIMIT);
    for (const { key } of ours.slice(0, beyond)) writeJson(this.store, key, undefined);
    return ours.slice(beyond);
  }
}
