/**
 * Counts and costs of a finished run, read off the trace and the resources.
 */
import type {Trace} from "../engine/trace.js";
import type {Resource} from "../engine/Resource.js";

/** The seed's counts, each the number of trace events of one kind. */
export interface Counts {
  /** User↔kernel transitions (the seed's "context switches"). */
  contextSwitches: number;
  /** DMA transfers. */
  dmaCopies: number;
  /** CPU memory-to-memory copies. */
  cpuCopies: number;
  /** System calls. */
  syscalls: number;
  /** Interrupts handled. */
  interrupts: number;
  /** Switches between processes or threads. */
  taskSwitches: number;
}

/** Returns the counts recorded in *trace*; with *since* (an earlier snapshot), only those recorded after it. */
export function countEvents(trace: Trace, since?: Counts): Counts {
  const counts: Counts = {
    contextSwitches: trace.count("mode-switch"),
    dmaCopies: trace.count("dma-copy"),
    cpuCopies: trace.count("cpu-copy"),
    syscalls: trace.count("syscall"),
    interrupts: trace.count("irq"),
    taskSwitches: trace.count("task-switch"),
  };
  if (since) for (const k of Object.keys(counts) as Array<keyof Counts>) counts[k] -= since[k];
  return counts;
}

/**
 * Returns the share of *cpu*'s busy time so far spent in each category
 * (fractions summing to 1, categories in alphabetical order); `{}` when the
 * CPU never ran anything. With *since* (an earlier
 * `cpu.busyNsByTagSoFar()`), only the time after it.
 */
export function cpuShare(cpu: Resource, since?: ReadonlyMap<string, number>): Record<string, number> {
  const busy = [...cpu.busyNsByTagSoFar()].map(([tag, ns]) => [tag, ns - (since?.get(tag) ?? 0)] as const).filter(([, ns]) => ns > 0);
  const total = busy.reduce((sum, [, ns]) => sum + ns, 0);
  const out: Record<string, number> = {};
  if (total <= 0) return out;
  for (const [tag, ns] of busy.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) out[tag] = ns / total;
  return out;
}

/** Returns busy time so far / (units × *elapsedNs*): the fraction of the resource's capacity used since time 0. */
export function utilization(resource: Resource, elapsedNs: number): number {
  return elapsedNs > 0 ? resource.busyNsSoFar() / (resource.units * elapsedNs) : 0;
}

/** Returns bytes per second for *bytes* moved in *ns* (0 when no time passed). */
export function bytesPerSec(bytes: number, ns: number): number {
  return ns > 0 ? (bytes / ns) * 1e9 : 0;
}
