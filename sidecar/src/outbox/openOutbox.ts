import Database from 'better-sqlite3';
import fs from 'node:fs';
import type { Logger } from 'pino';
import { OutboxTooNewError } from './migrations';
import { SqliteOutbox, type SqliteOutboxOptions } from './outbox';
import { describeSqliteError as describe, type SalvageReport } from './salvage';

/** SQLite's companions of a database file: moved together, they still open as one database. */
const COMPANION_SUFFIXES = ['', '-wal', '-shm'];

/** How long a lock held by another process is waited for before giving up (the outbox's own busy timeout). */
const DEFAULT_LOCK_WAIT_MS = 5000;

/**
 * The outbox file could not be opened. `corrupt` says the bytes are not a sound
 * database; otherwise the cause is around the file (a lock, permissions) and the
 * file was left where it is.
 */
export class OutboxOpenError extends Error {
  constructor(
    message: string,
    readonly corrupt: boolean,
  ) {
    super(message);
    this.name = 'OutboxOpenError';
  }
}

/** SQLite's verdict that the file's content is broken, as opposed to its access. */
export function isCorruption(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || code.startsWith('SQLITE_CORRUPT_'));
}

/** `outbox.sqlite.corrupt-2025-01-31T10-20-30-400Z`: sorts by time, no characters a filesystem refuses. */
export function movedAsideName(file: string, at: Date): string {
  return `${file}.corrupt-${at.toISOString().replace(/[:.]/g, '-')}`;
}

export interface CorruptOutboxRecovery {
  log: Logger;
  /** Called once per file moved aside (the metric), with what could be read from it. */
  onMovedAside: (salvaged: SalvageReport) => void;
  now?: () => Date;
}

export interface OpenOutboxOptions extends SqliteOutboxOptions {
  lockWaitMs?: number;
}

/**
 * Open the outbox after SQLite's `quick_check`. With `recovery`, a file that is not
 * a sound database is moved aside (with its -wal and -shm) and a fresh outbox takes
 * its place: the sidecar keeps accepting events instead of failing at every
 * restart. Without it (the CLI's inspection commands) the file is only reported.
 * Any other failure (a lock, permissions, a file of a newer release) throws and
 * leaves the file alone: that is for an operator to fix, and moving the file would
 * hide events that are fine.
 */
export function openOutbox(file: string, opts: OpenOutboxOptions = {}, recovery?: CorruptOutboxRecovery): SqliteOutbox {
  if (file === ':memory:') return new SqliteOutbox(file, opts);
  try {
    return openChecked(file, opts);
  } catch (err) {
    if (err instanceof OutboxTooNewError) throw new OutboxOpenError(err.message, false);
    if (!isCorruption(err)) throw cannotOpen(file, err);
    if (!recovery) {
      throw new OutboxOpenError(`the outbox ${file} is corrupt (${describe(err)}); \`serve\` moves it aside and starts a fresh one`, true);
    }
    const aside = movedAsideName(file, (recovery.now ?? (() => new Date()))());
    const moved = moveAside(file, aside);
    let fresh: SqliteOutbox;
    try {
      fresh = openChecked(file, opts);
    } catch (again) {
      throw cannotOpen(file, again);
    }
    // What the damaged file still holds goes on in the fresh one: a few bad pages lose their rows, not the file.
    const salvaged = fresh.salvageFrom(aside);
    recovery.onMovedAside(salvaged);
    recovery.log.error(
      { outbox: file, movedTo: moved, reason: describe(err), salvaged },
      `OUTBOX CORRUPT: ${file} is not a sound SQLite database (${describe(err)}). Moved aside to ${aside} ` +
        `(with its -wal/-shm); a fresh outbox took its place with ${salvageSummary(salvaged)}. ` +
        'What could not be read is only in the moved file.',
    );
    return fresh;
  }
}

/** What a salvage kept and lost, in a few words for the one log line (counts only). */
export function salvageSummary(r: SalvageReport): string {
  if (r.unreadable) return `nothing of the old file (it could not be read: ${r.unreadable})`;
  const kept = `${r.events.pending} waiting events, ${r.events.dead} dead letters, ${r.events.delivered} delivered events, ${r.purchaseClaims} purchase claims and ${r.sourceClaims} other claims read back`;
  const lost = r.lostWaiting === undefined ? 'an unknown number of waiting events lost' : `${r.lostWaiting} waiting events lost`;
  return `${kept}; ${r.unreadableStretches} unreadable stretches, ${r.invalidRows} damaged rows, ${lost}`;
}

function openChecked(file: string, opts: OpenOutboxOptions): SqliteOutbox {
  quickCheck(file, opts.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS);
  return new SqliteOutbox(file, opts);
}

/** The first bytes of every SQLite database file. */
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * A file without SQLite's header is refused before SQLite touches it: closing a
 * connection on it would delete its -wal and -shm, which are moved aside as found.
 * An empty file is a valid empty database.
 */
function hasSqliteHeader(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(SQLITE_MAGIC.length);
    const read = fs.readSync(fd, head, 0, head.length, 0);
    return read === 0 || (read === head.length && head.equals(SQLITE_MAGIC));
  } finally {
    fs.closeSync(fd);
  }
}

/** On a connection of its own, closed whatever the outcome, so a failed file can be moved. */
function quickCheck(file: string, lockWaitMs: number): void {
  if (!fs.existsSync(file)) return;
  if (!hasSqliteHeader(file)) throw Object.assign(new Error('file is not a database: no SQLite header'), { code: 'SQLITE_NOTADB' });
  const db = new Database(file, { fileMustExist: true, timeout: lockWaitMs });
  try {
    const verdict = (db.pragma('quick_check') as { quick_check: string }[]).map((r) => r.quick_check);
    if (verdict.length !== 1 || verdict[0] !== 'ok') {
      const firstProblems = verdict.join('\n').split('\n').slice(0, 4).join('; ');
      throw Object.assign(new Error(`quick_check: ${firstProblems}`), { code: 'SQLITE_CORRUPT' });
    }
  } finally {
    db.close();
  }
}

function moveAside(file: string, aside: string): string[] {
  const moved: string[] = [];
  for (const suffix of COMPANION_SUFFIXES) {
    if (!fs.existsSync(file + suffix)) continue;
    fs.renameSync(file + suffix, aside + suffix);
    moved.push(aside + suffix);
  }
  return moved;
}

function cannotOpen(file: string, err: unknown): OutboxOpenError {
  const raw = (err as { code?: unknown } | null)?.code;
  const code = typeof raw === 'string' ? raw : '';
  const hint = /BUSY|LOCKED/.test(code)
    ? 'another process holds a lock on it (a second sidecar on the same file?)'
    : 'check that the sidecar user can read and write it and its directory';
  return new OutboxOpenError(`cannot open the outbox ${file}: ${describe(err)}. The file was left in place: ${hint}.`, false);
}
