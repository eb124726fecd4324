/** Pure decisions of the dispatcher: when a lane is ready, how long to back off, how to split. */

import type { DueGroup } from '../outbox/store';

export interface BatchPolicy {
  maxBatchSize: number;
  lingerMs: number;
}

/**
 * A lane is sent when it fills a batch, when its oldest event has waited the linger
 * time, or when the sidecar is draining. Test-event-code lanes go one event per
 * request, as TikTok's test tooling does not support batches.
 */
export function isLaneReady(group: DueGroup, now: number, policy: BatchPolicy, draining: boolean): boolean {
  if (draining || group.testEventCode !== '') return true;
  return group.due >= policy.maxBatchSize || now - group.oldestCreatedAt >= policy.lingerMs;
}

export function batchLimit(group: { testEventCode: string }, policy: BatchPolicy): number {
  return group.testEventCode !== '' ? 1 : policy.maxBatchSize;
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
