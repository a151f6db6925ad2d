/**
 * The buffered read path (缓存 I/O): what happens in the kernel between
 * "read(fd, ...)" and data sitting in the page cache.
 *
 * Like a library's reading room: you ask at the desk; if the book is on the
 * shelf behind the desk (the page cache) you get it at once; if not, a
 * runner fetches it from the stacks (a disk DMA), and a helpful runner
 * brings the next volumes too (readahead). If someone else already sent a
 * runner for your book, you wait for that runner rather than sending another.
 */
import {Signal, wait, type ProcessBody} from "../engine/process.js";
import type {Host} from "../host/Host.js";
import type {CacheReadPlan, FileRef, PageRun} from "../mm/pageCache.js";
import {syscall} from "./syscall.js";

/**
 * Returns a process body that starts the disk→page-cache DMA of *run* of
 * *file* (the driver's set-up on a core, then the disk); when its interrupt
 * has been handled the cache marks the pages present and *landed* fires.
 */
function* fetchRun(host: Host, file: FileRef, run: PageRun, landed: Signal<number>, pid: number): ProcessBody<void> {
  const cache = host.pageCache;
  const start = run.firstPage * cache.pageBytes;
  const runBytes = Math.min(run.pages * cache.pageBytes, file.sizeBytes - start);
  const dma = yield* host.diskDma(file.id, start, runBytes, "disk→page-cache", pid);
  // The pages are marked present before any reader resumes.
  dma.then((timeNs) => {
    cache.landed(file.id, run);
    landed.fire(timeNs);
  });
}

/**
 * Returns *runs* cut into requests of at most the disk's `maxRequestBytes`
 * (the block layer splits a bio at the queue's max_sectors:
 * bio_split_to_limits(), block/blk-merge.c), each read and completed on
 * its own; *runs* itself when the profile sets no limit.
 */
function splitRuns(host: Host, runs: PageRun[]): PageRun[] {
  const maxBytes = host.disk.profile.maxRequestBytes;
  if (maxBytes === undefined) return runs;
  const maxPages = Math.max(1, Math.floor(maxBytes / host.pageCache.pageBytes));
  if (runs.every((r) => r.pages <= maxPages)) return runs;
  return runs.flatMap((r) => {
    const parts: PageRun[] = [];
    for (let p = 0; p < r.pages; p += maxPages) parts.push({firstPage: r.firstPage + p, pages: Math.min(maxPages, r.pages - p)});
    return parts;
  });
}

/** Whether *run* holds a page of [*first*, *last*]. */
function overlaps(run: PageRun, first: number, last: number): boolean {
  return run.firstPage <= last && run.firstPage + run.pages - 1 >= first;
}

/** Returns a signal for *run* of *file*, registered with the cache as in flight: a reader of its pages waits for it. */
function pending(host: Host, file: FileRef, run: PageRun): Signal<number> {
  const signal = new Signal<number>();
  host.pageCache.inFlight(file.id, run, signal);
  return signal;
}

/**
 * Returns a process body that makes [*offsetBytes*, +*bytes*) of *file*
 * resident in the host's page cache: it looks the pages up (*lookupNs* per
 * page, by default the profile's `memory.pageLookupNs`; sendfile's rounds
 * pass `memory.splicePageNs`; booked as "page-lookup"), records the hits
 * and misses in the trace, starts one disk→page-cache DMA per missing run
 * (synchronous readahead included, merged into the same request when
 * adjacent), starts any asynchronous readahead without waiting for it, and
 * waits for its own runs and for in-flight reads of pages it found. Its
 * result is the cache's plan. Copies out of the cache are the caller's
 * business.
 *
 * ```ts
 * yield* syscall(host, "read", () => bufferedRead(host, file, 0, 32 * KiB, pid));
 * ```
 * @see readCall @see directRead
 */
export function* bufferedRead(host: Host, file: FileRef, offsetBytes: number, bytes: number, pid = 0, lookupNs = host.profile.memory.pageLookupNs): ProcessBody<CacheReadPlan> {
  const cache = host.pageCache;
  const plan = cache.read(file, offsetBytes, bytes);
  const {trace, scheduler} = host.sim;
  const pageBytes = cache.pageBytes;
  if (plan.hitPages > 0) trace.record(scheduler.now(), "cache-hit", pid, 0, plan.hitPages * pageBytes, file.id);
  if (plan.missPages > 0) trace.record(scheduler.now(), "cache-miss", pid, 0, plan.missPages * pageBytes, file.id);
  // Every run is registered as in flight before the first DMA set-up yields the core, so a reader
  // arriving meanwhile waits for these reads instead of sending its own.
  const diskRuns = splitRuns(host, plan.diskRuns);
  const asyncRuns = splitRuns(host, plan.asyncRuns);
  const signals = diskRuns.map((run) => pending(host, file, run));
  const asyncSignals = asyncRuns.map((run) => pending(host, file, run));
  // Every requested page is looked up in the page cache's xarray (filemap_get_pages → filemap_get_read_batch, or
  // filemap_map_pages under a fault): CPU per page, booked as its own category, after the runs are registered.
  const lookups = plan.hitPages + plan.missPages;
  if (lookups > 0 && lookupNs > 0) yield host.cpuWork(lookups * lookupNs, "page-lookup", null, 0, "filemap_get_read_batch");
  for (let i = 0; i < signals.length; i++) yield* fetchRun(host, file, diskRuns[i], signals[i], pid);
  for (let i = 0; i < asyncSignals.length; i++) yield* fetchRun(host, file, asyncRuns[i], asyncSignals[i], pid);
  // The reader waits for the requests that hold pages it asked for (filemap_read waits on each folio it copies out, not on
  // the rest of the readahead window).
  const [firstPage, lastPage] = cache.pageRange(file, offsetBytes, bytes);
  for (let i = 0; i < signals.length; i++) if (overlaps(diskRuns[i], firstPage, lastPage)) yield wait(signals[i]);
  for (const s of plan.waitFor) yield wait(s);
  return plan;
}

/**
 * Returns a process body for the kernel's side of one read of *bytes* at
 * *offsetBytes* of *file* through the page cache into a user buffer, as
 * filemap_read() does it for read(2) and for an io_uring read: the call's
 * own work (`memory.fileReadCallNs`, when the profile prices it), the
 * page-cache lookup (and disk DMA on a miss), one CPU copy page-cache→user
 * of the bytes the file has there (at the rate for a file of its size,
 * Host.pageCacheCopy). Its result is the cache's plan.
 * @see readCall
 */
export function* filemapRead(host: Host, file: FileRef, offsetBytes: number, bytes: number, pid = 0): ProcessBody<CacheReadPlan> {
  const n = Math.max(0, Math.min(bytes, file.sizeBytes - offsetBytes));
  const call = host.fileReadCall();
  if (call !== null) yield call;
  const plan = yield* bufferedRead(host, file, offsetBytes, n, pid);
  if (n > 0) yield host.pageCacheCopy(n, "page-cache→user", file.sizeBytes);
  return plan;
}

/**
 * Returns a process body for one read(2) of *bytes* at *offsetBytes* of
 * *file* into a user buffer: two mode switches around {@link filemapRead}.
 * Its result is the cache's plan.
 *
 * ```ts
 * for (let off = 0; off < file.sizeBytes; off += 32 * KiB) yield* readCall(host, file, off, 32 * KiB, 1);
 * ```
 * @see bufferedRead
 */
export function* readCall(host: Host, file: FileRef, offsetBytes: number, bytes: number, pid = 0): ProcessBody<CacheReadPlan> {
  return yield* syscall(host, "read", filemapRead(host, file, offsetBytes, bytes, pid));
}
