/**
 * The page cache: recently used file pages kept in memory.
 *
 * Like a desk beside the archive: pages fetched from the archive (disk) stay
 * on the desk, the least recently used sliding off when the desk is full
 * (LRU). A read that finds its pages on the desk is a hit and needs no disk
 * DMA; a read that misses asks the archive for the missing pages and, with
 * readahead, for the next few too, betting that the reader goes on
 * sequentially (the seed: a 32 KB read also fetches the next 32 KB).
 *
 * Pages are keyed per file and page number; a JS Map keeps insertion order,
 * so deleting and re-inserting a key on access makes its iteration order
 * the LRU order (oldest first).
 */
import {InputError} from "./errors.js";

/** A file, as the page cache and disk see it. */
export interface FileRef {
  /** Unique name. */
  id: string;
  /** Size, bytes. */
  sizeBytes: number;
}

/** Options of {@link PageCache}. */
export interface PageCacheOptions {
  /** Capacity in pages (≥ 1). */
  capacityPages: number;
  /** Page size, bytes; default 4096. */
  pageBytes?: number;
  /** Readahead window, bytes: on a miss, also fetch this much after the read; default 0. */
  readaheadBytes?: number;
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
  /** Disk requests to issue (requested misses plus readahead), in file order. */
  diskRuns: PageRun[];
  /** Pages added beyond the request by readahead. */
  readaheadPages: number;
}

/** Hit and miss counts of one file. */
export interface FileCacheStats {
  hits: number;
  misses: number;
}

/** Page flag: brought in by readahead and not read since. */
const PREFETCHED = 1;

/**
 * Returns an LRU page cache of *capacityPages* pages with an optional
 * readahead window.
 *
 * ```ts
 * const cache = new PageCache({capacityPages: 1024, readaheadBytes: 32 * 1024});
 * cache.read({id: "a", sizeBytes: 1 << 20}, 0, 32 * 1024).diskRuns; // [{firstPage: 0, pages: 16}]
 * ```
 */
export class PageCache {
  readonly capacityPages: number;
  readonly pageBytes: number;
  readonly readaheadBytes: number;
  /** Resident pages in LRU order (first = least recent) → flags. */
  private readonly pages = new Map<number, number>();
  /** Numeric id per file name, so page keys are numbers. */
  private readonly fileNos = new Map<string, number>();
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
  /** Prefetched pages evicted without ever being read. */
  private evictedUnused = 0;

  constructor(options: PageCacheOptions) {
    const {capacityPages, pageBytes = 4096, readaheadBytes = 0} = options;
    if (!(Number.isSafeInteger(capacityPages) && capacityPages >= 1))
      throw new InputError("cacheBytes", `${capacityPages} pages`, "at least one page");
    if (!(Number.isSafeInteger(pageBytes) && pageBytes > 0)) throw new InputError("pageBytes", String(pageBytes), "a positive integer");
    if (!(Number.isFinite(readaheadBytes) && readaheadBytes >= 0)) throw new InputError("readaheadBytes", String(readaheadBytes), "a size ≥ 0");
    this.capacityPages = capacityPages;
    this.pageBytes = pageBytes;
    this.readaheadBytes = readaheadBytes;
  }

  /** Pages resident now. */
  get size(): number {
    return this.pages.size;
  }

  /** Prefetched pages never read: evicted unread plus still resident unread. */
  get prefetchedPagesUnused(): number {
    let resident = 0;
    for (const flags of this.pages.values()) if (flags & PREFETCHED) resident++;
    return this.evictedUnused + resident;
  }

  /** Hits / (hits + misses), or 0 before any access. */
  get hitRatio(): number {
    const total = this.hits + this.misses;
    return total === 0 ? 0 : this.hits / total;
  }

  private key(fileId: string, page: number): number {
    let no = this.fileNos.get(fileId);
    if (no === undefined) this.fileNos.set(fileId, (no = this.fileNos.size));
    return no * 2 ** 32 + page;
  }

  /** Whether page *page* of *fileId* is resident (does not touch LRU order). */
  has(fileId: string, page: number): boolean {
    return this.pages.has(this.key(fileId, page));
  }

  /** Returns the resident pages of *fileId*, least recently used first. */
  residentPages(fileId: string): number[] {
    const no = this.fileNos.get(fileId);
    if (no === undefined) return [];
    const out: number[] = [];
    for (const k of this.pages.keys()) if (Math.floor(k / 2 ** 32) === no) out.push(k % 2 ** 32);
    return out;
  }

  /** Returns the page range [first, last] covering *bytes* at *offsetBytes*, clipped to the file. */
  pageRange(file: FileRef, offsetBytes: number, bytes: number): [number, number] {
    const first = Math.floor(offsetBytes / this.pageBytes);
    const end = Math.min(offsetBytes + bytes, file.sizeBytes);
    const last = Math.max(first, Math.ceil(end / this.pageBytes) - 1);
    return [first, last];
  }

  /**
   * Looks up a read of *bytes* at *offsetBytes* of *file*: counts hits and
   * misses, refreshes the LRU position of the hits, inserts the missing
   * pages and the readahead pages (evicting as needed) and returns the disk
   * runs to fetch. The caller issues the DMA for each run.
   */
  read(file: FileRef, offsetBytes: number, bytes: number): CacheReadPlan {
    const [first, last] = this.pageRange(file, offsetBytes, bytes);
    const stats = this.perFile.get(file.id) ?? {hits: 0, misses: 0};
    this.perFile.set(file.id, stats);
    const runs: PageRun[] = [];
    let hitPages = 0;
    let missPages = 0;
    for (let p = first; p <= last; p++) {
      const k = this.key(file.id, p);
      const flags = this.pages.get(k);
      if (flags !== undefined) {
        hitPages++;
        this.pages.delete(k);
        this.pages.set(k, flags & ~PREFETCHED);
      } else {
        missPages++;
        this.insert(k, 0);
        addToRuns(runs, p);
      }
    }
    this.hits += hitPages;
    this.misses += missPages;
    stats.hits += hitPages;
    stats.misses += missPages;
    let readaheadPages = 0;
    if (missPages > 0 && this.readaheadBytes > 0) {
      const lastFilePage = Math.ceil(file.sizeBytes / this.pageBytes) - 1;
      const raEnd = Math.min(last + Math.ceil(this.readaheadBytes / this.pageBytes), lastFilePage);
      for (let p = last + 1; p <= raEnd; p++) {
        const k = this.key(file.id, p);
        if (this.pages.has(k)) continue;
        this.insert(k, PREFETCHED);
        addToRuns(runs, p);
        readaheadPages++;
      }
      this.prefetchedPages += readaheadPages;
    }
    return {hitPages, missPages, diskRuns: runs, readaheadPages};
  }

  /** Marks every page of [offsetBytes, offsetBytes+bytes) of *file* resident (a warm cache), without counting hits or misses. */
  warm(file: FileRef, offsetBytes = 0, bytes = file.sizeBytes): void {
    const [first, last] = this.pageRange(file, offsetBytes, bytes);
    for (let p = first; p <= last; p++) {
      const k = this.key(file.id, p);
      if (this.pages.has(k)) this.pages.delete(k);
      this.insert(k, 0);
    }
  }

  private insert(k: number, flags: number): void {
    if (this.pages.size >= this.capacityPages) {
      const [oldest, oldFlags] = this.pages.entries().next().value as [number, number];
      this.pages.delete(oldest);
      this.evictions++;
      if (oldFlags & PREFETCHED) this.evictedUnused++;
    }
    this.pages.set(k, flags);
  }
}

function addToRuns(runs: PageRun[], page: number): void {
  const last = runs[runs.length - 1];
  if (last && last.firstPage + last.pages === page) last.pages++;
  else runs.push({firstPage: page, pages: 1});
}
