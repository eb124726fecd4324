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
   * Store Purchases and their claims in one transaction. Odoo hands an order out
   * again only when it wants it sent (an administrator's "send again", or a report
   * of its earlier refusal that never arrived): its dead letter goes back in the
   * queue with the fresh payload.
   */
  enqueueClaims(claims: PurchaseClaim[], now: number): boolean[];
  /** Claims whose event TikTok has accepted or refused for good. */
  settledClaims(limit: number): SettledClaim[];
  forgetClaims(orderIds: number[]): void;
}

/** The `purchase_claims` table, written with the queue's rows on the same connection. */
export class SqlitePurchaseClaims implements PurchaseClaims {
  private readonly stmt;

  constructor(
    private readonly db: Database.Database,
    private readonly queue: SqliteEventQueue,
  ) {
    this.stmt = {
      insert: db.prepare(`INSERT OR REPLACE INTO purchase_claims (order_id, pixel_id, event, event_id, claimed_at) VALUES (?, ?, ?, ?, ?)`),
      settled: db.prepare(
        `SELECT c.order_id AS orderId, o.state AS outcome FROM purchase_claims c
         JOIN outbox o ON o.pixel_id = c.pixel_id AND o.event = c.event AND o.event_id = c.event_id
         WHERE o.state IN ('delivered', 'dead') LIMIT ?`,
      ),
      forget: db.prepare(`DELETE FROM purchase_claims WHERE order_id = ?`),
    };
  }

  enqueueClaims(claims: PurchaseClaim[], now: number): boolean[] {
    return this.db.transaction(() => {
      const stored = this.queue.enqueue(claims.map((c) => c.event), now);
      claims.forEach((c, i) => {
        this.stmt.insert.run(c.orderId, c.event.pixelId, c.event.event, c.event.eventId, now);
        if (!stored[i]) this.queue.reviveDead(c.event, now);
      });
      return stored;
    })();
  }

  settledClaims(limit: number): SettledClaim[] {
    return this.stmt.settled.all(limit) as SettledClaim[];
  }

  forgetClaims(orderIds: number[]): void {
    this.db.transaction(() => orderIds.forEach((id) => this.stmt.forget.run(id)))();
  }
}
