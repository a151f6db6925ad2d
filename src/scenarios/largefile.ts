/**
 * `iosim run largefile`: a file server with a hot set of small files while
 * clients stream GB-size files, the large files served through the page
 * cache (sendfile) or around it (asynchronous direct I/O, nginx `directio`).
 */
import {Host} from "../host/Host.js";
import {diskKinds, type DiskKind} from "../host/devices.js";
import type {Profile} from "../host/profiles.js";
import {countEvents, cpuShare} from "../analysis/metrics.js";
import {LatencyHistogram} from "../analysis/LatencyHistogram.js";
import {InputError} from "../errors.js";
import {cacheListPolicies, readaheadWindows, type CacheLists, type ReadaheadWindow} from "../mm/pageCache.js";
import {nginxServe, parseDirectio, type PolicyPath, type PolicyTransfer} from "../transfer/policy.js";
import {fileServerWorkload, startClients, type FileServerWorkloadOptions} from "../workload/fileServer.js";
import {KiB, MiB} from "../units.js";
import {checkCacheBytes} from "./pagecache.js";
import {paramDefaults} from "../params/ParamSpec.js";
import {extrapolateEvents, scenarioSim, type ParamSpec, type ParamValues, type RunContext, type Scenario, type ScenarioSimOptions} from "./scenario.js";

/** How the large files are served: not at all, through the page cache, or by direct I/O. */
export type LargeFileMode = "none" | "buffered" | "direct";
/** The large-file modes, for parameter checks. */
export const largeFileModes: readonly LargeFileMode[] = ["none", "buffered", "direct"];

/** Parameters of {@link runFileServer}. */
export interface FileServerRunOptions extends FileServerWorkloadOptions, Omit<ScenarioSimOptions, "keepEvents"> {
  /** nginx `directio`: files at least this big use asynchronous direct I/O; "off" or a size; default "off". */
  directio?: string | number;
  /** `aio on|off`; default true. */
  aio?: boolean;
  /** Page-cache capacity, bytes; default 32 MiB (small, so a simulation of milliseconds shows minutes of a real server). */
  cacheBytes?: number;
  /** Readahead maximum, bytes; default 128 KiB (Linux's default). */
  readaheadBytes?: number;
  /** Default "adaptive" (Linux's). */
  window?: ReadaheadWindow;
  /** Default "lru" (the seed's model). */
  lists?: CacheLists;
  /** sendfile chunk, bytes; default 64 KiB. */
  chunkBytes?: number;
  /** Direct-I/O read size (nginx output_buffers), bytes; default 128 KiB. */
  directChunkBytes?: number;
  /** Start with the hot set in the cache (a server that has been running), most popular most recent; default true. */
  prewarm?: boolean;
  /** Simulated time, ns; default 50 ms. */
  durationNs?: number;
  /** Time before measuring starts (cache warm-up), ns; default a fifth of **durationNs**. */
  warmupNs?: number;
  disk?: DiskKind;
  profile: Profile;
}

/** Returns the *q*-quantile (nearest rank) of ascending *sorted*, or 0 when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** The parameters of the `largeFile` scenario, declared once: `--set`, `iosim list`, the sweep and {@link runFileServer}'s defaults read them. */
export const largeFileParams: ParamSpec[] = [
    {name: "largeFiles", kind: "enum", values: largeFileModes, default: "buffered", description: "none: no streaming; buffered: sendfile through the cache; direct: aio + O_DIRECT"},
    {name: "directio", kind: "size", default: "4m", unit: "bytes", description: "nginx directio threshold used with largeFiles=direct (files at least this big go direct)"},
    {name: "cacheBytes", kind: "size", default: "32MiB", unit: "bytes", description: "page-cache capacity (at least one page)"},
    {name: "readaheadBytes", kind: "size", allowZero: true, default: "128KiB", unit: "bytes", description: "readahead maximum"},
    {name: "window", kind: "enum", values: readaheadWindows, default: "adaptive", description: "readahead window: fixed (seed) or adaptive (Linux)"},
    {name: "lists", kind: "enum", values: cacheListPolicies, default: "lru", description: "lru (the seed's model) or Linux's two lists"},
    {name: "hotFiles", kind: "integer", min: 1, default: 400, unit: "files", description: "files in the hot set"},
    {name: "hotFileBytes", kind: "size", default: "16KiB", unit: "bytes", description: "size of each hot file"},
    {name: "zipfS", kind: "number", min: 0, default: 1, description: "Zipf exponent of hot-file popularity"},
    {name: "hotClients", kind: "integer", min: 1, default: 8, unit: "clients", description: "closed-loop clients asking for hot files"},
    {name: "thinkNs", kind: "number", min: 0, default: 100000, unit: "ns", description: "mean think time of a hot client"},
    {name: "largeStreams", kind: "integer", min: 1, default: 2, unit: "clients", description: "clients streaming large files"},
    {name: "largeFileBytes", kind: "size", default: "1GiB", unit: "bytes", description: "size of each large file"},
    {name: "durationNs", kind: "integer", min: 1, default: 50000000, unit: "ns", description: "simulated time (the first fifth warms up)"},
    {name: "disk", kind: "enum", values: diskKinds, default: "ssd", description: "which of the profile's disks"},
];

/** {@link largeFileParams}' defaults, parsed. */
const defaults = paramDefaults(largeFileParams);

/**
 * Returns the measured result of a file server under the hot-set + streaming
 * workload, plus the simulation and host. Every total (hit ratios, requests,
 * throughput, disk reads, counts, CPU share and utilisation) covers the
 * window after warm-up; hot requests count when they start in it, large-file
 * ranges when they finish in it.
 */
export function runFileServer(o: FileServerRunOptions) {
  const durationNs = o.durationNs ?? (defaults.durationNs as number);
  const warmupNs = o.warmupNs ?? durationNs / 5;
  if (!(Number.isFinite(durationNs) && durationNs > 0)) throw new InputError("durationNs", String(durationNs), "a positive number of ns");
  if (!(warmupNs >= 0 && warmupNs < durationNs)) throw new InputError("warmupNs", String(warmupNs), `a number of ns in [0, durationNs)`);
  const cacheBytes = checkCacheBytes(o.cacheBytes ?? (defaults.cacheBytes as number), o.profile.memory.pageBytes);
  const readaheadBytes = o.readaheadBytes ?? (defaults.readaheadBytes as number);
  if (!(Number.isFinite(readaheadBytes) && readaheadBytes >= 0)) throw new InputError("readaheadBytes", String(readaheadBytes), "a size ≥ 0");
  const directioBytes = parseDirectio(o.directio ?? "off");
  const sim = scenarioSim(o);
  const host = new Host(sim, o.profile, {disk: o.disk ?? (defaults.disk as DiskKind), cacheBytes, readaheadBytes, readaheadWindow: o.window ?? (defaults.window as ReadaheadWindow), cacheLists: o.lists ?? (defaults.lists as CacheLists)});
  const cache = host.pageCache;
  const workload = fileServerWorkload(sim.random.fork(), o);
  if (o.prewarm ?? true) for (let i = workload.hot.length - 1; i >= 0; i--) cache.warm(workload.hot[i]);
  const serve = nginxServe(host, {directio: directioBytes, aio: o.aio ?? true, chunkBytes: o.chunkBytes, directChunkBytes: o.directChunkBytes});
  // Totals are running sums and a streaming histogram, updated as each request finishes: no list of
  // requests, so memory does not grow with the simulated duration. A hot request counts when it started
  // after warm-up, a large-file range for the part of its time after it.
  const hotLatency = new LatencyHistogram();
  let hotBytes = 0;
  let largeBytes = 0;
  const paths: Record<PolicyPath, number> = {"sendfile": 0, "read-write": 0, "aio-direct": 0, "direct": 0};
  /** The same count for the hot set's requests alone. */
  const hotPaths: Record<PolicyPath, number> = {"sendfile": 0, "read-write": 0, "aio-direct": 0, "direct": 0};
  startClients<PolicyTransfer>(sim, workload, serve, durationNs, ({kind, transfer}) => {
    const measured = transfer.startNs >= warmupNs;
    if (measured) paths[transfer.path]++;
    if (kind === "hot" && measured) {
      hotPaths[transfer.path]++;
      hotLatency.record(transfer.latencyNs);
      hotBytes += transfer.bytes;
    } else if (kind === "large" && transfer.endNs > warmupNs) {
      // A range that straddles the start of the window counts for the part of its time inside it.
      const inside = transfer.startNs >= warmupNs || transfer.endNs === transfer.startNs ? 1 : (transfer.endNs - warmupNs) / (transfer.endNs - transfer.startNs);
      largeBytes += transfer.bytes * inside;
    }
  });
  // Snapshot the hot set's cache counters when measuring starts.
  const hotIds = workload.hot.map((f) => f.id);
  const hotCounters = () => {
    let hits = 0;
    let misses = 0;
    for (const id of hotIds) {
      const s = cache.perFile.get(id);
      if (s) {
        hits += s.hits;
        misses += s.misses;
      }
    }
    return {hits, misses};
  };
  // Every total is measured over the window after warm-up: snapshot the counters when it starts.
  // Busy time is read "so far" (jobs in service count up to now), so a job straddling a boundary is split
  // at it and no resource is ever busier than 100% of the window.
  const snapshot = () => ({
    hot: hotCounters(),
    cpuBusyNs: host.cpu.busyNsSoFar(),
    cpuByTag: host.cpu.busyNsByTagSoFar(), // a fresh Map each call
    counts: countEvents(sim.trace),
    diskCompleted: host.disk.resource.completed,
    diskBusyNs: host.disk.resource.busyNsSoFar(),
    nicBusyNs: host.nic.resource.busyNsSoFar(),
  });
  let atWarmup = snapshot();
  sim.scheduler.post(warmupNs, () => {
    atWarmup = snapshot();
  });
  sim.run(durationNs);
  const atEnd = snapshot();
  const hotHits = atEnd.hot.hits - atWarmup.hot.hits;
  const hotMisses = atEnd.hot.misses - atWarmup.hot.misses;
  const windowNs = durationNs - warmupNs;
  let largeResidentPages = 0;
  for (const f of workload.large) largeResidentPages += cache.residentCount(f.id);
  const result = {
    directio: Number.isFinite(directioBytes) ? directioBytes : "off",
    cacheBytes,
    readaheadBytes,
    window: cache.window,
    lists: cache.lists,
    hotFiles: workload.hot.length,
    hotSetBytes: workload.hot.reduce((s, f) => s + f.sizeBytes, 0),
    largeStreams: workload.options.largeStreams,
    largeFileBytes: workload.options.largeFileBytes,
    durationNs,
    warmupNs,
    hotRequests: hotLatency.count,
    hotHitRatio: hotHits + hotMisses > 0 ? hotHits / (hotHits + hotMisses) : 0,
    hotMeanLatencyNs: hotLatency.mean,
    // Quantiles from the streaming histogram: an observed latency, at most 2^-7 (0.78%) above the exact nearest rank.
    hotP50LatencyNs: hotLatency.quantile(0.5),
    hotP99LatencyNs: hotLatency.quantile(0.99),
    hotThroughputBytesPerSec: (hotBytes / windowNs) * 1e9,
    largeThroughputBytesPerSec: (largeBytes / windowNs) * 1e9,
    largeResidentPages,
    cacheHitRatio: cache.hitRatio,
    diskReads: atEnd.diskCompleted - atWarmup.diskCompleted,
    // Share of the disk's channels busy (each request holds one while it positions, waits for the link and transfers).
    diskUtilization: (atEnd.diskBusyNs - atWarmup.diskBusyNs) / (host.disk.resource.units * windowNs),
    nicUtilization: (atEnd.nicBusyNs - atWarmup.nicBusyNs) / (host.nic.resource.units * windowNs),
    /** Most disk requests in service at once over the whole run. */
    diskMaxInService: host.disk.maxInService,
    cpuUtilization: (atEnd.cpuBusyNs - atWarmup.cpuBusyNs) / (host.cpu.units * windowNs),
    cpuCoresBusy: (atEnd.cpuBusyNs - atWarmup.cpuBusyNs) / windowNs,
    paths,
    hotPaths,
    ...countEvents(sim.trace, atWarmup.counts),
    cpuShare: cpuShare(host.cpu, atWarmup.cpuByTag),
  };
  return {result, sim, host, hotLatency, workload};
}

/** The `largefile` scenario. */
export const largeFileScenario: Scenario = {
  name: "largefile",
  description: "A hot set of small files (Zipf popularity) while clients stream GB-size files through the page cache (buffered) or around it (async + direct I/O).",
  params: largeFileParams,
  run(v, ctx) {
    const {result} = runFileServer({...fileServerOptions(v, ctx), maxEvents: ctx.maxEvents, onSim: ctx.onSim});
    return {scenario: "largefile", largeFiles: v.largeFiles as LargeFileMode, profile: ctx.profile.name, seed: ctx.seed, ...result};
  },
  sizeParams: ["durationNs", "hotClients", "largeStreams", "thinkNs"],
  estimateEvents(v, ctx) {
    // Events per simulated ns from runs of 1 and 2 ms. Clients beyond 64 of a kind are calibrated as 64 and
    // scaled up (closed-loop clients add work at most in proportion), so the calibration itself stays small.
    const o = fileServerOptions(v, ctx);
    const hotClients = o.hotClients ?? (defaults.hotClients as number);
    const largeStreams = o.largeStreams ?? (defaults.largeStreams as number);
    const cappedHot = Math.min(hotClients, 64);
    const cappedLarge = Math.min(largeStreams, 64);
    const scale = (hotClients + largeStreams) / Math.max(1, cappedHot + cappedLarge);
    const eventsAt = (durationNs: number) => runFileServer({...o, hotClients: cappedHot, largeStreams: cappedLarge, durationNs}).sim.scheduler.eventsRun;
    return scale * extrapolateEvents(o.durationNs ?? (defaults.durationNs as number), 1e6, 2e6, eventsAt);
  },
};

function fileServerOptions(v: ParamValues, ctx: RunContext): FileServerRunOptions {
  const mode = v.largeFiles as LargeFileMode;
  return {
    largeStreams: mode === "none" ? 0 : (v.largeStreams as number),
    directio: mode === "direct" ? (v.directio as number) : "off",
    cacheBytes: v.cacheBytes as number,
    readaheadBytes: v.readaheadBytes as number,
    window: v.window as ReadaheadWindow,
    lists: v.lists as CacheLists,
    hotFiles: v.hotFiles as number,
    hotMinBytes: v.hotFileBytes as number,
    zipfS: v.zipfS as number,
    hotClients: v.hotClients as number,
    thinkNs: v.thinkNs as number,
    largeFileBytes: v.largeFileBytes as number,
    durationNs: v.durationNs as number,
    disk: v.disk as DiskKind,
    seed: ctx.seed,
    profile: ctx.profile,
  };
}
