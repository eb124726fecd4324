import type { Logger } from 'pino';
import type { Metrics } from '../metrics';
import { secondOf, type ClaimedEvent, type EventQueue, type KnownLane, type LaneHold } from '../outbox/eventQueue';
import type { SettingsSource } from '../settings/types';
import type { EventsApiClient } from '../tiktok/client';
import { classifyCode, type RetryCause, type RowFailure, type SendOutcome } from '../tiktok/outcome';
import { serializeTrackRequest, unixSeconds } from '../tiktok/payload';
import { MAX_EVENT_AGE_DAYS } from '../contract/eventSource';
import type { Lane } from '../tiktok/lane';
import { type HoldCause, type Lanes, type LanePauseReason, type LaneProblem } from './lanes';
import {
  backoffDelay,
  everyRowRefusedAlike,
  judgeHalves,
  matchFailures,
  needsSample,
  passedSizeLimit,
  sameRefusal,
  smallestRow,
  splitInHalves,
  type BackoffPolicy,
  type HalvesVerdict,
  type Refusal,
} from './policy';

/** What the dispatcher does with the queue: claim due events and mark how each send ended. */
export type DispatchQueue = Pick<
  EventQueue,
  | 'releaseInFlight'
  | 'rescheduleLaterThan'
  | 'dueLanes'
  | 'claim'
  | 'markDelivered'
  | 'markRetry'
  | 'markDead'
  | 'markPaused'
  | 'nextAttemptAt'
  // Lane holds: a lane paused (or rate-limited) by one process is held for every process of the outbox.
  | 'laneHolds'
  | 'holdLane'
  | 'clearLaneHold'
  | 'takeProbe'
  // The optional ceiling of requests per pixel and second, shared the same way.
  | 'takeRequestSlot'
>;

/** A row the dispatcher settled, as it tells the report. */
export interface SettledRow {
  pixelId: string;
  event: string;
  /** When the outbox accepted it, epoch ms. */
  createdAt: number;
  payload: string;
}

/** What the dispatcher tells the report about the rows it settles. */
export interface DeliveryTally {
  delivered(rows: readonly SettledRow[], now: number): void;
  retried(rows: readonly Pick<SettledRow, 'pixelId' | 'event'>[]): void;
  dead(rows: readonly Pick<SettledRow, 'pixelId' | 'event'>[]): void;
}

export interface DispatcherDeps {
  queue: DispatchQueue;
  client: EventsApiClient;
  settings: SettingsSource;
  metrics: Metrics;
  log: Logger;
  /** The counts of the report to Odoo (Odoo mode). */
  tally?: DeliveryTally;
  clock?: () => number;
  random?: () => number;
  /** Told of each write the outbox refused (what /healthz reports). */
  onOutboxError?: (err: unknown) => void;
  /** Told when the outbox takes the dispatcher's writes again after refusing them. */
  onOutboxRecovered?: () => void;
}

/** What delivering one batch reads from the dispatcher that claimed it. */
export interface DeliveryContext {
  deps: DispatcherDeps;
  opts: { backoff: BackoffPolicy; maxRequestsPerSecond?: number };
  lanes: Lanes;
  clock: () => number;
  random: () => number;
  /** Records a settling write, now or once the outbox takes writes again (see the dispatcher). */
  /** Never rejects: a write the outbox refuses is kept and done again, in order, once it takes writes. */
  outboxWrite(write: () => Promise<void>): Promise<void>;
  tokenOf(lane: Lane): string;
}

/** What an operator should do about each pause, for the one log line it gets. */
const PAUSE_ADVICE: Record<LanePauseReason, string> = {
  no_token: 'no access token for this pixel yet (Odoo not read yet, or the field is empty)',
  token_refused: "TikTok refused the access token or the pixel's permissions; check the Events API token in Odoo's TikTok settings (or TIKTOK_ACCESS_TOKEN): a new token applies within seconds",
  wrong_base_url: 'the Events API was not found at the address called; check TIKTOK_API_BASE_URL (normally https://business-api.tiktok.com/open_api)',
  not_tiktok_answer: 'something other than the Events API answered (a proxy, a firewall or a portal page); check the network path and TIKTOK_API_BASE_URL',
  request_refused: 'TikTok (or a proxy in front of it) refused the requests as a whole, not a bad event; nothing becomes a dead letter for it',
};

/** Where a batch stands in the search for bad rows. */
interface Bisection {
  /** The batch as claimed, not a part of one. */
  whole: boolean;
  /** Some rows went through, or rows were refused differently: the refusal is about rows, bisect to single rows. */
  rowSpecific: boolean;
  /** Shared by every part of one claimed batch: whether a part got past the body size limit (any answer but a 413). */
  sizes: { fitted: boolean };
}

function wholeBatch(): Bisection {
  return { whole: true, rowSpecific: false, sizes: { fitted: false } };
}

function deeper(at: Bisection, verdict: HalvesVerdict): Bisection {
  return { whole: false, rowSpecific: at.rowSpecific || verdict === 'row_specific', sizes: at.sizes };
}

/** The pause of a lane whose every request, even one event alone, is refused as too large. */
function tooLargeForAll(status: number, message: string): LaneProblem {
  return {
    reason: 'request_refused',
    code: status,
    message: `every request refused as too large (HTTP ${status}), even one event alone: a body size limit in front of TikTok (a proxy?) is below one event: ${message}`,
  };
}

/** A lane with the token its batch is sent with. */
interface Target extends KnownLane {
  token: string;
}

function systemic(refusal: Refusal): LaneProblem {
  return { reason: 'request_refused', code: refusal.code, message: `every event refused alike: ${refusal.message}` };
}

/**
 * The delivery of one claimed batch: send it, then settle each row by what TikTok
 * answered (delivered, retried, paused with its lane, bisected down to the rows
 * it refuses, parked as a dead letter).
 */
export class BatchDelivery {
  constructor(private readonly ctx: DeliveryContext) {}

  async deliver(lane: KnownLane, claimed: ClaimedEvent[]): Promise<void> {
    const token = this.ctx.tokenOf(lane.lane);
    if (!token) {
      // Usually a start while Odoo is down: the token arrives with the next settings read.
      await this.pauseLane({ ...lane, token }, claimed, { reason: 'no_token', message: 'no access token configured for this pixel' });
      return;
    }
    const rows = await this.parkInvalid(lane.lane, claimed);
    if (rows.length > 0) await this.sendAndSettle({ ...lane, token }, rows, wholeBatch());
  }

  /**
   * Rows were validated when they entered the outbox; only their age changes while
   * they wait (a long outage). Too old for TikTok: parked with the reason.
   */
  private async parkInvalid(lane: Lane, rows: ClaimedEvent[]): Promise<ClaimedEvent[]> {
    // Rows of one lane share their source, and so their age limit.
    const maxAgeDays = MAX_EVENT_AGE_DAYS[lane.eventSource];
    const oldest = unixSeconds(this.ctx.clock()) - maxAgeDays * 86400;
    const expired = rows.filter((r) => r.eventTime < oldest);
    if (expired.length) await this.park(expired, null, `not sent: older than ${maxAgeDays} days, TikTok would refuse it`);
    return expired.length ? rows.filter((r) => r.eventTime >= oldest) : rows;
  }

  private async send(to: Target, rows: ClaimedEvent[]): Promise<SendOutcome> {
    const { client, metrics } = this.ctx.deps;
    const request = serializeTrackRequest(to.lane, rows.map((r) => r.payload), to.testEventCode || undefined);
    metrics.batchSize.observe(rows.length);
    await this.waitForRequestSlot(to.pixelId);
    const outcome = await client.send(request, to.token);
    metrics.requests.inc({ outcome: outcome.kind });
    return outcome;
  }

  /**
   * Under a configured ceiling of requests per pixel and second, counted for every
   * process of the outbox: wait for a slot. An outbox that cannot count lets the
   * request go (the ceiling is the operator's, TikTok's own limit still holds the lane).
   */
  private async waitForRequestSlot(pixelId: string): Promise<void> {
    const perSecond = this.ctx.opts.maxRequestsPerSecond;
    if (!perSecond) return;
    for (;;) {
      const now = this.ctx.clock();
      try {
        if (await this.ctx.deps.queue.takeRequestSlot(pixelId, now, perSecond)) return;
      } catch (err) {
        this.ctx.deps.onOutboxError?.(err);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, secondOf(now) + 1000 - now));
    }
  }

  private async sendAndSettle(to: Target, rows: ClaimedEvent[], at: Bisection): Promise<void> {
    if (await this.holdIfPaused(to, rows)) return;
    await this.settle(to, rows, await this.send(to, rows), at);
  }

  private async settle(to: Target, rows: ClaimedEvent[], outcome: SendOutcome, at: Bisection): Promise<void> {
    this.noteSizeVerdict(to, outcome, at);
    switch (outcome.kind) {
      case 'delivered':
        return this.markDelivered(to, rows);
      case 'partial':
        return this.settlePartial(to, rows, outcome.failures, at);
      case 'retry':
        return this.retry(to, rows, outcome.cause, outcome.detail, outcome.retryAfterMs);
      case 'request_problem':
        return this.pauseLane(to, rows, { reason: outcome.problem, code: outcome.code, message: outcome.message });
      case 'too_large':
        return this.tooLarge(to, rows, outcome.status, outcome.message, at);
      case 'rejected':
        return this.bisect(to, rows, outcome, at);
    }
  }

  /**
   * A rejected batch is split in halves. When both halves are refused with the
   * same code and message, the refusal is probably about the request, not a row:
   * one row of the batch, sent alone, decides. Refused alike too: the lane pauses
   * and every row waits. Otherwise bisection goes on down to the bad rows.
   */
  private async bisect(to: Target, rows: ClaimedEvent[], refusal: Refusal, at: Bisection): Promise<void> {
    if (rows.length === 1) return this.refuseOneRow(to, rows[0], refusal, at);
    if (await this.holdIfPaused(to, rows)) return;
    const [left, right] = splitInHalves(rows);
    const leftOutcome = await this.send(to, left);
    if (leftOutcome.kind === 'request_problem' || this.pausedNow(to)) {
      // Nothing more leaves a paused lane: the left half settles, the right one waits.
      await this.settle(to, left, leftOutcome, deeper(at, 'undecided'));
      return this.sendAndSettle(to, right, deeper(at, 'undecided'));
    }
    const rightOutcome = await this.send(to, right);
    const verdict = judgeHalves(leftOutcome, rightOutcome);
    if (verdict === 'alike' && !at.rowSpecific && leftOutcome.kind === 'rejected') {
      if (!needsSample(rows.length)) return this.pauseLane(to, rows, systemic(leftOutcome));
      return this.sampleOneRow(to, rows, [left, leftOutcome], [right, rightOutcome], leftOutcome, at);
    }
    const next = deeper(at, verdict);
    await this.settle(to, left, leftOutcome, next);
    await this.settle(to, right, rightOutcome, next);
  }

  private async sampleOneRow(
    to: Target,
    rows: ClaimedEvent[],
    left: [ClaimedEvent[], SendOutcome],
    right: [ClaimedEvent[], SendOutcome],
    refusal: Refusal,
    at: Bisection,
  ): Promise<void> {
    if (await this.holdIfPaused(to, rows)) return;
    const sample = rows[Math.floor(this.ctx.random() * rows.length)];
    const outcome = await this.send(to, [sample]);
    if (outcome.kind === 'rejected' && sameRefusal(outcome, refusal)) return this.pauseLane(to, rows, systemic(refusal));
    // The sample tells the rows apart when it went through or was refused differently.
    const next = deeper(at, judgeHalves(outcome, { kind: 'rejected', ...refusal }));
    await this.settle(to, [sample], outcome, next);
    for (const [half, halfOutcome] of [left, right]) {
      const rest = half.filter((r) => r !== sample);
      // A half without the sample is another batch than the one refused: send it again.
      if (rest.length === half.length) await this.settle(to, rest, halfOutcome, next);
      else if (rest.length > 0) await this.sendAndSettle(to, rest, next);
    }
  }

  /**
   * A single row refused: a dead letter with TikTok's code and message. A claimed
   * batch of one refused exactly as the previous one was, with nothing delivered
   * in between, looks like a refusal of every event: the lane pauses instead.
   */
  private async refuseOneRow(to: Target, row: ClaimedEvent, refusal: Refusal, at: Bisection): Promise<void> {
    if (at.whole && !at.rowSpecific) {
      if (this.ctx.lanes.repeatsSingleRefusal(to, refusal)) return this.pauseLane(to, [row], systemic(refusal));
      this.ctx.lanes.rememberSingleRefusal(to, refusal);
    }
    await this.park([row], refusal.code, refusal.message);
  }

  /**
   * 413 (a body size limit, TikTok's or a proxy's). Once a part of the batch has
   * got past the limit, the batch goes in halves until they fit, and one event
   * still too large alone is a dead letter. Until then, the smallest event goes
   * alone first: refused too, every request is (a limit below any event, or a
   * proxy refusing everything), and the lane pauses with every event kept, two
   * requests in all rather than one per event and a dead letter for each.
   */
  private async tooLarge(to: Target, rows: ClaimedEvent[], status: number, message: string, at: Bisection): Promise<void> {
    if (rows.length === 1) return this.tooLargeAlone(to, rows[0], status, message, at);
    const next = deeper(at, 'undecided');
    if (at.sizes.fitted) {
      for (const half of splitInHalves(rows)) await this.sendAndSettle(to, half, next);
      return;
    }
    if (await this.holdIfPaused(to, rows)) return;
    const smallest = smallestRow(rows);
    const outcome = await this.send(to, [smallest]);
    if (outcome.kind === 'too_large') return this.pauseLane(to, rows, tooLargeForAll(outcome.status, outcome.message));
    if (outcome.kind === 'delivered' || outcome.kind === 'partial') {
      await this.settle(to, [smallest], outcome, next);
      for (const half of splitInHalves(rows.filter((r) => r !== smallest))) await this.sendAndSettle(to, half, next);
      return;
    }
    if (outcome.kind === 'rejected') {
      // Refused for what it holds: the halves of the whole batch go on, where refusals alike are told from bad rows.
      this.noteSizeVerdict(to, outcome, at);
      for (const half of splitInHalves(rows)) await this.sendAndSettle(to, half, next);
      return;
    }
    // A retry or a problem of the request: the whole batch waits as its sample does.
    await this.settle(to, rows, outcome, next);
  }

  /** An answer that got past the body size limit: parts of the batch, and later single events of the lane, fit. */
  private noteSizeVerdict(to: Target, outcome: SendOutcome, at: Bisection): void {
    if (!passedSizeLimit(outcome)) return;
    at.sizes.fitted = true;
    this.ctx.lanes.passedSizeLimit(to);
  }

  /**
   * One event refused as too large alone. It is the event when another part of its
   * batch fitted, or when it was refused alone before and another request of the
   * lane fitted since: a dead letter. Otherwise nothing tells it from a refusal of
   * every request, and the lane pauses with the event kept.
   */
  private async tooLargeAlone(to: Target, row: ClaimedEvent, status: number, message: string, at: Bisection): Promise<void> {
    if (at.sizes.fitted || this.ctx.lanes.tooLargeAgainWhileOthersFit(to, row.id)) {
      await this.park([row], status, `too large to send even alone (HTTP ${status}), while other events fit: ${message}`);
      return;
    }
    await this.pauseLane(to, [row], tooLargeForAll(status, message));
  }

  /**
   * 20001 naming failed events: the others are delivered, a failed one is retried
   * when its code says so, else a dead letter. Every row named alike is a refusal
   * of the request: the lane pauses.
   */
  private async settlePartial(to: Target, rows: ClaimedEvent[], failures: RowFailure[], at: Bisection): Promise<void> {
    const { failed, unmatched } = matchFailures(rows, failures);
    if (unmatched > 0) {
      this.ctx.deps.log.warn({ pixelId: to.pixelId, unmatched, events: rows.length }, 'dispatcher: TikTok answered 20001 naming events that are not in the batch; those entries are ignored');
    }
    if (everyRowRefusedAlike(rows.length, failed) && !at.rowSpecific) return this.pauseLane(to, rows, systemic(failed[0].refusal));
    const failedRows = new Set(failed.map((f) => f.row));
    await this.markDelivered(to, rows.filter((r) => !failedRows.has(r)));
    const decided = failed.map((f) => ({ ...f, decision: classifyCode(f.refusal.code, f.refusal.message) }));
    const retryable = decided.filter((f) => f.decision.kind === 'retry');
    const first = retryable[0]?.decision;
    if (first?.kind === 'retry') await this.retry(to, retryable.map((f) => f.row), first.cause, first.detail);
    for (const { row, refusal } of decided.filter((f) => f.decision.kind !== 'retry')) {
      if (rows.length === 1) await this.refuseOneRow(to, row, refusal, at);
      else await this.park([row], refusal.code, refusal.message);
    }
  }

  private async markDelivered(to: Target, rows: ClaimedEvent[]): Promise<void> {
    if (rows.length === 0) return;
    const { queue, metrics, log } = this.ctx.deps;
    const now = this.ctx.clock();
    const ids = rows.map((r) => r.id);
    for (let i = 0; i < ids.length; i += CLAIM_SLICE) {
      const slice = ids.slice(i, i + CLAIM_SLICE);
      await this.ctx.outboxWrite(() => queue.markDelivered(slice, now));
      if (i + CLAIM_SLICE < ids.length) await yieldToEventLoop();
    }
    for (const r of rows) {
      metrics.delivered.inc({ source: r.source });
      metrics.deliveryLatency.observe(Math.max(0, now - r.createdAt) / 1000);
    }
    this.ctx.deps.tally?.delivered(rows, now);
    // The lane works: its hold goes for every process, whichever set it.
    await this.ctx.outboxWrite(() => queue.clearLaneHold(to));
    const pausedSince = this.ctx.lanes.delivered(to);
    if (pausedSince !== undefined) {
      log.info({ pixelId: to.pixelId, testEventCode: to.testEventCode || undefined, pausedSeconds: Math.round((now - pausedSince) / 1000) }, 'dispatcher: lane resumed: TikTok accepts its events again');
    }
  }

  private async retry(to: Target, rows: ClaimedEvent[], cause: RetryCause, detail: string, retryAfterMs?: number): Promise<void> {
    const { queue, metrics, log } = this.ctx.deps;
    const attempts = Math.max(...rows.map((r) => r.attempts));
    const at = this.ctx.clock() + backoffDelay(attempts, this.ctx.opts.backoff, this.ctx.random);
    await this.ctx.outboxWrite(() => queue.markRetry(rows.map((r) => r.id), at, cause, detail));
    // TikTok's rate limit is the pixel's, whichever replica sends: every process holds the lane, and one probes at its end.
    // A Retry-After is honoured, up to the longest hold.
    if (cause === 'rate_limited') await this.holdLane(to, { reason: 'rate_limited', message: detail, atLeastMs: retryAfterMs }, this.ctx.clock());
    metrics.retried.inc({ reason: cause }, rows.length);
    this.ctx.deps.tally?.retried(rows);
    log.warn({ pixelId: to.pixelId, events: rows.length, attempts, cause, detail }, 'dispatcher: batch will be retried');
  }

  /**
   * Pause the lane for a problem of the request and keep the rows pending without
   * counting an attempt. One log line per problem, not per batch or probe.
   */
  private async pauseLane(to: Target, rows: ClaimedEvent[], problem: LaneProblem): Promise<void> {
    const { queue, metrics, log } = this.ctx.deps;
    const now = this.ctx.clock();
    const { fresh, until } = await this.holdLane(to, problem, now);
    const holdUntil = this.ctx.lanes.holdUntil(to, now) ?? until;
    await this.ctx.outboxWrite(() => queue.markPaused(rows.map((r) => r.id), holdUntil, `lane paused (${problem.reason}): ${problem.message}`));
    const fields = {
      pixelId: to.pixelId,
      testEventCode: to.testEventCode || undefined,
      reason: problem.reason,
      code: problem.code,
      events: rows.length,
      nextTryInSeconds: Math.round((until - now) / 1000),
    };
    if (!fresh) {
      log.debug(fields, 'dispatcher: lane still paused');
      return;
    }
    metrics.lanePauses.inc({ reason: problem.reason });
    // A pixel without a token yet is the normal state of a start while Odoo is down.
    const level = problem.reason === 'no_token' ? 'warn' : 'error';
    log[level](fields, `dispatcher: lane paused (${problem.reason}): ${PAUSE_ADVICE[problem.reason]}. Detail: ${problem.message}. Events wait in the outbox.`);
  }

  /**
   * Hold the lane for every process sharing the outbox, decided from the hold they
   * share; this process's view takes the hold stored. An outbox that refuses the
   * write leaves the hold to this process alone (its claims fail meanwhile anyway).
   */
  private async holdLane(to: Target, cause: HoldCause, now: number): Promise<{ fresh: boolean; until: number }> {
    const { lanes, deps } = this.ctx;
    let fresh = false;
    const decide = (current: LaneHold | undefined): LaneHold => {
      const next = lanes.nextHold(current, cause, now, to.token);
      fresh = next.fresh;
      return next.hold;
    };
    let hold: LaneHold;
    try {
      hold = await deps.queue.holdLane(to, decide);
    } catch (err) {
      deps.onOutboxError?.(err);
      hold = decide(lanes.holdOf(to));
    }
    lanes.adopt(to, hold);
    return { fresh, until: hold.until };
  }

  private pausedNow(to: Target): boolean {
    return this.ctx.lanes.isPaused(to, this.ctx.clock(), this.ctx.tokenOf(to.lane));
  }

  /** Another batch of the lane met a request-level problem meanwhile: these rows wait with the lane, unsent. */
  private async holdIfPaused(to: Target, rows: ClaimedEvent[]): Promise<boolean> {
    if (!this.pausedNow(to)) return false;
    const now = this.ctx.clock();
    const holdUntil = this.ctx.lanes.holdUntil(to, now) ?? now;
    await this.ctx.outboxWrite(() => this.ctx.deps.queue.markPaused(rows.map((r) => r.id), holdUntil, 'lane paused'));
    return true;
  }

  private async park(rows: ClaimedEvent[], code: number | null, message: string): Promise<void> {
    const now = this.ctx.clock();
    await this.ctx.outboxWrite(() => this.ctx.deps.queue.markDead(rows.map((r) => r.id), code, message, now));
    this.ctx.deps.metrics.dead.inc(rows.length);
    this.ctx.deps.tally?.dead(rows);
    for (const r of rows) {
      this.ctx.deps.log.warn({ pixelId: r.pixelId, event: r.event, eventId: r.eventId, code, message }, 'dispatcher: event parked as a dead letter');
    }
  }
}

/** Rows claimed or settled per synchronous SQLite statement. */
export const CLAIM_SLICE = 200;

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
