/**
 * A parameter declared once: its name, kind, default, unit, allowed values
 * and meaning, and the zod schema made from that declaration.
 *
 * Think of a form's field: the label and the help text, the default already
 * filled in, and the check that runs when you type. A scenario lists its
 * fields as {@link ParamSpec}s; {@link paramsSchema} turns the list into one
 * zod object schema, and everything else is read from it: `--set` and
 * `--vary` parsing and their error messages, the defaults, `iosim list`,
 * `iosim run <scenario> --help` ({@link describeParams}) and the JSON
 * Schema of `iosim list --format json`.
 */
import * as z from "zod";
import {InputError, keyword} from "../errors.js";
import {parseDuration, parseSize} from "../units.js";
import {parseInput} from "./parseInput.js";

/** One parameter of a scenario (or of a user's own scenario). */
export interface ParamSpec {
  name: string;
  /** size: bytes with optional unit; integer; number; enum: one of *values*; boolean; duration: ns with optional unit (ns, us, ms, s), or one of *values* (a word such as "never"). */
  kind: "size" | "integer" | "number" | "enum" | "boolean" | "duration";
  /** The default, written as on the command line (`"1MiB"`, `"16us"`) or as the value itself. */
  default: string | number | boolean;
  /** Unit shown by `iosim list` ("bytes", "ns"...). */
  unit?: string;
  /** Allowed values of an enum; the words a duration also accepts. */
  values?: readonly string[];
  /** Minimum of a number or integer, inclusive. */
  min?: number;
  /** A size may be 0. */
  allowZero?: boolean;
  description: string;
}

/** One parameter's value after parsing. */
export type ParamValue = string | number | boolean;

/** Parameter values after parsing. */
export type ParamValues = Record<string, ParamValue>;

/** Returns what a value of *spec* must be, as error messages and `--help` say it. */
export function expectedOf(spec: ParamSpec): string {
  const min = spec.min ?? -Infinity;
  const atLeast = Number.isFinite(min) ? ` ≥ ${min}` : "";
  switch (spec.kind) {
    case "size":
      return spec.allowZero ? "a size ≥ 0 (65536, 64KiB, 1.5MiB)" : "a size > 0 (65536, 64KiB, 1.5MiB)";
    case "integer":
      return `an integer${atLeast}`;
    case "number":
      return `a number${atLeast}`;
    case "enum":
      return `one of ${(spec.values ?? []).join(", ")}`;
    case "boolean":
      return "one of true, false";
    case "duration":
      return `a duration (250ns, 16us, 1.5ms, 2s)${spec.values?.length ? ` or ${spec.values.join(", ")}` : ""}`;
  }
}

/**
 * Returns one parameter's value parsed from *text* (a value given as a
 * number or boolean is read as its text), or throws an {@link InputError}
 * naming the parameter, the text and what was expected.
 */
export function parseParam(spec: ParamSpec, text: string): ParamValue {
  switch (spec.kind) {
    case "size":
      return parseSize(spec.name, text, spec.allowZero);
    case "integer": {
      const min = spec.min ?? -Infinity;
      if (!/^\s*-?\d+\s*$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < min) throw new InputError(spec.name, text, expectedOf(spec));
      return Number(text);
    }
    case "number": {
      const v = Number(text);
      const min = spec.min ?? -Infinity;
      if (text.trim() === "" || !Number.isFinite(v) || v < min) throw new InputError(spec.name, text, expectedOf(spec));
      return v;
    }
    case "enum":
      return keyword(spec.name, text, spec.values ?? []);
    case "boolean":
      return keyword(spec.name, text, ["true", "false"]) === "true";
    case "duration":
      return parseDuration(spec.name, text, spec.values ?? []);
  }
}

/** What {@link paramSchema} records about a parameter, for listings and help. */
export interface ParamMeta {
  spec: ParamSpec;
}

/** The declaration behind each parameter schema, so listings read the schema, not a parallel table. */
export const paramRegistry = z.registry<ParamMeta>();

/** Returns the schema of the text or value a parameter accepts, for its JSON Schema (documentation for editors; parsing is {@link parseParam}, whose messages the CLI prints). */
function acceptedSchema(spec: ParamSpec): z.ZodType {
  switch (spec.kind) {
    case "size":
      return z.union([z.number().int().min(spec.allowZero ? 0 : 1), z.string()]);
    case "integer":
      return z.union([spec.min === undefined ? z.number().int() : z.number().int().min(spec.min), z.string()]);
    case "number":
      return z.union([spec.min === undefined ? z.number() : z.number().min(spec.min), z.string()]);
    case "enum":
      return z.enum((spec.values ?? []) as [string, ...string[]]);
    case "boolean":
      return z.union([z.boolean(), z.enum(["true", "false"])]);
    case "duration":
      return z.union([z.number().min(0), z.string()]);
  }
}

/**
 * Returns the zod schema of one parameter: it accepts the command-line text
 * (`"64KiB"`) or the value itself (`65536`), parses it with
 * {@link parseParam} (so the messages are the CLI's), fills in the default
 * when the value is missing, and carries the declaration as metadata.
 */
export function paramSchema(spec: ParamSpec) {
  const schema = z
    .union([z.string(), z.number(), z.boolean()])
    .transform((input, ctx): ParamValue => {
      try {
        return parseParam(spec, String(input));
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        ctx.addIssue({code: "custom", message: err.expected, input, params: {inputError: err}});
        return z.NEVER;
      }
    })
    .prefault(spec.default as never)
    .describe(spec.description);
  paramRegistry.add(schema, {spec});
  return schema;
}

/** The zod object schema of a parameter list, as {@link paramsSchema} returns it. */
export type ParamsSchema = z.ZodObject<Record<string, ReturnType<typeof paramSchema>>, z.core.$strict>;

const cache = new WeakMap<readonly ParamSpec[], ParamsSchema>();

/**
 * Returns the zod object schema of *specs*: one field per parameter
 * ({@link paramSchema}), strict (an unknown key is an error naming it).
 * Made once per list.
 *
 * ```ts
 * paramsSchema(transferScenario.params).parse({fileBytes: "4KiB"}).fileBytes; // 4096
 * ```
 */
export function paramsSchema(specs: readonly ParamSpec[]): ParamsSchema {
  let schema = cache.get(specs);
  if (!schema) {
    const names = new Set<string>();
    for (const s of specs) {
      if (names.has(s.name)) throw new Error(`parameter ${s.name} declared twice`);
      names.add(s.name);
    }
    schema = z.strictObject(Object.fromEntries(specs.map((s) => [s.name, paramSchema(s)]))) as ParamsSchema;
    cache.set(specs, schema);
  }
  return schema;
}

/**
 * Returns the values of *specs*: the defaults overridden by *input*
 * (`{key: text or value}`); throws an {@link InputError} for an unknown key
 * (naming *owner*: `key for scenario transfer`) or a bad value.
 */
export function parseParams(specs: readonly ParamSpec[], input: Record<string, unknown>, owner: string): ParamValues {
  return parseInput(paramsSchema(specs), input, {keyParam: `key for ${owner}`}) as ParamValues;
}

/** Returns the defaults of *specs*, parsed (`"1MiB"` → 1048576). */
export function paramDefaults(specs: readonly ParamSpec[]): ParamValues {
  return parseParams(specs, {}, "parameters");
}

/** Returns one row per parameter of *schema* for a listing: name, type, default as declared, unit, meaning. */
export function describeParams(schema: ParamsSchema): Array<{name: string; type: string; default: string; unit: string; description: string}> {
  return Object.values(schema.shape).map((field) => {
    const spec = paramRegistry.get(field)!.spec;
    return {
      name: spec.name,
      type: spec.kind === "enum" ? (spec.values ?? []).join("|") : spec.kind === "duration" && spec.values?.length ? `duration|${spec.values.join("|")}` : spec.kind,
      default: spec.default === "" ? '""' : String(spec.default),
      unit: spec.unit ?? "",
      description: spec.description,
    };
  });
}

/** Returns the JSON Schema of the values *specs* accept (`iosim list --format json`, editors). */
export function paramsJsonSchema(specs: readonly ParamSpec[]): Record<string, unknown> {
  const shape = Object.fromEntries(specs.map((s) => [s.name, acceptedSchema(s).default(s.default as never).describe(s.description + (s.unit ? ` (${s.unit})` : ""))]));
  return z.toJSONSchema(z.strictObject(shape), {io: "input"}) as Record<string, unknown>;
}

/** The schema of a {@link ParamSpec} itself: checks a declaration (a user's own scenario's) before it is used. */
export const paramSpecSchema = z.strictObject({
  name: z.string({error: "a parameter name"}).regex(/^[A-Za-z_][\w.-]*$/, {error: "a parameter name (letters, digits, _ . -)"}),
  kind: z.enum(["size", "integer", "number", "enum", "boolean", "duration"], {error: "one of size, integer, number, enum, boolean, duration"}),
  default: z.union([z.string(), z.number(), z.boolean()], {error: "a string, number or boolean"}),
  unit: z.string({error: "a string"}).optional(),
  values: z.array(z.string(), {error: "a list of strings"}).readonly().optional(),
  min: z.number({error: "a number"}).optional(),
  allowZero: z.boolean({error: "true or false"}).optional(),
  description: z.string({error: "a string"}),
});

/**
 * Checks a parameter list: each declaration against {@link paramSpecSchema},
 * an enum has values, no name twice, and every default parses as its own
 * parameter. Throws an {@link InputError} naming the declaration
 * (`params[2].kind`) or the parameter.
 */
export function checkParamSpecs(specs: unknown, where = "params"): asserts specs is ParamSpec[] {
  const list = parseInput(z.array(paramSpecSchema, {error: "a list of parameters {name, kind, default, description}"}), specs, {where, separator: "."});
  const seen = new Set<string>();
  list.forEach((spec, i) => {
    if (spec.kind === "enum" && !(spec.values && spec.values.length > 0)) throw new InputError(`${where}.${i}.values`, "missing", "the allowed values of an enum");
    if (seen.has(spec.name)) throw new InputError(`${where}.${i}.name`, spec.name, "a name not declared twice");
    seen.add(spec.name);
  });
  paramDefaults(specs as ParamSpec[]);
}
