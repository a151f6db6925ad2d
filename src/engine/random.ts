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
    this.state = mixSeed(seed);
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
 * Returns 32 bits of generator state mixed from every bit of *seed* (a safe
 * integer, up to 53 bits and signed). The seed is split into its high and low
 * 32-bit words (two's complement, as a 64-bit integer would hold it); the high
 * word is mixed first and folded into the low word, which is mixed again,
 * in the manner of splitmix64's finaliser but on 32-bit words (JavaScript has
 * no fast 64-bit multiply). Each step is a bijection of 32 bits, so seeds
 * that differ only in the high word (0 and 2^32) start from different states,
 * and seeds 0, 1, 2... start far apart. Two of the 2^54 safe integers can
 * still share a state: the state has only 32 bits.
 */
function mixSeed(seed: number): number {
  const lo = seed >>> 0; // low 32 bits (ToUint32 is modular, so negatives come out two's complement)
  const hi = Math.floor(seed / 4294967296) >>> 0; // high word: floor keeps two's complement for negatives
  return fmix32((lo ^ fmix32((hi + 0x9e3779b9) >>> 0)) >>> 0);
}

/** MurmurHash3's 32-bit finaliser: a bijection of 32 bits with full avalanche. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
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
