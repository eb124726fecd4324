import type Database from 'better-sqlite3';
import { sqliteClaimTable, type ClaimTable, type ClaimTableShape, type SettledClaimOf } from './claimTable';
import type { SqliteEventQueue } from './eventQueue';
import type { Immediate } from './promised';
import type { CheckedOutboxEvent } from './rowGate';

/** A Purchase claimed in Odoo, to be reported back by its order once TikTok settled it. */
export interface PurchaseClaim {
  orderId: number;
  event: CheckedOutboxEvent;
}

export type SettledClaim = SettledClaimOf<'orderId', number>;

/** Which Odoo order each queued Purchase came from, until Odoo is told how it ended. */
export type PurchaseClaims = ClaimTable<PurchaseClaim, SettledClaim, number>;

/** Where they are stored, whatever the engine. */
export const PURCHASE_CLAIMS: ClaimTableShape<PurchaseClaim, 'orderId', number> = { table: 'purchase_claims', keyColumn: 'order_id', keyName: 'orderId', keyOf: (c: PurchaseClaim) => c.orderId };

/** The `purchase_claims` table. */
export function sqlitePurchaseClaims(db: Database.Database, queue: SqliteEventQueue): Immediate<PurchaseClaims> {
  return sqliteClaimTable(db, queue, PURCHASE_CLAIMS);
}
