/**
 * The pure half of the chaos run: the timeline it follows, what a counter rose
 * by over a window, and the verdict on what reached the fake Events API.
 */

export interface ChaosTiming {
  seconds: number;
  pauseSeconds: number;
}

export type ChaosStep = 'pause_on' | 'kill_replica_1' | 'pause_off' | 'stop_replica_2' | 'stop_load';

/**
 * When each step happens, in seconds from the start of the load: the pause opens
 * at 15 % of the run, replica 1 is killed three quarters into the pause (with a
 * backlog it holds because nothing could be delivered), replica 2 is restarted
 * half-way between the end of the pause and the end of the load.
 */
/** Share of the run before the pause opens. */
const PAUSE_STARTS_AT = 0.15;

export function chaosTimeline({ seconds, pauseSeconds }: ChaosTiming): Array<{ at: number; step: ChaosStep }> {
  const pauseOn = seconds * PAUSE_STARTS_AT;
  const pauseOff = pauseOn + pauseSeconds;
  if (pauseOff >= seconds) {
    throw new Error(`--seconds (${seconds}) must leave room after the pause (--pause-seconds ${pauseSeconds}): at least ${Math.floor(pauseSeconds / (1 - PAUSE_STARTS_AT)) + 1}`);
  }
  const steps: Array<{ at: number; step: ChaosStep }> = [
    { at: pauseOn, step: 'pause_on' },
    { at: pauseOn + pauseSeconds * 0.75, step: 'kill_replica_1' },
    { at: pauseOff, step: 'pause_off' },
    { at: pauseOff + (seconds - pauseOff) / 2, step: 'stop_replica_2' },
    { at: seconds, step: 'stop_load' },
  ];
  return steps.sort((a, b) => a.at - b.at);
}

export interface Sample {
  at: number;
  value: number;
}

/**
 * What a counter rose by between `from` and `to`, read from scrapes of a process
 * that may restart (its counter then starts again from 0): the sample before the
 * window is the base, each later one adds its rise.
 */
export function increaseBetween(samples: readonly Sample[], from: number, to: number): number {
  let previous: number | undefined;
  let rise = 0;
  for (const s of samples) {
    if (s.at > to) break;
    if (s.at <= from) {
      previous = s.value;
      continue;
    }
    const base = previous ?? 0;
    rise += s.value >= base ? s.value - base : s.value;
    previous = s.value;
  }
  return rise;
}

export interface ChaosVerdict {
  accepted: number;
  /** Accepted ids the fake received at least once. */
  delivered: number;
  /** Accepted ids the fake never received. */
  missing: string[];
  /** Of the missing: waiting in the file of the killed replica (SQLite), which no other replica reads. */
  stranded: string[];
  /** Of the missing: parked as dead letters (kept in the outbox, `requeue-dead` sends them again). */
  dead: string[];
  /** Missing, and neither stranded nor a dead letter: lost. */
  lost: string[];
  /** Rows the fake received more than once, and how many ids they belong to. */
  duplicateRows: number;
  duplicateIds: number;
  ok: boolean;
}

/**
 * Every accepted id must be at the fake, or still in an outbox: waiting in the
 * killed replica's file (SQLite), or parked as a dead letter. Anything else is lost.
 */
export function judge(
  acceptedIds: readonly string[],
  deliveredCounts: ReadonlyMap<string, number>,
  kept: { stranded: ReadonlySet<string>; dead: ReadonlySet<string> },
): ChaosVerdict {
  const missing = acceptedIds.filter((id) => !deliveredCounts.has(id));
  const stranded = missing.filter((id) => kept.stranded.has(id));
  const dead = missing.filter((id) => !kept.stranded.has(id) && kept.dead.has(id));
  const lost = missing.filter((id) => !kept.stranded.has(id) && !kept.dead.has(id));
  let duplicateRows = 0;
  let duplicateIds = 0;
  for (const n of deliveredCounts.values()) {
    if (n > 1) {
      duplicateRows += n - 1;
      duplicateIds++;
    }
  }
  return { accepted: acceptedIds.length, delivered: acceptedIds.length - missing.length, missing, stranded, dead, lost, duplicateRows, duplicateIds, ok: lost.length === 0 };
}

/**
 * Of a counter scraped from several processes (each its own samples), the
 * intervals of `intervalMs` from `from` to `to` in which more than one process's
 * counter rose: 0 when at most one of them at a time does what is counted (the
 * probe of a lane paused for all). A process that restarted counts from 0 again.
 */
export function intervalsWithSeveralRising(samples: ReadonlyMap<string, readonly Sample[]>, from: number, to: number, intervalMs: number): number {
  const risingIn = new Map<number, Set<string>>();
  for (const [id, list] of samples) {
    list.forEach((s, i) => {
      const previous = list[i - 1];
      if (!previous || s.at <= from || s.at > to) return;
      if (s.value === previous.value || (s.value < previous.value && s.value === 0)) return;
      const interval = Math.floor((s.at - from) / intervalMs);
      risingIn.set(interval, (risingIn.get(interval) ?? new Set()).add(id));
    });
  }
  return [...risingIn.values()].filter((ids) => ids.size > 1).length;
}
