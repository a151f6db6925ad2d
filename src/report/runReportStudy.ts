/**
 * One study's share of the report: run it, export its data, draw its PNGs,
 * render its section of the page. The serial report and the report's worker
 * threads both call it, so a study gives the same bytes wherever it runs.
 */
import {createHash} from "node:crypto";
import {join} from "node:path";
import {performance} from "node:perf_hooks";
import type {StudyResult} from "../studies/study.js";
import {exportStudy, type ExportedFile} from "../export/exportStudy.js";
import {removeStaleTempFiles, writeFileAtomic} from "../export/writeFileAtomic.js";
import {reportSection, type ReportSection} from "./html.js";
import {chartToPng} from "./png.js";

/** How {@link runReportStudy} runs and writes a study. */
export interface ReportStudyOptions {
  /** Absolute path of the report folder. */
  out: string;
  /** The study's parameters (seed included), or none for its defaults. */
  params?: Record<string, unknown>;
  /** Also draw every chart as a PNG. */
  png: boolean;
  /** Flush every file to disk before renaming it into place. */
  fsync: boolean;
}

/** What one study left: its rendered section, the files it wrote (absolute paths) and its wall-clock seconds. Plain data. */
export interface ReportStudyOutput {
  section: ReportSection;
  files: ExportedFile[];
  seconds: number;
}

/**
 * Runs *run* with **params**, writes its data under `<out>/data/<id>/` and,
 * with **png**, its images under `<out>/png/<id>/` (each file atomically), and
 * returns its rendered section and the files written. *check* sees the result
 * before anything is written (the serial report refuses a second study with
 * one id there).
 */
export function runReportStudy(
  run: (params?: Record<string, unknown>) => StudyResult,
  options: ReportStudyOptions,
  check: (result: StudyResult) => void = () => {},
): ReportStudyOutput {
  const {out, params, png, fsync} = options;
  const started = performance.now();
  const result = run(params);
  check(result);
  const files: ExportedFile[] = [];
  const dataDir = join(out, "data", result.id);
  removeStaleTempFiles(dataDir);
  files.push(...exportStudy(result, dataDir, {fsync}));
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
      files.push({path, bytes: bytes.length, sha256: sha256(bytes)});
    }
  }
  const section = reportSection(result, {png});
  return {section, files, seconds: (performance.now() - started) / 1000};
}

/** Returns the SHA-256 of *data*, in hex. */
export function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
