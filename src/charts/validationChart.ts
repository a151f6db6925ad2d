import * as Plot from "@observablehq/plot";
import {finiteRows, renderChart} from "./renderChart.js";

/** One quantity compared: what the simulator predicted over what the machine measured. */
export interface ValidationChartRow {
  /** The measurement (`fileread/direct 4KiB`). */
  quantity: string;
  /** predicted ÷ measured. */
  ratio: number;
  /** "within", "outside" or "calibrated" (copied into the profile from this measurement). */
  verdict: string;
}

const verdictColors: Record<string, string> = {within: "#1b9e77", outside: "#d95f02", calibrated: "#7570b3"};

/**
 * Returns an SVG dot chart: one row per quantity, its predicted ÷ measured
 * ratio on a log axis, the ±*band* agreement zone shaded around 1, dots
 * coloured by verdict (with a legend). Non-finite or non-positive ratios
 * are left out (a log axis cannot show them).
 *
 * ```ts
 * validationChart([{quantity: "memcpy/4KiB", ratio: 0.17, verdict: "outside"}], {title: "Predicted against measured", band: 0.25})
 * ```
 * @see renderChart
 */
export function validationChart(rows: readonly ValidationChartRow[], options: {title: string; subtitle?: string; caption?: string; band: number; widthPx?: number}): string {
  const data = finiteRows(rows, ["ratio"], {positive: ["ratio"]});
  const lo = 1 - options.band;
  const hi = 1 + options.band;
  const ratios = data.map((d) => d.ratio);
  const domain: [number, number] = [Math.min(lo, ...ratios) / 1.5, Math.max(hi, ...ratios) * 1.5];
  const verdicts = Object.keys(verdictColors).filter((v) => data.some((d) => d.verdict === v));
  return renderChart({
    title: options.title,
    subtitle: options.subtitle,
    caption: options.caption,
    legendLabel: "Verdict",
    plot: {
      width: options.widthPx ?? 720,
      height: 60 + 22 * Math.max(1, data.length),
      marginLeft: 290,
      marginTop: 30,
      x: {type: "log", domain, label: "Predicted ÷ measured (log scale)", grid: true, labelArrow: "none", tickFormat: (d: number) => `×${Number(d.toPrecision(2))}`},
      y: {label: null, domain: data.map((d) => d.quantity)},
      color: {type: "ordinal", domain: verdicts, range: verdicts.map((v) => verdictColors[v])},
      marks: [
        Plot.rectX([{x1: lo, x2: hi}], {x1: "x1", x2: "x2", fill: "#1b9e77", fillOpacity: 0.12}),
        Plot.ruleX([1], {stroke: "#555"}),
        Plot.dot(data, {x: "ratio", y: "quantity", fill: "verdict", r: 5}),
        Plot.text(data, {x: "ratio", y: "quantity", text: (d: ValidationChartRow) => `×${d.ratio.toPrecision(2)}`, dx: 10, textAnchor: "start"}),
      ],
    },
  });
}
