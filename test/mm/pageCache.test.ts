import {test} from "node:test";
import assert from "node:assert/strict";
import {InputError} from "../../src/errors.js";
import {Signal} from "../../src/engine/process.js";
import {initialWindowPages, MAX_PAGECACHE_ORDER, nextAsyncWindow, nextWindowPages, PageCache, type PageRun} from "../../src/mm/pageCache.js";

const page = 4096;
const KiB = 1024;
const file = {id: "a", sizeBytes: 64 * page};

/** Reads the pages of *pages* one by one (one page per read) and returns the cache. */
function access(cache: PageCache, pages: number[], f = file) {
  for (const p of pages) cache.read(f, p * page, page);
  return cache;
}

test("PageCache LRU: order and capacity are exact on the access string 1 2 3 1 4 2 5", () => {
  const cache = access(new PageCache({capacityPages: 3}), [1, 2, 3, 1, 4, 2, 5]);
  assert.deepEqual(cache.order(), ["a:4", "a:2", "a:5"]);
  assert.equal(cache.size, 3);
  assert.deepEqual({hits: cache.hits, misses: cache.misses, evictions: cache.evictions}, {hits: 1, misses: 6, evictions: 3});
  assert.deepEqual(cache.perFile.get("a"), {hits: 1, misses: 6});
});

test("PageCache LRU: each step of 1 2 3 1 4 leaves the least recently used first", () => {
  const cache = new PageCache({capacityPages: 3});
  const steps: string[][] = [];
  for (const p of [1, 2, 3, 1, 4]) {
    access(cache, [p]);
    steps.push(cache.order());
  }
  assert.deepEqual(steps, [["a:1"], ["a:1", "a:2"], ["a:1", "a:2", "a:3"], ["a:2", "a:3", "a:1"], ["a:3", "a:1", "a:4"]]);
});

test("PageCache two-list: a page read twice survives a one-pass stream that plain LRU lets evict it", () => {
  const hotThenStream = [1, 2, 1, 3, 4, 5, 6, 7, 8];
  const twoList = access(new PageCache({capacityPages: 4, lists: "two-list"}), hotThenStream);
  assert.deepEqual(twoList.order(), ["a:6", "a:7", "a:8", "a:1"]);
  assert.equal(twoList.activePages, 1);
  const lru = access(new PageCache({capacityPages: 4}), hotThenStream);
  assert.deepEqual(lru.order(), ["a:5", "a:6", "a:7", "a:8"]);
});

test("PageCache two-list: the active list holds at most half the cache; the overflow is demoted to the inactive list", () => {
  const cache = access(new PageCache({capacityPages: 4, lists: "two-list"}), [1, 1, 2, 2, 3, 3]);
  // 1, 2, 3 all promoted; active max 2, so 1 (least recent active) goes back to inactive.
  assert.deepEqual(cache.order(), ["a:1", "a:2", "a:3"]);
  assert.equal(cache.activePages, 2);
});

test("PageCache fixed readahead: 32 KiB reads with a 32 KiB window fetch 64 KiB every other read (the seed's example)", () => {
  const cache = new PageCache({capacityPages: 1024, readaheadBytes: 32 * KiB});
  const f = {id: "f", sizeBytes: 256 * KiB};
  const runs: PageRun[][] = [];
  for (let off = 0; off < f.sizeBytes; off += 32 * KiB) runs.push(cache.read(f, off, 32 * KiB).diskRuns);
  assert.deepEqual(runs, [
    [{firstPage: 0, pages: 16}], [],
    [{firstPage: 16, pages: 16}], [],
    [{firstPage: 32, pages: 16}], [],
    [{firstPage: 48, pages: 16}], [],
  ]);
  assert.equal(cache.prefetchedPagesUnused, 0);
});

test("initialWindowPages and nextWindowPages grow the window as Linux does: ×4 while small, ×2, capped", () => {
  assert.deepEqual([1, 2, 8, 16, 64].map((r) => initialWindowPages(r, 32)), [4, 4, 16, 32, 32]);
  assert.deepEqual([1, 4, 16, 32].map((c) => nextWindowPages(c, 32)), [4, 8, 32, 32]);
});

test("PageCache adaptive readahead: a sequential reader gets a 64 KiB window, then 128 KiB windows fetched ahead asynchronously", () => {
  const cache = new PageCache({capacityPages: 4096, readaheadBytes: 128 * KiB, window: "adaptive"});
  const f = {id: "f", sizeBytes: 1024 * KiB};
  const sync: Array<[number, PageRun[]]> = [];
  const async: Array<[number, PageRun[]]> = [];
  for (let off = 0, i = 0; off < f.sizeBytes; off += 32 * KiB, i++) {
    const plan = cache.read(f, off, 32 * KiB);
    if (plan.diskRuns.length) sync.push([i, plan.diskRuns]);
    if (plan.asyncRuns.length) async.push([i, plan.asyncRuns]);
  }
  assert.deepEqual(sync, [[0, [{firstPage: 0, pages: 16}]]]);
  assert.deepEqual(async, [
    [1, [{firstPage: 16, pages: 32}]],
    [2, [{firstPage: 48, pages: 32}]],
    [6, [{firstPage: 80, pages: 32}]],
    [10, [{firstPage: 112, pages: 32}]],
    [14, [{firstPage: 144, pages: 32}]],
    [18, [{firstPage: 176, pages: 32}]],
    [22, [{firstPage: 208, pages: 32}]],
    [26, [{firstPage: 240, pages: 16}]],
  ]);
  assert.equal(cache.misses, 8);
  assert.equal(cache.prefetchedPagesUnused, 0);
});

/** Reads *f* sequentially in *chunk*-byte reads through *cache*; returns each window read (sync or async), in pages, in order. */
function windowsRead(cache: PageCache, f: {id: string; sizeBytes: number}, chunk: number, untilBytes: number): number[] {
  const windows: number[] = [];
  for (let off = 0; off < untilBytes; off += chunk) {
    const plan = cache.read(f, off, chunk);
    for (const r of [...plan.diskRuns, ...plan.asyncRuns]) windows.push(r.pages);
    // Every run lands at once: the marks are reached as in a reader the disk keeps up with.
    for (const r of [...plan.diskRuns, ...plan.asyncRuns]) cache.landed(f.id, r);
  }
  return windows;
}

test("PageCache adaptive readahead with large folios: the windows a Linux 6.18 kernel on ext4 read for 4 KiB and 64 KiB readers (readahead tracepoints, read_ahead_kb 8192)", () => {
  // Traced on the development VM (page_cache_sync_ra, page_cache_async_ra, page_cache_ra_order, block_rq_issue): a
  // reader of 4 KiB got windows of 4, 16, 60, 240, 448, 256 and 512 pages over its first 4 MiB, one of 64 KiB 64, 256,
  // 512, 1,024 and 1,984: each async window's end cut back to its folio order's boundary, the order growing by two.
  const f = {id: "f", sizeBytes: 64 * 1024 * KiB};
  const folios = () => new PageCache({capacityPages: 1 << 16, readaheadBytes: 8192 * KiB, window: "adaptive", folioOrders: true});
  assert.deepEqual(windowsRead(folios(), f, 4 * KiB, 4096 * KiB), [4, 16, 60, 240, 448, 256, 512]);
  assert.deepEqual(windowsRead(folios(), f, 64 * KiB, 4096 * KiB), [64, 256, 512, 1024, 1984]);
  // Without large folios the windows are get_next_ra_size's: ×4, then ×2 up to the 2,048-page maximum.
  const pages = new PageCache({capacityPages: 1 << 16, readaheadBytes: 8192 * KiB, window: "adaptive"});
  assert.deepEqual(windowsRead(pages, f, 4 * KiB, 4096 * KiB), [4, 16, 64, 256, 512, 1024, 2048]);
});

test("nextAsyncWindow: the order grows by two, the end is cut to that order unless nothing would be left, and the order kept is at most log2 of the window and MAX_PAGECACHE_ORDER", () => {
  assert.deepEqual(nextAsyncWindow(20, 16, 2, 2048), {size: 60, order: 4}); // 20 + 64 = 84 → 80
  assert.deepEqual(nextAsyncWindow(768, 448, 8, 2048), {size: 256, order: 8}); // 768 + 896 = 1664 → 1024; log2(256) = 8
  assert.deepEqual(nextAsyncWindow(1024, 256, 8, 2048), {size: 512, order: 9}); // 1536 → 1024 = start: not cut
  assert.deepEqual(nextAsyncWindow(0, 2048, 9, 2048), {size: 2048, order: MAX_PAGECACHE_ORDER}); // order 11 capped at 9
});

test("PageCache adaptive readahead: random reads get no readahead; the fixed window prefetches after each and wastes it", () => {
  const offsets = [40, 3, 77, 12, 101, 60].map((b) => b * 32 * KiB);
  const f = {id: "f", sizeBytes: 4096 * KiB};
  const adaptive = new PageCache({capacityPages: 4096, readaheadBytes: 128 * KiB, window: "adaptive"});
  const fixed = new PageCache({capacityPages: 4096, readaheadBytes: 128 * KiB});
  for (const off of offsets) {
    adaptive.read(f, off, 32 * KiB);
    fixed.read(f, off, 32 * KiB);
  }
  assert.deepEqual({prefetched: adaptive.prefetchedPages, unused: adaptive.prefetchedPagesUnused}, {prefetched: 0, unused: 0});
  assert.deepEqual({prefetched: fixed.prefetchedPages, unused: fixed.prefetchedPagesUnused}, {prefetched: 6 * 32, unused: 6 * 32});
});

test("PageCache counts prefetched pages evicted unread as unused", () => {
  const cache = new PageCache({capacityPages: 4, readaheadBytes: 2 * page});
  cache.read(file, 0, page); // page 0 + readahead 1, 2
  cache.warm({id: "b", sizeBytes: 3 * page}); // evicts 0, 1, 2 (1 and 2 never read)
  assert.equal(cache.prefetchedPagesUnused, 2);
  assert.equal(cache.prefetchedPages, 2);
});

test("new PageCache({capacityPages: 0}) is an InputError naming cacheBytes", () => {
  assert.throws(() => new PageCache({capacityPages: 0}), (e: unknown) => e instanceof InputError && e.param === "cacheBytes");
});

test("new PageCache({readaheadBytes: -1}) is an InputError naming readaheadBytes", () => {
  assert.throws(() => new PageCache({capacityPages: 8, readaheadBytes: -1}), (e: unknown) => e instanceof InputError && e.param === "readaheadBytes");
});

test("PageCache.warm of a 1 GiB file (262 144 pages) caches every page: a whole read then hits them all", () => {
  const cache = new PageCache({capacityPages: 300_000});
  const big = {id: "big", sizeBytes: 1024 * 1024 * KiB};
  cache.warm(big);
  assert.equal(cache.size, 262_144);
  const plan = cache.read(big, 0, big.sizeBytes);
  assert.deepEqual({hitPages: plan.hitPages, missPages: plan.missPages}, {hitPages: 262_144, missPages: 0});
});

test("PageCache.read(file, sizeBytes, 4096) past the end of the file touches no page and plans no disk read", () => {
  const cache = new PageCache({capacityPages: 16, readaheadBytes: 8 * page});
  const f = {id: "f", sizeBytes: 10_000};
  const plan = cache.read(f, 10_000, page);
  assert.deepEqual({hitPages: plan.hitPages, missPages: plan.missPages, diskRuns: plan.diskRuns, readaheadPages: plan.readaheadPages}, {hitPages: 0, missPages: 0, diskRuns: [], readaheadPages: 0});
  assert.deepEqual({size: cache.size, hits: cache.hits, misses: cache.misses}, {size: 0, hits: 0, misses: 0});
});

test("PageCache.read(file, 0, 0) and a read of an empty file touch no page", () => {
  const cache = new PageCache({capacityPages: 16});
  assert.equal(cache.read({id: "f", sizeBytes: 10_000}, 0, 0).missPages, 0);
  assert.equal(cache.read({id: "empty", sizeBytes: 0}, 0, page).missPages, 0);
  cache.warm({id: "empty", sizeBytes: 0});
  assert.deepEqual({size: cache.size, misses: cache.misses}, {size: 0, misses: 0});
});

test("PageCache adaptive readahead: an empty read past the end does not break a sequential reader's window", () => {
  const cache = new PageCache({capacityPages: 4096, readaheadBytes: 128 * KiB, window: "adaptive"});
  const f = {id: "f", sizeBytes: 1024 * KiB};
  cache.read(f, 0, 32 * KiB); // pages 0-7, window 0-15
  cache.read(f, 2048 * KiB, 32 * KiB); // past the end: nothing
  // Pages 8-15 were prefetched; reaching the mark at page 8 still starts the next window.
  assert.deepEqual(cache.read(f, 32 * KiB, 32 * KiB).asyncRuns, [{firstPage: 16, pages: 32}]);
});

test("PageCache.read through a cache smaller than its readahead window keeps the pages it was asked for", () => {
  // 4 pages of cache, 8 KiB reads, a 32 KiB (8-page) fixed window: readahead gets only the 2 pages beside the request.
  const cache = new PageCache({capacityPages: 4, readaheadBytes: 32 * KiB});
  const f = {id: "f", sizeBytes: 64 * KiB};
  const runs: PageRun[][] = [];
  for (let off = 0; off < f.sizeBytes; off += 8 * KiB) {
    runs.push(cache.read(f, off, 8 * KiB).diskRuns);
    const p = off / page;
    assert.ok(cache.has("f", p) && cache.has("f", p + 1), `pages ${p}-${p + 1} evicted by their own readahead`);
  }
  assert.deepEqual(runs, [
    [{firstPage: 0, pages: 4}], [],
    [{firstPage: 4, pages: 4}], [],
    [{firstPage: 8, pages: 4}], [],
    [{firstPage: 12, pages: 4}], [],
  ]);
  assert.deepEqual({hits: cache.hits, misses: cache.misses, prefetchedPagesUnused: cache.prefetchedPagesUnused}, {hits: 8, misses: 8, prefetchedPagesUnused: 0});
});

test("PageCache.read (adaptive window) through a cache smaller than the window neither evicts the request nor wastes prefetch", () => {
  const cache = new PageCache({capacityPages: 4, readaheadBytes: 32 * KiB, window: "adaptive"});
  const f = {id: "f", sizeBytes: 64 * KiB};
  for (let off = 0; off < f.sizeBytes; off += 8 * KiB) {
    cache.read(f, off, 8 * KiB);
    assert.ok(cache.has("f", off / page) && cache.has("f", off / page + 1), `pages of the read at ${off} evicted by readahead`);
  }
  assert.equal(cache.prefetchedPagesUnused, 0);
});

test("PageCache.read (two-list) with a full active list keeps the request's pages on the inactive list", () => {
  const cache = new PageCache({capacityPages: 8, lists: "two-list", readaheadBytes: 32 * KiB});
  const hot = {id: "hot", sizeBytes: 4 * page};
  cache.warm(hot);
  for (let p = 0; p < 4; p++) cache.read(hot, p * page, page); // second access: all 4 promoted (active max 4)
  assert.equal(cache.activePages, 4);
  const f = {id: "f", sizeBytes: 64 * KiB};
  cache.read(f, 0, 8 * KiB);
  assert.ok(cache.has("f", 0) && cache.has("f", 1), "the request was evicted from the inactive list by its own readahead");
  assert.equal(cache.prefetchedPagesUnused, 2);
});

test("PageCache adaptive readahead: reading a file again from offset 0 starts a new initial window, as Linux does at the start of a file", () => {
  const cache = new PageCache({capacityPages: 64, readaheadBytes: 128 * KiB, window: "adaptive"});
  const f = {id: "f", sizeBytes: 256 * KiB};
  for (let off = 0; off < f.sizeBytes; off += 32 * KiB) cache.read(f, off, 32 * KiB);
  cache.warm({id: "b", sizeBytes: 64 * page}); // evicts every page of f
  assert.equal(cache.residentCount("f"), 0);
  const again = cache.read(f, 0, 32 * KiB);
  assert.deepEqual({diskRuns: again.diskRuns, readaheadPages: again.readaheadPages}, {diskRuns: [{firstPage: 0, pages: 16}], readaheadPages: 8});
});

test("PageCache.drop (posix_fadvise DONTNEED) evicts the file's landed pages, keeps those still in flight and the readahead state", () => {
  const cache = new PageCache({capacityPages: 1024, readaheadBytes: 64 * 4096, window: "adaptive"});
  const f = {id: "f", sizeBytes: 512 * 4096};
  const other = {id: "g", sizeBytes: 8 * 4096};
  cache.warm(other);
  const first = cache.read(f, 0, 4096);
  const inFlight = first.diskRuns[0];
  assert.ok(inFlight.pages > 1, "the first read brings a readahead window");
  cache.inFlight("f", inFlight, new Signal<number>());
  const residentBefore = cache.residentCount("f");
  assert.equal(cache.drop(f), 0, "every page still in flight stays");
  assert.equal(cache.residentCount("f"), residentBefore);
  cache.landed("f", inFlight);
  assert.equal(cache.drop(f), residentBefore);
  assert.equal(cache.residentCount("f"), 0);
  assert.equal(cache.residentCount("g"), 8, "other files' pages stay");
  // The reader goes on where it was: still sequential, so its miss gets a readahead window (Linux 6.18 starts it afresh at
  // the initial size), where a reader without that history, reading the same page, is a random read and gets one page.
  const pagesOf = (plan: {diskRuns: PageRun[]}) => plan.diskRuns.reduce((a, r) => a + r.pages, 0);
  assert.equal(pagesOf(cache.read(f, 4096, 4096)), initialWindowPages(1, 64));
  const fresh = new PageCache({capacityPages: 1024, readaheadBytes: 64 * 4096, window: "adaptive"});
  assert.equal(pagesOf(fresh.read(f, 4096, 4096)), 1);
});
