/**
 * What can still be read from a damaged outbox file, copied into a fresh one. A
 * few corrupt pages lose the rows they hold, not the file: every table is read in
 * rowid order, and a stretch that cannot be read is stepped over (found by
 * doubling, then narrowed by halving, so a hole costs a few dozen reads whatever
 * its size). Each row is checked before it is kept. Counts only, never a row's
 * content, are reported.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { MIGRATIONS } from './migrations';
import { OUTBOX_STATES, type OutboxState } from './eventQueue';

export interface SalvageReport {
  /** Outbox rows copied, by state (in flight ones are pending again). */
  events: Record<Exclude<OutboxState, 'in_flight'>, number>;
  purchaseClaims: number;
  sourceClaims: number;
  settingsSnapshot: boolean;
  /** Stretches of rows that could not be read, over every table. */
  unreadableStretches: number;
  /** Rows read but not usable (a damaged value). */
  invalidRows: number;
  /**
   * Events waiting for TikTok (pending or in flight) that the file's indexes still
   * count but that could not be read: lost. Undefined when the indexes could not say.
   */
  lostWaiting?: number;
  /** Why nothing could be read, when nothing could. */
  unreadable?: string;
}

const integer = z.number().int();
const text = z.string();

const OutboxRowSchema = z.object({
  id: integer.positive(),
  pixel_id: text.min(1),
  event: text.min(1),
  event_id: text.min(1),
  test_event_code: text.default(''),
  source: z.enum(['browser', 'server']),
  payload: text.refine(isJsonObject, 'payload is not a JSON object'),
  event_time: integer,
  state: z.enum(OUTBOX_STATES),
  attempts: integer.nonnegative(),
  next_attempt_at: integer,
  error_code: integer.nullable().default(null),
  last_error: text.nullable().default(null),
  created_at: integer,
  delivered_at: integer.nullable().default(null),
});

const PurchaseClaimSchema = z.object({
  order_id: integer.positive(),
  pixel_id: text.min(1),
  event: text.min(1),
  event_id: text.min(1),
  claimed_at: integer,
  reported: z.enum(['delivered', 'dead']).nullable().default(null),
});

const SourceClaimSchema = z.object({
  event_id: text.min(1),
  pixel_id: text.min(1),
  event: text.min(1),
  claimed_at: integer,
  reported: z.enum(['delivered', 'dead']).nullable().default(null),
});

const SnapshotSchema = z.object({ id: z.literal(1), json: text.refine((v) => parsedJson(v) !== undefined, 'not JSON'), saved_at: integer });

function parsedJson(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return undefined;
  }
}

function isJsonObject(value: string): boolean {
  const parsed = parsedJson(value);
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
}

/** Rows read per statement while salvaging. */
const READ_BATCH = 500;
/** Rowids looked up one by one after a failed read, before the stretch is stepped over. */
const NEARBY_ROWIDS = 8;

/** The rows of `table` in rowid order, stepping over stretches that cannot be read. */
function* readableRows(db: Database.Database, table: string, columns: readonly string[], onUnreadable: () => void): Generator<Record<string, unknown>> {
  const select = db.prepare(`SELECT rowid AS _rowid_, ${columns.join(', ')} FROM ${table} WHERE rowid > ? ORDER BY rowid LIMIT ?`);
  /** Rows after `rowid`; a damaged b-tree may also hand back rows out of order: that counts as unreadable. */
  const read = (rowid: number, limit: number) => {
    const rows = select.all(rowid, limit) as Array<Record<string, unknown> & { _rowid_: number }>;
    rows.forEach((row, i) => {
      if (typeof row._rowid_ !== 'number' || row._rowid_ <= (i === 0 ? rowid : rows[i - 1]._rowid_)) throw new Error('rows out of order');
    });
    return rows;
  };
  const lookup = db.prepare(`SELECT rowid AS _rowid_, ${columns.join(', ')} FROM ${table} WHERE rowid = ?`);
  /**
   * The rows just after `rowid` found one by one: a range read that would end on
   * the last row of a page before a damaged one fails as it steps onto the damaged
   * page, while that row still reads alone.
   */
  const nearby = (from: number, to: number) => {
    const found: Array<Record<string, unknown> & { _rowid_: number }> = [];
    for (let id = from; id <= to; id++) {
      try {
        const row = lookup.get(id) as (Record<string, unknown> & { _rowid_: number }) | undefined;
        if (row?._rowid_ === id) found.push(row);
      } catch {
        // This one is on a damaged page: the next may not be.
      }
    }
    return found;
  };
  const readsAfter = (rowid: number): boolean => {
    try {
      read(rowid, 1);
      return true;
    } catch {
      return false;
    }
  };
  let after = 0;
  /** After a batch failed: how many rows are still read one at a time, so those before the bad one are kept. */
  let oneByOne = 0;
  for (;;) {
    let rows: ReturnType<typeof read>;
    try {
      rows = read(after, oneByOne > 0 ? 1 : READ_BATCH);
    } catch {
      if (oneByOne === 0) {
        oneByOne = READ_BATCH;
        continue;
      }
      rows = nearby(after + 1, after + NEARBY_ROWIDS);
      if (rows.length > 0 && rows[0]._rowid_ === after + 1) {
        // The row right after reads alone: go on from it.
        const [{ _rowid_, ...row }] = rows;
        yield row;
        after = _rowid_;
        continue;
      }
      onUnreadable();
      const resume = firstReadableAfter(after, readsAfter);
      // Either edge of the stretch may hold rows a range read cannot reach but a lookup can.
      const edges = new Map([...rows, ...(resume === undefined ? [] : nearby(Math.max(after + NEARBY_ROWIDS + 1, resume - NEARBY_ROWIDS + 1), resume))].map((r) => [r._rowid_, r]));
      for (const { _rowid_, ...row } of [...edges.values()].sort((a, b) => a._rowid_ - b._rowid_)) yield row;
      if (resume === undefined) return;
      after = resume;
      continue;
    }
    if (rows.length === 0) return;
    for (const { _rowid_, ...row } of rows) yield row;
    after = rows[rows.length - 1]._rowid_;
    if (oneByOne > 0) oneByOne -= 1;
  }
}

/**
 * The smallest rowid (or one near it) past `failing` from which the table reads
 * again: doubling steps until a read succeeds, then halving between the last
 * failure and that success. Undefined when nothing past it reads at all.
 */
export function firstReadableAfter(failing: number, readsAfter: (rowid: number) => boolean): number | undefined {
  let bad = failing;
  let good = failing;
  for (let step = 1; good === failing; step *= 2) {
    const probe = Math.min(Number.MAX_SAFE_INTEGER, failing + step);
    if (readsAfter(probe)) good = probe;
    else if (probe === Number.MAX_SAFE_INTEGER) return undefined;
    else bad = probe;
  }
  while (good - bad > 1) {
    const mid: number = bad + Math.floor((good - bad) / 2);
    if (readsAfter(mid)) good = mid;
    else bad = mid;
  }
  return good;
}

function columnsOf(db: Database.Database, table: string): Set<string> {
  return new Set((db.pragma(`table_info(${table})`) as Array<{ name: string }>).map((c) => c.name));
}

/** Waiting events the file's partial indexes count (the table's pages are not read), if they can. */
function indexedWaiting(db: Database.Database): number | undefined {
  try {
    const count = (state: string) => (db.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE state = '${state}'`).get() as { n: number }).n;
    return count('pending') + count('in_flight');
  } catch {
    return undefined;
  }
}

function emptyReport(): SalvageReport {
  return { events: { pending: 0, delivered: 0, dead: 0 }, purchaseClaims: 0, sourceClaims: 0, settingsSnapshot: false, unreadableStretches: 0, invalidRows: 0 };
}

/**
 * Copy what `damagedFile` still holds into `target` (a fresh outbox at the current
 * schema), in one transaction. The damaged file is opened read-only and left as
 * it is. Never throws for what it reads: an unreadable file yields an empty report
 * saying why.
 */
export function salvageOutbox(damagedFile: string, target: Database.Database): SalvageReport {
  const report = emptyReport();
  // SQLite writes beside a file it reads (the WAL's index, a checkpoint at close): it reads a copy,
  // so the moved file stays exactly as found for whoever looks into it later.
  let copy: string;
  try {
    copy = copyForReading(damagedFile);
  } catch (err) {
    return { ...report, unreadable: `no room to copy it for reading (${describeSqliteError(err)})` };
  }
  let source: Database.Database;
  try {
    source = new Database(path.join(copy, 'outbox.sqlite'), { fileMustExist: true });
    // As SQLite's own recovery does: a file shorter than its header says (a truncated copy) is read as far as
    // it goes. Only a private copy is opened so, and nothing is ever written to it.
    source.unsafeMode(true);
    source.pragma('writable_schema = ON');
  } catch (err) {
    fs.rmSync(copy, { recursive: true, force: true });
    return { ...report, unreadable: describeSqliteError(err) };
  }
  try {
    const version = source.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) return { ...report, unreadable: `written by a newer release (schema version ${version})` };
    const tables = new Set((source.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>).map((t) => t.name));
    target.transaction(() => copyTables(source, target, tables, report))();
    if (tables.has('outbox')) {
      const indexed = indexedWaiting(source);
      if (indexed !== undefined) report.lostWaiting = Math.max(0, indexed - report.events.pending);
    }
    return report;
  } catch (err) {
    return { ...emptyReport(), unreadable: describeSqliteError(err) };
  } finally {
    try {
      source.close();
    } catch {
      // A checkpoint of a damaged copy may fail; the copy goes anyway.
    }
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

/** The damaged file and its WAL copied into a directory of their own beside it (same filesystem, no /tmp size limit). */
function copyForReading(damagedFile: string): string {
  const dir = fs.mkdtempSync(`${damagedFile}.reading-`);
  try {
    fs.copyFileSync(damagedFile, path.join(dir, 'outbox.sqlite'));
    if (fs.existsSync(`${damagedFile}-wal`)) fs.copyFileSync(`${damagedFile}-wal`, path.join(dir, 'outbox.sqlite-wal'));
    return dir;
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

function copyTables(source: Database.Database, target: Database.Database, tables: Set<string>, report: SalvageReport): void {
  const unreadable = () => (report.unreadableStretches += 1);
  if (tables.has('outbox')) {
    const insert = target.prepare(
      `INSERT OR IGNORE INTO outbox (id, pixel_id, event, event_id, test_event_code, source, payload, event_time, state, attempts, next_attempt_at,
                                     error_code, last_error, created_at, delivered_at)
       VALUES (@id, @pixel_id, @event, @event_id, @test_event_code, @source, @payload, @event_time, @state, @attempts, @next_attempt_at,
               @error_code, @last_error, @created_at, @delivered_at)`,
    );
    for (const raw of readableRows(source, 'outbox', knownColumns(source, 'outbox', OutboxRowSchema), unreadable)) {
      const row = OutboxRowSchema.safeParse(raw);
      if (!row.success) {
        report.invalidRows += 1;
        continue;
      }
      // A send that was under way when the file broke may or may not have landed: sent again, same event id.
      const state = row.data.state === 'in_flight' ? 'pending' : row.data.state;
      if (insert.run({ ...row.data, state }).changes === 1) report.events[state] += 1;
    }
    keepIdsAfter(source, target);
  }
  if (tables.has('purchase_claims')) {
    const insert = target.prepare(
      `INSERT OR IGNORE INTO purchase_claims (order_id, pixel_id, event, event_id, claimed_at, reported) VALUES (@order_id, @pixel_id, @event, @event_id, @claimed_at, @reported)`,
    );
    for (const raw of readableRows(source, 'purchase_claims', knownColumns(source, 'purchase_claims', PurchaseClaimSchema), unreadable)) {
      const claim = PurchaseClaimSchema.safeParse(raw);
      if (!claim.success) report.invalidRows += 1;
      else report.purchaseClaims += insert.run(claim.data).changes;
    }
  }
  if (tables.has('source_claims')) {
    const insert = target.prepare(
      `INSERT OR IGNORE INTO source_claims (event_id, pixel_id, event, claimed_at, reported) VALUES (@event_id, @pixel_id, @event, @claimed_at, @reported)`,
    );
    for (const raw of readableRows(source, 'source_claims', knownColumns(source, 'source_claims', SourceClaimSchema), unreadable)) {
      const claim = SourceClaimSchema.safeParse(raw);
      if (!claim.success) report.invalidRows += 1;
      else report.sourceClaims += insert.run(claim.data).changes;
    }
  }
  if (tables.has('settings_snapshot')) {
    for (const raw of readableRows(source, 'settings_snapshot', ['id', 'json', 'saved_at'], unreadable)) {
      const snapshot = SnapshotSchema.safeParse(raw);
      if (!snapshot.success) continue;
      target.prepare(`INSERT OR REPLACE INTO settings_snapshot (id, json, saved_at) VALUES (@id, @json, @saved_at)`).run(snapshot.data);
      report.settingsSnapshot = true;
    }
  }
}

/** The schema's columns the file has (an older release's file lacks later ones; they take their defaults). */
function knownColumns(source: Database.Database, table: string, schema: z.ZodObject): string[] {
  const present = columnsOf(source, table);
  return Object.keys(schema.shape).filter((c) => present.has(c));
}

/** New events get ids the damaged file never used: a lost dead letter's id is not given to another event. */
function keepIdsAfter(source: Database.Database, target: Database.Database): void {
  let used: number | undefined;
  try {
    used = (source.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'outbox'`).get() as { seq: number } | undefined)?.seq;
  } catch {
    return;
  }
  if (used === undefined) return;
  const updated = target.prepare(`UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = 'outbox'`).run(used).changes;
  if (updated === 0) target.prepare(`INSERT INTO sqlite_sequence (name, seq) VALUES ('outbox', ?)`).run(used);
}

/** An SQLite error in words, with its code. */
export function describeSqliteError(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return typeof e?.code === 'string' ? `${message} (${e.code})` : message;
}
