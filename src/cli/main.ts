#!/usr/bin/env node
/**
 * The `iosim` command.
 *
 * Bad input (an unknown scenario, key, profile or format; a bad size or
 * seed) prints one line naming the parameter, the value and what was
 * expected, and exits with status 2; no stack trace.
 */
import {readFileSync, statSync} from "node:fs";
import {InputError, keyword} from "../errors.js";
import {defaultProfileName, loadProfile, profileNames} from "../host/profiles.js";
import {scenarios} from "../scenarios/index.js";
import {SimulationLimitError} from "../engine/SimScheduler.js";
import type {Sim} from "../engine/sim.js";
import {checkEventBudget, defaultMaxEvents, resolveParams, type Scenario} from "../scenarios/scenario.js";
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
${extraCommands.map((c) => `  ${c.usage}\n      ${c.summary}`).join("\n")}
  iosim --help | --version

Sizes accept plain bytes or a unit: 65536, 64KiB, 1.5MiB, 4GiB (also k/m/g, KB/MB/GB).
--seed is an integer (default 0). --profile is ${profileNames().join(", ")} (default ${defaultProfileName}) or a JSON file
(it may start with "extends": "<profile>" and override a few numbers).
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
`;

/** Parsed command line. */
interface Args {
  positional: string[];
  sets: Array<[string, string]>;
  options: Map<string, string>;
  flags: Set<string>;
}

const valueOptions = new Set(["--seed", "--profile", "--format", "--out", "--max-events", "--trace", "--study", "--extends", "--calibration"]);
const flagOptions = new Set(["--help", "-h", "--version", "--png", "--quick"]);

function parseArgs(argv: string[]): Args {
  const args: Args = {positional: [], sets: [], options: new Map(), flags: new Set()};
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let inline: string | undefined;
    const eq = a.indexOf("=");
    if (a.startsWith("--") && eq > 0) {
      inline = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    if (a === "--set") {
      const kv = inline ?? argv[++i];
      if (kv === undefined) throw new InputError("--set", "(nothing)", "key=value");
      const k = kv.indexOf("=");
      if (k <= 0) throw new InputError("--set", kv, "key=value");
      args.sets.push([kv.slice(0, k), kv.slice(k + 1)]);
    } else if (valueOptions.has(a)) {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new InputError(a, "(nothing)", "a value after it");
      args.options.set(a, v);
    } else if (flagOptions.has(a)) {
      args.flags.add(a);
    } else if (a.startsWith("-")) {
      throw new InputError("option", a, `one of --set, ${[...valueOptions, ...flagOptions].join(", ")}`);
    } else args.positional.push(a);
  }
  return args;
}

function parseSeed(text: string | undefined): number {
  if (text === undefined) return 0;
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(Number(text))) throw new InputError("--seed", text, "an integer");
  return Number(text);
}

function parseMaxEvents(text: string | undefined): number {
  if (text === undefined) return defaultMaxEvents;
  const n = Number(text.trim());
  if (text.trim() === "" || !Number.isSafeInteger(n) || n < 1) throw new InputError("--max-events", text, "a positive integer (1e9 is fine)");
  return n;
}

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

function listText(): string {
  const lines: string[] = [];
  for (const s of scenarios) {
    lines.push(`${s.name}: ${s.description}`);
    for (const p of s.params) {
      const dflt = `default ${p.default === "" ? '""' : p.default}`;
      const type = p.kind === "enum" ? (p.values ?? []).join("|") : p.kind;
      lines.push(`  ${p.name.padEnd(16)} ${type.padEnd(44)} ${dflt.padEnd(18)} ${(p.unit ?? "").padEnd(6)} ${p.description}`);
    }
    lines.push("");
  }
  lines.push(`profiles: ${profileNames().join(", ")} (default ${defaultProfileName})`);
  for (const c of extraCommands) lines.push(`command: ${c.usage}`);
  return lines.join("\n") + "\n";
}

async function main(argv: string[]): Promise<number> {
  // Commands with options of their own (sweep's repeated --vary) read the raw words.
  const direct = extraCommands.find((c) => c.name === argv[0] && c.runArgv);
  if (direct?.runArgv) return await direct.runArgv(argv.slice(1));
  const args = parseArgs(argv);
  if (args.flags.has("--version")) {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  const [command, ...rest] = args.positional;
  if (args.flags.has("--help") || args.flags.has("-h") || command === undefined || command === "help") {
    process.stdout.write(help);
    return 0;
  }
  if (command === "list") {
    const format = keyword("--format", args.options.get("--format") ?? "table", ["table", "json"]);
    process.stdout.write(
      format === "json"
        ? JSON.stringify({scenarios: scenarios.map(({name, description, params}) => ({name, description, params})), profiles: profileNames()}, null, 2) + "\n"
        : listText(),
    );
    return 0;
  }
  if (command === "run") {
    // A path (./my-scenario.ts) is the user's own scenario, type-checked and loaded now.
    const scenario = rest[0] !== undefined && isUserFile(rest[0]) ? await loadUserScenario(rest[0]) : findScenario(rest[0]);
    if (rest.length > 1) throw new InputError("argument", rest[1], "nothing after the scenario name (use --set key=value)");
    const format = keyword("--format", args.options.get("--format") ?? "table", ["table", "json", "csv"]);
    const seed = parseSeed(args.options.get("--seed"));
    const profile = loadProfile(args.options.get("--profile") ?? defaultProfileName);
    const maxEvents = parseMaxEvents(args.options.get("--max-events"));
    const values = resolveParams(scenario, args.sets);
    checkEventBudget(scenario, values, {seed, profile, maxEvents}, maxEvents);
    // Opened only once the input is known good, so bad input leaves no file behind.
    const trace = openTrace(args.options.get("--trace"));
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
  const extra = extraCommands.find((c) => c.name === command);
  if (extra?.run) return await extra.run(args);
  throw new InputError("command", command, `one of list, run, ${extraCommands.map((c) => c.name).join(", ")}, help`);
}

export type {Args};

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
