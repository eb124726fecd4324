import type { Logger } from 'pino';
import { failureBackoff, RepeatingTask } from '../odoo/repeating';
import type { OdooTransport } from '../odoo/types';
import type { NewOutboxEvent } from '../outbox/eventQueue';
import type { PurchaseClaim, PurchaseClaims } from '../outbox/purchaseClaims';
import { defaultReplicaId } from '../report/replica';
import type { SettingsSource } from '../settings/types';
import { ClaimedPurchaseSchema } from '../contract/purchase';
import { buildPurchaseEvent } from './purchaseEvent';

export interface PurchasePollerOptions {
  intervalMs: number;
  /** How long a claim is ours; a sidecar that dies loses its claims after this. */
  leaseSeconds: number;
  batchSize: number;
  /** Upper bound of the backoff while Odoo is unreachable. */
  maxBackoffMs: number;
  /** Who claims, as Odoo records it (the replica id); the host name by default. */
  claimer?: string;
}

export interface PurchasePollerDeps {
  odoo: () => Promise<OdooTransport>;
  settings: SettingsSource & { isLoaded?: () => boolean };
  purchaseClaims: PurchaseClaims;
  log: Logger;
  /** Called after Purchases are stored (`stored[i]` false: already in the outbox), to wake the dispatcher. */
  onEnqueued: (events: NewOutboxEvent[], stored: boolean[]) => void;
}

/**
 * Claims confirmed web orders from Odoo (PostgreSQL coordinates replicas with
 * SKIP LOCKED and a lease), turns each into a server Purchase in the outbox with
 * the confirmation page's event id, and reports back to Odoo once TikTok settled it.
 */
export class PurchasePoller {
  private failures = 0;
  private readonly loop = new RepeatingTask(() => this.cycle());
  readonly claimer: string;

  constructor(
    private readonly deps: PurchasePollerDeps,
    private readonly opts: PurchasePollerOptions,
  ) {
    this.claimer = opts.claimer ?? defaultReplicaId();
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One poll; returns the wait before the next. */
  private async cycle(): Promise<number> {
    let claimedFull = false;
    try {
      await this.reportSettled();
      claimedFull = (await this.pollOnce()) >= this.opts.batchSize;
      this.failures = 0;
    } catch (err) {
      this.failures += 1;
      if (this.failures === 1 || this.failures % 10 === 0) {
        this.deps.log.warn({ failures: this.failures, err: (err as Error).message }, 'purchases: Odoo could not be polled; backing off, nothing is lost');
      }
    }
    // A full batch means more are waiting: go again at once.
    return this.failures ? failureBackoff(this.failures, this.opts) : claimedFull ? 0 : this.opts.intervalMs;
  }

  /** Claim what is due and store it; returns how many orders were claimed. */
  async pollOnce(): Promise<number> {
    const { settings, log, purchaseClaims } = this.deps;
    if (settings.isLoaded && !settings.isLoaded()) return 0; // no routing yet: leave orders to the lease
    const odoo = await this.deps.odoo();
    const answer = await odoo.call<unknown>('sale.order', 'tiktok_claim_purchases', {
      kwargs: { limit: this.opts.batchSize, lease_seconds: this.opts.leaseSeconds, claimer: this.claimer },
    });
    if (!Array.isArray(answer)) throw new Error('sale.order.tiktok_claim_purchases() did not return a list');
    const claims: PurchaseClaim[] = [];
    const skipped: number[] = [];
    for (const raw of answer) {
      const parsed = ClaimedPurchaseSchema.safeParse(raw);
      if (!parsed.success) {
        const orderId = (raw as { order_id?: unknown })?.order_id;
        log.error({ orderId, problems: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }, 'purchases: unreadable order from Odoo; left for the lease to expire');
        continue;
      }
      const purchase = parsed.data;
      const website = settings.all().find((w) => w.websiteId === purchase.website_id);
      if (!website) {
        skipped.push(purchase.order_id);
        continue;
      }
      claims.push({ orderId: purchase.order_id, event: buildPurchaseEvent(purchase, website) });
    }
    if (claims.length) {
      const stored = purchaseClaims.enqueueClaims(claims, Date.now());
      this.deps.onEnqueued(claims.map((c) => c.event), stored);
      log.info({ orders: claims.map((c) => c.orderId) }, 'purchases: claimed and queued');
    }
    if (skipped.length) {
      await odoo.call('sale.order', 'tiktok_mark_purchases', { kwargs: { order_ids: skipped, state: 'skipped', claimer: this.claimer } });
      log.warn({ orders: skipped }, 'purchases: website has no usable TikTok pixel; orders marked skipped');
    }
    return answer.length;
  }

  /** Tell Odoo which claimed orders TikTok accepted (sent) or refused for good (failed). */
  async reportSettled(): Promise<void> {
    const settled = this.deps.purchaseClaims.settledClaims(500);
    if (!settled.length) return;
    const odoo = await this.deps.odoo();
    for (const outcome of ['delivered', 'dead'] as const) {
      const ids = settled.filter((s) => s.outcome === outcome).map((s) => s.orderId);
      if (!ids.length) continue;
      await odoo.call('sale.order', 'tiktok_mark_purchases', { kwargs: { order_ids: ids, state: outcome === 'delivered' ? 'sent' : 'failed', claimer: this.claimer } });
      this.deps.purchaseClaims.markReported(ids, outcome);
    }
  }
}
