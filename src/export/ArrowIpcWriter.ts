/**
 * An Arrow IPC writer that never holds more than one record batch.
 *
 * Like a ship's log bound as it is written: each page (record batch) is
 * sewn in when full, and the table of contents (the file footer, with the
 * schema and where each batch starts) is added once the voyage ends. A
 * reader opens the file at the back, reads the contents, and jumps to any
 * batch. Flechette and arquero encode a whole table at once; a trace of
 * 10^8 events does not fit in memory, so this writer emits the same bytes
 * batch by batch: the Arrow IPC *file* format (`ARROW1` magic, the schema
 * message, one message per record batch, end-of-stream, footer, magic) that
 * flechette's `tableFromIPC`, arquero's `fromArrow`, pyarrow's
 * `pa.ipc.open_file` and DuckDB read; or the *stream* format (no magic, no
 * footer) for `pa.ipc.open_stream`.
 *
 * Only what flat event tables need: non-null `float64`, `int32` and `utf8`
 * columns, uncompressed, little-endian (the byte order of every machine
 * Node runs on).
 */
import {encodeFlatbuffer, i16, i32, i64, u8, type FbTable} from "./internal/flatbuffer.js";

/** A column's Arrow type. */
export type ArrowColumnType = "float64" | "int32" | "utf8";

/** A column of the schema. */
export interface ArrowField {
  /** Column name. */
  name: string;
  /** Column type; values are never null. */
  type: ArrowColumnType;
}

/** One batch of one column: the values, or for `utf8` the offsets (length + 1 of them) and the UTF-8 bytes. */
export type ArrowColumnData = Float64Array | Int32Array | {offsets: Int32Array; data: Uint8Array};

/** Options for {@link ArrowIpcWriter}. */
export interface ArrowIpcWriterOptions {
  /** `file` (random access, with a footer; default) or `stream` (sequential). */
  format?: "file" | "stream";
}

/** Where a message sits in the file (the footer lists one per record batch). */
interface Block {
  offset: number;
  metadataLength: number;
  bodyLength: number;
}

/** `ARROW1`, padded to 8 bytes at the start of a file. */
const magic = new TextEncoder().encode("ARROW1");
/** The end-of-stream marker: continuation, then a zero metadata length. */
const endOfStream = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
/** Zeros to pad buffers to 8 bytes. */
const zeros = new Uint8Array(8);
/** Arrow's `MetadataVersion.V5`. */
const metadataV5 = 4;
/** Arrow's `MessageHeader` tags. */
const schemaHeader = 1;
const recordBatchHeader = 3;
/** Arrow's `Type` union tags and each type's table. */
const arrowTypes: Record<ArrowColumnType, {tag: number; table: FbTable}> = {
  // FloatingPoint {precision: DOUBLE}
  float64: {tag: 3, table: {table: [i16(2)]}},
  // Int {bitWidth: 32, is_signed: true}
  int32: {tag: 2, table: {table: [i32(32), u8(1)]}},
  // Utf8 {}
  utf8: {tag: 5, table: {table: []}},
};

/**
 * Returns a writer that sends Arrow IPC bytes to *write* as they are made:
 * the header and schema at once, each record batch on
 * {@link ArrowIpcWriter.writeBatch}, the footer on
 * {@link ArrowIpcWriter.finish}. Memory use is that of the batch in hand.
 *
 * ```ts
 * const w = new ArrowIpcWriter([{name: "timeNs", type: "float64"}], (bytes) => file.write(bytes));
 * w.writeBatch(2, [Float64Array.of(0, 5)]);
 * w.finish();
 * ```
 * @see TraceFileWriter
 */
export class ArrowIpcWriter {
  /** Bytes handed to `write` so far (the next message's file offset). */
  private position = 0;
  /** The record batches written, for the footer. */
  private readonly blocks: Block[] = [];
  /** The schema table (written in the first message and again in the footer). */
  private readonly schema: FbTable;
  /** `file` or `stream`. */
  private readonly format: "file" | "stream";
  /** Rows written so far. */
  rows = 0;

  constructor(
    /** The columns, in order. */
    readonly fields: readonly ArrowField[],
    /** Receives the bytes in order. */
    private readonly write: (bytes: Uint8Array) => void,
    options: ArrowIpcWriterOptions = {},
  ) {
    this.format = options.format ?? "file";
    this.schema = {
      table: [
        i16(0), // endianness: Little
        {
          vector: fields.map((f) => ({
            // Field {name, nullable, type_type, type, dictionary, children}
            table: [{string: f.name}, u8(0), u8(arrowTypes[f.type].tag), arrowTypes[f.type].table, undefined, {vector: []}],
          })),
        },
      ],
    };
    if (this.format === "file") {
      this.emit(magic);
      this.emit(zeros.subarray(0, 2));
    }
    this.message(schemaHeader, this.schema, 0);
  }

  /** Writes one record batch of *length* rows; *columns* follow the schema's order. */
  writeBatch(length: number, columns: readonly ArrowColumnData[]): void {
    if (columns.length !== this.fields.length) throw new Error(`ArrowIpcWriter: ${columns.length} columns for a schema of ${this.fields.length}`);
    // The body: for each column a validity buffer (empty: no nulls), then its offsets and/or values.
    const buffers: Uint8Array[] = [];
    columns.forEach((c, i) => {
      const type = this.fields[i].type;
      buffers.push(zeros.subarray(0, 0));
      if (type === "utf8") {
        if (!("offsets" in c) || c.offsets.length !== length + 1) throw new Error(`ArrowIpcWriter: column ${this.fields[i].name} needs ${length + 1} offsets`);
        buffers.push(bytesOf(c.offsets), c.data.subarray(0, c.offsets[length]));
      } else {
        if ("offsets" in c || c.length !== length || (type === "float64") !== c instanceof Float64Array)
          throw new Error(`ArrowIpcWriter: column ${this.fields[i].name} needs ${length} ${type} values`);
        buffers.push(bytesOf(c));
      }
    });
    const regions: number[] = [];
    let bodyLength = 0;
    for (const b of buffers) {
      regions.push(bodyLength, b.length);
      bodyLength += pad8(b.length);
    }
    const nodes = new Float64Array(columns.length * 2);
    for (let i = 0; i < columns.length; i++) nodes[2 * i] = length; // {length, null_count: 0}
    const recordBatch: FbTable = {
      table: [i64(length), {structs: longs(nodes), count: columns.length}, {structs: longs(regions), count: buffers.length}],
    };
    this.blocks.push(this.message(recordBatchHeader, recordBatch, bodyLength));
    for (const b of buffers) {
      this.emit(b);
      this.emit(zeros.subarray(0, pad8(b.length) - b.length));
    }
    this.rows += length;
  }

  /** Ends the stream, and for the file format writes the footer; write nothing after. */
  finish(): void {
    this.emit(endOfStream);
    if (this.format === "stream") return;
    const blockBytes = new DataView(new ArrayBuffer(24 * this.blocks.length));
    this.blocks.forEach((b, i) => {
      // Block {offset: long, metaDataLength: int, (4 bytes padding), bodyLength: long}
      blockBytes.setBigInt64(24 * i, BigInt(b.offset), true);
      blockBytes.setInt32(24 * i + 8, b.metadataLength, true);
      blockBytes.setBigInt64(24 * i + 16, BigInt(b.bodyLength), true);
    });
    // Footer {version, schema, dictionaries, recordBatches}
    const footer = encodeFlatbuffer({
      table: [i16(metadataV5), this.schema, {structs: new Uint8Array(0), count: 0}, {structs: new Uint8Array(blockBytes.buffer), count: this.blocks.length}],
    });
    this.emit(footer);
    const length = new Uint8Array(4);
    new DataView(length.buffer).setInt32(0, footer.length, true);
    this.emit(length);
    this.emit(magic);
  }

  /** Writes an encapsulated message (continuation, metadata length, metadata); returns its block. The body follows. */
  private message(headerType: number, header: FbTable, bodyLength: number): Block {
    // Message {version, header_type, header, bodyLength}
    const metadata = encodeFlatbuffer({table: [i16(metadataV5), u8(headerType), header, i64(bodyLength)]});
    const offset = this.position;
    const prefix = new Uint8Array(8);
    const view = new DataView(prefix.buffer);
    view.setUint32(0, 0xffffffff, true);
    view.setInt32(4, metadata.length, true);
    this.emit(prefix);
    this.emit(metadata);
    return {offset, metadataLength: 8 + metadata.length, bodyLength};
  }

  private emit(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.write(bytes);
    this.position += bytes.length;
  }
}

/** Returns *n* rounded up to a multiple of 8. */
const pad8 = (n: number) => n + ((8 - (n % 8)) % 8);

/** Returns the bytes under a typed array (no copy). */
const bytesOf = (a: Float64Array | Int32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Returns *values* as consecutive little-endian 64-bit integers (FieldNode and Buffer structs). */
function longs(values: ArrayLike<number>): Uint8Array {
  const view = new DataView(new ArrayBuffer(8 * values.length));
  for (let i = 0; i < values.length; i++) view.setBigInt64(8 * i, BigInt(values[i]), true);
  return new Uint8Array(view.buffer);
}
