import {test} from "node:test";
import assert from "node:assert/strict";
import {formatCount, formatProgress, formatSimTime, RunProgress} from "../../src/cli/runProgress.js";
import {createSim} from "../../src/engine/sim.js";

/** A stream that records what is written; a terminal or not. */
function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return {isTTY, writes, write: (s: string) => void writes.push(s)};
}

test("formatProgress() names the simulated time, the events and the events per second", () => {
  assert.equal(formatProgress(4_560_000, 12_300_000, 10_000), "iosim: simulated 4.56 ms, 12.3M events, 1.23M events/s");
  assert.deepEqual([850, 12_300, 2.35e9].map(formatSimTime), ["850 ns", "12.3 µs", "2.35 s"]);
  assert.deepEqual([950, 12_300, 1.2e9].map(formatCount), ["950", "12.3k", "1.20G"]);
});

test("RunProgress on a terminal stays quiet for 2 s, then redraws at most every 250 ms, and erases its line at the end", () => {
  let nowMs = 1000;
  const stream = fakeStream(true);
  const p = new RunProgress(stream, {nowMs: () => nowMs});
  for (const t of [0, 500, 1999]) {
    nowMs = 1000 + t;
    p.update(1e6, 100);
  }
  assert.deepEqual(stream.writes, []);
  nowMs = 3000;
  p.update(2e6, 2_000_000);
  nowMs = 3100; // too soon after the last redraw
  p.update(3e6, 3_000_000);
  nowMs = 3250;
  p.update(4e6, 4_500_000);
  p.end();
  assert.deepEqual(stream.writes, [
    "\riosim: simulated 2.00 ms, 2.00M events, 1.00M events/s\x1b[K",
    "\riosim: simulated 4.00 ms, 4.50M events, 2.00M events/s\x1b[K",
    "\r\x1b[K",
  ]);
});

test("RunProgress writes nothing when the stream is not a terminal (piped)", () => {
  let nowMs = 0;
  const stream = fakeStream(false);
  const p = new RunProgress(stream, {nowMs: () => nowMs});
  nowMs = 60_000;
  p.update(1e9, 1e8);
  p.end();
  assert.deepEqual(stream.writes, []);
  assert.equal(p.enabled, false);
});

test("RunProgress.end() after a short run writes nothing", () => {
  const stream = fakeStream(true);
  const p = new RunProgress(stream, {nowMs: () => 0});
  p.update(1, 1);
  p.end();
  assert.deepEqual(stream.writes, []);
});

test("RunProgress.follow(sim) offers the scheduler's time and events every 4096 trace events", () => {
  let nowMs = 0;
  const stream = fakeStream(true);
  const p = new RunProgress(stream, {nowMs: () => (nowMs += 1000), delayMs: 0, intervalMs: 0});
  const sim = createSim();
  const stop = p.follow(sim);
  for (let i = 1; i <= 3 * 4096; i++) sim.trace.record(i, "user", 1);
  stop();
  for (let i = 0; i < 4096; i++) sim.trace.record(i, "user", 1);
  assert.equal(stream.writes.length, 3);
  assert.match(stream.writes[0], /^\riosim: simulated 0 ns, 0 events, 0 events\/s\x1b\[K$/);
});
