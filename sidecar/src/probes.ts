/**
 * What the probes answer, decided from plain facts (no I/O here):
 *
 * - readiness (`/readyz`): may this replica be sent relay traffic? Not while it
 *   stops (the drain at shutdown) nor while the outbox takes no writes (a full or
 *   read-only disk, an unreachable database): an event accepted then would be lost.
 * - liveness (`/livez`): is the process making progress, or stuck for good, so
 *   that only a restart helps? The dispatcher's loop turning says it is. A TikTok
 *   outage, a paused lane or a refusing outbox is waiting on purpose, with bounded
 *   waits: the loop still turns, so none of them fails liveness (a restart would
 *   not fix them).
 * - `/healthz` (the container's healthcheck): both.
 */
export type ProbeStatus = 'ok' | 'stopping' | 'outbox_unwritable' | 'stalled';

export interface Health {
  ok: boolean;
  status: ProbeStatus;
}

const OK: Health = { ok: true, status: 'ok' };

export function readinessStatus(state: { accepting: boolean; outboxWritable: boolean }): Health {
  if (!state.accepting) return { ok: false, status: 'stopping' };
  if (!state.outboxWritable) return { ok: false, status: 'outbox_unwritable' };
  return OK;
}

/**
 * A loop is stalled when its last turn is older than this many of its longest
 * normal waits: well above any wait it makes on purpose (30 s with the default
 * outbox backoff, so 2 minutes), well below "hours of events not sent".
 */
export const STALL_AFTER_LONGEST_WAITS = 4;

export interface LoopHeartbeat {
  running: boolean;
  lastTurnAt: number;
  longestWaitMs: number;
}

export function stallAfterMs(heartbeat: Pick<LoopHeartbeat, 'longestWaitMs'>): number {
  return STALL_AFTER_LONGEST_WAITS * heartbeat.longestWaitMs;
}

/** A loop that is not running (before start, after stop) is not stalled: it is not meant to turn. */
export function livenessStatus(heartbeat: LoopHeartbeat, now: number): Health {
  if (heartbeat.running && now - heartbeat.lastTurnAt > stallAfterMs(heartbeat)) return { ok: false, status: 'stalled' };
  return OK;
}

/** The first probe that fails, or ok. */
export function worstOf(...answers: Health[]): Health {
  return answers.find((answer) => !answer.ok) ?? OK;
}
