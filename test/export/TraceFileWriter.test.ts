import {test} from "node:test";
import assert from "node:assert/strict";
import {readdirSync, readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {tableFromIPC, Type} from "@uwdata/flechette";
import {TraceFileWriter, traceFileFormat, writeTraceFile} from "../../src/export/TraceFileWriter.js";
import type {TraceEvent} from "../../src/engine/trace.js";
import {loadProfile} from "../../src/host/profiles.js";
import {runTransfer} from "../../src/scenarios/transfer.js";
import {tempDir} from "../helpers/files.js";

const profile = loadProfile("server-2024");

/** A small real run, kept in memory: two cold 256 KiB files by read + write, 64 KiB at a time. */
function transferRun(onSim?: Parameters<typeof runTransfer>[0]["onSim"]) {
  return runTransfer({strategy: "read-write", fileBytes: 256 * 1024, chunkBytes: 64 * 1024, cache: "cold", files: 2, seed: 3, profile, keepEvents: true, onSim});
}

/** The run's events, and four whose detail needs quoting or escaping in CSV and JSON. */
function events(): TraceEvent[] {
  const tricky: TraceEvent[] = [
    {timeNs: 1e12, kind: "user", pid: 7, durationNs: 0.5, bytes: 0, detail: 'a,b "c"'},
    {timeNs: 1e12, kind: "user", pid: 7, durationNs: 0, bytes: 2 ** 40, detail: "line\nbreak"},
    {timeNs: 1e12, kind: "user", pid: 2147483647, durationNs: 0, bytes: 0, detail: ""},
    {timeNs: 1e12 + 1, kind: "done", pid: 0, durationNs: 3, bytes: 1, detail: "disk→page-cache ✓ 🙂"},
  ];
  return [...transferRun().sim.trace.events, ...tricky];
}

/** Returns the rows of a CSV text (RFC 4180: quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") row.push(field), (field = "");
    else if (c === "\n") row.push(field), rows.push(row), (row = []), (field = "");
    else field += c;
  }
  return rows;
}

/** Reads the record-batch blocks of an Arrow IPC file's footer (offset, metadata length, body length), by the format spec. */
function footerBlocks(bytes: Uint8Array): Array<{offset: number; metadataLength: number; bodyLength: number}> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const footerLength = view.getInt32(bytes.length - 10, true);
  const footer = bytes.length - 10 - footerLength;
  const table = footer + view.getUint32(footer, true);
  const vtable = table - view.getInt32(table, true);
  // Footer field 3 is recordBatches, a vector of 24-byte Block structs.
  const fieldOffset = view.getUint16(vtable + 4 + 2 * 3, true);
  const vector = table + fieldOffset + view.getUint32(table + fieldOffset, true);
  const count = view.getUint32(vector, true);
  return Array.from({length: count}, (_, i) => {
    const at = vector + 4 + 24 * i;
    return {offset: Number(view.getBigInt64(at, true)), metadataLength: view.getInt32(at + 8, true), bodyLength: Number(view.getBigInt64(at + 16, true))};
  });
}

test("traceFileFormat(path) reads the format from the extension", () => {
  assert.deepEqual(
    ["t.arrow", "T.ARROW", "t.arrows", "a/b.csv", "t.json", "t.ndjson", "t.jsonl", "t.txt", "arrow"].map(traceFileFormat),
    ["arrow", "arrow", "arrows", "csv", "json", "ndjson", "ndjson", undefined, undefined],
  );
});

test("writeTraceFile(path.arrow, events) writes an Arrow IPC file that tableFromIPC reads back equal, column by column", () => {
  const all = events();
  const path = join(tempDir("iosim-trace-"), "t.arrow");
  assert.equal(writeTraceFile(path, all, {batchRows: 50}), all.length);
  const bytes = readFileSync(path);
  assert.equal(bytes.subarray(0, 8).toString("latin1"), "ARROW1\0\0");
  assert.equal(bytes.subarray(-6).toString("latin1"), "ARROW1");
  const table = tableFromIPC(bytes);
  assert.equal(table.numRows, all.length);
  assert.deepEqual(
    table.schema.fields.map((f) => [f.name, f.type.typeId, f.nullable]),
    [
      ["timeNs", Type.Float, false],
      ["kind", Type.Utf8, false],
      ["pid", Type.Int, false],
      ["durationNs", Type.Float, false],
      ["bytes", Type.Float, false],
      ["detail", Type.Utf8, false],
    ],
  );
  for (const name of ["timeNs", "kind", "pid", "durationNs", "bytes", "detail"] as const)
    assert.deepEqual(Array.from(table.getChild(name)), all.map((e) => e[name]), name);
  assert.deepEqual(table.toArray().map((r) => ({...r})), all);
});

for (const batchRows of [50, 1]) test(`writeTraceFile(path.arrow) in batches of ${batchRows}: the footer lists each batch where its message starts, as the Arrow spec reads it`, () => {
  const all = events();
  const path = join(tempDir("iosim-trace-"), "t.arrow");
  writeTraceFile(path, all, {batchRows});
  const bytes = readFileSync(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const blocks = footerBlocks(bytes);
  assert.equal(blocks.length, Math.ceil(all.length / batchRows));
  // A footer larger than the encoder's first 1 KiB buffer, and every row still read back.
  assert.equal(tableFromIPC(bytes).numRows, all.length);
  for (const [i, b] of blocks.entries()) {
    assert.equal(b.offset % 8, 0, `block ${i} is 8-byte aligned`);
    assert.equal(view.getUint32(b.offset, true), 0xffffffff, `block ${i} starts with the continuation marker`);
    assert.equal(8 + view.getInt32(b.offset + 4, true), b.metadataLength, `block ${i}: metadata length`);
    // Batches follow one another with nothing between them; the last is followed by the end-of-stream marker.
    const next = i + 1 < blocks.length ? blocks[i + 1].offset : undefined;
    const end = b.offset + b.metadataLength + b.bodyLength;
    if (next !== undefined) assert.equal(end, next, `block ${i} ends where block ${i + 1} starts`);
    else assert.deepEqual([...bytes.subarray(end, end + 8)], [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
  }
});

test("writeTraceFile(path.arrows, events) writes an Arrow IPC stream (no magic, no footer) that reads back equal", () => {
  const all = events();
  const path = join(tempDir("iosim-trace-"), "t.arrows");
  writeTraceFile(path, all, {batchRows: 64});
  const bytes = readFileSync(path);
  assert.notEqual(bytes.subarray(0, 6).toString("latin1"), "ARROW1");
  assert.deepEqual([...bytes.subarray(-8)], [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
  assert.deepEqual(tableFromIPC(bytes).toArray().map((r) => ({...r})), all);
});

test("writeTraceFile(path.csv, events) writes a header and one RFC 4180 row per event", () => {
  const all = events();
  const path = join(tempDir("iosim-trace-"), "t.csv");
  writeTraceFile(path, all);
  const [header, ...rows] = parseCsv(readFileSync(path, "utf8"));
  assert.deepEqual(header, ["timeNs", "kind", "pid", "durationNs", "bytes", "detail"]);
  assert.deepEqual(
    rows.map(([timeNs, kind, pid, durationNs, bytes, detail]) => ({timeNs: +timeNs, kind, pid: +pid, durationNs: +durationNs, bytes: +bytes, detail})),
    all,
  );
});

test("writeTraceFile(path.json) writes one array; path.ndjson and path.jsonl one object per line", () => {
  const all = events();
  const dir = tempDir("iosim-trace-");
  writeTraceFile(join(dir, "t.json"), all);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, "t.json"), "utf8")), all);
  for (const name of ["t.ndjson", "t.jsonl"]) {
    writeTraceFile(join(dir, name), all, {batchRows: 7});
    const lines = readFileSync(join(dir, name), "utf8").split("\n");
    assert.equal(lines.pop(), "");
    assert.deepEqual(lines.map((l) => JSON.parse(l)), all, name);
  }
});

test("writeTraceFile(path, []) writes an empty but readable trace in every format", () => {
  const dir = tempDir("iosim-trace-");
  for (const name of ["t.arrow", "t.arrows", "t.csv", "t.json", "t.ndjson"]) writeTraceFile(join(dir, name), []);
  const table = tableFromIPC(readFileSync(join(dir, "t.arrow")));
  assert.equal(table.numRows, 0);
  assert.equal(table.schema.fields.length, 6);
  assert.equal(tableFromIPC(readFileSync(join(dir, "t.arrows"))).numRows, 0);
  assert.equal(readFileSync(join(dir, "t.csv"), "utf8"), "timeNs,kind,pid,durationNs,bytes,detail\n");
  assert.deepEqual(JSON.parse(readFileSync(join(dir, "t.json"), "utf8")), []);
  assert.equal(readFileSync(join(dir, "t.ndjson"), "utf8"), "");
});

test("TraceFileWriter.follow(sim.trace) streams a run's events as trace.record gives them: the file equals trace.events", () => {
  for (const name of ["t.arrow", "t.csv"]) {
    const path = join(tempDir("iosim-trace-"), name);
    const writer = new TraceFileWriter(path, {batchRows: 16});
    const {sim} = transferRun((s) => void writer.follow(s.trace));
    writer.close();
    assert.equal(writer.rows, sim.trace.events.length);
    if (name.endsWith(".arrow")) assert.deepEqual(tableFromIPC(readFileSync(path)).toArray().map((r) => ({...r})), sim.trace.events);
    else assert.equal(readFileSync(path, "utf8").split("\n").length - 2, sim.trace.events.length);
  }
});

test("TraceFileWriter.abort() after many batches leaves the previous file whole and no temporary file", () => {
  const dir = tempDir("iosim-trace-");
  const path = join(dir, "t.arrow");
  writeFileSync(path, "old trace");
  const writer = new TraceFileWriter(path, {batchRows: 10});
  for (const e of events()) writer.record(e.timeNs, e.kind, e.pid, e.durationNs, e.bytes, e.detail);
  assert.equal(readdirSync(dir).length, 2, "the trace goes to a temporary file beside the target");
  writer.abort();
  assert.deepEqual(readdirSync(dir), ["t.arrow"]);
  assert.equal(readFileSync(path, "utf8"), "old trace");
  assert.throws(() => writer.record(0, "user", 1, 0, 0, ""), /event after close/);
});

test("TraceFileWriter.close() gives the file its name only at the end", () => {
  const dir = tempDir("iosim-trace-");
  const writer = new TraceFileWriter(join(dir, "t.csv"), {batchRows: 2});
  for (let i = 0; i < 5; i++) writer.record(i, "user", 1, 1, 0, "");
  assert.deepEqual(
    readdirSync(dir).filter((n) => n === "t.csv"),
    [],
  );
  writer.close();
  assert.deepEqual(readdirSync(dir), ["t.csv"]);
  assert.throws(() => writer.close(), /closed twice/);
});

test("new TraceFileWriter(path) removes what a killed run left for that path, and nothing else", () => {
  const dir = tempDir("iosim-trace-");
  // Pid 999999999 runs nowhere (Linux pids stop at 2^22); our own pid is alive.
  const stale = [".t.arrow.999999999.1.tmp", ".t.arrow.999999999.2.tmp"];
  const kept = [`.t.arrow.${process.pid}.999.tmp`, ".other.csv.999999999.1.tmp", "t.arrow.999999999.1.tmp.bak"];
  for (const name of [...stale, ...kept]) writeFileSync(join(dir, name), "x");
  const writer = new TraceFileWriter(join(dir, "t.arrow"));
  writer.close();
  assert.deepEqual(readdirSync(dir).sort(), [...kept, "t.arrow"].sort());
});
