/**
 * The report in a real browser: headless Debian Chromium through
 * playwright-core (never a downloaded browser). Fails on any console error,
 * page error, failed request, or request to anything but file: or data:, and
 * checks that every chart is on the page, has a size, and holds marks.
 * Skipped, saying why, where /usr/bin/chromium is absent; CI installs it.
 */
import {test} from "node:test";
import assert from "node:assert/strict";
import {existsSync} from "node:fs";
import {join} from "node:path";
import {pathToFileURL} from "node:url";
import {chromium} from "playwright-core";
import {writeReport, type ReportStudy} from "../../src/report/report.js";
import {fakeStudies} from "./fixtures.js";
import {tempDir} from "../helpers/files.js";

const executablePath = process.env.IOSIM_CHROMIUM ?? "/usr/bin/chromium";
// Skipped where Chromium is absent, except on CI, whose .ci/run installs it: there a missing browser fails.
const skip = existsSync(executablePath) || process.env.CI ? false : `no Chromium at ${executablePath} (apt-get install chromium, or set IOSIM_CHROMIUM); browser test skipped`;
if (skip) process.stderr.write(`# ${skip}\n`);

/** What the page showed for one chart. */
interface ChartSeen {
  id: string;
  width: number;
  height: number;
  /** Mark elements (not axes, grid, titles or legend) with a nonzero box. */
  marks: number;
}

/** Loads *index* in a fresh headless Chromium; returns the charts it shows and every problem it met. */
export async function loadInChromium(index: string): Promise<{charts: ChartSeen[]; problems: string[]; title: string}> {
  const userDataDir = tempDir("iosim-chromium-");
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  const problems: string[] = [];
  try {
    context.on("request", (r) => {
      if (!/^(file|data):/.test(r.url())) problems.push(`request to ${r.url()}`);
    });
    context.on("requestfailed", (r) => problems.push(`failed request ${r.url()}: ${r.failure()?.errorText}`));
    const page = context.pages()[0] ?? (await context.newPage());
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    const response = await page.goto(pathToFileURL(index).href, {waitUntil: "load"});
    if (response && !response.ok()) problems.push(`status ${response.status()} for index.html`);
    const title = await page.title();
    const charts = await page.evaluate(() => {
      const notMarks = /axis|grid|tick|title|legend|caption|frame|^plot$/i;
      return [...document.querySelectorAll<HTMLElement>("figure.chart")].map((figure) => {
        const body = figure.querySelector(".chart-body")!;
        const box = body.getBoundingClientRect();
        let marks = 0;
        for (const g of body.querySelectorAll("g[aria-label]")) {
          if (notMarks.test(g.getAttribute("aria-label") ?? "")) continue;
          for (const shape of g.querySelectorAll("path, rect, circle, ellipse, line, polygon, polyline, text")) {
            const r = (shape as SVGGraphicsElement).getBoundingClientRect();
            if (r.width > 0 || r.height > 0) marks++;
          }
        }
        return {id: figure.dataset.chart ?? "", width: box.width, height: box.height, marks};
      });
    });
    return {charts, problems, title};
  } finally {
    await context.close();
  }
}

function assertCharts(charts: ChartSeen[], expected: string[]): void {
  assert.deepEqual(charts.map((c) => c.id), expected);
  for (const c of charts) {
    assert.ok(c.width > 100 && c.height > 100, `${c.id} has a size (${c.width}×${c.height})`);
    assert.ok(c.marks > 0, `${c.id} holds marks`);
  }
}

test("the report (fake studies) opens from file:// in Chromium with no errors and no network, every chart drawn", {skip, timeout: 60_000}, async () => {
  const out = tempDir("iosim-browser-");
  writeReport({studies: fakeStudies(), out, png: true, progress: "none"});
  const {charts, problems, title} = await loadInChromium(join(out, "index.html"));
  assert.equal(title, "iosim report");
  assert.deepEqual(problems, []);
  assertCharts(charts, ["alpha/throughput", "alpha/cpu-share", "beta/throughput", "beta/cpu-share"]);
});

test("the report catches a page that fetches from the network", {skip, timeout: 60_000}, async () => {
  // The check itself must work: a chart that pulls a remote image is reported.
  const out = tempDir("iosim-browser-bad-");
  const [study] = fakeStudies(["alpha"]);
  const bad: ReportStudy = {
    ...study,
    run(params) {
      const r = study.run(params);
      r.charts[0].html = r.charts[0].html.replace("</svg>", '<image href="http://127.0.0.1:9/x.png" width="1" height="1"/></svg>');
      return r;
    },
  };
  writeReport({studies: [bad], out, progress: "none"});
  const {problems} = await loadInChromium(join(out, "index.html"));
  assert.ok(problems.some((p) => p.startsWith("request to http://127.0.0.1:9/x.png")), problems.join("\n"));
});

// A guard against a hang, not a speed (see command.test.ts): the default report runs every study.
test("the default report (every study) opens in Chromium with no errors and no network, every chart drawn", {skip, timeout: 600_000}, async () => {
  const out = tempDir("iosim-browser-full-");
  const summary = writeReport({out, progress: "none"});
  const expected = summary.files.filter((f) => f.path.endsWith(".meta.json")).map((f) => f.path.replace(/^data\//, "").replace(/\.meta\.json$/, ""));
  assert.ok(expected.length > 0);
  const {charts, problems} = await loadInChromium(join(out, "index.html"));
  assert.deepEqual(problems, []);
  assertCharts(charts, expected);
});
