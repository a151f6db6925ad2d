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
 * is touched. {@link writeReportParallel} sets several pages at once: each
 * worker thread runs a study and writes its files; the front page still goes
 * out last, from this thread.
 */
import {existsSync, readFileSync, rmdirSync, rmSync} from "node:fs";
import {availableParallelism} from "node:os";
import {dirname, isAbsolute, join, normalize, relative, resolve, sep} from "node:path";
import {fileURLToPath} from "node:url";
import {Worker} from "node:worker_threads";
import {InputError} from "../errors.js";
import {workerResourceLimits} from "../heapFlags.js";
import type {StudyResult} from "../studies/study.js";
import {studies as allStudies, type StudyEntry} from "../studies/index.js";
import {buildInfo} from "../export/buildInfo.js";
import type {ExportedFile} from "../export/exportStudy.js";
import {removeStaleTempFiles, writeFileAtomic} from "../export/writeFileAtomic.js";
import {reportPage} from "./html.js";
import type {ReportWorkerError, ReportWorkerReply, ReportWorkerTask} from "./reportWorker.js";
import {runReportStudy, sha256, type ReportStudyOutput} from "./runReportStudy.js";
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

/** The report worker's entry, compiled beside this file (`dist/src/report/`). */
const workerUrl = new URL("./reportWorker.js", import.meta.url);

/**
 * Runs every study in **studies** (default: all of `src/studies`) and writes the report folder **out**
 * (default `reports/iosim`): `index.html`, the data of every chart under
 * `data/<study>/`, with **png** the images under `png/<study>/`, and
 * `manifest.json`; returns what was written. The same studies, parameters
 * and seed write the same bytes, every file included. Throws an
 * {@link InputError} for a bad **out** or **seed**, an unknown study id in
 * **params**, or two studies with one id. The studies run one after another
 * in this thread; {@link writeReportParallel} runs them on worker threads.
 *
 * ```ts
 * writeReport({out: "reports/iosim", png: true});
 * ```
 * @see exportStudy @see reportHtml @see writeReportParallel
 */
export function writeReport(options: ReportOptions = {}): ReportSummary {
  const report = prepareReport(options);
  const {studies, out, png, fsync, progress} = report;
  const outputs: ReportStudyOutput[] = [];
  startReport(report);
  studies.forEach((study, index) => {
    progress.start(index, study.id);
    const output = runReportStudy((p) => study.run(p), {out, params: studyParams(report, study.id), png, fsync}, (result) => {
      if (outputs.some((o) => o.section.id === result.id)) throw new InputError("study id", result.id, "one study per id");
    });
    outputs.push(output);
    progress.done(index, output.section.id, output.seconds, output.section.charts.length);
  });
  return finishReport(report, outputs);
}

/** Options for {@link writeReportParallel}: those of {@link writeReport} and how many worker threads. */
export interface ParallelReportOptions extends ReportOptions {
  /**
   * Worker threads running studies at once; default every core
   * (`os.availableParallelism()`), never more than the studies that can run
   * on one. 1 (or a single such study) runs {@link writeReport}, in this thread.
   */
  jobs?: number;
}

/**
 * Rough wall-clock seconds of each shipped study with its defaults (measured
 * on a 2-core machine): workers take the longest first, so the last to finish
 * is a short one. Only the order of the work depends on it, never the output;
 * a study not listed counts as 1 s.
 */
const expectedSeconds: Readonly<Record<string, number>> = {"reactor-proactor": 14, servers: 14, "zero-copy": 8, "page-cache": 6, multiplexing: 2, dma: 0.6};

/**
 * Writes the same report as {@link writeReport}, byte for byte, with the
 * studies running on **jobs** worker threads at once (default every core):
 * each worker runs a study, writes its data and PNGs and renders its section
 * of the page; this thread then writes `index.html` and `manifest.json`, as
 * {@link writeReport} does. Only the shipped studies (the entries of
 * `src/studies/index.ts`, which a worker finds by id) go to workers; any other
 * study in **studies** (a user's file, the validation) runs in this thread
 * meanwhile. A study that throws fails the report with its error (an
 * {@link InputError} stays one); the other workers are stopped, and neither
 * `index.html` nor `manifest.json` is written.
 *
 * ```ts
 * await writeReportParallel({out: "reports/iosim", jobs: 2});
 * ```
 * @see writeReport
 */
export async function writeReportParallel(options: ParallelReportOptions = {}): Promise<ReportSummary> {
  const {jobs} = options;
  if (jobs !== undefined && !(Number.isSafeInteger(jobs) && jobs >= 1)) throw new InputError("--jobs", String(jobs), "a positive number of worker threads");
  const candidates = options.studies ?? allStudies;
  const shipped = candidates.flatMap((s, index) => (allStudies.includes(s as StudyEntry) ? [index] : []));
  const threads = Math.min(jobs ?? availableParallelism(), shipped.length);
  // Run from the TypeScript sources (no compiled worker beside this file), the studies run here.
  if (threads <= 1 || !existsSync(fileURLToPath(workerUrl))) return writeReport(options);

  const report = prepareReport(options);
  const {studies, out, png, fsync, progress} = report;
  const ids = studies.map((s) => s.id);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice !== undefined) throw new InputError("study id", twice, "one study per id");
  startReport(report);
  const outputs: Array<ReportStudyOutput | undefined> = studies.map(() => undefined);
  const tasks: ReportWorkerTask[] = shipped
    .map((index) => ({index, id: ids[index], out, params: studyParams(report, ids[index]), png, fsync}))
    .sort((a, b) => (expectedSeconds[b.id] ?? 1) - (expectedSeconds[a.id] ?? 1));
  const pool = runOnWorkers(tasks, threads, {
    start: (task) => progress.start(task.index, task.id),
    done: (task, output) => {
      outputs[task.index] = output;
      progress.done(task.index, output.section.id, output.seconds, output.section.charts.length);
    },
  });
  // Awaited below; a failure before then is not "unhandled".
  pool.done.catch(() => {});
  try {
    // The studies a worker cannot load run here while the workers work.
    studies.forEach((study, index) => {
      if (shipped.includes(index)) return;
      progress.start(index, study.id);
      const output = runReportStudy((p) => study.run(p), {out, params: studyParams(report, study.id), png, fsync}, (result) => {
        if (ids.some((id, j) => j !== index && id === result.id)) throw new InputError("study id", result.id, "one study per id");
      });
      outputs[index] = output;
      progress.done(index, output.section.id, output.seconds, output.section.charts.length);
    });
    await pool.done;
  } catch (err) {
    await pool.stop();
    throw err;
  }
  return finishReport(report, outputs as ReportStudyOutput[]);
}

/** A report's checked options and what its parts share. */
interface PreparedReport {
  studies: readonly ReportStudy[];
  params: Readonly<Record<string, Record<string, unknown>>>;
  seed: number | undefined;
  png: boolean;
  fsync: boolean;
  /** Absolute path of the output folder. */
  out: string;
  progress: ReportProgress;
}

/** Returns *options* checked, with their defaults; throws an {@link InputError} for a bad one. */
function prepareReport(options: ReportOptions): PreparedReport {
  const {studies = allStudies, params = {}, seed, png = false, fsync = true} = options;
  const outText = options.out ?? defaultReportDir;
  if (typeof outText !== "string" || outText.trim() === "") throw new InputError("--out", String(outText), "a folder path");
  if (seed !== undefined && !Number.isSafeInteger(seed)) throw new InputError("--seed", String(seed), "an integer");
  for (const id of Object.keys(params)) {
    if (!studies.some((s) => s.id === id)) throw new InputError("study id in params", id, `one of ${studies.map((s) => s.id).join(", ")}`);
  }
  return {studies, params, seed, png, fsync, out: resolve(outText), progress: toProgress(options.progress ?? "auto")};
}

/** The parameters study *id* runs with: its own from **params**, the report's seed; undefined when none. */
function studyParams(report: PreparedReport, id: string): Record<string, unknown> | undefined {
  const {params, seed} = report;
  const p = {...(params[id] ?? {}), ...(seed === undefined ? {} : {seed})};
  return Object.keys(p).length > 0 ? p : undefined;
}

/** Clears what a crashed report left and starts the progress display. */
function startReport(report: PreparedReport): void {
  const {out} = report;
  // Temporary files left by a report that crashed mid-write.
  for (const dir of [out, join(out, "data"), join(out, "png")]) removeStaleTempFiles(dir);
  report.progress.begin(report.studies.length);
}

/** Writes `index.html` from the studies' *outputs* (in report order), removes an earlier report's leftovers, then writes `manifest.json`. */
function finishReport(report: PreparedReport, outputs: readonly ReportStudyOutput[]): ReportSummary {
  const {out, png, seed, fsync, progress} = report;
  const ids = outputs.map((o) => o.section.id);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice !== undefined) throw new InputError("study id", twice, "one study per id");
  const build = buildInfo();
  const written: ExportedFile[] = outputs.flatMap((o) => o.files);
  const html = Buffer.from(
    reportPage(
      outputs.map((o) => o.section),
      {build, png, seed},
    ),
    "utf8",
  );
  const index = join(out, "index.html");
  writeFileAtomic(index, html, {fsync});
  written.push({path: index, bytes: html.length, sha256: sha256(html)});

  const files = written.map((f) => ({path: relative(out, f.path).split(sep).join("/"), bytes: f.bytes, sha256: f.sha256}));
  const removed = removeOldFiles(out, new Set(files.map((f) => f.path)));
  const manifest = Buffer.from(JSON.stringify({format: manifestFormat, iosim: build, seed: seed ?? null, png, studies: ids, files}, null, 2) + "\n", "utf8");
  writeFileAtomic(join(out, "manifest.json"), manifest, {fsync});
  files.push({path: "manifest.json", bytes: manifest.length, sha256: sha256(manifest)});
  progress.end();
  const studies = outputs.map((o) => ({id: o.section.id, title: o.section.title, charts: o.section.charts.length, seconds: o.seconds}));
  return {out, index, files, studies, removed};
}

/** A pool of report workers: settles when every task is done, or at the first failure. */
interface ReportPool {
  done: Promise<void>;
  /** Terminates every worker; resolves when they are gone. */
  stop(): Promise<void>;
}

/**
 * Runs *tasks* on *threads* worker threads, in the order given, one study per
 * worker at a time, calling *on.start* as each is handed out and *on.done*
 * (in completion order, in this thread) as each finishes. The first study
 * that fails (or a worker that dies) terminates every worker and rejects
 * `done` with that study's error.
 */
function runOnWorkers(
  tasks: readonly ReportWorkerTask[],
  threads: number,
  on: {start(task: ReportWorkerTask): void; done(task: ReportWorkerTask, output: ReportStudyOutput): void},
): ReportPool {
  /** Live workers and the task each runs (none between tasks). */
  const live = new Map<Worker, ReportWorkerTask | undefined>();
  let next = 0;
  let settled = false;
  let settle!: {resolve(): void; reject(err: Error): void};
  const done = new Promise<void>((resolve, reject) => (settle = {resolve, reject}));
  const finish = (err?: Error) => {
    if (settled) return;
    settled = true;
    const stopping = [...live.keys()];
    live.clear();
    const end = () => (err ? settle.reject(err) : settle.resolve());
    Promise.all(stopping.map((w) => w.terminate())).then(end, end);
  };
  const feed = (worker: Worker) => {
    if (next >= tasks.length) {
      live.delete(worker);
      void worker.terminate();
      if (live.size === 0) finish();
      return;
    }
    const task = tasks[next++];
    live.set(worker, task);
    on.start(task);
    worker.postMessage(task);
  };
  const start = () => {
    const worker = new Worker(workerUrl, {resourceLimits: workerResourceLimits});
    live.set(worker, undefined);
    worker.on("message", (reply: ReportWorkerReply) => {
      const task = live.get(worker);
      if (settled || !task) return;
      if ("error" in reply) return finish(fromPlainError(reply.error));
      try {
        on.done(task, reply.output);
      } catch (err) {
        return finish(err instanceof Error ? err : new Error(String(err)));
      }
      feed(worker);
    });
    const died = (why: string) => {
      if (settled || !live.has(worker)) return;
      const task = live.get(worker);
      finish(new Error(`report worker${task ? ` running ${task.id}` : ""} died: ${why}`));
    };
    worker.on("error", (err) => died(err.message));
    worker.on("exit", (code) => died(`exit code ${code}`));
    return worker;
  };
  try {
    for (let i = 0; i < Math.min(threads, tasks.length); i++) feed(start());
    if (tasks.length === 0) finish();
  } catch (err) {
    finish(err instanceof Error ? err : new Error(String(err)));
  }
  return {
    done,
    stop() {
      finish(new Error("report stopped"));
      return done.then(
        () => {},
        () => {},
      );
    },
  };
}

/** Returns the error a worker sent as plain data, as the serial report would have thrown it (an {@link InputError} stays one). */
function fromPlainError(plain: ReportWorkerError): Error {
  const err = plain.kind === "input" ? new InputError(plain.param, plain.value, plain.expected) : Object.assign(new Error(plain.message), {name: plain.name});
  if (plain.stack !== undefined) err.stack = plain.stack;
  return err;
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
