/**
 * The nginx policy `sendfile on; aio on; directio <size>;`: choose the
 * transfer path per file size.
 *
 * Like a post office with two counters: letters and small parcels go
 * through the fast counter that keeps popular items on a shelf (sendfile
 * through the page cache, zero-copy); anything at or above the directio
 * size goes to the freight counter (asynchronous direct I/O, then write),
 * so one huge shipment never clears the shelf of the small popular items.
 * The seed's rule: large files by "async I/O + direct I/O", small files by
 * zero-copy.
 */
import type {OperatorFunction} from "rxjs";
import {mergeProcesses} from "../engine/mergeProcesses.js";
import {spawn, type ProcessBody} from "../engine/process.js";
import type {Host} from "../host/Host.js";
import {InputError} from "../errors.js";
import {parseSize, KiB} from "../units.js";
import {directAioBody, directAioDefaults} from "./directAio.js";
import {checkChunkBytes, chunked, transferBody, type FileRequest, type Transfer} from "./internal/transferCore.js";
import {SocketPaths, type LinkOptions} from "./internal/socketPath.js";
import {readWriteChunk} from "./readWrite.js";
import {checkScatterGather, sendfileRecipe} from "./sendfile.js";

/** The path a request took: zero-copy, plain read+write, or direct I/O (asynchronous or blocking). */
export type PolicyPath = "sendfile" | "read-write" | "aio-direct" | "direct";

/** Options of {@link nginxPolicy}; defaults as in the seed's nginx block. */
export interface NginxPolicyOptions extends LinkOptions {
  /** `sendfile on|off` for files below the threshold; default true. */
  sendfile?: boolean;
  /** `aio on|off` for direct reads; default true. */
  aio?: boolean;
  /** `directio <size>|off`: files of at least this size use direct I/O; a size text ("1024m", "4MiB"), bytes, or "off"; default "1024m". */
  directio?: string | number;
  /** Bytes per call on the sendfile / read+write path; default 64 KiB. */
  chunkBytes?: number;
  /** Bytes per read on the direct path (nginx `output_buffers`); default 128 KiB. */
  directChunkBytes?: number;
  /** Direct reads in flight per request; default 2. */
  aioDepth?: number;
  /** Requests served at once (the concurrency of {@link mergeProcesses}); default 1. */
  concurrency?: number;
  /** NIC gathers from the page cache (SG-DMA) on the sendfile path; default the NIC's capability. */
  scatterGather?: boolean;
}

/** A finished transfer and the path the policy chose for it. */
export interface PolicyTransfer extends Transfer {
  path: PolicyPath;
  /** Size of the whole file, bytes (what the policy looked at). */
  fileBytes: number;
}

/**
 * Returns the directio threshold in bytes from nginx-style *text*
 * ("1024m", "512k", "4MiB", bytes, or "off" → Infinity); an unknown unit or
 * a bad size is an {@link InputError} naming `directio`.
 */
export function parseDirectio(text: string | number): number {
  if (typeof text === "string" && text.trim().toLowerCase() === "off") return Infinity;
  if (text === Infinity) return Infinity;
  return parseSize("directio", text);
}

/** Returns the path nginx takes for a file of *fileBytes* given the threshold *directioBytes* and the on/off switches. */
export function choosePath(fileBytes: number, directioBytes: number, sendfileOn = true, aioOn = true): PolicyPath {
  if (fileBytes >= directioBytes) return aioOn ? "aio-direct" : "direct";
  return sendfileOn ? "sendfile" : "read-write";
}

/**
 * Returns an operator that serves each file request the way nginx does with
 * `sendfile on; aio on; directio <size>;`: files smaller than **directio**
 * go by sendfile (zero-copy through the page cache), files at or above it by
 * asynchronous direct reads and write(2), bypassing the page cache. Up to
 * **concurrency** requests are served at once.
 *
 * ```ts
 * requests$.pipe(nginxPolicy(host, {directio: "4m", concurrency: 64}))
 * ```
 * @see sendfile @see directAio
 */
export function nginxPolicy(host: Host, options: NginxPolicyOptions = {}): OperatorFunction<FileRequest, PolicyTransfer> {
  const concurrency = options.concurrency ?? 1;
  if (!(concurrency === Infinity || (Number.isSafeInteger(concurrency) && concurrency >= 1)))
    throw new InputError("concurrency", String(concurrency), "an integer ≥ 1 or Infinity");
  const serve = nginxServe(host, options);
  return mergeProcesses((req: FileRequest) => spawn(host.sim, req.pid ?? 1, () => serve(req)), concurrency);
}

/**
 * Returns the policy of {@link nginxPolicy} as a function from a request to
 * the process body that serves it, for processes that serve requests in a
 * loop (closed-loop clients, workers).
 *
 * ```ts
 * const serve = nginxServe(host, {directio: "4m"});
 * const t = yield* serve({file, pid: 1});
 * ```
 */
export function nginxServe(host: Host, options: NginxPolicyOptions = {}): (req: FileRequest) => ProcessBody<PolicyTransfer> {
  const threshold = parseDirectio(options.directio ?? "1024m");
  const sendfileOn = options.sendfile ?? true;
  const aioOn = options.aio ?? true;
  const chunkBytes = checkChunkBytes(options.chunkBytes ?? 64 * KiB);
  const direct = directAioDefaults({chunkBytes: options.directChunkBytes ?? 128 * KiB, depth: options.aioDepth ?? 2, aio: aioOn});
  const sendfileRounds = sendfileRecipe(checkScatterGather(host, options.scatterGather));
  const readWriteRounds = chunked(readWriteChunk);
  // Every request gets its own connection; all share the host's data path.
  const paths = new SocketPaths(host, options);
  return function* (req: FileRequest): ProcessBody<PolicyTransfer> {
    const path = choosePath(req.file.sizeBytes, threshold, sendfileOn, aioOn);
    const t =
      path === "sendfile" ? yield* transferBody(host, req, chunkBytes, sendfileRounds, paths)
      : path === "read-write" ? yield* transferBody(host, req, chunkBytes, readWriteRounds, paths)
      : yield* directAioBody(host, req, direct, paths);
    return {...t, path, fileBytes: req.file.sizeBytes};
  };
}
