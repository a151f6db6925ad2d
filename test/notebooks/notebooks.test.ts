import {after, test} from "node:test";
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {fileURLToPath} from "node:url";
import {onCI} from "../charts/snapshot.js";

/** The repository root (tests run from dist/test/notebooks/). */
const root = fileURLToPath(new URL("../../../", import.meta.url));
const python = process.env.IOSIM_PYTHON ?? "/usr/bin/python3";

/** Returns why the notebooks cannot run here, or null when Jupyter is available. */
function missingJupyter(): string | null {
  if (!existsSync(python)) return `${python} not found`;
  const r = spawnSync(python, ["-c", "import nbclient, nbconvert, nbformat, ipykernel"], {encoding: "utf8"});
  return r.status === 0 ? null : `${python} lacks nbclient/nbconvert/ipykernel (apt-get install jupyter-nbconvert python3-nbclient python3-ipykernel; .ci/run does)`;
}

/** Charts each notebook must show: the number of rendered SVG charts and some of their titles (a notebook not listed must show at least one chart). */
const expected: Record<string, {charts: number; titles: string[]}> = {
  "01-dma": {charts: 3, titles: ["Who gets the CPU during a disk read, with and without DMA", "Read throughput with and without DMA"]},
  "02-zero-copy": {charts: 6, titles: ["Throughput against file size, by strategy", "Time saved against read + write", "What one chunk costs: mode switches and copies", "Time saved by sendfile (transferTo) against read + write"]},
  "03-page-cache": {charts: 6, titles: ["Hot-set hit ratio against page-cache size", "Throughput of small and large files against the directio threshold"]},
  "04-servers": {charts: 7, titles: ["Requests served per second against concurrent clients", "Connect times of a burst against a full accept queue (SYN retries)"]},
  "05-multiplexing": {charts: 6, titles: ["Time to serve the active connections against the descriptors watched", "No idle connections: time to serve them all", "Where the CPU goes, by API", "Wake-ups per read policy, level- and edge-triggered", "Bytes left unread per read policy, level- and edge-triggered"]},
  "06-reactor-proactor": {charts: 8, titles: ["Requests served per second against cores", "Fast clients' latency as slow clients join (head-of-line blocking)", "nginx: workers woken per new connection", "System calls per request: epoll against io_uring", "Which architecture when: share of the requests served within the run"]},
  "07-validation": {charts: 1, titles: ["Predicted ÷ measured, by quantity"]},
};

// Skipped where Jupyter is absent, except on CI, whose .ci/run installs it: there the run fails instead.
const skip = onCI() ? null : missingJupyter();
const notebooks = readdirSync(join(root, "notebooks")).filter((f) => f.endsWith(".ipynb")).sort();
const outDir = mkdtempSync(join(tmpdir(), "iosim-notebooks-"));
/** Files a notebook exports must be newer than this (ms; every export happens seconds after the test file starts). */
const startedMs = Date.now();

for (const file of notebooks) {
  const name = file.replace(/\.ipynb$/, "");
  test(`npm run notebooks ${name} executes it headless and renders its charts`, {skip: skip ? `skipped: ${skip}` : false, timeout: 600_000}, () => {
    const r = spawnSync(process.execPath, ["scripts/notebooks.mjs", "--out", outDir, name], {cwd: root, encoding: "utf8"});
    assert.equal(r.status, 0, `notebooks.mjs failed:\n${r.stdout}\n${r.stderr}`);
    const html = readFileSync(join(outDir, `${name}.html`), "utf8");
    const charts = html.match(/<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]*role="img"/g) ?? [];
    if (expected[name]) assert.equal(charts.length, expected[name].charts, `${name}: rendered charts`);
    else assert.ok(charts.length > 0, `${name}: no rendered chart`);
    for (const title of expected[name]?.titles ?? []) assert.ok(html.includes(`<title>${title.replace(/&/g, "&amp;")}</title>`), `${name}: chart "${title}"`);
    assert.ok(!html.includes("output_stderr"), `${name}: a cell wrote to stderr`);
    assert.ok(html.includes("<table"), `${name}: an Arquero table`);
    assert.ok(!html.includes('src="file:///'), `${name}: the HTML links a file of this machine`);
    // The export cell lists what it wrote; each file must have been written by this run, not left by an earlier one.
    const listed = [...html.matchAll(/<code>(data\/exports\/[^<]+)<\/code> \((\d+) bytes\)/g)].map((m) => ({path: m[1], bytes: Number(m[2])}));
    if (expected[name]) assert.equal(listed.length, expected[name].charts * 4, `${name}: CSV, JSON, Arrow and meta.json per chart`);
    else assert.ok(listed.length > 0, `${name}: no exported file listed`);
    for (const f of listed) {
      const st = statSync(join(root, f.path));
      assert.ok(st.mtimeMs >= startedMs, `${f.path} was not written by this run`);
      assert.equal(st.size, f.bytes, f.path);
    }
  });
}

test("npm run notebooks executes a clean copy: outputs saved in the .ipynb by an earlier run never reach the HTML", {skip: skip ? `skipped: ${skip}` : false, timeout: 120_000}, () => {
  const dir = mkdtempSync(join(tmpdir(), "iosim-stale-"));
  try {
    const stale = (text: string) => [{output_type: "stream", name: "stdout", text: [text]}];
    const cell = (source: string, outputs: unknown[]) => ({cell_type: "code", execution_count: 7, metadata: {}, source: [source], outputs});
    const nb = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {kernelspec: {name: "tslab", display_name: "TypeScript", language: "typescript"}},
      cells: [cell("const x: number = 6 * 7;\nconsole.log(`fresh ${x}`);", stale("stale output of an earlier run\n")), cell("", stale("stale output of an empty cell\n"))],
    };
    const file = join(dir, "stale.ipynb");
    writeFileSync(file, JSON.stringify(nb));
    const r = spawnSync(process.execPath, ["scripts/notebooks.mjs", "--out", dir, file], {cwd: root, encoding: "utf8"});
    assert.equal(r.status, 0, `notebooks.mjs failed:\n${r.stdout}\n${r.stderr}`);
    const html = readFileSync(join(dir, "stale.html"), "utf8");
    assert.ok(html.includes("fresh 42"), "the output of this run");
    assert.ok(!html.includes("stale output"), "an output saved by an earlier run");
    assert.equal(JSON.parse(readFileSync(file, "utf8")).cells[0].outputs[0].text[0], "stale output of an earlier run\n", "the .ipynb itself is left alone");
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});

after(() => rmSync(outDir, {recursive: true, force: true}));
