/**
 * Scenarios: the runs the CLI knows by name, each with typed parameters.
 *
 * A scenario declares its parameters once, as a list of {@link ParamSpec}
 * (name, kind, default, unit, meaning); {@link scenarioSchema} makes the zod
 * schema from it, and `--set key=value`, `--vary`, the defaults, `iosim list`
 * and `iosim run <scenario> --help` all come from that schema, with errors
 * that name the parameter, the value and what was expected.
 */
import {createSim, type Sim} from "../engine/sim.js";
import {InputError} from "../errors.js";
import type {Profile} from "../host/profiles.js";
import {parseInput} from "../params/parseInput.js";
import {paramsSchema, parseParams, type ParamSpec, type ParamValue, type ParamValues, type ParamsSchema} from "../params/ParamSpec.js";

export type {ParamSpec, ParamValue, ParamValues} from "../params/ParamSpec.js";
export {parseParam} from "../params/ParamSpec.js";

/** What a scenario run gets besides its parameters. */
export interface RunContext {
  seed: number;
  profile: Profile;
  /**
   * The engine's event budget (`createSim`'s **maxEvents**): the run stops
   * with a `SimulationLimitError` past it; default {@link defaultMaxEvents}.
   * The CLI's `--max-events` sets it, and refuses a run whose estimate
   * exceeds it before it starts ({@link checkEventBudget}).
   */
  maxEvents?: number;
  /** Called with the simulation as soon as it exists, before it runs (progress display, trace writer). */
  onSim?: (sim: Sim) => void;
}

/** The default event budget of a scenario run: 10^8 scheduler events (minutes of run time, not hours). */
export const defaultMaxEvents = 100_000_000;

/** Options every scenario's run function takes besides its own parameters. */
export interface ScenarioSimOptions {
  seed?: number;
  /** Keep every trace event in memory (tests that read them); default false, so memory stays flat however long the run. */
  keepEvents?: boolean;
  /** The engine's event budget; default {@link defaultMaxEvents}. */
  maxEvents?: number;
  /** Called with the simulation before it runs (progress, trace writer). */
  onSim?: (sim: Sim) => void;
}

/** Returns a fresh simulation for a scenario run, with its budget, already handed to **onSim**. */
export function scenarioSim(o: ScenarioSimOptions, keepEventsByDefault = false): Sim {
  const sim = createSim({seed: o.seed ?? 0, keepEvents: o.keepEvents ?? keepEventsByDefault, maxEvents: o.maxEvents ?? defaultMaxEvents});
  o.onSim?.(sim);
  return sim;
}

/** A named run. */
export interface Scenario {
  name: string;
  description: string;
  params: ParamSpec[];
  run(values: ParamValues, ctx: RunContext): Record<string, unknown>;
  /**
   * Returns about how many scheduler events a run with *values* takes,
   * measured on small runs of the same scenario and extrapolated to the
   * size asked for (never a hand-typed table, so it follows the model).
   * Optional for a user's own scenario: without it no run is refused up
   * front, and the engine's budget stops one that runs past it.
   */
  estimateEvents?(values: ParamValues, ctx: RunContext): number;
  /** The parameters the event count grows with, checked by {@link checkEventBudget} to say which one made a run large. */
  sizeParams?: readonly string[];
}

/**
 * Raised before a run whose estimated event count exceeds the budget: an
 * {@link InputError} naming the parameter that made it large, so the CLI
 * prints one line and exits 2.
 */
export class EventBudgetError extends InputError {
  constructor(
    param: string,
    value: string,
    /** The estimated scheduler events of the run refused. */
    readonly estimatedEvents: number,
    /** The budget it exceeded. */
    readonly maxEvents: number,
    /** Which way *param* shrinks the run. */
    direction: "lower" | "raise" = "lower",
  ) {
    super(param, value, `a run within --max-events ${maxEvents}`);
    this.message = `${param}=${value} makes this run about ${estimatedEvents.toPrecision(2)} events, over the budget of ${maxEvents}; ${direction} ${param} or raise the limit with --max-events N`;
    this.name = "EventBudgetError";
  }
}

/**
 * Throws an {@link EventBudgetError} when *scenario* with *values* would take
 * more than *maxEvents* scheduler events. The parameter named is the one
 * among the scenario's {@link Scenario.sizeParams} that, set back to its
 * default, shrinks the estimate most. Returns the estimate.
 */
export function checkEventBudget(scenario: Scenario, values: ParamValues, ctx: RunContext, maxEvents: number): number {
  const estimate = scenario.estimateEvents;
  if (estimate === undefined) return 0; // no estimate: the engine's budget still stops the run
  const events = estimate.call(scenario, values, ctx);
  if (events <= maxEvents) return events;
  const sizeParams = scenario.sizeParams ?? [];
  let culprit = sizeParams[0] ?? "the run";
  let smallest = Infinity;
  const defaults = resolveParams(scenario, []);
  for (const name of sizeParams) {
    if (values[name] === defaults[name]) continue;
    const e = estimate.call(scenario, {...values, [name]: defaults[name]}, ctx);
    if (e < smallest) {
      smallest = e;
      culprit = name;
    }
  }
  const direction = (values[culprit] as number) < (defaults[culprit] as number) ? "raise" : "lower";
  throw new EventBudgetError(culprit, String(values[culprit]), events, maxEvents, direction);
}

/**
 * Returns the scheduler events of a run of size *n* (chunks, reads, ns...),
 * measured exactly by *eventsAt* when *n* ≤ *n2*, else extrapolated on the
 * straight line through the runs of sizes *n1* < *n2*: events per unit
 * from their difference, so fixed start-up costs are not multiplied.
 */
export function extrapolateEvents(n: number, n1: number, n2: number, eventsAt: (n: number) => number): number {
  if (n <= n2) return eventsAt(n);
  const e1 = eventsAt(n1);
  const e2 = eventsAt(n2);
  return e2 + ((e2 - e1) / (n2 - n1)) * (n - n2);
}

/**
 * Returns the zod schema of *scenario*'s parameters, made from its
 * {@link ParamSpec} list (once per list): `--set`, `--vary`, the defaults,
 * `iosim list` and `iosim run <scenario> --help` all read it.
 */
export function scenarioSchema(scenario: Pick<Scenario, "params">): ParamsSchema {
  return paramsSchema(scenario.params);
}

/**
 * Returns the scenario's values: defaults overridden by *sets* (`key → text`,
 * the last one of a key wins), parsed by its schema; an unknown key or a bad
 * value is an {@link InputError} naming it.
 */
export function resolveParams(scenario: Scenario, sets: ReadonlyArray<[string, string]>): ParamValues {
  return parseParams(scenario.params, Object.fromEntries(sets), `scenario ${scenario.name}`);
}

/** Returns the value of *scenario*'s parameter *key* parsed from *text* by its schema (`--vary` items); an unknown key is an {@link InputError}. */
export function parseScenarioParam(scenario: Scenario, key: string, text: string): ParamValue {
  const field = scenarioSchema(scenario).shape[key];
  if (field === undefined) return resolveParams(scenario, [[key, text]])[key]; // throws the unknown key's error
  return parseInput(field, text, {where: key}) as ParamValue;
}
