import {test} from "node:test";
import assert from "node:assert/strict";
import {writeFileSync} from "node:fs";
import {join} from "node:path";
import {encodeSweep, flatten, readSweepFile, sweepColumns, sweepRow} from "../../src/sweep/sweepTable.js";
import {tempDir} from "../helpers/files.js";

test("flatten() joins nested outputs with dots (keys sorted) and JSON-encodes arrays", () => {
  assert.deepEqual(flatten({a: 1, cpuShare: {irq: 0.5, driver: 0.25}, list: [1, 2], s: "x", none: undefined, nil: null}), [
    ["a", 1],
    ["cpuShare.driver", 0.25],
    ["cpuShare.irq", 0.5],
    ["list", "[1,2]"],
    ["s", "x"],
    ["nil", null],
  ]);
});

test("sweepRow() keeps an output equal to a parameter once, renames one that differs, and sets error null", () => {
  const row = sweepRow(3, {fileBytes: 4096, directio: 4194304}, 7, {result: {seed: 7, fileBytes: 4096, directio: "off", elapsedNs: 10}});
  assert.deepEqual(row, {run: 3, fileBytes: 4096, directio: 4194304, seed: 7, "result.directio": "off", elapsedNs: 10, error: null});
});

test("sweepRow() of a failed run holds its parameters, seed and message", () => {
  assert.deepEqual(sweepRow(1, {fileBytes: 4096}, 0, {error: "boom"}), {run: 1, fileBytes: 4096, seed: 0, error: "boom"});
});

test("sweepColumns() lists columns in first use, error, sweepRuns and sweepId last", () => {
  assert.deepEqual(sweepColumns([{run: 0, seed: 0, error: "x"}, {run: 1, seed: 1, a: 1, error: null}, {run: 2, seed: 2, b: 2, a: 1, error: null}]), ["run", "seed", "a", "b", "error", "sweepRuns", "sweepId"]);
});

test("encodeSweep() and readSweepFile() round-trip rows through Arrow, CSV and JSON", () => {
  const dir = tempDir();
  const rows = [
    {run: 0, strategy: "sendfile", fileBytes: 4096, seed: 0, elapsedNs: 1.5, "cpuShare.irq": 0.25, error: null},
    {run: 1, strategy: "sendfile", fileBytes: 8192, seed: 0, error: "over budget"},
  ];
  for (const ext of ["arrow", "csv", "json"]) {
    const path = join(dir, `t.${ext}`);
    writeFileSync(path, encodeSweep(rows, ext as "arrow", {runs: 2, id: "12e4567890abcdef"}));
    const back = readSweepFile("merge input", path);
    assert.deepEqual(back.sweep, {runs: 2, id: "12e4567890abcdef"}, ext);
    assert.deepEqual(back.rows, [
      {run: 0, strategy: "sendfile", fileBytes: 4096, seed: 0, elapsedNs: 1.5, "cpuShare.irq": 0.25},
      {run: 1, strategy: "sendfile", fileBytes: 8192, seed: 0, error: "over budget"},
    ], ext);
  }
});

test("readSweepFile() of a file not written by iosim sweep names it", () => {
  const dir = tempDir();
  const path = join(dir, "other.csv");
  writeFileSync(path, "a,b\n1,2\n");
  assert.throws(() => readSweepFile("merge input", path), /invalid merge input: .*other\.csv; expected a file written by iosim sweep \(no run column\)/);
  assert.throws(() => readSweepFile("merge input", join(dir, "missing.arrow")), /expected a readable file \(ENOENT\)/);
});
