import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { SqliteEventQueue, type EventQueue } from './eventQueue';
import { migrate } from './migrations';
import { salvageOutbox, type SalvageReport } from './salvage';
import { sqlitePurchaseClaims, type PurchaseClaims } from './purchaseClaims';
import { sqliteSourceClaims, type SourceClaims } from './sourceClaims';
import type { SettingsSnapshot } from '../settings/odoo';
import { sqliteSettingsSnapshot } from './settingsSnapshot';

/**
 * The outbox file: the event queue, the purchase claims and the settings snapshot
 * share one SQLite connection, so a Purchase and its claim commit together.
 */
export interface Outbox {
  readonly events: EventQueue;
  readonly purchaseClaims: PurchaseClaims;
  readonly sourceClaims: SourceClaims;
  readonly settingsSnapshot: SettingsSnapshot;
  /** One tiny committed write; throws when the file takes no writes (disk full, read-only, I/O error). */
  probeWrite(now: number): void;
  close(): void;
}

export interface SqliteOutboxOptions {
  /** `full` fsyncs every commit (survives power loss); `normal` survives a process crash. */
  synchronous?: 'full' | 'normal';
}

/** The outbox in an embedded SQLite file in WAL mode, migrated to the current schema when opened. */
export class SqliteOutbox implements Outbox {
  private readonly db: Database.Database;
  readonly events: SqliteEventQueue;
  readonly purchaseClaims: PurchaseClaims;
  readonly sourceClaims: SourceClaims;
  readonly settingsSnapshot: SettingsSnapshot;
  private readonly probe: Database.Statement<[number]>;

  constructor(file: string, opts: SqliteOutboxOptions = {}) {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new Database(file);
    try {
      this.db.pragma('busy_timeout = 5000');
      migrate(this.db, file); // first: a file of a newer release is refused before anything in it changes
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${opts.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    } catch (err) {
      this.db.close();
      throw err;
    }
    this.events = new SqliteEventQueue(this.db);
    this.purchaseClaims = sqlitePurchaseClaims(this.db, this.events);
    this.sourceClaims = sqliteSourceClaims(this.db, this.events);
    this.settingsSnapshot = sqliteSettingsSnapshot(this.db);
    this.probe = this.db.prepare(`INSERT OR REPLACE INTO write_probe (id, at) VALUES (1, ?)`);
  }

  probeWrite(now: number): void {
    this.probe.run(now);
  }

  /** Copy what a damaged outbox file still holds into this one (see salvage.ts); the damaged file is only read. */
  salvageFrom(damagedFile: string): SalvageReport {
    return salvageOutbox(damagedFile, this.db);
  }

  close(): void {
    this.db.close();
  }
}
