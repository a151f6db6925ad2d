import {test} from "node:test";
import assert from "node:assert/strict";
import {float64, int32, tableFromArrays, tableFromIPC, tableToIPC, utf8} from "@uwdata/flechette";
import {ArrowIpcWriter, type ArrowField} from "../../src/export/ArrowIpcWriter.js";

const fields: ArrowField[] = [
  {name: "a", type: "float64"},
  {name: "s", type: "utf8"},
  {name: "p", type: "int32"},
];

/** Returns the bytes an ArrowIpcWriter gives for *batches* (each a row count and its columns). */
function write(format: "file" | "stream", batches: Array<Parameters<ArrowIpcWriter["writeBatch"]>>): Buffer {
  const chunks: Uint8Array[] = [];
  const writer = new ArrowIpcWriter(fields, (b) => chunks.push(Uint8Array.from(b)), {format});
  for (const [n, columns] of batches) writer.writeBatch(n, columns);
  writer.finish();
  return Buffer.concat(chunks);
}

const utf8Column = (strings: string[]) => {
  const data = Buffer.from(strings.join(""), "utf8");
  const offsets = new Int32Array(strings.length + 1);
  strings.forEach((s, i) => (offsets[i + 1] = offsets[i] + Buffer.byteLength(s)));
  return {offsets, data};
};

test("ArrowIpcWriter.writeBatch() lays out a record batch body byte for byte as flechette's tableToIPC does", () => {
  const mine = write("stream", [[3, [Float64Array.of(1, 2.5, 3), utf8Column(["x", "yy", "→"]), Int32Array.of(1, 2, 3)]]]);
  const table = tableFromArrays({a: Float64Array.of(1, 2.5, 3), s: ["x", "yy", "→"], p: Int32Array.of(1, 2, 3)}, {types: {a: float64(), s: utf8(), p: int32()}});
  const theirs = Buffer.from(tableToIPC(table, {format: "stream"})!);
  // Body: 3 doubles (24 bytes), 4 offsets (16), 6 UTF-8 bytes (padded to 8), 3 ints (padded to 16); then end-of-stream (8).
  const tail = 24 + 16 + 8 + 16 + 8;
  assert.deepEqual(mine.subarray(-tail), theirs.subarray(-tail));
  assert.deepEqual(tableFromIPC(mine).toArray(), tableFromIPC(theirs).toArray());
});

test("ArrowIpcWriter with no batch writes a file with the schema and no rows", () => {
  const table = tableFromIPC(write("file", []));
  assert.equal(table.numRows, 0);
  assert.deepEqual(
    table.schema.fields.map((f) => f.name),
    ["a", "s", "p"],
  );
});

test("ArrowIpcWriter.writeBatch() refuses columns that do not match the schema", () => {
  const w = new ArrowIpcWriter(fields, () => {});
  assert.throws(() => w.writeBatch(1, [Float64Array.of(1)]), /1 columns for a schema of 3/);
  assert.throws(() => w.writeBatch(2, [Float64Array.of(1), utf8Column(["a", "b"]), Int32Array.of(1, 2)]), /column a needs 2 float64 values/);
  assert.throws(() => w.writeBatch(1, [Float64Array.of(1), utf8Column(["a", "b"]), Int32Array.of(1)]), /column s needs 2 offsets/);
  assert.throws(() => w.writeBatch(1, [Float64Array.of(1), utf8Column(["a"]), Float64Array.of(1)]), /column p needs 1 int32 values/);
});
