import type Database from 'better-sqlite3';
import { sqliteClaimTable, type ClaimTable, type ClaimTableShape, type SettledClaimOf } from './claimTable';
import type { SqliteEventQueue } from './eventQueue';
import type { Immediate } from './promised';
import type { CheckedOutboxEvent } from './rowGate';

/** An event of another source (CRM, offline) claimed in Odoo, reported back by its event id once TikTok settled it. */
export interface SourceClaim {
  event: CheckedOutboxEvent;
}

export type SettledSourceClaim = SettledClaimOf<'eventId', string>;

/** Which queued events came from Odoo's queue of other sources, until Odoo is told how they ended. */
export type SourceClaims = ClaimTable<SourceClaim, SettledSourceClaim, string>;

/** Where they are stored, whatever the engine. */
export const SOURCE_CLAIMS: ClaimTableShape<SourceClaim, 'eventId', string> = { table: 'source_claims', keyColumn: 'event_id', keyName: 'eventId', keyOf: (c: SourceClaim) => c.event.eventId };

/** The `source_claims` table. */
export function sqliteSourceClaims(db: Database.Database, queue: SqliteEventQueue): Immediate<SourceClaims> {
  return sqliteClaimTable(db, queue, SOURCE_CLAIMS);
}
