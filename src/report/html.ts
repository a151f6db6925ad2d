/**
 * The report page: one self-contained HTML file.
 *
 * Like a printed lab report, everything is inside the one document: the
 * styles are inline, charts are inline SVG, tables are HTML, and nothing is
 * fetched: no fonts, scripts, images or stylesheets from anywhere, so it
 * opens from `file://`, from an e-mail attachment or offline. The only links
 * are plain relative `<a href>`s to the exported data beside it, followed only
 * when clicked.
 */
import {toHTML} from "arquero";
import type {StudyResult} from "../studies/study.js";
import type {BuildInfo} from "../export/buildInfo.js";

/** What {@link reportHtml} needs besides the study results. */
export interface ReportPageInfo {
  /** iosim version and commit, printed in the header. */
  build: BuildInfo;
  /** Whether PNGs were written beside the report (adds links to them). */
  png: boolean;
  /** The seed given on the command line, if any (printed in the reproduce line). */
  seed?: number;
  /** Rows shown per table before it is cut short; default 500. */
  maxTableRows?: number;
}

/** One study's part of the page, rendered: its section and what the contents list needs. Plain data, so a worker thread can send it. */
export interface ReportSection {
  /** The study's id (its result's). */
  id: string;
  title: string;
  /** Its charts, in order, for the contents list. */
  charts: Array<{id: string; title: string}>;
  /** The `<section>` element. */
  html: string;
}

/**
 * Returns the report page for *results*: a header, a table of contents, then
 * a section per study (question, parameters, charts with links to their
 * data files, tables, notes). Deterministic: the same results give the same
 * bytes; element ids inside each chart are renumbered and scoped to the
 * chart, because Plot numbers its clip paths per process.
 * @see reportSection @see reportPage
 */
export function reportHtml(results: readonly StudyResult[], info: ReportPageInfo): string {
  return reportPage(
    results.map((r) => reportSection(r, info)),
    info,
  );
}

/**
 * Returns study *r*'s section of the page, rendered, with what the contents
 * list needs; {@link reportPage} assembles sections rendered anywhere (a
 * worker thread, say) into the same bytes as {@link reportHtml}.
 */
export function reportSection(r: StudyResult, info: Pick<ReportPageInfo, "png" | "maxTableRows">): ReportSection {
  return {id: r.id, title: r.title, charts: r.charts.map((c) => ({id: c.id, title: c.title})), html: studySection(r, info.png, info.maxTableRows ?? 500)};
}

/** Returns the report page made of *sections* (from {@link reportSection}), in order. */
export function reportPage(sections: readonly ReportSection[], info: ReportPageInfo): string {
  const {build, png, seed} = info;
  const chartCount = sections.reduce((n, r) => n + r.charts.length, 0);
  const reproduce = `iosim report${seed === undefined ? "" : ` --seed ${seed}`}${png ? " --png" : ""}`;
  const out: string[] = [];
  out.push(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="iosim ${esc(build.version)}">
<title>iosim report</title>
<style>${css}</style>
</head>
<body>
<header>
<h1>iosim report</h1>
<p class="lede">How an operating system moves data, simulated in virtual time: ${sections.length} ${plural(sections.length, "study", "studies")}, ${chartCount} ${plural(chartCount, "chart", "charts")}.</p>
<p class="build">iosim ${esc(build.version)}${build.commit ? ` · commit <code>${esc(build.commit)}</code>` : ""} · reproduce with <code>${esc(reproduce)}</code></p>
</header>
<nav aria-label="Contents">
<h2>Contents</h2>
<ol>`);
  for (const r of sections) {
    out.push(`<li><a href="#${esc(sectionId(r.id))}">${esc(r.title)}</a>`);
    if (r.charts.length > 0) {
      out.push(`<ol>${r.charts.map((c) => `<li><a href="#${esc(chartId(r.id, c.id))}">${esc(c.title)}</a></li>`).join("")}</ol>`);
    }
    out.push(`</li>`);
  }
  out.push(`</ol>
</nav>
<main>`);
  for (const r of sections) out.push(r.html);
  out.push(`</main>
<footer>
<p>Every number above comes from a simulation in virtual time; the same parameters and seed give the same report, byte for byte. Chart data: <code>data/&lt;study&gt;/&lt;chart&gt;.csv</code>, <code>.json</code>, <code>.arrow</code> and <code>.meta.json</code> beside this file.</p>
</footer>
</body>
</html>
`);
  return out.join("\n");
}

function studySection(r: StudyResult, png: boolean, maxTableRows: number): string {
  const out: string[] = [];
  out.push(`<section class="study" id="${esc(sectionId(r.id))}">
<h2>${esc(r.title)}</h2>
<p class="question">${esc(r.question)}</p>
<h3>Parameters</h3>
${paramsTable(r.params)}`);
  if (r.charts.length > 0) out.push(`<h3>Charts</h3>`);
  for (const c of r.charts) {
    const base = `data/${r.id}/${c.id}`;
    const links = [
      `<a href="${esc(base)}.csv">CSV</a>`,
      `<a href="${esc(base)}.json">JSON</a>`,
      `<a href="${esc(base)}.arrow">Arrow</a>`,
      `<a href="${esc(base)}.meta.json">metadata</a>`,
      ...(png ? [`<a href="png/${esc(r.id)}/${esc(c.id)}.png">PNG</a>`] : []),
    ];
    out.push(`<figure class="chart" id="${esc(chartId(r.id, c.id))}" data-chart="${esc(`${r.id}/${c.id}`)}">
<div class="chart-body">${scopeIds(c.html, chartId(r.id, c.id))}</div>
<figcaption><span class="chart-title">${esc(c.title)}</span> · ${c.data.numRows()} rows · data: ${links.join(" ")}</figcaption>
</figure>`);
  }
  if (r.tables.length > 0) out.push(`<h3>Tables</h3>`);
  for (const t of r.tables) {
    const rows = t.table.numRows();
    const shown = Math.min(rows, maxTableRows);
    out.push(`<div class="table" id="${esc(`table-${r.id}-${t.id}`)}">
<h4>${esc(t.title)}</h4>
<div class="table-scroll">${toHTML(t.table, {limit: shown, null: () => "—"})}</div>${
      shown < rows ? `\n<p class="more">First ${shown} of ${rows} rows.</p>` : ""
    }
</div>`);
  }
  if (r.notes.length > 0) out.push(`<h3>Notes</h3>\n<ul class="notes">${r.notes.map((n) => `<li>${esc(n)}</li>`).join("\n")}</ul>`);
  out.push(`</section>`);
  return out.join("\n");
}

/** The parameters as a two-column table; nested values as compact JSON. */
function paramsTable(params: Record<string, unknown>): string {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && typeof v !== "function");
  if (entries.length === 0) return `<p class="none">None.</p>`;
  const rows = entries.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td><code>${esc(formatParam(v))}</code></td></tr>`);
  return `<table class="params"><tbody>${rows.join("")}</tbody></table>`;
}

function formatParam(v: unknown): string {
  if (typeof v === "string") return v;
  const text = JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x)) ?? String(v);
  return text.replace(/,(?=["\[{\d-])/g, ", ");
}

/**
 * Returns *markup* with every `id` renamed to `<scope>-<n>` (n in order of
 * first appearance) and every reference to it (`url(#id)`, `href="#id"`)
 * updated: ids stay unique across charts and do not depend on how many
 * charts the process drew before (Plot's `plot-clip-N` counter).
 */
export function scopeIds(markup: string, scope: string): string {
  const ids = new Map<string, string>();
  for (const m of markup.matchAll(/\sid="([^"]+)"/g)) if (!ids.has(m[1])) ids.set(m[1], `${scope}-${ids.size + 1}`);
  if (ids.size === 0) return markup;
  const name = (id: string): string => ids.get(id) ?? id;
  return markup
    .replace(/(\sid=")([^"]+)(")/g, (_s, a: string, id: string, b: string) => a + name(id) + b)
    .replace(/url\(#([^)"'\s]+)\)/g, (_s, id: string) => `url(#${name(id)})`)
    .replace(/(href=")#([^"]+)(")/g, (_s, a: string, id: string, b: string) => `${a}#${name(id)}${b}`);
}

function sectionId(study: string): string {
  return `study-${study}`;
}

function chartId(study: string, id: string): string {
  return `chart-${study}-${id}`;
}

function plural(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}

function esc(s: string): string {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** The page's only style sheet, inline. System fonts only: nothing is downloaded. */
const css = `
:root { color-scheme: light; --ink: #1b1b1f; --muted: #5a5a66; --rule: #d9d9e0; --accent: #3856c4; --panel: #f6f6f9; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: white; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
header, nav, main, footer { max-width: 980px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 28px; }
h1 { font-size: 28px; margin: 0 0 4px; }
h2 { font-size: 22px; margin: 0 0 8px; }
h3 { font-size: 16px; margin: 24px 0 8px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
h4 { font-size: 15px; margin: 16px 0 6px; }
a { color: var(--accent); }
code { font: 13px/1.4 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
.lede { font-size: 17px; margin: 4px 0; }
.build { color: var(--muted); font-size: 13px; margin: 4px 0 16px; }
nav { border-top: 1px solid var(--rule); border-bottom: 1px solid var(--rule); padding-top: 12px; padding-bottom: 12px; }
nav h2 { font-size: 16px; }
nav ol { margin: 0; padding-left: 22px; }
nav ol ol { font-size: 14px; }
.study { border-bottom: 1px solid var(--rule); padding: 28px 0; }
.question { font-size: 17px; font-style: italic; margin: 0; }
table { border-collapse: collapse; font-size: 13px; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 10px; border-bottom: 1px solid var(--rule); }
thead th { background: var(--panel); position: sticky; top: 0; }
table.params th { text-align: left; font-weight: 600; }
.table-scroll { max-height: 480px; overflow: auto; border: 1px solid var(--rule); display: inline-block; max-width: 100%; }
.more, .none { color: var(--muted); font-size: 13px; }
figure.chart { margin: 16px 0 28px; }
.chart-body { overflow-x: auto; }
figure.chart > figcaption { color: var(--muted); font-size: 13px; margin-top: 6px; }
.chart-title { color: var(--ink); font-weight: 600; }
.notes li { margin: 4px 0; }
footer { color: var(--muted); font-size: 13px; padding-top: 16px; padding-bottom: 40px; }
@media print { nav { display: none; } .study { break-before: page; } .table-scroll { max-height: none; overflow: visible; } }
`;
