/** Pure decisions of the dispatcher: when a lane is ready, how long to back off or pause, how to split and when to stop. */

import type { DueLane } from '../outbox/eventQueue';
import type { RowFailure, SendOutcome } from '../tiktok/outcome';

export interface BatchPolicy {
  maxBatchSize: number;
  lingerMs: number;
}

/**
 * A lane is sent when it fills a batch, when its longest-due event has waited the
 * linger time, or when the sidecar is draining. Test-event-code lanes go one event per
 * request, as TikTok's test tooling does not support batches.
 */
export function isLaneReady(lane: Pick<DueLane, 'testEventCode' | 'due' | 'oldestDueAt'>, now: number, policy: BatchPolicy, draining: boolean): boolean {
  if (draining || lane.testEventCode !== '') return true;
  return lane.due >= policy.maxBatchSize || now - lane.oldestDueAt >= policy.lingerMs;
}

export function batchLimit(lane: { testEventCode: string }, policy: BatchPolicy): number {
  return lane.testEventCode !== '' ? 1 : policy.maxBatchSize;
}

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/** Exponential backoff with "equal jitter": half fixed, half random, so retries of many rows spread out. */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + (exp / 2) * random());
}

/** Halves of a rejected batch; TikTok fails a whole batch for one bad row, so bisect to find it. */
export function splitInHalves<T>(items: T[]): [T[], T[]] {
  const mid = Math.ceil(items.length / 2);
  return [items.slice(0, mid), items.slice(mid)];
}

/**
 * How long a lane stays paused after its `streak`-th request-level problem in a
 * row: the base, doubled while the problem persists, capped. No jitter: a lane
 * sends one probe, not a crowd of retries.
 */
export function pauseDelay(streak: number, policy: BackoffPolicy): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, streak - 1));
}

export interface Refusal {
  code: number;
  message: string;
}

export function sameRefusal(a: Refusal, b: Refusal): boolean {
  return a.code === b.code && a.message === b.message;
}

/**
 * What the two halves of a rejected batch say about the refusal:
 * - `alike`: both refused with the same code and message, as a request-level
 *   problem would be (splitting further would cost about two requests per row);
 * - `row_specific`: a half went through, or the halves were refused differently:
 *   some rows are bad and others are not, so bisecting finds them;
 * - `undecided`: a half met something else (a retry, a pause, a 413).
 */
export type HalvesVerdict = 'alike' | 'row_specific' | 'undecided';

export function judgeHalves(left: SendOutcome, right: SendOutcome): HalvesVerdict {
  if (left.kind === 'rejected' && right.kind === 'rejected') return sameRefusal(left, right) ? 'alike' : 'row_specific';
  const through = (o: SendOutcome) => o.kind === 'delivered' || o.kind === 'partial';
  return through(left) || through(right) ? 'row_specific' : 'undecided';
}

/**
 * Which refusal ends a bisection as systemic. Both halves refused alike is not
 * yet proof: two bad rows with a generic message may sit in different halves.
 * A third sample, one row taken from the batch, decides, unless the halves were
 * single rows already (then the sample would only repeat one of them).
 */
export function needsSample(batchSize: number): boolean {
  return batchSize > 2;
}

/**
 * Whether an answer shows that the request's body got past the body size limit
 * (TikTok's, or a proxy's in front of it): any answer but a 413, except a
 * connection that failed or timed out, which says nothing about the size.
 */
export function passedSizeLimit(outcome: SendOutcome): boolean {
  if (outcome.kind === 'too_large') return false;
  return outcome.kind !== 'retry' || (outcome.cause !== 'network' && outcome.cause !== 'timeout');
}

/** The event a batch refused as too large is probed with: the smallest body is the likeliest to fit a size limit. */
export function smallestRow<T extends { payload: string }>(rows: readonly T[]): T {
  return rows.reduce((smallest, row) => (row.payload.length < smallest.payload.length ? row : smallest));
}

/** The row refused in the `data` of a 20001 answer, matched to the batch by position or event_id. */
export interface MatchedFailure<T> {
  row: T;
  refusal: Refusal;
}

/**
 * Match TikTok's per-event failures to the rows of the batch: by `event_id` when
 * the failure has one, else by `index` inside the batch. Failures that name no row of the batch
 * are counted in `unmatched` and otherwise ignored.
 */
export function matchFailures<T extends { eventId: string }>(rows: T[], failures: RowFailure[]): { failed: MatchedFailure<T>[]; unmatched: number } {
  const failed = new Map<T, Refusal>();
  let unmatched = 0;
  for (const f of failures) {
    const refusal = { code: f.code, message: f.message };
    // The event_id names the row for sure; an index (0- or 1-based?) only serves alone.
    const matches =
      f.eventId !== undefined ? rows.filter((r) => r.eventId === f.eventId) : f.index !== undefined && f.index < rows.length ? [rows[f.index]] : [];
    if (matches.length === 0) unmatched++;
    for (const row of matches) if (!failed.has(row)) failed.set(row, refusal);
  }
  return { failed: [...failed].map(([row, refusal]) => ({ row, refusal })), unmatched };
}

/** True when every row of a batch of several was refused with the same code and message. */
export function everyRowRefusedAlike(batchSize: number, failed: MatchedFailure<unknown>[]): boolean {
  return batchSize > 1 && failed.length === batchSize && failed.every((f) => sameRefusal(f.refusal, failed[0].refusal));
}
