import { z } from 'zod';
import { ContentTypeSchema } from './content';
import { CATALOG_MATCH_EVENTS, EVENT_NAME_CHOICES } from './eventNames';
import { OdooTextSchema } from './fields';

/**
 * The sidecar's report to the module and the module's answer
 * (docs/CONTRACTS.md §7): `tiktok.sidecar.report.tiktok_report(report=…)`,
 * once per `POLL_INTERVAL_SECONDS`. The report carries no personal data:
 * counters, lane states, TikTok's codes and messages (contact data redacted),
 * event ids. Absent values are omitted, never null. Times are unix seconds
 * (XML-RPC integers are 32-bit), durations milliseconds.
 */

/** Dead letters listed per report: the most recent ones. */
export const REPORT_MAX_DEAD_LETTERS = 100;
/** Longest message of a dead letter or a test event's answer; lanes keep theirs as short. */
export const REPORT_MAX_MESSAGE_CHARS = 300;
/** The match keys whose coverage is counted among delivered events: keys of a row's `user`. */
export const MATCH_KEYS = ['email', 'phone', 'external_id', 'ttclid', 'ttp', 'ip', 'user_agent'] as const;
export type MatchKey = (typeof MATCH_KEYS)[number];

/**
 * The counts of one website's event name in a report, each a delta. How the
 * stored events reached TikTok (its connection methods): `pixel_loaded`, the
 * page said the pixel loaded (browser and server), `pixel_blocked`, it said
 * the pixel failed to load (server only), `pixel_withheld`, the page did not
 * load it on purpose (server only: Global Privacy Control under limited data
 * use); the rest of `accepted` did not say.
 * `with_<key>`: among `delivered`, how many carried that match key.
 */
export const REPORT_OUTCOME_KEYS = ['accepted', 'delivered', 'retried', 'dead'] as const;
/** Details of the outcomes, omitted when 0 (most of a report's counters have none): Odoo reads an absent count as 0. */
export const REPORT_DETAIL_KEYS = ['pixel_loaded', 'pixel_blocked', 'pixel_withheld', ...MATCH_KEYS.map((k) => `with_${k}` as const)] as const;
export const REPORT_COUNTER_KEYS = [...REPORT_OUTCOME_KEYS, ...REPORT_DETAIL_KEYS] as const;
export type CounterKey = (typeof REPORT_COUNTER_KEYS)[number];
export type EventCounts = Record<CounterKey, number>;
export const noCounts = (): EventCounts => Object.fromEntries(REPORT_COUNTER_KEYS.map((k) => [k, 0])) as EventCounts;

/**
 * The report's bounds, each as wide as where Odoo stores it (an int4 column,
 * or a float8/numeric one exact up to 2^53), so that Odoo never refuses an
 * honest report for a number it cannot hold: the module's
 * tools/report_contract.py checks the same numbers, and
 * tests/vectors/contract.json (`report_limits`) holds both sides to them.
 */
export const REPORT_LIMITS = {
  /** Odoo's Integer columns: record ids, TikTok's codes, report numbers, outbox counts, daily sums. */
  int4Max: 2 ** 31 - 1,
  /** One count of one report. */
  maxCount: 10 ** 9,
  /** An outbox row id (Odoo keeps it in a numeric column). */
  maxOutboxId: Number.MAX_SAFE_INTEGER,
  /** The request body Odoo reads at most; larger is refused with 413 before it is read. */
  maxRequestBytes: 1024 * 1024,
  /** Distinct (website, event, content type, content id) of one report's `contents`: a forged flood of ids stays this small. */
  maxContents: 2000,
} as const;

/**
 * The events whose delivered content ids the report counts (`contents`), by
 * the names TikTok receives: those whose content ids a catalog must know for
 * its ads (Purchase under either of its spellings). Odoo keeps the canonical key.
 */
export const REPORT_CONTENT_EVENTS = ['ViewContent', 'AddToCart', ...EVENT_NAME_CHOICES.Purchase] as const;
export type ReportContentEvent = (typeof REPORT_CONTENT_EVENTS)[number];
/** The same events as the catalog match's (`CATALOG_MATCH_EVENTS`), Purchase under either name: checked at compile time. */
type CanonicalContentEvent<T> = T extends (typeof EVENT_NAME_CHOICES.Purchase)[number] ? 'Purchase' : T;
type CatalogMatchEvent = (typeof CATALOG_MATCH_EVENTS)[number];
const SAME_EVENTS_AS_THE_MATCH: [CanonicalContentEvent<ReportContentEvent>] extends [CatalogMatchEvent]
  ? [CatalogMatchEvent] extends [CanonicalContentEvent<ReportContentEvent>]
    ? true
    : never
  : never = true;
void SAME_EVENTS_AS_THE_MATCH;

/** Control characters, and halves of a surrogate pair alone (text no database stores). */
const UNSTORABLE_CHARACTER = /[\p{Cc}\p{Cs}]/u;
const MAX_CONTENT_ID_CHARS = 128;

/**
 * A content id the report may carry: 1 to 128 characters (UTF-16 units, so
 * never more code points), none a control character or a lone surrogate; the
 * report counts any other in `contents_unrecorded`.
 */
export function isReportableContentId(id: unknown): id is string {
  return typeof id === 'string' && id.length >= 1 && id.length <= MAX_CONTENT_ID_CHARS && !UNSTORABLE_CHARACTER.test(id);
}

const count = z.number().int().nonnegative().max(REPORT_LIMITS.maxCount);
const seconds = z.number().int().nonnegative();
const id = z.number().int().positive().max(REPORT_LIMITS.int4Max);
const outboxId = z.number().int().positive().max(REPORT_LIMITS.maxOutboxId);
const code = z.number().int().min(-REPORT_LIMITS.int4Max).max(REPORT_LIMITS.int4Max);
const message = z.string().max(REPORT_MAX_MESSAGE_CHARS);
/** A run of the sidecar: random, made when the process starts. */
export const RUN_ID = /^[A-Za-z0-9_-]{8,64}$/;

export const ReportCounterSchema = z
  .object({
    /** The website owning the event's pixel; 0 when the pixel is no longer configured. */
    website_id: z.number().int().nonnegative().max(REPORT_LIMITS.int4Max),
    /** The name TikTok receives (`Pageview`, `CompletePayment`…). */
    event: z.string().min(1),
    ...(Object.fromEntries(REPORT_OUTCOME_KEYS.map((k) => [k, count])) as Record<(typeof REPORT_OUTCOME_KEYS)[number], typeof count>),
    ...(Object.fromEntries(REPORT_DETAIL_KEYS.map((k) => [k, count.optional()])) as Record<(typeof REPORT_DETAIL_KEYS)[number], z.ZodOptional<typeof count>>),
  })
  .strict();

export const ReportLaneSchema = z
  .object({
    pixel_id: z.string(),
    /** The lane of the pixel's test event code (the code itself is not reported). */
    test: z.boolean(),
    state: z.enum(['running', 'paused']),
    reason: z.string().optional(),
    code: code.optional(),
    message: message.optional(),
    since: seconds.optional(),
  })
  .strict();

export const ReportDeadLetterSchema = z
  .object({
    id: outboxId,
    pixel_id: z.string(),
    event: z.string(),
    event_id: z.string(),
    event_time: seconds,
    dead_at: seconds,
    /** TikTok's code, or the HTTP status when its answer had none; absent when not sent (too old). */
    code: code.optional(),
    message: message.optional(),
  })
  .strict();

export const ReportTestEventSchema = z
  .object({
    request_id: id,
    /** TikTok's code (0: accepted), or the HTTP status when its answer had none; absent when nothing reached TikTok. */
    code: code.optional(),
    message,
  })
  .strict();

/**
 * How many delivered events of one website and event name carried one content
 * id (each distinct id once per event): the control room's catalog match.
 */
export const ReportContentSchema = z
  .object({
    website_id: z.number().int().nonnegative().max(REPORT_LIMITS.int4Max),
    event: z.enum(REPORT_CONTENT_EVENTS),
    content_type: ContentTypeSchema,
    content_id: z.string().refine(isReportableContentId, `must be 1 to ${MAX_CONTENT_ID_CHARS} characters without control characters`),
    count,
  })
  .strict();

const latency = z.number().int().nonnegative().max(24 * 3600 * 1000);
const outboxCount = z.number().int().nonnegative().max(REPORT_LIMITS.int4Max);

const matchKeyCounts = Object.fromEntries(MATCH_KEYS.map((k) => [k, count])) as Record<MatchKey, typeof count>;

/** A replica's name, as Odoo accepts it: kept per replica, so the same across restarts. */
export const REPLICA_ID = /^[A-Za-z0-9._:@/+-]{1,128}$/;

export const SidecarReportSchema = z
  .object({
    /** `SIDECAR_REPLICA_ID`, else the host name: the same across restarts; the claimer of Odoo's purchase claims. */
    replica: z.string().regex(REPLICA_ID),
    version: z.string(),
    mode: z.literal('odoo'),
    started_at: seconds,
    /** This run (process) of the replica: Odoo refuses a report of an earlier run, so a replayed one never counts again. */
    run_id: z.string().regex(RUN_ID),
    /** The replica's reporting interval (`POLL_INTERVAL_SECONDS`): Odoo calls it down after two missed reports. */
    poll_interval_seconds: z.number().int().positive().max(24 * 3600).optional(),
    /** Per run, from 1: a report sent again after a lost answer keeps its number; Odoo refuses a lower one. */
    seq: z.number().int().positive().max(REPORT_LIMITS.int4Max),
    sent_at: seconds,
    outbox: z.object(Object.fromEntries(['pending', 'in_flight', 'delivered', 'dead'].map((k) => [k, outboxCount])) as Record<'pending' | 'in_flight' | 'delivered' | 'dead', typeof outboxCount>).strict(),
    /** Deltas since the previous report Odoo acknowledged. */
    counters: z.array(ReportCounterSchema),
    /** Of the events delivered in the same interval, from acceptance to TikTok's answer; all 0 when none was. */
    latency_ms: z.object({ p50: latency, p95: latency, max: latency }).strict(),
    lanes: z.array(ReportLaneSchema),
    /** Among the events delivered in the same interval, how many carried each key. */
    match_keys: z.object({ delivered: count, ...matchKeyCounts }).strict(),
    dead_letters: z.array(ReportDeadLetterSchema).max(REPORT_MAX_DEAD_LETTERS),
    /**
     * Lanes and dead letters of the other sources (`<source>:<website id>:<event set id>`),
     * under keys of their own, left out when empty: an Odoo that does not know them drops them.
     */
    source_lanes: z.array(ReportLaneSchema).optional(),
    source_dead_letters: z.array(ReportDeadLetterSchema).max(REPORT_MAX_DEAD_LETTERS).optional(),
    test_events: z.array(ReportTestEventSchema),
    /**
     * Among the web's events delivered in the same interval, per website, event
     * and content id, how many carried it; left out when empty (an older Odoo drops it).
     */
    contents: z.array(ReportContentSchema).max(REPORT_LIMITS.maxContents).optional(),
    /** Content ids of the same deliveries not in `contents`: beyond its bound, or not an id it may carry. Left out when 0. */
    contents_unrecorded: count.optional(),
  })
  .strict();

/** Requests of one answer; far above what an administrator asks between two reports. */
const MAX_SEND_AGAIN = 1000;
const MAX_TEST_EVENTS = 50;

/**
 * Odoo's answer, read loosely (unknown keys are ignored, so the module can add
 * some). `ok: false` means the report was not taken: it is sent again, unchanged, under its `seq`.
 */
export const ReportAnswerSchema = z.object({
  ok: z.boolean(),
  send_again: z.array(z.object({ id: outboxId })).max(MAX_SEND_AGAIN).default([]),
  test_events: z
    .array(
      z.object({
        request_id: id,
        website_id: z.number().int().nonnegative(),
        /** The website's code when Odoo answered: the settings read every SETTINGS_REFRESH_SECONDS may not have it yet. */
        test_event_code: OdooTextSchema.optional(),
      }),
    )
    .max(MAX_TEST_EVENTS)
    .default([]),
});

export type SidecarReport = z.infer<typeof SidecarReportSchema>;
export type ReportCounter = z.infer<typeof ReportCounterSchema>;
export type ReportLane = z.infer<typeof ReportLaneSchema>;
export type ReportDeadLetter = z.infer<typeof ReportDeadLetterSchema>;
export type ReportTestEvent = z.infer<typeof ReportTestEventSchema>;
export type ReportContent = z.infer<typeof ReportContentSchema>;
export type ReportAnswer = z.infer<typeof ReportAnswerSchema>;
export type TestEventRequest = ReportAnswer['test_events'][number];
