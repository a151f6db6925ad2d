/**
 * Charts of the server-models study: a measure against the number of
 * concurrent clients (log x), one line per server model, one panel per
 * profile, with an optional horizontal limit line (the 2 GB budget); and
 * the staircase of connect times a full accept queue makes.
 */
import * as Plot from "@observablehq/plot";
import {finiteRows, renderChart, lineChartFrame} from "./renderChart.js";
import {categoryColors, paletteFor} from "./palette.js";

/** Colour of each server model. */
export const serverModelColors: Record<string, string> = {
  iterative: "#e15759",
  process: "#f28e2b",
  thread: "#4e79a7",
  pool: "#59a14f",
  "epoll event loop": "#b07aa1",
  "poll event loop": "#76b7b2",
  "select event loop": "#9c755f",
};

/**
 * Colour of each CPU category of the servers study, in stacking order: the
 * shared ones ({@link categoryColors}), the servers' own (as the spare
 * colours gave them before the event loop joined), then the waiting APIs'
 * (select and poll's scans and copies, epoll's registrations and events),
 * each distinct.
 */
export const serverCategoryColors: Record<string, string> = {
  ...categoryColors,
  "lock-wait": "#edc948",
  "net-tx": "#ff9da7",
  process: "#bab0ac",
  softirq: "#17becf",
  "poll-scan": "#f28e2b",
  "poll-wait": "#ffbe7d",
  "user-scan": "#b6992d",
  "fd-copy": "#79706e",
  "epoll-ctl": "#499894",
  "epoll-wait": "#a0cbe8",
  "epoll-callback": "#bcbd22",
};

/** One point of {@link clientsLineChart}. */
export interface ClientsRow {
  /** Panel (the host profile). */
  profile: string;
  /** Line (the server model, or "<api> event loop"); coloured. */
  model: string;
  /** x: concurrent clients. */
  clients: number;
  /** y, in the unit of the chart's yLabel. */
  value: number;
}

/** Formats a client count as a tick label ("10k"). */
const countTick = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));

/**
 * Returns an SVG line chart of *rows* against concurrent clients on a log x
 * axis: one line per model, one panel per profile; **limit** draws a dashed
 * horizontal line (with its label) at a y value. Non-finite values (and
 * non-positive ones on a log y) are left out.
 *
 * ```ts
 * clientsLineChart(rows, {title: "Throughput", yLabel: "Requests/s", yType: "log"})
 * ```
 */
export function clientsLineChart(
  rows: readonly ClientsRow[],
  options: {title: string; subtitle?: string; caption?: string; yLabel: string; yType?: "linear" | "log"; limit?: {value: number; label: string}; widthPx?: number},
): string {
  const logY = options.yType === "log";
  const data = finiteRows(rows, ["clients", "value"], {positive: logY ? ["clients", "value"] : ["clients"]});
  const color = paletteFor(data.map((d) => d.model), serverModelColors);
  const profiles = [...new Set(data.map((d) => d.profile))];
  const ticks = [...new Set(data.map((d) => d.clients))].sort((a, b) => a - b);
  const marks: Plot.Markish[] = [Plot.frame({stroke: "#ccc"})];
  if (!logY) marks.push(Plot.ruleY([0]));
  if (options.limit) {
    const limit = options.limit;
    marks.push(
      Plot.ruleY([limit.value], {stroke: "#555", strokeDasharray: "4,3"}),
      Plot.text([limit.label], {frameAnchor: "top-left", dy: 4, dx: 4, fontSize: 10, fill: "#555"}),
    );
  }
  marks.push(
    Plot.lineY(data, {x: "clients", y: "value", stroke: "model", z: "model", fx: "profile", sort: "clients"}),
    Plot.dot(data, {x: "clients", y: "value", fill: "model", fx: "profile", r: 2.5}),
  );
  return renderChart({
    title: options.title,
    subtitle: options.subtitle,
    caption: options.caption,
    legendLabel: "Model",
    plot: {
      ...lineChartFrame(options.widthPx),
      x: {type: "log", label: "Concurrent clients (log scale)", ticks, tickFormat: countTick, labelAnchor: "center", labelArrow: "none"},
      y: {type: logY ? "log" : "linear", label: options.yLabel, labelArrow: "none", ...(logY ? {} : {nice: true})},
      fx: {label: null, domain: profiles, padding: 0.12},
      color: {type: "ordinal", domain: color.domain, range: color.range},
      marks,
    },
  });
}

/** One point of {@link connectStepsChart}: by *timeS*, *connected* clients of a run had connected. */
export interface ConnectStepRow {
  /** Line (the run, e.g. "accept every 1 ms"); coloured. */
  series: string;
  /** Seconds since the burst. */
  timeS: number;
  /** Clients connected by then. */
  connected: number;
}

/**
 * Returns an SVG step chart of clients connected against time: each SYN
 * retry a client needs shows as one step.
 *
 * ```ts
 * connectStepsChart([{series: "backlog 8", timeS: 0.001, connected: 9}], {title: "Connect times"})
 * ```
 */
export function connectStepsChart(rows: readonly ConnectStepRow[], options: {title: string; subtitle?: string; caption?: string; widthPx?: number}): string {
  const data = finiteRows(rows, ["timeS", "connected"]);
  const color = paletteFor(data.map((d) => d.series), {});
  return renderChart({
    title: options.title,
    subtitle: options.subtitle,
    caption: options.caption,
    legendLabel: "Server",
    plot: {
      width: options.widthPx ?? 640,
      height: 320,
      marginLeft: 60,
      marginRight: 20,
      marginBottom: 40,
      grid: true,
      x: {label: "Time since the burst (s)", labelAnchor: "center", labelArrow: "none"},
      y: {label: "Clients connected", labelArrow: "none", nice: true},
      color: {type: "ordinal", domain: color.domain, range: color.range},
      marks: [Plot.frame({stroke: "#ccc"}), Plot.ruleY([0]), Plot.lineY(data, {x: "timeS", y: "connected", stroke: "series", z: "series", curve: "step-after"})],
    },
  });
}
