/**
 * A sweep's rows and the files that hold them.
 *
 * Like a lab notebook ruled into columns: one line per run, its conditions
 * on the left (run index, parameters, seed), its measurements on the right,
 * and, when the run failed, what went wrong in the last column, so a failed
 * run is a line with a remark, never a torn-out page.
 *
 * Columns, in order:
 *
 * - `run`: the run's index in the cross product (0-based);
 * - every parameter of the scenario, then `seed`;
 * - every output of the run, nested objects flattened with a dot
 *   (`cpuShare.irq`, keys of one object in alphabetical order); arrays are
 *   JSON-encoded as text. An output equal to the parameter of the same name
 *   is not repeated; one that differs (a scenario reporting `directio=off`)
 *   is kept as `result.<name>`. Columns appear in the order runs first report
 *   them; a run that does not report one (`cpuShare.pio-copy` outside PIO)
 *   has null there;
 * - `error`: null, or the message of the run's failure (its other outputs null);
 * - `sweepRuns`, `sweepId`: the whole sweep's run count and the hash of its
 *   definition, the same in every row, so `iosim merge` can check shards.
 *
 * Written as Arrow IPC (file format), CSV (NaN and Infinity as text) or JSON
 * (an array of row objects; NaN and Infinity become null), chosen by the
 * file's extension.
 */
import {readFileSync} from "node:fs";
import {extname} from "node:path";
import {fromArrow, fromCSV, fromJSON, table, toArrowIPC, toCSV, toJSON} from "arquero";
import {InputError} from "../errors.js";
import type {ParamValues} from "../scenarios/scenario.js";

/** One row of a sweep: column → value. */
export type SweepRow = Record<string, unknown>;

/** The file formats a sweep writes and merges, by extension. */
export const sweepFormats = ["arrow", "csv", "json"] as const;
export type SweepFormat = (typeof sweepFormats)[number];

/** The columns every row ends with, in this order. */
export const trailingColumns = ["error", "sweepRuns", "sweepId"] as const;

/** Returns the format of *path* from its extension, or throws an {@link InputError} naming *param*. */
export function sweepFormatOf(param: string, path: string): SweepFormat {
  const ext = extname(path).slice(1).toLowerCase();
  if ((sweepFormats as readonly string[]).includes(ext)) return ext as SweepFormat;
  if (ext === "feather" || ext === "ipc") return "arrow";
  throw new InputError(param, path, "a file name ending in .arrow, .csv or .json");
}

/**
 * Returns the row of run *run* with *values* and *seed*: its *result*
 * flattened, or its *error* message.
 */
export function sweepRow(run: number, values: ParamValues, seed: number, outcome: {result: Record<string, unknown>} | {error: string}): SweepRow {
  const row: SweepRow = {run, ...values, seed};
  if ("error" in outcome) {
    row.error = outcome.error;
    return row;
  }
  for (const [key, value] of flatten(outcome.result)) {
    if (key in row) {
      if (sameValue(row[key], value)) continue;
      row[`result.${key}`] = value;
    } else row[key] = value;
  }
  row.error = null;
  return row;
}

/** Returns [column, value] pairs of *result*, nested objects joined with dots (keys sorted), arrays as JSON text. */
export function flatten(result: Record<string, unknown>, prefix = ""): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  const keys = prefix === "" ? Object.keys(result) : Object.keys(result).sort();
  for (const key of keys) {
    const value = result[key];
    const name = prefix + key;
    if (value === undefined || typeof value === "function") continue;
    if (Array.isArray(value)) out.push([name, JSON.stringify(value)]);
    else if (value !== null && typeof value === "object") out.push(...flatten(value as Record<string, unknown>, `${name}.`));
    else if (typeof value === "bigint") out.push([name, Number(value)]);
    else out.push([name, value]);
  }
  return out;
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === "number" && typeof b === "number" && Number.isNaN(a) && Number.isNaN(b));
}

/**
 * Returns the column names of *rows* (already sorted by run): every key in
 * the order the rows first use it, then {@link trailingColumns}.
 */
export function sweepColumns(rows: readonly SweepRow[]): string[] {
  // `run` even with no rows, so an empty shard's table is still recognisably a sweep's.
  const seen = new Set<string>(["run"]);
  const trailing = new Set<string>(trailingColumns);
  for (const row of rows) for (const key of Object.keys(row)) if (!trailing.has(key)) seen.add(key);
  return [...seen, ...trailingColumns];
}

/**
 * Returns the bytes of *rows* (sorted by run) in *format*, with
 * `sweepRuns` = *runs* and `sweepId` = *id* in every row. The same rows
 * always give the same bytes.
 */
export function encodeSweep(rows: readonly SweepRow[], format: SweepFormat, sweep: {runs: number; id: string}): Uint8Array {
  const columns: Record<string, unknown[]> = {};
  for (const name of sweepColumns(rows)) columns[name] = [];
  for (const row of rows) {
    for (const name in columns) columns[name].push(name === "sweepRuns" ? sweep.runs : name === "sweepId" ? sweep.id : (row[name] ?? null));
  }
  const dt = table(columns);
  switch (format) {
    case "arrow":
      return toArrowIPC(dt, {format: "file"});
    case "csv":
      return Buffer.from(toCSV(dt), "utf8");
    case "json":
      return Buffer.from(toJSON(dt) + "\n", "utf8");
  }
}

/** The rows of a sweep file and the sweep they belong to. */
export interface SweepFile {
  path: string;
  rows: SweepRow[];
  /** `sweepRuns` and `sweepId` of its rows (null when the file has no rows). */
  sweep: {runs: number; id: string} | null;
}

/**
 * Returns the rows of sweep file *path* (any of {@link sweepFormats}), each
 * with its null cells left out and `sweepRuns` / `sweepId` moved to
 * {@link SweepFile.sweep}. Throws an {@link InputError} naming *param* for a
 * file that is missing, unreadable, not written by `iosim sweep`, or whose
 * rows disagree on their sweep.
 */
export function readSweepFile(param: string, path: string): SweepFile {
  const format = sweepFormatOf(param, path);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new InputError(param, path, `a readable file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let objects: SweepRow[];
  try {
    const dt =
      format === "arrow"
        ? fromArrow(bytes)
        : format === "csv"
          ? // Text columns stay text (a sweep id such as 12e4… is not a number).
            fromCSV(bytes.toString("utf8"), {parse: {sweepId: String, error: String}})
          : fromJSON(bytes.toString("utf8"));
    objects = dt.objects() as SweepRow[];
    for (const name of ["run", "sweepRuns", "sweepId"]) if (!dt.columnNames().includes(name)) throw new Error(`no ${name} column`);
  } catch (err) {
    throw new InputError(param, path, `a file written by iosim sweep (${err instanceof Error ? err.message : String(err)})`);
  }
  let sweep: SweepFile["sweep"] = null;
  const rows = objects.map((o) => {
    const runs = Number(o.sweepRuns);
    const id = String(o.sweepId);
    if (sweep === null) sweep = {runs, id};
    else if (sweep.runs !== runs || sweep.id !== id) throw new InputError(param, path, `rows of one sweep (found sweep ${sweep.id} and ${id})`);
    const row: SweepRow = {};
    for (const [k, v] of Object.entries(o)) {
      if (k === "sweepRuns" || k === "sweepId" || v === null || v === undefined) continue;
      row[k] = v;
    }
    if (!Number.isSafeInteger(row.run)) throw new InputError(param, path, `a whole run index in every row (found ${String(o.run)})`);
    return row;
  });
  return {path, rows, sweep};
}
