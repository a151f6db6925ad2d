/**
 * Scenarios: the runs the CLI knows by name, each with typed parameters.
 *
 * A scenario declares its parameters (name, kind, default, unit, meaning),
 * so `iosim list` can show them and `--set key=value` can be checked with
 * an error that names the parameter, the value and what was expected.
 */
import {InputError, keyword} from "../errors.js";
import type {Profile} from "../host/profiles.js";
import {parseSize} from "../units.js";

/** One parameter of a scenario. */
export interface ParamSpec {
  name: string;
  /** size: bytes with optional unit; integer; number; enum: one of *values*; boolean. */
  kind: "size" | "integer" | "number" | "enum" | "boolean";
  default: string | number | boolean;
  /** Unit shown by `iosim list` ("bytes", "ns"...). */
  unit?: string;
  /** Allowed values of an enum. */
  values?: readonly string[];
  /** Minimum of a number or integer, inclusive. */
  min?: number;
  /** A size may be 0. */
  allowZero?: boolean;
  description: string;
}

/** Parameter values after parsing. */
export type ParamValues = Record<string, string | number | boolean>;

/** What a scenario run gets besides its parameters. */
export interface RunContext {
  seed: number;
  profile: Profile;
}

/** A named run. */
export interface Scenario {
  name: string;
  description: string;
  params: ParamSpec[];
  run(values: ParamValues, ctx: RunContext): Record<string, unknown>;
}

/** Returns one parameter's value parsed from *text*. */
export function parseParam(spec: ParamSpec, text: string): string | number | boolean {
  switch (spec.kind) {
    case "size":
      return parseSize(spec.name, text, spec.allowZero);
    case "integer": {
      const min = spec.min ?? -Infinity;
      if (!/^\s*-?\d+\s*$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < min)
        throw new InputError(spec.name, text, `an integer${Number.isFinite(min) ? ` ≥ ${min}` : ""}`);
      return Number(text);
    }
    case "number": {
      const v = Number(text);
      const min = spec.min ?? -Infinity;
      if (text.trim() === "" || !Number.isFinite(v) || v < min) throw new InputError(spec.name, text, `a number${Number.isFinite(min) ? ` ≥ ${min}` : ""}`);
      return v;
    }
    case "enum":
      return keyword(spec.name, text, spec.values ?? []);
    case "boolean":
      return keyword(spec.name, text, ["true", "false"]) === "true";
  }
}

/** Returns the scenario's values: defaults overridden by *sets* (`key → text`); unknown keys are errors. */
export function resolveParams(scenario: Scenario, sets: ReadonlyArray<[string, string]>): ParamValues {
  const values: ParamValues = {};
  for (const spec of scenario.params) values[spec.name] = spec.kind === "size" || spec.kind === "boolean" || spec.kind === "enum" ? parseParam(spec, String(spec.default)) : spec.default;
  for (const [key, text] of sets) {
    const spec = scenario.params.find((p) => p.name === key);
    if (!spec) throw new InputError(`key for scenario ${scenario.name}`, key, `one of ${scenario.params.map((p) => p.name).join(", ")}`);
    values[key] = parseParam(spec, text);
  }
  return values;
}
