import { bucketOf, LatencyHistogram } from '../latency';

/** The nearest-rank percentile of exact values, to hold the histogram to. */
function exactPercentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(p * sorted.length)) - 1];
}

function histogramOf(values: number[]): LatencyHistogram {
  const h = new LatencyHistogram();
  values.forEach((v) => h.record(v));
  return h;
}

/** Never below the true value, at most one bucket (4.4 %, rounded up to the next ms) above it. */
function expectClose(reported: number, exact: number): void {
  expect(reported).toBeGreaterThanOrEqual(exact);
  expect(reported).toBeLessThanOrEqual(Math.ceil(exact * 2 ** (1 / 16)) + 1);
}

describe('LatencyHistogram', () => {
  it('reports 0 for an interval without deliveries', () => {
    const h = new LatencyHistogram();
    expect([h.count, h.percentile(0.5), h.percentile(0.95), h.max]).toEqual([0, 0, 0, 0]);
  });

  it('gives p50 and p95 within one bucket of the exact values, and the exact maximum', () => {
    const values = Array.from({ length: 1000 }, (_, i) => i + 1);
    const h = histogramOf(values);
    expectClose(h.percentile(0.5), 500);
    expectClose(h.percentile(0.95), 950);
    expect(h.max).toBe(1000);
    expect(h.count).toBe(1000);
  });

  it('follows skewed traffic: most events fast, a tail from a retried batch', () => {
    const values = [...Array.from({ length: 900 }, (_, i) => 200 + (i % 100)), ...Array.from({ length: 100 }, (_, i) => 60_000 + i * 1000)];
    const h = histogramOf(values);
    expectClose(h.percentile(0.5), exactPercentile(values, 0.5));
    expectClose(h.percentile(0.95), exactPercentile(values, 0.95));
    expect(h.percentile(0.95)).toBeGreaterThan(60_000);
    expect(h.max).toBe(159_000);
  });

  it('never reports a percentile above the maximum', () => {
    const h = histogramOf([1003, 1003, 1003]);
    expect(h.percentile(0.5)).toBe(1003);
    expect(h.percentile(0.95)).toBe(1003);
  });

  it('adds up two intervals exactly: the same as one histogram of every value', () => {
    const a = [5, 80, 120, 4000, 4100];
    const b = [1, 90, 7_200_000];
    const folded = histogramOf(a);
    folded.add(histogramOf(b));
    const whole = histogramOf([...a, ...b]);
    for (const p of [0.5, 0.95, 1]) expect(folded.percentile(p)).toBe(whole.percentile(p));
    expect([folded.count, folded.max]).toEqual([8, 7_200_000]);
  });

  it('keeps its memory bounded: a week of latencies fits in a few hundred buckets', () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(0.4)).toBe(0);
    expect(bucketOf(1)).toBe(1);
    expect(bucketOf(7 * 86_400_000)).toBeLessThan(500);
    const h = new LatencyHistogram();
    for (let ms = 0; ms < 7 * 86_400_000; ms = ms * 1.01 + 1) h.record(ms);
    expect((h as unknown as { buckets: Map<number, number> }).buckets.size).toBeLessThan(500);
  });
});
