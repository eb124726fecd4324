import type { PixelState } from '../contract/relay';
import type Database from 'better-sqlite3';
import type { RetryCause } from '../tiktok/outcome';
import type { TikTokEventRow } from '../tiktok/types';
import { readLane, type Lane } from '../tiktok/lane';
import { ADDRESS_CUT_CHARS, PAGE_ADDRESS_PATHS, SCRUBBED_ROW_KEYS, storedError } from './queueRules';
import type { Immediate } from './promised';

export const OUTBOX_STATES = ['pending', 'in_flight', 'delivered', 'dead'] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];
export type EventSource = 'browser' | 'server';

export interface NewOutboxEvent {
  pixelId: string;
  /** The name TikTok receives (already resolved from the canonical key). */
  event: string;
  eventId: string;
  testEventCode?: string;
  source: EventSource;
  row: TikTokEventRow;
  /** What the relaying page said of TikTok's pixel: counted in the report, never stored nor sent. */
  pixel?: PixelState;
}

/** An event taken from the queue for one send: in flight until marked. */
export interface ClaimedEvent {
  id: number;
  pixelId: string;
  event: string;
  eventId: string;
  testEventCode: string;
  source: EventSource;
  /** The `data[]` row as stored JSON text: the dispatcher sends it without parsing it again. */
  payload: string;
  eventTime: number;
  /** Claims so far, this one included. */
  attempts: number;
  createdAt: number;
}

export type DeadLetter = Pick<ClaimedEvent, 'id' | 'pixelId' | 'event' | 'eventId' | 'eventTime' | 'attempts' | 'createdAt'> & {
  errorCode: number | null;
  lastError: string | null;
  /** When it was parked, epoch ms. */
  deadAt: number;
};

/** One lane of the queue: TikTok batches per pixel, and test traffic goes apart. */
export interface LaneKey {
  pixelId: string;
  testEventCode: string;
}

export function laneKey(lane: LaneKey): string {
  return `${lane.pixelId}\u0000${lane.testEventCode}`;
}

/** A lane the queue knows, its key read once (`readLane`) into where its events go. */
export interface KnownLane extends LaneKey {
  lane: Lane;
}

function knownLane(key: LaneKey): KnownLane {
  return { pixelId: key.pixelId, testEventCode: key.testEventCode, lane: readLane(key.pixelId) };
}

export interface DueLane extends KnownLane {
  /** Events due now, counted up to the caller's limit. */
  due: number;
  /** Since when the longest-due event has been due: its creation for a first attempt, else its retry time. */
  oldestDueAt: number;
}

/**
 * A lane held for every process sharing the outbox: no claim takes its rows until
 * `until` (a replica paused it, or TikTok limited its rate), then one probe at a time.
 */
export interface LaneHold {
  /** Until when no claim takes the lane's rows, epoch ms. */
  until: number;
  /** Why (the dispatcher's typed reason). */
  reason: string;
  /** TikTok's code, or the HTTP status when the answer had none. */
  code: number | null;
  /** TikTok's message with contact data already redacted. */
  message: string;
  /** Holds since the lane last delivered something: the hold grows with it, cluster-wide. */
  streak: number;
  /** The first hold of the streak, epoch ms. */
  since: number;
  /** Of a hold tied to the pixel's token: a fingerprint of it (never the token), else ''. */
  tokenFingerprint: string;
}

export interface HeldLane extends LaneKey, LaneHold {}

export interface EnqueueResult {
  inserted: number;
  duplicates: number;
}

export function summarizeEnqueue(stored: boolean[]): EnqueueResult {
  const inserted = stored.filter(Boolean).length;
  return { inserted, duplicates: stored.length - inserted };
}

/** The events waiting for TikTok, and what became of those sent. */
export interface EventQueue {
  /** Store events durably; one flag per event: true when new, false when its (pixel, event, event_id) was already there. */
  enqueue(events: NewOutboxEvent[], now: number): Promise<boolean[]>;
  dueLanes(now: number, countLimit?: number): Promise<DueLane[]>;
  /** Due rows of a lane, oldest first; none while the lane is held (see `holdLane`), or probed by another process. */
  claim(lane: LaneKey, now: number, limit: number): Promise<ClaimedEvent[]>;
  /** Every lane hold, ended or not (a hold stays until a delivery clears it: its streak is the lane's memory). */
  laneHolds(): Promise<HeldLane[]>;
  /**
   * Hold a lane: `next` decides the hold from the current one, atomically with
   * every other process writing it. Returns the hold stored.
   */
  holdLane(lane: LaneKey, next: (current: LaneHold | undefined) => LaneHold): Promise<LaneHold>;
  /** The lane delivered (or its hold is outdated): its hold is gone. With `seen`, only when the hold is still that one. */
  clearLaneHold(lane: LaneKey, seen?: Pick<LaneHold, 'until' | 'streak'>): Promise<void>;
  /**
   * The probe of a lane whose hold has ended: this process's claims pass, others'
   * skip the lane until `probeUntil`. False when another process probes it, or the hold has not ended.
   */
  takeProbe(lane: LaneKey, now: number, probeUntil: number): Promise<boolean>;
  /**
   * One request of a pixel in the second of `now`, if fewer than `perSecond` of
   * every process of the outbox were sent in it. False: wait for the next second.
   */
  takeRequestSlot(pixelId: string, now: number, perSecond: number): Promise<boolean>;
  markDelivered(ids: number[], now: number): Promise<void>;
  /** Back to pending until `nextAttemptAt`; the stored error starts with the typed cause. */
  markRetry(ids: number[], nextAttemptAt: number, cause: RetryCause, detail: string): Promise<void>;
  markDead(ids: number[], code: number | null, message: string, now: number): Promise<void>;
  /** Back to pending without counting the claim as an attempt: the lane paused for a problem of the request (token, address). */
  markPaused(ids: number[], nextAttemptAt: number, reason: string): Promise<void>;
  /** In-flight rows of a previous process go back to pending: their send may or may not have landed. */
  releaseInFlight(): Promise<number>;
  /** Pending events scheduled after `latest` are due at `now` instead (a clock that went back); returns how many. */
  rescheduleLaterThan(latest: number, now: number): Promise<number>;
  prune(deliveredBefore: number): Promise<number>;
  counts(): Promise<Record<OutboxState, number>>;
  nextAttemptAt(): Promise<number | undefined>;
  /** The most recently parked dead letters first. */
  deadLetters(limit: number): Promise<DeadLetter[]>;
  requeueDead(now: number): Promise<number>;
  /** These dead letters (others are left alone) back in the queue as a first attempt, same event id; returns how many. */
  requeueDeadLetters(ids: readonly number[], now: number): Promise<number>;
  /**
   * Dead letters parked before `deadBefore` keep what explains them (event, id,
   * time, TikTok's code and message) and lose what may identify a person: the
   * whole `user` object and the query string of page addresses. At most `limit`
   * rows per call; returns how many changed, 0 once every one is scrubbed.
   */
  scrubDeadLetters(deadBefore: number, limit: number): Promise<number>;
  /** Events of a pixel not settled yet (pending or in flight), counted up to `limit`: the relay's outbox cap. */
  waitingCount(pixelId: string, limit: number): Promise<number>;
}


/** A lane hold as stored, in the port's names (both engines). */
export const HOLD_COLUMNS = `held_until AS until, reason, code, message, streak, since, token_fingerprint AS "tokenFingerprint"`;

/** The start of the second of `now`, epoch ms: the window of a request ceiling. */
export const secondOf = (now: number) => Math.floor(now / 1000) * 1000;

/**
 * SQL (both engines): count one request of a pixel in the window starting at
 * `window`, unless `perSecond` were counted in it already (then no row comes back).
 * A later window starts the count again; an earlier one (a process whose clock is
 * behind) is refused, and that process waits.
 */
export const TAKE_REQUEST_SLOT = (pixelId: string, window: string, perSecond: string) =>
  `INSERT INTO pixel_request_windows (pixel_id, window_start, used) VALUES (${pixelId}, ${window}, 1)
   ON CONFLICT (pixel_id) DO UPDATE SET used = CASE WHEN pixel_request_windows.window_start = excluded.window_start THEN pixel_request_windows.used + 1 ELSE 1 END,
     window_start = excluded.window_start
   WHERE pixel_request_windows.window_start < excluded.window_start
      OR (pixel_request_windows.window_start = excluded.window_start AND pixel_request_windows.used < ${perSecond})`;

/** The one process of an outbox file, as the probe of a lane names it. */
const THIS_PROCESS = 'this-process';

/** The `outbox` table of the outbox file, answered at once (SQLite runs in this thread); the port is `promised` from it. */
export class SqliteEventQueue implements Immediate<EventQueue> {
  private readonly stmt;
  /** One transaction per call, prepared once: the relay's group commit calls it every event-loop turn. */
  private readonly insertAll: (events: NewOutboxEvent[], now: number) => boolean[];
  private readonly holdInTransaction: (lane: LaneKey, next: (current: LaneHold | undefined) => LaneHold) => LaneHold;

  constructor(db: Database.Database) {
    this.stmt = {
      lanes: db.prepare(`SELECT DISTINCT pixel_id AS pixelId, test_event_code AS testEventCode FROM outbox WHERE state IN ('pending', 'in_flight')`),
      // A bounded index range scan (outbox_due), in due order, whatever the backlog (a long TikTok outage).
      laneDue: db.prepare(
        `SELECT COUNT(*) AS due, MIN(t) AS oldestDueAt FROM (SELECT next_attempt_at AS t FROM outbox
         WHERE state = 'pending' AND pixel_id = ? AND test_event_code = ? AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?)`,
      ),
      // Nothing of a held lane (one primary-key lookup), nor of a lane another process probes.
      claim: db.prepare(
        `UPDATE outbox SET state = 'in_flight', attempts = attempts + 1
         WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' AND pixel_id = @pixelId AND test_event_code = @testEventCode AND next_attempt_at <= @now
                      AND NOT EXISTS (SELECT 1 FROM lane_holds h WHERE h.pixel_id = @pixelId AND h.test_event_code = @testEventCode
                                      AND (h.held_until > @now OR (h.probe_until > @now AND h.probe_by <> @me)))
                      ORDER BY next_attempt_at LIMIT @limit)
         RETURNING id, pixel_id AS pixelId, event, event_id AS eventId, test_event_code AS testEventCode, source, payload,
                   event_time AS eventTime, attempts, created_at AS createdAt`,
      ),
      // Batches of up to 1,000 ids are passed as one JSON array: one statement per batch.
      delivered: db.prepare(
        `UPDATE outbox SET state = 'delivered', delivered_at = ?, payload = '{}' WHERE id IN (SELECT value FROM json_each(?)) AND state = 'in_flight'`,
      ),
      retry: db.prepare(
        `UPDATE outbox SET state = 'pending', next_attempt_at = ?, last_error = ? WHERE id IN (SELECT value FROM json_each(?)) AND state = 'in_flight'`,
      ),
      dead: db.prepare(
        `UPDATE outbox SET state = 'dead', error_code = ?, last_error = ?, delivered_at = ?
         WHERE id IN (SELECT value FROM json_each(?)) AND state IN ('in_flight', 'pending')`,
      ),
      paused: db.prepare(
        `UPDATE outbox SET state = 'pending', next_attempt_at = ?, last_error = ?, attempts = MAX(attempts - 1, 0)
         WHERE id IN (SELECT value FROM json_each(?)) AND state = 'in_flight'`,
      ),
      release: db.prepare(`UPDATE outbox SET state = 'pending' WHERE state = 'in_flight'`),
      holds: db.prepare(`SELECT pixel_id AS pixelId, test_event_code AS testEventCode, ${HOLD_COLUMNS} FROM lane_holds ORDER BY pixel_id, test_event_code`),
      hold: db.prepare(`SELECT ${HOLD_COLUMNS} FROM lane_holds WHERE pixel_id = ? AND test_event_code = ?`),
      writeHold: db.prepare(
        `INSERT INTO lane_holds (pixel_id, test_event_code, held_until, reason, code, message, streak, since, token_fingerprint)
         VALUES (@pixelId, @testEventCode, @until, @reason, @code, @message, @streak, @since, @tokenFingerprint)
         ON CONFLICT (pixel_id, test_event_code) DO UPDATE SET held_until = excluded.held_until, reason = excluded.reason, code = excluded.code,
           message = excluded.message, streak = excluded.streak, since = excluded.since, token_fingerprint = excluded.token_fingerprint, probe_by = '', probe_until = 0`,
      ),
      clearHold: db.prepare(
        `DELETE FROM lane_holds WHERE pixel_id = @pixelId AND test_event_code = @testEventCode
         AND (@until IS NULL OR (held_until = @until AND streak = @streak))`,
      ),
      requestSlot: db.prepare(`${TAKE_REQUEST_SLOT('@pixelId', '@window', '@perSecond')} RETURNING used`),
      takeProbe: db.prepare(
        `UPDATE lane_holds SET probe_by = @me, probe_until = @probeUntil
         WHERE pixel_id = @pixelId AND test_event_code = @testEventCode AND held_until <= @now AND (probe_until <= @now OR probe_by = @me)`,
      ),
      // The outbox_next index: a range of the pending rows only.
      reschedule: db.prepare<[number, number]>(`UPDATE outbox SET next_attempt_at = ? WHERE state = 'pending' AND next_attempt_at > ?`),
      // Rows of Purchases and other sources' events not yet reported back to Odoo stay until they are.
      prune: db.prepare(
        `DELETE FROM outbox WHERE state = 'delivered' AND delivered_at < ?
         AND NOT EXISTS (SELECT 1 FROM purchase_claims c WHERE c.pixel_id = outbox.pixel_id AND c.event = outbox.event AND c.event_id = outbox.event_id)
         AND NOT EXISTS (SELECT 1 FROM source_claims s WHERE s.event_id = outbox.event_id AND s.pixel_id = outbox.pixel_id AND s.event = outbox.event)`,
      ),
      // One partial index per state: a GROUP BY would read every row kept for retention (284 ms for 1M rows, 8 ms this way).
      counts: db.prepare(
        `SELECT ${OUTBOX_STATES.map((s) => `(SELECT COUNT(*) FROM outbox WHERE state = '${s}') AS ${s}`).join(', ')}`,
      ),
      nextAttempt: db.prepare(`SELECT MIN(next_attempt_at) AS t FROM outbox WHERE state = 'pending'`),
      // The outbox_dead index, read from its end.
      deadLetters: db.prepare(
        `SELECT id, pixel_id AS pixelId, event, event_id AS eventId, event_time AS eventTime, error_code AS errorCode, last_error AS lastError,
                attempts, created_at AS createdAt, delivered_at AS deadAt
         FROM outbox WHERE state = 'dead' ORDER BY delivered_at DESC, id DESC LIMIT ?`,
      ),
      requeue: db.prepare(`UPDATE outbox SET state = 'pending', next_attempt_at = ?, attempts = 0 WHERE state = 'dead'`),
      requeueIds: db.prepare(
        `UPDATE outbox SET state = 'pending', next_attempt_at = ?, attempts = 0, delivered_at = NULL
         WHERE id IN (SELECT value FROM json_each(?)) AND state = 'dead'`,
      ),
      reviveDead: db.prepare(
        `UPDATE outbox SET state = 'pending', payload = ?, event_time = ?, next_attempt_at = ?, attempts = 0, error_code = NULL, last_error = NULL,
                delivered_at = NULL WHERE pixel_id = ? AND event = ? AND event_id = ? AND state = 'dead'`,
      ),
      // The outbox_dead index keeps each pass to the dead letters, not the whole outbox.
      scrub: db.prepare<[number, number]>(
        `UPDATE outbox SET payload = ${SCRUBBED_PAYLOAD}
         WHERE id IN (SELECT id FROM outbox WHERE state = 'dead' AND delivered_at < ? AND (${NOT_YET_SCRUBBED}) LIMIT ?)`,
      ),
      // Two bounded index range scans (outbox_due, outbox_in_flight), whatever the backlog.
      waiting: db.prepare(
        `SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM outbox WHERE state = 'pending' AND pixel_id = @pixelId LIMIT @limit))
              + (SELECT COUNT(*) FROM (SELECT 1 FROM outbox WHERE state = 'in_flight' AND pixel_id = @pixelId LIMIT @limit)) AS n`,
      ),
    };
    const insert = db.prepare(
      `INSERT OR IGNORE INTO outbox (pixel_id, event, event_id, test_event_code, source, payload, event_time, next_attempt_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    // IMMEDIATE: the write lock before the read, so two processes on one file cannot both decide from the same hold.
    const holdTx = db.transaction((lane: LaneKey, next: (current: LaneHold | undefined) => LaneHold) => {
      const hold = next(this.stmt.hold.get(lane.pixelId, lane.testEventCode) as LaneHold | undefined);
      this.stmt.writeHold.run({ ...hold, pixelId: lane.pixelId, testEventCode: lane.testEventCode });
      return hold;
    });
    this.holdInTransaction = (lane, next) => holdTx.immediate(lane, next);
    this.insertAll = db.transaction((events: NewOutboxEvent[], now: number) =>
      events.map((e) => insert.run(e.pixelId, e.event, e.eventId, e.testEventCode ?? '', e.source, JSON.stringify(e.row), e.row.event_time, now, now).changes === 1),
    );
  }

  enqueue(events: NewOutboxEvent[], now: number): boolean[] {
    const lanes = this.knownLanes();
    for (const e of events) {
      const lane = { pixelId: e.pixelId, testEventCode: e.testEventCode ?? '' };
      if (!lanes.has(laneKey(lane))) lanes.set(laneKey(lane), knownLane(lane));
    }
    return this.insertAll(events, now);
  }

  /** Lanes seen since start or left from a previous run; few (one per pixel, plus test traffic). */
  private lanes?: Map<string, KnownLane>;

  private knownLanes(): Map<string, KnownLane> {
    this.lanes ??= new Map((this.stmt.lanes.all() as LaneKey[]).map((l) => [laneKey(l), knownLane(l)]));
    return this.lanes;
  }

  dueLanes(now: number, countLimit = 1000): DueLane[] {
    const dueLanes: DueLane[] = [];
    for (const lane of this.knownLanes().values()) {
      const { due, oldestDueAt } = this.stmt.laneDue.get(lane.pixelId, lane.testEventCode, now, countLimit) as { due: number; oldestDueAt: number };
      if (due > 0) dueLanes.push({ ...lane, due, oldestDueAt });
    }
    return dueLanes;
  }

  claim(lane: LaneKey, now: number, limit: number): ClaimedEvent[] {
    // RETURNING gives no order; the queue's is the order of arrival.
    const rows = this.stmt.claim.all({ pixelId: lane.pixelId, testEventCode: lane.testEventCode, now, limit, me: THIS_PROCESS }) as ClaimedEvent[];
    return rows.sort((a, b) => a.id - b.id);
  }

  laneHolds(): HeldLane[] {
    return this.stmt.holds.all() as HeldLane[];
  }

  holdLane(lane: LaneKey, next: (current: LaneHold | undefined) => LaneHold): LaneHold {
    return this.holdInTransaction(lane, next);
  }

  clearLaneHold(lane: LaneKey, seen?: Pick<LaneHold, 'until' | 'streak'>): void {
    this.stmt.clearHold.run({ pixelId: lane.pixelId, testEventCode: lane.testEventCode, until: seen?.until ?? null, streak: seen?.streak ?? null });
  }

  takeRequestSlot(pixelId: string, now: number, perSecond: number): boolean {
    return this.stmt.requestSlot.get({ pixelId, window: secondOf(now), perSecond }) !== undefined;
  }

  takeProbe(lane: LaneKey, now: number, probeUntil: number): boolean {
    return this.stmt.takeProbe.run({ pixelId: lane.pixelId, testEventCode: lane.testEventCode, now, probeUntil, me: THIS_PROCESS }).changes === 1;
  }

  markDelivered(ids: number[], now: number): void {
    this.stmt.delivered.run(now, JSON.stringify(ids));
  }

  markRetry(ids: number[], nextAttemptAt: number, cause: RetryCause, detail: string): void {
    this.stmt.retry.run(nextAttemptAt, storedError(`${cause}: ${detail}`), JSON.stringify(ids));
  }

  markDead(ids: number[], code: number | null, message: string, now: number): void {
    this.stmt.dead.run(code, storedError(message), now, JSON.stringify(ids));
  }

  markPaused(ids: number[], nextAttemptAt: number, reason: string): void {
    this.stmt.paused.run(nextAttemptAt, storedError(reason), JSON.stringify(ids));
  }

  releaseInFlight(): number {
    return this.stmt.release.run().changes;
  }

  rescheduleLaterThan(latest: number, now: number): number {
    return this.stmt.reschedule.run(now, latest).changes;
  }

  prune(deliveredBefore: number): number {
    return this.stmt.prune.run(deliveredBefore).changes;
  }

  counts(): Record<OutboxState, number> {
    return { ...(this.stmt.counts.get() as Record<OutboxState, number>) };
  }

  nextAttemptAt(): number | undefined {
    const { t } = this.stmt.nextAttempt.get() as { t: number | null };
    return t ?? undefined;
  }

  deadLetters(limit: number): DeadLetter[] {
    return this.stmt.deadLetters.all(limit) as DeadLetter[];
  }

  requeueDead(now: number): number {
    this.lanes = undefined; // requeued rows may belong to lanes not seen since start
    return this.stmt.requeue.run(now).changes;
  }

  requeueDeadLetters(ids: readonly number[], now: number): number {
    if (ids.length === 0) return 0;
    const requeued = this.stmt.requeueIds.run(now, JSON.stringify(ids)).changes;
    if (requeued) this.lanes = undefined; // their lanes may not be known since start
    return requeued;
  }

  /** A dead letter of this (pixel, event, event_id), if any, back in the queue with the fresh payload, as a first attempt. */
  reviveDead(e: NewOutboxEvent, now: number): void {
    const revived = this.stmt.reviveDead.run(JSON.stringify(e.row), e.row.event_time, now, e.pixelId, e.event, e.eventId).changes;
    if (revived) this.lanes = undefined; // its lane may not be known since start
  }

  scrubDeadLetters(deadBefore: number, limit: number): number {
    return this.stmt.scrub.run(deadBefore, limit).changes;
  }

  waitingCount(pixelId: string, limit: number): number {
    return (this.stmt.waiting.get({ pixelId, limit }) as { n: number }).n;
  }
}

/** SQLite's JSON path of a path of keys (queueRules.ts). */
const jsonPath = (keys: readonly string[]) => `$.${keys.join('.')}`;

const PAGE_ADDRESSES = PAGE_ADDRESS_PATHS.map(jsonPath);

/** SQL: the stored address at `path`, cut before its query string or fragment (NULL when absent). */
function addressWithoutQuery(path: string): string {
  const address = `json_extract(payload, '${path}')`;
  return `substr(${address}, 1, min(${ADDRESS_CUT_CHARS.map((c) => `instr(${address} || '${c}', '${c}')`).join(', ')}) - 1)`;
}

/** json_replace leaves absent paths absent: a row without a referrer does not get one. */
const SCRUBBED_PAYLOAD = `json_replace(json_remove(payload, ${SCRUBBED_ROW_KEYS.map((k) => `'${jsonPath([k])}'`).join(', ')}), ${PAGE_ADDRESSES.map((p) => `'${p}', ${addressWithoutQuery(p)}`).join(', ')})`;

const NOT_YET_SCRUBBED = [
  ...SCRUBBED_ROW_KEYS.map((k) => `json_type(payload, '${jsonPath([k])}') IS NOT NULL`),
  ...PAGE_ADDRESSES.map((p) => `${addressWithoutQuery(p)} IS NOT json_extract(payload, '${p}')`),
].join(' OR ');
