import {test} from "node:test";
import assert from "node:assert/strict";
import {existsSync, readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {iosimAsync, repoRoot} from "../helpers/cli.js";
import {tempDir} from "../helpers/files.js";

/** Runs `iosim ...args` from the repository root: the examples import iosim by its own name, which resolves there. */
const iosim = (...args: string[]) => iosimAsync(args, {cwd: repoRoot});

test("iosim run examples/sendfile-chunks.ts runs the user's scenario: both limits per call deliver the file, the larger in fewer calls", async () => {
  const r = await iosim("run", "examples/sendfile-chunks.ts", "--set", "fileBytes=4MiB", "--set", "chunkA=64KiB", "--set", "chunkB=1MiB", "--format", "json");
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, number>;
  assert.equal(out.bytesDeliveredA, 4 * 1024 * 1024);
  assert.equal(out.bytesDeliveredB, 4 * 1024 * 1024);
  assert.ok(out.syscallsB < out.syscallsA, `${out.syscallsB} sendfile calls at 1 MiB against ${out.syscallsA} at 64 KiB`);
  assert.equal(out.speedupBOverA, out.elapsedNsA / out.elapsedNsB);
});

test("iosim run <file.ts> checks --set against the file's own parameters", async () => {
  const r = await iosim("run", "examples/sendfile-chunks.ts", "--set", "chunkC=1MiB");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^iosim: invalid key for scenario sendfile-chunks: chunkC; expected one of fileBytes, chunkA, chunkB, cache\n$/);
});

test("iosim report --study examples/readahead-study.ts writes a report of the user's study with its chart data", async () => {
  const out = join(tempDir("iosim-user-study-"), "report");
  const r = await iosim("report", "--study", "examples/readahead-study.ts", "--out", out);
  assert.equal(r.status, 0, r.stderr);
  const html = readFileSync(join(out, "index.html"), "utf8");
  assert.match(html, /Readahead window sweep/);
  assert.match(html, /On the ssd, the best window in the sweep is /);
  const csv = readFileSync(join(out, "data", "readahead-window", "throughput.csv"), "utf8").trim().split("\n");
  assert.equal(csv.length, 1 + 2 * 6, "a header and one row per disk and window");
  assert.ok(existsSync(join(out, "data", "readahead-window", "throughput.arrow")));
});

test("iosim report --set STUDY.KEY=VALUE runs that study with the value (a comma list, a number and a size here) and records it in the chart's metadata; an unknown study is one line, before anything runs", async () => {
  const out = join(tempDir("iosim-user-set-"), "report");
  const r = await iosim("report", "--study", "examples/readahead-study.ts", "--set", "readahead-window.windowsBytes=4096,64KiB", "--out", out);
  assert.equal(r.status, 0, r.stderr);
  const csv = readFileSync(join(out, "data", "readahead-window", "throughput.csv"), "utf8").trim().split("\n");
  assert.equal(csv.length, 1 + 2 * 2, "a header and one row per disk and the two windows set");
  const meta = JSON.parse(readFileSync(join(out, "data", "readahead-window", "throughput.meta.json"), "utf8")) as {parameters: {windowsBytes: number[]}};
  assert.deepEqual(meta.parameters.windowsBytes, [4096, 65536]);
  const bad = await iosim("report", "--set", "no-such-study.x=1", "--out", join(out, "..", "r2"));
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^iosim: invalid --set: no-such-study\.x=1; expected STUDY\.KEY=VALUE with STUDY one of dma, zero-copy, page-cache, servers, multiplexing, reactor-proactor\n$/);
  assert.ok(!existsSync(join(out, "..", "r2")), "nothing written for a bad --set");
});

test("a type error in the user's file is one line naming the file, line and column; nothing runs", async () => {
  const dir = tempDir("iosim-user-bad-");
  const file = join(dir, "bad.ts");
  writeFileSync(file, "export const scenario = {name: 'x'};\nconst n: string = 42;\nexport default n;\n");
  const r = await iosim("run", file);
  assert.equal(r.status, 2);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^iosim: scenario .*bad\.ts: type error at .*bad\.ts:2:7: Type 'number' is not assignable to type 'string'\. \(TS2322\)$/);
});

test("a file without a scenario export, or missing, is one line saying what was expected", async () => {
  const dir = tempDir("iosim-user-none-");
  const file = join(dir, "none.mts");
  writeFileSync(file, "export const answer: number = 42;\n");
  const none = await iosim("run", file);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /^iosim: scenario .*none\.mts: no `export default` or `export const scenario`; expected a scenario object \{name, description, params, run\}\n$/);
  const partial = join(dir, "partial.mts");
  writeFileSync(partial, "export default {name: 'p', params: []};\n");
  const r = await iosim("run", partial);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /its scenario has no description, run; expected \{name, description, params, run\}\n$/);
  const missing = await iosim("run", "./no-such-scenario.ts");
  assert.equal(missing.status, 2);
  assert.equal(missing.stderr, "iosim: scenario ./no-such-scenario.ts: no such file\n");
  const study = await iosim("report", "--study", file, "--out", join(dir, "r"));
  assert.equal(study.status, 2);
  assert.match(study.stderr, /^iosim: --study .*none\.mts: no `export default` or `export const study`/);
  assert.ok(!existsSync(join(dir, "r")), "no report folder is left for a bad study");
});
