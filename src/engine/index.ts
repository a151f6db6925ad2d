/**
 * `iosim/engine`: virtual time, processes, resources, the trace and the
 * random source. Loads RxJS and nothing else (no jsdom, no Plot), so a
 * script that only simulates starts fast.
 */
export {SimScheduler, SimulationLimitError} from "./SimScheduler.js";
export {createSim, type Sim, type SimOptions} from "./sim.js";
export {Random, zipf} from "./random.js";
export {Trace, type TraceEvent, type TraceKind} from "./trace.js";
export {Resource} from "./Resource.js";
export {spawn, launch, use, sleep, wait, Signal, type Command, type ProcessBody, type UseCommand, type SleepCommand, type WaitCommand} from "./process.js";
export {mergeProcesses} from "./mergeProcesses.js";
