/**
 * `iosim run pagecache`: one process reads a file sequentially or at random
 * through the page cache, with or without readahead, and counts what the
 * cache and the disk did.
 */
import {spawn, type ProcessBody} from "../engine/process.js";
import {Host} from "../host/Host.js";
import {diskKinds, type DiskKind} from "../host/devices.js";
import type {Profile} from "../host/profiles.js";
import {bytesPerSec, countEvents} from "../analysis/metrics.js";
import {readCall} from "../kernel/bufferedRead.js";
import {InputError} from "../errors.js";
import {cacheListPolicies, readaheadWindows, type CacheLists, type ReadaheadWindow} from "../mm/pageCache.js";
import {readerCount, readerOffsets, readPatterns, type ReadPattern} from "../workload/readers.js";
import {paramDefaults} from "../params/ParamSpec.js";
import {extrapolateEvents, scenarioSim, type ParamSpec, type ParamValues, type RunContext, type Scenario, type ScenarioSimOptions} from "./scenario.js";

/** Parameters of {@link runPageCache}. */
export interface PageCacheRunOptions extends ScenarioSimOptions {
  pattern: ReadPattern;
  /** Readahead window (fixed) or its maximum (adaptive), bytes. */
  readaheadBytes: number;
  /** Default "fixed" (the seed's description). */
  window?: ReadaheadWindow;
  /** Default "lru". */
  lists?: CacheLists;
  /** Size of the file read, bytes; default 64 MiB. */
  fileBytes?: number;
  /** Bytes per read(2); default 32 KiB (the seed's example). */
  readBytes?: number;
  /** Reads of the random reader; default as many as the file has blocks. */
  reads?: number;
  /** Page-cache capacity, bytes; default 256 MiB. */
  cacheBytes?: number;
  disk?: DiskKind;
  profile: Profile;
}

/** Returns *cacheBytes* checked against the page size: a cache smaller than one page is an {@link InputError} naming `cacheBytes`. */
export function checkCacheBytes(cacheBytes: number, pageBytes: number): number {
  if (!(Number.isFinite(cacheBytes) && cacheBytes >= pageBytes))
    throw new InputError("cacheBytes", String(cacheBytes), `at least one page (${pageBytes} bytes)`);
  return cacheBytes;
}

/** The parameters of the `pageCache` scenario, declared once: `--set`, `iosim list`, the sweep and {@link runPageCache}'s defaults read them. */
export const pageCacheParams: ParamSpec[] = [
    {name: "pattern", kind: "enum", values: readPatterns, default: "sequential", description: "sequential: block after block; random: uniform blocks"},
    {name: "readaheadBytes", kind: "size", allowZero: true, default: "128KiB", unit: "bytes", description: "readahead window (fixed) or its maximum (adaptive); 0: none"},
    {name: "window", kind: "enum", values: readaheadWindows, default: "fixed", description: "fixed: the seed's window after every miss; adaptive: Linux's, growing on sequential reads"},
    {name: "lists", kind: "enum", values: cacheListPolicies, default: "lru", description: "lru: one list; two-list: Linux's active/inactive lists"},
    {name: "fileBytes", kind: "size", default: "64MiB", unit: "bytes", description: "size of the file read"},
    {name: "readBytes", kind: "size", default: "32KiB", unit: "bytes", description: "bytes per read(2)"},
    {name: "reads", kind: "integer", min: 0, default: 0, unit: "reads", description: "reads of the random reader (0: as many as the file has blocks)"},
    {name: "cacheBytes", kind: "size", default: "256MiB", unit: "bytes", description: "page-cache capacity (at least one page)"},
    {name: "disk", kind: "enum", values: diskKinds, default: "ssd", description: "which of the profile's disks"},
];

/** {@link pageCacheParams}' defaults, parsed. */
const defaults = paramDefaults(pageCacheParams);

/** Returns the measured result of one reader over one file, plus the simulation and host. */
export function runPageCache(o: PageCacheRunOptions) {
  const fileBytes = o.fileBytes ?? (defaults.fileBytes as number);
  const readBytes = o.readBytes ?? (defaults.readBytes as number);
  const cacheBytes = checkCacheBytes(o.cacheBytes ?? (defaults.cacheBytes as number), o.profile.memory.pageBytes);
  if (!(Number.isFinite(o.readaheadBytes) && o.readaheadBytes >= 0)) throw new InputError("readaheadBytes", String(o.readaheadBytes), "a size ≥ 0");
  const sim = scenarioSim(o, true);
  const host = new Host(sim, o.profile, {
    disk: o.disk ?? (defaults.disk as DiskKind),
    cacheBytes,
    readaheadBytes: o.readaheadBytes,
    readaheadWindow: o.window ?? (defaults.window as ReadaheadWindow),
    cacheLists: o.lists ?? (defaults.lists as CacheLists),
  });
  const file = {id: "data", sizeBytes: fileBytes};
  // Offsets come lazily, one per read: a byte-at-a-time reader of a huge file holds no offset array.
  const offsets = readerOffsets(o.pattern, sim.random.fork(), fileBytes, readBytes, o.reads);
  let reads = 0;
  let doneNs = 0;
  spawn(sim, 1, function* (): ProcessBody<void> {
    for (const off of offsets) {
      yield* readCall(host, file, off, readBytes, 1);
      reads++;
    }
    doneNs = sim.scheduler.now();
  }).subscribe();
  sim.run();
  // Bytes that reached the user buffer: the reader's page-cache→user copies, the only CPU copies of this run.
  const bytesRead = sim.trace.bytes("cpu-copy");
  const cache = host.pageCache;
  const result = {
    pattern: o.pattern,
    readaheadBytes: o.readaheadBytes,
    window: cache.window,
    lists: cache.lists,
    fileBytes,
    readBytes,
    reads,
    cacheBytes,
    bytesRead,
    hitPages: cache.hits,
    missPages: cache.misses,
    hitRatio: cache.hitRatio,
    diskReads: host.disk.resource.completed,
    diskBytes: sim.trace.bytes("dma-copy"),
    prefetchedPages: cache.prefetchedPages,
    prefetchedPagesUnused: cache.prefetchedPagesUnused,
    wastedPrefetchBytes: cache.prefetchedPagesUnused * cache.pageBytes,
    evictions: cache.evictions,
    elapsedNs: doneNs,
    throughputBytesPerSec: bytesPerSec(bytesRead, doneNs),
    diskBusyNs: host.disk.resource.busyNs,
    /** Most disk requests in service at once (asynchronous readahead overlaps on a parallel SSD). */
    diskMaxInService: host.disk.maxInService,
    ...countEvents(sim.trace),
  };
  return {result, sim, host};
}

/** The `pagecache` scenario. */
export const pageCacheScenario: Scenario = {
  name: "pagecache",
  description: "Read a file sequentially or at random through the page cache (LRU, readahead); counts hits, disk reads and prefetched pages never used.",
  params: pageCacheParams,
  run(v, ctx) {
    const {result} = runPageCache({...pageCacheOptions(v, ctx), maxEvents: ctx.maxEvents, onSim: ctx.onSim});
    return {scenario: "pagecache", profile: ctx.profile.name, seed: ctx.seed, ...result};
  },
  sizeParams: ["readBytes", "fileBytes", "reads"],
  estimateEvents(v, ctx) {
    // Events per read(2) from runs of 8 and 16 reads (a file of that many blocks, or that many random reads).
    const o = pageCacheOptions(v, ctx);
    const reads = readerCount(o.pattern, o.fileBytes!, o.readBytes!, o.reads);
    return extrapolateEvents(reads, 8, 16, (n) =>
      runPageCache(o.pattern === "sequential" ? {...o, fileBytes: n === reads ? o.fileBytes : n * o.readBytes!} : {...o, reads: n}).sim.scheduler.eventsRun,
    );
  },
};

function pageCacheOptions(v: ParamValues, ctx: RunContext): PageCacheRunOptions {
  return {
    pattern: v.pattern as ReadPattern,
    readaheadBytes: v.readaheadBytes as number,
    window: v.window as ReadaheadWindow,
    lists: v.lists as CacheLists,
    fileBytes: v.fileBytes as number,
    readBytes: v.readBytes as number,
    reads: (v.reads as number) > 0 ? (v.reads as number) : undefined,
    cacheBytes: v.cacheBytes as number,
    disk: v.disk as DiskKind,
    seed: ctx.seed,
    profile: ctx.profile,
    keepEvents: false,
  };
}
