import type { Pool } from 'pg';
import type { RetryCause } from '../../tiktok/outcome';
import { readLane } from '../../tiktok/lane';
import {
  OUTBOX_STATES,
  type ClaimedEvent,
  type DeadLetter,
  type DueLane,
  type EventQueue,
  type HeldLane,
  type LaneHold,
  type LaneKey,
  HOLD_COLUMNS,
  secondOf,
  TAKE_REQUEST_SLOT,
  type NewOutboxEvent,
  type OutboxState,
} from '../eventQueue';
import { ADDRESS_CUT_CHARS, PAGE_ADDRESS_PATHS, SCRUBBED_ROW_KEYS, storedError } from '../queueRules';
import { inTransaction, type Queryable } from './db';

/** Rows this replica holds: fencing, so a replica whose lease ended (and whose rows another took) changes nothing. */
const HELD = `state = 'in_flight' AND claimed_by = $2`;

/**
 * A recursive CTE `name`: the lanes with rows in `state`, read by a skip scan of the
 * leading columns of the state's index (outbox_due, outbox_in_flight): one index probe
 * per lane whatever the backlog, and no memory of lanes that another replica could miss.
 */
function lanesInState(name: string, state: OutboxState): string {
  const next = (after: string) =>
    `SELECT pixel_id, test_event_code FROM outbox WHERE state = '${state}'${after} ORDER BY pixel_id, test_event_code LIMIT 1`;
  return `${name} AS ((${next('')}) UNION ALL
    SELECT n.pixel_id, n.test_event_code FROM ${name} l
    CROSS JOIN LATERAL (${next(' AND (pixel_id, test_event_code) > (l.pixel_id, l.test_event_code)')}) n)`;
}

/** Of one lane (`l`): its pending rows due at $1 and its rows in flight whose lease ended before $1, each scan bounded by $2. */
const DUE_IN_LANE = `
  (SELECT next_attempt_at AS due_at FROM outbox WHERE state = 'pending' AND pixel_id = l.pixel_id AND test_event_code = l.test_event_code
     AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $2)
  UNION ALL
  (SELECT lease_until FROM outbox WHERE state = 'in_flight' AND pixel_id = l.pixel_id AND test_event_code = l.test_event_code
     AND lease_until < $1 ORDER BY lease_until LIMIT $2)`;

/** Of the claim's lane ($1, $2) at $3 by replica $5: no hold in force, and no probe by another replica. */
const LANE_FREE = `NOT EXISTS (SELECT 1 FROM lane_holds h WHERE h.pixel_id = $1 AND h.test_event_code = $2
                     AND (h.held_until > $3 OR (h.probe_until > $3 AND h.probe_by <> $5)))`;

/** Any value fixed for this project: the first key of the locks on lane keys while a hold is written (the second is the key's hash). */
const LANE_HOLD_LOCK_CLASS = 0x7e12;

/** SQL: the JSON text at `path` of `doc` (NULL when absent). */
const textAt = (doc: string, path: readonly string[]) => `(${doc} #>> '{${path.join(',')}}')`;
const CUT_PATTERN = `'^[^${ADDRESS_CUT_CHARS.join('')}]*'`;

/** SQL: `doc` with the address at `path`, when it is a string, cut before its query string (absent stays absent). */
const withAddressCut = (doc: string, path: readonly string[]) =>
  `(CASE WHEN jsonb_typeof(${doc} #> '{${path.join(',')}}') = 'string'
     THEN jsonb_set(${doc}, '{${path.join(',')}}', to_jsonb(substring(${textAt(doc, path)} FROM ${CUT_PATTERN}))) ELSE ${doc} END)`;

/**
 * The payload as jsonb. JSON.stringify writes a NUL character, and a lone half of
 * a surrogate pair, as escapes (\u0000, \ud800) which jsonb refuses; one such row (a
 * relayed event may carry one) would fail every scrub pass, keeping every dead
 * letter's personal data. Those escapes (not preceded by an escaping backslash;
 * JSON.stringify writes them in lower case and a whole pair as its character) are
 * read as U+FFFD.
 */
const PAYLOAD_JSONB = String.raw`regexp_replace(payload, '(?<!\\)((?:\\\\)*)\\u(0000|d[89a-f][0-9a-f]{2})', '\1\\ufffd', 'g')::jsonb`;

const SCRUBBED_PAYLOAD = PAGE_ADDRESS_PATHS.reduce(
  (doc, path) => withAddressCut(doc, path),
  SCRUBBED_ROW_KEYS.reduce((doc, key) => `(${doc} - '${key}')`, PAYLOAD_JSONB),
);
const NOT_YET_SCRUBBED = [
  ...SCRUBBED_ROW_KEYS.map((key) => `${PAYLOAD_JSONB} ? '${key}'`),
  ...PAGE_ADDRESS_PATHS.map((path) => `${textAt(PAYLOAD_JSONB, path)} ~ '[${ADDRESS_CUT_CHARS.join('')}]'`),
].join(' OR ');

/** The order of the outbox's unique key (pixel_id, event, event_id), by code unit: any one order all replicas share. */
function compareKeys(a: NewOutboxEvent, b: NewOutboxEvent): number {
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return cmp(a.pixelId, b.pixelId) || cmp(a.event, b.event) || cmp(a.eventId, b.eventId);
}

export interface PgEventQueueOptions {
  /** This replica's name: what its claims are held under, and what it releases at start. */
  replica: string;
  /** How long a claim stays this replica's: past it, another replica may claim the row. */
  leaseMs: number;
}

/**
 * The `outbox` table of a PostgreSQL outbox, shared by replicas: a claim takes rows
 * no other replica holds (FOR UPDATE SKIP LOCKED) under this replica's name and a
 * lease, and only the holder settles them.
 */
export class PgEventQueue implements EventQueue {
  constructor(
    private readonly pool: Pool,
    private readonly opts: PgEventQueueOptions,
  ) {}

  /** One statement for the whole group commit: the rows new to the outbox come back, duplicates do not. */
  async insert(db: Queryable, given: NewOutboxEvent[], now: number): Promise<boolean[]> {
    if (given.length === 0) return [];
    // In key order: two replicas inserting the same keys take their locks in one order, and never wait on each other in a
    // circle (a deadlock PostgreSQL would break by failing one commit). The sort is stable: the first of repeated keys stays first.
    const events = [...given].sort((a, b) => compareKeys(a, b));
    const { rows } = await db.query<{ pixel_id: string; event: string; event_id: string }>(
      `INSERT INTO outbox (pixel_id, event, event_id, test_event_code, source, payload, event_time, next_attempt_at, created_at)
       SELECT p, e, i, t, s, j, et, $8, $8 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[]) AS r(p, e, i, t, s, j, et)
       ON CONFLICT (pixel_id, event, event_id) DO NOTHING
       RETURNING pixel_id, event, event_id`,
      [
        events.map((e) => e.pixelId),
        events.map((e) => e.event),
        events.map((e) => e.eventId),
        events.map((e) => e.testEventCode ?? ''),
        events.map((e) => e.source),
        events.map((e) => JSON.stringify(e.row)),
        events.map((e) => e.row.event_time),
        now,
      ],
    );
    // The first of repeated keys in one call is the one stored, as in the SQLite outbox.
    const key = (pixelId: string, event: string, eventId: string) => JSON.stringify([pixelId, event, eventId]);
    const inserted = new Set(rows.map((r) => key(r.pixel_id, r.event, r.event_id)));
    const stored = new Map(events.map((e) => [e, inserted.delete(key(e.pixelId, e.event, e.eventId))]));
    return given.map((e) => stored.get(e)!);
  }

  enqueue(events: NewOutboxEvent[], now: number): Promise<boolean[]> {
    return this.insert(this.pool, events, now);
  }

  async dueLanes(now: number, countLimit = 1000): Promise<DueLane[]> {
    const { rows } = await this.pool.query<{ pixelId: string; testEventCode: string; due: number; oldestDueAt: number }>(
      `WITH RECURSIVE ${lanesInState('pending_lanes', 'pending')}, ${lanesInState('flight_lanes', 'in_flight')},
       lanes AS (SELECT pixel_id, test_event_code FROM pending_lanes UNION SELECT pixel_id, test_event_code FROM flight_lanes)
       SELECT l.pixel_id AS "pixelId", l.test_event_code AS "testEventCode", LEAST(d.due, $2) AS due, d.oldest AS "oldestDueAt"
       FROM lanes l CROSS JOIN LATERAL (SELECT COUNT(*) AS due, MIN(due_at) AS oldest FROM (${DUE_IN_LANE}) x) d
       WHERE d.due > 0 ORDER BY l.pixel_id, l.test_event_code`,
      [now, countLimit],
    );
    return rows.map((r) => ({ ...r, lane: readLane(r.pixelId) }));
  }

  async claim(lane: LaneKey, now: number, limit: number): Promise<ClaimedEvent[]> {
    // Each candidate row is locked as it is read; a row another replica is claiming at this moment is skipped, not waited for.
    // A held lane, or one another replica probes, gives nothing: one primary-key lookup, evaluated once per claim.
    const { rows } = await this.pool.query<ClaimedEvent>(
      `WITH due AS (SELECT id, next_attempt_at AS due_at FROM outbox
                    WHERE state = 'pending' AND pixel_id = $1 AND test_event_code = $2 AND next_attempt_at <= $3 AND ${LANE_FREE}
                    ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED),
            abandoned AS (SELECT id, lease_until AS due_at FROM outbox
                    WHERE state = 'in_flight' AND pixel_id = $1 AND test_event_code = $2 AND lease_until < $3 AND ${LANE_FREE}
                    ORDER BY lease_until, id LIMIT $4 FOR UPDATE SKIP LOCKED),
            chosen AS (SELECT id FROM (SELECT * FROM due UNION ALL SELECT * FROM abandoned) c ORDER BY due_at, id LIMIT $4)
       UPDATE outbox o SET state = 'in_flight', attempts = o.attempts + 1, claimed_by = $5, lease_until = $3::bigint + $6::bigint
       FROM chosen WHERE o.id = chosen.id
       RETURNING o.id, o.pixel_id AS "pixelId", o.event, o.event_id AS "eventId", o.test_event_code AS "testEventCode", o.source, o.payload,
                 o.event_time AS "eventTime", o.attempts, o.created_at AS "createdAt"`,
      [lane.pixelId, lane.testEventCode, now, limit, this.opts.replica, this.opts.leaseMs],
    );
    // RETURNING gives no order; the queue's is the order of arrival.
    return rows.sort((a, b) => a.id - b.id);
  }

  async laneHolds(): Promise<HeldLane[]> {
    const { rows } = await this.pool.query<HeldLane>(
      `SELECT pixel_id AS "pixelId", test_event_code AS "testEventCode", ${HOLD_COLUMNS} FROM lane_holds ORDER BY pixel_id, test_event_code`,
    );
    return rows;
  }

  /** Replicas writing one lane's hold at once take turns (a lock on the lane's key for the transaction): each decides from the last one's hold. */
  holdLane(lane: LaneKey, next: (current: LaneHold | undefined) => LaneHold): Promise<LaneHold> {
    return inTransaction(this.pool, async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LANE_HOLD_LOCK_CLASS, JSON.stringify([lane.pixelId, lane.testEventCode])]);
      const { rows } = await tx.query<LaneHold>(`SELECT ${HOLD_COLUMNS} FROM lane_holds WHERE pixel_id = $1 AND test_event_code = $2`, [lane.pixelId, lane.testEventCode]);
      const hold = next(rows[0]);
      await tx.query(
        `INSERT INTO lane_holds (pixel_id, test_event_code, held_until, reason, code, message, streak, since, token_fingerprint)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (pixel_id, test_event_code) DO UPDATE SET held_until = EXCLUDED.held_until, reason = EXCLUDED.reason, code = EXCLUDED.code,
           message = EXCLUDED.message, streak = EXCLUDED.streak, since = EXCLUDED.since, token_fingerprint = EXCLUDED.token_fingerprint, probe_by = '', probe_until = 0`,
        [lane.pixelId, lane.testEventCode, hold.until, hold.reason, hold.code, hold.message, hold.streak, hold.since, hold.tokenFingerprint],
      );
      return hold;
    });
  }

  async clearLaneHold(lane: LaneKey, seen?: Pick<LaneHold, 'until' | 'streak'>): Promise<void> {
    await this.pool.query(
      `DELETE FROM lane_holds WHERE pixel_id = $1 AND test_event_code = $2 AND ($3::bigint IS NULL OR (held_until = $3 AND streak = $4))`,
      [lane.pixelId, lane.testEventCode, seen?.until ?? null, seen?.streak ?? null],
    );
  }

  /** One upsert of the pixel's row: replicas asking at once take turns on its lock, and each sees the count the last one left. */
  async takeRequestSlot(pixelId: string, now: number, perSecond: number): Promise<boolean> {
    const r = await this.pool.query(`${TAKE_REQUEST_SLOT('$1', '$2::bigint', '$3')} RETURNING used`, [pixelId, secondOf(now), perSecond]);
    return r.rowCount === 1;
  }

  /** One UPDATE of one row: of replicas asking at once, one takes the probe, the others wait for its row lock and then find it taken. */
  async takeProbe(lane: LaneKey, now: number, probeUntil: number): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE lane_holds SET probe_by = $3, probe_until = $5
       WHERE pixel_id = $1 AND test_event_code = $2 AND held_until <= $4 AND (probe_until <= $4 OR probe_by = $3)`,
      [lane.pixelId, lane.testEventCode, this.opts.replica, now, probeUntil],
    );
    return r.rowCount === 1;
  }

  private async settle(sql: string, ids: number[], params: unknown[]): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(sql, [ids, this.opts.replica, ...params]);
  }

  markDelivered(ids: number[], now: number): Promise<void> {
    return this.settle(`UPDATE outbox SET state = 'delivered', delivered_at = $3, payload = '{}', lease_until = NULL WHERE id = ANY($1) AND ${HELD}`, ids, [now]);
  }

  markRetry(ids: number[], nextAttemptAt: number, cause: RetryCause, detail: string): Promise<void> {
    return this.settle(
      `UPDATE outbox SET state = 'pending', next_attempt_at = $3, last_error = $4, lease_until = NULL WHERE id = ANY($1) AND ${HELD}`,
      ids,
      [nextAttemptAt, storedError(`${cause}: ${detail}`)],
    );
  }

  markDead(ids: number[], code: number | null, message: string, now: number): Promise<void> {
    return this.settle(
      `UPDATE outbox SET state = 'dead', error_code = $3, last_error = $4, delivered_at = $5, lease_until = NULL
       WHERE id = ANY($1) AND (${HELD} OR state = 'pending')`,
      ids,
      [code, storedError(message), now],
    );
  }

  markPaused(ids: number[], nextAttemptAt: number, reason: string): Promise<void> {
    return this.settle(
      `UPDATE outbox SET state = 'pending', next_attempt_at = $3, last_error = $4, attempts = GREATEST(attempts - 1, 0), lease_until = NULL
       WHERE id = ANY($1) AND ${HELD}`,
      ids,
      [nextAttemptAt, storedError(reason)],
    );
  }

  /** Only this replica's rows: another replica's come back when their lease ends. */
  async releaseInFlight(): Promise<number> {
    const r = await this.pool.query(`UPDATE outbox SET state = 'pending', lease_until = NULL WHERE state = 'in_flight' AND claimed_by = $1`, [this.opts.replica]);
    return r.rowCount ?? 0;
  }

  async rescheduleLaterThan(latest: number, now: number): Promise<number> {
    const r = await this.pool.query(`UPDATE outbox SET next_attempt_at = $1 WHERE state = 'pending' AND next_attempt_at > $2`, [now, latest]);
    return r.rowCount ?? 0;
  }

  async prune(deliveredBefore: number): Promise<number> {
    // Rows of Purchases and other sources' events not yet reported back to Odoo stay until they are.
    const r = await this.pool.query(
      `DELETE FROM outbox WHERE state = 'delivered' AND delivered_at < $1
       AND NOT EXISTS (SELECT 1 FROM purchase_claims c WHERE c.pixel_id = outbox.pixel_id AND c.event = outbox.event AND c.event_id = outbox.event_id)
       AND NOT EXISTS (SELECT 1 FROM source_claims s WHERE s.event_id = outbox.event_id AND s.pixel_id = outbox.pixel_id AND s.event = outbox.event)`,
      [deliveredBefore],
    );
    return r.rowCount ?? 0;
  }

  async counts(): Promise<Record<OutboxState, number>> {
    // One partial index per state: a GROUP BY would read every row kept for retention.
    const { rows } = await this.pool.query<Record<OutboxState, number>>(
      `SELECT ${OUTBOX_STATES.map((s) => `(SELECT COUNT(*) FROM outbox WHERE state = '${s}') AS ${s}`).join(', ')}`,
    );
    return { ...rows[0] };
  }

  /** The next pending row's time, or the end of the first lease to run out (a replica that left rows in flight). */
  async nextAttemptAt(): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ t: number | null }>(
      `SELECT LEAST((SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending'),
                    (SELECT MIN(lease_until) + 1 FROM outbox WHERE state = 'in_flight')) AS t`,
    );
    return rows[0].t ?? undefined;
  }

  async deadLetters(limit: number): Promise<DeadLetter[]> {
    const { rows } = await this.pool.query<DeadLetter>(
      `SELECT id, pixel_id AS "pixelId", event, event_id AS "eventId", event_time AS "eventTime", error_code AS "errorCode", last_error AS "lastError",
              attempts, created_at AS "createdAt", delivered_at AS "deadAt"
       FROM outbox WHERE state = 'dead' ORDER BY delivered_at DESC, id DESC LIMIT $1`,
      [limit],
    );
    return rows;
  }

  async requeueDead(now: number): Promise<number> {
    const r = await this.pool.query(`UPDATE outbox SET state = 'pending', next_attempt_at = $1, attempts = 0 WHERE state = 'dead'`, [now]);
    return r.rowCount ?? 0;
  }

  async requeueDeadLetters(ids: readonly number[], now: number): Promise<number> {
    if (ids.length === 0) return 0;
    const r = await this.pool.query(
      `UPDATE outbox SET state = 'pending', next_attempt_at = $1, attempts = 0, delivered_at = NULL WHERE id = ANY($2) AND state = 'dead'`,
      [now, ids],
    );
    return r.rowCount ?? 0;
  }

  /** A dead letter of this (pixel, event, event_id), if any, back in the queue with the fresh payload, as a first attempt. */
  async reviveDead(db: Queryable, e: NewOutboxEvent, now: number): Promise<void> {
    await db.query(
      `UPDATE outbox SET state = 'pending', payload = $1, event_time = $2, next_attempt_at = $3, attempts = 0, error_code = NULL, last_error = NULL,
              delivered_at = NULL WHERE pixel_id = $4 AND event = $5 AND event_id = $6 AND state = 'dead'`,
      [JSON.stringify(e.row), e.row.event_time, now, e.pixelId, e.event, e.eventId],
    );
  }

  async scrubDeadLetters(deadBefore: number, limit: number): Promise<number> {
    // The outbox_dead index keeps each pass to the dead letters, not the whole outbox.
    const r = await this.pool.query(
      `UPDATE outbox SET payload = (${SCRUBBED_PAYLOAD})::text
       WHERE id IN (SELECT id FROM outbox WHERE state = 'dead' AND delivered_at < $1 AND (${NOT_YET_SCRUBBED}) LIMIT $2)`,
      [deadBefore, limit],
    );
    return r.rowCount ?? 0;
  }

  async waitingCount(pixelId: string, limit: number): Promise<number> {
    // Two bounded index range scans (outbox_due, outbox_in_flight), whatever the backlog.
    const { rows } = await this.pool.query<{ n: number }>(
      `SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM outbox WHERE state = 'pending' AND pixel_id = $1 LIMIT $2) p)
            + (SELECT COUNT(*) FROM (SELECT 1 FROM outbox WHERE state = 'in_flight' AND pixel_id = $1 LIMIT $2) f) AS n`,
      [pixelId, limit],
    );
    return rows[0].n;
  }
}
