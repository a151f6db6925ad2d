/**
 * A file server's workload: a hot set of small files with skewed (Zipf)
 * popularity, mixed with clients streaming GB-size files.
 *
 * Picture a video site's origin server: thumbnails and pages (the hot set)
 * are asked for all the time, a few of them far more than the rest; now and
 * then someone downloads a whole film (a large file), read once from start
 * to end. The thumbnails want to live in the page cache; the film, pushed
 * through the same cache, would sweep them out (the seed's PageCache
 * section). The clients here are closed loops: each sends a request, waits
 * for the answer, thinks, and sends the next.
 */
import {range} from "rxjs";
import {mergeProcesses} from "../engine/mergeProcesses.js";
import {sleep, spawn, type ProcessBody} from "../engine/process.js";
import {zipf, type Random} from "../engine/random.js";
import type {Sim} from "../engine/sim.js";
import {InputError} from "../errors.js";
import type {FileRef} from "../mm/pageCache.js";
import type {FileRequest, Transfer} from "../transfer/index.js";
import {GiB, KiB, MiB} from "../units.js";

/** Options of {@link fileServerWorkload}. */
export interface FileServerWorkloadOptions {
  /** Files in the hot set; default 400. */
  hotFiles?: number;
  /** Smallest hot file, bytes; default 16 KiB. */
  hotMinBytes?: number;
  /** Largest hot file, bytes; default **hotMinBytes** (sizes are log-uniform in between, whole pages). */
  hotMaxBytes?: number;
  /** Zipf exponent of the hot set's popularity; default 1. */
  zipfS?: number;
  /** Clients asking for hot files; default 8. */
  hotClients?: number;
  /** Mean think time of a hot client between requests (exponential), ns; default 100 µs. */
  thinkNs?: number;
  /** Distinct large files; default 4. */
  largeFileCount?: number;
  /** Size of each large file, bytes; default 1 GiB. */
  largeFileBytes?: number;
  /** Clients streaming large files at once; default 2 (0: none). */
  largeStreams?: number;
  /** Bytes per request of a streaming client (a range of the file); default 1 MiB. */
  largeRangeBytes?: number;
}

/** The files of a workload and its popularity sampler. */
export interface FileServerWorkload {
  options: Required<FileServerWorkloadOptions>;
  /** Hot files, most popular first. */
  hot: FileRef[];
  /** Large files. */
  large: FileRef[];
  /** Draws a hot file by Zipf popularity. */
  pickHot: () => FileRef;
  /** Draws a think time, ns. */
  think: () => number;
}

/** Which part of the workload a request belongs to. */
export type RequestKind = "hot" | "large";

/** One served request, as the clients saw it. */
export interface ServedRequest<T extends Transfer = Transfer> {
  kind: RequestKind;
  transfer: T;
}

function positiveInt(name: string, v: number, min = 1): number {
  if (!(Number.isSafeInteger(v) && v >= min)) throw new InputError(name, String(v), `an integer ≥ ${min}`);
  return v;
}

/**
 * Returns the files of a file-server workload and its samplers, drawn from
 * *random*: **hotFiles** small files of log-uniform sizes between
 * **hotMinBytes** and **hotMaxBytes**, popular by Zipf(**zipfS**), and
 * **largeFileCount** files of **largeFileBytes**.
 *
 * ```ts
 * const w = fileServerWorkload(sim.random.fork(), {hotFiles: 1000, zipfS: 0.9});
 * ```
 * @see startClients
 */
export function fileServerWorkload(random: Random, options: FileServerWorkloadOptions = {}): FileServerWorkload {
  const hotMinBytes = options.hotMinBytes ?? 16 * KiB;
  const o: Required<FileServerWorkloadOptions> = {
    hotFiles: positiveInt("hotFiles", options.hotFiles ?? 400),
    hotMinBytes: positiveInt("hotMinBytes", hotMinBytes),
    hotMaxBytes: positiveInt("hotMaxBytes", options.hotMaxBytes ?? hotMinBytes),
    zipfS: options.zipfS ?? 1,
    hotClients: positiveInt("hotClients", options.hotClients ?? 8, 0),
    thinkNs: options.thinkNs ?? 100_000,
    largeFileCount: positiveInt("largeFileCount", options.largeFileCount ?? 4),
    largeFileBytes: positiveInt("largeFileBytes", options.largeFileBytes ?? GiB),
    largeStreams: positiveInt("largeStreams", options.largeStreams ?? 2, 0),
    largeRangeBytes: positiveInt("largeRangeBytes", options.largeRangeBytes ?? MiB),
  };
  if (o.hotMaxBytes < o.hotMinBytes) throw new InputError("hotMaxBytes", String(o.hotMaxBytes), `at least hotMinBytes (${o.hotMinBytes})`);
  if (!(Number.isFinite(o.zipfS) && o.zipfS >= 0)) throw new InputError("zipfS", String(o.zipfS), "a number ≥ 0");
  if (!(Number.isFinite(o.thinkNs) && o.thinkNs >= 0)) throw new InputError("thinkNs", String(o.thinkNs), "a number of ns ≥ 0");
  const sizes = random.fork();
  const hot: FileRef[] = [];
  const lo = Math.log(o.hotMinBytes);
  const hi = Math.log(o.hotMaxBytes);
  for (let i = 0; i < o.hotFiles; i++) {
    const raw = Math.exp(lo + (hi - lo) * sizes.next());
    const bytes = o.hotMaxBytes === o.hotMinBytes ? o.hotMinBytes : Math.max(o.hotMinBytes, Math.min(o.hotMaxBytes, Math.round(raw / 4096) * 4096));
    hot.push({id: `hot-${i}`, sizeBytes: bytes});
  }
  const large: FileRef[] = [];
  for (let i = 0; i < o.largeFileCount; i++) large.push({id: `large-${i}`, sizeBytes: o.largeFileBytes});
  const rank = zipf(random.fork(), o.hotFiles, o.zipfS);
  const thinking = random.fork();
  return {options: o, hot, large, pickHot: () => hot[rank()], think: () => (o.thinkNs > 0 ? thinking.exponential(o.thinkNs) : 0)};
}

/**
 * Starts the clients of *workload* in *sim*: **hotClients** closed loops
 * asking for hot files and **largeStreams** clients each streaming large
 * files from start to end in ranges of **largeRangeBytes**, until *untilNs*.
 * Each request is served by the process body *serve* returns; *record* sees
 * every finished request. Hot clients are pids 1000+, streams 2000+.
 *
 * ```ts
 * startClients(sim, w, (req, kind) => transferBody(host, req, 64 * KiB, sendfileRecipe(true), new SocketPaths(host)), 50e6, (r) => served.push(r));
 * ```
 */
export function startClients<T extends Transfer>(
  sim: Sim,
  workload: FileServerWorkload,
  serve: (req: FileRequest, kind: RequestKind) => ProcessBody<T>,
  untilNs: number,
  record: (r: ServedRequest<T>) => void,
): void {
  const o = workload.options;
  // All clients run at once, hot ones first, through one subscription: O(1) bookkeeping per client however
  // many there are, and an error in any of them reaches sim.run() (no handler here) and stops the others.
  range(0, o.hotClients + o.largeStreams)
    .pipe(
      mergeProcesses((k) =>
        k < o.hotClients
          ? spawn(sim, 1000 + k, () => hotClient(sim, workload, serve, untilNs, record, 1000 + k))
          : spawn(sim, 2000 + k - o.hotClients, () => largeStream(sim, workload, serve, untilNs, record, k - o.hotClients)),
      ),
    )
    .subscribe();
}

/** A closed-loop hot client (pid *pid*): asks for a hot file, thinks, asks again, until *untilNs*. */
function* hotClient<T extends Transfer>(
  sim: Sim,
  workload: FileServerWorkload,
  serve: (req: FileRequest, kind: RequestKind) => ProcessBody<T>,
  untilNs: number,
  record: (r: ServedRequest<T>) => void,
  pid: number,
): ProcessBody<void> {
  // Stagger the start so the clients do not march in step.
  yield sleep(workload.think());
  while (sim.scheduler.now() < untilNs) {
    const transfer = yield* serve({file: workload.pickHot(), pid}, "hot");
    record({kind: "hot", transfer});
    const t = workload.think();
    if (t > 0) yield sleep(t);
  }
}

/** Streaming client number *s* (pid 2000 + *s*): reads large files from start to end in ranges, until *untilNs*. */
function* largeStream<T extends Transfer>(
  sim: Sim,
  workload: FileServerWorkload,
  serve: (req: FileRequest, kind: RequestKind) => ProcessBody<T>,
  untilNs: number,
  record: (r: ServedRequest<T>) => void,
  s: number,
): ProcessBody<void> {
  const o = workload.options;
  const pid = 2000 + s;
  for (let j = 0; sim.scheduler.now() < untilNs; j++) {
    const file = workload.large[(s + j * o.largeStreams) % workload.large.length];
    for (let off = 0; off < file.sizeBytes && sim.scheduler.now() < untilNs; off += o.largeRangeBytes) {
      const transfer = yield* serve({file, pid, offsetBytes: off, bytes: Math.min(o.largeRangeBytes, file.sizeBytes - off)}, "large");
      record({kind: "large", transfer});
    }
  }
}
