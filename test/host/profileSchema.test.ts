import {test} from "node:test";
import assert from "node:assert/strict";
import {mkdirSync, readFileSync, writeFileSync} from "node:fs";
import {dirname, join, resolve} from "node:path";
import {fileURLToPath} from "node:url";
import {InputError} from "../../src/errors.js";
import {loadProfile, profileFileSchema, profileJsonSchemaText, profileNames, profilesDir} from "../../src/host/profiles.js";
import {tempDir} from "../helpers/files.js";

/** The repository root (this file runs from dist/test/host/). */
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const schemaPath = join(profilesDir, "profile.schema.json");
const committed = readFileSync(schemaPath, "utf8");
const jsonSchema = JSON.parse(committed) as Schema;
const raw = (name: string): Record<string, any> => JSON.parse(readFileSync(`${profilesDir}${name}.json`, "utf8")); // eslint-disable-line @typescript-eslint/no-explicit-any

/** The part of JSON Schema draft 7 the generated file uses. */
interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  propertyNames?: Schema;
  enum?: unknown[];
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  anyOf?: Schema[];
  items?: Schema | Schema[];
  additionalItems?: boolean;
  minItems?: number;
  maxItems?: number;
}

/**
 * Returns the errors of *value* against *schema* as an editor's JSON Schema
 * validator finds them (a small validator of the keywords the file uses; a
 * keyword it does not know fails the test, so the check stays honest).
 */
function validate(schema: Schema, value: unknown, path = ""): string[] {
  const known = new Set(["$schema", "title", "description", "type", "properties", "required", "additionalProperties", "propertyNames", "enum", "minimum", "exclusiveMinimum", "maximum", "anyOf", "items", "additionalItems", "minItems", "maxItems"]);
  for (const k of Object.keys(schema)) assert.ok(known.has(k), `keyword ${k} at ${path || "/"} is not checked by this test`);
  if (schema.anyOf) return schema.anyOf.some((s) => validate(s, value, path).length === 0) ? [] : [`${path || "/"}: matches none of anyOf`];
  const errors: string[] = [];
  const t = schema.type;
  const isObject = value !== null && typeof value === "object" && !Array.isArray(value);
  if (t === "object" && !isObject) return [`${path}: not an object`];
  if (t === "array") {
    if (!Array.isArray(value)) return [`${path}: not an array`];
    if (schema.minItems !== undefined && value.length < schema.minItems) errors.push(`${path}: fewer than minItems`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) errors.push(`${path}: more than maxItems`);
    value.forEach((v, i) => {
      const items = schema.items;
      const sub = Array.isArray(items) ? items[i] : items;
      if (sub) errors.push(...validate(sub, v, `${path}/${i}`));
      else if (schema.additionalItems === false) errors.push(`${path}/${i}: additional item`);
    });
    return errors;
  }
  if (t === "string" && typeof value !== "string") return [`${path}: not a string`];
  if (t === "boolean" && typeof value !== "boolean") return [`${path}: not a boolean`];
  if ((t === "number" || t === "integer") && typeof value !== "number") return [`${path}: not a number`];
  if (t === "integer" && !Number.isInteger(value)) return [`${path}: not an integer`];
  if (schema.enum && !schema.enum.includes(value)) errors.push(`${path}: not in enum`);
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${path}: below minimum`);
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) errors.push(`${path}: not above exclusiveMinimum`);
    if (schema.maximum !== undefined && value > schema.maximum) errors.push(`${path}: above maximum`);
  }
  if (isObject) {
    const obj = value as Record<string, unknown>;
    for (const k of schema.required ?? []) if (!(k in obj)) errors.push(`${path}/${k}: required`);
    for (const [k, v] of Object.entries(obj)) {
      const sub = schema.properties?.[k];
      if (sub) errors.push(...validate(sub, v, `${path}/${k}`));
      else if (schema.additionalProperties === false) errors.push(`${path}/${k}: additional property`);
      else if (typeof schema.additionalProperties === "object") errors.push(...validate(schema.additionalProperties, v, `${path}/${k}`));
      if (schema.propertyNames) errors.push(...validate(schema.propertyNames, k, `${path}/${k} (name)`));
    }
  }
  return errors;
}

test("data/profiles/profile.schema.json is what profileJsonSchemaText() generates from the zod schema", () => {
  const generated = profileJsonSchemaText();
  if (generated !== committed) {
    mkdirSync(join(root, "test/output"), {recursive: true});
    writeFileSync(join(root, "test/output/profile.schema-changed.json"), generated);
  }
  assert.equal(committed, generated, "regenerate with: npm run profile-schema (diff in test/output/profile.schema-changed.json)");
});

for (const name of profileNames()) {
  test(`shipped profile ${name} validates against profile.schema.json and names it in $schema`, () => {
    const p = raw(name);
    assert.equal(p.$schema, "./profile.schema.json");
    assert.deepEqual(validate(jsonSchema, p), []);
    assert.equal(profileFileSchema().safeParse(p).success, true);
  });
}

test("profile.schema.json accepts a file that extends a shipped profile with a few overrides", () => {
  const file = {$schema: "./profile.schema.json", extends: "server-2024", name: "small", cpu: {cores: 2}, disks: {hdd: {seekNs: 4e6}}};
  assert.deepEqual(validate(jsonSchema, file), []);
  assert.equal(profileFileSchema().safeParse(file).success, true);
});

test("profile.schema.json rejects what parseProfile rejects: unknown key, negative latency, fractional cores, number as text, missing field, unknown parent", () => {
  const bad: Array<[string, Record<string, any>]> = []; // eslint-disable-line @typescript-eslint/no-explicit-any
  const edit = (label: string, change: (p: Record<string, any>) => void) => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const p = raw("server-2024");
    change(p);
    bad.push([label, p]);
  };
  edit("unknown key", (p) => (p.cpu.coreCount = 8));
  edit("negative latency", (p) => (p.disks.hdd.latencyNs = -1));
  edit("fractional cores", (p) => (p.cpu.cores = 2.5));
  edit("number as text", (p) => (p.memory.copyBytesPerNs = "10"));
  edit("zero bandwidth", (p) => (p.nic.bytesPerNs = 0));
  edit("missing field", (p) => delete p.memory.pageBytes);
  edit("source not a string", (p) => (p.sources["cpu.cores"] = 16));
  edit("copy curve point not a pair", (p) => (p.memory.copyCurve = [[4096, 64, 1]]));
  edit("copy curve rate zero", (p) => (p.memory.copyCurve = [[4096, 0]]));
  edit("copy curve empty", (p) => (p.memory.copyCurve = []));
  bad.push(["unknown parent", {extends: "mainframe-1970"}]);
  bad.push(["override of an unknown key", {extends: "server-2024", nic: {jumboFrames: true}}]);
  for (const [label, p] of bad) {
    assert.notDeepEqual(validate(jsonSchema, p), [], `JSON Schema accepts: ${label}`);
    assert.equal(profileFileSchema().safeParse(p).success, false, `zod accepts: ${label}`);
  }
});

test("loadProfile(file) reads a user's profile file that names the JSON Schema, and names the field of a bad value", () => {
  const dir = tempDir("iosim-profile-schema-");
  const good = join(dir, "mine.json");
  writeFileSync(good, JSON.stringify({$schema: schemaPath, extends: "desktop-2008", name: "mine", memory: {pageBytes: 8192}}));
  const p = loadProfile(good);
  assert.equal(p.memory.pageBytes, 8192);
  assert.equal("$schema" in p, false, "$schema is not part of the profile");
  const bad = join(dir, "bad.json");
  writeFileSync(bad, JSON.stringify({$schema: schemaPath, extends: "desktop-2008", disks: {ssd: {queueDepth: 0.5}}}));
  assert.throws(
    () => loadProfile(bad),
    (err: unknown) => err instanceof InputError && err.message === `invalid profile ${bad} disks.ssd.queueDepth: 0.5; expected an integer > 0`,
  );
});

test("loadProfile(name) returns the shipped file's fields without $schema", () => {
  const {$schema, ...fields} = raw("desktop-2008");
  assert.equal($schema, "./profile.schema.json");
  assert.deepEqual(loadProfile("desktop-2008"), fields);
});
