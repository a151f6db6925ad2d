/**
 * A sweep's worker thread: receives runs from the main thread, runs each
 * with the scenario named in `workerData`, and posts back its result or its
 * error message. One run at a time, in the order received.
 */
import {parentPort, workerData} from "node:worker_threads";
import {SimulationLimitError} from "../engine/SimScheduler.js";
import type {Profile} from "../host/profiles.js";
import {scenarios} from "../scenarios/index.js";
import {checkEventBudget, type ParamValues} from "../scenarios/scenario.js";

/** What the main thread hands every worker when it starts. */
export interface SweepWorkerData {
  scenario: string;
  profile: Profile;
  maxEvents: number;
}

/** A run sent to a worker. */
export interface SweepWorkerTask {
  run: number;
  values: ParamValues;
  seed: number;
}

/** A worker's answer: the run's result, or why it failed. */
export type SweepWorkerReply = {run: number; result: Record<string, unknown>} | {run: number; error: string};

const data = workerData as SweepWorkerData;
const scenario = scenarios.find((s) => s.name === data.scenario);
if (!scenario) throw new Error(`unknown scenario ${data.scenario}`);
const port = parentPort!;

port.on("message", (task: SweepWorkerTask) => {
  let reply: SweepWorkerReply;
  try {
    const ctx = {seed: task.seed, profile: data.profile, maxEvents: data.maxEvents};
    // A run estimated over the budget fails before it starts, as `iosim run` refuses it.
    checkEventBudget(scenario, task.values, ctx, data.maxEvents);
    reply = {run: task.run, result: scenario.run(task.values, ctx)};
  } catch (err) {
    const error =
      err instanceof SimulationLimitError
        ? `stopped after ${data.maxEvents} events (--max-events); raise the limit with --max-events N`
        : err instanceof Error
          ? err.message
          : String(err);
    reply = {run: task.run, error};
  }
  try {
    port.postMessage(reply);
  } catch (err) {
    // A result that cannot cross threads (a function, a class instance) is the run's failure, not the sweep's.
    port.postMessage({run: task.run, error: `result could not be sent from the worker: ${err instanceof Error ? err.message : String(err)}`});
  }
});
