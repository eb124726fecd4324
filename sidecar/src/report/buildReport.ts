/** The report of one interval, assembled from what the parts know. No I/O. */
import {
  noCounts,
  REPORT_COUNTER_KEYS,
  REPORT_DETAIL_KEYS,
  REPORT_LIMITS,
  REPORT_OUTCOME_KEYS,
  type EventCounts,
  type ReportContent,
  type ReportCounter,
  type ReportDeadLetter,
  type ReportLane,
  type SidecarReport,
} from '../contract/report';
import type { LaneState } from '../dispatcher/lanes';
import type { DeadLetter, OutboxState } from '../outbox/eventQueue';
import { isWebLane } from '../tiktok/lane';
import { unixSeconds } from '../tiktok/payload';
import type { Interval } from './interval';
import { reportMessage } from './testEvent';

export interface ReplicaInfo {
  replica: string;
  version: string;
  /** When this process started, epoch ms. */
  startedAt: number;
  /** This process's run id (random, made at start): Odoo refuses reports of an earlier run. */
  runId: string;
  /** How often it reports, seconds. */
  pollIntervalSeconds: number;
}

export interface ReportParts {
  /** The interval's sequence number: a report sent again after a lost answer keeps it. */
  seq: number;
  interval: Interval;
  /** The website owning a pixel now; undefined when the pixel is no longer configured. */
  websiteOf: (pixelId: string) => number | undefined;
  outbox: Record<OutboxState, number>;
  lanes: readonly LaneState[];
  deadLetters: readonly DeadLetter[];
}

/** Per website and event name, pixels of one website (or of none: 0) added up; in a stable order. */
export function reportCounters(interval: Interval, websiteOf: ReportParts['websiteOf']): Array<{ website_id: number; event: string } & EventCounts> {
  const byKey = new Map<string, { website_id: number; event: string } & EventCounts>();
  for (const [pixelId, byEvent] of interval.events) {
    const website_id = websiteOf(pixelId) ?? 0;
    for (const [event, counts] of byEvent) {
      const key = `${website_id}\u0000${event}`;
      const entry = byKey.get(key) ?? { website_id, event, ...noCounts() };
      for (const k of REPORT_COUNTER_KEYS) entry[k] += counts[k];
      byKey.set(key, entry);
    }
  }
  return [...byKey.values()].sort((a, b) => a.website_id - b.website_id || a.event.localeCompare(b.event));
}

/**
 * The JSON text the report's `contents` may take: a quarter of what Odoo reads
 * (`REPORT_LIMITS.maxRequestBytes`; the rest of a busy report is some 30 KB),
 * so that 2000 forged ids of 128 wide characters never make the whole report
 * too large and refused. 2000 ids of a usual length (`FURN_0096`) take 200 KB.
 */
export const CONTENTS_BUDGET_BYTES = REPORT_LIMITS.maxRequestBytes / 4;

/**
 * Per website, event name and content, pixels of one website (or of none: 0)
 * added up, each count at most what Odoo stores, in a stable order; never more
 * entries than the interval holds (`REPORT_LIMITS.maxContents`), nor more JSON
 * text than `CONTENTS_BUDGET_BYTES`: the most counted ids go, the others' counts
 * are `unrecorded`, with those the interval could not hold.
 */
export function reportContents(interval: Interval, websiteOf: ReportParts['websiteOf']): { contents: ReportContent[]; unrecorded: number } {
  const byKey = new Map<string, ReportContent>();
  for (const { pixelId, event, content_type, content_id, count } of interval.contents.entries.values()) {
    const website_id = websiteOf(pixelId) ?? 0;
    const key = `${website_id}\u0000${event}\u0000${content_type}\u0000${content_id}`;
    const entry = byKey.get(key);
    if (entry) entry.count += count;
    else byKey.set(key, { website_id, event, content_type, content_id, count });
  }
  const contents: ReportContent[] = [];
  let unrecorded = interval.contents.unrecorded;
  let bytes = 2; // []
  for (const entry of [...byKey.values()].sort((a, b) => b.count - a.count || byContent(a, b))) {
    entry.count = reportCount(entry.count);
    const size = Buffer.byteLength(JSON.stringify(entry)) + 1;
    if (bytes + size <= CONTENTS_BUDGET_BYTES) {
      bytes += size;
      contents.push(entry);
    } else unrecorded += entry.count;
  }
  return { contents: contents.sort(byContent), unrecorded };
}

/** By website, event, type and id; ids in code-unit order, the same on every machine whatever its locale. */
function byContent(a: ReportContent, b: ReportContent): number {
  return a.website_id - b.website_id || a.event.localeCompare(b.event) || a.content_type.localeCompare(b.content_type) || (a.content_id < b.content_id ? -1 : a.content_id > b.content_id ? 1 : 0);
}

/** A count as the report may carry it: at most what Odoo stores, so an outsized count never gets the whole report refused. */
export const atMost = (highest: number) => (n: number): number => Math.min(n, highest);
/** Longest latency the report carries (Odoo's bound): a day. */
const MAX_LATENCY_MS = 24 * 3600 * 1000;
const reportCount = atMost(REPORT_LIMITS.maxCount);
const outboxCount = atMost(REPORT_LIMITS.int4Max);

function mapValues<K extends string>(counts: Record<K, number>, f: (n: number) => number): Record<K, number> {
  return Object.fromEntries(Object.entries<number>(counts).map(([k, n]) => [k, f(n)])) as Record<K, number>;
}

const optional = <K extends string, V>(key: K, value: V | undefined | null) => (value === undefined || value === null ? {} : ({ [key]: value } as Record<K, V>));

/** A counter as the report carries it: each count at most what Odoo stores, the details only when not 0. */
export function reportCounter({ website_id, event, ...counts }: { website_id: number; event: string } & EventCounts): ReportCounter {
  const counter: ReportCounter = { website_id, event, accepted: 0, delivered: 0, retried: 0, dead: 0 };
  for (const key of REPORT_OUTCOME_KEYS) counter[key] = reportCount(counts[key]);
  for (const key of REPORT_DETAIL_KEYS) if (counts[key]) counter[key] = reportCount(counts[key]);
  return counter;
}

export function reportLane(lane: LaneState): ReportLane {
  return {
    pixel_id: lane.pixelId,
    test: lane.testEventCode !== '',
    state: lane.state,
    ...optional('reason', lane.reason),
    ...optional('code', lane.code),
    ...optional('message', lane.message === undefined ? undefined : reportMessage(lane.message)),
    ...optional('since', lane.since === undefined ? undefined : unixSeconds(lane.since)),
  };
}

export function reportDeadLetter(d: DeadLetter): ReportDeadLetter {
  return {
    id: d.id,
    pixel_id: d.pixelId,
    event: d.event,
    event_id: d.eventId,
    event_time: d.eventTime,
    dead_at: unixSeconds(d.deadAt),
    ...optional('code', d.errorCode),
    ...optional('message', d.lastError === null ? undefined : reportMessage(d.lastError)),
  };
}

/** The web's items first, the other sources' second: the lane key says whose (`isWebLane`). */
function byLane<T extends { pixelId: string }>(items: readonly T[]): [T[], T[]] {
  return [items.filter((item) => isWebLane(item.pixelId)), items.filter((item) => !isWebLane(item.pixelId))];
}

/** `key: list` when the list has anything, else nothing: keys an older Odoo does not know stay out of an ordinary report. */
const unlessEmpty = <K extends string, V>(key: K, list: V[]) => (list.length ? ({ [key]: list } as Record<K, V[]>) : {});

export function buildReport(replica: ReplicaInfo, now: number, parts: ReportParts): SidecarReport {
  const { interval } = parts;
  const [webLanes, sourceLanes] = byLane(parts.lanes);
  const [webDeadLetters, sourceDeadLetters] = byLane(parts.deadLetters);
  const contents = reportContents(interval, parts.websiteOf);
  return {
    replica: replica.replica,
    version: replica.version,
    mode: 'odoo',
    started_at: unixSeconds(replica.startedAt),
    run_id: replica.runId,
    poll_interval_seconds: replica.pollIntervalSeconds,
    seq: parts.seq,
    sent_at: unixSeconds(now),
    outbox: mapValues(parts.outbox, outboxCount),
    counters: reportCounters(interval, parts.websiteOf).map(reportCounter),
    latency_ms: mapValues({ p50: interval.latency.percentile(0.5), p95: interval.latency.percentile(0.95), max: interval.latency.max }, atMost(MAX_LATENCY_MS)),
    // Lanes and dead letters of other sources are not pixels: they go under keys of their own (§7).
    lanes: webLanes.map(reportLane),
    match_keys: mapValues(interval.matchKeys, reportCount),
    dead_letters: webDeadLetters.map(reportDeadLetter),
    ...unlessEmpty('source_lanes', sourceLanes.map(reportLane)),
    ...unlessEmpty('source_dead_letters', sourceDeadLetters.map(reportDeadLetter)),
    test_events: [...interval.testEvents],
    ...unlessEmpty('contents', contents.contents),
    ...(contents.unrecorded ? { contents_unrecorded: reportCount(contents.unrecorded) } : {}),
  };
}
