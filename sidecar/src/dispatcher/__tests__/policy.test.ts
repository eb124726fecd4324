import { backoffDelay, batchLimit, isLaneReady, splitInHalves } from '../policy';

const policy = { maxBatchSize: 1000, lingerMs: 250 };
const lane = (due: number, oldestCreatedAt: number, testEventCode = '') => ({ pixelId: 'P', testEventCode, due, oldestCreatedAt });

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
