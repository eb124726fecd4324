import type Database from 'better-sqlite3';
import type { NewOutboxEvent, SqliteEventQueue } from './eventQueue';

/** A Purchase claimed in Odoo, to be reported back once TikTok settled it. */
export interface PurchaseClaim {
  orderId: number;
  event: NewOutboxEvent;
}

export interface SettledClaim {
  orderId: number;
  outcome: 'delivered' | 'dead';
}

/** Which Odoo order each queued Purchase came from, until Odoo is told how it ended. */
export interface PurchaseClaims {
  /**
   * Store Purchases and their claims in one transaction. Odoo hands an order out again only when it wants it sent (an
   * administrator's "send again", or a report of its refusal that never arrived): its dead letter is queued again, fresh.
   */
  enqueueClaims(claims: PurchaseClaim[], now: number): boolean[];
  /** Claims whose event TikTok has accepted or refused for good, and Odoo was not told so yet. */
  settledClaims(limit: number): SettledClaim[];
  /**
   * Odoo was told. A delivered claim is forgotten; a refused one is kept as reported,
   * so that its dead letter, sent again and delivered, is reported sent.
   */
  markReported(orderIds: number[], outcome: SettledClaim['outcome']): void;
}

/** The `purchase_claims` table, written with the queue's rows on the same connection. */
export function sqlitePurchaseClaims(db: Database.Database, queue: SqliteEventQueue): PurchaseClaims {
  const insert = db.prepare(`INSERT OR REPLACE INTO purchase_claims (order_id, pixel_id, event, event_id, claimed_at) VALUES (?, ?, ?, ?, ?)`);
  const settled = db.prepare<[number], SettledClaim>(
    `SELECT c.order_id AS orderId, o.state AS outcome FROM purchase_claims c
     JOIN outbox o ON o.pixel_id = c.pixel_id AND o.event = c.event AND o.event_id = c.event_id
     WHERE o.state IN ('delivered', 'dead') AND c.reported IS NOT o.state LIMIT ?`,
  );
  const forget = db.prepare(`DELETE FROM purchase_claims WHERE order_id = ?`);
  const reportedDead = db.prepare(`UPDATE purchase_claims SET reported = 'dead' WHERE order_id = ?`);
  return {
    enqueueClaims: db.transaction((claims: PurchaseClaim[], now: number) => {
      const stored = queue.enqueue(claims.map((c) => c.event), now);
      claims.forEach((c, i) => {
        insert.run(c.orderId, c.event.pixelId, c.event.event, c.event.eventId, now);
        if (!stored[i]) queue.reviveDead(c.event, now);
      });
      return stored;
    }),
    settledClaims: (limit) => settled.all(limit),
    markReported: db.transaction((orderIds: number[], outcome: SettledClaim['outcome']) =>
      orderIds.forEach((id) => (outcome === 'delivered' ? forget : reportedDead).run(id)),
    ),
  };
}
