import {test} from "node:test";
import assert from "node:assert/strict";
import {appendFileSync, readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {SweepJournal} from "../../src/sweep/SweepJournal.js";
import {tempDir} from "../helpers/files.js";

const header = {format: "iosim-sweep/1" as const, id: "abc", runs: 4, shard: null};

test("SweepJournal.open() reads back the rows appended before, NaN, Infinity and -0 included", () => {
  const path = join(tempDir(), "t.arrow.partial.ndjson");
  const j = SweepJournal.open(path, header, {fsync: false});
  assert.equal(j.resumed.size, 0);
  j.append({run: 2, x: NaN, y: -Infinity, z: -0, error: null});
  j.append({run: 0, x: 1, error: "boom"});
  j.close();
  const again = SweepJournal.open(path, header, {fsync: false});
  assert.deepEqual([...again.resumed.entries()], [
    [2, {run: 2, x: NaN, y: -Infinity, z: -0, error: null}],
    [0, {run: 0, x: 1, error: "boom"}],
  ]);
  again.close();
});

test("SweepJournal.open() cuts a line torn by a crash, and appends after the last whole row", () => {
  const path = join(tempDir(), "t.json.partial.ndjson");
  const j = SweepJournal.open(path, header, {fsync: false});
  j.append({run: 0, error: null});
  j.close();
  appendFileSync(path, '{"run":1,"err');
  const again = SweepJournal.open(path, header, {fsync: false});
  assert.deepEqual([...again.resumed.keys()], [0]);
  again.append({run: 1, error: null});
  again.close();
  assert.deepEqual(readFileSync(path, "utf8").split("\n").slice(1), ['{"run":0,"error":null}', '{"run":1,"error":null}', ""]);
});

test("SweepJournal.open() refuses the journal of another sweep or shard, naming --out", () => {
  const path = join(tempDir(), "t.csv.partial.ndjson");
  writeFileSync(path, JSON.stringify({...header, id: "other"}) + "\n");
  assert.throws(() => SweepJournal.open(path, header), /^InputError: invalid --out: .*t\.csv; expected an output whose journal .* is of this sweep \(it holds sweep other, this is abc\)/);
  writeFileSync(path, JSON.stringify({...header, shard: "1/2"}) + "\n");
  assert.throws(() => SweepJournal.open(path, header), /it holds sweep abc shard 1\/2, this is abc\)/);
});

test("SweepJournal.open() refuses a journal without a whole header (another sweep starting on the same output)", () => {
  const path = join(tempDir(), "t.arrow.partial.ndjson");
  writeFileSync(path, '{"format":"iosim-sw');
  assert.throws(() => SweepJournal.open(path, header), /invalid --out: .*t\.arrow; expected an output no other iosim sweep is writing \(its journal .* has no header yet; if no sweep is running, delete the journal\)/);
});

test("SweepJournal flushes in the background and close() leaves every row on disk, even with a flush still running", async () => {
  const path = join(tempDir(), "t.arrow.partial.ndjson");
  const j = SweepJournal.open(path, header, {fsync: true, fsyncIntervalMs: 1});
  for (let run = 0; run < 4; run++) {
    const t0 = performance.now();
    while (performance.now() - t0 < 2); // past the interval: this append starts a background flush
    j.append({run, error: null});
  }
  j.close(); // the last append's flush may still be running: close must not pull its descriptor away
  j.close(); // idempotent
  await new Promise((resolve) => setTimeout(resolve, 50)); // the background flush's callback runs (an error there would fail the test)
  const again = SweepJournal.open(path, header, {fsync: false});
  assert.deepEqual([...again.resumed.keys()], [0, 1, 2, 3]);
  again.close();
});
