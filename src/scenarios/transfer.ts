/**
 * `iosim run transfer`: send one file to a socket with one of the four
 * strategies and report the seed's counts and the costs.
 */
import {BehaviorSubject, map, takeWhile} from "rxjs";
import {Host} from "../host/Host.js";
import {diskKinds, type DiskKind} from "../host/devices.js";
import {bytesPerSec, countEvents, cpuShare, utilization} from "../analysis/metrics.js";
import {mmapWrite} from "../transfer/mmapWrite.js";
import {readWrite} from "../transfer/readWrite.js";
import {sendfile} from "../transfer/sendfile.js";
import type {FileRequest, Transfer} from "../transfer/index.js";
import type {OperatorFunction} from "rxjs";
import type {Profile} from "../host/profiles.js";
import {paramDefaults} from "../params/ParamSpec.js";
import {extrapolateEvents, scenarioSim, type ParamSpec, type ParamValues, type RunContext, type Scenario, type ScenarioSimOptions} from "./scenario.js";

/** The four strategies by CLI name. */
export const strategies = ["read-write", "mmap-write", "sendfile", "sendfile-sg"] as const;
export type StrategyName = (typeof strategies)[number];

/** Returns the operator of strategy *name* on *host*. */
export function strategyOperator(name: StrategyName, host: Host, chunkBytes: number): OperatorFunction<FileRequest, Transfer> {
  switch (name) {
    case "read-write":
      return readWrite(host, {chunkBytes});
    case "mmap-write":
      return mmapWrite(host, {chunkBytes});
    case "sendfile":
      return sendfile(host, {chunkBytes, scatterGather: false});
    case "sendfile-sg":
      return sendfile(host, {chunkBytes, scatterGather: true});
  }
}

/** The parameters of the `transfer` scenario, declared once: `--set`, `iosim list`, the sweep and {@link runTransfer}'s defaults read them. */
export const transferParams: ParamSpec[] = [
    {name: "strategy", kind: "enum", values: strategies, default: "read-write", description: "file-transfer strategy"},
    {name: "fileBytes", kind: "size", default: "1MiB", unit: "bytes", description: "size of each file"},
    {name: "chunkBytes", kind: "size", default: "64KiB", unit: "bytes", description: "bytes per system-call round (buffer size)"},
    {name: "cache", kind: "enum", values: ["cold", "warm"], default: "cold", description: "page cache empty, or holding the whole file"},
    {name: "disk", kind: "enum", values: diskKinds, default: "ssd", description: "which of the profile's disks"},
    {name: "readaheadBytes", kind: "size", allowZero: true, default: 0, unit: "bytes", description: "readahead window (0: none, as the seed's per-chunk counts assume)"},
    {name: "files", kind: "integer", min: 1, default: 1, unit: "files", description: "files sent one after another"},
];

/** {@link transferParams}' defaults, parsed. */
const defaults = paramDefaults(transferParams);

/** Parameters of {@link runTransfer}. */
export interface TransferRunOptions extends ScenarioSimOptions {
  strategy: StrategyName;
  fileBytes: number;
  chunkBytes: number;
  cache: "cold" | "warm";
  disk?: DiskKind;
  readaheadBytes?: number;
  /** Files sent one after another; default 1. */
  files?: number;
  profile: Profile;
}

/**
 * Returns the measured result of sending *files* files of *fileBytes* by
 * *strategy*, plus the simulation and host, and the transfers themselves
 * when **keepEvents** is on (the default; the CLI turns it off, so memory
 * stays flat however many files).
 */
export function runTransfer(o: TransferRunOptions) {
  const sim = scenarioSim(o, true);
  const host = new Host(sim, o.profile, {disk: o.disk ?? (defaults.disk as DiskKind), readaheadBytes: o.readaheadBytes ?? (defaults.readaheadBytes as number)});
  const files = o.files ?? (defaults.files as number);
  // Requests are made one at a time, when the previous transfer is done (a pull, not from(array)): the strategy's
  // concatMap would otherwise buffer every request up front, and memory would grow with the number of files.
  // A warm file is warmed just before its own request, so every file is warm even when they do not all fit.
  let nextFile = 0;
  const makeRequest = (): FileRequest => {
    const file = {id: `file-${nextFile++}`, sizeBytes: o.fileBytes};
    if (o.cache === "warm") host.pageCache.warm(file);
    return {file, pid: 1};
  };
  const ready$ = new BehaviorSubject<void>(undefined);
  /** Each finished transfer, kept only with keepEvents (tests); the totals below are running sums. */
  const transfers: Transfer[] = [];
  const keepTransfers = sim.trace.keepEvents;
  let done = 0;
  let bytes = 0;
  let chunks = 0;
  let latencySumNs = 0;
  ready$
    .pipe(
      takeWhile(() => nextFile < files),
      map(makeRequest),
      strategyOperator(o.strategy, host, o.chunkBytes),
    )
    .subscribe((t) => {
      done++;
      bytes += t.bytes;
      chunks += t.chunks;
      latencySumNs += t.latencyNs;
      if (keepTransfers) transfers.push(t);
      // Each file is sent once: the cache may drop its bookkeeping (its pages stay until evicted).
      if (!keepTransfers) host.pageCache.forget(t.fileId);
      ready$.next();
    });
  // A process error reaches no handler here, so run() throws it (the one path every scenario shares).
  const elapsedNs = sim.run();
  ready$.complete();
  const result = {
    strategy: o.strategy,
    fileBytes: o.fileBytes,
    chunkBytes: o.chunkBytes,
    cache: o.cache,
    files,
    chunks,
    bytesRequested: files * o.fileBytes,
    bytesDelivered: bytes,
    ...countEvents(sim.trace),
    cacheHitPages: host.pageCache.hits,
    cacheMissPages: host.pageCache.misses,
    elapsedNs,
    latencyNs: done ? latencySumNs / done : 0,
    throughputBytesPerSec: bytesPerSec(bytes, elapsedNs),
    cpuUtilization: utilization(host.cpu, elapsedNs),
    cpuBusyNs: host.cpu.busyNs,
    cpuShare: cpuShare(host.cpu),
  };
  return {result, sim, host, transfers};
}

/** The `transfer` scenario. */
export const transferScenario: Scenario = {
  name: "transfer",
  description: "Send a file to a socket with read+write, mmap+write, sendfile or sendfile with an SG-DMA NIC; counts mode switches, DMA and CPU copies, system calls.",
  params: transferParams,
  run(v, ctx) {
    const {result} = runTransfer({...transferOptions(v, ctx), maxEvents: ctx.maxEvents, onSim: ctx.onSim});
    return {scenario: "transfer", profile: ctx.profile.name, seed: ctx.seed, ...result};
  },
  sizeParams: ["files", "fileBytes", "chunkBytes"],
  estimateEvents(v, ctx) {
    // Events of `files` files of `chunks` chunks each: per chunk from runs of 2 and 4 chunks, per file from runs of 1 and 2 files.
    const o = transferOptions(v, ctx);
    const chunks = Math.ceil(o.fileBytes / o.chunkBytes);
    const eventsOf = (files: number, fileChunks: number) =>
      runTransfer({...o, files, fileBytes: fileChunks === chunks ? o.fileBytes : fileChunks * o.chunkBytes}).sim.scheduler.eventsRun;
    return extrapolateEvents(o.files ?? (defaults.files as number), 1, 2, (files) => extrapolateEvents(chunks, 2, 4, (c) => eventsOf(files, c)));
  },
};

function transferOptions(v: ParamValues, ctx: RunContext): TransferRunOptions {
  return {
    strategy: v.strategy as StrategyName,
    fileBytes: v.fileBytes as number,
    chunkBytes: v.chunkBytes as number,
    cache: v.cache as "cold" | "warm",
    disk: v.disk as DiskKind,
    readaheadBytes: v.readaheadBytes as number,
    files: v.files as number,
    seed: ctx.seed,
    profile: ctx.profile,
    keepEvents: false,
  };
}
