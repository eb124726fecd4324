import type { Pool } from 'pg';
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
  ) {
    this.events = new PgEventQueue(pool, { replica, leaseMs });
    this.purchaseClaims = pgClaimTable(pool, this.events, PURCHASE_CLAIMS);
    this.sourceClaims = pgClaimTable(pool, this.events, SOURCE_CLAIMS);
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
    try {
      await migratePg(pool, redactOutboxUrl(opts.url));
    } catch (err) {
      await pool.end().catch(() => {});
      if (err instanceof OutboxTooNewError) throw new OutboxOpenError(err.message, false);
      throw cannotOpen(opts.url, err);
    }
    return new PgOutbox(pool, opts.replica, opts.leaseMs);
  }

  /** This replica's own row: replicas probing at once do not wait on each other. */
  async probeWrite(now: number): Promise<void> {
    await this.pool.query(`INSERT INTO write_probe (replica, at) VALUES ($1, $2) ON CONFLICT (replica) DO UPDATE SET at = EXCLUDED.at`, [this.replica, now]);
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

/** SQLSTATE classes and codes that say what to check, for the one line an operator reads. */
function hintFor(err: unknown): string {
  const code = String((err as { code?: unknown } | null)?.code ?? '');
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
