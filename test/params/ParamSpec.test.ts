import {test} from "node:test";
import assert from "node:assert/strict";
import {InputError} from "../../src/errors.js";
import {loadProfile} from "../../src/host/profiles.js";
import {checkParamSpecs, describeParams, paramDefaults, paramsJsonSchema, paramsSchema, parseParam, parseParams, type ParamSpec} from "../../src/params/ParamSpec.js";
import {scenarios} from "../../src/scenarios/index.js";
import {resolveParams, parseScenarioParam} from "../../src/scenarios/scenario.js";
import {runTransfer, transferParams} from "../../src/scenarios/transfer.js";
import {runDma} from "../../src/scenarios/dma.js";

/** Asserts that *fn* throws an InputError with this param and value. */
function assertInputError(fn: () => unknown, param: string, value: string, expected?: RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InputError, `expected InputError, got ${err}`);
    assert.equal(err.param, param);
    assert.equal(err.value, value);
    if (expected) assert.match(err.expected, expected);
    return true;
  });
}

for (const s of scenarios) {
  test(`paramsSchema(${s.name}.params).parse({}) gives each default as parseParam reads it`, () => {
    const defaults = paramsSchema(s.params).parse({});
    assert.deepEqual(Object.keys(defaults), s.params.map((p) => p.name));
    for (const p of s.params) assert.equal(defaults[p.name], parseParam(p, String(p.default)), p.name);
    assert.deepEqual(resolveParams(s, []), defaults);
  });

  test(`describeParams(${s.name}) lists every parameter with its declared default, unit and meaning, in order`, () => {
    assert.deepEqual(
      describeParams(paramsSchema(s.params)).map((r) => [r.name, r.default, r.unit, r.description]),
      s.params.map((p) => [p.name, p.default === "" ? '""' : String(p.default), p.unit ?? "", p.description]),
    );
  });

  test(`paramsJsonSchema(${s.name}) has one property per parameter with its default and description`, () => {
    const schema = paramsJsonSchema(s.params) as {properties: Record<string, {default?: unknown; description?: string}>; additionalProperties: boolean};
    assert.deepEqual(Object.keys(schema.properties), s.params.map((p) => p.name));
    for (const p of s.params) {
      assert.equal(schema.properties[p.name].default, p.default, p.name);
      assert.ok(schema.properties[p.name].description?.startsWith(p.description), p.name);
    }
    assert.equal(schema.additionalProperties, false);
  });
}

test("paramsSchema() is made once per list", () => {
  assert.equal(paramsSchema(transferParams), paramsSchema(transferParams));
});

test("parseParams() takes text or values and keeps the CLI's messages", () => {
  const v = parseParams(transferParams, {fileBytes: "4KiB", files: 3, strategy: "sendfile"}, "scenario transfer");
  assert.equal(v.fileBytes, 4096);
  assert.equal(v.files, 3);
  assert.equal(v.chunkBytes, 65536, "the default, parsed from 64KiB");
  assertInputError(() => parseParams(transferParams, {fileBytes: "12XB"}, "scenario transfer"), "fileBytes", "12XB", /known unit/);
  assertInputError(() => parseParams(transferParams, {strategy: "zero"}, "scenario transfer"), "strategy", "zero", /^one of read-write, /);
  assertInputError(() => parseParams(transferParams, {files: 0}, "scenario transfer"), "files", "0", /^an integer ≥ 1$/);
  assertInputError(() => parseParams(transferParams, {colour: "red", strategy: "zero"}, "scenario transfer"), "key for scenario transfer", "colour", /^one of strategy, fileBytes, /);
});

test("parseScenarioParam() parses one --vary value by the scenario's schema", () => {
  const transfer = scenarios.find((s) => s.name === "transfer")!;
  assert.equal(parseScenarioParam(transfer, "fileBytes", "1MiB"), 1048576);
  assertInputError(() => parseScenarioParam(transfer, "fileBytes", "-1"), "fileBytes", "-1");
  assertInputError(() => parseScenarioParam(transfer, "nope", "1"), "key for scenario transfer", "nope");
});

test("runTransfer and runDma, given no optional parameter, run with the scenario's declared defaults", () => {
  const profile = loadProfile("server-2024");
  const t = paramDefaults(transferParams);
  const bare = runTransfer({strategy: "read-write", fileBytes: 256 * 1024, chunkBytes: 64 * 1024, cache: "cold", profile}).result;
  const explicit = runTransfer({
    strategy: "read-write",
    fileBytes: 256 * 1024,
    chunkBytes: 64 * 1024,
    cache: "cold",
    profile,
    disk: t.disk as "ssd",
    readaheadBytes: t.readaheadBytes as number,
    files: t.files as number,
  }).result;
  assert.deepEqual(bare, explicit);
  const dma = scenarios.find((s) => s.name === "dma")!;
  const d = paramDefaults(dma.params);
  const dmaBare = runDma({mode: "dma", transferBytes: 64 * 1024, profile}).result;
  const dmaExplicit = runDma({mode: "dma", transferBytes: 64 * 1024, profile, disk: d.disk as "ssd", cores: d.cores as number, background: d.background as boolean, quantumNs: d.quantumNs as number}).result;
  assert.deepEqual(dmaBare, dmaExplicit);
});

test("checkParamSpecs() accepts the built-in declarations and names what is wrong in a bad one", () => {
  for (const s of scenarios) checkParamSpecs(s.params);
  const ok: ParamSpec = {name: "a", kind: "size", default: "1KiB", description: "a size"};
  assertInputError(() => checkParamSpecs([{...ok, kind: "sizes"}]), "params.0.kind", '"sizes"', /^one of size, integer/);
  assertInputError(() => checkParamSpecs([ok, {...ok}]), "params.1.name", "a", /declared twice/);
  assertInputError(() => checkParamSpecs([{name: "e", kind: "enum", default: "x", description: "no values"}]), "params.0.values", "missing");
  assertInputError(() => checkParamSpecs([{...ok, default: "1XB"}]), "a", "1XB", /known unit/);
  assertInputError(() => checkParamSpecs([{...ok, colour: "red"}]), "params key", "0.colour");
  assertInputError(() => checkParamSpecs("nope"), "params", "nope");
});
