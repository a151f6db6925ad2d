/** The centre and spread of a quantity measured in several runs. */
export interface Spread {
  /** Median of the run medians. */
  median: number;
  /** Lowest run median. */
  low: number;
  /** Highest run median. */
  high: number;
}

/**
 * Returns the median of *values* (the medians of several runs) with their
 * lowest and highest as the spread: `low ≤ median ≤ high`. With few runs
 * (3 to 7) the extremes say more than percentiles would.
 *
 * ```ts
 * spread([5.2, 4.9, 5.6]) // {median: 5.2, low: 4.9, high: 5.6}
 * ```
 */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error("spread of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  return {median, low: sorted[0], high: sorted[n - 1]};
}

/** Returns *x* rounded to *digits* significant digits (measurements are not better than that). */
export function significant(x: number, digits = 3): number {
  return x === 0 || !Number.isFinite(x) ? x : Number(x.toPrecision(digits));
}
