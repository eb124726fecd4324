import type { Pool } from 'pg';
import { outboxTooNew } from '../migrations';
import { inTransaction, type Queryable } from './db';

/**
 * The PostgreSQL outbox schema as numbered steps: step N (position N - 1) brings a
 * database from version N - 1 to N (the one row of `outbox_schema`). A released step
 * is never edited; a change is a new step. The meaning is the SQLite schema's
 * (migrations.ts) in PostgreSQL types: epoch milliseconds as BIGINT, the payload as
 * the exact JSON text the dispatcher sends. What replicas sharing the database add:
 * who holds a row in flight and until when (`claimed_by`, `lease_until`), and one
 * write-probe row per replica so their /healthz probes do not contend on one row.
 */
export const PG_MIGRATIONS: readonly string[] = [
  // 1: the first PostgreSQL schema.
  `
CREATE TABLE outbox (
  id              BIGSERIAL PRIMARY KEY,
  pixel_id        TEXT    NOT NULL,
  event           TEXT    NOT NULL,
  event_id        TEXT    NOT NULL,
  test_event_code TEXT    NOT NULL DEFAULT '',
  source          TEXT    NOT NULL,
  payload         TEXT    NOT NULL,
  event_time      BIGINT  NOT NULL,
  state           TEXT    NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'in_flight', 'delivered', 'dead')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT  NOT NULL,
  error_code      BIGINT,
  last_error      TEXT,
  created_at      BIGINT  NOT NULL,
  delivered_at    BIGINT,
  claimed_by      TEXT,
  lease_until     BIGINT,
  UNIQUE (pixel_id, event, event_id)
);
-- The due scan and the claim of pending rows, per lane, in due order; its leading columns list the lanes.
CREATE INDEX outbox_due ON outbox (pixel_id, test_event_code, next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_next ON outbox (next_attempt_at) WHERE state = 'pending';
-- Rows in flight per lane by the end of their lease: the claim of rows a replica left behind.
CREATE INDEX outbox_in_flight ON outbox (pixel_id, test_event_code, lease_until) WHERE state = 'in_flight';
CREATE INDEX outbox_delivered ON outbox (delivered_at) WHERE state = 'delivered';
CREATE INDEX outbox_dead ON outbox (delivered_at) WHERE state = 'dead';
CREATE TABLE purchase_claims (
  order_id   BIGINT  PRIMARY KEY,
  pixel_id   TEXT    NOT NULL,
  event      TEXT    NOT NULL,
  event_id   TEXT    NOT NULL,
  claimed_at BIGINT  NOT NULL,
  reported   TEXT
);
CREATE TABLE source_claims (
  event_id   TEXT    PRIMARY KEY,
  pixel_id   TEXT    NOT NULL,
  event      TEXT    NOT NULL,
  claimed_at BIGINT  NOT NULL,
  reported   TEXT
);
-- The settings last read from Odoo: every replica reads the same Odoo, one row is theirs to share.
CREATE TABLE settings_snapshot (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  json       TEXT    NOT NULL,
  saved_at   BIGINT  NOT NULL
);
CREATE TABLE write_probe (
  replica    TEXT    PRIMARY KEY,
  at         BIGINT  NOT NULL
);
`,
  // 2: the replica that holds each claim in Odoo. Odoo takes an outcome only from the
  // claim's holder; another replica reporting it, and then forgetting the claim,
  // would leave Odoo waiting for its lease to end. Claims stored before have none: anyone's.
  `
ALTER TABLE purchase_claims ADD COLUMN held_by TEXT;
ALTER TABLE source_claims ADD COLUMN held_by TEXT;
`,
  // 3: lane holds shared by every replica: a lane one replica paused (or TikTok
  // rate-limited) is skipped by every replica's claim until the hold ends, then
  // probed by one replica (probe_by, probe_until). Its primary key is the claim's lookup.
  `
CREATE TABLE lane_holds (
  pixel_id          TEXT    NOT NULL,
  test_event_code   TEXT    NOT NULL,
  held_until        BIGINT  NOT NULL,
  reason            TEXT    NOT NULL,
  code              INTEGER,
  message           TEXT    NOT NULL,
  streak            INTEGER NOT NULL,
  since             BIGINT  NOT NULL,
  token_fingerprint TEXT    NOT NULL DEFAULT '',
  probe_by          TEXT    NOT NULL DEFAULT '',
  probe_until       BIGINT  NOT NULL DEFAULT 0,
  PRIMARY KEY (pixel_id, test_event_code)
);
-- The requests sent per pixel in the current second, when TIKTOK_MAX_REQUESTS_PER_SECOND caps them.
CREATE TABLE pixel_request_windows (
  pixel_id     TEXT    PRIMARY KEY,
  window_start BIGINT  NOT NULL,
  used         INTEGER NOT NULL
);
`,
];

/** Any value fixed for this project: the key of the lock that lets one opener at a time migrate. */
export const MIGRATION_LOCK_KEY = 7_318_604_201_993;

/** The database's version; 0 for a database without the outbox yet. Inside the migration lock (creates the table). */
async function versionOf(db: Queryable): Promise<number> {
  await db.query(`CREATE TABLE IF NOT EXISTS outbox_schema (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)`);
  const { rows } = await db.query<{ version: number }>(`SELECT version FROM outbox_schema WHERE id = 1`);
  return rows[0]?.version ?? 0;
}

/**
 * Bring the database to the last step's version, each step in one transaction with
 * its version number. The transaction first takes an advisory lock held until it
 * ends, then reads the version: replicas starting together wait for each other,
 * and each step is applied once. A database of a newer release is refused before
 * anything in it changes. `where` names it without its password.
 */
export async function migratePg(pool: Pool, where: string, steps: readonly string[] = PG_MIGRATIONS): Promise<void> {
  for (let done = false; !done; ) {
    done = await inTransaction(pool, async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      const found = await versionOf(tx);
      if (found > steps.length) throw outboxTooNew(`the outbox ${where}`, found, steps.length, 'the database');
      if (found === steps.length) return true;
      await tx.query(steps[found]);
      await tx.query(`INSERT INTO outbox_schema (id, version) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version`, [found + 1]);
      return false;
    });
  }
}

/** What `doctor` says of a PostgreSQL outbox without changing it: its schema version against this release's, and whether the user may create the tables. */
export async function inspectPgOutbox(db: Queryable, steps: readonly string[] = PG_MIGRATIONS): Promise<{ ok: boolean; detail: string }> {
  const { rows } = await db.query<{ present: boolean; can_create: boolean }>(
    `SELECT to_regclass('outbox_schema') IS NOT NULL AS present, has_schema_privilege(current_schema(), 'CREATE') AS can_create`,
  );
  const { present, can_create: canCreate } = rows[0];
  const version = present ? ((await db.query<{ version: number }>(`SELECT version FROM outbox_schema WHERE id = 1`)).rows[0]?.version ?? 0) : 0;
  if (version > steps.length) return { ok: false, detail: `schema version ${version} is newer than this sidecar knows (${steps.length}): a newer release wrote it` };
  if (version === steps.length) return { ok: true, detail: `schema version ${version}, current` };
  if (!canCreate) return { ok: false, detail: 'the user may not create the outbox tables in its schema: grant it CREATE' };
  return { ok: true, detail: version === 0 ? 'empty: the sidecar creates its tables at start' : `schema version ${version}: the sidecar upgrades it at start` };
}
