import {after, test} from "node:test";
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {fileURLToPath} from "node:url";

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
  "02-zero-copy": {charts: 5, titles: ["Throughput against file size, by strategy", "Time saved against read + write", "What one chunk costs: mode switches and copies"]},
  "03-page-cache": {charts: 6, titles: ["Hot-set hit ratio against page-cache size", "Throughput of small and large files against the directio threshold"]},
};

// Skipped where Jupyter is absent, except on CI, whose .ci/run installs it: there the run fails instead.
const skip = process.env.CI ? null : missingJupyter();
const notebooks = readdirSync(join(root, "notebooks")).filter((f) => f.endsWith(".ipynb")).sort();
const outDir = mkdtempSync(join(tmpdir(), "iosim-notebooks-"));

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
    assert.ok(existsSync(join(root, "data", "exports", name)), `${name}: data/exports/${name}/`);
  });
}

after(() => rmSync(outDir, {recursive: true, force: true}));
