import type Database from 'better-sqlite3';
import type { SettingsSnapshot } from '../settings/odoo';
import type { Immediate } from './promised';

/** The one-row `settings_snapshot` table. */
export function sqliteSettingsSnapshot(db: Database.Database): Immediate<SettingsSnapshot> {
  const save = db.prepare<[string, number]>(`INSERT OR REPLACE INTO settings_snapshot (id, json, saved_at) VALUES (1, ?, ?)`);
  const load = db.prepare<[], { json: string }>(`SELECT json FROM settings_snapshot WHERE id = 1`);
  return { save: (json, now) => void save.run(json, now), load: () => load.get()?.json };
}
