/**
 * The `iosim sweep` sub-command: parses its options, plans the sweep, runs
 * it on worker threads and says where the table is.
 *
 * Its options repeat (`--vary`, `--set`), so it reads its own argv with the
 * same conventions as the rest of `iosim`: `--flag value` or `--flag=value`,
 * and bad input as one line naming the flag, the value and what was
 * expected, exit status 2.
 */
import {InputError} from "../errors.js";
import {buildInfo} from "../export/buildInfo.js";
import {loadProfile} from "../host/profiles.js";
import {scenarios} from "../scenarios/index.js";
import {runSweep, SweepStoppedError} from "../sweep/runSweep.js";
import {describeRuns, parseShard, planSweep, shardRuns, type Shard} from "../sweep/sweepPlan.js";
import {sweepFormatOf} from "../sweep/sweepTable.js";
import {SweepProgress} from "./sweepProgress.js";
import {optionValue, parseCommandLine, setPairs, type OptionSpecs} from "./commandLine.js";
import {jobsOption, maxEventsOption, profileOptionSchema, sharedOptions} from "./options.js";



const sweepHelp = `Usage:
  iosim sweep <scenario> [--vary key=a,b,c | key=start..end:+step | key=start..end:xfactor ...] [--set key=value ...]
              [--seeds 0..9] [--profile NAME|FILE] [--max-events N] [--jobs N] [--shard i/n|auto|auto/n]
              (--out FILE.arrow|.csv|.json | --dry-run)

Runs <scenario> once for every combination of the --vary values and the seeds
(the first --vary changes slowest, the seed fastest; run index 0, 1, ...) and
writes one row per run to --out: run, every parameter, seed, every output
(nested ones flattened: cpuShare.irq; arrays as JSON text), error, sweepRuns,
sweepId. The format follows the extension: .arrow (Arrow IPC file), .csv, .json.
FILE.meta.json records the sweep's definition, the profile, the iosim version
and commit, and the table's SHA-256.

  --vary key=a,b,c           values, parsed as --set parses them (sizes: 4KiB, 1MiB); the keys,
                             their types and defaults: iosim run <scenario> --help
  --vary key=4KiB..1GiB:x4   geometric range (both ends included when reached)
  --vary key=0..100:+25      linear range (a..b alone steps by 1); items mix: 1,2,8..64:x2
  --seeds 0..9               seeds (also 1,5,9 or 0..3,10; default 0)
  --jobs N                   worker threads (default: every core)
  --shard i/n                run only runs with index mod n == i (0 ≤ i < n); merge
                             the shards with iosim merge
  --shard auto[/n]           i and n from a Slurm job array (SLURM_ARRAY_TASK_ID,
                             SLURM_ARRAY_TASK_COUNT/_MIN/_MAX/_STEP) or a Kubernetes
                             Indexed Job (JOB_COMPLETION_INDEX; n from auto/n or IOSIM_SHARD_COUNT)
  --dry-run                  print the number of runs and the first few, run nothing

Each finished run is appended to FILE.partial.ndjson; interrupted (Ctrl-C, a
time limit, a crash) and rerun with the same command, the sweep resumes and
skips those runs. The output is written atomically once every run is done. A
run that fails is a row with its message in the error column (exit status 0).
Rows are sorted by run index, so the file does not depend on --jobs.

Example:
  iosim sweep transfer --vary strategy=read-write,sendfile-sg --vary fileBytes=4KiB..1MiB:x4 --seeds 0..4 --out transfer.arrow
`;

/** The options of `iosim sweep`, declared once: parsed by util.parseArgs, each value checked by its schema. */
const sweepOptions = {
  vary: {type: "string", multiple: true, value: "key=values", expects: "key=values after it", description: "a parameter's values: a,b,c, start..end:+step or start..end:xfactor (repeat it)"},
  set: {type: "string", multiple: true, value: "key=value", expects: "key=value after it", description: "a parameter fixed for every run (repeat it)"},
  seeds: {type: "string", once: true, value: "0..9", description: "seeds: 0..9, 1,5,9 or 0..3,10 (default 0)"},
  seed: {type: "string", once: true, value: "N", description: "one seed (as --seeds N)"},
  profile: {...sharedOptions.profile, once: true},
  "max-events": {...sharedOptions["max-events"], once: true},
  jobs: {type: "string", once: true, value: "N", description: "worker threads (default: every core)"},
  shard: {type: "string", once: true, value: "i/n|auto", description: "run only runs with index mod n == i; auto: from a Slurm array or a Kubernetes Indexed Job"},
  out: {type: "string", once: true, value: "FILE", description: "the table: .arrow, .csv or .json"},
  "dry-run": {type: "boolean", description: "print the number of runs and the first few, run nothing"},
  help: sharedOptions.help,
} satisfies OptionSpecs;

/**
 * Runs `iosim sweep <scenario> ...` with *argv* (the words after `sweep`);
 * resolves to the exit status: 0 when the table is written (failed runs
 * included, as rows), 130 when interrupted (the journal keeps the runs done).
 */
export async function runSweepCommand(argv: string[]): Promise<number> {
  const line = parseCommandLine(argv, sweepOptions, "sweep");
  if (line.values.help) {
    process.stdout.write(sweepHelp);
    return 0;
  }
  const [name, ...extra] = line.positional;
  const scenario = scenarios.find((s) => s.name === name);
  if (!scenario) throw new InputError("scenario", name ?? "(none)", `one of ${scenarios.map((s) => s.name).join(", ")}`);
  if (extra.length > 0) throw new InputError("argument", extra[0], "nothing after the scenario name (use --vary key=values, --set key=value)");
  const text = (key: keyof typeof sweepOptions) => line.values[key] as string | undefined;
  if (text("seed") !== undefined && text("seeds") !== undefined) throw new InputError("--seed", text("seed")!, "either --seed or --seeds, not both");
  const seedsText = text("seeds") ?? text("seed") ?? "0";
  const maxEvents = optionValue(line, "max-events", maxEventsOption);
  const jobs = optionValue(line, "jobs", jobsOption);
  const shardText = text("shard");
  const shard: Shard | undefined = shardText === undefined ? undefined : parseShard(shardText);
  const dryRun = line.values["dry-run"] === true;
  const out = text("out");
  if (out === undefined && !dryRun) throw new InputError("--out", "(none)", "an output file ending in .arrow, .csv or .json (or --dry-run)");
  if (out !== undefined) sweepFormatOf("--out", out);
  const profile = loadProfile(optionValue(line, "profile", profileOptionSchema));
  const plan = planSweep(scenario, {sets: setPairs(line), vary: (line.values.vary as string[] | undefined) ?? [], seeds: seedsText, profile, maxEvents, version: buildInfo().version});
  const owned = shardRuns(plan.runs, shard);
  // A shard beyond the runs (an array of 10 tasks over a 3-run sweep) writes an empty table, so every task succeeds and merge takes them all.

  if (dryRun) {
    const factors = [...plan.axes.map((a) => `${a.values.length} ${a.key}`), `${plan.seeds.length} ${plan.seeds.length === 1 ? "seed" : "seeds"}`];
    const lines = [`${scenario.name}: ${plan.runs} ${plan.runs === 1 ? "run" : "runs"} (${factors.join(" × ")}), sweep ${plan.id}`];
    if (shard) lines.push(`shard ${shard.index}/${shard.count}: ${owned.length} ${owned.length === 1 ? "run" : "runs"} (run index mod ${shard.count} == ${shard.index})`);
    const shown = describeRuns(plan, owned, 5);
    lines.push(...shown);
    if (owned.length > shown.length) lines.push(`… ${owned.length - shown.length} more`);
    process.stdout.write(lines.join("\n") + "\n");
    return 0;
  }

  // Ctrl-C, or a cluster's time limit (SIGTERM): stop the workers, keep the journal.
  const controller = new AbortController();
  let signalName: string | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    signalName = sig;
    controller.abort();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const progress = new SweepProgress(process.stderr);
  // A test hook: stop after this many runs, as an interruption would.
  const stopAfterText = process.env.IOSIM_SWEEP_STOP_AFTER;
  try {
    const summary = await runSweep(plan, {
      out: out!,
      shard,
      jobs,
      signal: controller.signal,
      stopAfter: stopAfterText ? Number(stopAfterText) : undefined,
      onProgress: (info) => progress.update(info),
    });
    progress.end();
    const failed = summary.failed > 0 ? `, ${summary.failed} failed (see the error column)` : "";
    process.stdout.write(
      summary.upToDate
        ? `Sweep up to date: ${out} (${summary.rows} rows of sweep ${plan.id}; 0 runs run${failed})\n`
        : `Sweep written: ${out} (${summary.rows} rows, ${summary.columns} columns; ${summary.executed} runs run, ${summary.resumed} resumed from the journal${failed})\n`,
    );
    return 0;
  } catch (err) {
    progress.end();
    if (err instanceof SweepStoppedError) {
      process.stderr.write(`iosim: ${signalName ? `${signalName}: ` : ""}${err.message}\n`);
      return signalName === "SIGTERM" ? 143 : 130;
    }
    throw err;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
