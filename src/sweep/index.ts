/**
 * Sweeps: a scenario run over the cross product of parameter values and
 * seeds, on every core or across a cluster's shards, into one table.
 */
export {planSweep, runAt, parseVary, parseSeeds, parseShard, shardRuns, describeRuns, sweepFormat, maxSweepRuns, type SweepPlan, type SweepAxis, type SweepRun, type Shard, type PlanSweepOptions} from "./sweepPlan.js";
export {runSweep, SweepStoppedError, type RunSweepOptions, type SweepSummary, type SweepProgressInfo} from "./runSweep.js";
export {mergeSweeps, type MergeSummary} from "./mergeSweeps.js";
export {sweepRow, flatten, sweepColumns, encodeSweep, readSweepFile, sweepFormatOf, sweepFormats, trailingColumns, type SweepRow, type SweepFormat, type SweepFile} from "./sweepTable.js";
export {SweepJournal, journalPath, type JournalHeader, type JournalOptions} from "./SweepJournal.js";
export {sweepMetadata, readSweepMetadata, metadataPath, type SweepMetadata} from "./sweepMetadata.js";
