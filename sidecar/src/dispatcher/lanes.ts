/**
 * The state of each dispatcher lane (a pixel, or a pixel's test-event-code
 * traffic): running or paused for a request-level problem, and what the lane
 * remembers between batches. No I/O; the caller passes the time.
 */
import { createHash } from 'node:crypto';
import { laneKey, type HeldLane, type LaneHold, type LaneKey } from '../outbox/eventQueue';
import type { SettingsSource, WebsiteSettings } from '../settings/types';
import { scrubFreeText } from '../tiktok/contactData';
import type { Lane as EventsApiLane } from '../tiktok/lane';
import type { RequestProblem } from '../tiktok/outcome';
import { pauseDelay, sameRefusal, type BackoffPolicy, type Refusal } from './policy';

export type LanePauseReason = RequestProblem | 'no_token';

/** Why a lane is held: a pause (reported to Odoo as one), or TikTok's rate limit (a passing condition of a running lane). */
export type LaneHoldReason = LanePauseReason | 'rate_limited';

/** Reasons tied to the pixel's token: a different token lifts the hold at once. */
const TOKEN_BOUND: ReadonlySet<string> = new Set<LaneHoldReason>(['token_refused', 'no_token']);

/**
 * What stands for a token in a hold shared through the outbox: 64 bits of its
 * SHA-256. Enough to tell the token a pause was for from a new one; nothing to
 * send requests with, and no way back to a token of TikTok's length.
 */
export function tokenFingerprint(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
}

/** What a status report may show: ids, a typed reason, TikTok's code and message (contact data redacted), times. */
export interface LaneState extends LaneKey {
  state: 'running' | 'paused';
  reason?: LanePauseReason;
  /** TikTok's code, or the HTTP status when the answer had none (404, an HTML page). */
  code?: number;
  message?: string;
  /** Since when the lane has been paused (the first pause of the current problem), epoch ms. */
  since?: number;
  /** When the lane sends its next probe, epoch ms. */
  until?: number;
}

export interface LaneProblem {
  reason: LanePauseReason;
  code?: number;
  message: string;
}

/** What holds a lane: a pause's problem, or TikTok's rate limit. */
export interface HoldCause {
  reason: LaneHoldReason;
  code?: number;
  message: string;
  /** The least the hold lasts (a Retry-After), within the policy's longest hold. */
  atLeastMs?: number;
}

export interface PauseResult {
  /** A new problem (the first pause, or another reason): worth a log line and a count. */
  fresh: boolean;
  until: number;
}

interface Lane extends LaneKey {
  /**
   * The lane's hold, shared by every process of the outbox: as last read from it,
   * or as this process last wrote it. It stays after its end until a delivery:
   * its streak grows the next hold, and a lane with a streak sends one probe at a time.
   */
  hold?: LaneHold;
  inFlight: number;
  /** The last refusal that made a single-row batch a dead letter, until something is delivered. */
  lastSingleRefusal?: Refusal;
  /**
   * The last event refused as too large alone with nothing to tell whether it was
   * the event or every request, and whether a request of the lane got past the
   * size limit since.
   */
  tooLargeAlone?: { rowId: number; othersFitSince: boolean };
}

/** Longest message kept in a lane state. */
const MAX_MESSAGE_CHARS = 300;

export class Lanes {
  private readonly lanes = new Map<string, Lane>();

  constructor(
    private readonly pausePolicy: BackoffPolicy,
    /** How soon the rows of a token-bound pause are looked at again, so a corrected token applies within seconds. */
    private readonly tokenRecheckMs: number,
    /** The hold after TikTok's rate limit: short, doubled while it persists. */
    private readonly rateLimitPolicy: BackoffPolicy = pausePolicy,
  ) {}

  private get(key: LaneKey): Lane {
    const k = laneKey(key);
    let lane = this.lanes.get(k);
    if (!lane) {
      lane = { pixelId: key.pixelId, testEventCode: key.testEventCode, inFlight: 0 };
      this.lanes.set(k, lane);
    }
    return lane;
  }

  /** No hold is longer than the longest: one that is was set by a clock that has since gone back. */
  private get longestHoldMs(): number {
    return Math.max(this.pausePolicy.maxMs, this.rateLimitPolicy.maxMs);
  }

  /**
   * A hold that no longer applies as it is: tied to a token the pixel no longer
   * has (new settings: a fresh start, not a continuation of the old token's
   * streak), or set further ahead than the longest hold by a clock that has since
   * gone back (brought within the longest hold of now). This process's view
   * changes here; the caller writes `revised` (none: the hold is lifted) to the
   * outbox for every process, provided the hold there is still the one `seen`.
   */
  reviseOutdated(key: LaneKey, now: number, currentToken: string): { seen: LaneHold; revised?: LaneHold } | undefined {
    const lane = this.get(key);
    const seen = lane.hold;
    if (!seen) return undefined;
    if (seen.tokenFingerprint !== '' && seen.tokenFingerprint !== tokenFingerprint(currentToken)) {
      lane.hold = undefined;
      return { seen };
    }
    if (seen.until <= now + this.longestHoldMs) return undefined;
    lane.hold = { ...seen, until: now + this.longestHoldMs };
    return { seen, revised: lane.hold };
  }

  /** Whether the lane holds its events now. An outdated hold is revised here. */
  isPaused(key: LaneKey, now: number, currentToken: string): boolean {
    this.reviseOutdated(key, now, currentToken);
    const hold = this.get(key).hold;
    return hold !== undefined && hold.until > now;
  }

  /**
   * Whether a new batch may leave: not while held, and only one at a time while
   * a lane probes after a hold (every batch would meet the same problem).
   */
  mayLaunch(key: LaneKey, now: number, currentToken: string): boolean {
    if (this.isPaused(key, now, currentToken)) return false;
    const lane = this.get(key);
    return lane.hold === undefined || lane.inFlight === 0;
  }

  /** Whether the lane's next batch is the probe at the end of a hold (one process sends it: see `takeProbe` of the outbox). */
  probing(key: LaneKey, now: number): boolean {
    const hold = this.get(key).hold;
    return hold !== undefined && hold.until <= now;
  }

  launched(key: LaneKey): void {
    this.get(key).inFlight++;
  }

  settled(key: LaneKey): void {
    const lane = this.get(key);
    lane.inFlight = Math.max(0, lane.inFlight - 1);
  }

  /**
   * The hold `cause` makes of the `current` one (pure: the outbox calls it inside
   * the transaction that writes the hold, with the hold every process shares). A
   * hold still in force (a batch that left before it came back with the same news)
   * is kept: the streak grows once per probe, whichever process probed.
   */
  nextHold(current: LaneHold | undefined, cause: HoldCause, now: number, token: string): { hold: LaneHold; fresh: boolean } {
    const fingerprint = TOKEN_BOUND.has(cause.reason) ? tokenFingerprint(token) : '';
    const outdated = current !== undefined && ((current.tokenFingerprint !== '' && current.tokenFingerprint !== fingerprint) || current.until > now + this.longestHoldMs);
    const base = outdated ? undefined : current;
    if (base && base.until > now) return { hold: base, fresh: false };
    const streak = (base?.streak ?? 0) + 1;
    const policy = cause.reason === 'rate_limited' ? this.rateLimitPolicy : this.pausePolicy;
    const hold: LaneHold = {
      until: now + Math.max(pauseDelay(streak, policy), Math.min(cause.atLeastMs ?? 0, policy.maxMs)),
      reason: cause.reason,
      code: cause.code ?? null,
      message: scrubFreeText(cause.message).slice(0, MAX_MESSAGE_CHARS),
      streak,
      since: base?.since ?? now,
      tokenFingerprint: fingerprint,
    };
    return { hold, fresh: streak === 1 || base?.reason !== cause.reason };
  }

  /** Pause the lane in this process's view alone (what the outbox stores, `adopt` takes). */
  pause(key: LaneKey, cause: HoldCause, now: number, token: string): PauseResult {
    const { hold, fresh } = this.nextHold(this.get(key).hold, cause, now, token);
    this.adopt(key, hold);
    return { fresh, until: hold.until };
  }

  /** The lane's hold as the outbox stored it. */
  adopt(key: LaneKey, hold: LaneHold): void {
    this.get(key).hold = hold;
  }

  holdOf(key: LaneKey): LaneHold | undefined {
    return this.get(key).hold;
  }

  /** Every hold as the outbox has them now: a lane held by another process is held here, one it cleared is free. */
  syncHolds(holds: readonly HeldLane[]): void {
    const byKey = new Map(holds.map((h) => [laneKey(h), h]));
    for (const h of holds) this.get(h);
    for (const [k, lane] of this.lanes) {
      const held = byKey.get(k);
      lane.hold = held && { until: held.until, reason: held.reason, code: held.code, message: held.message, streak: held.streak, since: held.since, tokenFingerprint: held.tokenFingerprint };
    }
  }

  /**
   * When the rows of a held lane should be looked at again: at the end of the
   * hold, or sooner for a token-bound one (a new token lifts it). Undefined when
   * the lane is not held.
   */
  holdUntil(key: LaneKey, now: number): number | undefined {
    const hold = this.get(key).hold;
    if (!hold || hold.until <= now) return undefined;
    return hold.tokenFingerprint !== '' ? Math.min(hold.until, now + this.tokenRecheckMs) : hold.until;
  }

  /** Something of the lane went through. Returns since when it had been held, when it had. */
  delivered(key: LaneKey): number | undefined {
    const lane = this.get(key);
    const since = lane.hold?.since;
    lane.hold = undefined;
    lane.lastSingleRefusal = undefined;
    return since;
  }

  /**
   * A single-row batch was refused. True when the previous one was refused the
   * same way with nothing delivered in between: then every event meets it, and
   * the lane pauses instead of turning the stream into dead letters one by one.
   */
  repeatsSingleRefusal(key: LaneKey, refusal: Refusal): boolean {
    const last = this.get(key).lastSingleRefusal;
    return last !== undefined && sameRefusal(last, refusal);
  }

  rememberSingleRefusal(key: LaneKey, refusal: Refusal): void {
    this.get(key).lastSingleRefusal = { code: refusal.code, message: refusal.message };
  }

  /** A request of the lane got past the body size limit: the limit lets events through. */
  passedSizeLimit(key: LaneKey): void {
    const suspect = this.get(key).tooLargeAlone;
    if (suspect) suspect.othersFitSince = true;
  }

  /**
   * An event was refused as too large alone, with no other part of its batch to
   * compare with. True when the same event was refused so before and another
   * request of the lane has fitted since: then it is the event. Otherwise it is
   * remembered, and the caller pauses the lane (it may be every request).
   */
  tooLargeAgainWhileOthersFit(key: LaneKey, rowId: number): boolean {
    const lane = this.get(key);
    if (lane.tooLargeAlone?.rowId === rowId && lane.tooLargeAlone.othersFitSince) {
      lane.tooLargeAlone = undefined;
      return true;
    }
    lane.tooLargeAlone = { rowId, othersFitSince: false };
    return false;
  }

  /**
   * Every lane seen since start, in the order first seen; paused while a pause
   * holds it, whichever process paused it. A rate-limited lane is running: its
   * hold is a passing condition of TikTok, not a problem for the shop to fix.
   */
  states(now: number): LaneState[] {
    return [...this.lanes.values()].map((lane) => {
      const key = { pixelId: lane.pixelId, testEventCode: lane.testEventCode };
      const hold = lane.hold;
      if (!hold || hold.until <= now || !isPauseReason(hold.reason)) return { ...key, state: 'running' };
      return { ...key, state: 'paused', reason: hold.reason, code: hold.code ?? undefined, message: hold.message, since: hold.since, until: hold.until };
    });
  }
}

const PAUSE_REASONS: ReadonlySet<string> = new Set<LanePauseReason>(['token_refused', 'wrong_base_url', 'not_tiktok_answer', 'request_refused', 'no_token']);

function isPauseReason(reason: string): reason is LanePauseReason {
  return PAUSE_REASONS.has(reason);
}

/** The settings whose access token sends a lane: its pixel's website, or the website named in a lane of another source. */
export function settingsOfLane(settings: SettingsSource, lane: EventsApiLane): WebsiteSettings | undefined {
  if (lane.eventSource === 'web') return settings.byPixel(lane.eventSourceId);
  return settings.all().find((w) => w.websiteId === lane.websiteId);
}
