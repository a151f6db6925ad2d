/**
 * The `iosim calibrate` sub-command: measures this machine with the C
 * probes, writes a profile that extends a shipped one, and every
 * measurement beside it.
 */
import {basename} from "node:path";
import * as z from "zod";
import {optionsHelp, optionValue, parseCommandLine, type OptionSpecs} from "./commandLine.js";
import {sharedOptions} from "./options.js";
import type {ProgressStream} from "./runProgress.js";
import {InputError} from "../errors.js";
import {defaultProfileName, profileNames} from "../host/profiles.js";
import {busyWarning, calibrate, congestionWarning, type Calibration, type Measurement} from "../calibrate/calibrate.js";
import {calibratedProfile} from "../calibrate/calibratedProfile.js";
import {fileSystemName} from "../calibrate/fileRead.js";
import {significant} from "../calibrate/spread.js";
import {writeFileAtomic} from "../export/writeFileAtomic.js";

/** The options `iosim calibrate` takes. */
const calibrateOptions = {
  out: {type: "string", value: "FILE", description: `the profile written (default ${"calibrated-profile.json"}); the measurements go to FILE.measurements.json`},
  extends: {type: "string", value: "PROFILE", description: `the shipped profile it starts from (default ${defaultProfileName})`},
  quick: {type: "boolean", description: "few, short runs: a few seconds instead of about a minute and a half"},
  help: sharedOptions.help,
} satisfies OptionSpecs;

/** Where the profile goes without `--out`. */
export const defaultCalibrationFile = "calibrated-profile.json";

/** Returns the measurements file beside profile *out*: `mine.json` → `mine.measurements.json`. */
export function measurementsPath(out: string): string {
  return out.endsWith(".json") ? `${out.slice(0, -5)}.measurements.json` : `${out}.measurements.json`;
}

/**
 * Returns a one-line progress display of the calibration on a terminal's
 * stderr: a bar of the steps done, the step and what it measures, and the
 * seconds so far, redrawn in place (every half second while a probe runs)
 * and erased at the end. Silent when *stream* is not a TTY, so logs stay
 * clean (the conventions of runProgress.ts).
 *
 * ```ts
 * const progress = new CalibrateProgress(process.stderr);
 * progress.update(2, 9, "null system call");
 * progress.end();
 * ```
 */
export class CalibrateProgress {
  /** Wall clock at the start, ms. */
  private readonly startMs = performance.now();
  /** The current step's text. */
  private step = "";
  /** Redraws the seconds while a long probe runs. */
  private timer: NodeJS.Timeout | undefined;
  /** Whether a line is on the terminal. */
  private shown = false;

  constructor(
    private readonly stream: ProgressStream,
    /** Redraw the seconds while a step runs; tests turn it off. */
    private readonly tick = true,
  ) {}

  /** Shows that *done* of *total* steps are done and step *done* + 1, *label*, is running. */
  update(done: number, total: number, label: string): void {
    if (this.stream.isTTY !== true) return;
    const width = 20;
    const filled = Math.round((done / total) * width);
    this.step = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done + 1}/${total} ${label}`;
    this.draw();
    if (this.tick) this.timer ??= setInterval(() => this.draw(), 500).unref();
  }

  private draw(): void {
    const s = Math.round((performance.now() - this.startMs) / 1000);
    this.stream.write(`\riosim calibrate ${this.step}… ${s} s\x1b[K`);
    this.shown = true;
  }

  /** Erases the line. */
  end(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.shown) this.stream.write("\r\x1b[K");
    this.shown = false;
  }
}

/** Returns the summary table of *measured*: probe, case, median, spread and unit, aligned. */
export function summaryTable(measured: Measurement[]): string {
  const rows = measured.map((m) => [
    m.probe,
    m.case,
    m.unsupported ? "—" : String(significant(m.median ?? NaN)),
    m.unsupported ? m.unsupported : `${significant(m.low ?? NaN)} – ${significant(m.high ?? NaN)}`,
    m.unit,
  ]);
  const head = ["probe", "case", "median", "runs low – high", "unit"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (i === 3 && r[2] === "—" ? 0 : r[i].length))));
  const line = (r: string[]) => r.map((c, i) => (i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(head), ...rows.map(line)].join("\n") + "\n";
}

/** Returns the measurements file's content. */
function measurementsJson(cal: Calibration, base: string, profileFile: string, overrides: Array<{path: string; value: unknown}>): string {
  const magic = String(cal.info.fileSystemMagic ?? "");
  return (
    JSON.stringify(
      {
        format: "iosim-calibration/1",
        profile: profileFile,
        extends: base,
        date: cal.date,
        machine: cal.machine,
        settings: cal.settings,
        info: {...cal.info, ...(magic ? {fileSystem: fileSystemName(magic)} : {})},
        spread: "median is the median of the run medians; low and high are the lowest and highest run medians; runs lists them",
        overrides: overrides.map(({path, value}) => ({path, value})),
        measured: cal.measured,
      },
      null,
      2,
    ) + "\n"
  );
}

/**
 * Runs `iosim calibrate [--out FILE] [--extends PROFILE] [--quick]`: the
 * probes (about a minute and a half; a few seconds with --quick), then the profile to
 * FILE (default `calibrated-profile.json`) and every measurement to
 * `FILE.measurements.json`, both written atomically; progress on a
 * terminal's stderr, the summary on stdout. Returns the exit status.
 */
export async function runCalibrateCommand(argv: string[]): Promise<number> {
  const line = parseCommandLine(argv, calibrateOptions, "calibrate");
  const usage = "options: --out FILE, --extends PROFILE, --quick";
  if (line.values.help) {
    process.stdout.write(`Usage:\n  iosim calibrate [--out FILE] [--extends PROFILE] [--quick]\n\nMeasure this Linux machine with small C probes and write a profile.\n\nOptions:\n${optionsHelp(calibrateOptions)}`);
    return 0;
  }
  if (line.positional.length > 0) throw new InputError("argument", line.positional[0], `no arguments after calibrate (${usage})`);
  const base = optionValue(line, "extends", z.enum(profileNames() as [string, ...string[]], {error: `one of ${profileNames().join(", ")}`}).default(defaultProfileName));
  const out = (line.values.out as string | undefined) ?? defaultCalibrationFile;
  if (out === "" || out.endsWith("/")) throw new InputError("--out", out, "a file name");
  const sidecar = measurementsPath(out);
  const progress = new CalibrateProgress(process.stderr);
  let cal: Calibration;
  try {
    cal = await calibrate({quick: line.values.quick === true, onProgress: (d, t, l) => progress.update(d, t, l)});
  } finally {
    progress.end();
  }
  const {profile, overrides, notFitted} = calibratedProfile(cal, base, basename(sidecar));
  writeFileAtomic(sidecar, measurementsJson(cal, base, basename(out), overrides));
  writeFileAtomic(out, JSON.stringify(profile, null, 2) + "\n");
  const warnings = [busyWarning(cal.info), congestionWarning(cal.info)].filter((w): w is string => w !== null);
  process.stdout.write(
    `iosim calibrate: ${cal.machine}, ${cal.date}${cal.settings.quick ? " (--quick: few, short runs)" : ""}\n` +
      warnings.map((w) => `Warning: ${w}.\n`).join("") +
      "\n" +
      summaryTable(cal.measured) +
      `\nProfile written: ${out} (extends ${base}; sets ${overrides.map((o) => `${o.path}=${JSON.stringify(o.value)}`).join(", ")})\n` +
      notFitted.map((why) => `Not fitted (${base}'s numbers kept): ${why}\n`).join("") +
      `Measurements: ${sidecar}\n` +
      `Use it: iosim run transfer --profile ${out}\n`,
  );
  return 0;
}
