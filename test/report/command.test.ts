import {test} from "node:test";
import assert from "node:assert/strict";
import {execFile, spawnSync} from "node:child_process";
import {readFileSync} from "node:fs";
import {join} from "node:path";
import {promisify} from "node:util";
import {studies} from "../../src/studies/index.js";
import {tempDir, listFiles} from "../helpers/files.js";

const cli = join(import.meta.dirname, "../../src/cli/main.js");
const run = promisify(execFile);

// The timeout guards against a hang, not a speed: the default report runs every study (more each issue), and on a
// shared machine under load it has taken minutes. Its speed is measured by npm run bench.
test("iosim report --png, run twice with defaults, writes identical bytes for every file", {timeout: 600_000}, async () => {
  const [a, b] = [tempDir("iosim-cli-report-"), tempDir("iosim-cli-report-")];
  const [ra, rb] = await Promise.all([a, b].map((out) => run(process.execPath, [cli, "report", "--out", out, "--png"])));
  for (const [r, out] of [[ra, a], [rb, b]] as const) {
    assert.equal(r.stdout, `Report written: ${out}/index.html (${studies.length} studies, ${countCharts(out)} charts; data in ${out}/data/, PNG in ${out}/png/)\nOpen file://${out}/index.html\n`);
    // Not a terminal: one line per study on stderr as it finishes (on worker threads, in any order), counted 1, 2, 3….
    const lines = r.stderr.split("\n").filter(Boolean).map((l) => /^iosim report: (\d+)\/(\d+) (\S+): [\d.]+ s, \d+ charts?$/.exec(l));
    assert.deepEqual(lines.map((m) => m && [Number(m[1]), Number(m[2])]), studies.map((_, i) => [i + 1, studies.length]), r.stderr);
    assert.deepEqual(lines.map((m) => m![3]).sort(), studies.map((s) => s.id).sort());
  }
  const files = listFiles(a);
  assert.deepEqual(listFiles(b), files);
  for (const s of studies) assert.ok(files.some((f) => f.startsWith(`data/${s.id}/`) && f.endsWith(".meta.json")), `data of ${s.id}`);
  assert.ok(files.some((f) => f.startsWith("png/") && f.endsWith(".png")));
  for (const f of files) assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${f} differs between runs`);
});

function countCharts(out: string): number {
  const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as {files: Array<{path: string}>};
  return manifest.files.filter((f) => f.path.endsWith(".meta.json")).length;
}

test("iosim report with a bad option, seed or argument prints one line and exits 2", () => {
  const cases: Array<[string[], string]> = [
    [["report", "--seed", "x"], "iosim: invalid --seed: x; expected an integer\n"],
    [["report", "--profile", "server-2024"], "iosim: invalid option for report: --profile; expected one of --out, --seed, --png, --study, --calibration, --set, --jobs\n"],
    [["report", "extra"], "iosim: invalid argument: extra; expected no arguments after report (options: --out DIR, --png, --seed N, --set STUDY.KEY=VALUE, --study FILE, --calibration FILE, --jobs N)\n"],
    [["report", "--jobs", "0"], "iosim: invalid --jobs: 0; expected a positive number of worker threads\n"],
    [["report", "--jobs", "two"], "iosim: invalid --jobs: two; expected a positive number of worker threads\n"],
    [["report", "--jobs", "2", "--jobs", "1"], "iosim: invalid --jobs: 1; expected --jobs once\n"],
    [["report", "--out"], "iosim: invalid --out: (nothing); expected a value after it\n"],
  ];
  for (const [args, stderr] of cases) {
    const r = spawnSync(process.execPath, [cli, ...args], {encoding: "utf8"});
    assert.deepEqual([r.status, r.stdout, r.stderr], [2, "", stderr], args.join(" "));
  }
});
