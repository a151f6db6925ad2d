/**
 * Turns a zod schema's verdict into iosim's one kind of bad-input error.
 *
 * A zod schema reports every problem as an issue with a path; the CLI and
 * the library report the first one as an {@link InputError} naming the
 * parameter, the value given and what was expected (`invalid cpu.cores: 0;
 * expected an integer > 0`), so the CLI prints one line and exits 2. Every
 * schema in iosim writes its issue messages as that "expected" text.
 */
import type * as z from "zod";
import {InputError} from "../errors.js";

/** Options of {@link parseInput}. */
export interface ParseInputOptions {
  /** Put before the dotted path in the parameter's name: `profile mine.json` → `profile mine.json cpu.cores`. */
  where?: string;
  /** The parameter named for an unknown key (default `${where} key`, or `key`). */
  keyParam?: string;
  /** The value shown for a missing field (default `missing`). */
  missing?: string;
  /** Between **where** and the path (default a space: `profile mine.json cpu.cores`; `.` gives `params.0.kind`). */
  separator?: string;
}

/** Returns *value* as an error message shows it: strings as they are at the top level, other values as JSON. */
function shown(value: unknown, quoteStrings: boolean): string {
  if (typeof value === "string" && !quoteStrings) return value;
  return JSON.stringify(value) ?? String(value);
}

/**
 * Returns the {@link InputError} for the first issue of *error*: an unknown
 * key names the key and lists the allowed ones, a missing field shows
 * `missing`, any other issue shows the value (strings as JSON when
 * *quoteStrings*, as profile files are JSON) and its message as the
 * expectation. An issue raised with `params: {inputError}` (a parse function
 * that threw an InputError with its own wording) is that error.
 */
export function inputErrorOf(error: z.ZodError, schemaKeys: (path: PropertyKey[]) => string[], options: ParseInputOptions = {}, quoteStrings = false): InputError {
  const {where} = options;
  const issues = error.issues;
  // Unknown keys first, as a typo in a key explains the rest.
  const issue = issues.find((i) => i.code === "unrecognized_keys") ?? issues[0];
  const dotted = (path: readonly PropertyKey[]) => path.map(String).join(".");
  const param = (path: readonly PropertyKey[]) => [where, dotted(path)].filter((s) => s !== undefined && s !== "").join(options.separator ?? " ") || "value";
  if (issue.code === "unrecognized_keys") {
    const prefix = issue.path.length > 0 ? `${dotted(issue.path)}.` : "";
    const allowed = schemaKeys(issue.path).map((k) => `${prefix}${k}`);
    return new InputError(options.keyParam ?? (where ? `${where} key` : "key"), `${prefix}${issue.keys[0]}`, `one of ${allowed.join(", ")}`);
  }
  const carried = (issue as {params?: {inputError?: unknown}}).params?.inputError;
  if (carried instanceof InputError) return carried;
  const input = (issue as {input?: unknown}).input;
  if (issue.code === "invalid_type" && input === undefined) return new InputError(param(issue.path), options.missing ?? "missing", issue.message);
  return new InputError(param(issue.path), shown(input, quoteStrings || issue.path.length > 0), issue.message);
}

/** Returns the keys a (strict) object schema at *path* of *schema* allows, for the message of an unknown key. */
export function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s: unknown = schema;
  for (const key of [undefined, ...path]) {
    // Unwrap optional, default and pipe layers to the object.
    for (let guard = 0; guard < 8; guard++) {
      const def = (s as {_zod?: {def?: {type?: string; innerType?: unknown; in?: unknown; options?: unknown[]}}})._zod?.def;
      if (!def) break;
      if (def.type === "optional" || def.type === "default" || def.type === "prefault" || def.type === "nullable" || def.type === "readonly") s = def.innerType;
      else if (def.type === "pipe") s = def.in;
      else if (def.type === "union") s = (def.options ?? [])[(def.options ?? []).length - 1];
      else break;
    }
    if (key === undefined) continue;
    s = (s as {shape?: Record<string, unknown>}).shape?.[String(key)];
  }
  return Object.keys((s as {shape?: Record<string, unknown>})?.shape ?? {});
}

/**
 * Returns *input* parsed by *schema*, or throws the {@link InputError} of
 * its first issue (see {@link inputErrorOf}).
 *
 * ```ts
 * parseInput(profileSchema, JSON.parse(text), {where: "profile mine.json"});
 * ```
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, options: ParseInputOptions & {quoteStrings?: boolean} = {}): z.output<S> {
  const r = schema.safeParse(input, {reportInput: true});
  if (r.success) return r.data;
  throw inputErrorOf(r.error, (path) => keysAt(schema, path), options, options.quoteStrings ?? false);
}
