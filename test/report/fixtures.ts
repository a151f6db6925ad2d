/**
 * Small fake studies for the export and report tests: real Plot markup (one
 * bare `<svg>`, one `<figure>` with a title and a colour legend), tables with
 * awkward values (commas, quotes, nulls, NaN), so the tests do not depend on
 * the real studies' run time or shape.
 */
import * as Plot from "@observablehq/plot";
import {JSDOM} from "jsdom";
import * as aq from "arquero";
import type {StudyResult} from "../../src/studies/study.js";
import type {ReportStudy} from "../../src/report/report.js";

const document = new JSDOM("<!DOCTYPE html><body></body>").window.document as unknown as Document;

/** Rows of a fake throughput sweep: *n* sizes × two strategies. */
export function sweepRows(n: number, scale = 1): Array<{strategy: string; fileBytes: number; mbps: number; note: string | null}> {
  const rows = [];
  for (let i = 0; i < n; i++) {
    const fileBytes = 4096 * 4 ** i;
    rows.push({strategy: "read-write", fileBytes, mbps: scale * (100 + 10 * i), note: i === 0 ? 'cold, "first"' : null});
    rows.push({strategy: "sendfile", fileBytes, mbps: scale * (150 + 25.5 * i), note: null});
  }
  return rows;
}

/** Returns a fake study result; *variant* changes the numbers (to tell two exports apart). */
export function fakeResult(id = "fake", options: {n?: number; scale?: number; figure?: boolean} = {}): StudyResult {
  const {n = 4, scale = 1, figure = true} = options;
  const rows = sweepRows(n, scale);
  const data = aq.from(rows);
  // Plot numbers clip paths per render (plot-clip-N): clip: true makes one, to test that the report renumbers them.
  const svg = (Plot.plot({
    document,
    x: {type: "log", label: "file size (B)"},
    y: {label: "throughput (MB/s)", grid: true},
    marks: [Plot.lineY(rows, {x: "fileBytes", y: "mbps", stroke: "strategy", clip: true}), Plot.dot(rows, {x: "fileBytes", y: "mbps", fill: "strategy"})],
  }) as unknown as Element).outerHTML;
  const legendFigure = (Plot.plot({
    document,
    title: "CPU share by strategy",
    caption: "fake data",
    color: {legend: true},
    y: {label: "CPU share (%)"},
    marks: [Plot.barY(rows, {x: "strategy", y: "mbps", fill: "strategy"})],
  }) as unknown as Element).outerHTML;
  const charts = [{id: "throughput", title: "Throughput against file size", html: svg, data}];
  if (figure) {
    charts.push({id: "cpu-share", title: "CPU share by strategy", html: legendFigure, data: data.select("strategy", "mbps")});
  }
  return {
    id,
    title: `Fake study ${id}`,
    question: "Does sendfile beat read + write? (a test fixture <with> & markup)",
    params: {seed: 0, profile: "server-2024", profiles: ["server-2024", {name: "desktop-2008"}], sizes: [4096, 16384], big: 12n},
    tables: [{id: "counts", title: "Counts", table: aq.table({strategy: ["read-write", "sendfile"], contextSwitches: [4, 2], ratio: [1, NaN]})}],
    charts,
    notes: [`sendfile is ${(150 / 100).toFixed(1)}× read + write at 4 KiB <in this fixture>.`],
  };
}

/** Fake studies as `src/studies/index.ts` lists them; `run` honours `seed` and `n`. */
export function fakeStudies(ids: string[] = ["alpha", "beta"]): ReportStudy[] {
  return ids.map((id) => ({
    id,
    title: `Fake study ${id}`,
    run(params?: Record<string, unknown>) {
      const r = fakeResult(id, {n: typeof params?.n === "number" ? params.n : 4, scale: 1 + Number(params?.seed ?? 0)});
      r.params = {...r.params, ...params};
      return r;
    },
  }));
}
