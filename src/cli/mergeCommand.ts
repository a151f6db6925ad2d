/**
 * The `iosim merge` sub-command: joins the shards of a sweep into one table,
 * checking that each run is there exactly once.
 */
import {InputError} from "../errors.js";
import {mergeSweeps} from "../sweep/mergeSweeps.js";
import {commands} from "./commands.js";
import {parseCommandLine, type OptionSpecs} from "./commandLine.js";
import {sharedOptions} from "./options.js";



const mergeHelp = `Usage:
  ${commands.find((c) => c.name === "merge")!.usage}

Reads the files written by iosim sweep --shard (any of .arrow, .csv, .json),
checks that they come from one sweep (the sweepId column) and hold each of its
runs (run, 0 to sweepRuns − 1) exactly once, and writes the rows in run order
to --out, atomically: the same bytes as the sweep run without --shard.

Example:
  iosim merge shard-*.arrow --out all.arrow
`;

/** The options `iosim merge` takes. */
const mergeOptions = {
  out: {type: "string", value: "FILE", once: true, description: "the merged table (.arrow, .csv or .json), written atomically"},
  help: sharedOptions.help,
} satisfies OptionSpecs;

/** Runs `iosim merge ...` with *argv* (the words after `merge`); resolves to the exit status. */
export async function runMergeCommand(argv: string[]): Promise<number> {
  const line = parseCommandLine(argv, mergeOptions, "merge");
  if (line.values.help) {
    process.stdout.write(mergeHelp);
    return 0;
  }
  const inputs = line.positional;
  const out = line.values.out as string | undefined;
  if (out === undefined) throw new InputError("--out", "(none)", "the merged file, ending in .arrow, .csv or .json");
  if (inputs.includes(out)) throw new InputError("--out", out, "a file that is not also an input");
  const summary = mergeSweeps(inputs, out);
  const failed = summary.failed > 0 ? `, ${summary.failed} failed (see the error column)` : "";
  process.stdout.write(`Merged ${summary.files} files: ${out} (${summary.rows} rows, ${summary.columns} columns of sweep ${summary.id}${failed})\n`);
  return 0;
}
