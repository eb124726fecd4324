import type Database from 'better-sqlite3';
import type { NewOutboxEvent, SqliteEventQueue } from './eventQueue';

/** An event of another source (CRM, offline) claimed in Odoo, reported back by its event id once TikTok settled it. */
export interface SourceClaim {
  event: NewOutboxEvent;
}

export interface SettledSourceClaim {
  eventId: string;
  outcome: 'delivered' | 'dead';
}

/** Which queued events came from Odoo's queue of other sources, until Odoo is told how they ended (as `PurchaseClaims`). */
export interface SourceClaims {
  /** Store events and their claims in one transaction; a dead letter Odoo hands out again is queued again, fresh. */
  enqueueClaims(claims: SourceClaim[], now: number): boolean[];
  /** Claims whose event TikTok has accepted or refused for good, and Odoo was not told so yet. */
  settledClaims(limit: number): SettledSourceClaim[];
  /** Odoo was told: a delivered claim is forgotten, a refused one kept as reported. */
  markReported(eventIds: string[], outcome: SettledSourceClaim['outcome']): void;
}

/** The `source_claims` table, written with the queue's rows on the same connection. */
export function sqliteSourceClaims(db: Database.Database, queue: SqliteEventQueue): SourceClaims {
  const insert = db.prepare(`INSERT OR REPLACE INTO source_claims (event_id, pixel_id, event, claimed_at) VALUES (?, ?, ?, ?)`);
  const settled = db.prepare<[number], SettledSourceClaim>(
    `SELECT c.event_id AS eventId, o.state AS outcome FROM source_claims c
     JOIN outbox o ON o.pixel_id = c.pixel_id AND o.event = c.event AND o.event_id = c.event_id
     WHERE o.state IN ('delivered', 'dead') AND c.reported IS NOT o.state LIMIT ?`,
  );
  const forget = db.prepare(`DELETE FROM source_claims WHERE event_id = ?`);
  const reportedDead = db.prepare(`UPDATE source_claims SET reported = 'dead' WHERE event_id = ?`);
  return {
    enqueueClaims: db.transaction((claims: SourceClaim[], now: number) => {
      const stored = queue.enqueue(claims.map((c) => c.event), now);
      claims.forEach((c, i) => {
        insert.run(c.event.eventId, c.event.pixelId, c.event.event, now);
        if (!stored[i]) queue.reviveDead(c.event, now);
      });
      return stored;
    }),
    settledClaims: (limit) => settled.all(limit),
    markReported: db.transaction((eventIds: string[], outcome: SettledSourceClaim['outcome']) =>
      eventIds.forEach((id) => (outcome === 'delivered' ? forget : reportedDead).run(id)),
    ),
  };
}
