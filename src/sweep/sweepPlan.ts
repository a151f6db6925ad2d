/**
 * A sweep's plan: which runs make up the cross product, in which order, and
 * which of them one shard owns.
 *
 * Think of an odometer: each `--vary` key is a wheel holding its values, the
 * seeds are the fastest wheel on the right, and run index *i* is the reading
 * after *i* clicks. The plan never lists the runs; {@link runAt} turns an
 * index into its parameters, so a million-run sweep costs nothing to plan and
 * every shard, on any machine, reads the same odometer.
 */
import {createHash} from "node:crypto";
import {InputError} from "../errors.js";
import type {Profile} from "../host/profiles.js";
import {parseSize} from "../units.js";
import {parseScenarioParam, resolveParams, type ParamSpec, type ParamValues, type Scenario} from "../scenarios/scenario.js";

/** The version of the sweep definition hashed into {@link SweepPlan.id}; bumped when a run's meaning changes. */
export const sweepFormat = "iosim-sweep/1";

/** The most runs one sweep may have (a typo such as `1..1e9` should not plan a billion runs). */
export const maxSweepRuns = 10_000_000;

/** One varied parameter: its name and its values, in order. */
export interface SweepAxis {
  key: string;
  values: Array<string | number | boolean>;
}

/** What a sweep runs, before any run starts. */
export interface SweepPlan {
  scenario: string;
  /** Every parameter's value outside the axes: defaults overridden by `--set`. */
  base: ParamValues;
  /** The varied parameters, the first changing slowest. */
  axes: SweepAxis[];
  /** The seeds, changing fastest. */
  seeds: number[];
  profile: Profile;
  /** Event budget of each run. */
  maxEvents: number;
  /** Runs in the whole cross product (all shards). */
  runs: number;
  /** A hash of everything above and the iosim version: the sweep's identity, stored in every row. */
  id: string;
}

/** One run of a sweep. */
export interface SweepRun {
  /** Index in the cross product, 0-based. */
  run: number;
  values: ParamValues;
  seed: number;
}

/** Options of {@link planSweep}. */
export interface PlanSweepOptions {
  /** `--set key=value` pairs, fixed for every run. */
  sets?: ReadonlyArray<[string, string]>;
  /** `--vary` texts such as `strategy=sendfile,read-write` or `fileBytes=4KiB..1GiB:x4`, in order. */
  vary?: readonly string[];
  /** `--seeds` text: `0..9`, `0,3,7`, `5`; default `0`. */
  seeds?: string;
  profile: Profile;
  maxEvents: number;
  /** Written into the hash, so a newer iosim never resumes or merges an older one's rows. */
  version: string;
}

/**
 * Returns the plan of a sweep of *scenario*: the base values, one axis per
 * **vary** text (values parsed as the scenario parses `--set`), the seeds,
 * the run count and the sweep's id. Throws an {@link InputError} naming the
 * flag for an unknown key, a malformed range, a key varied twice or an empty
 * product.
 *
 * ```ts
 * planSweep(transferScenario, {vary: ["fileBytes=4KiB..1MiB:x4"], seeds: "0..2", profile, maxEvents: 1e8, version});
 * ```
 * @see runAt @see shardRuns
 */
export function planSweep(scenario: Scenario, options: PlanSweepOptions): SweepPlan {
  const sets = options.sets ?? [];
  const base = resolveParams(scenario, sets);
  const axes: SweepAxis[] = [];
  for (const text of options.vary ?? []) {
    const axis = parseVary(scenario, text);
    if (axes.some((a) => a.key === axis.key)) throw new InputError("--vary", text, `each key varied once (${axis.key} is already varied)`);
    if (sets.some(([k]) => k === axis.key)) throw new InputError("--vary", text, `a key not also fixed by --set (${axis.key} is)`);
    axes.push(axis);
  }
  const seeds = parseSeeds(options.seeds ?? "0");
  let runs = seeds.length;
  for (const a of axes) runs *= a.values.length;
  if (runs > maxSweepRuns) throw new InputError("--vary", (options.vary ?? []).join(" "), `at most ${maxSweepRuns} runs in all (this product has ${runs})`);
  const definition = {format: sweepFormat, version: options.version, scenario: scenario.name, base, axes, seeds, profile: options.profile, maxEvents: options.maxEvents};
  const id = createHash("sha256").update(JSON.stringify(definition)).digest("hex").slice(0, 16);
  return {scenario: scenario.name, base, axes, seeds, profile: options.profile, maxEvents: options.maxEvents, runs, id};
}

/** Returns run *index* of *plan*: the base values with each axis's value at that odometer reading, and its seed. */
export function runAt(plan: SweepPlan, index: number): SweepRun {
  let rest = index;
  const seed = plan.seeds[rest % plan.seeds.length];
  rest = Math.floor(rest / plan.seeds.length);
  const values: ParamValues = {...plan.base};
  for (let a = plan.axes.length - 1; a >= 0; a--) {
    const axis = plan.axes[a];
    values[axis.key] = axis.values[rest % axis.values.length];
    rest = Math.floor(rest / axis.values.length);
  }
  return {run: index, values, seed};
}

/**
 * Returns the axis written in `--vary` *text*: `key=item,item,...` where an
 * item is a value or a range, `a..b:+step` (linear) or `a..b:xfactor`
 * (geometric), both ends included when reached; `a..b` steps by 1. Ranges
 * work for sizes, integers and numbers; every value is checked as `--set`
 * checks it. Repeated values are kept once, in first-seen order.
 */
export function parseVary(scenario: Scenario, text: string): SweepAxis {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new InputError("--vary", text, "key=value,value,... or key=start..end:+step or key=start..end:xfactor");
  const key = text.slice(0, eq);
  const spec = scenario.params.find((p) => p.name === key);
  if (!spec) throw new InputError("--vary", text, `a key of scenario ${scenario.name}: one of ${scenario.params.map((p) => p.name).join(", ")}`);
  const items = text.slice(eq + 1).split(",");
  const values = new Set<string | number | boolean>();
  for (const item of items) {
    if (item.trim() === "") throw new InputError("--vary", text, `a non-empty list of ${key} values separated by commas`);
    const parsed = item.includes("..") ? parseRange(scenario, spec, item, text) : [parseVaryValue(scenario, spec, item, text)];
    for (const v of parsed) values.add(v);
  }
  // A Set keeps first-seen order and each value once.
  return {key, values: [...values]};
}

/** Returns *item* parsed by the scenario's schema as *spec*'s value, with the error naming `--vary` and the whole flag. */
function parseVaryValue(scenario: Scenario, spec: ParamSpec, item: string, text: string): string | number | boolean {
  try {
    return parseScenarioParam(scenario, spec.name, item.trim());
  } catch (err) {
    if (err instanceof InputError) throw new InputError("--vary", text, `${spec.name} values: ${err.message}`);
    throw err;
  }
}

/** Returns a size step such as `4KiB`, or NaN when it is not a size. */
function sizeStep(text: string): number {
  try {
    return parseSize("step", text, true);
  } catch {
    return NaN;
  }
}

/** Returns the values of range *item* (`a..b`, `a..b:+step`, `a..b:xfactor`). */
function parseRange(scenario: Scenario, spec: ParamSpec, item: string, text: string): number[] {
  const shape = `a range start..end, start..end:+step or start..end:xfactor with start ≤ end`;
  if (spec.kind !== "size" && spec.kind !== "integer" && spec.kind !== "number")
    throw new InputError("--vary", text, `a list of values for ${spec.name} (ranges are for sizes and numbers; ${spec.name} is ${spec.kind === "enum" ? `one of ${(spec.values ?? []).join(", ")}` : spec.kind})`);
  // start..end[:+step | :xfactor]
  const m = /^([^:]*?)\.\.([^:]*)(?::\s*([+x*])(.*))?$/.exec(item);
  if (!m || m[1].trim() === "" || m[2].trim() === "" || (m[3] !== undefined && m[4].trim() === "")) throw new InputError("--vary", text, shape);
  const start = parseVaryValue(scenario, spec, m[1], text) as number;
  const end = parseVaryValue(scenario, spec, m[2], text) as number;
  if (start > end) throw new InputError("--vary", text, shape);
  const integral = spec.kind !== "number";
  const out: number[] = [];
  if (m[3] === undefined || m[3] === "+") {
    // A linear step is written like a value of the parameter (`+4KiB` for a size).
    const step = m[3] === undefined ? 1 : spec.kind === "size" ? sizeStep(m[4]) : Number(m[4]);
    if (!Number.isFinite(step) || step <= 0 || (integral && !Number.isInteger(step))) throw new InputError("--vary", text, `a positive ${integral ? "whole " : ""}step after :+`);
    const count = Math.floor((end - start) / step + 1e-9) + 1;
    if (count > maxSweepRuns) throw new InputError("--vary", text, `at most ${maxSweepRuns} values`);
    // start + k·step, not a running sum, so 0.1 steps do not drift.
    for (let k = 0; k < count; k++) out.push(integral ? start + k * step : Number((start + k * step).toPrecision(15)));
  } else {
    const factor = Number(m[4]);
    if (!Number.isFinite(factor) || factor <= 1) throw new InputError("--vary", text, "a factor > 1 after :x");
    if (start <= 0) throw new InputError("--vary", text, "a geometric range starting above 0");
    for (let k = 0; ; k++) {
      const v = start * factor ** k;
      if (v > end * (1 + 1e-12)) break;
      out.push(integral ? Math.round(v) : Number(v.toPrecision(15)));
    }
  }
  // Each value passes the parameter's own checks (minimum, non-zero size).
  return out.map((v) => parseVaryValue(scenario, spec, String(v), text) as number);
}

/** Returns the seeds of `--seeds` *text*: `0..9` (inclusive), `1,5,9`, `7`, or a mix (`0..3,10`). */
export function parseSeeds(text: string): number[] {
  const expected = "integers or ranges a..b (inclusive), separated by commas, e.g. 0..9";
  const seeds: number[] = [];
  const seen = new Set<number>();
  for (const item of text.split(",")) {
    const m = /^\s*(-?\d+)\s*(?:\.\.\s*(-?\d+)\s*)?$/.exec(item);
    if (!m) throw new InputError("--seeds", text, expected);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || b < a) throw new InputError("--seeds", text, expected);
    if (b - a >= maxSweepRuns) throw new InputError("--seeds", text, `at most ${maxSweepRuns} seeds`);
    for (let s = a; s <= b; s++) {
      if (seen.has(s)) continue;
      seen.add(s);
      seeds.push(s);
    }
  }
  return seeds;
}

/** Which share of a sweep this process runs: shard *index* of *count*. */
export interface Shard {
  index: number;
  count: number;
}

/**
 * Returns the run indices shard *shard* owns, ascending: those with
 * `run mod count == index` (round-robin, so each shard gets its share of the
 * small and the large runs alike, wherever they sit in the product). Without
 * a shard, every run.
 */
export function shardRuns(runs: number, shard?: Shard): number[] {
  const out: number[] = [];
  const step = shard?.count ?? 1;
  for (let i = shard?.index ?? 0; i < runs; i += step) out.push(i);
  return out;
}

/**
 * Returns the shard written in `--shard` *text*: `i/n` (0 ≤ i < n), or
 * `auto` / `auto/n` to read it from the environment *env* of a cluster job:
 *
 * - Slurm job array (`sbatch --array=0-9`): `SLURM_ARRAY_TASK_ID` is this
 *   task's index, `SLURM_ARRAY_TASK_COUNT` the number of tasks, and
 *   `SLURM_ARRAY_TASK_MIN` / `SLURM_ARRAY_TASK_MAX` / `SLURM_ARRAY_TASK_STEP`
 *   the bounds and step of `--array` (Slurm's "Job Array Support" page,
 *   https://slurm.schedmd.com/job_array.html, and `man sbatch`, OUTPUT
 *   ENVIRONMENT VARIABLES). The shard is `(ID − MIN) / STEP` of COUNT (or of
 *   `(MAX − MIN) / STEP + 1`), so `--array=1-10` works as well as `0-9`.
 * - Kubernetes Indexed Job (`completionMode: Indexed`): the control plane
 *   sets `JOB_COMPLETION_INDEX` to the pod's index, 0 to
 *   `spec.completions − 1` (https://kubernetes.io/docs/tasks/job/indexed-parallel-processing-static/).
 *   Kubernetes does not expose `spec.completions` to the pod, so the count
 *   comes from `auto/n` or from `IOSIM_SHARD_COUNT`.
 */
export function parseShard(text: string, env: Record<string, string | undefined> = process.env): Shard {
  const expected = "i/n with 0 ≤ i < n (e.g. 2/8), auto (Slurm array or Kubernetes Indexed Job) or auto/n";
  const auto = /^auto(?:\/(\d+))?$/.exec(text.trim());
  if (auto) return shardFromEnv(text, auto[1] === undefined ? undefined : Number(auto[1]), env);
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new InputError("--shard", text, expected);
  const shard = {index: Number(m[1]), count: Number(m[2])};
  if (!(shard.count >= 1 && shard.index < shard.count)) throw new InputError("--shard", text, expected);
  return shard;
}

function shardFromEnv(text: string, countFlag: number | undefined, env: Record<string, string | undefined>): Shard {
  const int = (name: string): number | undefined => {
    const v = env[name];
    if (v === undefined || v === "") return undefined;
    if (!/^\d+$/.test(v.trim())) throw new InputError(`--shard ${text}: environment variable ${name}`, v, "a non-negative integer");
    return Number(v);
  };
  let index: number | undefined;
  let count: number | undefined;
  const slurmId = int("SLURM_ARRAY_TASK_ID");
  const k8sIndex = int("JOB_COMPLETION_INDEX");
  if (slurmId !== undefined) {
    const min = int("SLURM_ARRAY_TASK_MIN") ?? 0;
    const step = int("SLURM_ARRAY_TASK_STEP") || 1;
    const max = int("SLURM_ARRAY_TASK_MAX");
    index = (slurmId - min) / step;
    count = int("SLURM_ARRAY_TASK_COUNT") ?? (max === undefined ? undefined : Math.floor((max - min) / step) + 1);
    if (!Number.isInteger(index) || index < 0)
      throw new InputError(`--shard ${text}: SLURM_ARRAY_TASK_ID`, String(slurmId), `an index of --array=MIN-MAX:STEP (MIN ${min}, STEP ${step}); use a plain range such as --array=0-9`);
  } else if (k8sIndex !== undefined) {
    index = k8sIndex;
    count = int("IOSIM_SHARD_COUNT");
  } else {
    throw new InputError("--shard", text, "a Slurm array task (SLURM_ARRAY_TASK_ID set) or a Kubernetes Indexed Job pod (JOB_COMPLETION_INDEX set); outside one, write --shard i/n");
  }
  if (countFlag !== undefined) count = countFlag;
  if (count === undefined) throw new InputError("--shard", text, "a shard count: write --shard auto/N (N = the Job's spec.completions) or set IOSIM_SHARD_COUNT");
  if (!(count >= 1 && index < count)) throw new InputError("--shard", text, `a shard index below the count (index ${index} of ${count} from the environment)`);
  return {index, count};
}

/** Returns *plan*'s first *n* runs as text, one per line: `run 0: strategy=sendfile fileBytes=4096 seed=0`. */
export function describeRuns(plan: SweepPlan, indices: readonly number[], n: number): string[] {
  return indices.slice(0, n).map((i) => {
    const r = runAt(plan, i);
    const varied = plan.axes.map((a) => `${a.key}=${r.values[a.key]}`);
    return `run ${i}: ${[...varied, `seed=${r.seed}`].join(" ")}`;
  });
}
