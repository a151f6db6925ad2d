import {test} from "node:test";
import assert from "node:assert/strict";
import {existsSync, readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {checkSnapshot, onCI} from "./snapshot.js";
import {listFiles, tempDir} from "../helpers/files.js";

test("checkSnapshot(name) on CI fails for a missing snapshot and writes nothing", () => {
  const dir = tempDir("iosim-snapshot-");
  const message = checkSnapshot("never-committed", "<svg/>", "svg", {dir, ci: true});
  assert.match(message ?? "", /^never-committed\.svg has no snapshot in .*: on CI a missing golden fails/);
  assert.deepEqual(listFiles(dir), []);
});

test("checkSnapshot(name) off CI creates a missing snapshot and passes", () => {
  const dir = tempDir("iosim-snapshot-");
  assert.equal(checkSnapshot("new", "a,b\n1,2\n", "csv", {dir, ci: false}), null);
  assert.equal(readFileSync(join(dir, "new.csv"), "utf8"), "a,b\n1,2\n");
});

test("checkSnapshot(name) fails on one changed byte and leaves the new output in <name>-changed", () => {
  const dir = tempDir("iosim-snapshot-");
  writeFileSync(join(dir, "s.json"), '{"a": 1}\n');
  assert.equal(checkSnapshot("s", '{"a": 1}\n', "json", {dir, ci: true}), null);
  assert.match(checkSnapshot("s", '{"a": 2}\n', "json", {dir, ci: true}) ?? "", /^s\.json differs from its snapshot/);
  assert.equal(readFileSync(join(dir, "s-changed.json"), "utf8"), '{"a": 2}\n');
  // A match afterwards removes the stale -changed file.
  assert.equal(checkSnapshot("s", '{"a": 1}\n', "json", {dir, ci: true}), null);
  assert.ok(!existsSync(join(dir, "s-changed.json")));
});

test("onCI(env) reads CI=true and CI=1 as CI, and unset, empty, 0 or false as not", () => {
  assert.deepEqual(
    [{CI: "true"}, {CI: "1"}, {CI: "yes"}, {}, {CI: ""}, {CI: "0"}, {CI: "false"}, {CI: "FALSE"}].map((env) => onCI(env)),
    [true, true, true, false, false, false, false, false],
  );
});
