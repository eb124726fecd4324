import type { Logger } from 'pino';
import { ClaimedSourceEventSchema } from '../contract/sourceEvent';
import { failureBackoff, RepeatingTask } from '../odoo/repeating';
import type { OdooTransport } from '../odoo/types';
import type { NewOutboxEvent } from '../outbox/eventQueue';
import type { SourceClaim, SourceClaims } from '../outbox/sourceClaims';
import { defaultReplicaId } from '../report/replica';
import type { SettingsSource } from '../settings/types';
import type { PurchasePollerOptions } from './purchasePoller';
import { buildSourceEvent } from './sourceEvent';

/** The Odoo model whose RPC methods hand out and take back events of other sources. */
export const SOURCE_EVENT_MODEL = 'tiktok.source.event';

export type SourcePollerOptions = PurchasePollerOptions;

export interface SourcePollerDeps {
  odoo: () => Promise<OdooTransport>;
  settings: SettingsSource & { isLoaded?: () => boolean };
  sourceClaims: SourceClaims;
  log: Logger;
  /** Called after events are stored (`stored[i]` false: already in the outbox), to wake the dispatcher. */
  onEnqueued: (events: NewOutboxEvent[], stored: boolean[]) => void;
}

/**
 * Claims the events of Odoo's other sources (CRM lead stages, offline sales) the
 * way the purchase poller claims orders: PostgreSQL's SKIP LOCKED and a lease
 * coordinate replicas, each event keeps Odoo's id, and Odoo is told once TikTok
 * settled it. An event whose website has no settings here is marked skipped.
 */
export class SourcePoller {
  private failures = 0;
  private readonly loop = new RepeatingTask(() => this.cycle());
  readonly claimer: string;

  constructor(
    private readonly deps: SourcePollerDeps,
    private readonly opts: SourcePollerOptions,
  ) {
    this.claimer = opts.claimer ?? defaultReplicaId();
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async cycle(): Promise<number> {
    let claimedFull = false;
    try {
      await this.reportSettled();
      claimedFull = (await this.pollOnce()) >= this.opts.batchSize;
      this.failures = 0;
    } catch (err) {
      this.failures += 1;
      if (this.failures === 1 || this.failures % 10 === 0) {
        this.deps.log.warn({ failures: this.failures, err: (err as Error).message }, 'source events: Odoo could not be polled; backing off, nothing is lost');
      }
    }
    return this.failures ? failureBackoff(this.failures, this.opts) : claimedFull ? 0 : this.opts.intervalMs;
  }

  /** Claim what is due and store it; returns how many events Odoo handed out. */
  async pollOnce(): Promise<number> {
    const { settings, log, sourceClaims } = this.deps;
    if (settings.isLoaded && !settings.isLoaded()) return 0; // no tokens yet: leave events to the lease
    const odoo = await this.deps.odoo();
    const answer = await odoo.call<unknown>(SOURCE_EVENT_MODEL, 'tiktok_claim_source_events', {
      kwargs: { limit: this.opts.batchSize, lease_seconds: this.opts.leaseSeconds, claimer: this.claimer },
    });
    if (!Array.isArray(answer)) throw new Error(`${SOURCE_EVENT_MODEL}.tiktok_claim_source_events() did not return a list`);
    const claims: SourceClaim[] = [];
    const skipped: string[] = [];
    for (const raw of answer) {
      const parsed = ClaimedSourceEventSchema.safeParse(raw);
      if (!parsed.success) {
        const eventId = (raw as { event_id?: unknown })?.event_id;
        log.error({ eventId, problems: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }, 'source events: unreadable event from Odoo; left for the lease to expire');
        continue;
      }
      const entry = parsed.data;
      const website = settings.all().find((w) => w.websiteId === entry.website_id);
      if (!website) {
        skipped.push(entry.event_id);
        continue;
      }
      claims.push({ event: buildSourceEvent(entry, website) });
    }
    if (claims.length) {
      const stored = sourceClaims.enqueueClaims(claims, Date.now());
      this.deps.onEnqueued(claims.map((c) => c.event), stored);
      log.info({ events: claims.map((c) => ({ lane: c.event.pixelId, event: c.event.event, eventId: c.event.eventId })) }, 'source events: claimed and queued');
    }
    if (skipped.length) {
      await odoo.call(SOURCE_EVENT_MODEL, 'tiktok_mark_source_events', { kwargs: { event_ids: skipped, state: 'skipped', claimer: this.claimer } });
      log.warn({ events: skipped }, 'source events: their website has no settings here; marked skipped');
    }
    return answer.length;
  }

  /** Tell Odoo which claimed events TikTok accepted (sent) or refused for good (failed). */
  async reportSettled(): Promise<void> {
    const settled = this.deps.sourceClaims.settledClaims(500);
    if (!settled.length) return;
    const odoo = await this.deps.odoo();
    for (const outcome of ['delivered', 'dead'] as const) {
      const ids = settled.filter((s) => s.outcome === outcome).map((s) => s.eventId);
      if (!ids.length) continue;
      await odoo.call(SOURCE_EVENT_MODEL, 'tiktok_mark_source_events', { kwargs: { event_ids: ids, state: outcome === 'delivered' ? 'sent' : 'failed', claimer: this.claimer } });
      this.deps.sourceClaims.markReported(ids, outcome);
    }
  }
}
