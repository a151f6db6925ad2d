/**
 * The list of studies the report runs and the notebooks show, in order.
 *
 * Each entry runs its study with default parameters unless given others.
 * Other studies append themselves here (one line each).
 */
import {dmaStudy} from "./dma.js";
import {multiplexingStudy} from "./multiplexing.js";
import {pageCacheStudy} from "./pageCache.js";
import {reactorProactorStudy} from "./reactorProactor.js";
import {serversStudy} from "./servers.js";
import type {StudyResult} from "./study.js";
import {zeroCopyStudy} from "./zeroCopy.js";

/** One study as the report sees it. */
export interface StudyEntry {
  /** File-safe id, the same as the result's id ("zero-copy"). */
  id: string;
  title: string;
  /** Runs the study; *params* override its defaults. */
  run: (params?: Record<string, unknown>) => StudyResult;
}

/**
 * The studies the report runs, in order: DMA, zero-copy, page cache, servers, multiplexing, Reactor/Proactor.
 *
 * ```ts
 * for (const s of studies) console.log(s.id, s.run().notes);
 * ```
 * @see dmaStudy @see zeroCopyStudy
 */
export const studies: StudyEntry[] = [
  {id: "dma", title: "DMA against CPU-driven (programmed) I/O", run: (params) => dmaStudy(params)},
  {id: "zero-copy", title: "Zero-copy file transfer", run: (params) => zeroCopyStudy(params)},
  {id: "page-cache", title: "Page cache, readahead, large files and direct I/O", run: (params) => pageCacheStudy(params)},
  {id: "servers", title: "Server models to C10K: iterative, process, thread, pool and the event loop", run: (params) => serversStudy(params)},
  {id: "multiplexing", title: "I/O multiplexing: select, poll and epoll, level- and edge-triggered", run: (params) => multiplexingStudy(params)},
  {id: "reactor-proactor", title: "Reactor and Proactor: event-loop architectures, io_uring, and which one when", run: (params) => reactorProactorStudy(params)},
];

export type {StudyResult, StudyTable, StudyChart} from "./study.js";
export {dmaStudy, dmaDefaults, type DmaParams} from "./dma.js";
export {zeroCopyStudy, zeroCopyDefaults, seedCountsPerChunk, type ZeroCopyParams} from "./zeroCopy.js";
export {pageCacheStudy, pageCacheDefaults, type PageCacheParams} from "./pageCache.js";
export {serversStudy, serversDefaults, serversParamsSchema, type ServersParams} from "./servers.js";
export {multiplexingStudy, multiplexingDefaults, selectMaxFds, type MultiplexingParams} from "./multiplexing.js";
export {reactorProactorStudy, reactorProactorDefaults, reactorProactorParamsSchema, coreSeries, type ReactorProactorParams} from "./reactorProactor.js";
