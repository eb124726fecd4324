/**
 * The state of each dispatcher lane (a pixel, or a pixel's test-event-code
 * traffic): running or paused for a request-level problem, and what the lane
 * remembers between batches. No I/O; the caller passes the time.
 */
import { laneKey, type LaneKey } from '../outbox/eventQueue';
import type { SettingsSource, WebsiteSettings } from '../settings/types';
import { scrubFreeText } from '../tiktok/contactData';
import type { Lane as EventsApiLane } from '../tiktok/lane';
import type { RequestProblem } from '../tiktok/outcome';
import { pauseDelay, sameRefusal, type BackoffPolicy, type Refusal } from './policy';

export type LanePauseReason = RequestProblem | 'no_token';

/** Reasons tied to the pixel's token: a different token lifts the pause at once. */
const TOKEN_BOUND: ReadonlySet<LanePauseReason> = new Set(['token_refused', 'no_token']);

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

export interface PauseResult {
  /** A new problem (the first pause, or another reason): worth a log line and a count. */
  fresh: boolean;
  until: number;
}

interface Pause extends LaneProblem {
  until: number;
  /** The token the pause is tied to, for token-bound reasons. */
  token?: string;
}

interface Lane extends LaneKey {
  pause?: Pause;
  /** Pauses since the last delivery: the pause grows with it, and a lane with a streak sends one probe at a time. */
  streak: number;
  streakSince?: number;
  lastReason?: LanePauseReason;
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
  ) {}

  private get(key: LaneKey): Lane {
    const k = laneKey(key);
    let lane = this.lanes.get(k);
    if (!lane) {
      lane = { pixelId: key.pixelId, testEventCode: key.testEventCode, streak: 0, inFlight: 0 };
      this.lanes.set(k, lane);
    }
    return lane;
  }

  /**
   * Whether the lane holds its events now. An expired pause, or a token-bound
   * pause whose pixel has another token since, is lifted here.
   */
  isPaused(key: LaneKey, now: number, currentToken: string): boolean {
    const lane = this.get(key);
    const pause = lane.pause;
    if (!pause) return false;
    if (pause.token !== undefined && pause.token !== currentToken) {
      // New settings: a fresh start, not a continuation of the old token's streak.
      lane.pause = undefined;
      lane.streak = 0;
      return false;
    }
    if (pause.until <= now) {
      lane.pause = undefined;
      return false;
    }
    // No pause is longer than the longest: one that is was set by a clock that has since gone back.
    pause.until = Math.min(pause.until, now + this.pausePolicy.maxMs);
    return true;
  }

  /**
   * Whether a new batch may leave: not while paused, and only one at a time while
   * a lane probes after a pause (every batch would meet the same problem).
   */
  mayLaunch(key: LaneKey, now: number, currentToken: string): boolean {
    if (this.isPaused(key, now, currentToken)) return false;
    const lane = this.get(key);
    return lane.streak === 0 || lane.inFlight === 0;
  }

  launched(key: LaneKey): void {
    this.get(key).inFlight++;
  }

  settled(key: LaneKey): void {
    const lane = this.get(key);
    lane.inFlight = Math.max(0, lane.inFlight - 1);
  }

  /**
   * Pause the lane. A lane already paused (a batch that left before the pause came
   * back with the same news) keeps its pause: the streak grows once per probe.
   */
  pause(key: LaneKey, problem: LaneProblem, now: number, token: string): PauseResult {
    const lane = this.get(key);
    if (lane.pause && lane.pause.until > now) return { fresh: false, until: lane.pause.until };
    lane.streak++;
    if (lane.streak === 1) lane.streakSince = now;
    const fresh = lane.streak === 1 || lane.lastReason !== problem.reason;
    lane.lastReason = problem.reason;
    const until = now + pauseDelay(lane.streak, this.pausePolicy);
    lane.pause = {
      reason: problem.reason,
      code: problem.code,
      message: scrubFreeText(problem.message).slice(0, MAX_MESSAGE_CHARS),
      until,
      token: TOKEN_BOUND.has(problem.reason) ? token : undefined,
    };
    return { fresh, until };
  }

  /**
   * When the rows of a paused lane should be looked at again: at the end of the
   * pause, or sooner for a token-bound one (a new token lifts it). Undefined when
   * the lane is not paused.
   */
  holdUntil(key: LaneKey, now: number): number | undefined {
    const pause = this.get(key).pause;
    if (!pause || pause.until <= now) return undefined;
    return pause.token !== undefined ? Math.min(pause.until, now + this.tokenRecheckMs) : pause.until;
  }

  /** Something of the lane went through. Returns since when it had been paused, when it had. */
  delivered(key: LaneKey): number | undefined {
    const lane = this.get(key);
    const since = lane.streak > 0 ? lane.streakSince : undefined;
    lane.streak = 0;
    lane.streakSince = undefined;
    lane.lastReason = undefined;
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

  /** Every lane seen since start, in the order first seen. */
  states(now: number): LaneState[] {
    return [...this.lanes.values()].map((lane) => {
      const key = { pixelId: lane.pixelId, testEventCode: lane.testEventCode };
      const pause = lane.pause;
      if (!pause || pause.until <= now) return { ...key, state: 'running' };
      return { ...key, state: 'paused', reason: pause.reason, code: pause.code, message: pause.message, since: lane.streakSince, until: pause.until };
    });
  }
}

/** The settings whose access token sends a lane: its pixel's website, or the website named in a lane of another source. */
export function settingsOfLane(settings: SettingsSource, lane: EventsApiLane): WebsiteSettings | undefined {
  if (lane.eventSource === 'web') return settings.byPixel(lane.eventSourceId);
  return settings.all().find((w) => w.websiteId === lane.websiteId);
}
