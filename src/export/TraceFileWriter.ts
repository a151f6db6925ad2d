/**
 * The full event trace of a run, streamed to a file while the run goes.
 *
 * Like a tachograph writing to a paper roll: the recorder keeps only the
 * stretch being printed (one batch of 65,536 events), never the whole
 * journey, so a run of 10^8 events needs no more memory than one of 10^5.
 * The roll is written under a temporary name and takes the file's name only
 * when the run has ended well (see {@link AtomicFile}): a crash or an error
 * never leaves a half-written trace at the path asked for. A process killed
 * mid-run leaves a hidden temporary file beside it, which the next writer to
 * the same path removes.
 *
 * One row per event, the columns of {@link TraceEvent}: `timeNs`, `kind`,
 * `pid`, `durationNs`, `bytes`, `detail`. Formats, chosen by extension:
 * `.arrow` (Arrow IPC file: flechette's `tableFromIPC`, arquero's
 * `fromArrow`, pyarrow's `pa.ipc.open_file`, DuckDB), `.arrows` (Arrow IPC
 * stream), `.csv` (a header, then RFC 4180 rows), `.json` (one array of
 * objects) and `.ndjson` or `.jsonl` (one object per line).
 */
import type {Trace, TraceEvent, TraceKind, TraceListener} from "../engine/trace.js";
import {ArrowIpcWriter, type ArrowField} from "./ArrowIpcWriter.js";
import {basename, dirname} from "node:path";
import {AtomicFile, removeStaleTempFiles} from "./writeFileAtomic.js";

/** A trace file format. */
export type TraceFileFormat = "arrow" | "arrows" | "csv" | "json" | "ndjson";

/** File extensions and the format each one means. */
export const traceFileExtensions: Readonly<Record<string, TraceFileFormat>> = {
  ".arrow": "arrow",
  ".arrows": "arrows",
  ".csv": "csv",
  ".json": "json",
  ".ndjson": "ndjson",
  ".jsonl": "ndjson",
};

/** Returns the format a trace file's name asks for (by its extension, any case), or undefined. */
export function traceFileFormat(path: string): TraceFileFormat | undefined {
  const m = /\.[A-Za-z]+$/.exec(path);
  return m ? traceFileExtensions[m[0].toLowerCase()] : undefined;
}

/** Options for {@link TraceFileWriter}. */
export interface TraceFileOptions {
  /** The format; default from the path's extension (see {@link traceFileFormat}). */
  format?: TraceFileFormat;
  /** Events per Arrow record batch (text formats write every MiB or this many events); default 65,536. */
  batchRows?: number;
  /** Flush the file to disk before it takes its name; default true. */
  fsync?: boolean;
}

/** The Arrow schema of a trace: the fields of {@link TraceEvent}. */
export const traceArrowFields: readonly ArrowField[] = [
  {name: "timeNs", type: "float64"},
  {name: "kind", type: "utf8"},
  {name: "pid", type: "int32"},
  {name: "durationNs", type: "float64"},
  {name: "bytes", type: "float64"},
  {name: "detail", type: "utf8"},
];

/** The CSV header line. */
const csvHeader = traceArrowFields.map((f) => f.name).join(",") + "\n";

/**
 * Returns a writer of a trace file at *path*: give it events through
 * {@link TraceFileWriter.record} (a {@link TraceListener}, so
 * `trace.listen(writer.record)` streams a whole run) and call
 * {@link TraceFileWriter.close} at the end, or
 * {@link TraceFileWriter.abort} on failure. Memory holds one batch.
 *
 * ```ts
 * const writer = new TraceFileWriter("trace.arrow");
 * const stop = writer.follow(sim.trace);
 * try { sim.run(); stop(); writer.close(); } catch (err) { writer.abort(); throw err; }
 * ```
 * @see writeTraceFile
 */
export class TraceFileWriter {
  /** The format written. */
  readonly format: TraceFileFormat;
  /** Events written so far (including the batch in hand). */
  rows = 0;
  /** The temporary file, renamed to the path at the end. */
  private readonly file: AtomicFile;
  /** Rows per batch. */
  private readonly batchRows: number;
  /** Rows in the batch in hand. */
  private n = 0;
  // The batch in hand, one array per column (Arrow), or text (CSV, JSON).
  private readonly timeNs: Float64Array;
  private readonly kinds: string[] = [];
  private readonly pids: Int32Array;
  private readonly durationNs: Float64Array;
  private readonly bytes: Float64Array;
  private readonly details: string[] = [];
  /** Text rows not yet written (CSV, JSON), as UTF-8. */
  private text = Buffer.alloc(0);
  /** Bytes used in `text`. */
  private textBytes = 0;
  /** The Arrow encoder (Arrow formats only). */
  private readonly arrow: ArrowIpcWriter | undefined;
  /** UTF-8 bytes of the string columns, reused from batch to batch; grows to the largest batch. */
  private utf8 = Buffer.alloc(1 << 16);
  /** Whether close() or abort() has run. */
  private ended = false;
  /** The error that stopped the writing (a full disk...), thrown again by close(). */
  private failure: unknown;

  constructor(
    /** Where the trace goes. */
    readonly path: string,
    options: TraceFileOptions = {},
  ) {
    const format = options.format ?? traceFileFormat(path);
    if (format === undefined) throw new Error(`trace file ${path}: name it .arrow, .arrows, .csv, .json or .ndjson, or give a format`);
    this.format = format;
    this.batchRows = options.batchRows ?? 65_536;
    if (!Number.isSafeInteger(this.batchRows) || this.batchRows < 1) throw new Error(`batchRows: ${this.batchRows}; expected a positive integer`);
    const columnar = format === "arrow" || format === "arrows";
    const rows = columnar ? this.batchRows : 0;
    this.timeNs = new Float64Array(rows);
    this.pids = new Int32Array(rows);
    this.durationNs = new Float64Array(rows);
    this.bytes = new Float64Array(rows);
    if (!columnar) this.text = Buffer.alloc(1 << 20);
    // A run killed mid-way (Ctrl-C: the run is synchronous, so nothing can clean up then) left its temporary file; remove it now.
    removeStaleTempFiles(dirname(path), basename(path));
    this.file = new AtomicFile(path, {fsync: options.fsync ?? true});
    try {
      this.arrow = columnar ? new ArrowIpcWriter(traceArrowFields, (b) => this.file.write(b), {format: format === "arrow" ? "file" : "stream"}) : undefined;
      if (format === "csv") this.file.write(csvHeader);
      if (format === "json") this.file.write("[");
    } catch (err) {
      this.file.abort();
      throw err;
    }
  }

  /** Appends one event (a {@link TraceListener}: pass it to `trace.listen`). */
  readonly record: TraceListener = (timeNs, kind, pid, durationNs, bytes, detail) => {
    if (this.ended) throw this.failure ?? new Error(`trace file ${this.path}: event after close`);
    try {
      if (this.arrow) {
        const i = this.n;
        this.timeNs[i] = timeNs;
        this.kinds[i] = kind;
        this.pids[i] = pid;
        this.durationNs[i] = durationNs;
        this.bytes[i] = bytes;
        this.details[i] = detail;
      } else if (this.format === "csv") {
        this.appendText(`${timeNs},${kind},${pid},${durationNs},${bytes},${csvField(detail)}\n`);
      } else if (!this.arrow) {
        const row = `{"timeNs":${num(timeNs)},"kind":"${kind}","pid":${pid},"durationNs":${num(durationNs)},"bytes":${num(bytes)},"detail":${JSON.stringify(detail)}}`;
        this.appendText(this.format === "ndjson" ? row + "\n" : (this.rows === 0 ? "\n" : ",\n") + row);
      }
      this.rows++;
      if (++this.n === this.batchRows) this.flush();
    } catch (err) {
      // The file is lost: remove it now, and let close() report the cause even if the run swallows this throw.
      this.failure = err;
      this.abort();
      throw err;
    }
  };

  /** Streams every event *trace* records from now on into this file; returns a function that stops it. */
  follow(trace: Trace): () => void {
    return trace.listen(this.record);
  }

  /** Writes the batch in hand, the ending (Arrow footer, JSON's `]`), and gives the file its name. */
  close(): void {
    if (this.ended) throw this.failure ?? new Error(`trace file ${this.path}: closed twice`);
    try {
      this.flush();
      this.arrow?.finish();
      if (this.format === "json") this.file.write(this.rows === 0 ? "]\n" : "\n]\n");
      this.ended = true;
      this.file.commit();
    } catch (err) {
      this.abort();
      throw err;
    }
  }

  /** Removes the temporary file; the path keeps what it had before (or stays absent). Safe to call twice. */
  abort(): void {
    this.ended = true;
    this.file.abort();
  }

  /** Writes the batch in hand. */
  private flush(): void {
    const n = this.n;
    if (n === 0) return;
    this.n = 0;
    if (!this.arrow) {
      this.flushText();
      return;
    }
    const kind = this.encodeStrings(this.kinds, n, 0);
    const detail = this.encodeStrings(this.details, n, kind.data.length);
    this.arrow.writeBatch(n, [
      this.timeNs.subarray(0, n),
      kind,
      this.pids.subarray(0, n),
      this.durationNs.subarray(0, n),
      this.bytes.subarray(0, n),
      detail,
    ]);
  }

  /** Adds a row of text to the buffer, writing the buffer out first when the row might not fit. */
  private appendText(row: string): void {
    // A UTF-16 code unit becomes at most 3 UTF-8 bytes.
    if (this.textBytes + 3 * row.length > this.text.length) {
      this.flushText();
      if (3 * row.length > this.text.length) return this.file.write(row);
    }
    this.textBytes += this.text.write(row, this.textBytes, "utf8");
  }

  /** Writes the buffered text. */
  private flushText(): void {
    if (this.textBytes === 0) return;
    this.file.write(this.text.subarray(0, this.textBytes));
    this.textBytes = 0;
  }

  /** Returns Arrow utf8 offsets and bytes of *strings*[0, n), the bytes placed at *from* in the shared buffer. */
  private encodeStrings(strings: string[], n: number, from: number): {offsets: Int32Array; data: Uint8Array} {
    const offsets = new Int32Array(n + 1);
    let at = from;
    for (let i = 0; i < n; i++) {
      const s = strings[i];
      // A UTF-16 code unit becomes at most 3 UTF-8 bytes.
      if (at + 3 * s.length > this.utf8.length) {
        const grown = Buffer.alloc(Math.max(2 * this.utf8.length, at + 3 * s.length));
        this.utf8.copy(grown, 0, 0, at);
        this.utf8 = grown;
      }
      at += s.length === 0 ? 0 : this.utf8.write(s, at, "utf8");
      offsets[i + 1] = at - from;
    }
    return {offsets, data: this.utf8.subarray(from, at)};
  }
}

/**
 * Writes *events* (such as `sim.trace.events` of a run with `keepEvents`)
 * to a trace file at *path*, atomically, in the format of its extension;
 * returns the number of events written.
 *
 * ```ts
 * writeTraceFile("out/transfer.arrow", sim.trace.events);
 * ```
 * @see TraceFileWriter
 */
export function writeTraceFile(path: string, events: Iterable<TraceEvent>, options: TraceFileOptions = {}): number {
  const writer = new TraceFileWriter(path, options);
  try {
    for (const e of events) writer.record(e.timeNs, e.kind as TraceKind, e.pid, e.durationNs, e.bytes, e.detail);
  } catch (err) {
    writer.abort();
    throw err;
  }
  writer.close();
  return writer.rows;
}

/** Returns *s* as a CSV field: quoted (inner quotes doubled) when it holds a comma, quote or line break. */
function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Returns *n* as JSON (non-finite numbers, which JSON lacks, as null). */
function num(n: number): string {
  return Number.isFinite(n) ? String(n) : "null";
}
