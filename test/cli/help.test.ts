import {test} from "node:test";
import assert from "node:assert/strict";
import {scenarios} from "../../src/scenarios/index.js";
import {iosimAsync, repoRoot} from "../helpers/cli.js";
import {tempDir} from "../helpers/files.js";
import {writeFileSync} from "node:fs";
import {join} from "node:path";

const iosim = (...args: string[]) => iosimAsync(args, {cwd: repoRoot});

test("iosim run <scenario> --help lists each parameter of the scenario with its type, default and unit, and the options of run", async () => {
  const runs = await Promise.all(scenarios.map((s) => iosim("run", s.name, "--help")));
  scenarios.forEach((s, i) => {
    const {status, stdout, stderr} = runs[i];
    assert.equal(status, 0, stderr);
    assert.equal(stderr, "");
    assert.ok(stdout.includes(`${s.name}: ${s.description}`), s.name);
    const lines = stdout.split("\n");
    for (const p of s.params) {
      const line = lines.find((l) => new RegExp(`^\\s+${p.name}\\s`).test(l));
      assert.ok(line, `${s.name} ${p.name}`);
      assert.ok(line.includes(`default ${p.default === "" ? '""' : p.default} `), `${s.name} ${p.name} default`);
      if (p.unit) assert.match(line, new RegExp(`\\s${p.unit}\\s`));
      assert.ok(line.endsWith(p.description), `${s.name} ${p.name} description`);
    }
    for (const flag of ["--set key=value", "--seed N", "--profile NAME|FILE", "--format table|json|csv", "--max-events N", "--trace FILE"]) assert.ok(stdout.includes(flag), `${s.name}: ${flag}`);
  });
});

test("iosim run <file.ts> --help lists the user's own parameters", async () => {
  const {status, stdout, stderr} = await iosim("run", "examples/sendfile-chunks.ts", "--help");
  assert.equal(status, 0, stderr);
  for (const name of ["fileBytes", "chunkA", "chunkB", "cache"]) assert.match(stdout, new RegExp(`^\\s+${name}\\s`, "m"));
  assert.match(stdout, /^\s+cache\s+cold\|warm\s+default cold\s/m);
});

test("iosim list --format json gives each scenario's JSON Schema, its properties the parameters", async () => {
  const r = JSON.parse((await iosim("list", "--format", "json")).stdout) as {scenarios: Array<{name: string; schema: {properties: Record<string, {default: unknown}>}}>};
  for (const s of scenarios) {
    const listed = r.scenarios.find((x) => x.name === s.name)!;
    assert.deepEqual(Object.keys(listed.schema.properties), s.params.map((p) => p.name));
    assert.deepEqual(Object.values(listed.schema.properties).map((p) => p.default), s.params.map((p) => p.default));
  }
});

test("a user's scenario whose parameter declaration is wrong is one line naming it (exit 2)", async () => {
  const file = join(tempDir("iosim-user-params-"), "badparams.mts");
  writeFileSync(file, "export default {name: 'b', description: 'd', params: [{name: 'a', kind: 'sizes', default: '1KiB', description: 'x'}], run: () => ({})};\n");
  const r = await iosim("run", file);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^iosim: scenario .*badparams\.mts: its parameters: invalid params\.0\.kind: "sizes"; expected one of size, integer, number, enum, boolean, duration\n$/);
});

test("iosim sweep, merge, report, calibrate and validate --help print their usage; an unknown option names the command", async () => {
  const [sweep, merge, report, calibrate, validate, bad] = await Promise.all([
    iosim("sweep", "--help"),
    iosim("merge", "--help"),
    iosim("report", "--help"),
    iosim("calibrate", "--help"),
    iosim("validate", "--help"),
    iosim("report", "--colour"),
  ]);
  assert.match(validate.stdout, /^Usage:\n  iosim validate .*\n[^]*--measurements FILE\s+what iosim calibrate measured/);
  assert.match(sweep.stdout, /^Usage:\n  iosim sweep <scenario>/);
  assert.match(merge.stdout, /^Usage:\n  iosim merge /);
  assert.match(report.stdout, /^Usage:\n  iosim report .*\n[^]*--study FILE\s+run only your own study/);
  assert.match(report.stdout, /--jobs N\s+studies run at once on worker threads/);
  assert.match(calibrate.stdout, /^Usage:\n  iosim calibrate .*\n[^]*--extends PROFILE\s+the shipped profile/);
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, "iosim: invalid option for report: --colour; expected one of --out, --seed, --png, --study, --calibration, --set, --jobs\n");
});
