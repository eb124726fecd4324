/**
 * A short chaos run (scripts/chaos/replicas.ts) on three replicas behind nginx:
 * a steady relay load, every Events API call refused (40002) for a few seconds,
 * replica 1 killed with SIGKILL, replica 2 restarted. Every accepted event must
 * reach the fake Events API, except (SQLite) what waits in the killed replica's
 * own file, which no other replica reads. No assertion on timing: the run's steps
 * happen at set moments, whatever the machine's load makes of the traffic between.
 */
import { engineUnavailableReason, type Engine } from '../../scripts/chaos/cluster';
import { runChaos, type ChaosResult } from '../../scripts/chaos/replicas';

function shortRun(engine: Engine): Promise<ChaosResult> {
  return runChaos({ engine, seconds: 20, pauseSeconds: 6, rate: 25, concurrency: 4, faultRate: 0.1, drainSeconds: 300, build: 'bundled', log: () => undefined });
}

/** What both engines must show: nothing lost, nothing left unsent, the paused lane refused. */
function expectNothingLost(result: ChaosResult): void {
  const v = result.verdict;
  expect(v.accepted).toBeGreaterThan(0);
  expect(v.lost).toEqual([]);
  expect(v.ok).toBe(true);
  expect(v.delivered + v.stranded.length + v.dead.length).toBe(v.accepted);
  expect(result.undrained).toBe(0);
  // A refusal of every call pauses the lane; only a lone event refused first, with
  // nothing to compare it to, is parked as that event's fault: one per replica at most.
  expect(v.dead.length).toBeLessThanOrEqual(3);
  expect(Object.values(result.rejectedDuringPause).some((n) => n > 0)).toBe(true);
}

for (const engine of ['sqlite', 'postgres'] as const) {
  const unavailable = engineUnavailableReason(engine);
  if (unavailable) console.log(`replicas chaos test on ${engine} skipped: ${unavailable}`);
  (unavailable ? describe.skip : describe)(`three ${engine} replicas behind nginx through a kill, a restart and a paused minute`, () => {
    if (engine === 'sqlite') {
      test('every accepted event is delivered or kept (the killed replica file, a dead letter); none lost, none left unsent', async () => {
        const result = await shortRun(engine);
        expectNothingLost(result);
        // Each replica has its own file, and pauses on its own.
        expect(Object.values(result.rejectedDuringPause).every((n) => n > 0)).toBe(true);
      }, 600_000);
    } else {
      test('every accepted event is delivered: the killed replica leaves nothing behind on the shared outbox', async () => {
        const result = await shortRun(engine);
        expectNothingLost(result);
        expect(result.verdict.stranded).toEqual([]);
        // nginx sends a POST whose replica died to another one; the event_id key absorbs a second copy.
        expect(result.verdict.duplicateRows).toBe(0);
        // The lane is paused for every replica: past the batches on their way when the pause began, one replica at a time is refused (its probe).
        expect(result.severalRefusedIntervals).toBe(0);
      }, 600_000);
    }
  });
}
