/**
 * Study: what does the page cache (PageCache, 磁盘高速缓存) buy, what does
 * readahead (预读) cost, and when should large files (大文件传输) go around
 * the cache with asynchronous + direct I/O (异步 I/O + 直接 I/O)?
 *
 * Picture a newsagent's counter: the popular magazines (the hot set) sit
 * within reach, the rest come from the back room (the disk). Fetching the
 * next issue along with the one asked for (readahead) pays off for a reader
 * working through a series, not for one picking at random. A delivery of
 * a whole encyclopaedia (a GB-size file) dumped on the counter pushes the
 * magazines off it (LRU pollution), unless it goes straight from the van
 * to the customer (direct I/O), which is what nginx's `directio <size>`
 * decides per file size. The study measures all four in the simulation.
 */
import * as aq from "arquero";
import {groupedBarChart, hitRatioChart, thresholdChart, type BarRow, type ThresholdRow} from "../charts/pageCache.js";
import {diskKinds, type DiskKind} from "../host/devices.js";
import {loadProfile} from "../host/profiles.js";
import * as z from "zod";
import {InputError} from "../errors.js";
import {fields} from "../params/fields.js";
import {parseInput} from "../params/parseInput.js";
import type {CacheLists, ReadaheadWindow} from "../mm/pageCache.js";
import {runFileServer} from "../scenarios/largefile.js";
import {runPageCache} from "../scenarios/pagecache.js";
import {parseDirectio} from "../transfer/policy.js";
import {formatNs, formatSize, GiB, KiB, MiB} from "../units.js";
import type {ReadPattern} from "../workload/readers.js";
import type {StudyResult} from "./study.js";

/**
 * The parameters of {@link pageCacheStudy}, declared once: each one's check,
 * its default and its meaning. {@link pageCacheDefaults}, the
 * {@link PageCacheParams} type and the study's validation all come from it.
 * Sizes take bytes or a size text (`"16MiB"`).
 */
export const pageCacheParamsSchema = z.strictObject({
  profile: z.string({error: "a profile name or file"}).default("server-2024").describe("Host profile (shipped name or JSON path); default server-2024."),
  seed: fields.seed().default(0).describe("Seed of every simulation."),
  cacheSizesBytes: fields
    .sizeList({min: 4096, expected: "a non-empty list of sizes of at least one page"})
    .default([4 * MiB, 8 * MiB, 16 * MiB, 32 * MiB, 64 * MiB])
    .describe("Page-cache sizes swept for the hot set, bytes; default 4 MiB … 64 MiB."),
  pollutionCacheBytes: positiveSize(16 * MiB, "Cache size at which the hot set is compared with and without streaming, bytes (added to cacheSizesBytes); default 16 MiB."),
  hotFiles: positiveInteger(1000, "Files in the hot set; default 1000."),
  hotFileBytes: positiveSize(16 * KiB, "Size of each hot file, bytes; default 16 KiB."),
  zipfS: fields.positive({orZero: true}).default(1).describe("Zipf exponent of the hot set's popularity; default 1."),
  largeStreams: fields.integer({min: 1}).default(2).describe("Clients streaming GB-size files; default 2."),
  largeFileBytes: positiveSize(GiB, "Size of each large file, bytes; default 1 GiB."),
  durationNs: fields.positive({expected: "a positive number of ns"}).default(50e6).describe("Simulated time of each file-server run, ns; default 50 ms (the first fifth warms up)."),
  readaheadBytes: fields
    .size({expected: "a size > 0 (the study compares it with none)"})
    .default(128 * KiB)
    .describe("Readahead window (fixed) or maximum (adaptive), bytes; default 128 KiB (Linux's default)."),
  readBytes: positiveSize(32 * KiB, "Bytes per read(2) of the readahead readers; default 32 KiB (the seed's example)."),
  readFileBytes: positiveSize(256 * MiB, "File read by the readahead readers, bytes; default 256 MiB."),
  readCacheBytes: positiveSize(64 * MiB, "Page cache of the readahead readers, bytes; default 64 MiB."),
  randomReads: positiveInteger(2048, "Reads of the random reader; default 2048."),
  disks: fields.listOf("disks", diskKinds).default(["ssd", "hdd"]).describe("Disks the readahead readers run on; default ssd and hdd."),
  thresholds: z
    .array(z.string(), {error: "a non-empty list of directio sizes or off"})
    .min(1, {error: "a non-empty list of directio sizes or off"})
    .check((ctx) => {
      // Each threshold is checked as nginx's directio reads it, so the error names directio.
      for (const t of ctx.value) {
        try {
          parseDirectio(t);
        } catch (err) {
          if (!(err instanceof InputError)) throw err;
          ctx.issues.push({code: "custom", message: err.expected, input: ctx.value, params: {inputError: err}});
          return;
        }
      }
    })
    .default(["16k", "64k", "256k", "1m", "16m", "1g", "off"])
    .describe('nginx directio thresholds swept, in order ("off" last); default 16k … 1g, off.'),
  sweepHotFiles: positiveInteger(300, "Hot files of the threshold sweep; default 300."),
  sweepHotMinBytes: positiveSize(4 * KiB, "Smallest hot file of the threshold sweep (sizes log-uniform), bytes; default 4 KiB."),
  sweepHotMaxBytes: positiveSize(512 * KiB, "Largest hot file of the threshold sweep, bytes; default 512 KiB."),
});

/** Returns a positive integer field with *dflt* and *doc*. */
function positiveInteger(dflt: number, doc: string) {
  return fields.integer({min: 1, expected: "a positive integer"}).default(dflt).describe(doc);
}

/** Returns a positive size field (bytes or a size text) with *dflt* and *doc*. */
function positiveSize(dflt: number, doc: string) {
  return fields.size({expected: "a positive integer"}).default(dflt).describe(doc);
}

/** Parameters of {@link pageCacheStudy} (see {@link pageCacheParamsSchema}). */
export type PageCacheParams = z.output<typeof pageCacheParamsSchema>;

/** Default parameters of {@link pageCacheStudy} (read from {@link pageCacheParamsSchema}). */
export const pageCacheDefaults: Readonly<PageCacheParams> = Object.freeze(pageCacheParamsSchema.parse({}));

/** Returns *params* over the defaults, checked by {@link pageCacheParamsSchema}: errors name the parameter. */
function resolve(params: z.input<typeof pageCacheParamsSchema>): PageCacheParams {
  const p = parseInput(pageCacheParamsSchema, params, {keyParam: "key for study page-cache"});
  // The pollution comparison's cache size is one of the sizes swept.
  p.cacheSizesBytes = [...new Set([...p.cacheSizesBytes, p.pollutionCacheBytes])].sort((a, b) => a - b);
  return p;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const mbps = (bytesPerSec: number) => `${(bytesPerSec / 1e6).toFixed(0)} MB/s`;
const usPerMB = (ns: number) => `${(ns / 1e3).toFixed(1)} µs`;
/** Returns *lower*, *higher* or *same* as *a* compares with *b*. */
const compare = (a: number, b: number, lower: string, higher: string, same: string) => (a < b ? lower : a > b ? higher : same);
/** Returns "lowers <what> from A to B", "raises …" or "leaves <what> at A", from the sign of *to* − *from*. */
const fromTo = (what: string, from: number, to: number, format: (x: number) => string) =>
  to === from ? `leaves ${what} at ${format(from)}` : `${to < from ? "lowers" : "raises"} ${what} from ${format(from)} to ${format(to)}`;

/**
 * Returns whether the two lists resist the pollution, from the hit ratio
 * plain LRU *lost* to streaming and the part of it the two lists *regained*:
 * most (at least half regained), part (some), or none.
 */
function resistVerdict(lost: number, regained: number): string {
  const points = (x: number) => `${(x * 100).toFixed(1)} points`;
  if (!(lost > 0)) return "streaming costs plain LRU no hit ratio here, so there is no pollution for the two lists to resist";
  const share = regained / lost;
  const how = `they win back ${points(Math.max(0, regained))} of the ${points(lost)} plain LRU loses to streaming (${pct(Math.max(0, share))})`;
  if (share >= 0.5) return `the two lists resist most of the pollution: ${how}`;
  if (share > 0) return `the two lists resist only part of the pollution: ${how}`;
  return `the two lists do not resist the pollution: ${regained < 0 ? `they lose ${points(-regained)} more than plain LRU` : how}`;
}

/** The file-server configurations compared, in display order. */
const configs: Array<{name: string; largeStreams: boolean; lists: CacheLists; directio: string}> = [
  {name: "hot set alone", largeStreams: false, lists: "lru", directio: "off"},
  {name: "+ streaming, LRU", largeStreams: true, lists: "lru", directio: "off"},
  {name: "+ streaming, two-list", largeStreams: true, lists: "two-list", directio: "off"},
  {name: "+ streaming, direct I/O", largeStreams: true, lists: "lru", directio: "4m"},
];

/** The readahead settings compared, in display order. */
const readaheadSettings: Array<{name: string; window: ReadaheadWindow; on: boolean}> = [
  {name: "no readahead", window: "fixed", on: false},
  {name: "fixed window", window: "fixed", on: true},
  {name: "adaptive window", window: "adaptive", on: true},
];

/**
 * Returns the page-cache study: the hot set's hit ratio against cache size,
 * alone and with GB-size files streaming through the cache (LRU, Linux's
 * two lists) or around it (direct I/O); readahead off, fixed and adaptive
 * for sequential and random readers (throughput, disk reads, wasted
 * prefetch); and a sweep of nginx's directio threshold (throughput of small
 * and large files, CPU), with notes computed from the runs.
 *
 * ```ts
 * const {tables, charts, notes} = pageCacheStudy({cacheSizesBytes: [8 * MiB, 32 * MiB]});
 * ```
 * @see zeroCopyStudy
 */
export function pageCacheStudy(params: z.input<typeof pageCacheParamsSchema> = {}): StudyResult {
  const p = resolve(params);
  const profile = loadProfile(p.profile);

  // 1 + 3. The hot set against cache size, with and without streaming.
  const hotRows: Array<{config: string; cacheBytes: number; hotHitRatio: number; hotP50LatencyNs: number; hotP99LatencyNs: number; hotRequests: number; hotThroughputBytesPerSec: number; largeThroughputBytesPerSec: number; largeResidentPages: number; diskReads: number; cpuCoresBusy: number}> = [];
  /** Closed-loop hot clients of the file-server runs, as the workload made them. */
  let hotClients = 0;
  for (const c of configs) {
    for (const cacheBytes of p.cacheSizesBytes) {
      const {result: r, workload} = runFileServer({
        profile,
        seed: p.seed,
        cacheBytes,
        lists: c.lists,
        directio: c.directio,
        hotFiles: p.hotFiles,
        hotMinBytes: p.hotFileBytes,
        zipfS: p.zipfS,
        largeStreams: c.largeStreams ? p.largeStreams : 0,
        largeFileBytes: p.largeFileBytes,
        durationNs: p.durationNs,
        readaheadBytes: p.readaheadBytes,
      });
      hotClients = workload.options.hotClients;
      hotRows.push({
        config: c.name,
        cacheBytes,
        hotHitRatio: r.hotHitRatio,
        hotP50LatencyNs: r.hotP50LatencyNs,
        hotP99LatencyNs: r.hotP99LatencyNs,
        hotRequests: r.hotRequests,
        hotThroughputBytesPerSec: r.hotThroughputBytesPerSec,
        largeThroughputBytesPerSec: r.largeThroughputBytesPerSec,
        largeResidentPages: r.largeResidentPages,
        diskReads: r.diskReads,
        cpuCoresBusy: r.cpuCoresBusy,
      });
    }
  }
  const hot = (config: string, cacheBytes = p.pollutionCacheBytes) => hotRows.find((r) => r.config === config && r.cacheBytes === cacheBytes)!;
  const pollutionRows = configs.map((c) => hot(c.name));

  // 2. Readahead off / fixed / adaptive, sequential and random, per disk.
  const raRows: Array<{disk: string; pattern: ReadPattern; readahead: string; readaheadBytes: number; throughputBytesPerSec: number; hitRatio: number; diskReads: number; prefetchedPages: number; prefetchedPagesUnused: number; wastedPrefetchBytes: number; elapsedNs: number}> = [];
  for (const disk of p.disks) {
    for (const pattern of ["sequential", "random"] as const) {
      for (const s of readaheadSettings) {
        const {result: r} = runPageCache({
          profile,
          seed: p.seed,
          pattern,
          disk,
          window: s.window,
          readaheadBytes: s.on ? p.readaheadBytes : 0,
          fileBytes: p.readFileBytes,
          readBytes: p.readBytes,
          reads: p.randomReads,
          cacheBytes: p.readCacheBytes,
          keepEvents: false,
        });
        raRows.push({
          disk,
          pattern,
          readahead: s.name,
          readaheadBytes: r.readaheadBytes,
          throughputBytesPerSec: r.throughputBytesPerSec,
          hitRatio: r.hitRatio,
          diskReads: r.diskReads,
          prefetchedPages: r.prefetchedPages,
          prefetchedPagesUnused: r.prefetchedPagesUnused,
          wastedPrefetchBytes: r.wastedPrefetchBytes,
          elapsedNs: r.elapsedNs,
        });
      }
    }
  }
  const ra = (disk: string, pattern: string, readahead: string) => raRows.find((r) => r.disk === disk && r.pattern === pattern && r.readahead === readahead)!;

  // 4. The directio threshold sweep on a mixed workload.
  const sweepRows: Array<{threshold: string; directioBytes: number | null; hotHitRatio: number; hotThroughputBytesPerSec: number; largeThroughputBytesPerSec: number; totalThroughputBytesPerSec: number; hotP99LatencyNs: number; cpuCoresBusy: number; cpuBusyNsPerMB: number; directRequests: number; sendfileRequests: number; hotRequests: number; hotDirectRequests: number; nicUtilization: number}> = [];
  for (const threshold of p.thresholds) {
    const {result: r} = runFileServer({
      profile,
      seed: p.seed,
      cacheBytes: p.pollutionCacheBytes,
      directio: threshold,
      hotFiles: p.sweepHotFiles,
      hotMinBytes: p.sweepHotMinBytes,
      hotMaxBytes: p.sweepHotMaxBytes,
      zipfS: p.zipfS,
      largeStreams: p.largeStreams,
      largeFileBytes: p.largeFileBytes,
      durationNs: p.durationNs,
      readaheadBytes: p.readaheadBytes,
    });
    const total = r.hotThroughputBytesPerSec + r.largeThroughputBytesPerSec;
    const bytes = Number.isFinite(parseDirectio(threshold)) ? parseDirectio(threshold) : null;
    sweepRows.push({
      threshold,
      directioBytes: bytes,
      hotHitRatio: r.hotHitRatio,
      hotThroughputBytesPerSec: r.hotThroughputBytesPerSec,
      largeThroughputBytesPerSec: r.largeThroughputBytesPerSec,
      totalThroughputBytesPerSec: total,
      hotP99LatencyNs: r.hotP99LatencyNs,
      cpuCoresBusy: r.cpuCoresBusy,
      cpuBusyNsPerMB: total > 0 ? (r.cpuCoresBusy * 1e9) / (total / 1e6) : 0,
      directRequests: r.paths["aio-direct"] + r.paths.direct,
      sendfileRequests: r.paths.sendfile + r.paths["read-write"],
      hotRequests: r.hotRequests,
      hotDirectRequests: r.hotPaths["aio-direct"] + r.hotPaths.direct,
      nicUtilization: r.nicUtilization,
    });
  }
  // Best: the most bytes served per second; ties go to the smaller threshold listed first.
  const best = sweepRows.reduce((a, b) => (b.totalThroughputBytesPerSec > a.totalThroughputBytesPerSec * (1 + 1e-9) ? b : a));
  const off = sweepRows.find((r) => r.directioBytes === null);
  const lowest = sweepRows[0];

  // Charts.
  const hotSetting = `${p.hotFiles} hot files of ${formatSize(p.hotFileBytes)}, Zipf s=${p.zipfS}, ${hotClients} closed-loop clients; ${p.largeStreams} clients streaming ${formatSize(p.largeFileBytes)} files; ${profile.name}, seed ${p.seed}`;
  const hitData = hotRows.map((r) => ({series: r.config, cacheBytes: r.cacheBytes, hitRatio: r.hotHitRatio}));
  const latencyData: BarRow[] = pollutionRows.flatMap((r) => [
    {panel: r.config, bar: "p50", value: r.hotP50LatencyNs / 1e3, unit: "µs"},
    {panel: r.config, bar: "p99", value: r.hotP99LatencyNs / 1e3, unit: "µs"},
  ]);
  const raThroughput: BarRow[] = raRows.map((r) => ({panel: r.pattern, row: r.disk, bar: r.readahead, value: r.throughputBytesPerSec / 1e6, unit: "MB/s"}));
  const raWaste: BarRow[] = raRows.map((r) => ({panel: r.pattern, row: r.disk, bar: r.readahead, value: r.wastedPrefetchBytes / MiB, unit: "MiB"}));
  const sweepThroughput: ThresholdRow[] = sweepRows.flatMap((r) => [
    {threshold: r.threshold, series: "small (hot) files", value: r.hotThroughputBytesPerSec / 1e6, unit: "MB/s"},
    {threshold: r.threshold, series: "large files", value: r.largeThroughputBytesPerSec / 1e6, unit: "MB/s"},
  ]);
  const sweepCpu: ThresholdRow[] = sweepRows.map((r) => ({threshold: r.threshold, series: "CPU per MB served", value: r.cpuBusyNsPerMB / 1e3, unit: "µs per MB"}));
  const sweepSetting = `${p.sweepHotFiles} hot files of ${formatSize(p.sweepHotMinBytes)}–${formatSize(p.sweepHotMaxBytes)} (Zipf s=${p.zipfS}) and ${p.largeStreams} streams of ${formatSize(p.largeFileBytes)} files; ${formatSize(p.pollutionCacheBytes)} cache; ${profile.name}, seed ${p.seed}`;
  const raSetting = `${formatSize(p.readBytes)} reads of a ${formatSize(p.readFileBytes)} file (random: ${p.randomReads} reads), ${formatSize(p.readCacheBytes)} cache, window ${formatSize(p.readaheadBytes)}; ${profile.name}, seed ${p.seed}`;
  const charts: StudyResult["charts"] = [
    {
      id: "hit-ratio",
      title: "Hot-set hit ratio against page-cache size",
      html: hitRatioChart(hitData, {
        title: "Hot-set hit ratio against page-cache size",
        subtitle: hotSetting + ".",
        caption: "LRU: one list, the seed's model. two-list: Linux's active/inactive lists. direct I/O: the large files bypass the cache (nginx directio).",
      }),
      data: aq.from(hitData),
    },
    {
      id: "hot-latency",
      title: "Hot-set latency while GB-size files stream",
      html: groupedBarChart(latencyData, {
        title: "Hot-set latency while GB-size files stream",
        subtitle: `Per request, p50 and p99, at a ${formatSize(p.pollutionCacheBytes)} cache; ${hotSetting}.`,
        yLabel: "Latency (µs, log scale)",
        barLabel: "Percentile",
        logY: true,
      }),
      data: aq.from(latencyData),
    },
    {
      id: "readahead-throughput",
      title: "Read throughput with and without readahead",
      html: groupedBarChart(raThroughput, {
        title: "Read throughput with and without readahead",
        subtitle: raSetting + ".",
        yLabel: "Throughput (MB/s, log scale)",
        barLabel: "Readahead",
        logY: true,
        barOrder: readaheadSettings.map((s) => s.name),
      }),
      data: aq.from(raThroughput),
    },
    {
      id: "readahead-waste",
      title: "Prefetched data never read",
      html: groupedBarChart(raWaste, {
        title: "Prefetched data never read (wasted readahead)",
        subtitle: raSetting + ".",
        yLabel: "Prefetched, never read (MiB)",
        barLabel: "Readahead",
        barOrder: readaheadSettings.map((s) => s.name),
      }),
      data: aq.from(raWaste),
    },
    {
      id: "threshold-throughput",
      title: "Throughput of small and large files against the directio threshold",
      html: thresholdChart(sweepThroughput, {
        title: "Throughput of small and large files against the directio threshold",
        subtitle: sweepSetting + ". Dashed: the best threshold (most bytes served).",
        yLabel: "Throughput (MB/s)",
        best: best.threshold,
      }),
      data: aq.from(sweepThroughput),
    },
    {
      id: "threshold-cpu",
      title: "CPU per MB served against the directio threshold",
      html: thresholdChart(sweepCpu, {
        title: "CPU time per MB served against the directio threshold",
        subtitle:
          sweepSetting +
          `. Direct I/O is followed by write(2), one CPU copy user→socket; sendfile ${profile.nic.scatterGather ? "with SG-DMA makes none (the NIC gathers from the cache)" : "makes one, page cache→socket (this NIC has no SG-DMA)"}.`,
        yLabel: "CPU time (µs per MB served)",
        seriesLabel: "Measure",
        best: best.threshold,
      }),
      data: aq.from(sweepCpu),
    },
  ];

  // Notes, computed: every verdict (lowers/raises, resists or not, went direct or not, trades or not) follows the rows.
  const notes: string[] = [];
  const alone = hot("hot set alone");
  const lru = hot("+ streaming, LRU");
  const twoList = hot("+ streaming, two-list");
  const direct = hot("+ streaming, direct I/O");
  const full = (config: string) => hotRows.filter((r) => r.config === config).find((r) => r.hotHitRatio >= 0.99);
  const fullAlone = full("hot set alone");
  const cachePages = Math.floor(p.pollutionCacheBytes / profile.memory.pageBytes);
  notes.push(
    `The hot set alone (${formatSize(p.hotFiles * p.hotFileBytes)} in ${p.hotFiles} files) reaches a ${pct(alone.hotHitRatio)} hit ratio in a ${formatSize(p.pollutionCacheBytes)} cache` +
      (fullAlone ? `; at least 99% from ${formatSize(fullAlone.cacheBytes)}.` : `; it never reaches 99% in the sizes swept.`),
  );
  const lost = alone.hotHitRatio - lru.hotHitRatio;
  notes.push(
    `Streaming ${p.largeStreams} ${p.largeStreams === 1 ? "file" : "files"} of ${formatSize(p.largeFileBytes)} through the same ${formatSize(p.pollutionCacheBytes)} LRU cache ${fromTo("the hot set's hit ratio", alone.hotHitRatio, lru.hotHitRatio, pct)} ` +
      `and ${fromTo("its p99 latency", alone.hotP99LatencyNs, lru.hotP99LatencyNs, formatNs)}` +
      (lost > 0 ? " (the seed's pollution)" : "") +
      `; ${lru.largeResidentPages} pages of the large files (${pct(lru.largeResidentPages / cachePages)} of the cache) sit in it at the end.`,
  );
  notes.push(
    `Serving the large files by asynchronous direct I/O (directio 4m) ` +
      (direct.largeResidentPages === 0 ? "leaves no page of them in the cache" : `still leaves ${direct.largeResidentPages} pages of them in the cache`) +
      `: the hot set's hit ratio is ${pct(direct.hotHitRatio)} (${pct(alone.hotHitRatio)} alone, ${pct(lru.hotHitRatio)} through the LRU cache), p99 ${formatNs(direct.hotP99LatencyNs)}; ` +
      `the large files move at ${mbps(direct.largeThroughputBytesPerSec)} against ${mbps(lru.largeThroughputBytesPerSec)} through the cache.`,
  );
  notes.push(
    `Linux's two lists give the hot set ${pct(twoList.hotHitRatio)} (p99 ${formatNs(twoList.hotP99LatencyNs)}, ${twoList.largeResidentPages} pages of the large files in the cache) against ${pct(lru.hotHitRatio)} with plain LRU: ` +
      resistVerdict(lost, twoList.hotHitRatio - lru.hotHitRatio) +
      ".",
  );
  for (const disk of p.disks) {
    const seqOff = ra(disk, "sequential", "no readahead");
    const seqFixed = ra(disk, "sequential", "fixed window");
    const seqAd = ra(disk, "sequential", "adaptive window");
    const rndOff = ra(disk, "random", "no readahead");
    const rndFixed = ra(disk, "random", "fixed window");
    const rndAd = ra(disk, "random", "adaptive window");
    const pageBytes = profile.memory.pageBytes;
    notes.push(
      `On the ${disk}, a sequential reader goes from ${mbps(seqOff.throughputBytesPerSec)} without readahead (${seqOff.diskReads} disk reads) to ${mbps(seqFixed.throughputBytesPerSec)} with a fixed ${formatSize(p.readaheadBytes)} window (${seqFixed.diskReads} reads) ` +
        `and ${mbps(seqAd.throughputBytesPerSec)} with the adaptive window (${seqAd.diskReads} reads), wasting ${formatSize(seqFixed.wastedPrefetchBytes)} of prefetch.`,
    );
    notes.push(
      `On the ${disk}, a random reader gets ${mbps(rndOff.throughputBytesPerSec)} without readahead and ${mbps(rndFixed.throughputBytesPerSec)} with the fixed window, which prefetches ${formatSize(rndFixed.prefetchedPages * pageBytes)} of which ${formatSize(rndFixed.wastedPrefetchBytes)} (${pct(rndFixed.prefetchedPages ? rndFixed.prefetchedPagesUnused / rndFixed.prefetchedPages : 0)}) is never read; ` +
        `the adaptive window prefetches ${formatSize(rndAd.prefetchedPages * pageBytes)} and wastes ${formatSize(rndAd.wastedPrefetchBytes)} (${mbps(rndAd.throughputBytesPerSec)}).`,
    );
  }
  const hotDirect = (r: (typeof sweepRows)[number]) =>
    r.hotDirectRequests > 0
      ? `${r.hotDirectRequests} of ${r.hotRequests} hot-file requests went direct, around the cache`
      : `no hot-file request went direct (${r.hotRequests} through the cache)`;
  notes.push(
    `The best directio threshold in the sweep (most bytes served) is ${best.threshold}: small files at ${mbps(best.hotThroughputBytesPerSec)} (hit ratio ${pct(best.hotHitRatio)}, p99 ${formatNs(best.hotP99LatencyNs)}) and large files at ${mbps(best.largeThroughputBytesPerSec)}; ${hotDirect(best)}.` +
      (lowest !== best
        ? ` At the first threshold, ${lowest.threshold}, ${hotDirect(lowest)}: small files at ${mbps(lowest.hotThroughputBytesPerSec)}, p99 ${formatNs(lowest.hotP99LatencyNs)}.`
        : "") +
      (off && off !== best
        ? ` With directio off, the large files go through the cache: the hot set's hit ratio is ${pct(off.hotHitRatio)}, ${compare(off.hotHitRatio, best.hotHitRatio, "lower than", "higher than", "the same as")} at ${best.threshold}; small files at ${mbps(off.hotThroughputBytesPerSec)}, large at ${mbps(off.largeThroughputBytesPerSec)}.`
        : ""),
  );
  if (off && off !== best) {
    const moreCpu = best.cpuBusyNsPerMB - off.cpuBusyNsPerMB;
    const moreHit = best.hotHitRatio - off.hotHitRatio;
    notes.push(
      `CPU: ${usPerMB(best.cpuBusyNsPerMB)} per MB served at ${best.threshold} against ${usPerMB(off.cpuBusyNsPerMB)} with directio off, hot-set hit ratio ${pct(best.hotHitRatio)} against ${pct(off.hotHitRatio)}: ` +
        (moreCpu > 0 && moreHit > 0
          ? `the threshold trades ${usPerMB(moreCpu)} more CPU per MB for a cache kept for the hot set.`
          : moreCpu > 0
            ? `the threshold costs ${usPerMB(moreCpu)} more CPU per MB and keeps no more of the cache for the hot set.`
            : moreHit >= 0
              ? `the threshold costs no CPU here: it uses ${usPerMB(-moreCpu)} less per MB and keeps ${moreHit > 0 ? "more" : "as much"} of the cache for the hot set.`
              : `the threshold uses ${usPerMB(-moreCpu)} less CPU per MB but keeps less of the cache for the hot set.`),
    );
  } else if (off) {
    notes.push(`CPU: ${usPerMB(off.cpuBusyNsPerMB)} per MB served with directio off, the best setting in the sweep; no threshold served more bytes.`);
  }
  // Which resource sets the pace: the spread of the sweep's totals and how busy the NIC was, both measured.
  const totals = sweepRows.map((r) => r.totalThroughputBytesPerSec);
  const nics = sweepRows.map((r) => r.nicUtilization);
  const [minTotal, maxTotal] = [Math.min(...totals), Math.max(...totals)];
  const spread = minTotal > 0 ? maxTotal / minTotal - 1 : 0;
  const nicBound = spread < 0.05 && Math.min(...nics) > 0.9;
  notes.push(
    `Across the sweep the totals lie within ${pct(spread)} of one another (${mbps(minTotal)} to ${mbps(maxTotal)}), the NIC busy ${pct(Math.min(...nics))} to ${pct(Math.max(...nics))} of the time` +
      (nicBound
        ? `: the ${profile.disks.ssd.parallelism}-way parallel SSD keeps up, so the NIC sets the pace and the threshold moves CPU and latency rather than the bytes served.`
        : "."),
  );

  return {
    id: "page-cache",
    title: "Page cache, readahead, large files and direct I/O",
    question:
      "How much does the page cache (PageCache) hold of a hot set, what does readahead (预读) gain and waste for sequential and random readers, how much do GB-size files streaming through the cache hurt the hot small files, does asynchronous + direct I/O (异步 I/O + 直接 I/O) restore them, and where should nginx's directio threshold lie?",
    params: {...p},
    tables: [
      {id: "hot-set", title: "The hot set against cache size, with and without streaming", table: aq.from(hotRows)},
      {id: "pollution", title: `The hot set while GB-size files stream, ${formatSize(p.pollutionCacheBytes)} cache`, table: aq.from(pollutionRows)},
      {id: "readahead", title: "Readahead off, fixed and adaptive, for sequential and random readers", table: aq.from(raRows)},
      {id: "threshold", title: "nginx directio threshold sweep", table: aq.from(sweepRows)},
    ],
    charts,
    notes,
  };
}
