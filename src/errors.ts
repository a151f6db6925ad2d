/**
 * Named errors. A bad parameter is an {@link InputError}: it names the
 * parameter, the value given and what was expected, so the CLI can print it
 * as one line and exit with status 2.
 */

/** Returns an error for a bad input value: `invalid <param>: <value>; expected <expected>`. */
export class InputError extends Error {
  constructor(
    /** The parameter, e.g. `chunkBytes` or `profile cpu.cores`. */
    readonly param: string,
    /** The value given, as text. */
    readonly value: string,
    /** What was expected. */
    readonly expected: string,
  ) {
    super(`invalid ${param}: ${value === "" ? '""' : value}; expected ${expected}`);
    this.name = "InputError";
  }
}

/**
 * Returns *value* if it is one of *allowed*, else throws an {@link InputError}
 * naming *param* (Plot's `keyword()`): `invalid strategy: zero; expected one of read-write, ...`.
 */
export function keyword<T extends string>(param: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new InputError(param, value, `one of ${allowed.join(", ")}`);
}
