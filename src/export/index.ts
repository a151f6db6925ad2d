/**
 * Exports of chart data (CSV, JSON, Arrow, metadata), trace files streamed
 * while a run goes, and atomic file writes.
 * Notebooks call {@link exportStudy} to write `data/exports/<notebook>/`;
 * `iosim report` calls it for `<out>/data/<study>/`.
 */
export {
  exportStudy,
  exportChart,
  chartMetadata,
  columnInfo,
  metadataFormat,
  type ChartMetadata,
  type ColumnInfo,
  type ExportedFile,
  type ExportOptions,
} from "./exportStudy.js";
export {writeFileAtomic, AtomicFile, type FileData, type WriteFileAtomicOptions} from "./writeFileAtomic.js";
export {buildInfo, packageRoot, type BuildInfo} from "./buildInfo.js";
export {
  TraceFileWriter,
  writeTraceFile,
  traceFileFormat,
  traceFileExtensions,
  traceArrowFields,
  type TraceFileFormat,
  type TraceFileOptions,
} from "./TraceFileWriter.js";
export {ArrowIpcWriter, type ArrowColumnData, type ArrowColumnType, type ArrowField, type ArrowIpcWriterOptions} from "./ArrowIpcWriter.js";
