/**
 * Joining the shards of a sweep into one table.
 *
 * Like collating the sections of a printed book: every page number must be
 * there once, all sections must come from the same edition, and the pages
 * are bound in page order. Here the page number is the `run` column, the
 * edition is `sweepId` (the hash of the sweep's definition) and the page
 * count is `sweepRuns`, all stored in every row by `iosim sweep`.
 */
import {createHash} from "node:crypto";
import {basename} from "node:path";
import {InputError} from "../errors.js";
import {writeFileAtomic} from "../export/writeFileAtomic.js";
import {metadataPath, metadataText, readSweepMetadata} from "./sweepMetadata.js";
import {encodeSweep, readSweepFile, sweepColumns, sweepFormatOf, type SweepRow} from "./sweepTable.js";

/** What {@link mergeSweeps} wrote. */
export interface MergeSummary {
  out: string;
  /** Files read. */
  files: number;
  rows: number;
  columns: number;
  failed: number;
  /** The sweep's id. */
  id: string;
}

/**
 * Reads the sweep files *inputs* (shards written by `iosim sweep --shard`,
 * in any of `.arrow`, `.csv`, `.json`), checks that they belong to one
 * sweep and hold each of its runs exactly once, and writes the rows sorted
 * by run to *out*, atomically: the same bytes as the unsharded sweep writes,
 * with a sidecar `<out>.meta.json` made from the shards' (when they have one).
 * Throws an {@link InputError} naming the files for a run missing or
 * repeated, or shards of different sweeps; nothing is written then.
 *
 * ```ts
 * mergeSweeps(["shard-0.arrow", "shard-1.arrow"], "all.arrow");
 * ```
 * @see runSweep
 */
export function mergeSweeps(inputs: readonly string[], out: string, options: {fsync?: boolean} = {}): MergeSummary {
  const format = sweepFormatOf("--out", out);
  if (inputs.length === 0) throw new InputError("merge input", "(none)", "one or more files written by iosim sweep (e.g. shard-*.arrow)");
  const files = inputs.map((path) => readSweepFile("merge input", path));
  const withRows = files.filter((f) => f.sweep !== null);
  if (withRows.length === 0) throw new InputError("merge input", inputs.join(" "), "files holding rows of a sweep");
  const first = withRows[0];
  const sweep = first.sweep!;
  for (const f of withRows) {
    if (f.sweep!.id !== sweep.id || f.sweep!.runs !== sweep.runs)
      throw new InputError("merge input", f.path, `a shard of the same sweep as ${first.path} (sweep ${sweep.id}, ${sweep.runs} runs), not of sweep ${f.sweep!.id} (${f.sweep!.runs} runs)`);
  }
  const byRun = new Map<number, {row: SweepRow; path: string}>();
  const repeated: string[] = [];
  for (const f of files) {
    for (const row of f.rows) {
      const run = row.run as number;
      if (run < 0 || run >= sweep.runs) throw new InputError("merge input", f.path, `run indices 0 to ${sweep.runs - 1} (found run ${run})`);
      const seen = byRun.get(run);
      if (seen) repeated.push(`run ${run} in ${seen.path} and ${f.path}`);
      else byRun.set(run, {row, path: f.path});
    }
  }
  if (repeated.length > 0)
    throw new InputError("merge input", inputs.join(" "), `each run once; ${repeated.length} repeated: ${repeated.slice(0, 3).join("; ")}${repeated.length > 3 ? "; …" : ""}`);
  if (byRun.size !== sweep.runs) {
    const missing: number[] = [];
    for (let i = 0; i < sweep.runs && missing.length < 10; i++) if (!byRun.has(i)) missing.push(i);
    const count = sweep.runs - byRun.size;
    throw new InputError(
      "merge input",
      inputs.join(" "),
      `every run of sweep ${sweep.id} (${sweep.runs} runs); ${count} missing: run ${missing.join(", ")}${count > missing.length ? ", …" : ""} (a shard not run or not listed?)`,
    );
  }
  const rows: SweepRow[] = [];
  for (let i = 0; i < sweep.runs; i++) rows.push(byRun.get(i)!.row);
  const bytes = encodeSweep(rows, format, sweep);
  const fsync = options.fsync ?? true;
  // The sidecar, from the shards' own: the sweep as defined there, now whole (shard null).
  const shardMeta = inputs.map(readSweepMetadata).find((m) => m !== null && m.sweep.id === sweep.id);
  if (shardMeta) {
    const meta = {...shardMeta, shard: null, rows: rows.length, columns: sweepColumns(rows), file: {name: basename(out), bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex")}};
    writeFileAtomic(metadataPath(out), metadataText(meta), {fsync});
  }
  writeFileAtomic(out, bytes, {fsync});
  return {out, files: files.length, rows: rows.length, columns: sweepColumns(rows).length, failed: rows.filter((r) => r.error !== undefined && r.error !== null).length, id: sweep.id};
}
