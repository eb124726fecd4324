import type Database from 'better-sqlite3';

/** The last website settings read from Odoo, without tokens, for a start while Odoo is down. */
export interface SettingsSnapshot {
  save(json: string, now: number): void;
  load(): string | undefined;
}

/** The one-row `settings_snapshot` table. */
export class SqliteSettingsSnapshot implements SettingsSnapshot {
  private readonly saveStmt: Database.Statement<[string, number]>;
  private readonly loadStmt: Database.Statement<[]>;

  constructor(db: Database.Database) {
    this.saveStmt = db.prepare(`INSERT OR REPLACE INTO settings_snapshot (id, json, saved_at) VALUES (1, ?, ?)`);
    this.loadStmt = db.prepare(`SELECT json FROM settings_snapshot WHERE id = 1`);
  }

  save(json: string, now: number): void {
    this.saveStmt.run(json, now);
  }

  load(): string | undefined {
    return (this.loadStmt.get() as { json: string } | undefined)?.json;
  }
}
