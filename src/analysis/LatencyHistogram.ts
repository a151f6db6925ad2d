/**
 * A streaming latency histogram: quantiles of millions of latencies in a
 * few kilobytes, so a summary does not keep every request.
 *
 * Like HdrHistogram (and hdr-histogram-js), values are counted in
 * logarithmic buckets: each power of two [2^e, 2^(e+1)) is split into
 * 2^{@link subBucketBits} equal sub-buckets, so a bucket is at most
 * 2^-7 ≈ 0.78% of its values wide. Unlike it, each bucket also keeps the
 * largest value it received, and a quantile answers with that value: always
 * a latency that was actually observed, never below the exact nearest-rank
 * quantile and at most 0.78% above it (relative error < 2^-7). Count, sum,
 * mean, min and max are exact (the sum in arrival order).
 */

/** Sub-buckets per power of two, as a power of two: 7 gives 128, a relative bucket width of 2^-7. */
export const subBucketBits = 7;
const subBuckets = 1 << subBucketBits;
/** Bucket 0 takes values below 1 (ns); then 64 powers of two cover every finite latency up to 2^64 ns. */
const bucketCount = 1 + 64 * subBuckets;

/**
 * Returns an empty histogram of non-negative values (ns).
 *
 * ```ts
 * const h = new LatencyHistogram();
 * for (const t of transfers) h.record(t.latencyNs);
 * h.quantile(0.99); // within 0.78% above the exact p99, and one of the recorded values
 * ```
 */
export class LatencyHistogram {
  /** Values recorded per bucket. */
  private readonly counts = new Float64Array(bucketCount);
  /** Largest value recorded per bucket. */
  private readonly maxima = new Float64Array(bucketCount);
  /** Values recorded. */
  count = 0;
  /** Their sum, in the order recorded. */
  sum = 0;
  /** Smallest value recorded (Infinity when empty). */
  min = Infinity;
  /** Largest value recorded (0 when empty). */
  max = 0;

  /** Counts *value* (ns, ≥ 0 and finite; anything else is an error). */
  record(value: number): void {
    if (!(value >= 0 && value < 2 ** 64)) throw new RangeError(`LatencyHistogram.record: ${value} is not a finite latency ≥ 0`);
    const i = bucketOf(value);
    this.counts[i]++;
    if (value > this.maxima[i]) this.maxima[i] = value;
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  /** The mean of the values recorded, or 0 when none. */
  get mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  /**
   * Returns the *q*-quantile by nearest rank (the ⌈q·n⌉-th smallest value),
   * as the largest value recorded in its bucket; 0 when empty.
   */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.min(this.count, Math.max(1, Math.ceil(q * this.count)));
    let seen = 0;
    for (let i = 0; i < bucketCount; i++) {
      seen += this.counts[i];
      if (seen >= rank) return this.maxima[i];
    }
    return this.max;
  }
}

/** Returns the bucket of *value*: 0 below 1, else 1 + exponent × 128 + the sub-bucket of the mantissa. */
function bucketOf(value: number): number {
  if (value < 1) return 0;
  const e = Math.floor(Math.log2(value));
  // log2 may round up just below a power of two; keep the mantissa in [1, 2).
  const exp = value < 2 ** e ? e - 1 : e;
  const sub = Math.min(subBuckets - 1, Math.floor((value / 2 ** exp - 1) * subBuckets));
  return 1 + exp * subBuckets + sub;
}
