/**
 * Delivery latencies of one report interval in logarithmic buckets: bounded
 * memory whatever the traffic or the length of an Odoo outage, and two
 * intervals add up exactly (a report that failed is folded into the next one).
 */

/** Buckets per doubling: a bucket's upper bound is at most 2^(1/16) ≈ 4.4 % above any value in it. */
const STEPS_PER_DOUBLING = 16;

/** Values below 1 ms share bucket 0; bucket b ≥ 1 holds [2^((b-1)/16), 2^(b/16)). */
export function bucketOf(ms: number): number {
  return ms < 1 ? 0 : 1 + Math.floor(Math.log2(ms) * STEPS_PER_DOUBLING);
}

function upperBound(bucket: number): number {
  return bucket === 0 ? 0 : Math.ceil(2 ** (bucket / STEPS_PER_DOUBLING));
}

export class LatencyHistogram {
  private readonly buckets = new Map<number, number>();
  private n = 0;
  private highest = 0;

  record(ms: number): void {
    const value = Math.max(0, ms);
    const bucket = bucketOf(value);
    this.buckets.set(bucket, (this.buckets.get(bucket) ?? 0) + 1);
    this.n += 1;
    if (value > this.highest) this.highest = value;
  }

  add(other: LatencyHistogram): void {
    for (const [bucket, n] of other.buckets) this.buckets.set(bucket, (this.buckets.get(bucket) ?? 0) + n);
    this.n += other.n;
    if (other.highest > this.highest) this.highest = other.highest;
  }

  get count(): number {
    return this.n;
  }

  get max(): number {
    return Math.round(this.highest);
  }

  /**
   * The nearest-rank percentile (`p` in 0..1), never below the true value and
   * at most one bucket above it, nor above the maximum; 0 without values.
   */
  percentile(p: number): number {
    if (this.n === 0) return 0;
    const rank = Math.max(1, Math.ceil(p * this.n));
    let seen = 0;
    for (const bucket of [...this.buckets.keys()].sort((a, b) => a - b)) {
      seen += this.buckets.get(bucket)!;
      if (seen >= rank) return Math.min(upperBound(bucket), this.max);
    }
    return this.max;
  }
}
