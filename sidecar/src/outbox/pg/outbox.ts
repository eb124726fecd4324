import type { Pool, PoolClient } from 'pg';
import type { SettingsSnapshot } from '../../settings/odoo';
import { OutboxOpenError } from '../openOutbox';
import { OutboxTooNewError } from '../migrations';
import type { Outbox } from '../outbox';
import { PURCHASE_CLAIMS, type PurchaseClaims } from '../purchaseClaims';
import { SOURCE_CLAIMS, type SourceClaims } from '../sourceClaims';
import { pgClaimTable } from './claimTable';
import { outboxPool } from './db';
import { PgEventQueue } from './eventQueue';
import { migratePg } from './migrations';
import { outboxUrlTarget, redactOutboxUrl } from './url';

export interface PgOutboxOptions {
  /** OUTBOX_URL: a postgres:// URL (config.ts checked it). */
  url: string;
  /** This replica's name (SIDECAR_REPLICA_ID): its claims and its write probe are kept under it, across restarts. */
  replica: string;
  leaseMs: number;
  poolMax?: number;
  /** How long a connection attempt may take before the open fails. */
  connectTimeoutMs?: number;
  /** An idle pooled connection broke (a restart of PostgreSQL): the next statement reconnects. */
  onIdleError?: (err: Error) => void;
}

/** The outbox in a PostgreSQL database that several replicas may share; see pg/eventQueue.ts for how they divide it. */
export class PgOutbox implements Outbox {
  readonly events: PgEventQueue;
  readonly purchaseClaims: PurchaseClaims;
  readonly sourceClaims: SourceClaims;
  readonly settingsSnapshot: SettingsSnapshot;

  private constructor(
    private readonly pool: Pool,
    private readonly replica: string,
    leaseMs: number,
    /** The connection that holds this replica's name (see `holdReplicaName`). */
    private readonly nameHolder: PoolClient,
  ) {
    this.events = new PgEventQueue(pool, { replica, leaseMs });
    this.purchaseClaims = pgClaimTable(pool, this.events, PURCHASE_CLAIMS, replica);
    this.sourceClaims = pgClaimTable(pool, this.events, SOURCE_CLAIMS, replica);
    this.settingsSnapshot = {
      save: async (json, now) => {
        await pool.query(`INSERT INTO settings_snapshot (id, json, saved_at) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET json = EXCLUDED.json, saved_at = EXCLUDED.saved_at`, [json, now]);
      },
      load: async () => (await pool.query<{ json: string }>(`SELECT json FROM settings_snapshot WHERE id = 1`)).rows[0]?.json,
    };
  }

  /**
   * Connect, and bring the database to the current schema (a database of a newer
   * release is refused unchanged). Every error names the host and the database,
   * never the password.
   */
  static async open(opts: PgOutboxOptions): Promise<PgOutbox> {
    const pool = outboxPool(opts.url, opts.poolMax ?? 5, { connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000 });
    pool.on('error', (err) => opts.onIdleError?.(err));
    let nameHolder: PoolClient;
    try {
      await migratePg(pool, redactOutboxUrl(opts.url));
      nameHolder = await holdReplicaName(pool, opts.replica);
    } catch (err) {
      await pool.end().catch(() => {});
      if (err instanceof OutboxTooNewError || err instanceof OutboxOpenError) throw new OutboxOpenError(err.message, false);
      throw cannotOpen(opts.url, err);
    }
    return new PgOutbox(pool, opts.replica, opts.leaseMs, nameHolder);
  }

  /** This replica's own row: replicas probing at once do not wait on each other. */
  async probeWrite(now: number): Promise<void> {
    await this.pool.query(`INSERT INTO write_probe (replica, at) VALUES ($1, $2) ON CONFLICT (replica) DO UPDATE SET at = EXCLUDED.at`, [this.replica, now]);
  }

  async close(): Promise<void> {
    this.nameHolder.release();
    await this.pool.end();
  }
}

/** Any value fixed for this project: the first key of the locks on replica names (the second is the name's hash). */
const REPLICA_NAME_LOCK_CLASS = 0x7e11;

/**
 * Two running processes under one replica name would each take the other's rows
 * for their own: a restart of one would release rows the other is sending, and
 * fencing could not tell them apart. A session lock on the name, held by one
 * connection for the life of the outbox, refuses the second. (Two names of the
 * same 32-bit hash would be refused too: a rename settles it.)
 */
async function holdReplicaName(pool: Pool, replica: string): Promise<PoolClient> {
  const holder = await pool.connect();
  try {
    const { rows } = await holder.query<{ held: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS held', [REPLICA_NAME_LOCK_CLASS, replica]);
    if (rows[0].held) return holder;
  } catch (err) {
    holder.release();
    throw err;
  }
  holder.release();
  throw new OutboxOpenError(
    `another running sidecar uses the replica name "${replica}" on this outbox: give each replica its own SIDECAR_REPLICA_ID (the name must stay the same across restarts of one replica)`,
    false,
  );
}

/** SQLSTATE classes and codes that say what to check, for the one line an operator reads. */
function hintFor(err: unknown): string {
  const raw = (err as { code?: unknown } | null)?.code;
  const code = typeof raw === 'string' ? raw : '';
  if (code === '28P01' || code === '28000') return 'the server refused the login: check the user and password of OUTBOX_URL';
  if (code === '3D000') return 'the database does not exist: create it (the sidecar creates its tables, not the database)';
  if (code === '42501') return 'the user may not create the outbox tables: grant it CREATE on the database (or its schema)';
  if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH'].includes(code) || /timeout/i.test(String((err as Error)?.message))) {
    return 'the server did not answer: check the host and port of OUTBOX_URL and that PostgreSQL runs';
  }
  return 'check OUTBOX_URL and the server';
}

function cannotOpen(url: string, err: unknown): OutboxOpenError {
  const { host, database } = outboxUrlTarget(url);
  const password = new URL(url).password;
  const said = String((err as Error)?.message ?? err);
  // pg's messages do not quote the password; a driver or server that did would not have it repeated here.
  const reason = password ? said.split(decodeURIComponent(password)).join('***').split(password).join('***') : said;
  return new OutboxOpenError(`cannot open the PostgreSQL outbox (host ${host}, database ${database}): ${reason}. ${hintFor(err)}.`, false);
}
