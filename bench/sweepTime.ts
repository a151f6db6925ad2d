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
 * strategies × 1 MiB × seeds 0..249) on one worker and on every core,
 * interleaved so both share the machine's noise; throws if the two files
 * differ.
 */
export async function timeSweep(repeats = 2): Promise<SweepTime> {
  const plan = planSweep(transferScenario, {
    vary: ["strategy=read-write,mmap-write,sendfile,sendfile-sg"],
    sets: [["fileBytes", "1MiB"]],
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
