/**
 * Field builders for parameter schemas written directly in zod (studies,
 * command-line options): each checks its value, says in its message what
 * was expected (the message {@link parseInput} prints), and carries its
 * documentation with `.describe()`. Sizes accept bytes or a size text
 * (`"64KiB"`), as on the command line.
 *
 * ```ts
 * const schema = z.strictObject({
 *   cores: fields.integer({min: 1}).default(1).describe("CPU cores"),
 *   sizesBytes: fields.sizeList().default([4096, 65536]).describe("sizes swept, bytes"),
 * });
 * ```
 */
import * as z from "zod";
import {InputError, keyword} from "../errors.js";
import {parseSize} from "../units.js";

/** Returns the bytes of *input*: a whole number as it is (NaN if it is not whole), a text through {@link parseSize} (NaN if malformed). */
function bytesOf(input: string | number, allowZero: boolean): number {
  if (typeof input === "number") return Number.isSafeInteger(input) ? input : NaN;
  try {
    return parseSize("size", input, allowZero);
  } catch {
    return NaN;
  }
}

/** Adds the issue of *err* (an {@link InputError} from a parse function) to *ctx*, keeping its wording. */
function carry(ctx: z.core.$RefinementCtx, input: unknown, err: unknown): never {
  if (!(err instanceof InputError)) throw err;
  ctx.addIssue({code: "custom", message: err.expected, input, params: {inputError: err}});
  return z.NEVER as never;
}

/** An integer (a safe one), at least *min* when given. */
function integer(options: {min?: number; expected?: string} = {}) {
  const expected = options.expected ?? (options.min === undefined ? "an integer" : options.min === 1 ? "an integer ≥ 1" : `an integer ≥ ${options.min}`);
  const base = z.number({error: expected}).int({error: expected});
  return options.min === undefined ? base : base.min(options.min, {error: expected});
}

/** A finite number above 0 (or at least 0 with **orZero**). */
function positive(options: {orZero?: boolean; expected?: string} = {}) {
  const expected = options.expected ?? (options.orZero ? "a number ≥ 0" : "a number > 0");
  const base = z.number({error: expected});
  return options.orZero ? base.min(0, {error: expected}) : base.gt(0, {error: expected});
}

/** A size in bytes: a whole number, or a size text such as `"64KiB"`; above 0 unless **allowZero**. */
function size(options: {allowZero?: boolean; expected?: string} = {}) {
  const expected = options.expected ?? (options.allowZero ? "a non-negative integer number of bytes" : "a positive integer number of bytes");
  return z.union([z.number(), z.string()], {error: expected}).transform((input, ctx) => {
    const bytes = bytesOf(input, options.allowZero ?? false);
    if (!(bytes >= (options.allowZero ? 0 : 1))) {
      ctx.addIssue({code: "custom", message: expected, input});
      return z.NEVER;
    }
    return bytes;
  });
}

/**
 * A non-empty list of sizes, each a whole number of bytes at least **min**
 * (default 1) or a size text, returned ascending without repeats.
 */
function sizeList(options: {min?: number; expected?: string} = {}) {
  const min = options.min ?? 1;
  const expected = options.expected ?? "a non-empty list of positive integer byte counts";
  return z.array(z.union([z.number(), z.string()]), {error: expected}).transform((list, ctx) => {
    const out: number[] = [];
    for (const item of list) {
      const bytes = bytesOf(item, min <= 0);
      if (!(bytes >= min)) {
        ctx.addIssue({code: "custom", message: expected, input: list});
        return z.NEVER;
      }
      out.push(bytes);
    }
    if (out.length === 0) {
      ctx.addIssue({code: "custom", message: expected, input: list});
      return z.NEVER;
    }
    return [...new Set(out)].sort((a, b) => a - b);
  });
}

/** One of *values*; the message lists them (`keyword()`'s wording). */
function oneOf<const T extends string>(values: readonly T[]) {
  return z.enum(values as unknown as [T, ...T[]], {error: `one of ${values.join(", ")}`});
}

/** A non-empty list of *values*' members, checked one by one with *param* named (`keyword()`'s wording). */
function listOf<const T extends string>(param: string, values: readonly T[], expected = `a non-empty list of ${values.join(", ")}`) {
  return z.array(z.string(), {error: expected}).transform((list, ctx) => {
    if (list.length === 0) {
      ctx.addIssue({code: "custom", message: expected, input: list});
      return z.NEVER;
    }
    try {
      return list.map((v) => keyword(param, v, values));
    } catch (err) {
      return carry(ctx, list, err);
    }
  });
}

/** A non-empty list of strings (profile names or files), checked later by their loader. */
function names(expected: string) {
  return z.array(z.string(), {error: expected}).min(1, {error: expected});
}

/** A seed: any safe integer. */
function seed() {
  return integer({expected: "an integer"});
}

/** The field builders; see the module comment. */
export const fields = {integer, positive, size, sizeList, oneOf, listOf, names, seed, carry};
