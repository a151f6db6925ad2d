/**
 * Seeded random numbers for a simulation.
 *
 * Like a deck of cards shuffled once with a known seed: deal from it in the
 * same order and every run sees the same cards. Each simulation owns one
 * {@link Random}; nothing in iosim calls `Math.random`.
 *
 * The generator is mulberry32 (Tommy Ettinger, public domain): 32 bits of
 * state, period 2^32, passes the usual quick tests, and is tiny and fast.
 */

/** Returns a seeded source of uniform and derived random draws. */
export class Random {
  /** 32-bit generator state. */
  private state: number;

  constructor(readonly seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`invalid seed: ${seed}; expected an integer`);
    // Mix the seed so 0, 1, 2... start far apart in the sequence.
    this.state = (Math.imul(seed ^ (seed >>> 16), 0x45d9f3b) ^ 0x9e3779b9) >>> 0;
  }

  /** Returns a uniform draw in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Returns a uniform integer in [0, *n*). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Returns an exponential draw with the given *mean* (inter-arrival times of a Poisson process). */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** Returns a new, independent source seeded from this one (for sub-models). */
  fork(): Random {
    return new Random(Math.floor(this.next() * 2 ** 31));
  }
}

/**
 * Returns a sampler of ranks 0..*n*-1 with Zipf popularity (rank k drawn
 * with weight 1/(k+1)^*s*), using a precomputed cumulative table and binary
 * search: O(n) set-up, O(log n) per draw.
 */
export function zipf(random: Random, n: number, s = 1): () => number {
  if (!(Number.isInteger(n) && n > 0)) throw new RangeError(`invalid zipf n: ${n}; expected a positive integer`);
  const cdf = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) cdf[k] = total += 1 / Math.pow(k + 1, s);
  return () => {
    const u = random.next() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}
