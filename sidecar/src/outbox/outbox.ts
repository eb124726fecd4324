import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { SqliteEventQueue, type EventQueue } from './eventQueue';
import { promised, type Immediate } from './promised';
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
  probeWrite(now: number): Promise<void>;
  close(): Promise<void>;
}

export interface SqliteOutboxOptions {
  /** `full` fsyncs every commit (survives power loss); `normal` survives a process crash. */
  synchronous?: 'full' | 'normal';
}

/** The stores of the outbox file, answered at once (SQLite runs in this thread). */
export interface ImmediateOutbox {
  readonly events: SqliteEventQueue;
  readonly purchaseClaims: Immediate<PurchaseClaims>;
  readonly sourceClaims: Immediate<SourceClaims>;
  readonly settingsSnapshot: Immediate<SettingsSnapshot>;
}

/** The outbox in an embedded SQLite file in WAL mode, migrated to the current schema when opened. */
export class SqliteOutbox implements Outbox {
  private readonly db: Database.Database;
  /** The same stores without promises: for the CLI's inspection and for tests that read the file. */
  readonly immediate: ImmediateOutbox;
  readonly events: EventQueue;
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
    const events = new SqliteEventQueue(this.db);
    this.immediate = {
      events,
      purchaseClaims: sqlitePurchaseClaims(this.db, events),
      sourceClaims: sqliteSourceClaims(this.db, events),
      settingsSnapshot: sqliteSettingsSnapshot(this.db),
    };
    this.events = promised<EventQueue>(events);
    this.purchaseClaims = promised<PurchaseClaims>(this.immediate.purchaseClaims);
    this.sourceClaims = promised<SourceClaims>(this.immediate.sourceClaims);
    this.settingsSnapshot = promised<SettingsSnapshot>(this.immediate.settingsSnapshot);
    this.probe = this.db.prepare(`INSERT OR REPLACE INTO write_probe (id, at) VALUES (1, ?)`);
  }

  async probeWrite(now: number): Promise<void> {
    this.probe.run(now);
  }

  /** Copy what a damaged outbox file still holds into this one (see salvage.ts); the damaged file is only read. */
  salvageFrom(damagedFile: string): SalvageReport {
    return salvageOutbox(damagedFile, this.db);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
