/**
 * The command line of every `iosim` command, read by Node's `util.parseArgs`
 * from one declaration per command, and each option's value checked by its
 * zod schema.
 *
 * A command declares its options once ({@link OptionSpecs}): the flag, whether
 * it takes a value or repeats, the value's schema and its help line. From that
 * come the parse, the messages of bad input (`invalid --seed: 1.5; expected an
 * integer`, `invalid option for sweep: --bogus; expected one of ...`; exit 2
 * as every {@link InputError}) and the options part of the command's help
 * ({@link optionsHelp}).
 */
import {parseArgs} from "node:util";
import type * as z from "zod";
import {InputError} from "../errors.js";
import {parseInput} from "../params/parseInput.js";

/** One option of a command. */
export interface OptionSpec {
  /** `string`: takes a value (`--seed 3`, `--seed=3`); `boolean`: a flag. */
  type: "string" | "boolean";
  /** May be given more than once (`--set`, `--vary`); otherwise a second one is an error when **once**, else the last wins. */
  multiple?: boolean;
  /** Given twice is an error (`--out once`). */
  once?: boolean;
  /** One-letter alias (`h` for `--help`). */
  short?: string;
  /** The value's placeholder in help (`N`, `FILE`). */
  value?: string;
  /** What the option does, for help. */
  description: string;
  /** What a missing value is expected to be (default `a value after it`). */
  expects?: string;
  /** Left out of the list an unknown option's message gives (`--help`, which every command takes). */
  unlisted?: boolean;
}

/** A command's options by long name (without the dashes). */
export type OptionSpecs = Record<string, OptionSpec>;

/** A parsed command line. */
export interface CommandLine {
  /** The words that are not options, in order. */
  positional: string[];
  /** Each option given, by long name: its value (the last one), every value when it repeats, or true for a flag. */
  values: Record<string, string | string[] | boolean | undefined>;
}

/**
 * Returns *argv* parsed against *options* (Node's `util.parseArgs`, strict):
 * `--flag value`, `--flag=value`, `-h`, `--` ends the options. Throws an
 * {@link InputError} naming *command* for an unknown option, and the flag
 * for a missing value or a value given to a flag.
 *
 * ```ts
 * const {positional, values} = parseCommandLine(["transfer", "--seed", "3"], {seed: {type: "string", description: "seed"}}, "run");
 * ```
 */
export function parseCommandLine(argv: readonly string[], options: OptionSpecs, command?: string): CommandLine {
  const flags = Object.entries(options)
    .filter(([, o]) => !o.unlisted)
    .map(([k]) => `--${k}`);
  const listed = `one of ${flags.join(", ")}`;
  // A value that starts with a dash (--seed -3) is taken as the value, as it always was; util.parseArgs asks for --seed=-3.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      args.push(...argv.slice(i));
      break;
    }
    const spec = a.startsWith("--") && !a.includes("=") ? options[a.slice(2)] : undefined;
    if (spec?.type === "string" && i + 1 < argv.length && argv[i + 1].startsWith("-") && argv[i + 1] !== "--") {
      args.push(`${a}=${argv[++i]}`);
    } else args.push(a);
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      // util.parseArgs refuses keys set to undefined.
      options: Object.fromEntries(
        Object.entries(options).map(([name, o]) => [name, {type: o.type, ...(o.multiple ? {multiple: true} : {}), ...(o.short ? {short: o.short} : {})}]),
      ),
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch (err) {
    const code = (err as {code?: string}).code;
    const message = (err as Error).message ?? "";
    const flag = /'(-[^' ]*)/.exec(message)?.[1] ?? "(unknown)";
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") throw new InputError(command ? `option for ${command}` : "option", flag, listed);
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
      const name = /--([\w-]+)/.exec(message)?.[1] ?? flag;
      const spec = options[name];
      if (spec?.type === "boolean") throw new InputError(`--${name}`, args.find((a) => a.startsWith(`--${name}=`)) ?? `--${name}`, "no value (it is a flag)");
      throw new InputError(`--${name}`, "(nothing)", spec?.expects ?? "a value after it");
    }
    throw err;
  }
  // An option allowed once, given twice.
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== "option") continue;
    if (options[token.name]?.once && seen.has(token.name)) throw new InputError(`--${token.name}`, token.value ?? "", `--${token.name} once`);
    seen.add(token.name);
  }
  return {positional: parsed.positionals, values: parsed.values as CommandLine["values"]};
}

/**
 * Returns the value of option *name* checked by *schema* (its message is the
 * expectation: `invalid --jobs: 0; expected a positive number of worker
 * threads`), or the schema's default when the option is absent.
 */
export function optionValue<S extends z.ZodType>(line: CommandLine, name: string, schema: S): z.output<S> {
  return parseInput(schema, line.values[name], {where: `--${name}`, missing: "(none)"});
}

/** Returns the `--set key=value` pairs of *line*, in order; a word without `=` is an error naming `--set`. */
export function setPairs(line: CommandLine, name = "set"): Array<[string, string]> {
  const list = (line.values[name] as string[] | undefined) ?? [];
  return list.map((kv) => {
    const k = kv.indexOf("=");
    if (k <= 0) throw new InputError(`--${name}`, kv, "key=value");
    return [kv.slice(0, k), kv.slice(k + 1)];
  });
}

/** Returns the options part of a command's help: one line per option, `--flag VALUE` then what it does, aligned. */
export function optionsHelp(options: OptionSpecs, indent = "  "): string {
  const heads = Object.entries(options).map(([name, o]) => `${o.short ? `-${o.short}, ` : ""}--${name}${o.type === "string" ? ` ${o.value ?? "VALUE"}` : ""}`);
  const width = Math.max(...heads.map((h) => h.length)) + 2;
  return Object.values(options).map((o, i) => `${indent}${heads[i].padEnd(width)}${o.description}`).join("\n") + "\n";
}
