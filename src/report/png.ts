/**
 * PNG images of charts, without a browser.
 *
 * resvg draws SVG only, and a Plot chart with a colour legend is an HTML
 * `<figure>`: a title (`<h2>`), a subtitle (`<h3>`), a legend of HTML
 * swatches, the plot `<svg>` and a caption. Like a print shop redrawing a web
 * page for paper, {@link chartSvg} lays that figure out again as one SVG, top
 * to bottom: title and subtitle as SVG text, the legend as the swatches'
 * own little SVGs with their labels beside them (wrapping at the plot's
 * width), every `<svg>` in the figure (the plot, ramp legends) nested as it
 * is, then the caption. A chart that is already an `<svg>` is drawn as is.
 *
 * Text is set in DejaVu Sans from the `dejavu-fonts-ttf` package, with
 * system fonts off, so the same chart gives the same PNG bytes on any
 * machine.
 */
import {createRequire} from "node:module";
import {dirname, join} from "node:path";
import type {ResvgRenderOptions} from "@resvg/resvg-js";

const require = createRequire(import.meta.url);

/** Options for {@link chartToPng}. */
export interface PngOptions {
  /** Pixels per CSS pixel; default 2 (sharp on high-density screens and in print). */
  scale?: number;
}

/** The DejaVu font files, resolved once. */
let fontFiles: string[] | undefined;

/** Returns the paths of the DejaVu Sans regular and bold TTF files from the `dejavu-fonts-ttf` package. */
export function dejavuFontFiles(): string[] {
  if (!fontFiles) {
    // The package has no "main"; resolve its package.json and look beside it.
    const dir = join(dirname(require.resolve("dejavu-fonts-ttf/package.json")), "ttf");
    fontFiles = [join(dir, "DejaVuSans.ttf"), join(dir, "DejaVuSans-Bold.ttf")];
  }
  return fontFiles;
}

/**
 * Returns a PNG of *chartHtml* (an `<svg>`, or Plot's `<figure>` with a
 * legend, laid out by {@link chartSvg}), drawn by resvg with only the
 * DejaVu fonts: byte-identical across runs and machines.
 *
 * ```ts
 * writeFileAtomic("throughput.png", chartToPng(chart.html));
 * ```
 */
export function chartToPng(chartHtml: string, options: PngOptions = {}): Uint8Array {
  const {scale = 2} = options;
  // Loaded on first use: a native module that library users who never make PNGs need not load.
  const {Resvg} = require("@resvg/resvg-js") as typeof import("@resvg/resvg-js");
  const renderOptions: ResvgRenderOptions = {
    font: {
      loadSystemFonts: false,
      fontFiles: dejavuFontFiles(),
      defaultFontFamily: "DejaVu Sans",
      sansSerifFamily: "DejaVu Sans",
      serifFamily: "DejaVu Sans",
      monospaceFamily: "DejaVu Sans",
    },
    fitTo: {mode: "zoom", value: scale},
    background: "white",
    logLevel: "off",
  };
  return new Resvg(chartSvg(chartHtml), renderOptions).render().asPng();
}

/** Layout constants of {@link chartSvg}, in CSS pixels. */
const pad = 8;
const titleSize = 16;
const subtitleSize = 12;
const textSize = 10;
/** DejaVu Sans averages about 0.62 em per character: enough to place legend labels. */
const charWidthEm = 0.62;

/**
 * Returns *chartHtml* as one standalone SVG document: an `<svg>` chart gets
 * its `xmlns`; a `<figure>` is laid out again as SVG (see the module
 * comment). Throws when the markup holds no `<svg>` at all.
 */
export function chartSvg(chartHtml: string): string {
  const {JSDOM} = require("jsdom") as typeof import("jsdom");
  const window = new JSDOM(`<!DOCTYPE html><body>${chartHtml}</body>`).window;
  try {
    const doc = window.document;
    const serializer = new window.XMLSerializer();
    const root = doc.body.firstElementChild;
    if (!root || !doc.querySelector("svg")) throw new Error("iosim: chart markup holds no <svg> to draw");
    if (root.tagName.toLowerCase() === "svg") return serializer.serializeToString(root);

    const width = Math.max(...[...doc.querySelectorAll("svg")].map((s) => numberAttr(s, "width", 0)), 320);
    const parts: string[] = [];
    let y = pad;
    const text = (content: string, size: number, bold = false, fill = "black"): void => {
      for (const line of wrap(content, size, width)) {
        y += size * 1.2;
        parts.push(`<text x="${pad}" y="${round(y - size * 0.25)}" font-family="DejaVu Sans" font-size="${size}"${bold ? ' font-weight="bold"' : ""} fill="${fill}">${escapeXml(line)}</text>`);
      }
      y += size * 0.4;
    };
    const walk = (el: Element): void => {
      const tag = el.tagName.toLowerCase();
      if (tag === "style" || tag === "script") return;
      if (tag === "svg") {
        const w = numberAttr(el, "width", width);
        const h = numberAttr(el, "height", 0) || viewBoxHeight(el, w);
        const clone = el.cloneNode(true) as Element;
        clone.setAttribute("x", String(pad));
        clone.setAttribute("y", String(round(y)));
        parts.push(serializer.serializeToString(clone));
        y += h + 4;
      } else if (tag === "h1" || tag === "h2") text(clean(el.textContent), titleSize, true);
      else if (tag === "h3") text(clean(el.textContent), subtitleSize, false, "#444");
      else if (tag === "figcaption" || tag === "p") text(clean(el.textContent), textSize, false, "#444");
      else if (/\bswatches\b|-swatches\b/.test(el.getAttribute("class") ?? "")) swatches(el);
      else for (const child of el.children) walk(child);
    };
    const swatches = (el: Element): void => {
      let x = pad;
      const rowHeight = 20;
      y += 4;
      for (const swatch of el.querySelectorAll("[class$='-swatch'], .swatch")) {
        const box = swatch.querySelector("svg");
        const label = clean(swatch.textContent);
        const bw = box ? numberAttr(box, "width", 15) : 0;
        const bh = box ? numberAttr(box, "height", 15) : 0;
        const itemWidth = bw + 5 + label.length * textSize * charWidthEm + 14;
        if (x > pad && x + itemWidth > pad + width) {
          x = pad;
          y += rowHeight;
        }
        if (box) {
          const clone = box.cloneNode(true) as Element;
          clone.setAttribute("x", String(round(x)));
          clone.setAttribute("y", String(round(y + (rowHeight - bh) / 2)));
          // Plot draws swatches with overflow: visible (stroke-only marks reach past the box).
          clone.setAttribute("overflow", "visible");
          parts.push(serializer.serializeToString(clone));
        }
        parts.push(`<text x="${round(x + bw + 5)}" y="${round(y + rowHeight / 2 + textSize * 0.35)}" font-family="DejaVu Sans" font-size="${textSize}" fill="black">${escapeXml(label)}</text>`);
        x += itemWidth;
      }
      y += rowHeight + 6;
    };
    walk(root);
    const total = Math.ceil(y + pad);
    const fullWidth = width + 2 * pad;
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${fullWidth}" height="${total}" viewBox="0 0 ${fullWidth} ${total}"><rect width="100%" height="100%" fill="white"/>${parts.join("")}</svg>`;
  } finally {
    window.close();
  }
}

function numberAttr(el: Element, name: string, fallback: number): number {
  const v = Number.parseFloat(el.getAttribute(name) ?? "");
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

function viewBoxHeight(el: Element, width: number): number {
  const vb = (el.getAttribute("viewBox") ?? "").trim().split(/[\s,]+/).map(Number);
  return vb.length === 4 && vb[2] > 0 ? (vb[3] * width) / vb[2] : 0;
}

function clean(s: string | null): string {
  return (s ?? "").replace(/\s+/g, " ").trim();
}

/** Splits *content* into lines that fit *width* at font *size*, by words. */
function wrap(content: string, size: number, width: number): string[] {
  const perLine = Math.max(10, Math.floor(width / (size * charWidthEm)));
  const lines: string[] = [];
  let line = "";
  for (const word of content.split(" ")) {
    if (line && line.length + 1 + word.length > perLine) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
