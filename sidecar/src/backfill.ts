import { z } from 'zod';
import type { Env } from './config';
import { connectOdoo } from './odoo/connect';
import type { OdooTransport } from './odoo/types';
import { MAX_EVENT_AGE_SECONDS } from './contract/formats';

/**
 * How long a backfilled Purchase has to reach TikTok before it is too old: the
 * poller claims it within seconds; the rest of the hour covers retries. Past
 * MAX_EVENT_AGE_SECONDS the dispatcher parks it as a dead letter.
 */
export const BACKFILL_SEND_MARGIN_SECONDS = 3600;
/** How far back the backfill looks: orders confirmed since then still fit TikTok's window. */
export const BACKFILL_MAX_AGE_SECONDS = MAX_EVENT_AGE_SECONDS - BACKFILL_SEND_MARGIN_SECONDS;

export const BACKFILL_USAGE = 'backfill [--dry-run]';

/** `sale.order.tiktok_backfill_purchases()`'s answer (docs/CONTRACTS.md §6). */
const BackfillAnswerSchema = z.object({
  dry_run: z.boolean(),
  since: z.string(),
  queued: z.number().int().nonnegative(),
  skipped: z.array(z.object({ reason: z.string(), label: z.string(), count: z.number().int().positive() })),
  orders: z.array(
    z.object({
      order_id: z.number().int().positive(),
      order_name: z.string(),
      confirmed_at: z.string(),
      outcome: z.string(),
    }),
  ),
});

export type BackfillAnswer = z.infer<typeof BackfillAnswerSchema>;

/** Ask Odoo to queue (or, dry, to list) the Purchases of confirmed web orders that never were. */
export async function backfillPurchases(odoo: Pick<OdooTransport, 'call'>, dryRun: boolean): Promise<BackfillAnswer> {
  const answer = await odoo.call('sale.order', 'tiktok_backfill_purchases', {
    kwargs: { max_age_seconds: BACKFILL_MAX_AGE_SECONDS, dry_run: dryRun },
  });
  const parsed = BackfillAnswerSchema.safeParse(answer);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `Odoo's backfill answer is not understood (${issue.path.join('.') || 'answer'}: ${issue.message}): ` +
        'are the website_tiktok_events module and this sidecar of the same release?',
    );
  }
  return parsed.data;
}

const counted = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** What the merchant reads: counts, then each order on a dry run. */
export function formatBackfill(answer: BackfillAnswer): string {
  const since = `confirmed since ${answer.since} UTC`;
  if (answer.orders.length === 0) return `no web order ${since} is missing its Purchase`;
  const skippedTotal = answer.skipped.reduce((sum, s) => sum + s.count, 0);
  const labels = new Map(answer.skipped.map((s) => [s.reason, s.label]));
  const lines = answer.dry_run
    ? [`dry run, nothing queued: ${counted(answer.queued, 'Purchase')} to queue, ${counted(skippedTotal, 'order')} to skip (${since})`]
    : [`${counted(answer.queued, 'Purchase')} queued, the poller sends them; ${counted(skippedTotal, 'order')} skipped (${since})`];
  for (const s of answer.skipped) lines.push(`  skipped ${s.count}: ${s.label}`);
  if (answer.dry_run) {
    for (const o of answer.orders) {
      const what = o.outcome === 'queued' ? 'would be queued' : `skipped: ${labels.get(o.outcome) ?? o.outcome}`;
      lines.push(`  ${o.order_name} (confirmed ${o.confirmed_at}) ${what}`);
    }
  }
  return lines.join('\n');
}

export interface CommandResult {
  output: string;
  exitCode: number;
}

/** The `backfill` command: its arguments, the Odoo connection, the report. */
export async function runBackfillCommand(cfg: Env, args: string[]): Promise<CommandResult> {
  const unknown = args.filter((a) => a !== '--dry-run');
  if (unknown.length) return { output: `unknown option ${unknown.join(' ')}; usage: ${BACKFILL_USAGE}`, exitCode: 2 };
  if (!cfg.ODOO_URL) return { output: 'backfill needs the Odoo connection (ODOO_URL, ODOO_LOGIN, ODOO_API_KEY): the orders are in Odoo', exitCode: 78 };
  let odoo;
  try {
    odoo = await connectOdoo({
      url: cfg.ODOO_URL,
      db: cfg.ODOO_DB,
      login: cfg.ODOO_LOGIN ?? '',
      apiKey: cfg.ODOO_API_KEY ?? '',
      transport: cfg.ODOO_TRANSPORT,
    });
  } catch (err) {
    return { output: (err as Error).message, exitCode: 1 };
  }
  try {
    return { output: formatBackfill(await backfillPurchases(odoo, args.includes('--dry-run'))), exitCode: 0 };
  } catch (err) {
    return { output: (err as Error).message, exitCode: 1 };
  } finally {
    odoo.close();
  }
}
