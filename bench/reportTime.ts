/**
 * How long the default `iosim report` takes, as a user waits for it: the
 * CLI run as a whole process (module loading included, the build not; with
 * the young generation its first line gives it, see heapFlags.ts), into
 * a temporary folder removed afterwards. The default runs the studies on
 * worker threads, one per core, as `npm start` does; `jobs` times another
 * count (1: one after another). Wall-clock time is fine here: it
 * measures the tool, not anything inside a simulation.
 *
 * ```ts
 * const seconds = timeDefaultReport();
 * console.log(`default report: ${seconds.toFixed(1)} s (target < 30 s)`);
 * ```
 */
import {spawnSync} from "node:child_process";
import {mkdtempSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {performance} from "node:perf_hooks";
import {fileURLToPath} from "node:url";
import {SEMI_SPACE_MB} from "../src/heapFlags.js";

/** Options for {@link timeDefaultReport}. */
export interface ReportTimeOptions {
  /** Also draw the PNGs (`iosim report --png`); default false, as `npm start` runs it. */
  png?: boolean;
  /** `iosim report --jobs N`; default none, the CLI's default (every core). */
  jobs?: number;
}

/** The compiled CLI, beside this file once built (dist/bench → dist/src/cli). */
const cli = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));

/** Returns the wall-clock seconds of one `iosim report` with default parameters; throws if it fails. */
export function timeDefaultReport(options: ReportTimeOptions = {}): number {
  const out = mkdtempSync(join(tmpdir(), "iosim-report-bench-"));
  try {
    const start = performance.now();
    const r = spawnSync(process.execPath, [`--max-semi-space-size=${SEMI_SPACE_MB}`, cli, "report", "--out", out, ...(options.png ? ["--png"] : []), ...(options.jobs === undefined ? [] : ["--jobs", String(options.jobs)])], {encoding: "utf8"});
    const seconds = (performance.now() - start) / 1000;
    if (r.status !== 0) throw new Error(`iosim report failed (status ${r.status}): ${r.stderr.trim()}`);
    return seconds;
  } finally {
    rmSync(out, {recursive: true, force: true});
  }
}
