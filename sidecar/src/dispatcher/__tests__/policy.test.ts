import type { SendOutcome } from '../../tiktok/outcome';
import { backoffDelay, batchLimit, everyRowRefusedAlike, isLaneReady, judgeHalves, matchFailures, needsSample, pauseDelay, splitInHalves } from '../policy';

const policy = { maxBatchSize: 1000, lingerMs: 250 };
const lane = (due: number, oldestDueAt: number, testEventCode = '') => ({ pixelId: 'P', testEventCode, due, oldestDueAt });

describe('isLaneReady', () => {
  it('waits for the linger time while a batch is not full', () => {
    expect(isLaneReady(lane(10, 1000), 1100, policy, false)).toBe(false);
    expect(isLaneReady(lane(10, 1000), 1250, policy, false)).toBe(true);
  });
  it('sends a full batch at once', () => {
    expect(isLaneReady(lane(1000, 1000), 1000, policy, false)).toBe(true);
  });
  it('sends test events and drains at once', () => {
    expect(isLaneReady(lane(1, 1000, 'TEST1'), 1000, policy, false)).toBe(true);
    expect(isLaneReady(lane(1, 1000), 1000, policy, true)).toBe(true);
  });
  it('sends test events one per request', () => {
    expect(batchLimit({ testEventCode: 'TEST1' }, policy)).toBe(1);
    expect(batchLimit({ testEventCode: '' }, policy)).toBe(1000);
  });
});

describe('backoffDelay', () => {
  const backoff = { baseMs: 1000, maxMs: 60_000 };
  it('doubles per attempt between half and all of the step', () => {
    expect(backoffDelay(1, backoff, () => 0)).toBe(500);
    expect(backoffDelay(1, backoff, () => 1)).toBe(1000);
    expect(backoffDelay(4, backoff, () => 0)).toBe(4000);
    expect(backoffDelay(4, backoff, () => 1)).toBe(8000);
  });
  it('is capped', () => {
    expect(backoffDelay(30, backoff, () => 1)).toBe(60_000);
  });
});

describe('splitInHalves', () => {
  it('keeps every item exactly once', () => {
    expect(splitInHalves([1, 2, 3, 4, 5])).toEqual([[1, 2, 3], [4, 5]]);
    expect(splitInHalves([1, 2])).toEqual([[1], [2]]);
  });
});

describe('pauseDelay', () => {
  const pause = { baseMs: 5000, maxMs: 300_000 };
  it('starts at the base and doubles while the problem persists, without jitter', () => {
    expect([1, 2, 3, 4].map((n) => pauseDelay(n, pause))).toEqual([5000, 10_000, 20_000, 40_000]);
  });
  it('is capped', () => {
    expect(pauseDelay(7, pause)).toBe(300_000);
    expect(pauseDelay(60, pause)).toBe(300_000);
  });
});

describe('judgeHalves', () => {
  const rejected = (code: number, message: string): SendOutcome => ({ kind: 'rejected', code, message });
  const delivered: SendOutcome = { kind: 'delivered' };

  it('calls halves refused with the same code and message alike', () => {
    expect(judgeHalves(rejected(40002, 'Invalid parameter'), rejected(40002, 'Invalid parameter'))).toBe('alike');
  });
  it('calls halves refused differently, or a half that went through, row-specific', () => {
    expect(judgeHalves(rejected(40002, 'data[3] bad'), rejected(40002, 'data[7] bad'))).toBe('row_specific');
    expect(judgeHalves(rejected(40002, 'x'), rejected(40000, 'x'))).toBe('row_specific');
    expect(judgeHalves(delivered, rejected(40002, 'x'))).toBe('row_specific');
    expect(judgeHalves(rejected(40002, 'x'), { kind: 'partial', failures: [] })).toBe('row_specific');
  });
  it('cannot tell when a half met something else', () => {
    expect(judgeHalves(rejected(40002, 'x'), { kind: 'retry', cause: 'server_error', detail: 'HTTP 502' })).toBe('undecided');
    expect(judgeHalves({ kind: 'too_large', status: 413, message: '' }, rejected(40002, 'x'))).toBe('undecided');
  });
  it('samples one row only when the halves were not single rows already', () => {
    expect(needsSample(2)).toBe(false);
    expect(needsSample(3)).toBe(true);
  });
});

describe('matchFailures', () => {
  const rows = ['a', 'b', 'c', 'd'].map((eventId) => ({ eventId }));

  it('matches by event_id first, else by index inside the batch, and counts the rest', () => {
    const { failed, unmatched } = matchFailures(rows, [
      { eventId: 'c', index: 0, code: 40002, message: 'm1' },
      { index: 1, code: 40002, message: 'm2' },
      { index: 9, code: 40002, message: 'm3' },
      { eventId: 'zz', code: 40002, message: 'm4' },
    ]);
    expect(failed.map((f) => [f.row.eventId, f.refusal.message])).toEqual([
      ['c', 'm1'],
      ['b', 'm2'],
    ]);
    expect(unmatched).toBe(2);
  });
  it('names a row once even when TikTok lists it twice', () => {
    const { failed } = matchFailures(rows, [
      { eventId: 'a', code: 40002, message: 'first' },
      { index: 0, code: 40002, message: 'second' },
    ]);
    expect(failed).toEqual([{ row: rows[0], refusal: { code: 40002, message: 'first' } }]);
  });
  it('tells when every row of a batch of several was refused alike', () => {
    const all = matchFailures(rows, rows.map((r) => ({ eventId: r.eventId, code: 40002, message: 'same' }))).failed;
    expect(everyRowRefusedAlike(4, all)).toBe(true);
    expect(everyRowRefusedAlike(5, all)).toBe(false);
    const mixed = matchFailures(rows, rows.map((r, i) => ({ eventId: r.eventId, code: 40002, message: i ? 'same' : 'other' }))).failed;
    expect(everyRowRefusedAlike(4, mixed)).toBe(false);
    expect(everyRowRefusedAlike(1, all.slice(0, 1))).toBe(false);
  });
});
