import type Database from 'better-sqlite3';
import type { SqliteEventQueue } from './eventQueue';
import type { Immediate } from './promised';
import type { CheckedOutboxEvent } from './rowGate';

/** How an event claimed in Odoo ended here, once TikTok settled it. */
export type ClaimOutcome = 'delivered' | 'dead';

/** A settled claim, named as Odoo names it (`orderId` for a Purchase, `eventId` for another source). */
export type SettledClaimOf<KeyName extends string, Key> = { [P in KeyName]: Key } & { outcome: ClaimOutcome };

/** Which queued events came from one of Odoo's claim queues, until Odoo is told how they ended. */
export interface ClaimTable<Claim, Settled extends { outcome: ClaimOutcome }, Key> {
  /**
   * Store events and their claims in one transaction; only rows the outbox's gate checked (`rowGate.ts`) come in. Odoo hands an event out again only when it wants it sent (an
   * administrator's "send again", or a report of its refusal that never arrived): its dead letter is queued again, fresh.
   */
  enqueueClaims(claims: Claim[], now: number): Promise<boolean[]>;
  /** Claims whose event TikTok has accepted or refused for good, and Odoo was not told so yet. */
  settledClaims(limit: number): Promise<Settled[]>;
  /**
   * Odoo was told. A delivered claim is forgotten; a refused one is kept as reported,
   * so that its dead letter, sent again and delivered, is reported sent.
   */
  markReported(keys: Key[], outcome: ClaimOutcome): Promise<void>;
}

/** Where a kind of claim is stored: its table, and the column (and name) Odoo knows a claim by. */
export interface ClaimTableShape<Claim extends { event: CheckedOutboxEvent }, KeyName extends string, Key> {
  table: string;
  keyColumn: string;
  keyName: KeyName;
  keyOf: (claim: Claim) => Key;
}

/** A claim table, written with the queue's rows on the same connection (one transaction for both). */
export function sqliteClaimTable<Claim extends { event: CheckedOutboxEvent }, KeyName extends string, Key extends string | number>(
  db: Database.Database,
  queue: SqliteEventQueue,
  { table, keyColumn, keyName, keyOf }: ClaimTableShape<Claim, KeyName, Key>,
): Immediate<ClaimTable<Claim, SettledClaimOf<KeyName, Key>, Key>> {
  // A claim keyed by its event id stores that id once.
  const columns = [...new Set([keyColumn, 'pixel_id', 'event', 'event_id', 'claimed_at'])];
  const insert = db.prepare(`INSERT OR REPLACE INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`);
  const settled = db.prepare<[number], SettledClaimOf<KeyName, Key>>(
    `SELECT c.${keyColumn} AS ${keyName}, o.state AS outcome FROM ${table} c
     JOIN outbox o ON o.pixel_id = c.pixel_id AND o.event = c.event AND o.event_id = c.event_id
     WHERE o.state IN ('delivered', 'dead') AND c.reported IS NOT o.state LIMIT ?`,
  );
  const forget = db.prepare(`DELETE FROM ${table} WHERE ${keyColumn} = ?`);
  const reportedDead = db.prepare(`UPDATE ${table} SET reported = 'dead' WHERE ${keyColumn} = ?`);
  const enqueueClaims = db.transaction((claims: Claim[], now: number) => {
    const stored = queue.enqueue(claims.map((c) => c.event), now);
    claims.forEach((c, i) => {
      const { pixelId, event, eventId } = c.event;
      insert.run({ pixel_id: pixelId, event, event_id: eventId, claimed_at: now, [keyColumn]: keyOf(c) });
      if (!stored[i]) queue.reviveDead(c.event, now);
    });
    return stored;
  });
  const markReported = db.transaction((keys: Key[], outcome: ClaimOutcome) =>
    keys.forEach((key) => (outcome === 'delivered' ? forget : reportedDead).run(key)),
  );
  return { enqueueClaims, settledClaims: (limit) => settled.all(limit), markReported };
}
