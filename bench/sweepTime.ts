/**
 * How much `iosim sweep` gains from worker threads: the same sweep of 1,000
 * small `transfer` runs on one worker and on every core, through the library
 * call the CLI makes ({@link runSweep}: workers started, runs journaled,
 * the Arrow file written), each into a temporary folder removed afterwards.
 *
 * ```ts
 * const {oneMs, allMs, jobs} = await timeSweep();
 * console.log(`sweep/1job=${(oneMs / allMs).toFixed(2)}`);
 * ```
 */
import {mkdtempSync, readFileSync, rmSync} from "node:fs";
import {availableParallelism, tmpdir} from "node:os";
import {join} from "node:path";
import {performance} from "node:perf_hooks";
import {Worker} from "node:worker_threads";
import {workerResourceLimits} from "../src/heapFlags.js";
import {loadProfile} from "../src/host/profiles.js";
import {defaultMaxEvents} from "../src/scenarios/scenario.js";
import {transferScenario} from "../src/scenarios/transfer.js";
import {runSweep} from "../src/sweep/runSweep.js";
import {planSweep} from "../src/sweep/sweepPlan.js";

/** What {@link timeSweep} measured. */
export interface SweepTime {
  /** Runs in the sweep. */
  runs: number;
  /** Best wall-clock ms on one worker. */
  oneMs: number;
  /** Best wall-clock ms on *jobs* workers. */
  allMs: number;
  /** Workers of the second sweep: `os.availableParallelism()`. */
  jobs: number;
}

/**
 * Returns the best of *repeats* wall-clock times of a 1,000-run sweep (4
 * strategies × 4 MiB × seeds 0..249) on one worker and on every core,
 * interleaved so both share the machine's noise; throws if the two files
 * differ.
 */
export async function timeSweep(repeats = 2): Promise<SweepTime> {
  const plan = planSweep(transferScenario, {
    vary: ["strategy=read-write,mmap-write,sendfile,sendfile-sg"],
    sets: [["fileBytes", "4MiB"]],
    seeds: "0..249",
    profile: loadProfile(),
    maxEvents: defaultMaxEvents,
    version: "bench",
  });
  const jobs = availableParallelism();
  const dir = mkdtempSync(join(tmpdir(), "iosim-sweep-bench-"));
  let oneMs = Infinity;
  let allMs = Infinity;
  try {
    for (let r = 0; r < repeats; r++) {
      for (const [n, name] of [[1, "one"], [jobs, "all"]] as const) {
        const out = join(dir, `${name}-${r}.arrow`);
        const t0 = performance.now();
        await runSweep(plan, {out, jobs: n});
        const ms = performance.now() - t0;
        if (n === 1) oneMs = Math.min(oneMs, ms);
        else allMs = Math.min(allMs, ms);
      }
      if (!readFileSync(join(dir, `one-${r}.arrow`)).equals(readFileSync(join(dir, `all-${r}.arrow`)))) throw new Error("the sweep on one worker and on every core wrote different files");
    }
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
  return {runs: plan.runs, oneMs, allMs, jobs};
}

/**
 * Returns how well this machine runs the same simulations on *jobs* threads
 * side by side right now, with none of the sweep's machinery (no queue, no
 * messages per run, no journal): the wall time of *runs* transfer runs on
 * one bare worker thread, times *jobs*, over the wall time of *jobs* bare
 * threads doing *runs* each (best of *repeats*). About *jobs* on idle cores
 * that do not share caches or memory bandwidth; lower on a shared or
 * throttled machine. It bounds what any sweep can gain here, so the bench
 * prints it beside `sweep/1job`.
 */
export async function threadScaling(jobs = availableParallelism(), runs = 250, repeats = 3): Promise<number> {
  const module = (path: string) => JSON.stringify(new URL(path, import.meta.url).href);
  const code = `
    const {transferScenario} = await import(${module("../src/scenarios/transfer.js")});
    const {resolveParams} = await import(${module("../src/scenarios/scenario.js")});
    const {loadProfile} = await import(${module("../src/host/profiles.js")});
    const {parentPort, workerData} = await import("node:worker_threads");
    const profile = loadProfile();
    const values = resolveParams(transferScenario, [["fileBytes", "4MiB"]]);
    for (let i = 0; i < 20; i++) transferScenario.run(values, {seed: i, profile});
    const t0 = performance.now();
    for (let i = 0; i < workerData; i++) transferScenario.run(values, {seed: i, profile});
    parentPort.postMessage(performance.now() - t0);`;
  const url = new URL("data:text/javascript," + encodeURIComponent(code));
  // Each thread times its own runs (start-up excluded); the slowest thread is the wall time of the batch.
  const batch = (n: number) =>
    Promise.all(
      Array.from({length: n}, () => new Promise<number>((resolve, reject) => {
        const w = new Worker(url, {workerData: runs, resourceLimits: workerResourceLimits});
        w.once("message", (ms: number) => void w.terminate().then(() => resolve(ms)));
        w.once("error", reject);
      })),
    ).then((ms) => Math.max(...ms));
  let one = Infinity;
  let all = Infinity;
  for (let r = 0; r < repeats; r++) {
    one = Math.min(one, await batch(1));
    all = Math.min(all, await batch(jobs));
  }
  return (one * jobs) / all;
}
