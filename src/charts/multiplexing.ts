/**
 * Charts of the multiplexing study: a measure against the number of
 * watched descriptors (log x, log y), the libevent benchmark's shape, with
 * the point where an API stops (select's FD_SETSIZE) marked; and the
 * colours of the APIs, read policies and CPU categories.
 *
 * Built on the shared {@link renderChart} and palette helpers, so colours
 * and typography match the other studies.
 */
import * as Plot from "@observablehq/plot";
import {categoryColors, paletteFor} from "./palette.js";
import {finiteRows, renderChart, lineChartFrame} from "./renderChart.js";

/** Colour of each multiplexing API, and of each trigger × read policy. */
export const multiplexColors: Record<string, string> = {
  select: "#e15759",
  poll: "#f28e2b",
  epoll: "#4e79a7",
  once: "#e15759",
  "until-eagain": "#59a14f",
};

/**
 * Colour of each CPU category of an event loop, in stacking order: the
 * price of waiting first (scans, copies, registrations), then the data
 * path, then the application's own work. Shared categories keep the
 * colours of {@link categoryColors}.
 */
export const multiplexCategoryColors: Record<string, string> = {
  "poll-scan": "#e15759",
  "poll-wait": "#ff9da7",
  "user-scan": "#f28e2b",
  "fd-copy": "#edc948",
  "epoll-ctl": "#9c755f",
  "epoll-wait": "#4e79a7",
  "epoll-callback": "#a0cbe8",
  syscall: categoryColors.syscall,
  "mode-switch": categoryColors["mode-switch"],
  "cpu-copy": "#bab0ac",
  irq: "#17becf",
  softirq: "#8cd17d",
  driver: categoryColors.driver,
  "net-tx": "#bcbd22",
  user: categoryColors.user,
};

/** One point of {@link fdsLineChart}. */
export interface FdsSeriesRow {
  /** Panel (column), e.g. "1 active". */
  panel: string;
  /** Line, e.g. the API; coloured. */
  series: string;
  /** x: descriptors watched. */
  fds: number;
  /** y, in the unit of the chart's **yLabel**. */
  value: number;
}

/** Options of {@link fdsLineChart}. */
export interface FdsLineOptions {
  title: string;
  subtitle?: string;
  caption?: string;
  /** y-axis label with its unit. */
  yLabel: string;
  /** x-axis label; default "Descriptors watched (log scale)". */
  xLabel?: string;
  /** Legend label ("API"). */
  seriesLabel: string;
  /** Fixed colours of the series; default {@link multiplexColors}. */
  colors?: Record<string, string>;
  /** Panels in this order; default first appearance. */
  panelOrder?: string[];
  /** A vertical dashed rule where a series stops (select's last descriptor), with its label. */
  limit?: {fds: number; label: string};
}

/**
 * Returns an SVG line chart of *rows* against the number of descriptors
 * (log x, log y), one coloured line per **series**, one panel per
 * **panel**; a series has points only where it was measured, so a line
 * that stops (select past FD_SETSIZE) stops on the chart, at the **limit**
 * rule when given. Non-finite or non-positive values are left out.
 *
 * ```ts
 * fdsLineChart(rows, {title: "Time to serve the active connections", yLabel: "µs (log scale)", seriesLabel: "API", limit: {fds: 1021, label: "select's limit"}})
 * ```
 * @see sizeLineChart
 */
export function fdsLineChart(rows: readonly FdsSeriesRow[], options: FdsLineOptions): string {
  const data = finiteRows(rows, ["fds", "value"], {positive: ["fds", "value"]});
  const color = paletteFor(data.map((d) => d.series), options.colors ?? multiplexColors);
  const panels = options.panelOrder ?? [...new Set(data.map((d) => d.panel))];
  const fdsValues = [...new Set(data.map((d) => d.fds))].sort((a, b) => a - b);
  // Ticks at the powers of ten the data spans.
  const ticks: number[] = [];
  if (fdsValues.length) for (let t = 10 ** Math.floor(Math.log10(fdsValues[0])); t <= fdsValues[fdsValues.length - 1]; t *= 10) ticks.push(t);
  const marks: Plot.Markish[] = [Plot.frame({stroke: "#ccc"})];
  if (options.limit) {
    const lim = options.limit;
    marks.push(
      Plot.ruleX([lim.fds], {stroke: "#999", strokeDasharray: "4,3"}),
      Plot.text([lim], {x: "fds", frameAnchor: "top", text: () => lim.label, dx: 4, dy: 4, textAnchor: "start", fontSize: 10, fill: "#555"}),
    );
  }
  marks.push(
    Plot.lineY(data, {x: "fds", y: "value", stroke: "series", fx: "panel", sort: "fds"}),
    Plot.dot(data, {x: "fds", y: "value", fill: "series", fx: "panel", r: 2.5}),
  );
  return renderChart({
    title: options.title,
    subtitle: options.subtitle,
    caption: options.caption,
    legendLabel: options.seriesLabel,
    plot: {
      ...lineChartFrame(),
      x: {type: "log", label: options.xLabel ?? "Descriptors watched (log scale)", ticks, tickFormat: (v: number) => v.toLocaleString("en-US"), labelAnchor: "center", labelArrow: "none"},
      y: {type: "log", label: options.yLabel, labelArrow: "none"},
      fx: {label: null, domain: panels, padding: 0.12},
      color: {type: "ordinal", domain: color.domain, range: color.range},
      marks,
    },
  });
}
