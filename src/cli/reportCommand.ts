/**
 * The `iosim report` sub-command: parses its options, writes the report
 * with {@link writeReport}, and prints where it is.
 */
import {existsSync} from "node:fs";
import {resolve} from "node:path";
import {pathToFileURL} from "node:url";
import type {Args} from "./main.js";
import {InputError} from "../errors.js";
import {defaultReportDir} from "../report/defaults.js";
import {writeReport, type ReportStudy} from "../report/report.js";
import {studies as shippedStudies} from "../studies/index.js";
import {loadUserStudy} from "./userModule.js";

/** The options `iosim report` takes. */
const allowed = ["--out", "--seed", "--png", "--study", "--calibration"];

/**
 * Runs `iosim report [--out DIR] [--png] [--seed N] [--study FILE]
 * [--calibration FILE]`: every study (or only the user's study in FILE),
 * plus the validation study when a calibration is given, written to `DIR/index.html`
 * (default `reports/iosim/index.html`) with the data of every chart beside
 * it; progress on stderr, the report's location on stdout. Returns the exit
 * status.
 */
export async function runReportCommand(args: Args): Promise<number> {
  const [, ...extra] = args.positional;
  if (extra.length > 0) throw new InputError("argument", extra[0], "no arguments after report (options: --out DIR, --png, --seed N, --study FILE, --calibration FILE)");
  if (args.sets.length > 0) throw new InputError("--set", `${args.sets[0][0]}=${args.sets[0][1]}`, "no --set for report (options: --out DIR, --png, --seed N, --study FILE, --calibration FILE)");
  for (const name of [...args.options.keys(), ...args.flags]) {
    if (!allowed.includes(name)) throw new InputError("option for report", name, `one of ${allowed.join(", ")}`);
  }
  const seedText = args.options.get("--seed");
  if (seedText !== undefined && (!/^-?\d+$/.test(seedText.trim()) || !Number.isSafeInteger(Number(seedText)))) {
    throw new InputError("--seed", seedText, "an integer");
  }
  const out = args.options.get("--out") ?? defaultReportDir;
  const studyFile = args.options.get("--study");
  const calibrationFile = args.options.get("--calibration");
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
  const summary = writeReport({
    out,
    studies,
    seed: seedText === undefined ? undefined : Number(seedText),
    png: args.flags.has("--png"),
  });
  const charts = summary.studies.reduce((n, s) => n + s.charts, 0);
  const shown = resolve(out) === summary.out ? out : summary.out;
  process.stdout.write(
    `Report written: ${shown}/index.html (${summary.studies.length} studies, ${charts} charts; data in ${shown}/data/` +
      `${args.flags.has("--png") ? `, PNG in ${shown}/png/` : ""})\n` +
      `Open ${pathToFileURL(summary.index).href}\n`,
  );
  return 0;
  }
