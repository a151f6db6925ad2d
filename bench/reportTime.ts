/**
 * How long `iosim report` takes with its defaults: every study, every
 * chart's data exported, `index.html` written, into a temporary folder that
 * is removed afterwards. Wall-clock time is fine here: it measures the tool,
 * not anything inside a simulation.
 *
 * ```ts
 * const seconds = await timeDefaultReport();
 * console.log(`default report: ${seconds.toFixed(1)} s (target < 30 s)`);
 * ```
 */
import {mkdtempSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {performance} from "node:perf_hooks";
import {writeReport} from "../src/report/report.js";

/** Options for {@link timeDefaultReport}. */
export interface ReportTimeOptions {
  /** Also draw the PNGs (`iosim report --png`); default false, as `npm start` runs it. */
  png?: boolean;
}

/**
 * Returns the wall-clock seconds one default `iosim report` takes in this
 * process (studies run, data exported, page written; no progress output).
 * The first call also pays for loading modules and warming the JIT, as a
 * user's `npm start` does.
 */
export async function timeDefaultReport(options: ReportTimeOptions = {}): Promise<number> {
  const out = mkdtempSync(join(tmpdir(), "iosim-bench-report-"));
  try {
    const started = performance.now();
    writeReport({out, png: options.png ?? false, progress: "none"});
    return (performance.now() - started) / 1000;
  } finally {
    rmSync(out, {recursive: true, force: true});
  }
}
