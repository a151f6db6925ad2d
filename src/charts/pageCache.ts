/**
 * Charts of the page-cache study: hit ratio against cache size, readahead
 * bars, the hot set under streaming, and the directio threshold sweep.
 *
 * Built on the shared {@link renderChart} (one self-contained SVG per
 * chart, deterministic bytes) and the shared palette helpers, so colours
 * and typography match the other studies.
 */
import * as Plot from "@observablehq/plot";
import {paletteFor, sizeTickFormat, sizeTicks} from "./palette.js";
import {finiteRows, renderChart} from "./renderChart.js";

/** Colour of each cache configuration or readahead setting. */
export const pageCacheColors: Record<string, string> = {
  "hot set alone": "#59a14f",
  "+ streaming, LRU": "#e15759",
  "+ streaming, two-list": "#f28e2b",
  "+ streaming, direct I/O": "#4e79a7",
  "no readahead": "#bab0ac",
  "fixed window": "#e15759",
  "adaptive window": "#4e79a7",
  "small (hot) files": "#59a14f",
  "large files": "#4e79a7",
  p50: "#76b7b2",
  p99: "#e15759",
};

/** One point of {@link hitRatioChart}. */
export interface HitRatioRow {
  /** Line: the configuration ("hot set alone"...). */
  series: string;
  cacheBytes: number;
  /** 0…1. */
  hitRatio: number;
}

/**
 * Returns an SVG line chart of the hot set's hit ratio (%) against the
 * page-cache size (log x), one coloured line per configuration.
 *
 * ```ts
 * hitRatioChart(rows, {title: "Hot-set hit ratio", subtitle: "1000 files of 16 KiB"})
 * ```
 */
export function hitRatioChart(rows: readonly HitRatioRow[], options: {title: string; subtitle?: string; caption?: string}): string {
  const data = finiteRows(rows, ["cacheBytes", "hitRatio"], {positive: ["cacheBytes"]}).map((r) => ({...r, percent: r.hitRatio * 100}));
  const color = paletteFor(data.map((d) => d.series), pageCacheColors);
  return renderChart({
    ...options,
    legendLabel: "Configuration",
    plot: {
      width: 640,
      height: 320,
      marginLeft: 60,
      marginBottom: 40,
      grid: true,
      x: {type: "log", base: 2, label: "Page-cache size (bytes, log scale)", ticks: sizeTicks(data.map((d) => d.cacheBytes)), tickFormat: sizeTickFormat, labelAnchor: "center", labelArrow: "none"},
      y: {label: "Hot-set hit ratio (%)", domain: [0, 100], labelArrow: "none"},
      color: {type: "ordinal", domain: color.domain, range: color.range},
      marks: [
        Plot.frame({stroke: "#ccc"}),
        Plot.lineY(data, {x: "cacheBytes", y: "percent", stroke: "series", sort: "cacheBytes"}),
        Plot.dot(data, {x: "cacheBytes", y: "percent", fill: "series", r: 2.5}),
      ],
    },
  });
}

/** One bar of {@link groupedBarChart}. */
export interface BarRow {
  /** Panel (column), e.g. the read pattern. */
  panel: string;
  /** Bar within the panel; also its colour. */
  bar: string;
  /** Row panel, e.g. the disk; optional. */
  row?: string;
  value: number;
  /** Unit of *value* ("µs", "MB/s"), carried into the exported data. */
  unit?: string;
}

/** Options of {@link groupedBarChart}. */
export interface GroupedBarOptions {
  title: string;
  subtitle?: string;
  caption?: string;
  /** y-axis label with its unit. */
  yLabel: string;
  /** Legend label. */
  barLabel: string;
  /** Log y; default false. */
  logY?: boolean;
  /** Bars in this order; default first appearance. */
  barOrder?: string[];
  /** Fixed colours of the bars; default {@link pageCacheColors}. */
  colors?: Record<string, string>;
  /** Writes each bar's value above it, formatted so (a bar of 0 is then visible as its label); default none. */
  valueLabel?: (value: number) => string;
}

/**
 * Returns an SVG chart of vertical bars: one panel per **panel** value
 * (and per **row** value when given), one coloured bar per **bar** value,
 * with a legend.
 *
 * ```ts
 * groupedBarChart([{panel: "sequential", bar: "fixed window", value: 1120}], {title: "Read throughput", yLabel: "MB/s", barLabel: "Readahead"})
 * ```
 */
export function groupedBarChart(rows: readonly BarRow[], options: GroupedBarOptions): string {
  const data = finiteRows(rows, ["value"], {positive: options.logY ? ["value"] : []});
  const bars = options.barOrder ?? [...new Set(data.map((d) => d.bar))];
  // Legend in bar order; unknown bars get the palette's spare colours.
  const known = options.colors ?? pageCacheColors;
  const spare = paletteFor(bars.filter((b) => !(b in known)), {});
  const color = {domain: bars, range: bars.map((b) => known[b] ?? spare.range[spare.domain.indexOf(b)])};
  const panels = [...new Set(data.map((d) => d.panel))];
  const logBase = data.length ? 10 ** Math.floor(Math.log10(Math.min(...data.map((d) => d.value)))) : 1;
  const rowsPanels = [...new Set(data.map((d) => d.row).filter((r): r is string => r !== undefined))];
  return renderChart({
    title: options.title,
    subtitle: options.subtitle,
    caption: options.caption,
    legendLabel: options.barLabel,
    plot: {
      width: 640,
      height: 120 + Math.max(1, rowsPanels.length) * 170,
      marginLeft: 64,
      marginRight: rowsPanels.length ? 50 : 20,
      marginBottom: 30,
      x: {axis: null, domain: bars},
      y: {type: options.logY ? "log" : "linear", label: options.yLabel, grid: true, labelArrow: "none", ...(options.logY ? {} : {nice: true})},
      fx: {label: null, domain: panels},
      fy: rowsPanels.length ? {label: null, domain: rowsPanels} : undefined,
      color: {type: "ordinal", domain: color.domain, range: color.range},
      marks: [
        Plot.frame({stroke: "#ccc"}),
        // On a log scale a bar cannot start at 0: it starts at the power of ten below the smallest value.
        options.logY
          ? Plot.barY(data, {x: "bar", y1: logBase, y2: "value", fill: "bar", fx: "panel", fy: rowsPanels.length ? "row" : undefined})
          : Plot.barY(data, {x: "bar", y: "value", fill: "bar", fx: "panel", fy: rowsPanels.length ? "row" : undefined}),
        ...(options.logY ? [] : [Plot.ruleY([0])]),
        ...(options.valueLabel
          ? [Plot.text(data, {x: "bar", y: "value", text: (d: BarRow) => options.valueLabel!(d.value), dy: -6, fontSize: 10, fx: "panel", fy: rowsPanels.length ? "row" : undefined})]
          : []),
      ],
    },
  });
}

/** One point of {@link thresholdChart}. */
export interface ThresholdRow {
  /** Threshold label in sweep order ("64k", "1m", "off"). */
  threshold: string;
  /** Line ("small (hot) files", "large files"). */
  series: string;
  value: number;
  /** Unit of *value* ("MB/s", "µs per MB"), carried into the exported data. */
  unit?: string;
}

/**
 * Returns an SVG line chart of a measure against the nginx `directio`
 * threshold (ordinal x in sweep order, "off" last), one coloured line per
 * series, with the best threshold marked by a vertical rule.
 *
 * ```ts
 * thresholdChart(rows, {title: "Throughput by directio threshold", yLabel: "Throughput (MB/s)", best: "1m"})
 * ```
 */
export function thresholdChart(rows: readonly ThresholdRow[], options: {title: string; subtitle?: string; caption?: string; yLabel: string; seriesLabel?: string; best?: string}): string {
  const data = finiteRows(rows, ["value"]);
  const thresholds = [...new Set(rows.map((r) => r.threshold))];
  const color = paletteFor(data.map((d) => d.series), pageCacheColors);
  return renderChart({
    title: options.title,
    subtitle: options.subtitle,
    caption: options.caption,
    legendLabel: options.seriesLabel ?? "Files",
    plot: {
      width: 640,
      height: 320,
      marginLeft: 64,
      marginBottom: 40,
      grid: true,
      x: {type: "point", domain: thresholds, label: "nginx directio threshold (files at least this big bypass the cache)", labelAnchor: "center", labelArrow: "none", padding: 0.3},
      y: {label: options.yLabel, nice: true, labelArrow: "none"},
      color: {type: "ordinal", domain: color.domain, range: color.range},
      marks: [
        Plot.frame({stroke: "#ccc"}),
        ...(options.best ? [Plot.ruleX([options.best], {stroke: "#999", strokeDasharray: "4,3"})] : []),
        Plot.ruleY([0]),
        Plot.lineY(data, {x: "threshold", y: "value", stroke: "series"}),
        Plot.dot(data, {x: "threshold", y: "value", fill: "series", r: 3}),
      ],
    },
  });
}
