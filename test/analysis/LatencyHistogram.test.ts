import {test} from "node:test";
import assert from "node:assert/strict";
import {LatencyHistogram} from "../../src/analysis/LatencyHistogram.js";
import {Random} from "../../src/engine/random.js";

function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

test("LatencyHistogram.quantile() returns an observed value at most 2^-7 above the exact nearest rank", () => {
  const random = new Random(7);
  const values: number[] = [];
  const h = new LatencyHistogram();
  for (let i = 0; i < 20_000; i++) {
    const v = random.exponential(50_000) + (i % 3 === 0 ? 0.25 : 0);
    values.push(v);
    h.record(v);
  }
  const sorted = [...values].sort((a, b) => a - b);
  const observed = new Set(values);
  for (const q of [0, 0.001, 0.25, 0.5, 0.9, 0.99, 0.999, 1]) {
    const exact = exactQuantile(sorted, q);
    const got = h.quantile(q);
    assert.ok(observed.has(got), `q=${q}: ${got} was recorded`);
    assert.ok(got >= exact && got <= exact * (1 + 2 ** -7), `q=${q}: ${got} vs exact ${exact}`);
  }
  assert.equal(h.count, 20_000);
  assert.equal(h.min, sorted[0]);
  assert.equal(h.max, sorted[sorted.length - 1]);
  assert.equal(h.quantile(1), sorted[sorted.length - 1]);
});

test("LatencyHistogram: distinct values in distinct buckets come back exactly", () => {
  const h = new LatencyHistogram();
  for (const v of [0, 1, 3, 1000, 1000, 1e9]) h.record(v);
  assert.deepEqual([0, 0.3, 0.5, 0.6, 0.8, 1].map((q) => h.quantile(q)), [0, 1, 3, 1000, 1000, 1e9]);
  assert.equal(h.mean, (1 + 3 + 2000 + 1e9) / 6);
  // Values below 1 ns share bucket 0, which answers with the largest of them.
  h.record(0.5);
  assert.equal(h.quantile(0), 0.5);
  assert.equal(new LatencyHistogram().quantile(0.5), 0);
});

test("LatencyHistogram.record() refuses NaN, negative and infinite latencies", () => {
  const h = new LatencyHistogram();
  for (const v of [NaN, -1, Infinity]) assert.throws(() => h.record(v), RangeError);
  assert.equal(h.count, 0);
});
