import {test} from "node:test";
import assert from "node:assert/strict";
import {readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {loadProfile} from "../../src/host/profiles.js";
import {predictRead, predictUringEnter, validationStudy, type Calibration, type Measurement} from "../../src/calibrate/index.js";
import {tempDir} from "../helpers/files.js";
import {iosimAsync, repoRoot} from "../helpers/cli.js";

const MiB = 1 << 20;
const base = loadProfile("server-2024");

const row = (probe: string, kase: string, unit: string, value: number): Measurement => ({probe, case: kase, unit, median: value, low: value, high: value, runs: [value], samples: 10});

/**
 * A calibration of server-2024 itself (nothing overridden, so the calibrated
 * profile is the base): a direct 64 KiB read measured at the model's
 * prediction × *factor* and a warm buffered 1 MiB read at the prediction ÷
 * *factor* (one row of each kind: too few for the file-read fit, so both stay
 * predictions), io_uring enters at the prediction, the 4 KiB copy not measured.
 */
function calibration(factor: number): Calibration & {format: string; extends: string} {
  const fileBytes = 4 * MiB;
  return {
    format: "iosim-calibration/1",
    extends: "server-2024",
    date: "2026-12-02T00:00:00Z",
    machine: "Linux test 6.18 #1 x86_64",
    settings: {quick: true, runs: 1, runMs: 10, dir: "/tmp", fileBytes, tcpBytes: [], timeoutMs: 1000},
    info: {fileBytes},
    measured: [
      row("fileread", "direct 64KiB", "bytes/ns", predictRead(base, "direct", 64 * 1024, fileBytes) * factor),
      row("fileread", "buffered warm 1MiB", "bytes/ns", predictRead(base, "buffered warm", MiB, fileBytes) / factor),
      row("uring", "enter with 1 nop", "ns/call", predictUringEnter(base, 1)),
      {probe: "memcpy", case: "4KiB", unit: "bytes/ns", unsupported: "test: not measured"},
    ],
  };
}

test("validationStudy: its table, chart and notes come from the comparison, and change with the measurements", () => {
  const agree = validationStudy({calibration: calibration(1)});
  assert.equal(agree.id, "validation");
  assert.match(agree.notes[0], /^3 of 3 predictions fall within their band/);
  assert.ok(agree.notes.some((n) => /Not compared \(this machine could not measure them\): .*memcpy\/4KiB/.test(n)));
  assert.equal(agree.charts.length, 1);
  assert.equal(agree.charts[0].data.numRows(), 3);
  assert.match(agree.charts[0].html, /<title>Predicted ÷ measured, by quantity<\/title>/);

  // Measured 2× the prediction for direct reads and half of it for warm ones: both outside, in opposite directions.
  const off = validationStudy({calibration: calibration(2)});
  assert.match(off.notes[0], /^1 of 3 predictions fall within their band/);
  assert.ok(off.notes.includes("Predicted too high: fileread/buffered warm 1MiB."), off.notes.join("\n"));
  assert.ok(off.notes.includes("Predicted too low: fileread/direct 64KiB."), off.notes.join("\n"));
  const verdicts = off.charts[0].data.objects() as Array<{quantity: string; verdict: string; ratio: number}>;
  assert.deepEqual(
    verdicts.map((v) => [v.quantity, v.verdict]),
    [
      ["uring/enter with 1 nop", "within"],
      ["fileread/direct 64KiB", "outside"],
      ["fileread/buffered warm 1MiB", "outside"],
    ],
  );
  assert.ok(Math.abs(verdicts[1].ratio - 0.5) < 1e-9 && Math.abs(verdicts[2].ratio - 2) < 1e-9);
});

test("iosim report --calibration FILE adds the validation study, from any working folder", async () => {
  const dir = tempDir("iosim-report-validation-");
  writeFileSync(join(dir, "mine.json"), JSON.stringify({extends: "server-2024", name: "mine"}));
  writeFileSync(join(dir, "mine.measurements.json"), JSON.stringify(calibration(1)));
  const out = join(dir, "report");
  // Run from the temporary folder, with the example study by its absolute path: nothing may depend on the repository being the working folder.
  const r = await iosimAsync(["report", "--study", join(repoRoot, "examples", "readahead-study.ts"), "--calibration", "mine.json", "--out", out], {cwd: dir});
  assert.equal(r.status, 0, r.stderr);
  const html = readFileSync(join(out, "index.html"), "utf8");
  assert.match(html, /Validation: the model against this machine/);
  assert.match(html, /3 of 3 predictions fall within their band/);
  const csv = readFileSync(join(out, "data", "validation", "ratio.csv"), "utf8").trim().split("\n");
  assert.equal(csv.length, 1 + 3);
  const missing = await iosimAsync(["report", "--calibration", "none.json", "--out", out], {cwd: dir});
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /^iosim: invalid --calibration: none\.json; expected a measurements file written by iosim calibrate, or a profile with one beside it\n$/);
});
