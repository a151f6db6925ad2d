import {test} from "node:test";
import assert from "node:assert/strict";
import {pageCacheStudy} from "../../src/studies/pageCache.js";
import {studies} from "../../src/studies/index.js";
import {InputError} from "../../src/errors.js";
import {writeFileSync} from "node:fs";
import {join} from "node:path";
import {loadProfile} from "../../src/host/profiles.js";
import {tempDir} from "../helpers/files.js";
import {assertStudyGolden} from "./golden.js";

const MiB = 1024 * 1024;

const small = {
  cacheSizesBytes: [8 * MiB, 16 * MiB],
  disks: ["ssd" as const],
  durationNs: 20e6,
  readFileBytes: 32 * MiB,
  randomReads: 256,
  thresholds: ["16k", "1m", "off"],
};

test("pageCacheStudy() with default parameters matches its golden output", () => {
  assertStudyGolden("pageCacheStudy", pageCacheStudy());
});

test("pageCacheStudy(small) returns tables, titled SVG charts and computed notes", () => {
  const r = pageCacheStudy(small);
  assert.equal(r.id, "page-cache");
  assert.deepEqual(r.tables.map((t) => t.id), ["hot-set", "pollution", "readahead", "threshold"]);
  assert.deepEqual(r.charts.map((c) => c.id), ["hit-ratio", "hot-latency", "readahead-throughput", "readahead-waste", "threshold-throughput", "threshold-cpu"]);
  for (const c of r.charts) {
    assert.match(c.html, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.ok(c.html.includes(`<title>`), c.id);
  }
  assert.deepEqual(r.charts.map((c) => c.data.numRows()), [4 * 2, 4 * 2, 2 * 3, 2 * 3, 3 * 2, 3]);
  assert.equal(r.tables[0].table.numRows(), 4 * 2);
  assert.equal(r.notes.length, 3 + 2 * small.disks.length + 3, "three on the hot set, two per disk, three on the threshold");
  // With the NVMe SSD serving 32 requests at once the disk is no longer the bottleneck: every threshold serves
  // within 5% of the 25 GbE NIC's line rate, so the threshold moves CPU and latency, not the bytes served.
  const totals = (r.tables.find((t) => t.id === "threshold")!.table.objects() as Array<{totalThroughputBytesPerSec: number}>).map((x) => x.totalThroughputBytesPerSec);
  const lineRate = loadProfile("server-2024").nic.bytesPerNs * 1e9;
  for (const total of totals) assert.ok(total > 0.95 * lineRate && total <= lineRate, `${total} B/s against the NIC's ${lineRate}`);
  assert.ok(r.notes.some((n) => n.includes("the NIC sets the pace")), r.notes.join("\n"));
});

test("pageCacheStudy(small) with a 100 GbE NIC (not the bottleneck): the best threshold lies between the hot files and the large files", () => {
  const file = join(tempDir("iosim-study-"), "nic100g.json");
  writeFileSync(file, JSON.stringify({extends: "server-2024", nic: {bytesPerNs: 12.5}}));
  const r = pageCacheStudy({...small, profile: file, cacheSizesBytes: [16 * MiB]});
  const threshold = r.tables.find((t) => t.id === "threshold")!.table.objects() as Array<{threshold: string; totalThroughputBytesPerSec: number}>;
  const best = threshold.reduce((a, b) => (b.totalThroughputBytesPerSec > a.totalThroughputBytesPerSec ? b : a));
  assert.equal(best.threshold, "1m", "the best threshold lies between the hot files and the large files");
  assert.ok(!r.notes.some((n) => n.includes("the NIC sets the pace")), r.notes.join("\n"));
});

test("pageCacheStudy is deterministic", () => {
  const a = pageCacheStudy({...small, thresholds: ["off"], cacheSizesBytes: [16 * MiB]});
  const b = pageCacheStudy({...small, thresholds: ["off"], cacheSizesBytes: [16 * MiB]});
  assert.deepEqual(a.notes, b.notes);
  assert.deepEqual(a.charts.map((c) => c.html), b.charts.map((c) => c.html));
});

test("pageCacheStudy({thresholds: ['4q']}) is an InputError naming directio", () => {
  assert.throws(() => pageCacheStudy({thresholds: ["4q"]}), (e: unknown) => e instanceof InputError && e.param === "directio");
});

test("studies lists page-cache for the report", () => {
  assert.ok(studies.some((s) => s.id === "page-cache"));
});

test("pageCacheStudy({profile: <8 KiB pages>}) states the random reader's prefetch in the profile's page size", async () => {
  const {writeFileSync} = await import("node:fs");
  const {join} = await import("node:path");
  const {formatSize} = await import("../../src/units.js");
  const file = join(tempDir("iosim-study-"), "pages8k.json");
  writeFileSync(file, JSON.stringify({extends: "server-2024", memory: {pageBytes: 8192}}));
  const r = pageCacheStudy({...small, profile: file, thresholds: ["off"], cacheSizesBytes: [16 * MiB]});
  const row = (r.tables.find((t) => t.id === "readahead")!.table.objects() as Array<Record<string, any>>).find((x) => x.pattern === "random" && x.readahead === "fixed window")!;
  assert.ok(r.notes.some((n) => n.includes(`prefetches ${formatSize(row.prefetchedPages * 8192)} of which`)), r.notes.join("\n"));
});
