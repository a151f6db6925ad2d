/**
 * The page cache (PageCache, 磁盘高速缓存): recently used file pages kept in memory.
 *
 * Like a desk beside the archive: pages fetched from the archive (disk) stay
 * on the desk, the least recently used sliding off when the desk is full
 * (LRU). A read that finds its pages on the desk is a hit and needs no disk
 * DMA; a read that misses asks the archive for the missing pages and, with
 * readahead (预读), for the next few too, betting that the reader goes on
 * sequentially (the seed: a 32 KB read also fetches the next 32 KB).
 *
 * Two refinements from Linux are available as options:
 *
 * - **window** `"adaptive"`: the readahead window starts small on the
 *   first sequential read and doubles while the reader stays sequential, up
 *   to **readaheadBytes** (Linux's `ondemand_readahead`); a random read gets
 *   no readahead at all. Once a window is in, the next one is fetched
 *   *asynchronously* when the reader reaches a marked page, so the disk
 *   works ahead of the reader.
 * - **lists** `"two-list"`: an inactive and an active list, as Linux keeps.
 *   A page enters the inactive list; only a second access promotes it to
 *   the active list, which may hold at most half the cache. A file streamed
 *   once only churns the inactive list, so twice-read hot pages survive.
 *
 * Pages are keyed per file and page number; a JS Map keeps insertion order,
 * so deleting and re-inserting a key on access makes its iteration order
 * the LRU order (oldest first). Every operation is O(1) per page, so warming
 * a 1 GiB file (262 144 pages) takes milliseconds.
 */
import type {Signal} from "../engine/process.js";
import {InputError, keyword} from "../errors.js";

/** A file, as the page cache and disk see it. */
export interface FileRef {
  /** Unique name. */
  id: string;
  /** Size, bytes. */
  sizeBytes: number;
}

/** How the readahead window is sized: fixed (the seed's model) or adaptive (Linux's). */
export type ReadaheadWindow = "fixed" | "adaptive";
/** The readahead windows, for parameter checks. */
export const readaheadWindows: readonly ReadaheadWindow[] = ["fixed", "adaptive"];

/** How pages are ordered for eviction: one LRU list, or Linux's active/inactive pair. */
export type CacheLists = "lru" | "two-list";
/** The list policies, for parameter checks. */
export const cacheListPolicies: readonly CacheLists[] = ["lru", "two-list"];

/** Options of {@link PageCache}. */
export interface PageCacheOptions {
  /** Capacity in pages (≥ 1). */
  capacityPages: number;
  /** Page size, bytes; default 4096. */
  pageBytes?: number;
  /**
   * Readahead window, bytes; default 0 (none). With the fixed window, this
   * much is fetched after every read that misses; with the adaptive window,
   * it is the largest the window grows to. Either is cut to the room the
   * cache has beside the read's own pages, so a cache smaller than the
   * window never evicts what was just asked for.
   */
  readaheadBytes?: number;
  /** Fixed (default; the seed's description) or adaptive (Linux) readahead window. */
  window?: ReadaheadWindow;
  /** One LRU list (default) or Linux's active/inactive lists. */
  lists?: CacheLists;
  /**
   * Adaptive window: the file system caches the file in large folios and
   * each asynchronous window ends on a boundary of its folio order, as
   * Linux 6.18 does (see {@link nextAsyncWindow}); default false (4 KiB
   * pages only, windows as `get_next_ra_size` gives them).
   */
  folioOrders?: boolean;
}

/** A contiguous run of pages to fetch from disk. */
export interface PageRun {
  /** First page. */
  firstPage: number;
  /** Number of pages. */
  pages: number;
}

/** What a read found and what must come from disk. */
export interface CacheReadPlan {
  /** Requested pages found in the cache. */
  hitPages: number;
  /** Requested pages not in the cache. */
  missPages: number;
  /** Disk requests the reader issues and waits for (requested misses plus synchronous readahead), in file order. */
  diskRuns: PageRun[];
  /** Pages added beyond the request by readahead (synchronous and asynchronous). */
  readaheadPages: number;
  /** Asynchronous readahead runs (adaptive window only): issued now, not waited for. */
  asyncRuns: PageRun[];
  /** Disk reads still in flight that hold requested pages found in the cache: the reader waits for them. */
  waitFor: Signal<number>[];
}

/** Hit and miss counts of one file. */
export interface FileCacheStats {
  hits: number;
  misses: number;
}

/** Page flag: brought in by readahead and not read since. */
const PREFETCHED = 1;
/** Page flag: accessed once (two-list: a second access promotes to active). */
const REFERENCED = 2;
/** Page flag: its disk read has not completed yet. */
const IN_FLIGHT = 4;
/** Page flag: reaching it starts the next asynchronous readahead (Linux's PG_readahead). */
const MARK = 8;

/** Readahead state of one file (Linux's `file_ra_state`). */
interface RaState {
  /** Last page of the previous read, or -1. */
  prevLast: number;
  /** First page of the current window. */
  start: number;
  /** Pages in the current window (0: no window). */
  size: number;
  /** Folio order of the current window (Linux's `ra->order`; 0 without large folios). */
  order: number;
}

/** A disk read in flight, so later readers of its pages can wait for it. */
interface PendingRun {
  firstPage: number;
  lastPage: number;
  signal: Signal<number>;
}

/**
 * Returns the first window of an adaptive readahead for a read of
 * *requestPages*, capped at *maxPages* (Linux's `get_init_ra_size`): the
 * request rounded up to a power of two, times 4 when it is small against the
 * maximum, times 2 when medium, else the maximum.
 */
export function initialWindowPages(requestPages: number, maxPages: number): number {
  let size = 1;
  while (size < requestPages) size *= 2;
  if (size <= maxPages / 32) size *= 4;
  else if (size <= maxPages / 4) size *= 2;
  else size = maxPages;
  return Math.min(size, maxPages);
}

/** Returns the window after one of *currentPages* (Linux's `get_next_ra_size`): ×4 while tiny, else ×2, capped at *maxPages*. */
export function nextWindowPages(currentPages: number, maxPages: number): number {
  return Math.min(currentPages < maxPages / 16 ? currentPages * 4 : currentPages * 2, maxPages);
}

/**
 * Largest folio order of the page cache (Linux's MAX_PAGECACHE_ORDER on
 * x86-64: HPAGE_PMD_ORDER, 2 MiB folios of 4 KiB pages; include/linux/pagemap.h).
 */
export const MAX_PAGECACHE_ORDER = 9;

/**
 * Returns the asynchronous window after one of *sizePages* at folio order
 * *order* that ended at page *start*, and the new window's order, as Linux
 * 6.18's page_cache_async_ra() and page_cache_ra_order() (mm/readahead.c)
 * size it when the file is cached in large folios: the window grows as
 * `get_next_ra_size` says, its folio order by two (`order += 2`), and its
 * end is cut back to a multiple of that order's folio when that leaves any
 * window (`aligned_end = round_down(end, 1UL << order); if (aligned_end >
 * ra->start) ra->size -= end - aligned_end`); the order kept for the next
 * window is the one its folios got, at most the window's own log2 and
 * {@link MAX_PAGECACHE_ORDER}.
 *
 * The readahead tracepoints of a 6.18 kernel on ext4 show it for a reader of
 * 4 KiB: windows of 4, 16, 60, 240, 448, 256 and 512 pages, where 4 KiB
 * pages alone would give 4, 16, 64, 256, 512, 1,024 and 2,048. Cold
 * sequential reads fetch less ahead of the reader than the plain rule.
 */
export function nextAsyncWindow(start: number, sizePages: number, order: number, maxPages: number): {size: number; order: number} {
  let size = nextWindowPages(sizePages, maxPages);
  const newOrder = order + 2;
  const end = start + size;
  const alignedEnd = Math.floor(end / 2 ** newOrder) * 2 ** newOrder;
  if (alignedEnd > start) size -= end - alignedEnd;
  return {size, order: Math.min(newOrder, Math.floor(Math.log2(size)), MAX_PAGECACHE_ORDER)};
}

/**
 * Returns a page cache of *capacityPages* pages with an optional readahead
 * window, evicting in LRU order (or by Linux's two lists).
 *
 * ```ts
 * const cache = new PageCache({capacityPages: 1024, readaheadBytes: 32 * 1024});
 * cache.read({id: "a", sizeBytes: 1 << 20}, 0, 32 * 1024).diskRuns; // [{firstPage: 0, pages: 16}]
 * ```
 */
export class PageCache {
  readonly capacityPages: number;
  readonly pageBytes: number;
  /** Readahead window (fixed) or its maximum (adaptive), bytes. */
  readaheadBytes: number;
  /** Readahead window policy. */
  window: ReadaheadWindow;
  /** Eviction lists. */
  lists: CacheLists;
  /** Whether adaptive windows follow large folios' orders (see {@link nextAsyncWindow}). */
  folioOrders: boolean;
  /** The LRU list (lru), or the inactive list (two-list): key → flags, least recent first. */
  private readonly inactive = new Map<number, number>();
  /** The active list (two-list only): key → flags, least recent first. */
  private readonly active = new Map<number, number>();
  /** Numeric id per file name, so page keys are numbers. */
  private readonly fileNos = new Map<string, number>();
  /** Resident pages per file number (so a forgotten file's number is released when its last page goes). */
  private readonly residentByNo = new Map<number, number>();
  /** Forgotten files (number → name) whose number waits for their last resident page and read in flight to go. */
  private readonly forgottenNos = new Map<number, string>();
  /** File numbers released by forgotten files, reused first so keys stay below 2^53 however many files pass. */
  private readonly freeNos: number[] = [];
  /** Next never-used file number. */
  private nextFileNo = 0;
  /** Readahead state per file number (adaptive window). */
  private readonly raStates = new Map<number, RaState>();
  /** Disk reads in flight, per file number. */
  private readonly pending = new Map<number, PendingRun[]>();
  /** Per-file hits and misses. */
  readonly perFile = new Map<string, FileCacheStats>();
  /** Requested pages found. */
  hits = 0;
  /** Requested pages missing. */
  misses = 0;
  /** Pages evicted to make room. */
  evictions = 0;
  /** Pages fetched by readahead. */
  prefetchedPages = 0;
  /** Pages promoted to the active list (two-list). */
  activations = 0;
  /** Prefetched pages evicted without ever being read. */
  private evictedUnused = 0;
  /** Prefetched pages resident and not read yet. */
  private residentPrefetched = 0;

  constructor(options: PageCacheOptions) {
    const {capacityPages, pageBytes = 4096, readaheadBytes = 0, window = "fixed", lists = "lru", folioOrders = false} = options;
    if (!(Number.isSafeInteger(pageBytes) && pageBytes > 0)) throw new InputError("pageBytes", String(pageBytes), "a positive integer");
    if (!(Number.isSafeInteger(capacityPages) && capacityPages >= 1))
      throw new InputError("cacheBytes", `${capacityPages} pages`, `at least one page (${pageBytes} bytes)`);
    this.capacityPages = capacityPages;
    this.pageBytes = pageBytes;
    this.readaheadBytes = 0;
    this.window = "fixed";
    this.lists = "lru";
    this.folioOrders = folioOrders;
    this.configure({readaheadBytes, window, lists});
  }

  /**
   * Changes the readahead and list policy of an empty cache (the host builds
   * its cache before a scenario chooses a policy); throws once pages are in.
   */
  configure(options: Pick<PageCacheOptions, "readaheadBytes" | "window" | "lists">): this {
    const {readaheadBytes = this.readaheadBytes, window = this.window, lists = this.lists} = options;
    if (!(Number.isFinite(readaheadBytes) && readaheadBytes >= 0)) throw new InputError("readaheadBytes", String(readaheadBytes), "a size ≥ 0");
    keyword("window", window, readaheadWindows);
    keyword("lists", lists, cacheListPolicies);
    if (lists !== this.lists && this.size > 0) throw new Error("PageCache.configure: cannot change the lists of a cache that holds pages");
    this.readaheadBytes = readaheadBytes;
    this.window = window;
    this.lists = lists;
    return this;
  }

  /** Pages resident now. */
  get size(): number {
    return this.inactive.size + this.active.size;
  }

  /** Pages on the active list (0 with plain LRU). */
  get activePages(): number {
    return this.active.size;
  }

  /** Prefetched pages never read: evicted unread plus still resident unread. */
  get prefetchedPagesUnused(): number {
    return this.evictedUnused + this.residentPrefetched;
  }

  /** Hits / (hits + misses), or 0 before any access. */
  get hitRatio(): number {
    const total = this.hits + this.misses;
    return total === 0 ? 0 : this.hits / total;
  }

  private fileNo(fileId: string): number {
    let no = this.fileNos.get(fileId);
    if (no === undefined) this.fileNos.set(fileId, (no = this.freeNos.pop() ?? this.nextFileNo++));
    return no;
  }

  /**
   * Drops what the cache keeps about *fileId* beyond its pages (its hit and
   * miss counts, readahead state, and its number once its last page is
   * evicted), as the kernel frees a deleted file's inode: a server that
   * streams millions of distinct files, each once, keeps its memory flat.
   * Its resident pages stay and are evicted in turn; reading the file again
   * later starts it afresh.
   */
  forget(fileId: string): void {
    const no = this.fileNos.get(fileId);
    if (no === undefined) return;
    this.perFile.delete(fileId);
    this.raStates.delete(no);
    this.forgottenNos.set(no, fileId);
    this.release(no);
  }

  /** Frees the number (and name) of a forgotten file once no page of it is resident and no read of it in flight. */
  private release(no: number): void {
    const fileId = this.forgottenNos.get(no);
    if (fileId === undefined || (this.residentByNo.get(no) ?? 0) > 0 || this.pending.has(no)) return;
    this.forgottenNos.delete(no);
    this.fileNos.delete(fileId);
    this.perFile.delete(fileId);
    this.raStates.delete(no);
    this.freeNos.push(no);
  }

  private key(fileId: string, page: number): number {
    return this.fileNo(fileId) * 2 ** 32 + page;
  }

  private flagsOf(k: number): number | undefined {
    return this.inactive.get(k) ?? this.active.get(k);
  }

  /** Whether page *page* of *fileId* is resident (does not touch LRU order). */
  has(fileId: string, page: number): boolean {
    const k = this.key(fileId, page);
    return this.inactive.has(k) || this.active.has(k);
  }

  /**
   * Whether every page of [*offsetBytes*, +*bytes*) of *file* is resident
   * and holds data (no disk read of it in flight): a read of it would not
   * block (what a non-blocking read, IOCB_NOWAIT, may serve). Looks only:
   * no hit or miss is counted, no list order changes.
   */
  upToDate(file: FileRef, offsetBytes: number, bytes: number): boolean {
    const [first, last] = this.pageRange(file, offsetBytes, bytes);
    for (let p = first; p <= last; p++) if (!this.has(file.id, p)) return false;
    const no = this.fileNos.get(file.id);
    const runs = no === undefined ? undefined : this.pending.get(no);
    return !runs || runs.every((r) => r.lastPage < first || r.firstPage > last);
  }

  /** Returns the resident pages of *fileId* in eviction order: inactive (or the LRU list) least recent first, then active. */
  residentPages(fileId: string): number[] {
    const no = this.fileNos.get(fileId);
    if (no === undefined) return [];
    const out: number[] = [];
    for (const list of [this.inactive, this.active]) for (const k of list.keys()) if (Math.floor(k / 2 ** 32) === no) out.push(k % 2 ** 32);
    return out;
  }

  /** Returns every resident page as `fileId:page` in eviction order (tests, teaching). */
  order(): string[] {
    const names = new Map([...this.fileNos].map(([id, no]) => [no, id]));
    const out: string[] = [];
    for (const list of [this.inactive, this.active]) for (const k of list.keys()) out.push(`${names.get(Math.floor(k / 2 ** 32))}:${k % 2 ** 32}`);
    return out;
  }

  /** Returns the number of resident pages of *fileId*. */
  residentCount(fileId: string): number {
    return this.residentPages(fileId).length;
  }

  /**
   * Returns the page range [first, last] covering *bytes* at *offsetBytes*,
   * clipped to the file; empty (last < first) when the range holds no byte
   * of the file (zero bytes, an empty file, an offset at or past the end),
   * as read(2) at EOF returns 0 without touching the cache.
   */
  pageRange(file: FileRef, offsetBytes: number, bytes: number): [number, number] {
    const first = Math.floor(offsetBytes / this.pageBytes);
    const end = Math.min(offsetBytes + bytes, file.sizeBytes);
    if (end <= offsetBytes) return [first, first - 1];
    return [first, Math.ceil(end / this.pageBytes) - 1];
  }

  /**
   * Looks up a read of *bytes* at *offsetBytes* of *file*: counts hits and
   * misses, refreshes the position of the hits, inserts the missing pages and
   * the readahead pages (evicting as needed) and returns the disk runs to
   * fetch. The caller issues the DMA for each run and reports it with
   * {@link inFlight}.
   */
  read(file: FileRef, offsetBytes: number, bytes: number): CacheReadPlan {
    const [first, last] = this.pageRange(file, offsetBytes, bytes);
    // Nothing of the file asked for (EOF, zero bytes): no lookup, no readahead, the window state untouched.
    if (last < first) return {hitPages: 0, missPages: 0, diskRuns: [], readaheadPages: 0, asyncRuns: [], waitFor: []};
    const no = this.fileNo(file.id);
    const base = no * 2 ** 32;
    let stats = this.perFile.get(file.id);
    if (!stats) this.perFile.set(file.id, (stats = {hits: 0, misses: 0}));
    const runs: PageRun[] = [];
    const waitFor: Signal<number>[] = [];
    let hitPages = 0;
    let missPages = 0;
    let markHit = false;
    for (let p = first; p <= last; p++) {
      const k = base + p;
      const flags = this.flagsOf(k);
      if (flags !== undefined) {
        hitPages++;
        if (flags & PREFETCHED) this.residentPrefetched--;
        if (flags & MARK) markHit = true;
        if (flags & IN_FLIGHT) {
          const s = this.pendingSignal(no, p);
          if (s && !waitFor.includes(s)) waitFor.push(s);
        }
        this.touch(k, flags & ~(PREFETCHED | MARK));
      } else {
        missPages++;
        this.insert(k, REFERENCED | IN_FLIGHT);
        addToRuns(runs, p);
      }
    }
    this.hits += hitPages;
    this.misses += missPages;
    stats.hits += hitPages;
    stats.misses += missPages;
    const asyncRuns: PageRun[] = [];
    let readaheadPages = 0;
    const lastFilePage = Math.ceil(file.sizeBytes / this.pageBytes) - 1;
    const requestPages = last - first + 1;
    // Readahead never pushes out the pages this read asked for (the kernel cannot reclaim pages under
    // I/O or being copied): it gets at most the room beside them on the list new pages enter.
    const roomPages = Math.max(0, this.capacityPages - this.active.size - requestPages);
    const maxPages = Math.min(Math.ceil(this.readaheadBytes / this.pageBytes), roomPages);
    if (maxPages > 0 && this.window === "fixed") {
      // The seed's readahead: every read that misses also fetches the next window.
      if (missPages > 0) readaheadPages = this.prefetch(base, last + 1, Math.min(last + maxPages, lastFilePage), runs, -1);
    } else if (maxPages > 0) {
      let st = this.raStates.get(no);
      if (!st) this.raStates.set(no, (st = {prevLast: -1, start: 0, size: 0, order: 0}));
      // The start of the file always counts as sequential (Linux's ondemand_readahead: `if (!index) goto initial_readahead`).
      const sequential = first === 0 || (st.prevLast >= 0 && (first === st.prevLast + 1 || first === st.prevLast));
      if (missPages > 0) {
        if (sequential) {
          // Synchronous readahead: a sequential miss starts the window afresh at the read, at its initial size; only the
          // asynchronous readahead below grows it (Linux 6.18 page_cache_sync_ra(), mm/readahead.c: "A start of file,
          // oversized read, or sequential cache miss" sets ra->size = get_init_ra_size(req_count, max_pages) and
          // ra->async_size = ra->size > req_count ? ra->size - req_count : ra->size >> 1).
          const size = Math.max(requestPages, initialWindowPages(requestPages, maxPages));
          const asyncSize = size > requestPages ? size - requestPages : size >> 1;
          const end = Math.min(first + size - 1, lastFilePage);
          readaheadPages = this.prefetch(base, last + 1, end, runs, first + size - asyncSize);
          st.start = first;
          st.size = size;
          st.order = 0; // page_cache_ra_order(ractl, ra, 0): the synchronous window is read in single pages
        } else st.size = 0; // a random read: read what was asked, nothing more
      } else if (markHit && st.size > 0) {
        // Asynchronous readahead: the reader reached the marked page, so fetch the next window now.
        const start = st.start + st.size;
        let size: number;
        if (this.folioOrders) ({size, order: st.order} = nextAsyncWindow(start, st.size, st.order, maxPages));
        else size = nextWindowPages(st.size, maxPages);
        if (start <= lastFilePage) readaheadPages = this.prefetch(base, start, Math.min(start + size - 1, lastFilePage), asyncRuns, start);
        st.start = start;
        st.size = size;
      }
      st.prevLast = last;
    }
    this.prefetchedPages += readaheadPages;
    return {hitPages, missPages, diskRuns: runs, readaheadPages, asyncRuns, waitFor};
  }

  /** Inserts the missing pages of [from, to] as prefetched, adding them to *runs*; marks page *markPage*; returns pages added. */
  private prefetch(base: number, from: number, to: number, runs: PageRun[], markPage: number): number {
    let added = 0;
    for (let p = from; p <= to; p++) {
      const k = base + p;
      if (this.flagsOf(k) !== undefined) continue;
      this.insert(k, PREFETCHED | IN_FLIGHT | (p === markPage ? MARK : 0));
      this.residentPrefetched++;
      addToRuns(runs, p);
      added++;
    }
    return added;
  }

  /** Records that the disk read of *run* of *fileId* is in flight until *signal* fires; readers of its pages wait for it. */
  inFlight(fileId: string, run: PageRun, signal: Signal<number>): void {
    const no = this.fileNo(fileId);
    let list = this.pending.get(no);
    if (!list) this.pending.set(no, (list = []));
    list.push({firstPage: run.firstPage, lastPage: run.firstPage + run.pages - 1, signal});
  }

  /** Records that the disk read of *run* of *fileId* completed: its resident pages hold data now. */
  landed(fileId: string, run: PageRun): void {
    const no = this.fileNo(fileId);
    const list = this.pending.get(no);
    if (list) {
      const i = list.findIndex((r) => r.firstPage === run.firstPage);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) {
        this.pending.delete(no);
        this.release(no);
      }
    }
    const base = no * 2 ** 32;
    for (let p = run.firstPage; p < run.firstPage + run.pages; p++) {
      const k = base + p;
      const f = this.inactive.get(k);
      if (f !== undefined) this.inactive.set(k, f & ~IN_FLIGHT);
      else {
        const g = this.active.get(k);
        if (g !== undefined) this.active.set(k, g & ~IN_FLIGHT);
      }
    }
  }

  private pendingSignal(no: number, page: number): Signal<number> | undefined {
    const list = this.pending.get(no);
    if (list) for (const r of list) if (page >= r.firstPage && page <= r.lastPage) return r.signal;
    return undefined;
  }

  /**
   * Evicts *file*'s resident pages, as `posix_fadvise(fd, 0, 0,
   * POSIX_FADV_DONTNEED)` does for a clean file: pages whose disk read is
   * still in flight stay (invalidate_mapping_pages() skips locked folios),
   * and the file's readahead state stays too (it lives in the open file,
   * `file->f_ra`, which fadvise does not touch), so a reader that goes on
   * where it was is still sequential. Returns the pages evicted.
   */
  drop(file: FileRef): number {
    const no = this.fileNos.get(file.id);
    if (no === undefined) return 0;
    const base = no * 2 ** 32;
    const lastPage = Math.ceil(file.sizeBytes / this.pageBytes) - 1;
    let dropped = 0;
    for (let p = 0; p <= lastPage; p++) {
      const k = base + p;
      const list = this.inactive.has(k) ? this.inactive : this.active.has(k) ? this.active : null;
      if (list === null) continue;
      const flags = list.get(k)!;
      if (flags & IN_FLIGHT) continue;
      list.delete(k);
      if (flags & PREFETCHED) this.residentPrefetched--;
      dropped++;
    }
    const left = (this.residentByNo.get(no) ?? 0) - dropped;
    if (left > 0) this.residentByNo.set(no, left);
    else {
      this.residentByNo.delete(no);
      this.release(no);
    }
    return dropped;
  }

  /** Marks every page of [offsetBytes, offsetBytes+bytes) of *file* resident (a warm cache), without counting hits or misses. */
  warm(file: FileRef, offsetBytes = 0, bytes = file.sizeBytes): void {
    const [first, last] = this.pageRange(file, offsetBytes, bytes);
    const base = this.fileNo(file.id) * 2 ** 32;
    for (let p = first; p <= last; p++) {
      const k = base + p;
      const flags = this.flagsOf(k);
      if (flags !== undefined) this.touch(k, flags);
      else this.insert(k, REFERENCED);
    }
  }

  /** Moves a resident page to the most-recent end (promoting a re-referenced inactive page in two-list mode). */
  private touch(k: number, flags: number): void {
    if (this.lists === "lru") {
      this.inactive.delete(k);
      this.inactive.set(k, flags);
      return;
    }
    if (this.active.delete(k)) {
      this.active.set(k, flags);
      return;
    }
    this.inactive.delete(k);
    if (flags & REFERENCED) {
      // Second access: promote, then keep the active list at most half the cache.
      this.active.set(k, flags);
      this.activations++;
      const maxActive = Math.max(1, Math.floor(this.capacityPages / 2));
      while (this.active.size > maxActive) {
        const [oldest, oldFlags] = this.active.entries().next().value as [number, number];
        this.active.delete(oldest);
        this.inactive.set(oldest, oldFlags & ~REFERENCED);
      }
    } else this.inactive.set(k, flags | REFERENCED);
  }

  private insert(k: number, flags: number): void {
    if (this.size >= this.capacityPages) {
      const list = this.inactive.size > 0 ? this.inactive : this.active;
      const [oldest, oldFlags] = list.entries().next().value as [number, number];
      list.delete(oldest);
      this.evictions++;
      const oldNo = Math.floor(oldest / 2 ** 32);
      const left = this.residentByNo.get(oldNo)! - 1;
      if (left > 0) this.residentByNo.set(oldNo, left);
      else {
        this.residentByNo.delete(oldNo);
        this.release(oldNo);
      }
      if (oldFlags & PREFETCHED) {
        this.evictedUnused++;
        this.residentPrefetched--;
      }
    }
    this.inactive.set(k, flags);
    const no = Math.floor(k / 2 ** 32);
    this.residentByNo.set(no, (this.residentByNo.get(no) ?? 0) + 1);
  }
}

function addToRuns(runs: PageRun[], page: number): void {
  const last = runs[runs.length - 1];
  if (last && last.firstPage + last.pages === page) last.pages++;
  else runs.push({firstPage: page, pages: 1});
}
