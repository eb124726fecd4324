/**
 * What happened to events during one report interval, in memory: counts per
 * pixel and event name, delivery latencies, match-key coverage, and TikTok's
 * answers to test events. Two intervals add up (a report that failed is folded
 * into the next one). No I/O.
 */
import { MATCH_KEYS, noCounts, REPORT_COUNTER_KEYS, type CounterKey, type EventCounts, type MatchKey, type ReportTestEvent } from '../contract/report';
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

/** What a settled row brings to the counts: its lane's pixel, TikTok's event name, and for a delivery its age and JSON text. */

export class Interval {
  /** pixel → event name → counts: two lookups per counted event. */
  readonly events = new Map<string, Map<string, EventCounts>>();
  readonly latency = new LatencyHistogram();
  readonly matchKeys: MatchKeyCounts = noMatchKeys();
  readonly testEvents: ReportTestEvent[] = [];

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
  }
}
