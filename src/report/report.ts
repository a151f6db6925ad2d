/**
 * `iosim report`: every study, run without Jupyter, into one folder you can
 * zip and send around.
 *
 * ```
 * <out>/index.html                          the report (self-contained, opens from file://)
 * <out>/data/<study>/<chart>.csv|json|arrow  the data behind each chart
 * <out>/data/<study>/<chart>.meta.json       its columns, parameters, seed, profiles, iosim version
 * <out>/png/<study>/<chart>.png             with --png: each chart as an image
 * <out>/manifest.json                       every file above with its size and SHA-256
 * ```
 *
 * Like a newspaper's print run, the pages are set first and the front page
 * goes out last: data and images are written before `index.html`, so the
 * index never links to a file that is not there yet. Every file is written
 * atomically. Files a previous run listed in `manifest.json` and this run
 * did not write (a study since removed) are deleted; nothing else in *out*
 * is touched.
 */
import {createHash} from "node:crypto";
import {existsSync, readFileSync, rmdirSync, rmSync} from "node:fs";
import {dirname, isAbsolute, join, normalize, relative, resolve, sep} from "node:path";
import {performance} from "node:perf_hooks";
import {InputError} from "../errors.js";
import type {StudyResult} from "../studies/study.js";
import {studies as allStudies} from "../studies/index.js";
import {buildInfo} from "../export/buildInfo.js";
import {exportStudy, type ExportedFile} from "../export/exportStudy.js";
import {removeStaleTempFiles, writeFileAtomic} from "../export/writeFileAtomic.js";
import {reportHtml} from "./html.js";
import {chartToPng} from "./png.js";
import {silentProgress, streamProgress, type ProgressStream, type ReportProgress} from "./progress.js";

/** A study the report can run: what `src/studies/index.ts` lists. */
export interface ReportStudy {
  id: string;
  title: string;
  run(params?: Record<string, unknown>): StudyResult;
}

/** Options for {@link writeReport}. */
export interface ReportOptions {
  /** The studies to run, in report order; default every study in `src/studies/index.ts`. */
  studies?: readonly ReportStudy[];
  /** Output folder; default `reports/iosim` (relative to the working directory). */
  out?: string;
  /** Parameters per study id, passed to its `run()`; default none (the study's defaults). */
  params?: Readonly<Record<string, Record<string, unknown>>>;
  /** Seed for every study (added to its parameters as `seed`); default: each study's own default. */
  seed?: number;
  /** Also draw every chart as a PNG under `<out>/png/`; default false. */
  png?: boolean;
  /** Where progress goes: `"auto"` (stderr, a bar at a terminal, lines otherwise; default), `"none"`, or a stream. */
  progress?: "auto" | "none" | ProgressStream | ReportProgress;
  /** Flush every file to disk before renaming it into place; default true. */
  fsync?: boolean;
}

/** What {@link writeReport} wrote. */
export interface ReportSummary {
  /** Absolute path of the output folder. */
  out: string;
  /** Absolute path of `index.html`. */
  index: string;
  /** Every file written, `index.html` and `manifest.json` included, paths relative to *out* with `/`. */
  files: Array<{path: string; bytes: number; sha256: string}>;
  /** Per study: id, title, charts, and wall-clock seconds to run, export and draw it. */
  studies: Array<{id: string; title: string; charts: number; seconds: number}>;
  /** Files of an earlier report that this one no longer writes, deleted (relative to *out*). */
  removed: string[];
}

/** The default output folder of `iosim report`. */
export {defaultReportDir} from "./defaults.js";
import {defaultReportDir} from "./defaults.js";

/** Layout version of manifest.json. */
const manifestFormat = "iosim-report/1";

/**
 * Runs every study in **studies** (default: all of `src/studies`) and writes the report folder **out**
 * (default `reports/iosim`): `index.html`, the data of every chart under
 * `data/<study>/`, with **png** the images under `png/<study>/`, and
 * `manifest.json`; returns what was written. The same studies, parameters
 * and seed write the same bytes, every file included. Throws an
 * {@link InputError} for a bad **out** or **seed**, an unknown study id in
 * **params**, or two studies with one id.
 *
 * ```ts
 * writeReport({out: "reports/iosim", png: true});
 * ```
 * @see exportStudy @see reportHtml
 */
export function writeReport(options: ReportOptions = {}): ReportSummary {
  const {studies = allStudies, params = {}, seed, png = false, fsync = true} = options;
  const outText = options.out ?? defaultReportDir;
  if (typeof outText !== "string" || outText.trim() === "") throw new InputError("--out", String(outText), "a folder path");
  if (seed !== undefined && !Number.isSafeInteger(seed)) throw new InputError("--seed", String(seed), "an integer");
  for (const id of Object.keys(params)) {
    if (!studies.some((s) => s.id === id)) throw new InputError("study id in params", id, `one of ${studies.map((s) => s.id).join(", ")}`);
  }
  const out = resolve(outText);
  const progress = toProgress(options.progress ?? "auto");
  const build = buildInfo();
  const written: ExportedFile[] = [];
  const results: StudyResult[] = [];
  const timings: ReportSummary["studies"] = [];

  // Temporary files left by a report that crashed mid-write.
  for (const dir of [out, join(out, "data"), join(out, "png")]) removeStaleTempFiles(dir);

  progress.begin(studies.length);
  studies.forEach((study, index) => {
    progress.start(index, study.id);
    const started = performance.now();
    const studyParams = {...(params[study.id] ?? {}), ...(seed === undefined ? {} : {seed})};
    const result = study.run(Object.keys(studyParams).length > 0 ? studyParams : undefined);
    if (results.some((r) => r.id === result.id)) throw new InputError("study id", result.id, "one study per id");
    results.push(result);
    const dataDir = join(out, "data", result.id);
    removeStaleTempFiles(dataDir);
    written.push(...exportStudy(result, dataDir, {fsync}));
    if (png) {
      const pngDir = join(out, "png", result.id);
      removeStaleTempFiles(pngDir);
      for (const chart of result.charts) {
        let bytes: Uint8Array;
        try {
          bytes = chartToPng(chart.html);
        } catch (err) {
          throw new Error(`chart ${result.id}/${chart.id}: cannot draw a PNG: ${err instanceof Error ? err.message : String(err)}`);
        }
        const path = join(pngDir, `${chart.id}.png`);
        writeFileAtomic(path, bytes, {fsync});
        written.push({path, bytes: bytes.length, sha256: sha256(bytes)});
      }
    }
    const seconds = (performance.now() - started) / 1000;
    timings.push({id: result.id, title: result.title, charts: result.charts.length, seconds});
    progress.done(index, result.id, seconds, result.charts.length);
  });

  const html = Buffer.from(reportHtml(results, {build, png, seed}), "utf8");
  const index = join(out, "index.html");
  writeFileAtomic(index, html, {fsync});
  written.push({path: index, bytes: html.length, sha256: sha256(html)});

  const files = written.map((f) => ({path: relative(out, f.path).split(sep).join("/"), bytes: f.bytes, sha256: f.sha256}));
  const removed = removeOldFiles(out, new Set(files.map((f) => f.path)));
  const manifest = Buffer.from(
    JSON.stringify({format: manifestFormat, iosim: build, seed: seed ?? null, png, studies: results.map((r) => r.id), files}, null, 2) + "\n",
    "utf8",
  );
  writeFileAtomic(join(out, "manifest.json"), manifest, {fsync});
  files.push({path: "manifest.json", bytes: manifest.length, sha256: sha256(manifest)});
  progress.end();
  return {out, index, files, studies: timings, removed};
}

function toProgress(p: NonNullable<ReportOptions["progress"]>): ReportProgress {
  if (p === "none") return silentProgress();
  if (p === "auto") return streamProgress(process.stderr);
  if ("begin" in p) return p;
  return streamProgress(p);
}

/**
 * Deletes the files the previous `manifest.json` in *out* lists that are not
 * in *keep* (and then-empty folders); returns them. Only paths inside *out*
 * are considered: a tampered manifest cannot delete anything elsewhere.
 */
function removeOldFiles(out: string, keep: Set<string>): string[] {
  const manifestPath = join(out, "manifest.json");
  if (!existsSync(manifestPath)) return [];
  let old: {files?: Array<{path?: unknown}>};
  try {
    old = JSON.parse(readFileSync(manifestPath, "utf8")) as typeof old;
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const entry of old.files ?? []) {
    const path = entry.path;
    if (typeof path !== "string" || keep.has(path) || path === "manifest.json") continue;
    const full = normalize(join(out, path));
    if (isAbsolute(path) || !full.startsWith(out + sep)) continue;
    rmSync(full, {force: true});
    removed.push(path);
    // Remove folders left empty, up to (not including) out.
    for (let dir = dirname(full); dir.startsWith(out + sep); dir = dirname(dir)) {
      try {
        rmdirSync(dir);
      } catch {
        break;
      }
    }
  }
  return removed;
}

function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
