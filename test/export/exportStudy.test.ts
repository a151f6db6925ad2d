import {test} from "node:test";
import assert from "node:assert/strict";
import {execFileSync} from "node:child_process";
import {mkdirSync, readdirSync, readFileSync, rmSync} from "node:fs";
import {join} from "node:path";
import * as aq from "arquero";
import {exportStudy, type ChartMetadata} from "../../src/export/index.js";
import {InputError} from "../../src/errors.js";
import {fakeResult, sweepRows} from "../report/fixtures.js";
import {tempDir} from "../helpers/files.js";

const packageJson = JSON.parse(readFileSync(join(import.meta.dirname, "../../../package.json"), "utf8")) as {version: string};

function gitHead(): string | null {
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], {cwd: join(import.meta.dirname, "../../.."), encoding: "utf8", stdio: ["ignore", "pipe", "ignore"]}).trim();
  } catch {
    return null;
  }
}

test("exportStudy(result, dir) writes csv, json, arrow and meta.json per chart, in chart order", () => {
  const dir = tempDir("iosim-export-");
  const files = exportStudy(fakeResult("fake"), dir);
  const names = ["throughput", "cpu-share"].flatMap((c) => ["csv", "json", "arrow", "meta.json"].map((k) => `${c}.${k}`));
  assert.deepEqual(files.map((f) => f.path), names.map((n) => join(dir, n)));
  assert.deepEqual(readdirSync(dir).sort(), [...names].sort());
});

test("exportStudy() CSV, JSON and Arrow round-trip the chart's rows", () => {
  const dir = tempDir("iosim-export-");
  exportStudy(fakeResult("fake"), dir);
  const rows = sweepRows(4);
  assert.deepEqual(aq.fromCSV(readFileSync(join(dir, "throughput.csv"), "utf8")).objects(), rows);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, "throughput.json"), "utf8")), rows);
  assert.deepEqual(aq.fromArrow(readFileSync(join(dir, "throughput.arrow"))).objects(), rows);
  // The .arrow file is the Arrow IPC *file* format (magic "ARROW1" at both ends), which pyarrow.ipc.open_file and read_feather expect.
  const arrow = readFileSync(join(dir, "throughput.arrow"));
  assert.equal(arrow.subarray(0, 6).toString(), "ARROW1");
  assert.equal(arrow.subarray(-6).toString(), "ARROW1");
});

test("exportStudy() metadata names the study, chart, columns, parameters, seed, profiles, version and commit", () => {
  const dir = tempDir("iosim-export-");
  exportStudy(fakeResult("fake"), dir);
  const meta = JSON.parse(readFileSync(join(dir, "throughput.meta.json"), "utf8")) as ChartMetadata;
  const {files, ...rest} = meta;
  assert.deepEqual(rest, {
    format: "iosim-chart-data/1",
    study: {id: "fake", title: "Fake study fake", question: "Does sendfile beat read + write? (a test fixture <with> & markup)"},
    chart: {id: "throughput", title: "Throughput against file size"},
    rows: 8,
    columns: [
      {name: "strategy", type: "string", arrowType: "dictionary<int32, utf8>", nullable: false, nonFinite: 0},
      {name: "fileBytes", type: "integer", arrowType: "int32", nullable: false, nonFinite: 0},
      {name: "mbps", type: "number", arrowType: "float64", nullable: false, nonFinite: 0},
      {name: "note", type: "string", arrowType: "dictionary<int32, utf8>", nullable: true, nonFinite: 0},
    ],
    parameters: {seed: 0, profile: "server-2024", profiles: ["server-2024", {name: "desktop-2008"}], sizes: [4096, 16384], big: "12"},
    seed: 0,
    profiles: ["server-2024", "desktop-2008"],
    iosim: {version: packageJson.version, commit: gitHead()},
  });
  assert.deepEqual(Object.keys(files), ["csv", "json", "arrow"]);
  assert.equal(files.csv.name, "throughput.csv");
  assert.equal(files.csv.bytes, readFileSync(join(dir, "throughput.csv")).length);
  assert.match(files.arrow.sha256, /^[0-9a-f]{64}$/);
  assert.doesNotMatch(readFileSync(join(dir, "throughput.meta.json"), "utf8"), /20\d\d-\d\d-\d\dT/, "no timestamps");
});

test("exportStudy() twice writes the same bytes", () => {
  const a = tempDir("iosim-export-");
  const b = tempDir("iosim-export-");
  const fa = exportStudy(fakeResult("fake"), a);
  const fb = exportStudy(fakeResult("fake"), b);
  assert.deepEqual(fa.map((f) => f.sha256), fb.map((f) => f.sha256));
  for (const name of readdirSync(a)) assert.deepEqual(readFileSync(join(a, name)), readFileSync(join(b, name)), name);
});

test("exportStudy() failing part-way leaves every file whole and no temporary files", () => {
  const dir = tempDir("iosim-export-");
  exportStudy(fakeResult("fake", {scale: 1}), dir);
  const before = new Map(readdirSync(dir).map((n) => [n, readFileSync(join(dir, n))]));
  // Block the 6th file (cpu-share.json): a folder cannot be replaced by rename(2).
  rmSync(join(dir, "cpu-share.json"));
  mkdirSync(join(dir, "cpu-share.json", "blocker"), {recursive: true});
  assert.throws(() => exportStudy(fakeResult("fake", {scale: 2}), dir));
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith(".tmp")), []);
  // Written before the failure: the new, complete files.
  const rows2 = sweepRows(4, 2);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, "throughput.json"), "utf8")), rows2);
  assert.deepEqual(aq.fromArrow(readFileSync(join(dir, "throughput.arrow"))).objects(), rows2);
  assert.deepEqual(aq.fromCSV(readFileSync(join(dir, "cpu-share.csv"), "utf8")).objects(), rows2.map(({strategy, mbps}) => ({strategy, mbps})));
  // Not reached: the earlier export's files, byte for byte.
  for (const name of ["cpu-share.arrow", "cpu-share.meta.json"]) assert.deepEqual(readFileSync(join(dir, name)), before.get(name), name);
});

test("exportStudy() rejects an unsafe or repeated chart id with an InputError before writing", () => {
  const dir = tempDir("iosim-export-");
  const r = fakeResult("fake");
  r.charts[1].id = "../escape";
  assert.throws(() => exportStudy(r, dir), (e: unknown) => e instanceof InputError && /invalid chart id in study fake: \.\.\/escape; expected a file-safe id/.test(e.message));
  r.charts[1].id = "throughput";
  assert.throws(() => exportStudy(r, dir), /invalid chart id in study fake: throughput; expected an id used by one chart only/);
  assert.deepEqual(readdirSync(dir), []);
});

test("exportStudy() rejects BigInt data (JSON cannot hold it) before writing", () => {
  const dir = tempDir("iosim-export-");
  const r = fakeResult("fake");
  r.charts[0].data = aq.table({n: [1n, 2n]});
  assert.throws(() => exportStudy(r, dir), /invalid chart fake\/throughput column n: a BigInt value; expected numbers/);
  assert.deepEqual(readdirSync(dir), []);
});
