/**
 * A simulation: one scheduler, one random source, one trace. No module-level
 * state, so any number of simulations can run side by side.
 */
import {Random} from "./random.js";
import {SimScheduler} from "./SimScheduler.js";
import {Trace} from "./trace.js";

/** What every model shares. */
export interface Sim {
  scheduler: SimScheduler;
  random: Random;
  trace: Trace;
  /** Runs until no work is pending (or *untilNs*); returns the virtual time reached, ns. */
  run(untilNs?: number): number;
}

/** Options of {@link createSim}. */
export interface SimOptions {
  /** Seed of the random source; default 0. */
  seed?: number;
  /** Keep every trace event (default) or only per-kind counts. */
  keepEvents?: boolean;
  /** Stop with an error after this many events (a runaway model); default 50 million. */
  maxEvents?: number;
}

/**
 * Returns a fresh simulation.
 *
 * ```ts
 * const sim = createSim({seed: 1});
 * timer(1_000, sim.scheduler).subscribe();
 * sim.run(); // 1000
 * ```
 */
export function createSim(options: SimOptions = {}): Sim {
  const {seed = 0, keepEvents = true, maxEvents = 50_000_000} = options;
  const scheduler = new SimScheduler();
  return {
    scheduler,
    random: new Random(seed),
    trace: new Trace(keepEvents),
    run: (untilNs = Infinity) => scheduler.run(untilNs, maxEvents),
  };
}
