/**
 * The `iosim report` sub-command: parses its options, writes the report
 * with {@link writeReportParallel} (the studies on worker threads; `--jobs 1`
 * one after another in this process), and prints where it is.
 */
import {existsSync} from "node:fs";
import {resolve} from "node:path";
import {pathToFileURL} from "node:url";
import {optionsHelp, optionValue, parseCommandLine, setPairs, type OptionSpecs} from "./commandLine.js";
import {jobsOption, seedOption, sharedOptions} from "./options.js";
import {InputError} from "../errors.js";
import {defaultReportDir} from "../report/defaults.js";
import {writeReportParallel, type ReportStudy} from "../report/report.js";
import {studies as shippedStudies} from "../studies/index.js";
import {loadUserStudy} from "./userModule.js";

/** The options `iosim report` takes. */
const reportOptions = {
  out: {type: "string", value: "DIR", description: `folder of the report (default ${defaultReportDir})`},
  seed: {type: "string", value: "N", description: "seed of every study, an integer (default: each study's own)"},
  png: {type: "boolean", description: "also write each chart as PNG"},
  study: {type: "string", value: "FILE", description: "run only your own study, a TypeScript file (see examples/readahead-study.ts)"},
  calibration: {type: "string", value: "FILE", description: "also validate the model against a calibrated machine: a profile written by iosim calibrate (its .measurements.json beside it) or the measurements file"},
  set: {
    type: "string",
    multiple: true,
    value: "STUDY.KEY=VALUE",
    expects: "STUDY.KEY=VALUE",
    description: "a parameter of one study, e.g. reactor-proactor.whichClients=10,100,1000,10000,100000 (repeat it for more; the value is JSON, a comma-separated list, or text; a study's parameters and their defaults: the \"parameters\" of any of its data/STUDY/*.meta.json)",
  },
  jobs: {type: "string", once: true, value: "N", description: "studies run at once on worker threads (default: every core, at most one per study; 1: one after another in this process; --study and the validation always run in this process)"},
  help: sharedOptions.help,
} satisfies OptionSpecs;

/**
 * Runs `iosim report [--out DIR] [--png] [--seed N] [--study FILE]
 * [--calibration FILE] [--jobs N]`: every study (or only the user's study in FILE),
 * plus the validation study when a calibration is given, written to `DIR/index.html`
 * (default `reports/iosim/index.html`) with the data of every chart beside
 * it; progress on stderr, the report's location on stdout. Returns the exit
 * status.
 */
export async function runReportCommand(argv: string[]): Promise<number> {
  const line = parseCommandLine(argv, reportOptions, "report");
  if (line.values.help) {
    process.stdout.write(
      `Usage:\n  iosim report [--out DIR] [--png] [--seed N] [--set STUDY.KEY=VALUE ...] [--study FILE] [--calibration FILE] [--jobs N]\n\nRun every study (or only your own; with --calibration also the validation against that machine) and write a self-contained HTML report.\n` +
        `The shipped studies run at once on --jobs worker threads; the files are the same bytes whatever --jobs is.\n\nOptions:\n${optionsHelp(reportOptions)}`,
    );
    return 0;
  }
  if (line.positional.length > 0) throw new InputError("argument", line.positional[0], "no arguments after report (options: --out DIR, --png, --seed N, --set STUDY.KEY=VALUE, --study FILE, --calibration FILE, --jobs N)");
  const seed = line.values.seed === undefined ? undefined : optionValue(line, "seed", seedOption);
  const png = line.values.png === true;
  const jobs = optionValue(line, "jobs", jobsOption);
  const out = (line.values.out as string | undefined) ?? defaultReportDir;
  const studyFile = line.values.study as string | undefined;
  const calibrationFile = line.values.calibration as string | undefined;
  let studies: ReportStudy[] | undefined = studyFile === undefined ? undefined : [await loadUserStudy(studyFile)];
  if (calibrationFile !== undefined) {
    // Validation needs the measurements: the file itself, or the sidecar of a calibrated profile.
    const {validationStudy, readCalibrationFile} = await import("../calibrate/validationStudy.js");
    const {measurementsPath} = await import("./calibrateCommand.js");
    const sidecar = calibrationFile.endsWith(".measurements.json") ? calibrationFile : measurementsPath(calibrationFile);
    if (!existsSync(sidecar)) throw new InputError("--calibration", calibrationFile, "a measurements file written by iosim calibrate, or a profile with one beside it");
    const cal = readCalibrationFile(sidecar, "--calibration");
    const profile = sidecar === calibrationFile ? undefined : calibrationFile;
    studies = [...(studies ?? shippedStudies), {id: "validation", title: "Validation: the model against this machine", run: () => validationStudy({calibration: cal, profile})}];
  }
  const params = studyParams(line, studies ?? shippedStudies);
  const summary = await writeReportParallel({
    out,
    studies,
    params,
    seed,
    png,
    jobs,
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

/**
 * Returns the `--set study.key=value` pairs of *line* as parameters per
 * study id: a value that is JSON is taken as it parses (`[10,100]`,
 * `1e6`, `true`), a comma-separated list as an array of its items, numbers
 * where they are numbers (`10,100,1000`, `pool,thread`, `4KiB,1MiB`),
 * anything else as text (a size such as `64KiB` or a profile name, which
 * the study's own check reads). An unknown study is an error here, before
 * anything runs; an unknown or invalid parameter is the study's own error,
 * naming it.
 */
export function studyParams(line: Parameters<typeof setPairs>[0], studies: ReadonlyArray<Pick<ReportStudy, "id">>): Record<string, Record<string, unknown>> {
  const params: Record<string, Record<string, unknown>> = {};
  for (const [key, text] of setPairs(line)) {
    const dot = key.indexOf(".");
    const id = dot > 0 ? key.slice(0, dot) : "";
    const name = key.slice(dot + 1);
    if (!studies.some((s) => s.id === id) || name === "")
      throw new InputError("--set", `${key}=${text}`, `STUDY.KEY=VALUE with STUDY one of ${studies.map((s) => s.id).join(", ")}`);
    (params[id] ??= {})[name] = parseValue(text);
  }
  return params;
}

/** A `--set` value: JSON, a comma-separated list (each item a number or text), or the text itself. */
function parseValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    if (!text.includes(",")) return text;
    return text.split(",").map((x) => {
      const item = x.trim();
      return item !== "" && Number.isFinite(Number(item)) ? Number(item) : item;
    });
  }
}
