/**
 * Rendering an Observable Plot chart in Node, as one self-contained SVG.
 *
 * Plot draws into whatever `document` it is handed; in Node that is a jsdom
 * document, the way a print shop works from a proof instead of the screen.
 * Plot puts a title and a colour legend outside its `<svg>` (in a
 * `<figure>` of HTML); iosim draws them inside instead, so every chart is a
 * single SVG file: the same markup goes into the HTML report, a notebook
 * cell, a `.svg` file and the PNG rasteriser.
 *
 * The markup is made deterministic: numbers are rounded to 3 decimals and
 * Plot's generated ids (`plot-clip-N`, which count up across renders) are
 * renumbered in order of appearance, as Plot's own snapshot tests do.
 */
import * as Plot from "@observablehq/plot";
import {JSDOM} from "jsdom";

const svgNs = "http://www.w3.org/2000/svg";

/** What {@link renderChart} draws. */
export interface ChartSpec {
  /** Headline above the chart (required: every chart says what it shows). */
  title: string;
  /** One sentence under the title: the parameters or the reading hint. */
  subtitle?: string;
  /** Small print under the chart (source, caveat). */
  caption?: string;
  /** Label before the colour legend's swatches ("Strategy"). */
  legendLabel?: string;
  /** Draw the colour legend; default true when the chart has an ordinal colour scale. */
  legend?: boolean;
  /** Plot's options (marks, scales, facets, size); `document`, `title`, `subtitle` and `caption` are set here. */
  plot: Omit<Plot.PlotOptions, "document" | "title" | "subtitle" | "caption">;
}

/** The jsdom window Plot draws into, created on first use; nothing is ever attached to it, so it does not carry state between renders. */
let sharedWindow: JSDOM["window"] | null = null;

function domWindow(): JSDOM["window"] {
  sharedWindow ??= new JSDOM("<!DOCTYPE html><body></body>").window;
  return sharedWindow;
}

/** Font sizes and an average glyph width per pixel of font size, to lay text out without measuring it. */
const titlePx = 16;
const subtitlePx = 12;
const legendPx = 11;
const glyphEm = 0.55;

/** Returns *text* broken into lines of at most *widthPx* at *fontPx*. */
function wrap(text: string, widthPx: number, fontPx: number): string[] {
  const maxChars = Math.max(10, Math.floor(widthPx / (fontPx * glyphEm)));
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > maxChars) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** Returns *value* with every decimal number rounded to 3 decimals ("103.99999999999999" → "104"). */
export function roundNumbers(value: string): string {
  return value.replace(/-?\d+\.\d{4,}/g, (m) => String(Math.round(Number(m) * 1000) / 1000));
}

/**
 * Returns *markup* with Plot's generated ids (`plot-clip-7`, or any
 * `id="…-N"`) renumbered 1, 2, … in order of first appearance, references
 * (`url(#…)`, `href="#…"`) included, so two renders give the same bytes.
 */
export function normalizeIds(markup: string): string {
  // Old id → new id, and how many ids each prefix ("plot-clip-") has handed out.
  const ids = new Map<string, string>();
  const counts = new Map<string, number>();
  for (const m of markup.matchAll(/\bid="([^"]*?)(\d+)"/g)) {
    const old = m[1] + m[2];
    if (ids.has(old)) continue;
    const n = (counts.get(m[1]) ?? 0) + 1;
    counts.set(m[1], n);
    ids.set(old, `${m[1]}${n}`);
  }
  if (ids.size === 0) return markup;
  const alternatives = [...ids.keys()].map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const pattern = new RegExp(`(?<=["#(])(${alternatives.join("|")})(?=[")])`, "g");
  return markup.replace(pattern, (id) => ids.get(id) ?? id);
}

/** Appends an SVG element named *name* with *attrs* (and optional *text*) to *parent*; returns it. */
function el(doc: Document, parent: Element, name: string, attrs: Record<string, string | number>, text?: string): Element {
  const e = doc.createElementNS(svgNs, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  parent.appendChild(e);
  return e;
}

/**
 * Returns one self-contained `<svg>` (with `xmlns`) of the Plot chart
 * described by *spec*: the **title** and **subtitle** on top, then a colour
 * legend (a swatch and a label per category of an ordinal colour scale,
 * after **legendLabel**), then the plot, then the **caption**. Numbers are
 * rounded to 3 decimals and generated ids normalised, so the same *spec*
 * always gives the same bytes.
 *
 * ```ts
 * renderChart({title: "Throughput", plot: {marks: [Plot.lineY(rows, {x: "fileBytes", y: "mbps", stroke: "strategy"})]}})
 * ```
 * @see throughputChart @see cpuShareChart @see countsChart @see dmaCpuShareChart
 */
export function renderChart(spec: ChartSpec): string {
  const window = domWindow();
  const doc = window.document as unknown as Document;
  const chart = Plot.plot({...spec.plot, document: doc}) as (SVGSVGElement | HTMLElement) & Plot.Plot;
  if (chart.tagName.toLowerCase() !== "svg") throw new Error("renderChart: Plot returned a figure; pass title and legend to renderChart, not to Plot");
  const widthPx = Number(chart.getAttribute("width"));
  const plotHeightPx = Number(chart.getAttribute("height"));

  const out = doc.createElementNS(svgNs, "svg");
  let y = 0;
  const gap = 6;
  const texts: Array<[string, number, string]> = [];
  for (const line of wrap(spec.title, widthPx, titlePx)) texts.push([line, titlePx, "bold"]);
  if (spec.subtitle) for (const line of wrap(spec.subtitle, widthPx, subtitlePx)) texts.push([line, subtitlePx, "normal"]);
  const header = doc.createElementNS(svgNs, "g");
  header.setAttribute("aria-label", "title");
  for (const [line, px, weight] of texts) {
    y += Math.round(px * 1.3);
    el(doc, header, "text", {x: 0, y, "font-size": px, "font-weight": weight, "text-anchor": "start"}, line);
  }

  // The legend: Plot's own swatches are HTML, so draw them as SVG, flowing into rows.
  const legendG = doc.createElementNS(svgNs, "g");
  legendG.setAttribute("aria-label", "color legend");
  const color = chart.scale("color");
  const ordinal = color && (color.type === "ordinal" || color.type === "categorical") && Array.isArray(color.domain) && Array.isArray(color.range);
  if ((spec.legend ?? true) && ordinal) {
    const domain = color.domain as unknown[];
    const range = color.range as string[];
    const rowPx = legendPx + 8;
    y += gap;
    let x = 0;
    let rowY = y + rowPx / 2;
    if (spec.legendLabel) {
      el(doc, legendG, "text", {x, y: rowY, dy: "0.32em", "font-size": legendPx, "font-weight": "bold", "text-anchor": "start"}, spec.legendLabel);
      x += Math.ceil(spec.legendLabel.length * legendPx * glyphEm) + 10;
    }
    domain.forEach((value, i) => {
      const label = String(value);
      const itemPx = 15 + 5 + Math.ceil(label.length * legendPx * glyphEm) + 14;
      if (x > 0 && x + itemPx > widthPx) {
        x = 0;
        rowY += rowPx;
      }
      el(doc, legendG, "rect", {x, y: rowY - 7.5, width: 15, height: 15, fill: range[i % range.length]});
      el(doc, legendG, "text", {x: x + 20, y: rowY, dy: "0.32em", "font-size": legendPx, "text-anchor": "start"}, label);
      x += itemPx;
    });
    y = rowY + rowPx / 2;
  }
  y += gap;

  // The plot itself, moved into a group: a nested <svg> would inherit Plot's CSS (height: auto) in browsers.
  const body = doc.createElementNS(svgNs, "g");
  for (const attr of ["fill", "font-family", "font-size", "text-anchor"]) {
    const v = chart.getAttribute(attr);
    if (v !== null) body.setAttribute(attr, v);
  }
  body.setAttribute("transform", `translate(0,${y})`);
  body.setAttribute("aria-label", "plot");
  for (const child of [...chart.childNodes]) {
    if ((child as Element).tagName?.toLowerCase() === "style") continue;
    body.appendChild(child);
  }
  y += plotHeightPx;

  const footer = doc.createElementNS(svgNs, "g");
  if (spec.caption) {
    footer.setAttribute("aria-label", "caption");
    y += 4;
    for (const line of wrap(spec.caption, widthPx, legendPx)) {
      y += Math.round(legendPx * 1.3);
      el(doc, footer, "text", {x: 0, y, "font-size": legendPx, "text-anchor": "start", fill: "#555"}, line);
    }
  }
  const heightPx = Math.ceil(y + gap);

  out.setAttribute("width", String(widthPx));
  out.setAttribute("height", String(heightPx));
  out.setAttribute("viewBox", `0 0 ${widthPx} ${heightPx}`);
  out.setAttribute("role", "img");
  out.setAttribute("aria-label", spec.title);
  out.setAttribute("font-family", "system-ui, sans-serif");
  out.setAttribute("color", "#222");
  out.setAttribute("fill", "currentColor");
  out.setAttribute("style", "max-width: 100%; height: auto; background: white");
  el(doc, out, "title", {}, spec.title);
  el(doc, out, "rect", {width: "100%", height: "100%", fill: "white"});
  out.appendChild(header);
  if (legendG.childNodes.length) out.appendChild(legendG);
  out.appendChild(body);
  if (footer.childNodes.length) out.appendChild(footer);

  // Round every number in every attribute; text content keeps its digits.
  for (const e of [out, ...out.querySelectorAll("*")]) {
    for (const attr of [...e.attributes]) {
      const rounded = roundNumbers(attr.value);
      if (rounded !== attr.value) e.setAttribute(attr.name, rounded);
    }
  }
  const markup = new window.XMLSerializer().serializeToString(out);
  return normalizeIds(markup);
}

/**
 * Returns the frame every line chart of iosim shares: *widthPx* wide
 * (default 640), 340 high, room on the left for the y tick labels
 * (*marginLeftPx*, default 64), and a grid; spread it into `plot` and add
 * the axes and marks.
 *
 * ```ts
 * renderChart({title, plot: {...lineChartFrame(options.widthPx), x: {...}, y: {...}, marks}});
 * ```
 */
export function lineChartFrame(widthPx = 640, marginLeftPx = 64) {
  return {width: widthPx, height: 340, marginLeft: marginLeftPx, marginRight: 20, marginBottom: 40, grid: true} as const;
}

/**
 * Returns the rows of *rows* whose *fields* are all finite numbers (and,
 * for the fields in **positive**, > 0, as a log scale needs), so no NaN or
 * Infinity ever reaches a chart.
 */
export function finiteRows<T extends object>(rows: Iterable<T>, fields: ReadonlyArray<keyof T & string>, options: {positive?: ReadonlyArray<keyof T & string>} = {}): T[] {
  const positive = new Set<string>(options.positive ?? []);
  const out: T[] = [];
  for (const row of rows) {
    const r = row as Record<string, unknown>;
    if (fields.every((f) => typeof r[f] === "number" && Number.isFinite(r[f] as number) && (!positive.has(f) || (r[f] as number) > 0))) out.push(row);
  }
  return out;
}
