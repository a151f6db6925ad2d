import {test} from "node:test";
import assert from "node:assert/strict";
import {existsSync, readFileSync} from "node:fs";
import {join} from "node:path";
import {writeReport} from "../../src/report/report.js";
import {chartSvg, chartToPng} from "../../src/report/png.js";
import {scopeIds} from "../../src/report/html.js";
import {InputError} from "../../src/errors.js";
import {fakeResult, fakeStudies} from "./fixtures.js";
import {tempDir, listFiles} from "../helpers/files.js";

test("writeReport({studies, out}) writes index.html, every chart's data and manifest.json", () => {
  const out = tempDir("iosim-report-");
  const summary = writeReport({studies: fakeStudies(), out, progress: "none"});
  const data = ["alpha", "beta"].flatMap((s) => ["throughput", "cpu-share"].flatMap((c) => ["csv", "json", "arrow", "meta.json"].map((k) => `data/${s}/${c}.${k}`)));
  assert.deepEqual(listFiles(out), [...data, "index.html", "manifest.json"].sort());
  assert.deepEqual(summary.files.map((f) => f.path), [...data, "index.html", "manifest.json"]);
  assert.equal(summary.index, join(out, "index.html"));
  assert.deepEqual(summary.studies.map((s) => [s.id, s.charts]), [["alpha", 2], ["beta", 2]]);
});

test("writeReport() page has a contents list, and per study the question, parameters, charts, tables and notes", () => {
  const out = tempDir("iosim-report-");
  writeReport({studies: fakeStudies(), out, progress: "none"});
  const html = readFileSync(join(out, "index.html"), "utf8");
  assert.match(html, /<nav aria-label="Contents">[\s\S]*href="#study-alpha"[\s\S]*href="#chart-beta-cpu-share"/);
  for (const id of ["alpha", "beta"]) {
    const section = html.slice(html.indexOf(`<section class="study" id="study-${id}">`));
    assert.match(section, /<p class="question">Does sendfile beat read \+ write\? \(a test fixture &lt;with&gt; &amp; markup\)<\/p>/);
    assert.match(section, /<table class="params">.*<th scope="row">profile<\/th><td><code>server-2024<\/code>/);
    assert.match(section, new RegExp(`<figure class="chart" id="chart-${id}-throughput" data-chart="${id}/throughput">`));
    assert.match(section, new RegExp(`href="data/${id}/throughput.arrow"`));
    assert.match(section, /<h4>Counts<\/h4>/);
    assert.match(section, /<ul class="notes"><li>sendfile is 1\.5× read \+ write at 4 KiB &lt;in this fixture&gt;\.<\/li>/);
  }
});

test("writeReport() page fetches nothing: no scripts, stylesheets, images, frames or remote URLs", () => {
  const out = tempDir("iosim-report-");
  writeReport({studies: fakeStudies(), out, progress: "none"});
  const html = readFileSync(join(out, "index.html"), "utf8");
  assert.doesNotMatch(html, /<(script|link|img|iframe|object|embed|video|audio|source)\b/i);
  assert.doesNotMatch(html, /@import|@font-face|\ssrc=|https?:\/\/(?!www\.w3\.org\/)/i);
  // Plot's clip-path ids are scoped per chart, so two charts never share one.
  const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(new Set(ids).size, ids.length, "ids are unique");
});

test("writeReport() twice (different folders, same process) writes identical bytes for every file", () => {
  const a = tempDir("iosim-report-");
  const b = tempDir("iosim-report-");
  writeReport({studies: fakeStudies(), out: a, png: true, progress: "none"});
  writeReport({studies: fakeStudies(), out: b, png: true, progress: "none"});
  const files = listFiles(a);
  assert.deepEqual(listFiles(b), files);
  assert.ok(files.includes("png/alpha/cpu-share.png"));
  for (const f of files) assert.deepEqual(readFileSync(join(b, f)), readFileSync(join(a, f)), f);
});

test("writeReport({png: true}) draws each chart as a PNG whose size follows the chart", () => {
  const out = tempDir("iosim-report-");
  writeReport({studies: fakeStudies(["alpha"]), out, png: true, progress: "none"});
  for (const chart of ["throughput", "cpu-share"]) {
    const png = readFileSync(join(out, "png", "alpha", `${chart}.png`));
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "PNG signature");
    // IHDR: width and height at bytes 16..24; scale 2 of a 640-wide Plot chart.
    assert.equal(png.readUInt32BE(16), chart === "throughput" ? 1280 : 1312);
    assert.ok(png.readUInt32BE(20) > 700);
  }
  assert.match(readFileSync(join(out, "index.html"), "utf8"), /href="png\/alpha\/throughput.png"/);
});

test("chartToPng(html) gives the same bytes on every call", () => {
  const {html} = fakeResult("x").charts[1];
  assert.deepEqual(chartToPng(html), chartToPng(html));
});

test("chartSvg(figure) lays Plot's title, legend swatches, plot and caption out as one SVG", () => {
  const svg = chartSvg(fakeResult("x").charts[1].html);
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="656" height="\d+"/);
  assert.match(svg, />CPU share by strategy<\/text>/);
  assert.match(svg, /fill="#4269d0"[^>]*>.*?>read-write<\/text>/);
  assert.match(svg, />fake data<\/text><\/svg>$/);
  assert.throws(() => chartSvg("<div>no chart</div>"), /holds no <svg>/);
});

test("scopeIds(markup, scope) renames ids and their references in order of appearance", () => {
  const markup = '<svg><clipPath id="plot-clip-7"/><g clip-path="url(#plot-clip-7)"/><use href="#plot-clip-9"/><g id="plot-clip-9"/></svg>';
  assert.equal(
    scopeIds(markup, "chart-a-b"),
    '<svg><clipPath id="chart-a-b-1"/><g clip-path="url(#chart-a-b-1)"/><use href="#chart-a-b-2"/><g id="chart-a-b-2"/></svg>',
  );
});

test("writeReport() removes the files of a study an earlier report had and this one does not", () => {
  const out = tempDir("iosim-report-");
  writeReport({studies: fakeStudies(["alpha", "beta"]), out, png: true, progress: "none"});
  const summary = writeReport({studies: fakeStudies(["alpha"]), out, progress: "none"});
  assert.equal(summary.removed.length, 12, "beta's 8 data files and all 4 PNGs");
  assert.deepEqual(listFiles(out), listFiles(out).filter((f) => !f.includes("beta") && !f.startsWith("png")));
  assert.ok(!existsSync(join(out, "data", "beta")) && !existsSync(join(out, "png")));
});

test("writeReport({seed, params}) passes them to each study's run()", () => {
  const out = tempDir("iosim-report-");
  writeReport({studies: fakeStudies(), out, seed: 3, params: {beta: {n: 2}}, progress: "none"});
  const meta = JSON.parse(readFileSync(join(out, "data", "beta", "throughput.meta.json"), "utf8")) as {seed: number; rows: number};
  assert.deepEqual([meta.seed, meta.rows], [3, 4]);
  assert.match(readFileSync(join(out, "index.html"), "utf8"), /reproduce with <code>iosim report --seed 3<\/code>/);
});

test("writeReport() prints one line per study when the stream is not a terminal", () => {
  const lines: string[] = [];
  writeReport({studies: fakeStudies(), out: tempDir("iosim-report-"), progress: {write: (s: string) => lines.push(s), isTTY: false}});
  assert.deepEqual(
    lines.map((l) => l.replace(/\d+\.\d\d s/, "T s")),
    ["iosim report: 1/2 alpha: T s, 2 charts\n", "iosim report: 2/2 beta: T s, 2 charts\n"],
  );
});

test("writeReport() draws a progress bar when the stream is a terminal", () => {
  let text = "";
  writeReport({studies: fakeStudies(), out: tempDir("iosim-report-"), progress: {write: (s: string) => (text += s), isTTY: true}});
  assert.match(text, /iosim report \[.*\] 2\/2 studies/);
});

test("writeReport() rejects a bad seed, an empty out and params for an unknown study with an InputError", () => {
  const studies = fakeStudies();
  assert.throws(() => writeReport({studies, out: tempDir("iosim-report-"), seed: 1.5, progress: "none"}), (e: unknown) => e instanceof InputError && e.message === "invalid --seed: 1.5; expected an integer");
  assert.throws(() => writeReport({studies, out: " ", progress: "none"}), /invalid --out: {2}; expected a folder path/);
  assert.throws(() => writeReport({studies, out: tempDir("iosim-report-"), params: {gamma: {}}, progress: "none"}), /invalid study id in params: gamma; expected one of alpha, beta/);
});
