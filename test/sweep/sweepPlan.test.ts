import {test} from "node:test";
import assert from "node:assert/strict";
import {InputError} from "../../src/errors.js";
import {loadProfile} from "../../src/host/profiles.js";
import {transferScenario} from "../../src/scenarios/transfer.js";
import {dmaScenario} from "../../src/scenarios/dma.js";
import {pageCacheScenario} from "../../src/scenarios/pagecache.js";
import {parseSeeds, parseShard, parseVary, planSweep, runAt, shardRuns} from "../../src/sweep/sweepPlan.js";

const profile = loadProfile();
const plan = (vary: string[], seeds = "0", sets: Array<[string, string]> = []) => planSweep(transferScenario, {vary, seeds, sets, profile, maxEvents: 1e8, version: "test"});

test("parseVary(transfer, 'fileBytes=4KiB..1GiB:x4') is the geometric range, both ends included", () => {
  assert.deepEqual(parseVary(transferScenario, "fileBytes=4KiB..1GiB:x4"), {key: "fileBytes", values: [4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864, 268435456, 1073741824]});
});

test("parseVary() reads linear ranges (a size step is a size), plain lists and mixes, keeping each value once", () => {
  assert.deepEqual(parseVary(transferScenario, "chunkBytes=4KiB..16KiB:+4KiB").values, [4096, 8192, 12288, 16384]);
  assert.deepEqual(parseVary(transferScenario, "files=1..4").values, [1, 2, 3, 4]);
  assert.deepEqual(parseVary(transferScenario, "files=1..10:+4").values, [1, 5, 9]);
  assert.deepEqual(parseVary(transferScenario, "files=1,2,2..16:x2").values, [1, 2, 4, 8, 16]);
  assert.deepEqual(parseVary(transferScenario, "strategy=sendfile,read-write").values, ["sendfile", "read-write"]);
  assert.deepEqual(parseVary(dmaScenario, "background=true,false").values, [true, false]);
});

test("parseVary() of a number parameter steps without drift", () => {
  const zipf = {...pageCacheScenario, params: [{name: "zipfS", kind: "number" as const, default: 1, description: ""}]};
  assert.deepEqual(parseVary(zipf, "zipfS=0.1..0.5:+0.1").values, [0.1, 0.2, 0.3, 0.4, 0.5]);
  assert.deepEqual(parseVary(zipf, "zipfS=0.5..4:x2").values, [0.5, 1, 2, 4]);
});

test("parseVary() names --vary, the flag's text and what was expected for bad input", () => {
  const bad: Array<[string, RegExp]> = [
    ["nope=1", /a key of scenario transfer: one of strategy, /],
    ["fileBytes", /key=value/],
    ["fileBytes=", /a non-empty list/],
    ["fileBytes=4KiB,,8KiB", /a non-empty list/],
    ["fileBytes=1GiB..4KiB:x4", /start ≤ end/],
    ["fileBytes=4KiB..1GiB:x1", /a factor > 1/],
    ["fileBytes=4KiB..1GiB:+0", /a positive whole step/],
    ["fileBytes=4KiB..1GiB:/2", /a range start\.\.end/],
    ["fileBytes=4XB", /fileBytes values: invalid fileBytes: 4XB; expected a known unit/],
    ["strategy=sendfile,zero", /strategy values: invalid strategy: zero/],
    ["strategy=a..b", /ranges are for sizes and numbers/],
    ["files=0..3", /an integer ≥ 1/],
  ];
  for (const [text, expected] of bad) {
    assert.throws(
      () => parseVary(transferScenario, text),
      (err: unknown) => err instanceof InputError && err.param === "--vary" && err.value === text && expected.test(err.message),
      text,
    );
  }
});

test("parseSeeds() reads ranges, lists and single seeds, each once", () => {
  assert.deepEqual(parseSeeds("0..4"), [0, 1, 2, 3, 4]);
  assert.deepEqual(parseSeeds("7"), [7]);
  assert.deepEqual(parseSeeds("0..2,10,1"), [0, 1, 2, 10]);
  for (const bad of ["", "a", "3..1", "1.5", "0..", "1,,2"]) assert.throws(() => parseSeeds(bad), /invalid --seeds/, bad);
});

test("planSweep() counts the cross product and runAt() reads it like an odometer, seeds fastest", () => {
  const p = plan(["strategy=read-write,sendfile", "fileBytes=4KiB,8KiB,16KiB"], "0..1", [["cache", "warm"]]);
  assert.equal(p.runs, 12);
  assert.deepEqual(
    Array.from({length: 12}, (_, i) => {
      const r = runAt(p, i);
      return [r.values.strategy, r.values.fileBytes, r.seed, r.values.cache];
    }),
    [
      ["read-write", 4096, 0, "warm"], ["read-write", 4096, 1, "warm"], ["read-write", 8192, 0, "warm"], ["read-write", 8192, 1, "warm"],
      ["read-write", 16384, 0, "warm"], ["read-write", 16384, 1, "warm"], ["sendfile", 4096, 0, "warm"], ["sendfile", 4096, 1, "warm"],
      ["sendfile", 8192, 0, "warm"], ["sendfile", 8192, 1, "warm"], ["sendfile", 16384, 0, "warm"], ["sendfile", 16384, 1, "warm"],
    ],
  );
});

test("planSweep() gives the same id for the same sweep and another id when anything changes", () => {
  const a = plan(["fileBytes=4KiB,8KiB"], "0..1");
  assert.equal(plan(["fileBytes=4096,8192"], "0,1").id, a.id, "the same values written differently");
  assert.notEqual(plan(["fileBytes=4KiB,16KiB"], "0..1").id, a.id);
  assert.notEqual(plan(["fileBytes=4KiB,8KiB"], "0..2").id, a.id);
  assert.notEqual(plan(["fileBytes=4KiB,8KiB"], "0..1", [["cache", "warm"]]).id, a.id);
  assert.match(a.id, /^[0-9a-f]{16}$/);
});

test("planSweep() refuses a key varied twice or both varied and set", () => {
  assert.throws(() => plan(["files=1,2", "files=3"]), /invalid --vary: files=3; expected each key varied once/);
  assert.throws(() => plan(["files=1,2"], "0", [["files", "3"]]), /invalid --vary: files=1,2; expected a key not also fixed by --set/);
  assert.throws(() => plan([], "0", [["nope", "3"]]), /invalid key for scenario transfer: nope/);
});

test("shardRuns() splits the runs round-robin: run index mod n == i, together every run once", () => {
  assert.deepEqual(shardRuns(7, {index: 0, count: 3}), [0, 3, 6]);
  assert.deepEqual(shardRuns(7, {index: 1, count: 3}), [1, 4]);
  assert.deepEqual(shardRuns(7, {index: 2, count: 3}), [2, 5]);
  assert.deepEqual(shardRuns(3), [0, 1, 2]);
});

test("parseShard('i/n') reads the shard; a bad one names --shard", () => {
  assert.deepEqual(parseShard("2/8", {}), {index: 2, count: 8});
  for (const bad of ["8/8", "1/0", "-1/3", "1", "a/b", "auto/x"]) assert.throws(() => parseShard(bad, {}), /invalid --shard/, bad);
});

test("parseShard('auto') reads a Slurm job array: (SLURM_ARRAY_TASK_ID − MIN) / STEP of SLURM_ARRAY_TASK_COUNT", () => {
  assert.deepEqual(parseShard("auto", {SLURM_ARRAY_TASK_ID: "3", SLURM_ARRAY_TASK_COUNT: "10", SLURM_ARRAY_TASK_MIN: "0", SLURM_ARRAY_TASK_MAX: "9"}), {index: 3, count: 10});
  assert.deepEqual(parseShard("auto", {SLURM_ARRAY_TASK_ID: "1", SLURM_ARRAY_TASK_MIN: "1", SLURM_ARRAY_TASK_MAX: "4"}), {index: 0, count: 4}, "--array=1-4 without COUNT");
  assert.deepEqual(parseShard("auto", {SLURM_ARRAY_TASK_ID: "4", SLURM_ARRAY_TASK_MIN: "0", SLURM_ARRAY_TASK_MAX: "6", SLURM_ARRAY_TASK_STEP: "2", SLURM_ARRAY_TASK_COUNT: "4"}), {index: 2, count: 4});
  assert.throws(() => parseShard("auto", {SLURM_ARRAY_TASK_ID: "x"}), /SLURM_ARRAY_TASK_ID: x; expected a non-negative integer/);
});

test("parseShard('auto') reads a Kubernetes Indexed Job: JOB_COMPLETION_INDEX, the count from auto/n or IOSIM_SHARD_COUNT", () => {
  assert.deepEqual(parseShard("auto/5", {JOB_COMPLETION_INDEX: "4"}), {index: 4, count: 5});
  assert.deepEqual(parseShard("auto", {JOB_COMPLETION_INDEX: "1", IOSIM_SHARD_COUNT: "3"}), {index: 1, count: 3});
  assert.throws(() => parseShard("auto", {JOB_COMPLETION_INDEX: "1"}), /expected a shard count: write --shard auto\/N/);
  assert.throws(() => parseShard("auto/2", {JOB_COMPLETION_INDEX: "2"}), /a shard index below the count/);
  assert.throws(() => parseShard("auto", {}), /expected a Slurm array task .* or a Kubernetes Indexed Job pod/);
});
