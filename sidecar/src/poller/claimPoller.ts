import type { Logger } from 'pino';
import type { z } from 'zod';
import { failureBackoff, RepeatingTask } from '../odoo/repeating';
import type { OdooTransport } from '../odoo/types';
import type { ClaimOutcome, ClaimTable } from '../outbox/claimTable';
import type { NewOutboxEvent } from '../outbox/eventQueue';
import { checkServerRow, type CheckedOutboxEvent } from '../outbox/rowGate';
import { defaultReplicaId } from '../report/replica';
import type { SettingsSource, WebsiteSettings } from '../settings/types';

export interface ClaimPollerOptions {
  intervalMs: number;
  /** How long a claim is ours; a sidecar that dies loses its claims after this. */
  leaseSeconds: number;
  batchSize: number;
  /** Upper bound of the backoff while Odoo is unreachable. */
  maxBackoffMs: number;
  /** Who claims, as Odoo records it (the replica id); the host name by default. */
  claimer?: string;
}

export interface ClaimPollerDeps {
  odoo: () => Promise<OdooTransport>;
  settings: SettingsSource & { isLoaded?: () => boolean };
  log: Logger;
  /** Called after events are stored (`stored[i]` false: already in the outbox), to wake the dispatcher. */
  onEnqueued: (events: NewOutboxEvent[], stored: boolean[]) => void;
  /** Called with how many entries of the queue named `queue` the outbox's gate refused (the metric). */
  onRefused?: (queue: string, count: number) => void;
}

/** An entry whose row the outbox's gate refused, and why. */
export interface RefusedEntry<Key> {
  key: Key;
  reasons: string[];
}

/**
 * What one of Odoo's claim queues differs by (docs/CONTRACTS.md §6, §8): its RPC
 * methods, what an entry is and how it becomes an outbox event, the table that
 * remembers the claims until Odoo is told how they ended.
 */
export interface ClaimQueue<Entry extends { website_id: number }, Claim extends { event: CheckedOutboxEvent }, Settled extends { outcome: ClaimOutcome }, Key> {
  /** What the logs call the queue. */
  name: string;
  /** What Odoo names one claim by: `<item>_id` in an entry, `<item>_ids` in a report. */
  item: 'order' | 'event';
  model: string;
  claimMethod: string;
  markMethod: string;
  /** One entry of the claim's answer, as Odoo writes it. */
  schema: z.ZodType<Entry>;
  keyOf(entry: Entry): Key;
  settledKey(settled: Settled): Key;
  /** The outbox event of an entry whose website has settings here. */
  event(entry: Entry, website: WebsiteSettings): NewOutboxEvent;
  /** The claim of an entry, its event past the outbox's gate. */
  claim(entry: Entry, event: CheckedOutboxEvent): Claim;
  /** What the log says of a claim stored. */
  describe(claim: Claim): unknown;
  /** The log's warning on entries whose website has no settings here. */
  skippedMessage: string;
  table: ClaimTable<Claim, Settled, Key>;
}

/**
 * Claims due events from one of Odoo's queues (PostgreSQL coordinates replicas
 * with SKIP LOCKED and a lease), stores each in the outbox with Odoo's event id,
 * and reports back to Odoo once TikTok settled it. An entry whose website has no
 * settings here is marked skipped; one whose row the outbox's gate refuses, failed.
 */
export class ClaimPoller<Entry extends { website_id: number }, Claim extends { event: CheckedOutboxEvent }, Settled extends { outcome: ClaimOutcome }, Key> {
  private failures = 0;
  private readonly loop = new RepeatingTask(() => this.cycle());
  readonly claimer: string;

  constructor(
    private readonly queue: ClaimQueue<Entry, Claim, Settled, Key>,
    private readonly deps: ClaimPollerDeps,
    private readonly opts: ClaimPollerOptions,
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
        this.deps.log.warn({ failures: this.failures, err: (err as Error).message }, `${this.queue.name}: Odoo could not be polled; backing off, nothing is lost`);
      }
    }
    // A full batch means more are waiting: go again at once.
    return this.failures ? failureBackoff(this.failures, this.opts) : claimedFull ? 0 : this.opts.intervalMs;
  }

  /** Claim what is due and store it; returns how many entries Odoo handed out. */
  async pollOnce(): Promise<number> {
    const { settings, log } = this.deps;
    const { name, item, model, claimMethod, schema, table } = this.queue;
    if (settings.isLoaded && !settings.isLoaded()) return 0; // no routing yet: leave them to the lease
    const odoo = await this.deps.odoo();
    const answer = await odoo.call<unknown>(model, claimMethod, {
      kwargs: { limit: this.opts.batchSize, lease_seconds: this.opts.leaseSeconds, claimer: this.claimer },
    });
    if (!Array.isArray(answer)) throw new Error(`${model}.${claimMethod}() did not return a list`);
    const claims: Claim[] = [];
    const skipped: Key[] = [];
    const refused: RefusedEntry<Key>[] = [];
    for (const raw of answer) {
      const parsed = schema.safeParse(raw);
      if (!parsed.success) {
        const key = (raw as Record<string, unknown> | null)?.[`${item}_id`];
        log.error({ [`${item}Id`]: key, problems: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }, `${name}: unreadable ${item} from Odoo; left for the lease to expire`);
        continue;
      }
      const entry = parsed.data;
      const website = settings.all().find((w) => w.websiteId === entry.website_id);
      if (!website) {
        skipped.push(this.queue.keyOf(entry));
        continue;
      }
      const checked = checkServerRow(this.queue.event(entry, website));
      if (checked.kind === 'refused') refused.push({ key: this.queue.keyOf(entry), reasons: checked.reasons });
      else claims.push(this.queue.claim(entry, checked.event));
    }
    if (claims.length) {
      const stored = await table.enqueueClaims(claims, Date.now());
      this.deps.onEnqueued(claims.map((c) => c.event), stored);
      log.info({ [`${item}s`]: claims.map((c) => this.queue.describe(c)) }, `${name}: claimed and queued`);
    }
    if (skipped.length) {
      await this.mark(odoo, skipped, 'skipped');
      log.warn({ [`${item}s`]: skipped }, `${name}: ${this.queue.skippedMessage}`);
    }
    if (refused.length) await this.reportRefused(odoo, refused);
    return answer.length;
  }

  /**
   * Entries whose row breaks the contract are neither sent nor lost: the log names each
   * with its reasons (words about fields, never their values), the metric counts them,
   * and Odoo is told they failed, so its control room shows them and they are not handed
   * out again. Should that report not arrive, the lease hands them out again and they
   * are refused again.
   */
  private async reportRefused(odoo: OdooTransport, refused: RefusedEntry<Key>[]): Promise<void> {
    const { name, item } = this.queue;
    this.deps.log.error(
      { [`${item}s`]: refused.map(({ key, reasons }) => ({ [`${item}Id`]: key, reasons })) },
      `${name}: refused at the outbox, the row breaks the contract; reported failed to Odoo, not sent`,
    );
    this.deps.onRefused?.(name, refused.length);
    await this.mark(odoo, refused.map((r) => r.key), 'failed');
  }

  /** Tell Odoo which claims TikTok accepted (sent) or refused for good (failed). */
  async reportSettled(): Promise<void> {
    const { table } = this.queue;
    const settled = await table.settledClaims(500);
    if (!settled.length) return;
    const odoo = await this.deps.odoo();
    for (const outcome of ['delivered', 'dead'] as const) {
      const keys = settled.filter((s) => s.outcome === outcome).map((s) => this.queue.settledKey(s));
      if (!keys.length) continue;
      await this.mark(odoo, keys, outcome === 'delivered' ? 'sent' : 'failed');
      await table.markReported(keys, outcome);
    }
  }

  private mark(odoo: OdooTransport, keys: Key[], state: 'sent' | 'failed' | 'skipped'): Promise<unknown> {
    const { item, model, markMethod } = this.queue;
    return odoo.call(model, markMethod, { kwargs: { [`${item}_ids`]: keys, state, claimer: this.claimer } });
  }
}
