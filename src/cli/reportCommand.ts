/**
 * The `iosim report` sub-command: parses its options, writes the report
 * with {@link writeReport}, and prints where it is.
 */
import {resolve} from "node:path";
import {pathToFileURL} from "node:url";
import {optionsHelp, optionValue, parseCommandLine, type OptionSpecs} from "./commandLine.js";
import {seedOption, sharedOptions} from "./options.js";
import {InputError} from "../errors.js";
import {defaultReportDir} from "../report/defaults.js";
import {writeReport} from "../report/report.js";
import {loadUserStudy} from "./userModule.js";

/** The options `iosim report` takes. */
const reportOptions = {
  out: {type: "string", value: "DIR", description: `folder of the report (default ${defaultReportDir})`},
  seed: {type: "string", value: "N", description: "seed of every study, an integer (default: each study's own)"},
  png: {type: "boolean", description: "also write each chart as PNG"},
  study: {type: "string", value: "FILE", description: "run only your own study, a TypeScript file (see examples/readahead-study.ts)"},
  help: sharedOptions.help,
} satisfies OptionSpecs;

/**
 * Runs `iosim report [--out DIR] [--png] [--seed N] [--study FILE]`: every
 * study (or only the user's study in FILE), written to `DIR/index.html`
 * (default `reports/iosim/index.html`) with the data of every chart beside
 * it; progress on stderr, the report's location on stdout. Returns the exit
 * status.
 */
export async function runReportCommand(argv: string[]): Promise<number> {
  const line = parseCommandLine(argv, reportOptions, "report");
  if (line.values.help) {
    process.stdout.write(`Usage:\n  iosim report [--out DIR] [--png] [--seed N] [--study FILE]\n\nRun every study (or only your own) and write a self-contained HTML report.\n\nOptions:\n${optionsHelp(reportOptions)}`);
    return 0;
  }
  if (line.positional.length > 0) throw new InputError("argument", line.positional[0], "no arguments after report (options: --out DIR, --png, --seed N, --study FILE)");
  const seed = line.values.seed === undefined ? undefined : optionValue(line, "seed", seedOption);
  const png = line.values.png === true;
  const out = (line.values.out as string | undefined) ?? defaultReportDir;
  const studyFile = line.values.study as string | undefined;
  const studies = studyFile === undefined ? undefined : [await loadUserStudy(studyFile)];
  const summary = writeReport({
    out,
    studies,
    seed,
    png,
  });
  const charts = summary.studies.reduce((n, s) => n + s.charts, 0);
  const shown = resolve(out) === summary.out ? out : summary.out;
  process.stdout.write(
    `Report written: ${shown}/index.html (${summary.studies.length} studies, ${charts} charts; data in ${shown}/data/` +
      `${png ? `, PNG in ${shown}/png/` : ""})\n` +
      `Open ${pathToFileURL(summary.index).href}\n`,
  );
  return 0;
  }
