import {test} from "node:test";
import assert from "node:assert/strict";
import {formatEta, formatSweepProgress, SweepProgress} from "../../src/cli/sweepProgress.js";

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return {isTTY, writes, write: (s: string) => void writes.push(s)};
}

test("formatSweepProgress() shows a bar, the runs done, failures, the rate of runs run now and the ETA", () => {
  assert.equal(formatSweepProgress({done: 500, total: 1000, resumed: 100, failed: 3}, 8000), "iosim sweep [##########··········] 500/1000 runs, 3 failed, 50.0 runs/s, ETA 10 s");
  assert.equal(formatSweepProgress({done: 0, total: 10, resumed: 0, failed: 0}, 0), "iosim sweep [····················] 0/10 runs, 0.00 runs/s, ETA ?");
  assert.deepEqual([45, 600, 7200].map(formatEta), ["45 s", "10 min", "2.0 h"]);
});

test("SweepProgress draws on a terminal at most every 250 ms, always the last run, and erases its line", () => {
  let nowMs = 0;
  const stream = fakeStream(true);
  const p = new SweepProgress(stream, {nowMs: () => nowMs});
  p.update({done: 0, total: 3, resumed: 0, failed: 0});
  nowMs = 100;
  p.update({done: 1, total: 3, resumed: 0, failed: 0});
  nowMs = 300;
  p.update({done: 2, total: 3, resumed: 0, failed: 0});
  nowMs = 310;
  p.update({done: 3, total: 3, resumed: 0, failed: 1});
  p.end();
  assert.equal(stream.writes.length, 4);
  assert.match(stream.writes[0], /^\r.* 0\/3 runs/);
  assert.match(stream.writes[1], /^\r.* 2\/3 runs/);
  assert.match(stream.writes[2], /^\r.* 3\/3 runs, 1 failed/);
  assert.equal(stream.writes[3], "\r\x1b[K");
});

test("SweepProgress writes nothing when the stream is not a terminal", () => {
  const stream = fakeStream(false);
  const p = new SweepProgress(stream);
  p.update({done: 1, total: 1, resumed: 0, failed: 0});
  p.end();
  assert.deepEqual(stream.writes, []);
});
