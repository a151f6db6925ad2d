/**
 * Running a sweep: the runs of one shard spread over worker threads, each
 * finished run journaled, the table written once at the end.
 *
 * Like a kitchen with several cooks and one pass: orders (runs) go to
 * whichever cook is free, dishes come back in any order, the pass writes each
 * one in the book as it arrives, and the table is served (the output file
 * written) only when every dish is there, plated in menu order (by run
 * index), so the result does not depend on how many cooks there were.
 */
import {availableParallelism} from "node:os";
import {existsSync, mkdirSync, rmSync} from "node:fs";
import {dirname, resolve} from "node:path";
import {Worker} from "node:worker_threads";
import {writeFileAtomic} from "../export/writeFileAtomic.js";
import {workerResourceLimits} from "../heapFlags.js";
import {SweepJournal, journalPath} from "./SweepJournal.js";
import {metadataPath, metadataText, sweepMetadata} from "./sweepMetadata.js";
import {runAt, shardRuns, sweepFormat, type Shard, type SweepPlan} from "./sweepPlan.js";
import {encodeSweep, readSweepFile, sweepColumns, sweepFormatOf, sweepRow, type SweepRow} from "./sweepTable.js";
import type {SweepWorkerData, SweepWorkerReply, SweepWorkerTask} from "./sweepWorker.js";

/** How far a sweep has got, for a progress display. */
export interface SweepProgressInfo {
  /** Rows done, resumed ones included. */
  done: number;
  /** Rows this shard has in all. */
  total: number;
  /** Rows resumed from the journal or an earlier output (not run now). */
  resumed: number;
  /** Failed runs among the rows done. */
  failed: number;
}

/** Options of {@link runSweep}. */
export interface RunSweepOptions {
  /** The output file: `.arrow`, `.csv` or `.json`. */
  out: string;
  /** Run only this share of the runs; default all. */
  shard?: Shard;
  /** Worker threads; default every core (`os.availableParallelism()`), never more than the runs. */
  jobs?: number;
  /** Called after each row (and once at the start). */
  onProgress?: (info: SweepProgressInfo) => void;
  /** Stops the sweep: workers end, the journal is kept, the promise rejects with a {@link SweepStoppedError}. */
  signal?: AbortSignal;
  /** Stop after this many runs have finished in this call, as if interrupted (used by tests of resuming). */
  stopAfter?: number;
  /** Flush the journal and the output to disk; default true. */
  fsync?: boolean;
}

/** What {@link runSweep} did. */
export interface SweepSummary {
  out: string;
  /** Rows written. */
  rows: number;
  /** Columns written. */
  columns: number;
  /** Runs run by this call. */
  executed: number;
  /** Rows taken from the journal or the existing output instead of running again. */
  resumed: number;
  /** Rows with an error. */
  failed: number;
  /** Whether the output was already complete (nothing run, nothing written). */
  upToDate: boolean;
}

/** Thrown by {@link runSweep} when it stopped before the end; the journal keeps the rows done. */
export class SweepStoppedError extends Error {
  constructor(
    readonly done: number,
    readonly total: number,
    readonly journal: string,
  ) {
    super(`stopped after ${done} of ${total} runs; rerun the same command to resume (journal: ${journal})`);
    this.name = "SweepStoppedError";
  }
}

/**
 * Runs the runs of *plan* that *options.shard* owns on worker threads and
 * writes one row per run, sorted by run index, to **out**; resolves to a
 * summary. Each finished run is appended to the journal `<out>.partial.ndjson`
 * first, so a rerun after an interruption skips the runs already done; the
 * output and its sidecar `<out>.meta.json` ({@link SweepMetadata}) are
 * written atomically at the end and the journal removed. An output
 * already holding every row of this sweep is left as it is. A run that throws
 * becomes a row with its message in the `error` column.
 *
 * ```ts
 * await runSweep(planSweep(transferScenario, {vary: ["fileBytes=4KiB..64KiB:x2"], profile, maxEvents, version}), {out: "t.arrow"});
 * ```
 * @see planSweep @see mergeSweeps
 */
export async function runSweep(plan: SweepPlan, options: RunSweepOptions): Promise<SweepSummary> {
  const {out, shard, fsync = true} = options;
  const format = sweepFormatOf("--out", out);
  const owned = shardRuns(plan.runs, shard);
  const sweepInfo = {runs: plan.runs, id: plan.id};
  const journalFile = journalPath(out);

  // An output already complete for this sweep and shard: nothing to do.
  if (!existsSync(journalFile) && existsSync(out)) {
    const previous = tryReadOutput(out);
    if (previous && previous.sweep?.id === plan.id && sameRuns(previous.rows, owned)) {
      const failed = previous.rows.filter((r) => r.error !== undefined).length;
      options.onProgress?.({done: owned.length, total: owned.length, resumed: owned.length, failed});
      return {out, rows: owned.length, columns: sweepColumns(previous.rows).length, executed: 0, resumed: owned.length, failed, upToDate: true};
    }
  }

  mkdirSync(dirname(resolve(out)), {recursive: true});
  const shardText = shard ? `${shard.index}/${shard.count}` : null;
  const journal = SweepJournal.open(journalFile, {format: sweepFormat, id: plan.id, runs: plan.runs, shard: shardText}, {fsync});
  const ownedSet = new Set(owned);
  const rows = new Map<number, SweepRow>();
  for (const [run, row] of journal.resumed) if (ownedSet.has(run)) rows.set(run, row);
  const resumed = rows.size;
  let failed = [...rows.values()].filter((r) => r.error !== null && r.error !== undefined).length;
  const pending = owned.filter((i) => !rows.has(i));
  const progress = () => options.onProgress?.({done: rows.size, total: owned.length, resumed, failed});
  progress();

  let executed = 0;
  try {
    await runOnWorkers(plan, pending, options, (row) => {
      journal.append(row);
      rows.set(row.run as number, row);
      executed++;
      if (row.error !== null && row.error !== undefined) failed++;
      progress();
    });
  } catch (err) {
    journal.close();
    if (err instanceof StopSignal) throw new SweepStoppedError(rows.size, owned.length, journalFile);
    throw err;
  }
  journal.close();

  const sorted = owned.map((i) => rows.get(i)!);
  const bytes = encodeSweep(sorted, format, sweepInfo);
  // The sidecar first: a crash between the two leaves no table, so the rerun writes both.
  const meta = sweepMetadata(plan, shardText, out, bytes, sorted.length, sweepColumns(sorted));
  writeFileAtomic(metadataPath(out), metadataText(meta), {fsync});
  writeFileAtomic(out, bytes, {fsync});
  rmSync(journalFile, {force: true});
  return {out, rows: sorted.length, columns: sweepColumns(sorted).length, executed, resumed, failed, upToDate: false};
}

/** Rejection reason inside {@link runOnWorkers} when the sweep is asked to stop. */
class StopSignal extends Error {}

/** Wall-clock ms of work each sweep worker is given ahead (see {@link runOnWorkers}). */
const QUEUED_MS = 20;
/** Most runs a sweep worker holds at once. */
const MAX_HELD = 32;

/**
 * Runs *indices* of *plan* on worker threads, calling *onRow* in the main
 * thread as each finishes (in completion order). Each worker holds the runs
 * of about {@link QUEUED_MS} of its work (at least two, from the run times
 * measured so far), so none idles while its next run crosses the thread
 * boundary or while the main thread is busy for a moment (a garbage
 * collection, a row written); the last runs then leave the workers at most
 * that far apart. A worker that dies (out of memory, say) fails the run it
 * was on and is replaced; its other runs go back in the queue.
 */
function runOnWorkers(plan: SweepPlan, indices: number[], options: RunSweepOptions, onRow: (row: SweepRow) => void): Promise<void> {
  if (indices.length === 0) return Promise.resolve();
  const jobs = Math.max(1, Math.min(options.jobs ?? availableParallelism(), indices.length));
  const data: SweepWorkerData = {scenario: plan.scenario, profile: plan.profile, maxEvents: plan.maxEvents, budgetSeed: plan.seeds[0]};
  const workerUrl = new URL("./sweepWorker.js", import.meta.url);
  return new Promise((resolve, reject) => {
    /** Runs not yet handed out, ascending (a queue read from *next*). */
    const queue = indices.slice();
    let next = 0;
    /** Runs handed back by a dead worker, run before the queue. */
    const retry: number[] = [];
    /** Runs finished in this call. */
    let finished = 0;
    /** Live workers and the runs each holds, oldest first. */
    const live = new Map<Worker, number[]>();
    let settled = false;
    /** Run times reported by the workers, ms, and how many: how many runs make {@link QUEUED_MS}. */
    let runMs = 0;
    let runsTimed = 0;
    const depth = () => (runsTimed === 0 ? 2 : Math.max(2, Math.min(MAX_HELD, Math.ceil((QUEUED_MS * runsTimed) / Math.max(runMs, 1e-3)))));

    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener("abort", onAbort);
      const stopping = [...live.keys()];
      live.clear();
      Promise.all(stopping.map((w) => w.terminate())).then(
        () => (err ? reject(err) : resolve()),
        () => (err ? reject(err) : resolve()),
      );
    };
    const onAbort = () => finish(new StopSignal());
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener("abort", onAbort);

    const takeRun = (): number | undefined => (retry.length > 0 ? retry.shift() : next < queue.length ? queue[next++] : undefined);
    const feed = (worker: Worker) => {
      const held = live.get(worker)!;
      const most = depth();
      while (held.length < most) {
        const run = takeRun();
        if (run === undefined) break;
        held.push(run);
        const task: SweepWorkerTask = runAt(plan, run);
        worker.postMessage(task);
      }
      if (held.length === 0) {
        live.delete(worker);
        void worker.terminate();
        if (live.size === 0) finish();
      }
    };
    const complete = (row: SweepRow) => {
      onRow(row);
      finished++;
      if (options.stopAfter !== undefined && finished >= options.stopAfter && finished < indices.length) finish(new StopSignal());
    };
    const start = () => {
      const worker = new Worker(workerUrl, {workerData: data, resourceLimits: workerResourceLimits});
      live.set(worker, []);
      worker.on("message", (reply: SweepWorkerReply) => {
        if (settled) return;
        const held = live.get(worker);
        if (!held) return;
        held.splice(held.indexOf(reply.run), 1);
        runMs += reply.ms;
        runsTimed++;
        const {values, seed} = runAt(plan, reply.run);
        complete(sweepRow(reply.run, values, seed, "error" in reply ? {error: reply.error} : {result: reply.result}));
        if (!settled) feed(worker);
      });
      const died = (why: string) => {
        if (settled) return;
        const held = live.get(worker);
        if (!held) return;
        live.delete(worker);
        // The worker runs its runs in order: the first it held is the one that killed it.
        const [culprit, ...rest] = held;
        retry.unshift(...rest);
        if (culprit !== undefined) {
          const {values, seed} = runAt(plan, culprit);
          complete(sweepRow(culprit, values, seed, {error: `worker thread died: ${why}`}));
        }
        if (settled) return;
        if (retry.length > 0 || next < queue.length) {
          const w = start();
          feed(w);
        } else if (live.size === 0) finish();
      };
      worker.on("error", (err) => died(err.message));
      worker.on("exit", (code) => died(`exit code ${code}`));
      return worker;
    };
    try {
      for (let i = 0; i < jobs; i++) feed(start());
    } catch (err) {
      finish(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

/** Returns the rows of an existing output file, or null when it is not a sweep file. */
function tryReadOutput(out: string) {
  try {
    return readSweepFile("--out", out);
  } catch {
    return null;
  }
}

function sameRuns(rows: readonly SweepRow[], owned: readonly number[]): boolean {
  if (rows.length !== owned.length) return false;
  const runs = rows.map((r) => r.run as number).sort((a, b) => a - b);
  return runs.every((r, i) => r === owned[i]);
}
