import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import type { TikTokEventRow } from '../tiktok/types';

export type OutboxState = 'pending' | 'in_flight' | 'delivered' | 'dead';
export type EventSource = 'browser' | 'server';

export interface NewOutboxEvent {
  pixelId: string;
  /** The name TikTok receives (already resolved from the canonical key). */
  event: string;
  eventId: string;
  testEventCode?: string;
  source: EventSource;
  row: TikTokEventRow;
}

export interface OutboxRow {
  id: number;
  pixelId: string;
  event: string;
  eventId: string;
  testEventCode: string;
  source: EventSource;
  /** The `data[]` row as stored JSON text: the dispatcher sends it without parsing it again. */
  payload: string;
  /** Parsed on demand (diagnostics, tests). */
  readonly row: TikTokEventRow;
  eventTime: number;
  attempts: number;
  createdAt: number;
}

export interface DeadLetter {
  id: number;
  pixelId: string;
  event: string;
  eventId: string;
  errorCode: number | null;
  lastError: string | null;
  attempts: number;
  createdAt: number;
}

/** One lane of the dispatcher: TikTok batches per pixel, and test traffic goes apart. */
export interface DueGroup {
  pixelId: string;
  testEventCode: string;
  due: number;
  /** When the longest-waiting due event became due (its creation time, for a first attempt). */
  oldestCreatedAt: number;
}

export interface EnqueueResult {
  inserted: number;
  duplicates: number;
}

export function summarizeEnqueue(stored: boolean[]): EnqueueResult {
  const inserted = stored.filter(Boolean).length;
  return { inserted, duplicates: stored.length - inserted };
}

/** A Purchase claimed in Odoo, to be reported back once TikTok settled it. */
export interface PurchaseClaim {
  orderId: number;
  event: NewOutboxEvent;
}

export interface SettledClaim {
  orderId: number;
  outcome: 'delivered' | 'dead';
}

export interface OutboxStore {
  /** Store events durably; one flag per event: true when new, false when its (pixel, event, event_id) was already there. */
  enqueue(events: NewOutboxEvent[], now: number): boolean[];
  dueGroups(now: number, countLimit?: number): DueGroup[];
  claim(group: { pixelId: string; testEventCode: string }, now: number, limit: number): OutboxRow[];
  markDelivered(ids: number[], now: number): void;
  markRetry(ids: number[], nextAttemptAt: number, error: string): void;
  markDead(ids: number[], code: number | null, message: string, now: number): void;
  /** In-flight rows of a previous process go back to pending: their send may or may not have landed. */
  releaseInFlight(): number;
  prune(deliveredBefore: number): number;
  counts(): Record<OutboxState, number>;
  nextAttemptAt(): number | undefined;
  deadLetters(limit: number): DeadLetter[];
  requeueDead(now: number, ids?: number[]): number;
  /** Store Purchases and remember which Odoo order each came from, in one transaction. */
  enqueueClaims(claims: PurchaseClaim[], now: number): boolean[];
  /** Claims whose event TikTok has accepted or refused for good. */
  settledClaims(limit: number): SettledClaim[];
  forgetClaims(orderIds: number[]): void;
  /** The last website settings read from Odoo, without tokens, for a start while Odoo is down. */
  saveSettingsSnapshot(json: string, now: number): void;
  loadSettingsSnapshot(): string | undefined;
  close(): void;
  /**
   * Dead letters parked before `deadBefore` keep what explains them (event, id,
   * time, TikTok's code and message) and lose what may identify a person: the
   * whole `user` object and the query string of page addresses. At most `limit`
   * rows per call; returns how many changed, 0 once every one is scrubbed.
   */
  scrubDeadLetters(deadBefore: number, limit: number): number;
  /** Events of a pixel not settled yet (pending or in flight), counted up to `limit`: the relay's outbox cap. */
  waitingCount(pixelId: string, limit: number): number;
  /** One tiny committed write; throws when the file takes no writes (disk full, read-only, I/O error). */
  probeWrite(now: number): void;
  /**
   * Back to pending without counting the claim as an attempt: the lane paused for
   * a problem of the request (token, address), so the rows were never judged.
   */
  markPaused(ids: number[], nextAttemptAt: number, reason: string): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  pixel_id        TEXT    NOT NULL,
  event           TEXT    NOT NULL,
  event_id        TEXT    NOT NULL,
  test_event_code TEXT    NOT NULL DEFAULT '',
  source          TEXT    NOT NULL,
  payload         TEXT    NOT NULL,
  event_time      INTEGER NOT NULL,
  state           TEXT    NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'in_flight', 'delivered', 'dead')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  error_code      INTEGER,
  last_error      TEXT,
  created_at      INTEGER NOT NULL,
  delivered_at    INTEGER,
  UNIQUE (pixel_id, event, event_id)
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (pixel_id, test_event_code, next_attempt_at) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS outbox_next ON outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS outbox_delivered ON outbox (delivered_at) WHERE state = 'delivered';
CREATE TABLE IF NOT EXISTS purchase_claims (
  order_id   INTEGER PRIMARY KEY,
  pixel_id   TEXT    NOT NULL,
  event      TEXT    NOT NULL,
  event_id   TEXT    NOT NULL,
  claimed_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS settings_snapshot (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  json       TEXT    NOT NULL,
  saved_at   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_in_flight ON outbox (state) WHERE state = 'in_flight';
`;

interface RawRow {
  id: number;
  event_time: number;
  pixel_id: string;
  event: string;
  event_id: string;
  test_event_code: string;
  source: EventSource;
  payload: string;
  attempts: number;
  created_at: number;
}

function laneKey(lane: { pixelId: string; testEventCode: string }): string {
  return `${lane.pixelId}\u0000${lane.testEventCode}`;
}

export interface SqliteOutboxOptions {
  /** `full` fsyncs every commit (survives power loss); `normal` survives a process crash. */
  synchronous?: 'full' | 'normal';
}

/** The outbox in an embedded SQLite file in WAL mode. */
export class SqliteOutboxStore implements OutboxStore {
  private readonly db: Database.Database;
  private readonly stmt;

  constructor(file: string, opts: SqliteOutboxOptions = {}) {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${opts.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.stmt = {
      insert: this.db.prepare(
        `INSERT OR IGNORE INTO outbox (pixel_id, event, event_id, test_event_code, source, payload, event_time, next_attempt_at, created_at)
         VALUES (@pixelId, @event, @eventId, @testEventCode, @source, @payload, @eventTime, @now, @now)`,
      ),
      lanes: this.db.prepare(`SELECT DISTINCT pixel_id AS pixelId, test_event_code AS testEventCode FROM outbox WHERE state IN ('pending', 'in_flight')`),
      // Both lane queries are bounded index range scans, whatever the backlog (a long TikTok outage).
      laneDue: this.db.prepare(
        `SELECT COUNT(*) AS due FROM (SELECT 1 FROM outbox WHERE state = 'pending' AND pixel_id = ? AND test_event_code = ? AND next_attempt_at <= ? LIMIT ?)`,
      ),
      laneOldest: this.db.prepare(
        `SELECT next_attempt_at AS t FROM outbox WHERE state = 'pending' AND pixel_id = ? AND test_event_code = ? ORDER BY next_attempt_at LIMIT 1`,
      ),
      claim: this.db.prepare(
        `UPDATE outbox SET state = 'in_flight', attempts = attempts + 1
         WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' AND pixel_id = ? AND test_event_code = ? AND next_attempt_at <= ?
                      ORDER BY next_attempt_at LIMIT ?)
         RETURNING id, pixel_id, event, event_id, test_event_code, source, payload, event_time, attempts, created_at`,
      ),
      // Batches of up to 1,000 ids are passed as one JSON array: one statement per batch.
      delivered: this.db.prepare(
        `UPDATE outbox SET state = 'delivered', delivered_at = ?, payload = '{}' WHERE id IN (SELECT value FROM json_each(?)) AND state = 'in_flight'`,
      ),
      retry: this.db.prepare(
        `UPDATE outbox SET state = 'pending', next_attempt_at = ?, last_error = ? WHERE id IN (SELECT value FROM json_each(?)) AND state = 'in_flight'`,
      ),
      dead: this.db.prepare(
        `UPDATE outbox SET state = 'dead', error_code = ?, last_error = ?, delivered_at = ?
         WHERE id IN (SELECT value FROM json_each(?)) AND state IN ('in_flight', 'pending')`,
      ),
      release: this.db.prepare(`UPDATE outbox SET state = 'pending' WHERE state = 'in_flight'`),
      // Rows of Purchases not yet reported back to Odoo stay until they are.
      prune: this.db.prepare(
        `DELETE FROM outbox WHERE state = 'delivered' AND delivered_at < ?
         AND NOT EXISTS (SELECT 1 FROM purchase_claims c WHERE c.pixel_id = outbox.pixel_id AND c.event = outbox.event AND c.event_id = outbox.event_id)`,
      ),
      counts: this.db.prepare(`SELECT state, COUNT(*) AS n FROM outbox GROUP BY state`),
      nextAttempt: this.db.prepare(`SELECT MIN(next_attempt_at) AS t FROM outbox WHERE state = 'pending'`),
      deadLetters: this.db.prepare(
        `SELECT id, pixel_id AS pixelId, event, event_id AS eventId, error_code AS errorCode, last_error AS lastError, attempts, created_at AS createdAt
         FROM outbox WHERE state = 'dead' ORDER BY id DESC LIMIT ?`,
      ),
      insertClaim: this.db.prepare(
        `INSERT OR REPLACE INTO purchase_claims (order_id, pixel_id, event, event_id, claimed_at) VALUES (?, ?, ?, ?, ?)`,
      ),
      settledClaims: this.db.prepare(
        `SELECT c.order_id AS orderId, o.state AS outcome FROM purchase_claims c
         JOIN outbox o ON o.pixel_id = c.pixel_id AND o.event = c.event AND o.event_id = c.event_id
         WHERE o.state IN ('delivered', 'dead') LIMIT ?`,
      ),
      forgetClaim: this.db.prepare(`DELETE FROM purchase_claims WHERE order_id = ?`),
      // Odoo hands out an order again only when it wants it sent (an administrator's
      // "send again", or a report of its earlier refusal that never arrived): a dead
      // letter of it goes back in the queue with the fresh payload.
      reviveDead: this.db.prepare(
        `UPDATE outbox SET state = 'pending', payload = @payload, event_time = @eventTime, attempts = 0, next_attempt_at = @now,
                error_code = NULL, last_error = NULL, delivered_at = NULL
         WHERE pixel_id = @pixelId AND event = @event AND event_id = @eventId AND state = 'dead'`,
      ),
      saveSnapshot: this.db.prepare(`INSERT OR REPLACE INTO settings_snapshot (id, json, saved_at) VALUES (1, ?, ?)`),
      loadSnapshot: this.db.prepare(`SELECT json FROM settings_snapshot WHERE id = 1`),
      requeueAll: this.db.prepare(`UPDATE outbox SET state = 'pending', next_attempt_at = ?, attempts = 0 WHERE state = 'dead'`),
      requeueOne: this.db.prepare(`UPDATE outbox SET state = 'pending', next_attempt_at = ?, attempts = 0 WHERE state = 'dead' AND id = ?`),
      paused: this.db.prepare(
        `UPDATE outbox SET state = 'pending', next_attempt_at = ?, last_error = ?, attempts = MAX(attempts - 1, 0)
         WHERE id IN (SELECT value FROM json_each(?)) AND state = 'in_flight'`,
      ),
    };
  }

  enqueue(events: NewOutboxEvent[], now: number): boolean[] {
    const stored: boolean[] = [];
    const lanes = this.knownLanes();
    for (const e of events) {
      const lane = { pixelId: e.pixelId, testEventCode: e.testEventCode ?? '' };
      if (!lanes.has(laneKey(lane))) lanes.set(laneKey(lane), lane);
    }
    this.db.transaction(() => {
      for (const e of events) {
        const info = this.stmt.insert.run({
          pixelId: e.pixelId,
          event: e.event,
          eventId: e.eventId,
          testEventCode: e.testEventCode ?? '',
          source: e.source,
          payload: JSON.stringify(e.row),
          eventTime: e.row.event_time,
          now,
        });
        stored.push(info.changes === 1);
      }
    })();
    return stored;
  }

  /** Lanes seen since start or left from a previous run; few (one per pixel, plus test traffic). */
  private lanes?: Map<string, { pixelId: string; testEventCode: string }>;

  private knownLanes(): Map<string, { pixelId: string; testEventCode: string }> {
    if (!this.lanes) {
      const rows = this.stmt.lanes.all() as { pixelId: string; testEventCode: string }[];
      this.lanes = new Map(rows.map((l) => [laneKey(l), l]));
    }
    return this.lanes;
  }

  /**
   * Due lanes with how many events are due (counted up to `countLimit`) and since when
   * the oldest one has been due (its next attempt time: creation for a fresh event).
   */
  dueGroups(now: number, countLimit = 1000): DueGroup[] {
    const groups: DueGroup[] = [];
    for (const lane of this.knownLanes().values()) {
      const { due } = this.stmt.laneDue.get(lane.pixelId, lane.testEventCode, now, countLimit) as { due: number };
      if (due === 0) continue;
      const { t } = this.stmt.laneOldest.get(lane.pixelId, lane.testEventCode) as { t: number };
      groups.push({ ...lane, due, oldestCreatedAt: t });
    }
    return groups;
  }

  claim(group: { pixelId: string; testEventCode: string }, now: number, limit: number): OutboxRow[] {
    const rows = this.stmt.claim.all(group.pixelId, group.testEventCode, now, limit) as RawRow[];
    return rows
      .map((r) => ({
        id: r.id,
        pixelId: r.pixel_id,
        event: r.event,
        eventId: r.event_id,
        testEventCode: r.test_event_code,
        source: r.source,
        payload: r.payload,
        get row(): TikTokEventRow {
          return JSON.parse(r.payload) as TikTokEventRow;
        },
        eventTime: r.event_time,
        attempts: r.attempts,
        createdAt: r.created_at,
      }))
      .sort((a, b) => a.id - b.id);
  }

  markDelivered(ids: number[], now: number): void {
    this.stmt.delivered.run(now, JSON.stringify(ids));
  }

  markRetry(ids: number[], nextAttemptAt: number, error: string): void {
    this.stmt.retry.run(nextAttemptAt, error.slice(0, 1000), JSON.stringify(ids));
  }

  markDead(ids: number[], code: number | null, message: string, now: number): void {
    this.stmt.dead.run(code, message.slice(0, 1000), now, JSON.stringify(ids));
  }

  releaseInFlight(): number {
    return this.stmt.release.run().changes;
  }

  prune(deliveredBefore: number): number {
    return this.stmt.prune.run(deliveredBefore).changes;
  }

  counts(): Record<OutboxState, number> {
    const counts: Record<OutboxState, number> = { pending: 0, in_flight: 0, delivered: 0, dead: 0 };
    for (const { state, n } of this.stmt.counts.all() as { state: OutboxState; n: number }[]) counts[state] = n;
    return counts;
  }

  nextAttemptAt(): number | undefined {
    const { t } = this.stmt.nextAttempt.get() as { t: number | null };
    return t ?? undefined;
  }

  deadLetters(limit: number): DeadLetter[] {
    return this.stmt.deadLetters.all(limit) as DeadLetter[];
  }

  requeueDead(now: number, ids?: number[]): number {
    this.lanes = undefined; // requeued rows may belong to lanes not seen since start
    if (!ids) return this.stmt.requeueAll.run(now).changes;
    let n = 0;
    this.db.transaction(() => ids.forEach((id) => (n += this.stmt.requeueOne.run(now, id).changes)))();
    return n;
  }

  enqueueClaims(claims: PurchaseClaim[], now: number): boolean[] {
    return this.db.transaction(() => {
      const stored = this.enqueue(claims.map((c) => c.event), now);
      claims.forEach((c, i) => {
        this.stmt.insertClaim.run(c.orderId, c.event.pixelId, c.event.event, c.event.eventId, now);
        if (stored[i]) return;
        const { pixelId, event, eventId, row } = c.event;
        if (this.stmt.reviveDead.run({ pixelId, event, eventId, payload: JSON.stringify(row), eventTime: row.event_time, now }).changes) {
          this.lanes = undefined; // the revived row's lane may not be known since start
        }
      });
      return stored;
    })();
  }

  settledClaims(limit: number): SettledClaim[] {
    return this.stmt.settledClaims.all(limit) as SettledClaim[];
  }

  forgetClaims(orderIds: number[]): void {
    this.db.transaction(() => orderIds.forEach((id) => this.stmt.forgetClaim.run(id)))();
  }

  saveSettingsSnapshot(json: string, now: number): void {
    this.stmt.saveSnapshot.run(json, now);
  }

  loadSettingsSnapshot(): string | undefined {
    return (this.stmt.loadSnapshot.get() as { json: string } | undefined)?.json;
  }

  close(): void {
    this.db.close();
  }

  private scrubStatement?: Database.Statement<[number, number]>;

  scrubDeadLetters(deadBefore: number, limit: number): number {
    if (!this.scrubStatement) {
      // Dead letters are few; this index keeps each pass to them, not the whole outbox.
      this.db.exec(`CREATE INDEX IF NOT EXISTS outbox_dead ON outbox (delivered_at) WHERE state = 'dead'`);
      this.scrubStatement = this.db.prepare(
        `UPDATE outbox SET payload = ${SCRUBBED_PAYLOAD}
         WHERE id IN (SELECT id FROM outbox WHERE state = 'dead' AND delivered_at < ? AND (${NOT_YET_SCRUBBED}) LIMIT ?)`,
      );
    }
    return this.scrubStatement.run(deadBefore, limit).changes;
  }

  private waitingStmt?: Database.Statement;

  waitingCount(pixelId: string, limit: number): number {
    // Two bounded index range scans (outbox_due, outbox_in_flight), whatever the backlog.
    this.waitingStmt ??= this.db.prepare(
      `SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM outbox WHERE state = 'pending' AND pixel_id = @pixelId LIMIT @limit))
            + (SELECT COUNT(*) FROM (SELECT 1 FROM outbox WHERE state = 'in_flight' AND pixel_id = @pixelId LIMIT @limit)) AS n`,
    );
    return (this.waitingStmt.get({ pixelId, limit }) as { n: number }).n;
  }

  probeWrite(now: number): void {
    this.db.exec(`CREATE TABLE IF NOT EXISTS write_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL)`);
    this.db.prepare(`INSERT OR REPLACE INTO write_probe (id, at) VALUES (1, ?)`).run(now);
  }

  markPaused(ids: number[], nextAttemptAt: number, reason: string): void {
    this.stmt.paused.run(nextAttemptAt, reason.slice(0, 1000), JSON.stringify(ids));
  }
}

/** Where a stored row keeps page addresses; their query strings may carry personal data. */
const PAGE_ADDRESSES = ['$.page.url', '$.page.referrer'];

/** SQL: the stored address at `jsonPath`, cut before its query string or fragment (NULL when absent). */
function addressWithoutQuery(jsonPath: string): string {
  const address = `json_extract(payload, '${jsonPath}')`;
  return `substr(${address}, 1, min(instr(${address} || '?', '?'), instr(${address} || '#', '#')) - 1)`;
}

/** json_replace leaves absent paths absent: a row without a referrer does not get one. */
const SCRUBBED_PAYLOAD = `json_replace(json_remove(payload, '$.user'), ${PAGE_ADDRESSES.map((p) => `'${p}', ${addressWithoutQuery(p)}`).join(', ')})`;

const NOT_YET_SCRUBBED = [
  `json_type(payload, '$.user') IS NOT NULL`,
  ...PAGE_ADDRESSES.map((p) => `${addressWithoutQuery(p)} IS NOT json_extract(payload, '${p}')`),
].join(' OR ');
