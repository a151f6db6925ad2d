/**
 * Exports: the data behind every chart, for use outside iosim.
 *
 * A chart is a picture of a table; the export hands over the table itself,
 * the way a paper's supplementary material ships the numbers behind each
 * figure. Each chart becomes four files in one directory:
 *
 * ```
 * <chart>.csv        header line, one row per line (NaN and Infinity as text)
 * <chart>.json       an array of row objects (NaN and Infinity become null)
 * <chart>.arrow      Apache Arrow IPC file format (pyarrow, pandas.read_feather, DuckDB, Polars)
 * <chart>.meta.json  study, chart, columns with types, parameters, seed, profiles, iosim version, commit
 * ```
 *
 * Nothing time-dependent is written, so the same study always exports the
 * same bytes. Every file is written atomically ({@link writeFileAtomic}).
 */
import {createHash} from "node:crypto";
import {join} from "node:path";
import {toArrow, toArrowIPC, toCSV, toJSON} from "arquero";
import type {ColumnTable} from "arquero";
import {InputError} from "../errors.js";
import type {StudyChart, StudyResult} from "../studies/study.js";
import {buildInfo} from "./buildInfo.js";
import {writeFileAtomic} from "./writeFileAtomic.js";

/** The version of the `.meta.json` layout; bumped when a field changes meaning. */
export const metadataFormat = "iosim-chart-data/1";

/** One column of an exported table, as described in `.meta.json`. */
export interface ColumnInfo {
  name: string;
  /**
   * The JavaScript type of its non-null values: `integer`, `number`,
   * `string`, `boolean`, `date`, `bigint`, `null` (no values) or `mixed`.
   */
  type: string;
  /** The Arrow type in the `.arrow` file ("float64", "int32", "dictionary<int32, utf8>", ...). */
  arrowType: string;
  /** Whether any value is null or undefined. */
  nullable: boolean;
  /** How many values are NaN or ±Infinity: written as text in CSV, null in JSON. */
  nonFinite: number;
}

/** One data file of an export, as listed in `.meta.json`. */
export interface ExportedFile {
  /** Path as written (joined from the export directory). */
  path: string;
  bytes: number;
  /** SHA-256 of the contents, hex. */
  sha256: string;
}

/** The contents of `<chart>.meta.json`. */
export interface ChartMetadata {
  format: typeof metadataFormat;
  study: {id: string; title: string; question: string};
  chart: {id: string; title: string};
  rows: number;
  columns: ColumnInfo[];
  /** The study's parameters as it ran (JSON; BigInt as text). */
  parameters: Record<string, unknown>;
  /** `parameters.seed`, or null when the study has none. */
  seed: number | null;
  /** Host profile names found in `parameters.profile` / `parameters.profiles`. */
  profiles: string[];
  iosim: {version: string; commit: string | null};
  /** The data files, by format: name (relative to the .meta.json), size and SHA-256. */
  files: Record<"csv" | "json" | "arrow", {name: string; bytes: number; sha256: string}>;
}

/** Options for {@link exportStudy} and {@link exportChart}. */
export interface ExportOptions {
  /** Flush each file to disk before renaming it into place; default true. */
  fsync?: boolean;
}

/** A file-safe id: letters, digits, `.`, `_`, `-`, not starting with a dot. */
const safeId = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Writes the data of every chart of *result* into *dir* as
 * `<chart>.csv`, `<chart>.json`, `<chart>.arrow` and `<chart>.meta.json`;
 * returns the files written, in order. All files are serialised before the
 * first is written, so a bad table writes nothing; each write is atomic, so
 * a failure part-way leaves the files already written whole and no
 * temporary files behind.
 *
 * ```ts
 * exportStudy(zeroCopy.run({seed: 0}), "data/exports/02-zero-copy");
 * ```
 * @see exportChart @see writeFileAtomic
 */
export function exportStudy(result: StudyResult, dir: string, options: ExportOptions = {}): ExportedFile[] {
  checkId("study id", result.id);
  const seen = new Set<string>();
  for (const chart of result.charts) {
    checkId(`chart id in study ${result.id}`, chart.id);
    if (seen.has(chart.id)) throw new InputError(`chart id in study ${result.id}`, chart.id, "an id used by one chart only");
    seen.add(chart.id);
  }
  const prepared = result.charts.map((chart) => prepareChart(result, chart));
  const written: ExportedFile[] = [];
  for (const files of prepared) {
    for (const [name, data] of files) {
      const path = join(dir, name);
      writeFileAtomic(path, data, options);
      written.push({path, bytes: data.length, sha256: sha256(data)});
    }
  }
  return written;
}

/**
 * Writes the data of one *chart* of *result* into *dir* (the four files of
 * {@link exportStudy}); returns the files written.
 */
export function exportChart(result: StudyResult, chart: StudyChart, dir: string, options: ExportOptions = {}): ExportedFile[] {
  checkId("study id", result.id);
  checkId(`chart id in study ${result.id}`, chart.id);
  return prepareChart(result, chart).map(([name, data]) => {
    const path = join(dir, name);
    writeFileAtomic(path, data, options);
    return {path, bytes: data.length, sha256: sha256(data)};
  });
}

/**
 * Returns the `.meta.json` contents for *chart* of *result*, given the
 * bytes of its data files.
 */
export function chartMetadata(result: StudyResult, chart: StudyChart, files: Record<"csv" | "json" | "arrow", Uint8Array>): ChartMetadata {
  const info = buildInfo();
  const parameters = JSON.parse(toJsonText(result.params)) as Record<string, unknown>;
  const seed = typeof result.params.seed === "number" ? result.params.seed : null;
  const fileList = {} as ChartMetadata["files"];
  for (const kind of ["csv", "json", "arrow"] as const) {
    fileList[kind] = {name: `${chart.id}.${kind}`, bytes: files[kind].length, sha256: sha256(files[kind])};
  }
  return {
    format: metadataFormat,
    study: {id: result.id, title: result.title, question: result.question},
    chart: {id: chart.id, title: chart.title},
    rows: chart.data.numRows(),
    columns: columnInfo(chart.data),
    parameters,
    seed,
    profiles: profileNames(result.params),
    iosim: {version: info.version, commit: info.commit},
    files: fileList,
  };
}

/** Returns a description of every column of *table*: name, JavaScript and Arrow types, nulls, non-finite numbers. */
export function columnInfo(table: ColumnTable): ColumnInfo[] {
  const arrowFields = toArrow(table).schema.fields;
  return table.columnNames().map((name, i) => {
    const column = table.column(name)!;
    const types = new Set<string>();
    let nullable = false;
    let nonFinite = 0;
    for (let r = 0; r < table.numRows(); r++) {
      const v: unknown = column.at(r);
      if (v === null || v === undefined) {
        nullable = true;
        continue;
      }
      if (typeof v === "number") {
        if (!Number.isFinite(v)) nonFinite++;
        types.add(Number.isInteger(v) ? "integer" : "number");
      } else if (v instanceof Date) types.add("date");
      else types.add(typeof v);
    }
    // Integers mixed with fractions are numbers; anything else mixed is mixed.
    if (types.size === 2 && types.has("integer") && types.has("number")) types.delete("integer");
    const type = types.size === 0 ? "null" : types.size === 1 ? [...types][0] : "mixed";
    return {name, type, arrowType: arrowTypeName(arrowFields[i]?.type), nullable, nonFinite};
  });
}

/** Returns the names of the host profiles in *params* (`profile`, `profiles`: names or objects with a name). */
export function profileNames(params: Record<string, unknown>): string[] {
  const names: string[] = [];
  const add = (v: unknown): void => {
    if (typeof v === "string") names.push(v);
    else if (Array.isArray(v)) v.forEach(add);
    else if (v && typeof v === "object" && typeof (v as {name?: unknown}).name === "string") names.push((v as {name: string}).name);
  };
  add(params.profile);
  add(params.profiles);
  return [...new Set(names)];
}

/** Serialises one chart: `[file name, bytes]` for CSV, JSON, Arrow, then the metadata. */
function prepareChart(result: StudyResult, chart: StudyChart): Array<[string, Uint8Array]> {
  const where = `chart ${result.id}/${chart.id}`;
  for (const name of chart.data.columnNames()) {
    const column = chart.data.column(name)!;
    for (let r = 0; r < chart.data.numRows(); r++) {
      if (typeof column.at(r) === "bigint") throw new InputError(`${where} column ${name}`, "a BigInt value", "numbers (JSON cannot hold BigInt)");
    }
  }
  const files = {
    csv: Buffer.from(toCSV(chart.data), "utf8"),
    json: Buffer.from(toJSON(chart.data) + "\n", "utf8"),
    arrow: toArrowIPC(chart.data, {format: "file"}),
  };
  const meta = Buffer.from(JSON.stringify(chartMetadata(result, chart, files), null, 2) + "\n", "utf8");
  return [
    [`${chart.id}.csv`, files.csv],
    [`${chart.id}.json`, files.json],
    [`${chart.id}.arrow`, files.arrow],
    [`${chart.id}.meta.json`, meta],
  ];
}

function checkId(param: string, id: string): void {
  if (typeof id !== "string" || !safeId.test(id)) throw new InputError(param, String(id), "a file-safe id (letters, digits, '.', '_', '-'; not starting with '.')");
}

/** JSON text of *value*; BigInt becomes text, functions and undefined are dropped. */
function toJsonText(value: unknown): string {
  return JSON.stringify(value ?? {}, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Arrow type ids (Arrow's Type enum), for readable names in the metadata. */
function arrowTypeName(type: unknown): string {
  const t = type as {typeId?: number; bitWidth?: number; signed?: boolean; precision?: number; unit?: number; dictionary?: unknown; indices?: unknown} | undefined;
  if (!t || typeof t.typeId !== "number") return "unknown";
  switch (t.typeId) {
    case -1:
      return `dictionary<${arrowTypeName(t.indices)}, ${arrowTypeName(t.dictionary)}>`;
    case 1:
      return "null";
    case 2:
      return `${t.signed ? "int" : "uint"}${t.bitWidth}`;
    case 3:
      return ["float16", "float32", "float64"][t.precision ?? 2] ?? "float";
    case 4:
      return "binary";
    case 5:
      return "utf8";
    case 6:
      return "bool";
    case 7:
      return "decimal";
    case 8:
      return "date";
    case 9:
      return "time";
    case 10:
      return "timestamp";
    case 12:
      return "list";
    case 13:
      return "struct";
    case 20:
      return "large_utf8";
    default:
      return `arrow-type-${t.typeId}`;
  }
}
