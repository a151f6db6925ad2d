import * as Plot from "@observablehq/plot";
import {finiteRows, renderChart, lineChartFrame} from "./renderChart.js";
import {paletteFor, sizeTickFormat, sizeTicks} from "./palette.js";

/** One point of a size-sweep line chart. */
export interface SizeSeriesRow {
  /** Facet (panel) the point belongs to, e.g. the host profile. */
  profile: string;
  /** Line the point belongs to, e.g. the strategy or the mode; coloured. */
  series: string;
  /** x: file or transfer size, bytes. */
  sizeBytes: number;
  /** y, in the unit named by the chart's **yLabel**. */
  value: number;
}

/** Options of {@link sizeLineChart}. */
export interface SizeLineOptions {
  title: string;
  subtitle?: string;
  caption?: string;
  /** y-axis label with its unit ("Throughput (MB/s)"). */
  yLabel: string;
  /** Log or linear y; default linear. */
  yType?: "linear" | "log";
  /** x-axis label with its unit; default "File size (bytes, log scale)". */
  xLabel?: string;
  /** Legend label ("Strategy"). */
  seriesLabel: string;
  /** Fixed colours of the series values. */
  colors: Record<string, string>;
  /** Tick format of y (e.g. percent). */
  yTickFormat?: string | ((v: number) => string);
  /** Draw a rule at y = 0; default true for a linear y. */
  zeroRule?: boolean;
  /** Chart width, px; default 640. */
  widthPx?: number;
}

/**
 * Returns an SVG line chart of *rows* against size on a log x axis: one
 * line per **series** (coloured, with a legend), one panel per profile.
 * Rows with a non-finite value (or a non-positive one on a log axis) are
 * left out.
 *
 * ```ts
 * sizeLineChart(rows, {title: "Latency", yLabel: "Latency (ms)", yType: "log", seriesLabel: "Strategy", colors: strategyColors})
 * ```
 * @see throughputChart @see renderChart
 */
export function sizeLineChart(rows: readonly SizeSeriesRow[], options: SizeLineOptions): string {
  const logY = options.yType === "log";
  const data = finiteRows(rows, ["sizeBytes", "value"], {positive: logY ? ["sizeBytes", "value"] : ["sizeBytes"]});
  const color = paletteFor(data.map((d) => d.series), options.colors);
  const profiles = [...new Set(data.map((d) => d.profile))];
  const marks: Plot.Markish[] = [Plot.frame({stroke: "#ccc"})];
  if (!logY && (options.zeroRule ?? true)) marks.push(Plot.ruleY([0]));
  marks.push(
    Plot.lineY(data, {x: "sizeBytes", y: "value", stroke: "series", fx: "profile", sort: "sizeBytes"}),
    Plot.dot(data, {x: "sizeBytes", y: "value", fill: "series", fx: "profile", r: 2.5}),
  );
  return renderChart({
    title: options.title,
    subtitle: options.subtitle,
    caption: options.caption,
    legendLabel: options.seriesLabel,
    plot: {
      ...lineChartFrame(options.widthPx, 60),
      x: {type: "log", base: 2, label: options.xLabel ?? "File size (bytes, log scale)", ticks: sizeTicks(data.map((d) => d.sizeBytes), profiles.length > 1 ? 4 : 6), tickFormat: sizeTickFormat, labelAnchor: "center", labelArrow: "none"},
      y: {type: logY ? "log" : "linear", label: options.yLabel, tickFormat: options.yTickFormat, labelArrow: "none", ...(logY ? {} : {nice: true})},
      fx: {label: null, domain: profiles, padding: 0.12},
      color: {type: "ordinal", domain: color.domain, range: color.range},
      marks,
    },
  });
}

/** One point of {@link throughputChart}. */
export interface ThroughputRow {
  profile: string;
  /** Strategy or mode. */
  series: string;
  sizeBytes: number;
  throughputBytesPerSec: number;
}

/**
 * Returns an SVG chart of throughput (MB/s = 10⁶ bytes/s, log y) against
 * size (log x), one coloured line per **series**, one panel per profile.
 *
 * ```ts
 * throughputChart(rows, {title: "Zero-copy throughput", seriesLabel: "Strategy", colors: strategyColors})
 * ```
 * @see sizeLineChart
 */
export function throughputChart(rows: readonly ThroughputRow[], options: Omit<SizeLineOptions, "yLabel" | "yType"> & {yLabel?: string}): string {
  return sizeLineChart(
    rows.map((r) => ({profile: r.profile, series: r.series, sizeBytes: r.sizeBytes, value: r.throughputBytesPerSec / 1e6})),
    {yLabel: "Throughput (MB/s, log scale)", yType: "log", ...options},
  );
}
