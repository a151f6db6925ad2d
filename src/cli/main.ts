#!/usr/bin/env -S node --max-semi-space-size=64
/**
 * The `iosim` command.
 *
 * Bad input (an unknown scenario, key, profile or format; a bad size or
 * seed) prints one line naming the parameter, the value and what was
 * expected, and exits with status 2; no stack trace.
 */
import {readFileSync, statSync} from "node:fs";
import {InputError} from "../errors.js";
import {defaultProfileName, loadProfile, profileNames} from "../host/profiles.js";
import {scenarios} from "../scenarios/index.js";
import {SimulationLimitError} from "../engine/SimScheduler.js";
import type {Sim} from "../engine/sim.js";
import {checkEventBudget, defaultMaxEvents, resolveParams, scenarioSchema, type Scenario} from "../scenarios/scenario.js";
import {describeParams, paramsJsonSchema} from "../params/ParamSpec.js";
import {optionsHelp, optionValue, parseCommandLine, setPairs, type OptionSpecs} from "./commandLine.js";
import {formatOption, maxEventsOption, profileOptionSchema, seedOption, sharedOptions} from "./options.js";
import {toCsv, toTable} from "./format.js";
import {RunProgress} from "./runProgress.js";
import {TraceFileWriter, traceFileFormat} from "../export/TraceFileWriter.js";
import {commands as extraCommands} from "./commands.js";
import {isUserFile, loadUserScenario} from "./userModule.js";

const version = (JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {version: string}).version;

const help = `iosim ${version} — simulate how an operating system moves data, in virtual time

Usage:
  iosim list [--format table|json]
      Name every scenario with its parameters, defaults and units, and the host profiles.
  iosim run <scenario>|<file.ts> [--set key=value ...] [--seed N] [--profile NAME|FILE] [--format table|json|csv]
            [--max-events N] [--trace FILE]
      Run one scenario and print its counts and costs. A file path runs your own scenario, written in
      TypeScript (export default {name, description, params, run}; see examples/): it is type-checked
      first, and a type error is one line naming the file and line.
  iosim run <scenario> --help
      The scenario's parameters (--set key=value): type, default, unit and meaning, from its schema.
${extraCommands.map((c) => `  ${c.usage}\n      ${c.summary}`).join("\n")}
  iosim --help | --version

Sizes accept plain bytes or a unit: 65536, 64KiB, 1.5MiB, 4GiB (also k/m/g, KB/MB/GB).
--seed is an integer (default 0). --profile is ${profileNames().join(", ")} (default ${defaultProfileName}) or a JSON file
(it may start with "extends": "<profile>" and override a few numbers; data/profiles/profile.schema.json is its
JSON Schema: add "$schema" with its path or URL and an editor checks the file as you type).
The same parameters and seed always print the same bytes.
--max-events N is the event budget of a run (default ${defaultMaxEvents}, i.e. 1e8; 1e9 and 2.5e8 are accepted):
a run estimated to need more is refused before it starts (exit 2, naming the parameter that made it large),
and the simulation stops at that many events if the estimate was short.
--trace FILE streams every trace event of the run to FILE while it goes, 65,536 events at a time, so memory
stays flat however many events there are. One row per event: timeNs, kind, pid, durationNs, bytes, detail.
The format follows the extension: .arrow (Arrow IPC file, for arquero, pyarrow, DuckDB), .arrows (Arrow IPC
stream), .csv, .json (one array) or .ndjson/.jsonl (one object per line). The file appears only when the run
succeeds (it is written under a temporary name beside it, then renamed); on an error none is left.
Progress: when stderr is a terminal, a run that lasts more than about 2 s shows one line on stderr with the
simulated time reached, the events run and events per second, redrawn in place and erased at the end. Never on
stdout, and never when stderr is piped or redirected, so results and logs stay clean.

Examples:
  iosim run transfer --set strategy=sendfile-sg --set fileBytes=1GiB --format json
  iosim run dma --set mode=pio --profile desktop-2008
  iosim run pagecache --set fileBytes=64MiB --trace pagecache.arrow
  iosim run examples/sendfile-chunks.ts --set fileBytes=64MiB
  iosim report --study examples/readahead-study.ts --out reports/mine
  iosim report --set reactor-proactor.whichClients=10,100,1000,10000,100000
`;

/** The options of `iosim run`, declared once: parsed by util.parseArgs, listed by `iosim run <scenario> --help`. */
const runOptions = {
  set: {type: "string", multiple: true, value: "key=value", expects: "key=value", description: "set a parameter of the scenario (repeat it for more)"},
  seed: sharedOptions.seed,
  profile: sharedOptions.profile,
  format: {type: "string", value: "table|json|csv", description: "output: aligned key/value lines (default), JSON or CSV"},
  "max-events": sharedOptions["max-events"],
  trace: {type: "string", value: "FILE", description: "stream every trace event to FILE (.arrow, .arrows, .csv, .json, .ndjson, .jsonl)"},
  help: sharedOptions.help,
} satisfies OptionSpecs;

/** The options of `iosim list`. */
const listOptions = {
  format: {type: "string", value: "table|json", description: "aligned text (default) or JSON with each scenario's parameters and their JSON Schema"},
  help: sharedOptions.help,
} satisfies OptionSpecs;

/** The options before a command: `iosim --help`, `iosim --version`. */
const topOptions = {
  help: sharedOptions.help,
  version: {type: "boolean", description: "print the version"},
} satisfies OptionSpecs;

/** Returns a trace file writer for `--trace` *path*, or undefined without the flag. */
function openTrace(path: string | undefined): TraceFileWriter | undefined {
  if (path === undefined) return undefined;
  if (traceFileFormat(path) === undefined) throw new InputError("--trace", path, "a file name ending in .arrow, .arrows, .csv, .json, .ndjson or .jsonl");
  // Found now, not after a long run when the rename fails.
  if (statSync(path, {throwIfNoEntry: false})?.isDirectory()) throw new InputError("--trace", path, "a file, not a folder");
  try {
    return new TraceFileWriter(path);
  } catch (err) {
    // A folder that cannot be created or written: the user's input, one line.
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === "string") throw new InputError("--trace", path, `a file that can be written (${code})`);
    throw err;
  }
}

function findScenario(name: string | undefined): Scenario {
  const s = scenarios.find((x) => x.name === name);
  if (!s) throw new InputError("scenario", name ?? "(none)", `one of ${scenarios.map((x) => x.name).join(", ")}`);
  return s;
}

/** Returns the lines of a parameter table: name, type, default, unit, meaning, read from the scenario's schema. */
function paramLines(scenario: Scenario, indent = "  "): string[] {
  return describeParams(scenarioSchema(scenario)).map(
    (p) => `${indent}${p.name.padEnd(16)} ${p.type.padEnd(44)} ${`default ${p.default}`.padEnd(18)} ${p.unit.padEnd(6)} ${p.description}`,
  );
}

function listText(): string {
  const lines: string[] = [];
  for (const s of scenarios) {
    lines.push(`${s.name}: ${s.description}`);
    lines.push(...paramLines(s));
    lines.push("");
  }
  lines.push(`profiles: ${profileNames().join(", ")} (default ${defaultProfileName})`);
  for (const c of extraCommands) lines.push(`command: ${c.usage}`);
  return lines.join("\n") + "\n";
}

/** Returns `iosim run <scenario> --help`: the scenario, its parameters from its schema, the options of run. */
function scenarioHelp(name: string, scenario: Scenario): string {
  const first = scenario.params[0];
  return (
    `Usage:\n  iosim run ${name} [--set key=value ...] [--seed N] [--profile NAME|FILE] [--format table|json|csv] [--max-events N] [--trace FILE]\n\n` +
    `${scenario.name}: ${scenario.description}\n\n` +
    `Parameters (--set key=value; sizes take units such as 64KiB, durations such as 16us; --vary key=a,b in iosim sweep):\n` +
    paramLines(scenario).join("\n") +
    `\n\nOptions:\n${optionsHelp(runOptions)}` +
    (first ? `\nExample:\n  iosim run ${name} --set ${first.name}=${first.default === "" ? '""' : first.default} --format json\n` : "")
  );
}

/** Runs `iosim list ...`. */
function listCommand(argv: string[]): number {
  const line = parseCommandLine(argv, listOptions, "list");
  if (line.values.help) {
    process.stdout.write(`Usage:\n  iosim list [--format table|json]\n\nName every scenario with its parameters, defaults and units, and the host profiles.\n\nOptions:\n${optionsHelp(listOptions)}`);
    return 0;
  }
  if (line.positional.length > 0) throw new InputError("argument", line.positional[0], "no arguments after list (options: --format table|json)");
  const format = optionValue(line, "format", formatOption(["table", "json"]));
  process.stdout.write(
    format === "json"
      ? JSON.stringify(
          {scenarios: scenarios.map(({name, description, params}) => ({name, description, params, schema: paramsJsonSchema(params)})), profiles: profileNames()},
          null,
          2,
        ) + "\n"
      : listText(),
  );
  return 0;
}

/** Runs `iosim run <scenario>|<file.ts> ...`. */
async function runCommand(argv: string[]): Promise<number> {
  const line = parseCommandLine(argv, runOptions, "run");
  const [name, ...rest] = line.positional;
  if (line.values.help && name === undefined) {
    process.stdout.write(help);
    return 0;
  }
  // A path (./my-scenario.ts) is the user's own scenario, type-checked and loaded now.
  const scenario = name !== undefined && isUserFile(name) ? await loadUserScenario(name) : findScenario(name);
  if (line.values.help) {
    process.stdout.write(scenarioHelp(name!, scenario));
    return 0;
  }
  if (rest.length > 0) throw new InputError("argument", rest[0], "nothing after the scenario name (use --set key=value)");
  const format = optionValue(line, "format", formatOption(["table", "json", "csv"]));
  const seed = optionValue(line, "seed", seedOption);
  const profile = loadProfile(optionValue(line, "profile", profileOptionSchema));
  const maxEvents = optionValue(line, "max-events", maxEventsOption);
  const values = resolveParams(scenario, setPairs(line));
  checkEventBudget(scenario, values, {seed, profile, maxEvents}, maxEvents);
  // Opened only once the input is known good, so bad input leaves no file behind.
  const trace = openTrace(line.values.trace as string | undefined);
  // Progress on stderr, only at a terminal and only once the run has gone on for ~2 s.
  const progress = new RunProgress(process.stderr);
  const ctx = {
    seed,
    profile,
    maxEvents,
    onSim: (sim: Sim) => {
      progress.follow(sim);
      trace?.follow(sim.trace);
    },
  };
  let result: Record<string, unknown>;
  try {
    result = scenario.run(values, ctx);
    trace?.close();
  } catch (err) {
    trace?.abort();
    // The estimate was short: the engine's budget (the same number) stopped the run.
    if (err instanceof SimulationLimitError)
      throw new InputError("--max-events", String(maxEvents), `a budget the run fits in: it stopped after ${maxEvents} events; raise the limit with --max-events N`);
    throw err;
  } finally {
    progress.end();
  }
  process.stdout.write(format === "json" ? JSON.stringify(result, null, 2) + "\n" : format === "csv" ? toCsv([result]) : toTable(result));
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "list") return listCommand(rest);
  if (command === "run") return await runCommand(rest);
  const extra = extraCommands.find((c) => c.name === command);
  if (extra) return await extra.runArgv(rest);
  if (command === undefined || command === "help") {
    process.stdout.write(help);
    return 0;
  }
  // Options before any command: --help, --version.
  const line = parseCommandLine(argv, topOptions);
  if (line.values.version) {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  if (line.values.help || line.positional.length === 0) {
    process.stdout.write(help);
    return 0;
  }
  throw new InputError("command", line.positional[0], `one of list, run, ${extraCommands.map((c) => c.name).join(", ")}, help`);
}

// No top-level await: src/ stays loadable through require(esm).
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof InputError) {
      process.stderr.write(`iosim: ${err.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`iosim: ${err instanceof Error ? err.message : String(err)}\n`);
      if (process.env.IOSIM_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
      process.exitCode = 1;
    }
  },
);
