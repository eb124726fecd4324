import type { Logger } from 'pino';
import type { Metrics } from '../metrics';
import type { OutboxRow, OutboxStore } from '../outbox/store';
import type { SettingsSource } from '../settings/types';
import type { EventsApiClient } from '../tiktok/client';
import type { SendOutcome } from '../tiktok/outcome';
import { serializeTrackRequest, unixSeconds } from '../tiktok/payload';
import { MAX_EVENT_AGE_SECONDS } from '../tiktok/validate';
import { backoffDelay, batchLimit, isLaneReady, splitInHalves, type BackoffPolicy, type BatchPolicy } from './policy';

export interface DispatcherOptions extends BatchPolicy {
  backoff: BackoffPolicy;
  maxConcurrentRequests: number;
  /** How long a pixel waits after TikTok refused its token before trying again (settings may have changed). */
  unauthorizedPauseMs: number;
  /** Idle poll interval when nothing is due (enqueue also wakes the loop). */
  idleMs: number;
}

export interface DispatcherDeps {
  store: OutboxStore;
  client: EventsApiClient;
  settings: SettingsSource;
  metrics: Metrics;
  log: Logger;
  clock?: () => number;
  random?: () => number;
}

/**
 * Moves events from the outbox to TikTok: one lane per (pixel, test event code),
 * batches of up to 1,000, retries with backoff that keep the event_id, and
 * bisection of rejected batches so only the bad rows become dead letters.
 */
export class Dispatcher {
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly inFlight = new Set<Promise<void>>();
  /** Pixels TikTok (or the settings) refused, with the token they had: a new token lifts the pause. */
  private readonly paused = new Map<string, { until: number; token: string }>();
  private running = false;
  private draining = false;
  private loop?: Promise<void>;
  private readonly sleepers = new Set<() => void>();

  constructor(
    private readonly deps: DispatcherDeps,
    private readonly opts: DispatcherOptions,
  ) {
    this.clock = deps.clock ?? Date.now;
    this.random = deps.random ?? Math.random;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const released = this.deps.store.releaseInFlight();
    if (released > 0) this.deps.log.info({ released }, 'outbox: events left in flight by a previous run are pending again');
    this.loop = this.run();
  }

  /** Called after new events are stored, so a full batch leaves without waiting for the idle timer. */
  wake(): void {
    for (const wakeUp of [...this.sleepers]) wakeUp();
  }

  /** Stop claiming new work, send what is due within `graceMs`, and wait for requests in flight. */
  async stop(graceMs: number): Promise<void> {
    if (!this.running) return;
    this.draining = true;
    const deadline = this.clock() + graceMs;
    while (this.clock() < deadline && this.hasDueWork()) {
      await this.tick();
      await this.waitForSlotOrTimeout(Math.max(0, deadline - this.clock()));
    }
    this.running = false;
    this.wake();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
  }

  private hasDueWork(): boolean {
    return this.inFlight.size > 0 || this.deps.store.dueGroups(this.clock()).length > 0;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let launched = 0;
      try {
        launched = this.draining ? 0 : await this.tick();
      } catch (err) {
        this.deps.log.error({ err }, 'dispatcher: unexpected error; retrying shortly');
      }
      if (!this.running) break;
      if (this.inFlight.size >= this.opts.maxConcurrentRequests) await this.waitForSlotOrTimeout(this.opts.idleMs);
      else if (launched === 0) await this.sleep(this.nextWakeDelay());
    }
  }

  /** Launch a request for every ready lane while request slots are free. Returns how many were launched. */
  private async tick(): Promise<number> {
    const now = this.clock();
    let launched = 0;
    for (const group of this.deps.store.dueGroups(now)) {
      if (this.inFlight.size >= this.opts.maxConcurrentRequests) break;
      if (this.isPaused(group.pixelId, now)) continue;
      if (!isLaneReady(group, now, this.opts, this.draining)) continue;
      const rows = await this.claimInSlices(group, now, batchLimit(group, this.opts));
      if (rows.length === 0) continue;
      this.track(this.deliver(group.pixelId, group.testEventCode, rows));
      launched += 1;
    }
    return launched;
  }

  /**
   * Claim a batch a slice at a time, yielding to the event loop between slices: one
   * 1,000-row claim would hold the relay's thread long enough to show in its p99.
   */
  private async claimInSlices(group: { pixelId: string; testEventCode: string }, now: number, limit: number): Promise<OutboxRow[]> {
    const rows: OutboxRow[] = [];
    while (rows.length < limit) {
      const slice = this.deps.store.claim(group, now, Math.min(CLAIM_SLICE, limit - rows.length));
      rows.push(...slice);
      if (slice.length < CLAIM_SLICE) break;
      await yieldToEventLoop();
    }
    return rows;
  }

  private isPaused(pixelId: string, now: number): boolean {
    const pause = this.paused.get(pixelId);
    if (!pause) return false;
    const token = this.deps.settings.byPixel(pixelId)?.accessToken ?? '';
    if (pause.until <= now || token !== pause.token) {
      this.paused.delete(pixelId);
      return false;
    }
    return true;
  }

  private pause(pixelId: string, token: string, ms: number): void {
    this.paused.set(pixelId, { until: this.clock() + ms, token });
  }

  private nextWakeDelay(): number {
    const next = this.deps.store.nextAttemptAt();
    const untilDue = next === undefined ? this.opts.idleMs : next - this.clock();
    // A lane that is due but not full waits for its linger time; poll at a fraction of it.
    return Math.max(5, Math.min(this.opts.idleMs, Math.max(untilDue, this.opts.lingerMs / 4)));
  }

  private track(p: Promise<void>): void {
    const tracked = p
      .catch((err) => this.deps.log.error({ err }, 'dispatcher: delivery failed unexpectedly'))
      .finally(() => {
        this.inFlight.delete(tracked);
        this.wake();
      });
    this.inFlight.add(tracked);
  }

  private async deliver(pixelId: string, testEventCode: string, claimed: OutboxRow[]): Promise<void> {
    const { store, settings, log } = this.deps;
    const now = this.clock();
    const token = settings.byPixel(pixelId)?.accessToken;
    if (!token) {
      // Usually a start while Odoo is down: the token arrives with the next settings read.
      const wait = Math.min(this.opts.unauthorizedPauseMs, 10_000);
      store.markRetry(claimed.map((r) => r.id), now + wait, 'no access token configured for this pixel');
      this.pause(pixelId, '', wait);
      log.warn({ pixelId, events: claimed.length }, 'dispatcher: no access token for this pixel; events wait in the outbox');
      return;
    }
    const rows = this.parkInvalid(claimed);
    if (rows.length > 0) await this.sendAndSettle(pixelId, testEventCode, token, rows);
  }

  /**
   * Rows were validated when they entered the outbox; only their age changes while
   * they wait (a long outage). Too old for TikTok: parked with the reason.
   */
  private parkInvalid(rows: OutboxRow[]): OutboxRow[] {
    const oldest = unixSeconds(this.clock()) - MAX_EVENT_AGE_SECONDS;
    const expired = rows.filter((r) => r.eventTime < oldest);
    if (expired.length) this.park(expired, null, `not sent: older than ${MAX_EVENT_AGE_SECONDS / 86400} days, TikTok would refuse it`);
    return expired.length ? rows.filter((r) => r.eventTime >= oldest) : rows;
  }

  private async sendAndSettle(pixelId: string, testEventCode: string, token: string, rows: OutboxRow[]): Promise<void> {
    const { store, client, metrics, log } = this.deps;
    const request = serializeTrackRequest(pixelId, rows.map((r) => r.payload), testEventCode || undefined);
    metrics.batchSize.observe(rows.length);
    const outcome: SendOutcome = await client.send(request, token);
    metrics.requests.inc({ outcome: outcome.kind });
    const now = this.clock();
    const ids = rows.map((r) => r.id);
    switch (outcome.kind) {
      case 'delivered': {
        for (let i = 0; i < ids.length; i += CLAIM_SLICE) {
          store.markDelivered(ids.slice(i, i + CLAIM_SLICE), now);
          if (i + CLAIM_SLICE < ids.length) await yieldToEventLoop();
        }
        for (const r of rows) {
          metrics.delivered.inc({ source: r.source });
          metrics.deliveryLatency.observe((now - r.createdAt) / 1000);
        }
        return;
      }
      case 'retry': {
        const attempts = Math.max(...rows.map((r) => r.attempts));
        store.markRetry(ids, now + backoffDelay(attempts, this.opts.backoff, this.random), outcome.reason);
        metrics.retried.inc({ reason: retryReasonClass(outcome.reason) }, rows.length);
        log.warn({ pixelId, events: rows.length, attempts, reason: outcome.reason }, 'dispatcher: batch will be retried');
        return;
      }
      case 'unauthorized': {
        const message = `TikTok refused the access token or pixel (${outcome.code}): ${outcome.message}`;
        // The lane pauses; rows are looked at again soon, so a corrected token applies within seconds.
        store.markRetry(ids, now + Math.min(this.opts.unauthorizedPauseMs, 10_000), message);
        this.pause(pixelId, token, this.opts.unauthorizedPauseMs);
        log.error({ pixelId, code: outcome.code }, `dispatcher: ${message}; check the Events API token in Odoo's TikTok settings. Events wait in the outbox.`);
        return;
      }
      case 'rejected': {
        if (rows.length === 1) {
          this.park(rows, outcome.code, outcome.message);
          return;
        }
        const [left, right] = splitInHalves(rows);
        await this.sendAndSettle(pixelId, testEventCode, token, left);
        await this.sendAndSettle(pixelId, testEventCode, token, right);
        return;
      }
    }
  }

  private park(rows: OutboxRow[], code: number | null, message: string): void {
    this.deps.store.markDead(rows.map((r) => r.id), code, message, this.clock());
    this.deps.metrics.dead.inc(rows.length);
    for (const r of rows) {
      this.deps.log.warn({ pixelId: r.pixelId, event: r.event, eventId: r.eventId, code, message }, 'dispatcher: event parked as a dead letter');
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  private waitForSlotOrTimeout(ms: number): Promise<void> {
    return Promise.race([this.sleep(ms), ...this.inFlight]).then(() => undefined);
  }
}

/** Rows claimed or settled per synchronous SQLite statement. */
const CLAIM_SLICE = 200;

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function retryReasonClass(reason: string): string {
  if (reason.startsWith('rate limited')) return 'rate_limited';
  if (reason.startsWith('network')) return 'network';
  if (reason.startsWith('HTTP')) return 'http';
  return 'tiktok';
}
