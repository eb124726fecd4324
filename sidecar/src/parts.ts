/**
 * One piece of the running sidecar. Parts start in their declared order and stop
 * in the reverse one, in two passes:
 *  - `stop`: stop taking work and finish what was taken (the dispatcher's drain
 *    within the grace period is one such step);
 *  - `release`: once every part has stopped, let go of what the others may still
 *    have used until then (connections, the report's last counts, the outbox).
 * A step that throws ends the sequence and the error reaches the caller: the
 * process then exits 1 and the next start sends what was not settled.
 */
export interface Part {
  name: string;
  start?(): Promise<void> | void;
  stop?(): Promise<void> | void;
  release?(): Promise<void> | void;
}

export async function startParts(parts: readonly Part[]): Promise<void> {
  for (const part of parts) await part.start?.();
}

export async function stopParts(parts: readonly Part[]): Promise<void> {
  const reversed = [...parts].reverse();
  for (const part of reversed) await part.stop?.();
  for (const part of reversed) await part.release?.();
}
