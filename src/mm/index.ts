/**
 * `iosim/mm`: memory management: the page cache, its replacement lists and
 * its readahead window (Linux keeps these in mm/: filemap.c, readahead.c,
 * vmscan.c). Pure bookkeeping over pages; the host owns one.
 */
export {
  PageCache,
  initialWindowPages,
  nextWindowPages,
  readaheadWindows,
  cacheListPolicies,
  type FileRef,
  type PageCacheOptions,
  type CacheReadPlan,
  type PageRun,
  type ReadaheadWindow,
  type CacheLists,
  type FileCacheStats,
} from "./pageCache.js";
