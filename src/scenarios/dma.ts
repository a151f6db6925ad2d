/**
 * `iosim run dma`: read from the disk with programmed I/O or with DMA while
 * another process wants the CPU, and see who gets it.
 */
import {spawn, type ProcessBody} from "../engine/process.js";
import {Host} from "../host/Host.js";
import {diskKinds, type DiskKind} from "../host/devices.js";
import type {Profile} from "../host/profiles.js";
import {dmaRead, pioRead} from "../kernel/deviceRead.js";
import {bytesPerSec, countEvents, cpuShare, utilization} from "../analysis/metrics.js";
import {paramDefaults} from "../params/ParamSpec.js";
import {extrapolateEvents, scenarioSim, type ParamSpec, type ParamValues, type RunContext, type Scenario, type ScenarioSimOptions} from "./scenario.js";

/** The parameters of the `dma` scenario, declared once: `--set`, `iosim list`, the sweep and {@link runDma}'s defaults read them. */
export const dmaParams: ParamSpec[] = [
    {name: "mode", kind: "enum", values: ["pio", "dma"], default: "dma", description: "pio: CPU-driven; dma: direct memory access"},
    {name: "transferBytes", kind: "size", default: "1MiB", unit: "bytes", description: "bytes read from the disk"},
    {name: "disk", kind: "enum", values: diskKinds, default: "ssd", description: "which of the profile's disks"},
    {name: "cores", kind: "integer", min: 1, default: 1, unit: "cores", description: "CPU cores (overrides the profile)"},
    {name: "background", kind: "boolean", default: true, description: "run a CPU-bound process alongside"},
    {name: "quantumNs", kind: "integer", min: 1, default: 10000, unit: "ns", description: "length of each CPU step of the background process; a woken reader preempts it at the end of one"},
];

/** {@link dmaParams}' defaults, parsed. */
const defaults = paramDefaults(dmaParams);

/** Parameters of {@link runDma}. */
export interface DmaRunOptions extends ScenarioSimOptions {
  mode: "pio" | "dma";
  transferBytes: number;
  disk?: DiskKind;
  /** Cores; default 1, so the competition for the CPU is visible. */
  cores?: number;
  /** Run a CPU-bound process alongside; default true. */
  background?: boolean;
  /** Length of each of its CPU steps, ns: a woken reader preempts it at the end of one (see Resource.scheduleTasks); default 10 µs. */
  quantumNs?: number;
  profile: Profile;
}

/** Returns the measured result of one device read by *mode*. */
export function runDma(o: DmaRunOptions) {
  const sim = scenarioSim(o, true);
  const host = new Host(sim, o.profile, {disk: o.disk ?? (defaults.disk as DiskKind), cores: o.cores ?? (defaults.cores as number)});
  const quantumNs = o.quantumNs ?? (defaults.quantumNs as number);
  let ioDoneNs = -1;
  /** CPU time by category until the read completed, the background's own work ("user") left out, ns. */
  let ioCpuNsByCategory: Record<string, number> = {};
  /** CPU time the background process got, all of it, ns. */
  let backgroundNs = 0;
  /** The part of it before the read completed (a slice may straddle the end), ns. */
  let backgroundDuringReadNs = 0;
  const reader = o.mode === "pio" ? pioRead : dmaRead;
  spawn(sim, 1, function* (): ProcessBody<void> {
    yield* reader(host, o.transferBytes, 1);
    ioDoneNs = sim.scheduler.now();
    // Everything the core did until now except the background's work: the read's own steps, its interrupts and the task switches its blocking caused.
    ioCpuNsByCategory = Object.fromEntries([...host.cpu.busyNsByTagSoFar()].filter(([tag, ns]) => tag !== "user" && ns > 0));
    // Bytes that reached memory: the CPU's word-by-word copies, or the disk's DMA (the only ones of this run).
    sim.trace.record(ioDoneNs, "done", 1, ioDoneNs, sim.trace.bytes(o.mode === "pio" ? "pio-copy" : "dma-copy"), o.mode);
  }).subscribe();
  if (o.background ?? (defaults.background as boolean))
    spawn(sim, 2, function* (): ProcessBody<void> {
      while (ioDoneNs < 0) {
        yield host.cpuWork(quantumNs, "user");
        backgroundNs += quantumNs;
        const sliceEndNs = sim.scheduler.now();
        backgroundDuringReadNs += ioDoneNs < 0 ? quantumNs : Math.max(0, Math.min(sliceEndNs, ioDoneNs) - (sliceEndNs - quantumNs));
      }
    }).subscribe();
  const endNs = sim.run();
  const bytesRead = sim.trace.bytes(o.mode === "pio" ? "pio-copy" : "dma-copy");
  const counts = countEvents(sim.trace);
  const share = cpuShare(host.cpu);
  return {
    result: {
      mode: o.mode,
      transferBytes: o.transferBytes,
      /** Bytes that reached memory, summed from the copies the run made (measured; equals transferBytes unless bytes were lost). */
      bytesRead,
      cores: host.cpu.units,
      elapsedNs: ioDoneNs,
      throughputBytesPerSec: bytesPerSec(bytesRead, ioDoneNs),
      ...counts,
      pioCopies: sim.trace.count("pio-copy"),
      cpuShare: share,
      cpuUtilization: utilization(host.cpu, endNs),
      /** CPU time the read cost until it completed, ns: every category but the background's "user" work (task switches its blocking caused included). */
      ioCpuNs: Object.values(ioCpuNsByCategory).reduce((sum, ns) => sum + ns, 0),
      /** The same by category, ns. */
      ioCpuNsByCategory,
      backgroundCpuNs: backgroundNs,
      backgroundShareOfCapacity: utilization(host.cpu, endNs) > 0 ? backgroundNs / (host.cpu.units * endNs) : 0,
      /** CPU time the background process got before the read completed, ns. */
      backgroundCpuNsDuringRead: backgroundDuringReadNs,
      /** Its share of the CPU's capacity (cores × elapsedNs) until the read completed; with ioCpuNs / capacity, at most 1. */
      backgroundShareDuringRead: ioDoneNs > 0 ? backgroundDuringReadNs / (host.cpu.units * ioDoneNs) : 0,
    },
    sim,
    host,
  };
}

/** The `dma` scenario. */
export const dmaScenario: Scenario = {
  name: "dma",
  description: "Read from the disk with programmed I/O (the CPU moves every word) or DMA (the CPU only takes interrupts) while a CPU-bound process runs.",
  params: dmaParams,
  run(v, ctx) {
    const {result} = runDma({...dmaOptions(v, ctx), maxEvents: ctx.maxEvents, onSim: ctx.onSim});
    return {scenario: "dma", profile: ctx.profile.name, seed: ctx.seed, ...result};
  },
  sizeParams: ["transferBytes", "quantumNs"],
  estimateEvents(v, ctx) {
    // Events per byte read (the device's and the background process's) from reads of 64 and 128 KiB.
    const o = dmaOptions(v, ctx);
    return extrapolateEvents(o.transferBytes, 64 * 1024, 128 * 1024, (transferBytes) => runDma({...o, transferBytes}).sim.scheduler.eventsRun);
  },
};

function dmaOptions(v: ParamValues, ctx: RunContext): DmaRunOptions {
  return {
    mode: v.mode as "pio" | "dma",
    transferBytes: v.transferBytes as number,
    disk: v.disk as DiskKind,
    cores: v.cores as number,
    background: v.background as boolean,
    quantumNs: v.quantumNs as number,
    seed: ctx.seed,
    profile: ctx.profile,
    keepEvents: false,
  };
}
