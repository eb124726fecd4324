/**
 * A short chaos run (scripts/chaos/replicas.ts) on SQLite replicas behind nginx:
 * a steady relay load, every Events API call refused (40002) for a few seconds,
 * replica 1 killed with SIGKILL, replica 2 restarted. Every accepted event must
 * reach the fake Events API, except what waits in the killed replica's own file
 * (no other replica reads it). No assertion on timing: the run's steps happen
 * at set moments, whatever the machine's load makes of the traffic in between.
 */
import { engineUnavailableReason } from '../../scripts/chaos/cluster';
import { runChaos } from '../../scripts/chaos/replicas';

const unavailable = engineUnavailableReason('sqlite');
const describeWithNginx = unavailable ? describe.skip : describe;
if (unavailable) console.log(`replicas chaos test skipped: ${unavailable}`);

describeWithNginx('three SQLite replicas behind nginx through a kill, a restart and a paused minute', () => {
  test('every accepted event is delivered or kept (the killed replica file, a dead letter); none lost, none left unsent', async () => {
    const result = await runChaos({
      engine: 'sqlite',
      seconds: 20,
      pauseSeconds: 6,
      rate: 25,
      concurrency: 4,
      faultRate: 0.1,
      drainSeconds: 300,
      build: 'bundled',
      log: () => undefined,
    });
    const v = result.verdict;
    expect(v.accepted).toBeGreaterThan(0);
    expect(v.lost).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.delivered + v.stranded.length + v.dead.length).toBe(v.accepted);
    expect(result.undrained).toBe(0);
    // A refusal of every call pauses the lane; only a lone event refused first, with
    // nothing to compare it to, is parked as that event's fault: one per replica at most.
    expect(v.dead.length).toBeLessThanOrEqual(3);
    // Each replica saw the refusal for itself (its lane pause is its own).
    expect(Object.values(result.rejectedDuringPause).every((n) => n > 0)).toBe(true);
  }, 600_000);
});
