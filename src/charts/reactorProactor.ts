/**
 * Charts of the Reactor/Proactor study: a measure against a swept number
 * (cores, workers, slow share, clients), one coloured line per
 * architecture, with a log or linear x axis.
 */
import * as Plot from "@observablehq/plot";
import {finiteRows, renderChart, lineChartFrame} from "./renderChart.js";
import {paletteFor} from "./palette.js";
import {serverModelColors} from "./servers.js";

/** Colour of each architecture: the server models' colours, then the Reactor variants' and the Proactor's. */
export const architectureColors: Record<string, string> = {
  ...serverModelColors,
  single: "#edc948",
  "single-pool": "#b07aa1",
  "main-sub": "#76b7b2",
  nginx: "#ff9da7",
  "nginx reuseport": "#9c755f",
  "proactor-uring": "#17becf",
};

/** One point of {@link seriesLineChart}. */
export interface SeriesRow {
  /** Line (the architecture); coloured. */
  series: string;
  /** x, in the unit of the chart's xLabel. */
  x: number;
  /** y, in the unit of the chart's yLabel. */
  y: number;
}

/** Options of {@link seriesLineChart}. */
export interface SeriesLineOptions {
  title: string;
  subtitle?: string;
  caption?: string;
  xLabel: string;
  yLabel: string;
  /** Log x (ticks at the values swept); default linear. */
  xType?: "linear" | "log";
  /** Log y; default linear from 0. */
  yType?: "linear" | "log";
  /** Legend label; default "Architecture". */
  legendLabel?: string;
  /** Fixed colours of the series; default {@link architectureColors}. */
  colors?: Record<string, string>;
  /** Dashed lines for these series (e.g. the p50s). */
  dashed?: string[];
  widthPx?: number;
}

/** Formats a count as a tick label ("10k"). */
const countTick = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));

/**
 * Returns an SVG line chart of *rows*: one coloured line per series, dots
 * at the measured points; on a log x the ticks are the values swept.
 * Non-finite values (and non-positive ones on a log axis) are left out.
 *
 * ```ts
 * seriesLineChart([{series: "single", x: 1, y: 50_000}], {title: "Throughput", xLabel: "Cores", yLabel: "Requests/s", xType: "log"})
 * ```
 * @see clientsLineChart
 */
export function seriesLineChart(rows: readonly SeriesRow[], options: SeriesLineOptions): string {
  const logX = options.xType === "log";
  const logY = options.yType === "log";
  const positive: Array<"x" | "y"> = [...(logX ? ["x" as const] : []), ...(logY ? ["y" as const] : [])];
  const data = finiteRows(rows, ["x", "y"], {positive});
  const color = paletteFor(data.map((d) => d.series), options.colors ?? architectureColors);
  const ticks = [...new Set(data.map((d) => d.x))].sort((a, b) => a - b);
  const dashed = new Set(options.dashed ?? []);
  const marks: Plot.Markish[] = [Plot.frame({stroke: "#ccc"})];
  if (!logY) marks.push(Plot.ruleY([0]));
  const solid = data.filter((d) => !dashed.has(d.series));
  const dash = data.filter((d) => dashed.has(d.series));
  marks.push(
    Plot.lineY(solid, {x: "x", y: "y", stroke: "series", z: "series", sort: "x"}),
    Plot.lineY(dash, {x: "x", y: "y", stroke: "series", z: "series", sort: "x", strokeDasharray: "5,3"}),
    Plot.dot(data, {x: "x", y: "y", fill: "series", r: 2.5}),
  );
  return renderChart({
    title: options.title,
    subtitle: options.subtitle,
    caption: options.caption,
    legendLabel: options.legendLabel ?? "Architecture",
    plot: {
      ...lineChartFrame(options.widthPx),
      x: {type: logX ? "log" : "linear", label: options.xLabel, ...(logX ? {ticks, tickFormat: countTick} : {}), labelAnchor: "center", labelArrow: "none"},
      y: {type: logY ? "log" : "linear", label: options.yLabel, labelArrow: "none", ...(logY ? {} : {nice: true})},
      color: {type: "ordinal", domain: color.domain, range: color.range},
      marks,
    },
  });
}
