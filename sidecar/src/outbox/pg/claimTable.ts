import type { Pool } from 'pg';
import { claimColumns, claimRow, reportedSql, settledClaimsSql, type ClaimTable, type ClaimTableShape, type SettledClaimOf } from '../claimTable';
import type { CheckedOutboxEvent } from '../rowGate';
import { inTransaction } from './db';
import type { PgEventQueue } from './eventQueue';

/** Claim columns stored as BIGINT (pg/migrations.ts); the others are TEXT. */
const BIGINT_COLUMNS = new Set(['order_id', 'claimed_at']);

/** A claim table of a PostgreSQL outbox: the claims and their queue rows commit in one transaction. */
export function pgClaimTable<Claim extends { event: CheckedOutboxEvent }, KeyName extends string, Key extends string | number>(
  pool: Pool,
  queue: PgEventQueue,
  shape: ClaimTableShape<Claim, KeyName, Key>,
  /** This replica: the claims it stores are the ones it holds in Odoo, and only it reports them. */
  replica: string,
): ClaimTable<Claim, SettledClaimOf<KeyName, Key>, Key> {
  const columns = [...claimColumns(shape), 'held_by'];
  // A claim handed out again replaces the one stored, as reported to Odoo so far: not yet.
  const save = `INSERT INTO ${shape.table} (${columns.join(', ')})
    SELECT * FROM unnest(${columns.map((c, i) => `$${i + 1}::${BIGINT_COLUMNS.has(c) ? 'bigint' : 'text'}[]`).join(', ')})
    ON CONFLICT (${shape.keyColumn}) DO UPDATE SET ${columns.filter((c) => c !== shape.keyColumn).map((c) => `${c} = EXCLUDED.${c}`).join(', ')}, reported = NULL`;
  return {
    enqueueClaims: (claims, now) =>
      inTransaction(pool, async (tx) => {
        const stored = await queue.insert(tx, claims.map((c) => c.event), now);
        // One row per key, the last one given (as repeated INSERT OR REPLACE leaves it): a statement updates a row once.
        // In key order, as the events (pg/eventQueue.ts): concurrent transactions lock claims in one order.
        const rows = [...new Map(claims.map((c) => [shape.keyOf(c), { ...claimRow(shape, c, now), held_by: replica } as Record<string, unknown>])).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
        if (rows.length) await tx.query(save, columns.map((c) => rows.map((r) => r[c])));
        for (const [i, c] of claims.entries()) if (!stored[i]) await queue.reviveDead(tx, c.event, now);
        return stored;
      }),
    settledClaims: async (limit) => (await pool.query<SettledClaimOf<KeyName, Key>>(settledClaimsSql(shape, '$1', '$2'), [limit, replica])).rows,
    markReported: async (keys, outcome) => {
      if (keys.length) await pool.query(reportedSql(shape, outcome, '= ANY($1)', '$2'), [keys, replica]);
    },
  };
}
