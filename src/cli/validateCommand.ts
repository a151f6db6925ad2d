/**
 * The `iosim validate` sub-command: the simulator's predictions with a
 * calibrated profile beside what `iosim calibrate` measured, flagging what
 * falls outside its band.
 */
import {existsSync} from "node:fs";
import {InputError, keyword} from "../errors.js";
import {loadProfile} from "../host/profiles.js";
import {significant} from "../calibrate/spread.js";
import {validate, validationSummary, type ValidationRow} from "../calibrate/validate.js";
import {readCalibrationFile} from "../calibrate/validationStudy.js";
import {writeFileAtomic} from "../export/writeFileAtomic.js";
import {optionsHelp, parseCommandLine, type OptionSpecs} from "./commandLine.js";
import {sharedOptions} from "./options.js";
import {defaultCalibrationFile, measurementsPath} from "./calibrateCommand.js";

export const validateUsage = "iosim validate [--profile FILE] [--measurements FILE] [--format table|json|csv] [--out FILE]";

const formats = ["table", "json", "csv"] as const;

/** The options of `iosim validate`. */
const validateOptions = {
  profile: {type: "string", value: "FILE", description: "the calibrated profile to predict with (default calibrated-profile.json)"},
  measurements: {type: "string", value: "FILE", description: "what iosim calibrate measured (default FILE.measurements.json beside the profile)"},
  format: {type: "string", value: "table|json|csv", description: "output: an aligned table (default), JSON or CSV"},
  out: {type: "string", value: "FILE", description: "write the output to FILE (atomically) instead of stdout"},
  help: sharedOptions.help,
} satisfies OptionSpecs;

/** Returns the band of *row* as text: `±25%` or `±10 pp`. */
function bandText(row: ValidationRow): string {
  return row.band.kind === "relative" ? `±${Math.round(row.band.within * 100)}%` : `±${Math.round(row.band.within * 100)} pp`;
}

/** Returns the error of *row* as text: `×1.32` (relative) or `+4.1 pp`, or "—". */
function errorText(row: ValidationRow): string {
  if (row.error === undefined) return "—";
  if (row.band.kind === "relative") return `×${significant(row.error)}`;
  const pp = row.error * 100;
  return `${pp >= 0 ? "+" : ""}${significant(pp, 2)} pp`;
}

/** Returns the verdict of *row*: `ok`, `OUTSIDE`, or why there is none. */
function verdict(row: ValidationRow): string {
  if (row.within === undefined) return `not compared: ${row.unsupported ?? "no measurement"}`;
  return (row.within ? "ok" : "OUTSIDE") + (row.calibrated ? " (calibrated)" : "");
}

/** Returns the aligned table of *rows*. */
export function validationTable(rows: readonly ValidationRow[]): string {
  const head = ["quantity", "unit", "measured", "predicted", "error", "band", "verdict"];
  const cells = rows.map((r) => [r.quantity, r.unit, r.measured === undefined ? "—" : String(significant(r.measured)), String(significant(r.predicted)), errorText(r), bandText(r), verdict(r)]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i >= 2 && i <= 4 ? x.padStart(widths[i]) : x.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(head), ...cells.map(line)].join("\n") + "\n";
}

/** Returns *rows* as CSV, one row per quantity, numbers in full. */
export function validationCsv(rows: readonly ValidationRow[]): string {
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const head = "quantity,unit,measured,measuredLow,measuredHigh,predicted,error,band,bandWithin,within,calibrated,unsupported,how";
  const body = rows.map((r) =>
    [r.quantity, r.unit, r.measured ?? "", r.measuredLow ?? "", r.measuredHigh ?? "", r.predicted, r.error ?? "", r.band.kind, r.band.within, r.within ?? "", r.calibrated, r.unsupported ?? "", r.how]
      .map((v) => quote(String(v)))
      .join(","),
  );
  return [head, ...body].join("\n") + "\n";
}

/**
 * Runs `iosim validate`: reads the calibrated profile (default
 * `calibrated-profile.json`) and its measurements (default beside it),
 * simulates each measured experiment with that profile, and prints the
 * comparison as a table (or JSON, CSV; to --out atomically). Exit 0 whatever
 * the verdicts: it is a measurement, not a test.
 */
export async function runValidateCommand(argv: string[]): Promise<number> {
  const line = parseCommandLine(argv, validateOptions, "validate");
  if (line.positional.length > 0) throw new InputError("argument", line.positional[0], "no arguments after validate (options: --profile FILE, --measurements FILE, --format table|json|csv, --out FILE)");
  const v = line.values as {profile?: string; measurements?: string; format?: string; out?: string; help?: boolean};
  if (v.help) {
    process.stdout.write(
      `Usage:\n  ${validateUsage}\n\n` +
        "Simulates each experiment iosim calibrate measured (system call, memory copy, a cross-CPU ping-pong, io_uring, file reads, loopback TCP) with the calibrated profile,\n" +
        "and prints measured beside predicted with the error and its band (ratios and bandwidths ±25%, elapsed time saved ±10 pp).\n" +
        "Rows marked (calibrated) were copied into the profile from that very measurement: they check the plumbing, not the model.\n\n" +
        `Options:\n${optionsHelp(validateOptions)}`,
    );
    return 0;
  }
  const profileFile = v.profile ?? defaultCalibrationFile;
  if (!existsSync(profileFile)) throw new InputError("--profile", profileFile, "a profile file written by iosim calibrate (run iosim calibrate first)");
  const profile = loadProfile(profileFile.includes("/") || profileFile.includes(".") ? profileFile : `./${profileFile}`);
  const measurements = v.measurements ?? measurementsPath(profileFile);
  if (!existsSync(measurements)) throw new InputError("--measurements", measurements, "the measurements file iosim calibrate wrote (run iosim calibrate first)");
  const cal = readCalibrationFile(measurements, "--measurements");
  const format = keyword("--format", v.format ?? "table", formats);
  const rows = validate(cal, profile);
  const s = validationSummary(rows);
  const text =
    format === "json"
      ? JSON.stringify({profile: profile.name, machine: cal.machine, date: cal.date, summary: s, rows}, null, 2) + "\n"
      : format === "csv"
        ? validationCsv(rows)
        : `iosim validate: ${profile.name} against ${cal.machine}, ${cal.date}\n\n${validationTable(rows)}\n` +
          `${s.predictedWithin} of ${s.predictedCompared} predictions within their band (${s.within} of ${s.compared} with the calibrated rows).\n`;
  if (v.out) writeFileAtomic(v.out, text);
  else process.stdout.write(text);
  return 0;
}
