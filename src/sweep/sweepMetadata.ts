/**
 * A sweep's provenance: `<out>.meta.json` beside each table, saying what was
 * swept and by which iosim, the way {@link exportStudy}'s `.meta.json`
 * describes a chart's data.
 *
 * The table's rows already hold each run's parameters and seed; the sidecar
 * adds what no row can: the axes and seeds as asked, the whole host profile,
 * the event budget, the iosim version and git commit, and the SHA-256 of the
 * table it describes. Nothing time-dependent, so the same sweep writes the
 * same bytes, sharded and merged or not.
 */
import {createHash} from "node:crypto";
import {readFileSync} from "node:fs";
import {basename} from "node:path";
import {buildInfo} from "../export/buildInfo.js";
import {sweepFormat, type SweepPlan} from "./sweepPlan.js";

/** The contents of `<out>.meta.json`. */
export interface SweepMetadata {
  format: typeof sweepFormat;
  sweep: {
    /** The hash in every row's `sweepId`. */
    id: string;
    /** Runs in the whole sweep (every shard). */
    runs: number;
    scenario: string;
    /** Every parameter's value outside the axes. */
    base: SweepPlan["base"];
    /** The varied parameters with their values, the first changing slowest. */
    axes: SweepPlan["axes"];
    seeds: number[];
    profile: SweepPlan["profile"];
    maxEvents: number;
  };
  /** `i/n` for a shard's table, null for the whole sweep (run alone or merged). */
  shard: string | null;
  rows: number;
  columns: string[];
  iosim: {version: string; commit: string | null};
  /** The table described: name (beside this file), size and SHA-256. */
  file: {name: string; bytes: number; sha256: string};
}

/** Returns the sidecar's path for table *out*. */
export function metadataPath(out: string): string {
  return `${out}.meta.json`;
}

/** Returns the sidecar of table *out* holding *bytes* of *plan*'s sweep. */
export function sweepMetadata(plan: SweepPlan, shard: string | null, out: string, bytes: Uint8Array, rows: number, columns: string[]): SweepMetadata {
  const {version, commit} = buildInfo();
  const {id, runs, scenario, base, axes, seeds, profile, maxEvents} = plan;
  return {
    format: sweepFormat,
    sweep: {id, runs, scenario, base, axes, seeds, profile, maxEvents},
    shard,
    rows,
    columns,
    iosim: {version, commit},
    file: {name: basename(out), bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex")},
  };
}

/** Returns the text of *meta* as written (two-space JSON, a final newline). */
export function metadataText(meta: SweepMetadata): string {
  return JSON.stringify(meta, null, 2) + "\n";
}

/** Returns the sidecar of table *path*, or null when it has none or it is not one. */
export function readSweepMetadata(path: string): SweepMetadata | null {
  try {
    const meta = JSON.parse(readFileSync(metadataPath(path), "utf8")) as SweepMetadata;
    return meta.format === sweepFormat && typeof meta.sweep?.id === "string" ? meta : null;
  } catch {
    return null;
  }
}
