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
  shape: ClaimTableShape<Claim, KeyName, Key>,
): Immediate<ClaimTable<Claim, SettledClaimOf<KeyName, Key>, Key>> {
  const columns = claimColumns(shape);
  const insert = db.prepare(`INSERT OR REPLACE INTO ${shape.table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`);
  const settled = db.prepare<[number], SettledClaimOf<KeyName, Key>>(settledClaimsSql(shape, '?'));
  const reported = { delivered: db.prepare(reportedSql(shape, 'delivered', '= ?')), dead: db.prepare(reportedSql(shape, 'dead', '= ?')) };
  const enqueueClaims = db.transaction((claims: Claim[], now: number) => {
    const stored = queue.enqueue(claims.map((c) => c.event), now);
    claims.forEach((c, i) => {
      insert.run(claimRow(shape, c, now));
      if (!stored[i]) queue.reviveDead(c.event, now);
    });
    return stored;
  });
  const markReported = db.transaction((keys: Key[], outcome: ClaimOutcome) => keys.forEach((key) => reported[outcome].run(key)));
  return { enqueueClaims, settledClaims: (limit) => settled.all(limit), markReported };
}

/** The columns a claim row stores, in order: a claim keyed by its event id stores that id once. */
export function claimColumns(shape: Pick<ClaimTableShape<never, string, unknown>, 'keyColumn'>): string[] {
  return [...new Set([shape.keyColumn, 'pixel_id', 'event', 'event_id', 'claimed_at'])];
}

/** The values of `claimColumns` for one claim. */
export function claimRow<Claim extends { event: CheckedOutboxEvent }, Key>(
  shape: Pick<ClaimTableShape<Claim, string, Key>, 'keyColumn' | 'keyOf'>,
  claim: Claim,
  now: number,
): Record<string, unknown> {
  const { pixelId, event, eventId } = claim.event;
  return { pixel_id: pixelId, event, event_id: eventId, claimed_at: now, [shape.keyColumn]: shape.keyOf(claim) };
}

/**
 * SQL of the claims whose event TikTok accepted or refused for good while Odoo was
 * told otherwise or nothing; `limit` is the engine's placeholder for the row limit.
 */
export function settledClaimsSql(shape: Pick<ClaimTableShape<never, string, unknown>, 'table' | 'keyColumn' | 'keyName'>, limit: string, holder?: string): string {
  return `SELECT c.${shape.keyColumn} AS "${shape.keyName}", o.state AS outcome FROM ${shape.table} c
     JOIN outbox o ON o.pixel_id = c.pixel_id AND o.event = c.event AND o.event_id = c.event_id
     WHERE o.state IN ('delivered', 'dead') AND c.reported IS DISTINCT FROM o.state${heldBy(holder, 'c.')} LIMIT ${limit}`;
}

/** SQL: on an outbox replicas share, only the claims `holder` (a placeholder) holds in Odoo, or claims stored before holders were kept. */
function heldBy(holder: string | undefined, table = ''): string {
  return holder === undefined ? '' : ` AND (${table}held_by = ${holder} OR ${table}held_by IS NULL)`;
}

/** Odoo was told `outcome`: a delivered claim is forgotten, a refused one kept as reported. */
export function reportedSql(shape: Pick<ClaimTableShape<never, string, unknown>, 'table' | 'keyColumn'>, outcome: ClaimOutcome, keys: string, holder?: string): string {
  return outcome === 'delivered'
    ? `DELETE FROM ${shape.table} WHERE ${shape.keyColumn} ${keys}${heldBy(holder)}`
    : `UPDATE ${shape.table} SET reported = 'dead' WHERE ${shape.keyColumn} ${keys}${heldBy(holder)}`;
}
