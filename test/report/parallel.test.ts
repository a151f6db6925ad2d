import {test} from "node:test";
import assert from "node:assert/strict";
import {existsSync, readFileSync} from "node:fs";
import {join} from "node:path";
import {writeReport, writeReportParallel} from "../../src/report/report.js";
import {studies as shipped} from "../../src/studies/index.js";
import {InputError} from "../../src/errors.js";
import {fakeStudies} from "./fixtures.js";
import {tempDir, listFiles} from "../helpers/files.js";

const KiB = 1024;
/** Three shipped studies (workers find them by id), with parameters small enough to run in about a second each. */
const studies = shipped.filter((s) => ["dma", "zero-copy", "multiplexing"].includes(s.id));
const params = {
  dma: {profiles: ["desktop-2008"], transferSizesBytes: [4 * KiB, 64 * KiB]},
  "zero-copy": {profiles: ["desktop-2008"], strategies: ["sendfile-sg", "read-write"], fileSizesBytes: [4096, 65536], shareSizesBytes: [4096], countsFileBytes: 4096, warmCheck: false},
  multiplexing: {fdCounts: [10, 100], activeCounts: [1, 10], noIdleFds: [10, 50], requests: 2, shareFds: 10, messageBytes: 16 * KiB},
};

test("writeReportParallel({jobs: 2}) writes the same bytes, every file, as --jobs 1 (writeReport in this thread)", async () => {
  const [serial, parallel] = [tempDir("iosim-report-serial-"), tempDir("iosim-report-parallel-")];
  const one = await writeReportParallel({studies, params, seed: 2, png: true, out: serial, progress: "none", jobs: 1});
  const two = await writeReportParallel({studies, params, seed: 2, png: true, out: parallel, progress: "none", jobs: 2});
  const files = listFiles(serial);
  assert.deepEqual(listFiles(parallel), files);
  for (const id of ["dma", "zero-copy", "multiplexing"]) assert.ok(files.some((f) => f.startsWith(`png/${id}/`)) && files.some((f) => f.startsWith(`data/${id}/`)), id);
  for (const f of files) assert.ok(readFileSync(join(serial, f)).equals(readFileSync(join(parallel, f))), `${f} differs between --jobs 1 and 2`);
  assert.deepEqual(two.files, one.files);
  assert.deepEqual(
    two.studies.map((s) => [s.id, s.title, s.charts]),
    one.studies.map((s) => [s.id, s.title, s.charts]),
  );
  assert.deepEqual(two.studies.map((s) => s.id), ["dma", "zero-copy", "multiplexing"], "report order, not completion order");
});

test("writeReportParallel() runs studies a worker cannot load (not shipped) in this thread, beside the workers", async () => {
  const [serial, parallel] = [tempDir("iosim-report-serial-"), tempDir("iosim-report-parallel-")];
  const mixed = [...studies.slice(0, 2), ...fakeStudies(["alpha"])];
  const lines: string[] = [];
  const some = {dma: params.dma, "zero-copy": params["zero-copy"]};
  writeReport({studies: mixed, params: some, out: serial, progress: "none"});
  await writeReportParallel({studies: mixed, params: some, out: parallel, jobs: 2, progress: {write: (s: string) => lines.push(s), isTTY: false}});
  const files = listFiles(serial);
  assert.deepEqual(listFiles(parallel), files);
  for (const f of files) assert.ok(readFileSync(join(serial, f)).equals(readFileSync(join(parallel, f))), `${f} differs`);
  // One line per study as it finishes, counted 1..3 whatever the order.
  assert.deepEqual(
    lines.map((l) => l.replace(/ \S+: \d+\.\d\d s, \d+ charts?\n$/, "")),
    ["iosim report: 1/3", "iosim report: 2/3", "iosim report: 3/3"],
  );
  assert.deepEqual(lines.map((l) => /^iosim report: \d+\/\d+ (\S+): /.exec(l)![1]).sort(), ["alpha", "dma", "zero-copy"]);
});

test("writeReportParallel() fails with a worker study's own error (an InputError stays one) and writes no index.html or manifest.json", async () => {
  const bad = {...params, dma: {cores: 0}};
  const out = tempDir("iosim-report-fail-");
  let serialError: unknown;
  try {
    writeReport({studies, params: bad, out: tempDir("iosim-report-fail-"), progress: "none"});
  } catch (err) {
    serialError = err;
  }
  assert.ok(serialError instanceof InputError, "the serial report throws an InputError");
  await assert.rejects(
    writeReportParallel({studies, params: bad, out, jobs: 2, progress: "none"}),
    (err: unknown) => err instanceof InputError && err.message === (serialError as Error).message && err.param === (serialError as InputError).param,
  );
  assert.ok(!existsSync(join(out, "index.html")) && !existsSync(join(out, "manifest.json")));
  assert.ok(!listFiles(out).some((f) => f.startsWith("data/dma/")), "nothing of the failed study");
});

test("writeReportParallel({jobs}) rejects a jobs that is not a positive integer with an InputError naming --jobs", async () => {
  for (const jobs of [0, -1, 1.5, Number.NaN]) {
    await assert.rejects(writeReportParallel({studies, jobs, out: tempDir("iosim-report-"), progress: "none"}), (e: unknown) => e instanceof InputError && e.message === `invalid --jobs: ${jobs}; expected a positive number of worker threads`);
  }
});

test("writeReportParallel() stops the workers when a study in this thread throws, and writes no index.html or manifest.json", async () => {
  const out = tempDir("iosim-report-fail-");
  const [alpha] = fakeStudies(["alpha"]);
  const broken = {
    ...alpha,
    run(): never {
      throw new Error("alpha broke");
    },
  };
  await assert.rejects(writeReportParallel({studies: [...studies.slice(0, 2), broken], params: {dma: params.dma, "zero-copy": params["zero-copy"]}, out, jobs: 2, progress: "none"}), /^Error: alpha broke$/);
  assert.ok(!existsSync(join(out, "index.html")) && !existsSync(join(out, "manifest.json")));
});
