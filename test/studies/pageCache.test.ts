import {test} from "node:test";
import assert from "node:assert/strict";
import {pageCacheStudy} from "../../src/studies/pageCache.js";
import {studies} from "../../src/studies/index.js";
import {InputError} from "../../src/errors.js";
import {writeFileSync} from "node:fs";
import {join} from "node:path";
import {headerBytes, linuxDataPathDefaults, mssOf} from "../../src/net/dataPath.js";
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
  assert.equal(r.notes.length, 4 + 2 * small.disks.length + 3, "four on the hot set, two per disk, three on the threshold");
  // With the NVMe SSD serving 32 requests at once the disk is no longer the bottleneck: every threshold serves
  // within 5% of the 25 GbE NIC's line rate, so the threshold moves CPU and latency, not the bytes served.
  const totals = (r.tables.find((t) => t.id === "threshold")!.table.objects() as Array<{totalThroughputBytesPerSec: number}>).map((x) => x.totalThroughputBytesPerSec);
  // The wire carries each MSS of payload with its TCP, IP and Ethernet headers: the payload's share of the line rate is the bound.
  const lineRate = loadProfile("server-2024").nic.bytesPerNs * 1e9 * (mssOf(linuxDataPathDefaults) / (mssOf(linuxDataPathDefaults) + headerBytes));
  for (const total of totals) assert.ok(total > 0.95 * lineRate && total <= lineRate, `${total} B/s against the NIC's payload rate ${lineRate}`);
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

/** The smallest study that still runs every part: one cache size, one disk, a short readahead file. */
const tiny = {...small, cacheSizesBytes: [16 * MiB], readFileBytes: 8 * MiB, randomReads: 64};
const note = (notes: string[], start: string) => notes.find((n) => n.startsWith(start)) ?? assert.fail(`no note starts with ${start}:\n${notes.join("\n")}`);

test("pageCacheStudy() notes follow the data: at a 48 MiB cache the two lists no longer resist the pollution", () => {
  const at16 = note(pageCacheStudy({...tiny, thresholds: ["off"]}).notes, "Linux's two lists");
  assert.match(at16, /with plain LRU: the two lists resist only part of the pollution: they win back \d+\.\d points of the \d+\.\d points plain LRU loses to streaming \(\d+\.\d%\)\.$/);
  // A cache three times as large: streaming costs LRU little, and the two lists win none of it back.
  const at48 = note(pageCacheStudy({...tiny, thresholds: ["off"], cacheSizesBytes: [48 * MiB], pollutionCacheBytes: 48 * MiB}).notes, "Linux's two lists");
  assert.match(at48, /with plain LRU: the two lists do not resist the pollution: they win back 0\.0 points of the \d\.\d points plain LRU loses to streaming \(0\.0%\)\.$/);
});

test("pageCacheStudy() notes follow the data: whether hot files go direct at the first threshold depends on their sizes", () => {
  const sweep = (r: ReturnType<typeof pageCacheStudy>) => r.tables.find((t) => t.id === "threshold")!.table.objects() as Array<{threshold: string; hotRequests: number; hotDirectRequests: number}>;
  // Hot files of 4 KiB – 512 KiB: at 16k some of them go direct, and the note says how many, from the row.
  const mixed = pageCacheStudy({...tiny, thresholds: ["16k", "1m", "off"]});
  const first = sweep(mixed)[0];
  assert.ok(first.hotDirectRequests > 0 && first.hotDirectRequests < first.hotRequests, JSON.stringify(first));
  // 16k is named either as the best threshold or as the first one, and the count follows it in the same sentence.
  assert.match(note(mixed.notes, "The best directio threshold"), new RegExp(`(is 16k: |At the first threshold, 16k, )(?:[^.]|\\.\\d)*?${first.hotDirectRequests} of ${first.hotRequests} hot-file requests went direct, around the cache`));
  // Hot files of 4 KiB – 8 KiB: none reaches 16k, so none goes direct there.
  const smallHot = pageCacheStudy({...tiny, thresholds: ["16k", "1m", "off"], sweepHotMaxBytes: 8 * 1024});
  assert.equal(sweep(smallHot)[0].hotDirectRequests, 0);
  const text = note(smallHot.notes, "The best directio threshold");
  assert.match(text, /(is 16k: |At the first threshold, 16k, )(?:[^.]|\.\d)*?no hot-file request went direct \(\d+ through the cache\)/);
  assert.doesNotMatch(text, /went direct, around the cache/);
});

test("pageCacheStudy() notes follow the data: without SG-DMA and with slow copies, the threshold's extra copy is gone (its CPU is within 1% of directio off's, against 5% more with SG-DMA)", async () => {
  const {writeFileSync} = await import("node:fs");
  const {join} = await import("node:path");
  // A 100 GbE NIC, so the NIC does not set the bytes served (on 25 GbE every threshold fills it, and directio off may win by a hair).
  const wide = join(tempDir("iosim-study-"), "wide.json");
  writeFileSync(wide, JSON.stringify({extends: "server-2024", nic: {bytesPerNs: 12.5}}));
  const params = {...tiny, thresholds: ["16k", "1m", "off"]};
  const cpu = (r: ReturnType<typeof pageCacheStudy>) => note(r.notes, "CPU:");
  /** The note's CPU per MB at the threshold and with directio off, µs. */
  const perMB = (text: string) => {
    const m = /^CPU: ([\d.,]+) µs per MB served at \S+ against ([\d.,]+) µs with directio off/.exec(text) ?? assert.fail(text);
    return [Number(m[1].replace(/,/g, "")), Number(m[2].replace(/,/g, ""))];
  };
  const withSg = cpu(pageCacheStudy({...params, profile: wide}));
  assert.match(withSg, /: the threshold trades \d+\.\d µs more CPU per MB for a cache kept for the hot set\.$/);
  const [sgAt, sgOff] = perMB(withSg);
  assert.ok(sgAt > 1.05 * sgOff, withSg);
  // sendfile then copies every byte on the CPU as write(2) after direct I/O does: the threshold's copy is no longer extra.
  const file = join(tempDir("iosim-study-"), "no-sg.json");
  writeFileSync(file, JSON.stringify({extends: "server-2024", nic: {scatterGather: false, bytesPerNs: 12.5}, memory: {copyBytesPerNs: 0.5}}));
  const noSg = pageCacheStudy({...params, profile: file});
  // What is left is per-call work (direct I/O's set-up against page-cache lookups, skbs, wake-ups): under 1% either way,
  // and the note says which way it went.
  const [at, off] = perMB(cpu(noSg));
  assert.ok(Math.abs(at - off) < 0.01 * off, cpu(noSg));
  assert.match(cpu(noSg), at > off ? /: the threshold trades \d+\.\d µs more CPU per MB for a cache kept for the hot set\.$/ : /: the threshold costs no CPU here: it uses \d+\.\d µs less per MB and keeps more of the cache for the hot set\.$/);
  // The subtitle states the profile's copies, its wrapped lines joined.
  const svg = noSg.charts.find((c) => c.id === "threshold-cpu")!.html;
  const subtitle = [...svg.slice(0, svg.indexOf('aria-label="color legend"')).matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]).join(" ");
  assert.match(subtitle, /Direct I\/O is followed by write\(2\), one CPU copy user→socket; sendfile makes one, page cache→socket \(this NIC has no SG-DMA\)\.$/);
});
