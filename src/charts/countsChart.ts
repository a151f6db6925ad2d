import * as Plot from "@observablehq/plot";
import {finiteRows, renderChart} from "./renderChart.js";
import {paletteFor, strategyColors} from "./palette.js";

/** One count of one strategy. */
export interface CountsRow {
  strategy: string;
  /** What is counted ("context switches", "DMA copies", "CPU copies"...). */
  count: string;
  /** Events per chunk (per system-call round). */
  perChunk: number;
}

/**
 * Returns an SVG chart of grouped bars: for each count (one panel each),
 * how many such events one chunk costs under each strategy (colour, with a
 * legend), with the number written on each bar. Non-finite counts are left out.
 *
 * ```ts
 * countsChart([{strategy: "sendfile-sg", count: "CPU copies", perChunk: 0}], {title: "What one chunk costs"})
 * ```
 * @see renderChart
 */
export function countsChart(rows: readonly CountsRow[], options: {title: string; subtitle?: string; caption?: string; widthPx?: number; countOrder?: string[]}): string {
  const data = finiteRows(rows, ["perChunk"]);
  const color = paletteFor(data.map((d) => d.strategy), strategyColors);
  const counts = options.countOrder ?? [...new Set(data.map((d) => d.count))];
  const maxCount = Math.max(1, ...data.map((d) => d.perChunk));
  // Whole-number ticks: a count of 1.5 events reads as a bug.
  const ticks = maxCount <= 10 ? Array.from({length: Math.ceil(maxCount) + 1}, (_, i) => i) : undefined;
  const label = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));
  return renderChart({
    title: options.title,
    subtitle: options.subtitle,
    caption: options.caption,
    legendLabel: "Strategy",
    plot: {
      width: options.widthPx ?? 640,
      height: 260,
      marginLeft: 50,
      marginTop: 30,
      marginBottom: 20,
      x: {axis: null, domain: color.domain},
      y: {label: "Events per chunk (count)", grid: true, nice: true, ticks, tickFormat: ticks ? "d" : undefined, labelArrow: "none"},
      fx: {label: null, domain: counts},
      color: {type: "ordinal", domain: color.domain, range: color.range},
      marks: [
        Plot.barY(data, {fx: "count", x: "strategy", y: "perChunk", fill: "strategy"}),
        Plot.text(data, {fx: "count", x: "strategy", y: "perChunk", text: (d: CountsRow) => label(d.perChunk), dy: -6, lineAnchor: "bottom"}),
        Plot.ruleY([0]),
      ],
    },
  });
}
