import type { Logger } from 'pino';
import type { Env } from '../config';
import { PgOutbox } from './pg/outbox';
import { redactOutboxUrl } from './pg/url';

/** Where the outbox is, as logs say it: the file, or the PostgreSQL URL without its password. */
export function outboxLocation(cfg: Pick<Env, 'OUTBOX_URL' | 'OUTBOX_PATH'>): string {
  return cfg.OUTBOX_URL ? redactOutboxUrl(cfg.OUTBOX_URL) : cfg.OUTBOX_PATH;
}

/**
 * The PostgreSQL outbox of OUTBOX_URL, connected and migrated, for `replica`: the
 * sidecar's own name (`serve`), or a name of its own for a one-off command that must
 * not take a running replica's.
 */
export function openPgOutbox(cfg: Pick<Env, 'OUTBOX_URL' | 'OUTBOX_PG_POOL_MAX' | 'OUTBOX_LEASE_MS'>, replica: string, log?: Logger): Promise<PgOutbox> {
  if (!cfg.OUTBOX_URL) throw new Error('openPgOutbox needs OUTBOX_URL');
  return PgOutbox.open({
    url: cfg.OUTBOX_URL,
    replica,
    leaseMs: cfg.OUTBOX_LEASE_MS,
    poolMax: cfg.OUTBOX_PG_POOL_MAX,
    // pg's error of a broken idle connection names no password; the next statement reconnects.
    onIdleError: (err) => log?.warn({ err }, 'outbox: an idle PostgreSQL connection broke; the next statement reconnects'),
  });
}
