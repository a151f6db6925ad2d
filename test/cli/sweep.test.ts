import {describe, test as serialTest} from "node:test";
import assert from "node:assert/strict";
import {existsSync, readFileSync, readdirSync, truncateSync, statSync, writeFileSync} from "node:fs";
import {createHash} from "node:crypto";
import {basename, join} from "node:path";
import {readSweepFile} from "../../src/sweep/sweepTable.js";
import {iosimAsync, type CliRun} from "../helpers/cli.js";
import {tempDir} from "../helpers/files.js";

/** Runs `iosim ...args` in *cwd* (outside any Slurm array or Kubernetes Job); resolves to its exit status, stdout and stderr. */
function iosim(args: string[], options: {cwd?: string; env?: Record<string, string>} = {}): Promise<CliRun> {
  return iosimAsync(args, {cwd: options.cwd, env: {...process.env, SLURM_ARRAY_TASK_ID: "", JOB_COMPLETION_INDEX: "", ...options.env}});
}

/** A small sweep: 2 strategies × 2 file sizes × 3 seeds = 12 runs of a few KiB each. */
const sweep = ["sweep", "transfer", "--vary", "strategy=read-write,sendfile-sg", "--vary", "fileBytes=4KiB..16KiB:x4", "--seeds", "0..2"];

/** The unsharded sweep on one worker, written once and shared by the tests that compare against it. */
let reference: Promise<Buffer> | undefined;
/** The folder of the reference sweep (its name under the temporary folder). */
let referenceDir: string | undefined;
function referenceBytes(): Promise<Buffer> {
  reference ??= (async () => {
    const dir = tempDir("iosim-sweep-");
    referenceDir = basename(dir);
    const {status, stdout, stderr} = await iosim([...sweep, "--jobs", "1", "--out", "ref.arrow"], {cwd: dir});
    assert.equal(status, 0, stderr);
    assert.equal(stdout, "Sweep written: ref.arrow (12 rows, 60 columns; 12 runs run, 0 resumed from the journal)\n");
    return readFileSync(join(dir, "ref.arrow"));
  })();
  return reference;
}

/** Asserts `iosim ...args` fails with status 2 and one stderr line `iosim: invalid <param>: <value>; expected …`. */
async function assertBadInput(args: string[], param: string, value: string, cwd?: string) {
  const {status, stdout, stderr} = await iosim(args, {cwd});
  assert.equal(status, 2, `status of iosim ${args.join(" ")}; stderr: ${stderr}`);
  assert.equal(stdout, "");
  const lines = stderr.split("\n");
  assert.equal(lines.length, 2, `one line, got: ${JSON.stringify(stderr)}`);
  assert.ok(lines[0].startsWith(`iosim: invalid ${param}: ${value}; expected `), lines[0]);
}

const tests: Array<[string, () => Promise<void>]> = [];
const test = (name: string, fn: () => Promise<void>) => void tests.push([name, fn]);

test("iosim sweep ... --jobs 2 writes the same bytes as --jobs 1, and no journal is left", async () => {
  const dir = tempDir("iosim-sweep-");
  const {status, stdout, stderr} = await iosim([...sweep, "--jobs", "2", "--out", "two.arrow"], {cwd: dir});
  assert.equal(status, 0, stderr);
  assert.equal(stderr, "", "no progress bar when stderr is not a terminal");
  assert.match(stdout, /^Sweep written: two\.arrow \(12 rows, 60 columns; 12 runs run, 0 resumed from the journal\)\n$/);
  const bytes = readFileSync(join(dir, "two.arrow"));
  assert.ok(bytes.equals(await referenceBytes()));
  assert.deepEqual(readdirSync(dir).sort(), ["two.arrow", "two.arrow.meta.json"]);
  const meta = JSON.parse(readFileSync(join(dir, "two.arrow.meta.json"), "utf8"));
  assert.equal(meta.format, "iosim-sweep/1");
  assert.deepEqual(meta.sweep.axes, [{key: "strategy", values: ["read-write", "sendfile-sg"]}, {key: "fileBytes", values: [4096, 16384]}]);
  assert.deepEqual([meta.sweep.scenario, meta.sweep.runs, meta.sweep.seeds, meta.sweep.profile.name, meta.shard, meta.rows], ["transfer", 12, [0, 1, 2], "server-2024", null, 12]);
  assert.equal(meta.columns.length, 60);
  assert.deepEqual(meta.file, {name: "two.arrow", bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex")});
  assert.equal(typeof meta.iosim.version, "string");
});

test("iosim sweep --shard i/3 three times, then iosim merge, gives exactly the unsharded bytes", async () => {
  const dir = tempDir("iosim-sweep-");
  for (const i of [0, 1, 2]) {
    const {status, stdout, stderr} = await iosim([...sweep, "--shard", `${i}/3`, "--jobs", "1", "--out", `shard-${i}.arrow`], {cwd: dir});
    assert.equal(status, 0, stderr);
    assert.match(stdout, /\(4 rows, /);
  }
  const {status, stdout, stderr} = await iosim(["merge", "shard-2.arrow", "shard-0.arrow", "shard-1.arrow", "--out", "all.arrow"], {cwd: dir});
  assert.equal(status, 0, stderr);
  assert.match(stdout, /^Merged 3 files: all\.arrow \(12 rows, 60 columns of sweep [0-9a-f]{16}\)\n$/);
  assert.ok(readFileSync(join(dir, "all.arrow")).equals(await referenceBytes()));
  const shardMeta = JSON.parse(readFileSync(join(dir, "shard-1.arrow.meta.json"), "utf8"));
  assert.deepEqual([shardMeta.shard, shardMeta.rows], ["1/3", 4]);
  const mergedMeta = JSON.parse(readFileSync(join(dir, "all.arrow.meta.json"), "utf8"));
  const unshardedMeta = JSON.parse(readFileSync(join(dir, "..", referenceDir!, "ref.arrow.meta.json"), "utf8"));
  assert.deepEqual({...mergedMeta, file: {...mergedMeta.file, name: "ref.arrow"}}, unshardedMeta, "the merged sidecar is the unsharded one");
  await assertBadInput(["merge", "shard-0.arrow", "shard-2.arrow", "--out", "some.arrow"], "merge input", "shard-0.arrow shard-2.arrow", dir);
  const missing = await iosim(["merge", "shard-0.arrow", "shard-2.arrow", "--out", "some.arrow"], {cwd: dir});
  assert.match(missing.stderr, /4 missing: run 1, 4, 7, 10 \(a shard not run or not listed\?\)/);
  const repeated = await iosim(["merge", "shard-0.arrow", "shard-1.arrow", "shard-2.arrow", "shard-1.arrow", "--out", "some.arrow"], {cwd: dir});
  assert.equal(repeated.status, 2);
  assert.match(repeated.stderr, /expected each run once; 4 repeated: run 1 in shard-1\.arrow and shard-1\.arrow/);
  assert.ok(!existsSync(join(dir, "some.arrow")));
});

test("iosim sweep interrupted and rerun with the same --out resumes: it runs only the runs not journaled", async () => {
  const dir = tempDir("iosim-sweep-");
  const args = [...sweep, "--jobs", "2", "--out", "resumed.arrow"];
  // The test hook stops the sweep after 5 runs, as Ctrl-C would.
  const first = await iosim(args, {cwd: dir, env: {IOSIM_SWEEP_STOP_AFTER: "5"}});
  assert.equal(first.status, 130, first.stderr);
  assert.match(first.stderr, /^iosim: stopped after 5 of 12 runs; rerun the same command to resume \(journal: resumed\.arrow\.partial\.ndjson\)\n$/);
  assert.ok(!existsSync(join(dir, "resumed.arrow")), "no output before every run is done");
  const journal = join(dir, "resumed.arrow.partial.ndjson");
  assert.equal(readFileSync(journal, "utf8").split("\n").length, 1 + 5 + 1, "a header and 5 rows");
  // A crash in the middle of a line: the torn row is run again.
  truncateSync(journal, statSync(journal).size - 10);
  const second = await iosim(args, {cwd: dir});
  assert.equal(second.status, 0, second.stderr);
  assert.equal(second.stdout, "Sweep written: resumed.arrow (12 rows, 60 columns; 8 runs run, 4 resumed from the journal)\n");
  assert.ok(readFileSync(join(dir, "resumed.arrow")).equals(await referenceBytes()));
  assert.ok(!existsSync(journal));
  const third = await iosim(args, {cwd: dir});
  assert.equal(third.status, 0, third.stderr);
  assert.match(third.stdout, /^Sweep up to date: resumed\.arrow \(12 rows of sweep [0-9a-f]{16}; 0 runs run\)\n$/);
});

test("iosim sweep with a run over its event budget writes that run as a row with its error, and the others", async () => {
  const dir = tempDir("iosim-sweep-");
  const {status, stdout, stderr} = await iosim(["sweep", "transfer", "--vary", "fileBytes=4KiB,1GiB", "--seeds", "0..1", "--max-events", "3000", "--out", "e.json"], {cwd: dir});
  assert.equal(status, 0, stderr);
  assert.match(stdout, /^Sweep written: e\.json \(4 rows, 59 columns; 4 runs run, 0 resumed from the journal, 2 failed \(see the error column\)\)\n$/);
  const rows = JSON.parse(readFileSync(join(dir, "e.json"), "utf8")) as Array<Record<string, unknown>>;
  assert.deepEqual(rows.map((r) => [r.run, r.fileBytes, r.seed, r.error === null, r.bytesDelivered]), [
    [0, 4096, 0, true, 4096],
    [1, 4096, 1, true, 4096],
    [2, 1073741824, 0, false, null],
    [3, 1073741824, 1, false, null],
  ]);
  assert.match(String(rows[2].error), /^fileBytes=1073741824 makes this run about .* events, over the budget of 3000/);
  assert.equal(rows[3].error, rows[2].error, "the budget is checked once per combination, for every seed alike");
  assert.equal(rows[0].sweepRuns, 4);
});

test("iosim sweep whose worker thread dies on a run writes that run as an error row and every other run as usual", async () => {
  const dir = tempDir("iosim-sweep-");
  const {status, stdout, stderr} = await iosim([...sweep, "--jobs", "2", "--out", "crash.arrow"], {cwd: dir, env: {IOSIM_SWEEP_TEST_CRASH_RUN: "3"}});
  assert.equal(status, 0, stderr);
  assert.match(stdout, /\(12 rows, 60 columns; 12 runs run, 0 resumed from the journal, 1 failed \(see the error column\)\)/);
  const refDir = tempDir("iosim-sweep-");
  writeFileSync(join(refDir, "ref.arrow"), await referenceBytes());
  const expected = readSweepFile("ref", join(refDir, "ref.arrow")).rows;
  const got = readSweepFile("crash", join(dir, "crash.arrow")).rows;
  assert.deepEqual(got[3], {run: 3, strategy: "read-write", fileBytes: 16384, chunkBytes: 65536, cache: "cold", disk: "ssd", readaheadBytes: 0, files: 1, link: "nic", latency: 250000, sndbuf: 0, tso: "on", recvBytes: 65536, mmapMapping: "file", seed: 0, error: "worker thread died: exit code 70"});
  assert.deepEqual(got.filter((r) => r.run !== 3), expected.filter((r) => r.run !== 3));
});

test("iosim sweep --out x.csv writes one CSV row per run with flattened outputs such as cpuShare.irq", async () => {
  const dir = tempDir("iosim-sweep-");
  const {status, stderr} = await iosim(["sweep", "dma", "--vary", "mode=pio,dma", "--out", "d.csv"], {cwd: dir});
  assert.equal(status, 0, stderr);
  const [header, ...lines] = readFileSync(join(dir, "d.csv"), "utf8").trim().split("\n");
  const columns = header.split(",");
  assert.deepEqual(columns.slice(0, 8), ["run", "mode", "transferBytes", "disk", "cores", "background", "quantumNs", "seed"]);
  assert.ok(columns.includes("cpuShare.irq") && columns.includes("cpuShare.pio-copy") && columns.includes("ioCpuNsByCategory.irq"), header);
  assert.deepEqual(columns.slice(-3), ["error", "sweepRuns", "sweepId"]);
  assert.equal(lines.length, 2);
  const pioCopy = columns.indexOf("cpuShare.pio-copy");
  assert.notEqual(lines[0].split(",")[pioCopy], "");
  assert.equal(lines[1].split(",")[pioCopy], "", "a share the DMA run does not report is empty");
});

test("iosim sweep --dry-run prints the number of runs and the first ones, and runs nothing", async () => {
  const dir = tempDir("iosim-sweep-");
  const {status, stdout, stderr} = await iosim([...sweep, "--shard", "1/3", "--dry-run"], {cwd: dir});
  assert.equal(status, 0, stderr);
  const lines = stdout.split("\n");
  assert.match(lines[0], /^transfer: 12 runs \(2 strategy × 2 fileBytes × 3 seeds\), sweep [0-9a-f]{16}$/);
  assert.deepEqual(lines.slice(1), [
    "shard 1/3: 4 runs (run index mod 3 == 1)",
    "run 1: strategy=read-write fileBytes=4096 seed=1",
    "run 4: strategy=read-write fileBytes=16384 seed=1",
    "run 7: strategy=sendfile-sg fileBytes=4096 seed=1",
    "run 10: strategy=sendfile-sg fileBytes=16384 seed=1",
    "",
  ]);
  assert.deepEqual(readdirSync(dir), []);
});

test("iosim sweep --shard beyond the runs writes an empty table, and merge takes it with the others", async () => {
  const dir = tempDir("iosim-sweep-");
  const small = ["sweep", "transfer", "--vary", "fileBytes=4KiB,8KiB"];
  for (const i of [0, 1, 2]) {
    const {status, stderr} = await iosim([...small, "--shard", `${i}/3`, "--out", `s-${i}.arrow`], {cwd: dir});
    assert.equal(status, 0, stderr);
  }
  assert.equal(readSweepFile("s-2", join(dir, "s-2.arrow")).rows.length, 0);
  const merged = await iosim(["merge", "s-0.arrow", "s-1.arrow", "s-2.arrow", "--out", "all.json"], {cwd: dir});
  assert.equal(merged.status, 0, merged.stderr);
  assert.deepEqual((JSON.parse(readFileSync(join(dir, "all.json"), "utf8")) as Array<{run: number}>).map((r) => r.run), [0, 1]);
});

test("iosim sweep --help prints its usage", async () => {
  const {status, stdout} = await iosim(["sweep", "--help"]);
  assert.equal(status, 0);
  assert.match(stdout, /--vary key=4KiB\.\.1GiB:x4/);
  assert.match(stdout, /SLURM_ARRAY_TASK_ID/);
});

const bad: Array<[string[], string, string]> = [
  [["sweep", "nope", "--out", "x.arrow"], "scenario", "nope"],
  [["sweep", "transfer", "--vary", "nope=1,2", "--out", "x.arrow"], "--vary", "nope=1,2"],
  [["sweep", "transfer", "--vary", "fileBytes=4KiB..1GiB:y4", "--out", "x.arrow"], "--vary", "fileBytes=4KiB..1GiB:y4"],
  [["sweep", "transfer", "--vary", "fileBytes=1GiB..4KiB:x4", "--out", "x.arrow"], "--vary", "fileBytes=1GiB..4KiB:x4"],
  [["sweep", "transfer", "--vary", "fileBytes=", "--out", "x.arrow"], "--vary", "fileBytes="],
  [["sweep", "transfer", "--seeds", "3..1", "--out", "x.arrow"], "--seeds", "3..1"],
  [["sweep", "transfer", "--shard", "3/3", "--out", "x.arrow"], "--shard", "3/3"],
  [["sweep", "transfer", "--shard", "auto", "--out", "x.arrow"], "--shard", "auto"],
  [["sweep", "transfer", "--jobs", "0", "--out", "x.arrow"], "--jobs", "0"],
  [["sweep", "transfer", "--out", "x.txt"], "--out", "x.txt"],
  [["sweep", "transfer"], "--out", "(none)"],
  [["sweep", "transfer", "--bogus", "--out", "x.arrow"], "option for sweep", "--bogus"],
  [["merge", "nowhere.arrow", "--out", "x.arrow"], "merge input", "nowhere.arrow"],
  [["merge", "a.arrow"], "--out", "(none)"],
];
for (const [args, param, value] of bad) {
  test(`iosim ${args.join(" ")} exits 2 naming ${param}`, async () => assertBadInput(args, param, value, tempDir("iosim-sweep-")));
}

describe("iosim sweep", {concurrency: 2}, () => {
  for (const [name, fn] of tests) serialTest(name, fn);
});
