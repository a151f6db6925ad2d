/**
 * Your own study: how fast does a sequential reader go as the readahead
 * window grows, on the SSD and the HDD? A study returns tables, charts and
 * notes; `iosim report --study` turns it into the same self-contained HTML
 * page, with every chart's data as CSV, JSON and Arrow, as the built-in
 * studies.
 *
 *   iosim report --study examples/readahead-study.ts --out reports/readahead
 *
 * Its parameters are declared once, as a zod schema (the way the built-in
 * studies declare theirs): each one's check, default and meaning. The
 * defaults, the type and the validation (an unknown key or a bad size is an
 * error naming it) all come from that schema.
 */
import * as aq from "arquero";
import {loadProfile} from "iosim/host";
import {fields, parseInput, z} from "iosim/params";
import {runPageCache} from "iosim/scenarios";
import {sizeLineChart} from "iosim/charts";
import type {StudyResult} from "iosim/studies";
import {formatSize} from "iosim/units";

/** The study's parameters: check, default and meaning of each. Sizes take bytes or a size text ("16MiB"). */
export const readaheadParamsSchema = z.strictObject({
  profile: z.string().default("server-2024").describe("Host profile (shipped name or JSON file)."),
  fileBytes: fields.size().default(16 * 1024 * 1024).describe("Size of the file read, bytes."),
  readBytes: fields.size().default(16 * 1024).describe("Bytes per read(2)."),
  windowsBytes: fields.sizeList().default([4096, 16384, 65536, 131072, 524288, 2097152]).describe("Readahead windows swept, bytes."),
  seed: fields.seed().default(0).describe("Seed of the simulation."),
});

export type ReadaheadParams = z.output<typeof readaheadParamsSchema>;

export const readaheadDefaults: ReadaheadParams = readaheadParamsSchema.parse({});

export default function readaheadStudy(params: z.input<typeof readaheadParamsSchema> = {}): StudyResult {
  const p = parseInput(readaheadParamsSchema, params, {keyParam: "key for study readahead-window"});
  const profile = loadProfile(p.profile);
  const rows: Array<{profile: string; disk: string; readaheadBytes: number; throughputBytesPerSec: number; diskReads: number}> = [];
  for (const disk of ["ssd", "hdd"] as const) {
    for (const readaheadBytes of p.windowsBytes) {
      const {result} = runPageCache({profile, disk, pattern: "sequential", fileBytes: p.fileBytes, readBytes: p.readBytes, readaheadBytes, seed: p.seed});
      rows.push({profile: profile.name, disk, readaheadBytes, throughputBytesPerSec: result.throughputBytesPerSec, diskReads: result.diskReads});
    }
  }
  const chartRows = rows.map((r) => ({profile: r.profile, series: r.disk, sizeBytes: r.readaheadBytes, value: r.throughputBytesPerSec / 1e6}));
  const html = sizeLineChart(chartRows, {
    title: "Sequential read throughput against the readahead window",
    subtitle: `${formatSize(p.fileBytes)} file read ${formatSize(p.readBytes)} at a time, ${profile.name}`,
    yLabel: "Throughput (MB/s)",
    xLabel: "Readahead window (bytes, log scale)",
    seriesLabel: "Disk",
    colors: {ssd: "#4269d0", hdd: "#efb118"},
  });
  // Notes come from the rows: the window at which each disk reaches its best throughput.
  const notes = (["ssd", "hdd"] as const).map((disk) => {
    const mine = rows.filter((r) => r.disk === disk);
    const best = mine.reduce((a, b) => (b.throughputBytesPerSec > a.throughputBytesPerSec ? b : a));
    const first = mine[0];
    return `On the ${disk}, the best window in the sweep is ${formatSize(best.readaheadBytes)}: ${(best.throughputBytesPerSec / 1e6).toFixed(0)} MB/s in ${best.diskReads} disk reads, against ${(first.throughputBytesPerSec / 1e6).toFixed(0)} MB/s in ${first.diskReads} at ${formatSize(first.readaheadBytes)}.`;
  });
  return {
    id: "readahead-window",
    title: "Readahead window sweep",
    question: "How much does a larger readahead window speed up a sequential reader, on an SSD and an HDD?",
    params: {...p},
    tables: [{id: "results", title: "Every run", table: aq.from(rows)}],
    charts: [{id: "throughput", title: "Throughput against the window", html, data: aq.from(chartRows)}],
    notes,
  };
}
