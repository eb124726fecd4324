import type { ClaimedEvent, KnownLane, LaneHold, LaneKey } from '../outbox/eventQueue';
import type { Lane } from '../tiktok/lane';
import { describeWriteError } from '../outbox/writeHealth';
import { Lanes, settingsOfLane, type LaneState } from './lanes';
import { BatchDelivery, CLAIM_SLICE, yieldToEventLoop, type DispatcherDeps } from './deliverBatch';
import { batchLimit, isLaneReady, pauseDelay, type BackoffPolicy, type BatchPolicy } from './policy';

export type { DeliveryTally, DispatchQueue, DispatcherDeps, SettledRow } from './deliverBatch';

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
  /**
   * How long the probe at the end of a lane's hold is this process's: others skip
   * the lane meanwhile. Longer than a request may take; a process that died while
   * probing holds the lane that long.
   */
  probeLeaseMs?: number;
  /** At most this many requests per pixel and second, counted for every process of the outbox (TIKTOK_MAX_REQUESTS_PER_SECOND); 0 or absent: no ceiling. */
  maxRequestsPerSecond?: number;
}

/** The probe lease when none is given: four times the Events API client's default timeout. */
const PROBE_LEASE_MS = 40_000;

/** How soon the rows of a lane paused for its token are looked at again: a corrected token applies within seconds. */
const TOKEN_RECHECK_MS = 5_000;

/** From a quarter of a second to half a minute: a freed disk is used again quickly, a full one is not hammered. */
const OUTBOX_BACKOFF: BackoffPolicy = { baseMs: 250, maxMs: 30_000 };

/** While the outbox keeps failing, one reminder line this often. */
const OUTBOX_REMINDER_MS = 60_000;

/** A clock that goes back by more than this between two looks at the queue has jumped (an NTP step, a VM restored). */
const CLOCK_JUMP_MS = 1_000;

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
  private readonly delivery: BatchDelivery;
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
  private readonly unsettled: Array<() => Promise<void>> = [];
  /** The outbox writes in the order they were asked for, one at a time. */
  private writes: Promise<unknown> = Promise.resolve();
  /** Outbox failures in a row, the first one's time, and when the last line about them was logged. */
  private outboxFailures = 0;
  private outboxFailingSince = 0;
  private outboxLoggedAt = 0;
  /** The time of the last look at the queue, to notice a clock that went back. */
  private lastLookAt = Number.NEGATIVE_INFINITY;
  /** When the loop last began a turn: liveness reads it (a loop that stopped turning is stuck, not waiting). */
  private lastTurnAt: number;

  constructor(
    private readonly deps: DispatcherDeps,
    private readonly opts: DispatcherOptions,
  ) {
    this.clock = deps.clock ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.lastTurnAt = this.clock();
    // TikTok's rate limit holds a lane as briefly as a retry waits, and no longer than the longest pause.
    this.lanes = new Lanes(opts.pause, TOKEN_RECHECK_MS, { baseMs: opts.backoff.baseMs, maxMs: Math.min(opts.backoff.maxMs, opts.pause.maxMs) });
    this.delivery = new BatchDelivery({
      deps,
      opts,
      lanes: this.lanes,
      clock: this.clock,
      random: this.random,
      outboxWrite: (write) => this.outboxWrite(write),
      tokenOf: (lane) => this.tokenOf(lane),
    });
    deps.metrics.watchLanes(() => this.laneStates());
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.outboxWrite(async () => {
      const released = await this.deps.queue.releaseInFlight();
      if (released > 0) this.deps.log.info({ released }, 'outbox: events left in flight by a previous run are pending again');
    });
    // The clock may have gone back while the sidecar was stopped.
    void this.rescheduleAfterClockJump(this.clock());
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

  /**
   * Whether the loop still turns. Every wait of a turn is bounded (the idle poll,
   * a free request slot or the idle poll, the outbox's backoff), whatever TikTok
   * or the lanes do: a loop whose last turn is much older than `longestWaitMs` is
   * stuck, not waiting on purpose.
   */
  heartbeat(): { running: boolean; lastTurnAt: number; longestWaitMs: number } {
    return { running: this.running, lastTurnAt: this.lastTurnAt, longestWaitMs: Math.max(this.opts.idleMs, (this.opts.outboxBackoff ?? OUTBOX_BACKOFF).maxMs) };
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
      while (this.clock() < deadline && (await this.hasDueWork())) {
        await this.replayUnsettled();
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
  private async hasDueWork(): Promise<boolean> {
    const now = this.clock();
    if (this.inFlight.size > 0) return true;
    return (await this.deps.queue.dueLanes(now)).some((g) => !this.lanes.isPaused(g, now, this.tokenOf(g.lane)));
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.lastTurnAt = this.clock();
      let launched: number;
      try {
        const replayed = await this.replayUnsettled();
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
      else if (launched === 0) await this.sleep(await this.nextWakeDelay());
    }
  }

  /**
   * A write settling claimed rows: done now, or, when the outbox refuses it (or
   * earlier ones still wait), kept in order and done again once it takes writes.
   * The send it records already happened: it must not be lost, nor sent again.
   */
  private outboxWrite(write: () => Promise<void>): Promise<void> {
    return this.inOrder(async () => {
      if (this.unsettled.length === 0) {
        try {
          await write();
          return;
        } catch (err) {
          this.noteOutboxFailure(err);
        }
      }
      this.unsettled.push(write);
    });
  }

  /** The writes the outbox refused, in order; throws (and keeps the rest) while it still refuses them. Returns how many were done. */
  private replayUnsettled(): Promise<number> {
    return this.inOrder(async () => {
      let done = 0;
      while (this.unsettled.length > 0) {
        await this.unsettled[0]();
        this.unsettled.shift();
        done += 1;
      }
      return done;
    });
  }

  /** Run `step` after every outbox write asked for before it has ended, whatever their outcome. */
  private inOrder<T>(step: () => Promise<T>): Promise<T> {
    const result = this.writes.then(step);
    this.writes = result.catch(() => undefined);
    return result;
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
    if (now < this.lastLookAt - CLOCK_JUMP_MS) await this.rescheduleAfterClockJump(now);
    this.lastLookAt = now;
    this.storedSinceTick = 0;
    let launched = 0;
    // The holds every process shares: a lane another replica paused is paused here too (and in this replica's status report).
    this.lanes.syncHolds(await this.deps.queue.laneHolds());
    for (const due of await this.deps.queue.dueLanes(now)) {
      if (this.inFlight.size >= this.opts.maxConcurrentRequests) break;
      const token = this.tokenOf(due.lane);
      const outdated = this.lanes.reviseOutdated(due, now, token);
      if (outdated) await this.outboxWrite(() => this.reviseHold(due, outdated.seen, outdated.revised));
      if (!this.lanes.mayLaunch(due, now, token)) continue;
      if (!isLaneReady(due, now, this.opts, this.draining)) continue;
      // At the end of a hold one process probes the lane: another may have taken the probe.
      if (this.lanes.probing(due, now) && !(await this.deps.queue.takeProbe(due, now, now + (this.opts.probeLeaseMs ?? PROBE_LEASE_MS)))) continue;
      const rows = await this.claimInSlices(due, now, batchLimit(due, this.opts));
      if (rows.length === 0) continue;
      const lane: KnownLane = { pixelId: due.pixelId, testEventCode: due.testEventCode, lane: due.lane };
      this.lanes.launched(lane);
      this.track(this.delivery.deliver(lane, rows).finally(() => this.lanes.settled(lane)));
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
        const slice = await this.deps.queue.claim(lane, now, Math.min(CLAIM_SLICE, limit - rows.length));
        rows.push(...slice);
        if (slice.length < CLAIM_SLICE) break;
        await yieldToEventLoop();
      }
    } catch (err) {
      // The slices claimed before the failure go back to pending, their claim not counted as an attempt.
      if (rows.length) await this.outboxWrite(() => this.deps.queue.markPaused(rows.map((r) => r.id), now, 'claim interrupted: the outbox refused a write'));
      throw err;
    }
    return rows;
  }

  /**
   * No retry or pause is ever set further ahead than the longest delay: events
   * scheduled later were scheduled by a clock that has since gone back (an hour,
   * a day). They are due now rather than that much later.
   */
  private rescheduleAfterClockJump(now: number): Promise<void> {
    const longest = Math.max(this.opts.backoff.maxMs, this.opts.pause.maxMs, TOKEN_RECHECK_MS);
    return this.outboxWrite(async () => {
      const rescheduled = await this.deps.queue.rescheduleLaterThan(now + longest, now);
      if (rescheduled > 0) this.deps.log.warn({ rescheduled }, 'dispatcher: events were scheduled further ahead than any retry or pause (the clock went back); they are due now');
    });
  }

  /** An outdated hold (see `Lanes.reviseOutdated`) revised, or lifted, for every process: unless another process changed it since. */
  private async reviseHold(lane: LaneKey, seen: LaneHold, revised: LaneHold | undefined): Promise<void> {
    if (!revised) return this.deps.queue.clearLaneHold(lane, seen);
    const unchanged = (current: LaneHold) => current.until === seen.until && current.streak === seen.streak;
    await this.deps.queue.holdLane(lane, (current) => (current && !unchanged(current) ? current : revised));
  }

  /** A lane's token: its pixel's website's, or for another source the website's named in the lane. */
  private tokenOf(lane: Lane): string {
    return settingsOfLane(this.deps.settings, lane)?.accessToken ?? '';
  }

  private async nextWakeDelay(): Promise<number> {
    const next = await this.deps.queue.nextAttemptAt();
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
