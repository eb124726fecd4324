/**
 * What happened to events during one report interval, in memory: counts per
 * pixel and event name, delivery latencies, match-key coverage, the content ids
 * delivered, and TikTok's answers to test events. Two intervals add up (a
 * report that failed is folded into the next one). No I/O.
 */
import type { ContentType } from '../contract/content';
import {
  isReportableContentId,
  MATCH_KEYS,
  noCounts,
  REPORT_CONTENT_EVENTS,
  REPORT_COUNTER_KEYS,
  REPORT_LIMITS,
  type CounterKey,
  type EventCounts,
  type MatchKey,
  type ReportContentEvent,
  type ReportTestEvent,
} from '../contract/report';
import type { PixelState } from '../contract/relay';
import type { TikTokContent, TikTokEventRow, TikTokPage, TikTokProperties } from '../tiktok/types';
import { LatencyHistogram } from './latency';
import type { SettledRow } from '../dispatcher/dispatcher';

export type { EventCounts };

export type Outcome = 'accepted' | 'delivered' | 'retried' | 'dead';

/** The count an accepted event adds to by what its page said of the pixel. */
const PIXEL_COUNT: Record<PixelState, CounterKey> = { loaded: 'pixel_loaded', blocked: 'pixel_blocked', withheld: 'pixel_withheld' };

export type MatchKeyCounts = { delivered: number } & Record<MatchKey, number>;

const noMatchKeys = (): MatchKeyCounts => ({ delivered: 0, ...(Object.fromEntries(MATCH_KEYS.map((k) => [k, 0])) as Record<MatchKey, number>) });

/**
 * Match keys are counted in the stored JSON text of a delivered row, without
 * parsing it: `"email":` can only be an object key in JSON text (a quote inside
 * a string value is escaped, so `email"` never appears in one), the row's keys
 * are the serializer's own, never a sender's, and empty values are stripped
 * before a row is stored. What remains is that no object of a row other than
 * `user` may have a key named like a match key, nor `user`: checked here at
 * compile time.
 */
type NestedKeys = keyof TikTokProperties | keyof TikTokContent | keyof TikTokPage;
type ClashingNestedKeys = Extract<NestedKeys, MatchKey | 'user'>;
type ClashingTopKeys = Extract<Exclude<keyof TikTokEventRow, 'user'>, MatchKey>;
const MATCH_KEYS_ONLY_IN_USER: [ClashingNestedKeys, ClashingTopKeys] extends [never, never] ? true : never = true;
void MATCH_KEYS_ONLY_IN_USER;

const USER_OBJECT = '"user":{';
const MATCH_KEY_NEEDLES = MATCH_KEYS.map((k) => `"${k}":`);

const WITH_KEYS = MATCH_KEYS.map((k) => `with_${k}` as const);

/**
 * Count one delivered row's match keys (its `user` keys) from its stored JSON
 * text: into the interval's coverage and, when given, its event's `with_<key>`
 * counts (the event's `delivered` is counted by the caller).
 */
export function countMatchKeys(rowJson: string, into: MatchKeyCounts, event?: EventCounts): void {
  into.delivered += 1;
  const user = rowJson.indexOf(USER_OBJECT);
  if (user === -1) return;
  const from = user + USER_OBJECT.length;
  for (let i = 0; i < MATCH_KEYS.length; i++) {
    if (rowJson.indexOf(MATCH_KEY_NEEDLES[i], from) === -1) continue;
    into[MATCH_KEYS[i]] += 1;
    if (event) event[WITH_KEYS[i]] += 1;
  }
}

/** One pixel's count of one content id in one event name's deliveries. */
export interface ContentCount {
  pixelId: string;
  event: ReportContentEvent;
  content_type: ContentType;
  content_id: string;
  count: number;
}

const CONTENT_EVENTS: ReadonlySet<string> = new Set(REPORT_CONTENT_EVENTS);
/** How a row's stored JSON text opens its `contents` list (`JSON.stringify` writes no spaces): a row without it is not parsed. */
const CONTENTS_LIST = '"contents":[';

/**
 * The content ids delivered in an interval, per pixel, event name, content
 * type and id, at most `REPORT_LIMITS.maxContents` of them whatever a flood of
 * forged ids sends: an id new when they are full, or one the report may not
 * carry, only adds to `unrecorded`. Keyed by pixel (the interval does not know
 * websites): pixels of one website add up in the report, which so never holds more.
 */
export class ContentCounts {
  readonly entries = new Map<string, ContentCount>();
  unrecorded = 0;

  add(pixelId: string, event: ReportContentEvent, content_type: ContentType, content_id: string, n = 1): void {
    // Unambiguous: the event and the type come from fixed lists, and a reportable id has no control character.
    const key = `${pixelId}\u0000${event}\u0000${content_type}\u0000${content_id}`;
    const entry = this.entries.get(key);
    if (entry) entry.count += n;
    else if (this.entries.size < REPORT_LIMITS.maxContents) this.entries.set(key, { pixelId, event, content_type, content_id, count: n });
    else this.unrecorded += n;
  }

  addAll(other: ContentCounts): void {
    for (const e of other.entries.values()) this.add(e.pixelId, e.event, e.content_type, e.content_id, e.count);
    this.unrecorded += other.unrecorded;
  }

  /**
   * Count one delivered row's content ids: each distinct (type, id) of its
   * `properties.contents` once. Only rows of the counted events with a
   * `contents` list are parsed; every other delivery costs a set lookup.
   */
  countRow(row: SettledRow): void {
    if (!CONTENT_EVENTS.has(row.event)) return;
    if (!row.payload.includes(CONTENTS_LIST)) return;
    const event = row.event as ReportContentEvent;
    const contents = contentsOf(row.payload);
    const seen = new Set<string>();
    for (const content of contents) {
      // TikTok's own default: an entry without a (known) type is a product.
      const type: ContentType = content?.content_type === 'product_group' ? 'product_group' : 'product';
      const id: unknown = content?.content_id;
      if (typeof id === 'string') {
        const distinct = `${type}\u0000${id}`;
        if (seen.has(distinct)) continue;
        seen.add(distinct);
      }
      if (isReportableContentId(id)) this.add(row.pixelId, event, type, id);
      else this.unrecorded += 1;
    }
  }
}

/** One entry of a stored row's contents, read as the unknown it may be. */
type StoredContent = Partial<Record<'content_type' | 'content_id', unknown>> | null | undefined;

/**
 * A stored row's `properties.contents`; [] when unreadable (a row the sidecar
 * did not write: an outbox edited by hand counts nothing).
 */
function contentsOf(payload: string): readonly StoredContent[] {
  try {
    const contents = (JSON.parse(payload) as { properties?: { contents?: unknown } } | null)?.properties?.contents;
    return Array.isArray(contents) ? (contents as StoredContent[]) : [];
  } catch {
    return [];
  }
}

export class Interval {
  /** pixel → event name → counts: two lookups per counted event. */
  readonly events = new Map<string, Map<string, EventCounts>>();
  readonly latency = new LatencyHistogram();
  readonly matchKeys: MatchKeyCounts = noMatchKeys();
  readonly testEvents: ReportTestEvent[] = [];
  readonly contents = new ContentCounts();

  countsOf(pixelId: string, event: string): EventCounts {
    let byEvent = this.events.get(pixelId);
    if (!byEvent) {
      byEvent = new Map();
      this.events.set(pixelId, byEvent);
    }
    let counts = byEvent.get(event);
    if (!counts) {
      counts = noCounts();
      byEvent.set(event, counts);
    }
    return counts;
  }

  count(pixelId: string, event: string, outcome: Outcome, n = 1): void {
    this.countsOf(pixelId, event)[outcome] += n;
  }

  /** A newly stored event, counted also by what its page said of the pixel (`pixel`, absent: it did not say). */
  accepted(pixelId: string, event: string, pixel: PixelState | undefined): void {
    const counts = this.countsOf(pixelId, event);
    counts.accepted += 1;
    if (pixel) counts[PIXEL_COUNT[pixel]] += 1;
  }

  delivered(row: SettledRow, now: number): void {
    const counts = this.countsOf(row.pixelId, row.event);
    counts.delivered += 1;
    this.latency.record(now - row.createdAt);
    countMatchKeys(row.payload, this.matchKeys, counts);
    this.contents.countRow(row);
  }

  /** Add `other` into this interval. */
  add(other: Interval): void {
    for (const [pixelId, byEvent] of other.events) {
      for (const [event, counts] of byEvent) {
        const mine = this.countsOf(pixelId, event);
        for (const key of REPORT_COUNTER_KEYS) mine[key] += counts[key];
      }
    }
    this.latency.add(other.latency);
    this.matchKeys.delivered += other.matchKeys.delivered;
    for (const key of MATCH_KEYS) this.matchKeys[key] += other.matchKeys[key];
    this.testEvents.push(...other.testEvents);
    this.contents.addAll(other.contents);
  }
}
