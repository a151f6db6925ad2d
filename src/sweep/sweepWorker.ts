/**
 * A sweep's worker thread: receives runs from the main thread, runs each
 * with the scenario named in `workerData`, and posts back its result or its
 * error message. One run at a time, in the order received.
 */
import {parentPort, workerData} from "node:worker_threads";
import {SimulationLimitError} from "../engine/SimScheduler.js";
import {InputError} from "../errors.js";
import type {Profile} from "../host/profiles.js";
import {scenarios} from "../scenarios/index.js";
import {checkEventBudget, type ParamValues} from "../scenarios/scenario.js";

/** What the main thread hands every worker when it starts. */
export interface SweepWorkerData {
  scenario: string;
  profile: Profile;
  maxEvents: number;
  /** The seed every budget estimate uses (the sweep's first), so a combination's verdict is the same on any worker. */
  budgetSeed: number;
}

/** A run sent to a worker. */
export interface SweepWorkerTask {
  run: number;
  values: ParamValues;
  seed: number;
}

/** A worker's answer: the run's result, or why it failed, and the wall-clock ms the run took in the worker (how many runs to keep queued). */
export type SweepWorkerReply = {run: number; ms: number; result: Record<string, unknown>} | {run: number; ms: number; error: string};

const data = workerData as SweepWorkerData;
const scenario = scenarios.find((s) => s.name === data.scenario);
if (!scenario) throw new Error(`unknown scenario ${data.scenario}`);
const port = parentPort!;

/**
 * The budget check's verdict per parameter combination (null: within the
 * budget; else the refusal's message). The estimate runs small versions of
 * the scenario, as costly as a small run itself, so it is made once per
 * combination, with {@link SweepWorkerData.budgetSeed}, not once per seed;
 * the verdict then depends on the parameters only, never on which worker
 * got which run. Cleared when it grows large (a sweep of a million
 * combinations gains nothing from it).
 */
const budgetVerdicts = new Map<string, string | null>();

/** Throws the budget check's refusal for *values*, from the cache when this combination was checked before. */
function checkBudget(values: ParamValues): void {
  const key = JSON.stringify(values);
  let verdict = budgetVerdicts.get(key);
  if (verdict === undefined) {
    try {
      checkEventBudget(scenario!, values, {seed: data.budgetSeed, profile: data.profile, maxEvents: data.maxEvents}, data.maxEvents);
      verdict = null;
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      verdict = err.message;
    }
    if (budgetVerdicts.size >= 10_000) budgetVerdicts.clear();
    budgetVerdicts.set(key, verdict);
  }
  if (verdict !== null) throw new Error(verdict);
}

/** A test hook: the worker thread dies (exit code 70) when handed this run, as one out of memory would. */
const crashRun = process.env.IOSIM_SWEEP_TEST_CRASH_RUN ? Number(process.env.IOSIM_SWEEP_TEST_CRASH_RUN) : undefined;

port.on("message", (task: SweepWorkerTask) => {
  if (task.run === crashRun) process.exit(70);
  const t0 = performance.now();
  let reply: SweepWorkerReply;
  try {
    // A run estimated over the budget fails before it starts, as `iosim run` refuses it.
    checkBudget(task.values);
    const result = scenario!.run(task.values, {seed: task.seed, profile: data.profile, maxEvents: data.maxEvents});
    reply = {run: task.run, ms: performance.now() - t0, result};
  } catch (err) {
    const error =
      err instanceof SimulationLimitError
        ? `stopped after ${data.maxEvents} events (--max-events); raise the limit with --max-events N`
        : err instanceof Error
          ? err.message
          : String(err);
    reply = {run: task.run, ms: performance.now() - t0, error};
  }
  try {
    port.postMessage(reply);
  } catch (err) {
    // A result that cannot cross threads (a function, a class instance) is the run's failure, not the sweep's.
    port.postMessage({run: task.run, ms: reply.ms, error: `result could not be sent from the worker: ${err instanceof Error ? err.message : String(err)}`});
  }
});
