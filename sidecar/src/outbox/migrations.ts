import type Database from 'better-sqlite3';

/**
 * The outbox schema as numbered steps: step N (position N - 1) brings a file from
 * `PRAGMA user_version` N - 1 to N. A released step is never edited; a change is a
 * new step. In TypeScript, not .sql files, so the compiled and bundled sidecar carry them.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the first release's schema, verbatim. It set no version: its files open at
  // user_version 0, and this step finds every object there already.
  `
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
`,
  // 2: the /healthz write probe's row, and the index that keeps each dead-letter scrub
  // pass to the dead letters. IF NOT EXISTS: builds before versioning made them on first use.
  `
CREATE TABLE IF NOT EXISTS write_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS outbox_dead ON outbox (delivered_at) WHERE state = 'dead';
`,
  // 3: the outcome last reported to Odoo for a claim. A Purchase reported refused
  // keeps its claim: sent again from the dead letters and delivered, it is reported sent.
  `
ALTER TABLE purchase_claims ADD COLUMN reported TEXT;
`,
  // 4: claims of events of other sources (CRM stages, offline sales), keyed by their
  // event id in Odoo, with the outcome last reported; the outbox row keeps its lane.
  `
CREATE TABLE IF NOT EXISTS source_claims (
  event_id   TEXT    PRIMARY KEY,
  pixel_id   TEXT    NOT NULL,
  event      TEXT    NOT NULL,
  claimed_at INTEGER NOT NULL,
  reported   TEXT
);
`,
  // 5: lane holds (a lane paused, or rate-limited by TikTok), one row per lane: the
  // claim skips a held lane's rows. One process uses a file, but the rule is the
  // PostgreSQL outbox's, where every replica reads the same row.
  `
CREATE TABLE IF NOT EXISTS lane_holds (
  pixel_id          TEXT    NOT NULL,
  test_event_code   TEXT    NOT NULL,
  held_until        INTEGER NOT NULL,
  reason            TEXT    NOT NULL,
  code              INTEGER,
  message           TEXT    NOT NULL,
  streak            INTEGER NOT NULL,
  since             INTEGER NOT NULL,
  token_fingerprint TEXT    NOT NULL DEFAULT '',
  probe_by          TEXT    NOT NULL DEFAULT '',
  probe_until       INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (pixel_id, test_event_code)
);
-- The requests sent per pixel in the current second, when TIKTOK_MAX_REQUESTS_PER_SECOND caps them.
CREATE TABLE IF NOT EXISTS pixel_request_windows (
  pixel_id     TEXT    PRIMARY KEY,
  window_start INTEGER  NOT NULL,
  used         INTEGER NOT NULL
);
`,
];

/** The file was written by a newer release: its schema may mean things this code does not know. */
export class OutboxTooNewError extends Error {}

/** The refusal of an outbox (`where`, with no secret in it) at schema version `found` by code that knows `known` steps. */
export function outboxTooNew(where: string, found: number, known: number, what: 'the file' | 'the database'): OutboxTooNewError {
  return new OutboxTooNewError(
    `${where} has schema version ${found}, newer than this sidecar knows (${known}): a newer release wrote it. ` +
      `Run that release (or a later one); ${what} was left as it is.`,
  );
}

const versionOf = (db: Database.Database) => db.pragma('user_version', { simple: true }) as number;

/**
 * Bring the file to the last step's version, each step with its version number in
 * one transaction. IMMEDIATE takes the write lock before the version is read again,
 * so two processes opening the same file cannot both apply a step.
 */
export function migrate(db: Database.Database, file: string, steps: readonly string[] = MIGRATIONS): void {
  const found = versionOf(db);
  if (found > steps.length) {
    throw outboxTooNew(`the outbox ${file}`, found, steps.length, 'the file');
  }
  steps.forEach((sql, i) => {
    const version = i + 1;
    if (version <= found) return;
    db.transaction(() => {
      if (versionOf(db) >= version) return;
      db.exec(sql);
      db.pragma(`user_version = ${version}`);
    }).immediate();
  });
}
