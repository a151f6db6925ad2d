/**
 * A minimal FlatBuffers encoder, enough for Arrow IPC metadata.
 *
 * Arrow describes its messages (schema, record batch, file footer) as
 * FlatBuffers: tables whose fields are found through a "vtable" of offsets,
 * vectors prefixed by their length, and forward 32-bit offsets from a field
 * to the object it points at. The usual builder writes back to front; this
 * one writes front to back, each object before its children, and patches
 * the forward offsets once a child's position is known. The bytes follow
 * the FlatBuffers binary format, so any reader (flatc's, Arrow C++'s,
 * flechette's) accepts them.
 *
 * Positions are aligned from the start of the buffer, so a buffer placed at
 * an 8-byte-aligned position in a file keeps every 8-byte scalar aligned.
 */

/** A scalar field: its width in bytes and value. */
export interface FbScalar {
  readonly scalar: 1 | 2 | 4 | 8;
  readonly value: number;
}

/** A table: fields by id; `undefined` leaves a field absent (its default). */
export interface FbTable {
  readonly table: ReadonlyArray<FbScalar | FbNode | undefined>;
}

/** A vector of tables or strings. */
export interface FbVector {
  readonly vector: readonly FbNode[];
}

/** A vector of *count* structs, given as their bytes (structs whose size is a multiple of 8, as Arrow's are). */
export interface FbStructs {
  readonly structs: Uint8Array;
  readonly count: number;
}

/** A UTF-8 string. */
export interface FbString {
  readonly string: string;
}

/** Anything a table field can point at. */
export type FbNode = FbTable | FbVector | FbStructs | FbString;

/** Returns a 1-byte scalar (`bool`, `byte`, `ubyte`, union type tags). */
export const u8 = (value: number): FbScalar => ({scalar: 1, value});
/** Returns a 2-byte scalar (`short`, enums such as `MetadataVersion`). */
export const i16 = (value: number): FbScalar => ({scalar: 2, value});
/** Returns a 4-byte scalar (`int`). */
export const i32 = (value: number): FbScalar => ({scalar: 4, value});
/** Returns an 8-byte scalar (`long`), exact up to 2^53. */
export const i64 = (value: number): FbScalar => ({scalar: 8, value});

/** Growable little-endian byte buffer. */
class ByteWriter {
  /** The bytes; only the first `pos` are written. */
  bytes = new Uint8Array(1024);
  /** A view on `bytes` for multi-byte writes. */
  view = new DataView(this.bytes.buffer);
  /** Next position to write. */
  pos = 0;

  reserve(n: number): number {
    const at = this.pos;
    if (at + n > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, at + n));
      grown.set(this.bytes);
      this.bytes = grown;
      this.view = new DataView(grown.buffer);
    }
    this.pos += n;
    return at;
  }

  /** Pads with zeros until `pos` is a multiple of *n* (fresh bytes are zero). */
  align(n: number): void {
    const pad = (n - (this.pos % n)) % n;
    if (pad) this.reserve(pad);
  }

  scalar(size: 1 | 2 | 4 | 8, value: number, at = this.reserve(size)): void {
    if (size === 1) this.view.setUint8(at, value);
    else if (size === 2) this.view.setInt16(at, value, true);
    else if (size === 4) this.view.setInt32(at, value, true);
    else this.view.setBigInt64(at, BigInt(value), true);
  }
}

const isScalar = (x: FbScalar | FbNode): x is FbScalar => "scalar" in x;

/** Returns the FlatBuffer bytes of *root* (a table), padded to a multiple of 8 bytes. */
export function encodeFlatbuffer(root: FbTable): Uint8Array {
  const w = new ByteWriter();
  w.reserve(4); // the root offset, patched below
  const rootAt = writeNode(w, root);
  w.scalar(4, rootAt, 0);
  w.align(8);
  return w.bytes.slice(0, w.pos);
}

/** Writes *node* and its children; returns its position (where an offset to it must point). */
function writeNode(w: ByteWriter, node: FbNode): number {
  if ("string" in node) {
    w.align(4);
    const at = w.pos;
    const utf8 = new TextEncoder().encode(node.string);
    w.scalar(4, utf8.length);
    // Reserve first: it may replace w.bytes with a larger array.
    const bytesAt = w.reserve(utf8.length + 1); // the terminating NUL stays zero
    w.bytes.set(utf8, bytesAt);
    return at;
  }
  if ("structs" in node) {
    // The length (4 bytes) sits just before 8-byte-aligned struct data.
    while ((w.pos + 4) % 8 !== 0) w.reserve(1);
    const at = w.pos;
    w.scalar(4, node.count);
    const structsAt = w.reserve(node.structs.length);
    w.bytes.set(node.structs, structsAt);
    return at;
  }
  if ("vector" in node) {
    w.align(4);
    const at = w.pos;
    w.scalar(4, node.vector.length);
    const slots = node.vector.map(() => w.reserve(4));
    node.vector.forEach((child, i) => w.scalar(4, writeNode(w, child) - slots[i], slots[i]));
    return at;
  }
  return writeTable(w, node);
}

function writeTable(w: ByteWriter, node: FbTable): number {
  const fields = node.table;
  // The vtable first: its own size, the table's size, then each field's offset in the table (0 = absent).
  w.align(2);
  const vtableAt = w.pos;
  w.reserve(4 + 2 * fields.length);
  w.scalar(2, 4 + 2 * fields.length, vtableAt);
  // The table, aligned for its widest scalar; it starts with the signed distance back to its vtable.
  const widest = Math.max(4, ...fields.map((f) => (f && isScalar(f) ? f.scalar : 4)));
  w.align(widest);
  const tableAt = w.pos;
  w.scalar(4, tableAt - vtableAt);
  // Widest fields first, so padding between fields is rare; each is aligned to its width.
  const order = fields
    .map((f, id) => ({f, id, size: f === undefined ? 0 : isScalar(f) ? f.scalar : 4}))
    .filter((x) => x.f !== undefined)
    .sort((a, b) => b.size - a.size || a.id - b.id);
  const children: Array<{node: FbNode; slot: number}> = [];
  for (const {f, id, size} of order) {
    const field = f as FbScalar | FbNode;
    w.align(size);
    const at = w.reserve(size);
    w.scalar(2, at - tableAt, vtableAt + 4 + 2 * id);
    if (isScalar(field)) w.scalar(field.scalar, field.value, at);
    else children.push({node: field, slot: at});
  }
  w.scalar(2, w.pos - tableAt, vtableAt + 2);
  // Children after their parent: offsets point forward, as FlatBuffers requires (unsigned).
  for (const {node: child, slot} of children) w.scalar(4, writeNode(w, child) - slot, slot);
  return tableAt;
}
