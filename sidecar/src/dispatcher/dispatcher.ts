import type { Logger } from 'pino';
import type { Metrics } from '../metrics';
import type { ClaimedEvent, EventQueue, KnownLane, LaneKey } from '../outbox/eventQueue';
import type { SettingsSource } from '../settings/types';
import type { EventsApiClient } from '../tiktok/client';
import { classifyCode, type RetryCause, type RowFailure, type SendOutcome } from '../tiktok/outcome';
import { serializeTrackRequest, unixSeconds } from '../tiktok/payload';
import { MAX_EVENT_AGE_DAYS } from '../contract/eventSource';
import type { Lane } from '../tiktok/lane';
import { describeWriteError } from '../outbox/writeHealth';
import { Lanes, settingsOfLane, type LanePauseReason, type LaneProblem, type LaneState } from './lanes';
import {
  backoffDelay,
  batchLimit,
  everyRowRefusedAlike,
  isLaneReady,
  judgeHalves,
  matchFailures,
  needsSample,
  passedSizeLimit,
  pauseDelay,
  sameRefusal,
  smallestRow,
  splitInHalves,
  type BackoffPolicy,
  type BatchPolicy,
  type HalvesVerdict,
  type Refusal,
} from './policy';

export interface DispatcherOptions extends BatchPolicy {
  backoff: BackoffPolicy;
  /**
   * Pause of a lane after a request-level problem (token, address, a refusal of
   * every row): the base at first, doubled while the problem persists, capped.
   */
  pause: BackoffPolicy;
  maxConcurrentRequests: number;
  /** Idle poll interval when nothing is due (enqueue also wakes the loop). */
  idleMs: number;
  /** Wait after the outbox refused a write (disk full, read-only, I/O error): the base, doubled while it persists, capped. */
  outboxBackoff?: BackoffPolicy;
}

/** What the dispatcher does with the queue: claim due events and mark how each send ended. */
export type DispatchQueue = Pick<
  EventQueue,
  'releaseInFlight' | 'rescheduleLaterThan' | 'dueLanes' | 'claim' | 'markDelivered' | 'markRetry' | 'markDead' | 'markPaused' | 'nextAttemptAt'
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

/** How soon the rows of a lane paused for its token are looked at again: a corrected token applies within seconds. */
const TOKEN_RECHECK_MS = 5_000;

/** From a quarter of a second to half a minute: a freed disk is used again quickly, a full one is not hammered. */
const OUTBOX_BACKOFF: BackoffPolicy = { baseMs: 250, maxMs: 30_000 };

/** While the outbox keeps failing, one reminder line this often. */
const OUTBOX_REMINDER_MS = 60_000;

/** A clock that goes back by more than this between two looks at the queue has jumped (an NTP step, a VM restored). */
const CLOCK_JUMP_MS = 1_000;

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
 * Moves events from the outbox to TikTok: one lane per (pixel, test event code),
 * batches of up to 1,000, retries with backoff that keep the event_id, a paused
 * lane for problems of the request (token, address, a refusal of every row), and
 * bounded bisection of rejected batches so only the bad rows become dead letters.
 */
export class Dispatcher {
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly lanes: Lanes;
  private running = false;
  private draining = false;
  private loop?: Promise<void>;
  private readonly sleepers = new Set<() => void>();
  /** When the loop's current sleep ends (0: not sleeping); events stored since it last looked at the lanes. */
  private sleepingUntil = 0;
  private storedSinceTick = 0;
  /**
   * Writes of settled batches the outbox refused, in order: tried again before
   * anything else once it takes writes, so no claimed row stays in flight.
   */
  private readonly unsettled: Array<() => void> = [];
  /** Outbox failures in a row, the first one's time, and when the last line about them was logged. */
  private outboxFailures = 0;
  private outboxFailingSince = 0;
  private outboxLoggedAt = 0;
  /** The time of the last look at the queue, to notice a clock that went back. */
  private lastLookAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly deps: DispatcherDeps,
    private readonly opts: DispatcherOptions,
  ) {
    this.clock = deps.clock ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.lanes = new Lanes(opts.pause, TOKEN_RECHECK_MS);
    deps.metrics.watchLanes(() => this.laneStates());
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.outboxWrite(() => {
      const released = this.deps.queue.releaseInFlight();
      if (released > 0) this.deps.log.info({ released }, 'outbox: events left in flight by a previous run are pending again');
    });
    // The clock may have gone back while the sidecar was stopped.
    this.rescheduleAfterClockJump(this.clock());
    this.loop = this.run();
  }

  /**
   * Called after events are stored (`stored`: how many), and when something else
   * may have made work due. The loop looks at the lanes again at once when it was
   * idle (a first event is not kept waiting) or when a full batch may be there;
   * under a steady flow it polls every quarter of the linger time anyway, and
   * looking at every lane after each commit would cost the relay more than it saves.
   */
  wake(stored?: number): void {
    if (stored !== undefined) {
      this.storedSinceTick += stored;
      const pollingSoon = this.sleepingUntil <= this.clock() + this.opts.lingerMs / 4;
      if (pollingSoon && this.storedSinceTick < this.opts.maxBatchSize) return;
    }
    for (const wakeUp of [...this.sleepers]) wakeUp();
  }

  /** Every lane seen since start: running, or paused with a typed reason. No personal data. */
  laneStates(): LaneState[] {
    return this.lanes.states(this.clock());
  }

  /** Stop claiming new work, send what is due within `graceMs`, and wait for requests in flight. */
  async stop(graceMs: number): Promise<void> {
    if (!this.running) return;
    this.draining = true;
    const deadline = this.clock() + graceMs;
    try {
      while (this.clock() < deadline && this.hasDueWork()) {
        this.replayUnsettled();
        await this.tick();
        await this.waitForSlotOrTimeout(Math.max(0, deadline - this.clock()));
      }
    } catch (err) {
      // An outbox that refuses writes ends the drain: what is not sent waits for the next start.
      this.noteOutboxFailure(err);
    }
    this.running = false;
    this.wake();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
  }

  /** Work a drain can do: requests in flight, or due events of a lane that is not paused. */
  private hasDueWork(): boolean {
    const now = this.clock();
    return this.inFlight.size > 0 || this.deps.queue.dueLanes(now).some((g) => !this.lanes.isPaused(g, now, this.tokenOf(g.lane)));
  }

  private async run(): Promise<void> {
    while (this.running) {
      let launched: number;
      try {
        const replayed = this.replayUnsettled();
        launched = this.draining ? 0 : await this.tick();
        // Only a write that happened says the outbox takes writes again.
        if (replayed > 0 || launched > 0) this.outboxRecovered();
      } catch (err) {
        // Nearly always the outbox (disk full, read-only, I/O error): wait longer each time, log once.
        await this.sleep(this.noteOutboxFailure(err));
        continue;
      }
      if (!this.running) break;
      if (this.inFlight.size >= this.opts.maxConcurrentRequests) await this.waitForSlotOrTimeout(this.opts.idleMs);
      else if (launched === 0) await this.sleep(this.nextWakeDelay());
    }
  }

  /**
   * A write settling claimed rows: done now, or, when the outbox refuses it (or
   * earlier ones still wait), kept in order and done again once it takes writes.
   * The send it records already happened: it must not be lost, nor sent again.
   */
  private outboxWrite(write: () => void): void {
    if (this.unsettled.length === 0) {
      try {
        write();
        return;
      } catch (err) {
        this.noteOutboxFailure(err);
      }
    }
    this.unsettled.push(write);
  }

  /** The writes the outbox refused, in order; throws (and keeps the rest) while it still refuses them. Returns how many were done. */
  private replayUnsettled(): number {
    let done = 0;
    while (this.unsettled.length > 0) {
      this.unsettled[0]();
      this.unsettled.shift();
      done += 1;
    }
    return done;
  }

  /**
   * One more failure of the outbox: the first is logged as an error, then one
   * reminder a minute, never a line per attempt. Returns how long to wait.
   */
  private noteOutboxFailure(err: unknown): number {
    const now = this.clock();
    this.outboxFailures += 1;
    this.deps.onOutboxError?.(err);
    const error = describeWriteError(err);
    if (this.outboxFailures === 1) {
      this.outboxFailingSince = now;
      this.outboxLoggedAt = now;
      this.deps.log.error(
        { error, message: (err as { message?: unknown })?.message },
        'dispatcher: the outbox refuses writes (disk full? read-only? see /healthz); delivery waits and tries again with a growing delay, one line a minute until it works',
      );
    } else if (now - this.outboxLoggedAt >= OUTBOX_REMINDER_MS) {
      this.outboxLoggedAt = now;
      this.deps.log.warn({ error, failures: this.outboxFailures, failingSeconds: Math.round((now - this.outboxFailingSince) / 1000) }, 'dispatcher: the outbox still refuses writes');
    }
    return pauseDelay(this.outboxFailures, this.opts.outboxBackoff ?? OUTBOX_BACKOFF);
  }

  private outboxRecovered(): void {
    if (this.outboxFailures === 0) return;
    this.deps.log.info({ failures: this.outboxFailures, failingSeconds: Math.round((this.clock() - this.outboxFailingSince) / 1000) }, 'dispatcher: the outbox takes writes again; delivery goes on');
    this.outboxFailures = 0;
    this.deps.onOutboxRecovered?.();
  }

  /** Launch a request for every ready lane while request slots are free. Returns how many were launched. */
  private async tick(): Promise<number> {
    const now = this.clock();
    if (now < this.lastLookAt - CLOCK_JUMP_MS) this.rescheduleAfterClockJump(now);
    this.lastLookAt = now;
    this.storedSinceTick = 0;
    let launched = 0;
    for (const due of this.deps.queue.dueLanes(now)) {
      if (this.inFlight.size >= this.opts.maxConcurrentRequests) break;
      if (!this.lanes.mayLaunch(due, now, this.tokenOf(due.lane))) continue;
      if (!isLaneReady(due, now, this.opts, this.draining)) continue;
      const rows = await this.claimInSlices(due, now, batchLimit(due, this.opts));
      if (rows.length === 0) continue;
      const lane: KnownLane = { pixelId: due.pixelId, testEventCode: due.testEventCode, lane: due.lane };
      this.lanes.launched(lane);
      this.track(this.deliver(lane, rows).finally(() => this.lanes.settled(lane)));
      launched += 1;
    }
    return launched;
  }

  /**
   * Claim a batch a slice at a time, yielding to the event loop between slices: one
   * 1,000-row claim would hold the relay's thread long enough to show in its p99.
   */
  private async claimInSlices(lane: LaneKey, now: number, limit: number): Promise<ClaimedEvent[]> {
    const rows: ClaimedEvent[] = [];
    try {
      while (rows.length < limit) {
        const slice = this.deps.queue.claim(lane, now, Math.min(CLAIM_SLICE, limit - rows.length));
        rows.push(...slice);
        if (slice.length < CLAIM_SLICE) break;
        await yieldToEventLoop();
      }
    } catch (err) {
      // The slices claimed before the failure go back to pending, their claim not counted as an attempt.
      if (rows.length) this.outboxWrite(() => this.deps.queue.markPaused(rows.map((r) => r.id), now, 'claim interrupted: the outbox refused a write'));
      throw err;
    }
    return rows;
  }

  /**
   * No retry or pause is ever set further ahead than the longest delay: events
   * scheduled later were scheduled by a clock that has since gone back (an hour,
   * a day). They are due now rather than that much later.
   */
  private rescheduleAfterClockJump(now: number): void {
    const longest = Math.max(this.opts.backoff.maxMs, this.opts.pause.maxMs, TOKEN_RECHECK_MS);
    this.outboxWrite(() => {
      const rescheduled = this.deps.queue.rescheduleLaterThan(now + longest, now);
      if (rescheduled > 0) this.deps.log.warn({ rescheduled }, 'dispatcher: events were scheduled further ahead than any retry or pause (the clock went back); they are due now');
    });
  }

  /** A lane's token: its pixel's website's, or for another source the website's named in the lane. */
  private tokenOf(lane: Lane): string {
    return settingsOfLane(this.deps.settings, lane)?.accessToken ?? '';
  }

  private nextWakeDelay(): number {
    const next = this.deps.queue.nextAttemptAt();
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

  private async deliver(lane: KnownLane, claimed: ClaimedEvent[]): Promise<void> {
    const token = this.tokenOf(lane.lane);
    if (!token) {
      // Usually a start while Odoo is down: the token arrives with the next settings read.
      this.pauseLane({ ...lane, token }, claimed, { reason: 'no_token', message: 'no access token configured for this pixel' });
      return;
    }
    const rows = this.parkInvalid(lane.lane, claimed);
    if (rows.length > 0) await this.sendAndSettle({ ...lane, token }, rows, wholeBatch());
  }

  /**
   * Rows were validated when they entered the outbox; only their age changes while
   * they wait (a long outage). Too old for TikTok: parked with the reason.
   */
  private parkInvalid(lane: Lane, rows: ClaimedEvent[]): ClaimedEvent[] {
    // Rows of one lane share their source, and so their age limit.
    const maxAgeDays = MAX_EVENT_AGE_DAYS[lane.eventSource];
    const oldest = unixSeconds(this.clock()) - maxAgeDays * 86400;
    const expired = rows.filter((r) => r.eventTime < oldest);
    if (expired.length) this.park(expired, null, `not sent: older than ${maxAgeDays} days, TikTok would refuse it`);
    return expired.length ? rows.filter((r) => r.eventTime >= oldest) : rows;
  }

  private async send(to: Target, rows: ClaimedEvent[]): Promise<SendOutcome> {
    const { client, metrics } = this.deps;
    const request = serializeTrackRequest(to.lane, rows.map((r) => r.payload), to.testEventCode || undefined);
    metrics.batchSize.observe(rows.length);
    const outcome = await client.send(request, to.token);
    metrics.requests.inc({ outcome: outcome.kind });
    return outcome;
  }

  private async sendAndSettle(to: Target, rows: ClaimedEvent[], at: Bisection): Promise<void> {
    if (this.holdIfPaused(to, rows)) return;
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
        return this.retry(to, rows, outcome.cause, outcome.detail);
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
    if (this.holdIfPaused(to, rows)) return;
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
    if (this.holdIfPaused(to, rows)) return;
    const sample = rows[Math.floor(this.random() * rows.length)];
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
  private refuseOneRow(to: Target, row: ClaimedEvent, refusal: Refusal, at: Bisection): void {
    if (at.whole && !at.rowSpecific) {
      if (this.lanes.repeatsSingleRefusal(to, refusal)) return this.pauseLane(to, [row], systemic(refusal));
      this.lanes.rememberSingleRefusal(to, refusal);
    }
    this.park([row], refusal.code, refusal.message);
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
    if (this.holdIfPaused(to, rows)) return;
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
    this.lanes.passedSizeLimit(to);
  }

  /**
   * One event refused as too large alone. It is the event when another part of its
   * batch fitted, or when it was refused alone before and another request of the
   * lane fitted since: a dead letter. Otherwise nothing tells it from a refusal of
   * every request, and the lane pauses with the event kept.
   */
  private tooLargeAlone(to: Target, row: ClaimedEvent, status: number, message: string, at: Bisection): void {
    if (at.sizes.fitted || this.lanes.tooLargeAgainWhileOthersFit(to, row.id)) {
      this.park([row], status, `too large to send even alone (HTTP ${status}), while other events fit: ${message}`);
      return;
    }
    this.pauseLane(to, [row], tooLargeForAll(status, message));
  }

  /**
   * 20001 naming failed events: the others are delivered, a failed one is retried
   * when its code says so, else a dead letter. Every row named alike is a refusal
   * of the request: the lane pauses.
   */
  private async settlePartial(to: Target, rows: ClaimedEvent[], failures: RowFailure[], at: Bisection): Promise<void> {
    const { failed, unmatched } = matchFailures(rows, failures);
    if (unmatched > 0) {
      this.deps.log.warn({ pixelId: to.pixelId, unmatched, events: rows.length }, 'dispatcher: TikTok answered 20001 naming events that are not in the batch; those entries are ignored');
    }
    if (everyRowRefusedAlike(rows.length, failed) && !at.rowSpecific) return this.pauseLane(to, rows, systemic(failed[0].refusal));
    const failedRows = new Set(failed.map((f) => f.row));
    await this.markDelivered(to, rows.filter((r) => !failedRows.has(r)));
    const decided = failed.map((f) => ({ ...f, decision: classifyCode(f.refusal.code, f.refusal.message) }));
    const retryable = decided.filter((f) => f.decision.kind === 'retry');
    const first = retryable[0]?.decision;
    if (first?.kind === 'retry') this.retry(to, retryable.map((f) => f.row), first.cause, first.detail);
    for (const { row, refusal } of decided.filter((f) => f.decision.kind !== 'retry')) {
      if (rows.length === 1) this.refuseOneRow(to, row, refusal, at);
      else this.park([row], refusal.code, refusal.message);
    }
  }

  private async markDelivered(to: Target, rows: ClaimedEvent[]): Promise<void> {
    if (rows.length === 0) return;
    const { queue, metrics, log } = this.deps;
    const now = this.clock();
    const ids = rows.map((r) => r.id);
    for (let i = 0; i < ids.length; i += CLAIM_SLICE) {
      const slice = ids.slice(i, i + CLAIM_SLICE);
      this.outboxWrite(() => queue.markDelivered(slice, now));
      if (i + CLAIM_SLICE < ids.length) await yieldToEventLoop();
    }
    for (const r of rows) {
      metrics.delivered.inc({ source: r.source });
      metrics.deliveryLatency.observe(Math.max(0, now - r.createdAt) / 1000);
    }
    this.deps.tally?.delivered(rows, now);
    const pausedSince = this.lanes.delivered(to);
    if (pausedSince !== undefined) {
      log.info({ pixelId: to.pixelId, testEventCode: to.testEventCode || undefined, pausedSeconds: Math.round((now - pausedSince) / 1000) }, 'dispatcher: lane resumed: TikTok accepts its events again');
    }
  }

  private retry(to: Target, rows: ClaimedEvent[], cause: RetryCause, detail: string): void {
    const { queue, metrics, log } = this.deps;
    const attempts = Math.max(...rows.map((r) => r.attempts));
    const at = this.clock() + backoffDelay(attempts, this.opts.backoff, this.random);
    this.outboxWrite(() => queue.markRetry(rows.map((r) => r.id), at, cause, detail));
    metrics.retried.inc({ reason: cause }, rows.length);
    this.deps.tally?.retried(rows);
    log.warn({ pixelId: to.pixelId, events: rows.length, attempts, cause, detail }, 'dispatcher: batch will be retried');
  }

  /**
   * Pause the lane for a problem of the request and keep the rows pending without
   * counting an attempt. One log line per problem, not per batch or probe.
   */
  private pauseLane(to: Target, rows: ClaimedEvent[], problem: LaneProblem): void {
    const { queue, metrics, log } = this.deps;
    const now = this.clock();
    const { fresh, until } = this.lanes.pause(to, problem, now, to.token);
    const holdUntil = this.lanes.holdUntil(to, now) ?? until;
    this.outboxWrite(() => queue.markPaused(rows.map((r) => r.id), holdUntil, `lane paused (${problem.reason}): ${problem.message}`));
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

  private pausedNow(to: Target): boolean {
    return this.lanes.isPaused(to, this.clock(), this.tokenOf(to.lane));
  }

  /** Another batch of the lane met a request-level problem meanwhile: these rows wait with the lane, unsent. */
  private holdIfPaused(to: Target, rows: ClaimedEvent[]): boolean {
    if (!this.pausedNow(to)) return false;
    const now = this.clock();
    const holdUntil = this.lanes.holdUntil(to, now) ?? now;
    this.outboxWrite(() => this.deps.queue.markPaused(rows.map((r) => r.id), holdUntil, 'lane paused'));
    return true;
  }

  private park(rows: ClaimedEvent[], code: number | null, message: string): void {
    const now = this.clock();
    this.outboxWrite(() => this.deps.queue.markDead(rows.map((r) => r.id), code, message, now));
    this.deps.metrics.dead.inc(rows.length);
    this.deps.tally?.dead(rows);
    for (const r of rows) {
      this.deps.log.warn({ pixelId: r.pixelId, event: r.event, eventId: r.eventId, code, message }, 'dispatcher: event parked as a dead letter');
    }
  }

  private sleep(ms: number): Promise<void> {
    this.sleepingUntil = Math.max(this.sleepingUntil, this.clock() + ms);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        if (this.sleepers.size === 0) this.sleepingUntil = 0;
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
