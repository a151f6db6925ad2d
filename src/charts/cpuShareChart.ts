import * as Plot from "@observablehq/plot";
import {finiteRows, renderChart} from "./renderChart.js";
import {categoryColors, paletteFor} from "./palette.js";

/** One segment of a stacked CPU-share bar. */
export interface CpuShareRow {
  /** The bar (y axis): a strategy, a size... */
  group: string;
  /** Trace category of the CPU time ("cpu-copy", "irq", "user"...); coloured. */
  category: string;
  /** Fraction of the CPU's busy time, 0…1. */
  share: number;
  /** Column panel (e.g. the profile). */
  facetX?: string;
  /** Row panel (e.g. the file size). */
  facetY?: string;
}

/** Options of {@link cpuShareChart}. */
export interface CpuShareOptions {
  title: string;
  subtitle?: string;
  caption?: string;
  /** y-axis label ("Strategy"). */
  groupLabel: string;
  /** Bars in this order (top to bottom); default first appearance. */
  groupOrder?: string[];
  /** Panels in this order; default first appearance. */
  facetXOrder?: string[];
  facetYOrder?: string[];
  /** x-axis label; default "Share of CPU busy time (%)". */
  xLabel?: string;
  widthPx?: number;
  /** Room for the bar labels on the left, px; default 90. */
  marginLeftPx?: number;
  /** Fixed colours of the categories, in stacking order; default {@link categoryColors}. */
  colors?: Record<string, string>;
}

/**
 * Returns an SVG chart of stacked horizontal bars: each bar is 100% of a
 * CPU's busy time, split by category (colour, with a legend), so it shows
 * *what the CPU was doing*, e.g. copying, taking interrupts, or the user's
 * work. Non-finite shares are left out.
 *
 * ```ts
 * cpuShareChart([{group: "sendfile", category: "irq", share: 0.3, facetX: "server-2024"}], {title: "CPU share", groupLabel: "Strategy"})
 * ```
 * @see dmaCpuShareChart @see renderChart
 */
export function cpuShareChart(rows: readonly CpuShareRow[], options: CpuShareOptions): string {
  const data = finiteRows(rows, ["share"]).map((r) => ({...r, percent: r.share * 100}));
  const color = paletteFor(data.map((d) => d.category), options.colors ?? categoryColors);
  const firstSeen = (key: "group" | "facetX" | "facetY") => [...new Set(data.map((d) => d[key]).filter((v): v is string => v !== undefined))];
  const facetX = options.facetXOrder ?? firstSeen("facetX");
  const facetY = options.facetYOrder ?? firstSeen("facetY");
  const groups = options.groupOrder ?? firstSeen("group");
  const hasFx = facetX.length > 0;
  const hasFy = facetY.length > 0;
  const barPx = 16;
  const heightPx = 50 + Math.max(1, facetY.length) * (groups.length * barPx * 1.25 + 20);
  return renderChart({
    title: options.title,
    subtitle: options.subtitle,
    caption: options.caption,
    legendLabel: "CPU spent on",
    plot: {
      width: options.widthPx ?? 640,
      height: Math.round(heightPx),
      marginLeft: options.marginLeftPx ?? 90,
      // Room for the row-panel labels on the right, at ~6.5 px per character.
      marginRight: hasFy ? Math.ceil(12 + 6.5 * Math.max(...facetY.map((f) => f.length))) : 20,
      marginBottom: 40,
      x: {label: options.xLabel ?? "Share of CPU busy time (%)", domain: [0, 100], ticks: [0, 25, 50, 75, 100], labelAnchor: "center", labelArrow: "none"},
      y: {label: options.groupLabel, domain: groups, labelArrow: "none"},
      fx: hasFx ? {label: null, domain: facetX} : undefined,
      fy: hasFy ? {label: null, domain: facetY} : undefined,
      color: {type: "ordinal", domain: color.domain, range: color.range},
      marks: [
        Plot.barX(data, {
          y: "group",
          x: "percent",
          fill: "category",
          order: color.domain,
          fx: hasFx ? "facetX" : undefined,
          fy: hasFy ? "facetY" : undefined,
          insetTop: 1,
          insetBottom: 1,
        }),
        Plot.ruleX([0]),
      ],
    },
  });
}
