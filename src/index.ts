/* Engine */
export {SimScheduler, SimulationLimitError} from "./engine/SimScheduler.js";
export {createSim, type Sim, type SimOptions} from "./engine/sim.js";
export {Random, zipf} from "./engine/random.js";
export {Trace, type TraceEvent, type TraceKind} from "./engine/trace.js";
export {Resource, Job} from "./engine/Resource.js";
export {spawn, use, sleep, wait, Signal, type Command, type ProcessBody} from "./engine/process.js";

/* Host */
export {Host, type HostOptions, type DmaCompletion, type Interrupt} from "./host/Host.js";
export {Disk, Nic, diskKinds, type DiskKind} from "./host/devices.js";
export {loadProfile, parseProfile, profileNames, defaultProfileName, type Profile, type DiskProfile} from "./host/profiles.js";

/* Kernel */
export {InputError, keyword} from "./kernel/errors.js";
export {syscall} from "./kernel/syscall.js";
export {PageCache, type FileRef, type PageCacheOptions, type CacheReadPlan, type PageRun} from "./kernel/pageCache.js";
export {bufferedRead} from "./kernel/bufferedRead.js";
export {pioRead, dmaRead} from "./kernel/deviceRead.js";

/* Transfer */
export {readWrite} from "./transfer/readWrite.js";
export {mmapWrite} from "./transfer/mmapWrite.js";
export {sendfile, type SendfileOptions} from "./transfer/sendfile.js";
export type {FileRequest, Transfer, TransferOptions} from "./transfer/internal/transferCore.js";

/* Analysis */
export {countEvents, cpuShare, utilization, bytesPerSec, type Counts} from "./analysis/metrics.js";

/* Scenarios */
export {runTransfer, strategies, type StrategyName} from "./scenarios/transfer.js";
export {runDma} from "./scenarios/dma.js";
export {scenarios} from "./scenarios/index.js";

/* Studies */
export type {StudyResult, StudyTable, StudyChart} from "./studies/study.js";
export {studies, type StudyEntry} from "./studies/index.js";
export {dmaStudy, dmaDefaults, type DmaParams} from "./studies/dma.js";
export {zeroCopyStudy, zeroCopyDefaults, seedCountsPerChunk, type ZeroCopyParams} from "./studies/zeroCopy.js";

/* Charts */
export {renderChart, finiteRows, normalizeIds, roundNumbers, type ChartSpec} from "./charts/renderChart.js";
export {sizeLineChart, throughputChart, type SizeSeriesRow, type SizeLineOptions, type ThroughputRow} from "./charts/throughputChart.js";
export {cpuShareChart, type CpuShareRow, type CpuShareOptions} from "./charts/cpuShareChart.js";
export {dmaCpuShareChart, type DmaCpuShareRow} from "./charts/dmaCpuShareChart.js";
export {countsChart, type CountsRow} from "./charts/countsChart.js";
export {strategyColors, categoryColors, modeColors, paletteFor, sizeTicks, sizeTickFormat, type Palette} from "./charts/palette.js";

/* Units */
export {KiB, MiB, GiB, parseSize, formatSize, formatNs} from "./units.js";

/* Report */
export {writeReport, defaultReportDir, type ReportOptions, type ReportSummary, type ReportStudy} from "./report/report.js";
export {reportHtml, type ReportPageInfo} from "./report/html.js";
export {chartToPng, chartSvg, type PngOptions} from "./report/png.js";
export {
  exportStudy,
  exportChart,
  chartMetadata,
  writeFileAtomic,
  removeStaleTempFiles,
  buildInfo,
  type ChartMetadata,
  type ColumnInfo,
  type ExportedFile,
  type ExportOptions,
  type BuildInfo,
} from "./export/index.js";

/* Page cache and large files */
export {initialWindowPages, nextWindowPages, readaheadWindows, cacheListPolicies, type ReadaheadWindow, type CacheLists, type FileCacheStats} from "./kernel/pageCache.js";
export {readCall} from "./kernel/bufferedRead.js";
export {directRead, directSubmit, directBytes, directAlignBytes} from "./kernel/directIo.js";
export {directAio, directAioBody, aioContext, AioContext, type AioEvent, type DirectAioOptions} from "./transfer/directAio.js";
export {nginxPolicy, nginxServe, parseDirectio, choosePath, type NginxPolicyOptions, type PolicyPath, type PolicyTransfer} from "./transfer/policy.js";
export {sequentialOffsets, randomOffsets, readerOffsets, readPatterns, type ReadPattern} from "./workload/readers.js";
export {fileServerWorkload, startClients, type FileServerWorkload, type FileServerWorkloadOptions, type RequestKind, type ServedRequest} from "./workload/fileServer.js";
export {runPageCache, pageCacheScenario, checkCacheBytes} from "./scenarios/pagecache.js";
export {runFileServer, largeFileScenario, largeFileModes, quantile, type LargeFileMode} from "./scenarios/largefile.js";
export {pageCacheStudy, pageCacheDefaults, type PageCacheParams} from "./studies/pageCache.js";
export {hitRatioChart, groupedBarChart, thresholdChart, pageCacheColors, type HitRatioRow, type BarRow, type ThresholdRow} from "./charts/pageCache.js";
