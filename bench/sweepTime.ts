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
 * Returns how well this machine runs *jobs* threads side by side right now:
 * the wall time of one busy loop on one thread, times *jobs*, over the wall
 * time of *jobs* such loops on *jobs* threads (best of *repeats*). About
 * *jobs* on idle cores; near 1 when other work holds the cores. It bounds
 * what any sweep can gain here, so the bench prints it beside the sweep's.
 */
export async function threadScaling(jobs = availableParallelism(), repeats = 2): Promise<number> {
  const code = `let x = 0; for (let i = 0; i < 2e8; i++) x += i % 7; require("node:worker_threads").parentPort.postMessage(x);`;
  const loops = async (n: number) => {
    const t0 = performance.now();
    await Promise.all(
      Array.from({length: n}, () => new Promise<void>((resolve, reject) => {
        const w = new Worker(code, {eval: true});
        w.once("message", () => void w.terminate().then(() => resolve()));
        w.once("error", reject);
      })),
    );
    return performance.now() - t0;
  };
  let one = Infinity;
  let all = Infinity;
  for (let r = 0; r < repeats; r++) {
    one = Math.min(one, await loops(1));
    all = Math.min(all, await loops(jobs));
  }
  return (one * jobs) / all;
}
