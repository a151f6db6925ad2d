import {test} from "node:test";
import assert from "node:assert/strict";
import {Random} from "../../src/engine/random.js";
import {countsChart} from "../../src/charts/countsChart.js";
import {cpuShareChart} from "../../src/charts/cpuShareChart.js";
import {dmaCpuShareChart} from "../../src/charts/dmaCpuShareChart.js";
import {modeColors, paletteFor, strategyColors} from "../../src/charts/palette.js";
import {serverCategoryColors} from "../../src/charts/servers.js";
import {sizeLineChart, throughputChart, type ThroughputRow} from "../../src/charts/throughputChart.js";
import {KiB} from "../../src/units.js";
import {assertSnapshot} from "./snapshot.js";

const strategies = ["read-write", "mmap-write", "sendfile", "sendfile-sg"];
const profiles = ["server-2024", "desktop-2008"];
const sizes = [4 * KiB, 64 * KiB, 1024 * KiB, 16384 * KiB, 262144 * KiB];

/** Returns seeded throughput rows: rising with size, a little higher per strategy. */
function throughputRows(seed: number): ThroughputRow[] {
  const random = new Random(seed);
  return profiles.flatMap((profile, p) =>
    strategies.flatMap((series, s) =>
      sizes.map((sizeBytes, i) => ({profile, series, sizeBytes, throughputBytesPerSec: (1 + s * 0.05 + random.next() * 0.02) * (p ? 1e8 : 6e8) * (1 - 0.8 / (i + 1))})),
    ),
  );
}

/** Returns seeded CPU shares: four categories summing to 1 per bar. */
function shareRows(seed: number) {
  const random = new Random(seed);
  return profiles.flatMap((facetX) =>
    strategies.flatMap((group) => {
      const w = [random.next(), random.next(), random.next(), random.next()];
      const total = w.reduce((a, b) => a + b, 0);
      return ["cpu-copy", "irq", "syscall", "mode-switch"].map((category, i) => ({group, category, share: w[i] / total, facetX}));
    }),
  );
}

test(async function throughputChartSnapshot() {
  assertSnapshot("throughputChart", throughputChart(throughputRows(0), {title: "Throughput against file size", subtitle: "Seeded test data.", seriesLabel: "Strategy", colors: strategyColors}));
});

test(async function sizeLineChartLinearSnapshot() {
  const random = new Random(1);
  const rows = profiles.flatMap((profile) => ["pio", "dma"].flatMap((series) => sizes.map((sizeBytes) => ({profile, series, sizeBytes, value: series === "dma" ? 95 + random.next() * 5 : 30 + random.next() * 40}))));
  assertSnapshot("sizeLineChart", sizeLineChart(rows, {title: "CPU left for other work", yLabel: "Background work (% of CPU)", seriesLabel: "Mode", colors: modeColors, xLabel: "Transfer size (bytes, log scale)"}));
});

test(async function cpuShareChartSnapshot() {
  assertSnapshot("cpuShareChart", cpuShareChart(shareRows(2), {title: "What the CPU spends its busy time on", groupLabel: "Strategy"}));
});

test(async function countsChartSnapshot() {
  const perChunk: Record<string, number[]> = {"read-write": [4, 2, 2], "mmap-write": [4, 2, 1], sendfile: [2, 2, 1], "sendfile-sg": [2, 2, 0]};
  const rows = strategies.flatMap((strategy) => ["context switches", "DMA copies", "CPU copies"].map((count, i) => ({strategy, count, perChunk: perChunk[strategy][i]})));
  assertSnapshot("countsChart", countsChart(rows, {title: "What one chunk costs", caption: "The seed's table."}));
});

test(async function dmaCpuShareChartSnapshot() {
  const random = new Random(3);
  const rows = profiles.flatMap((profile) =>
    ["pio", "dma"].flatMap((mode) =>
      sizes.slice(0, 3).flatMap((transferBytes) => {
        const io = mode === "pio" ? 0.3 + random.next() * 0.4 : random.next() * 0.02;
        return [
          {profile, mode, transferBytes, category: mode === "pio" ? "pio-copy" : "irq", share: io},
          {profile, mode, transferBytes, category: "user", share: 1 - io},
        ];
      }),
    ),
  );
  assertSnapshot("dmaCpuShareChart", dmaCpuShareChart(rows, {title: "Who gets the CPU during a disk read"}));
});

test("throughputChart leaves out NaN and non-positive rows instead of drawing them", () => {
  const rows = throughputRows(0);
  const spoiled = [...rows, {profile: "server-2024", series: "sendfile", sizeBytes: 8 * KiB, throughputBytesPerSec: NaN}, {profile: "server-2024", series: "sendfile", sizeBytes: 0, throughputBytesPerSec: 1e6}];
  const options = {title: "T", seriesLabel: "Strategy", colors: strategyColors};
  const svg = throughputChart(spoiled, options);
  assert.equal(svg, throughputChart(rows, options));
  assert.ok(!svg.includes("NaN"));
});

test("cpuShareChart colours each category the same in every chart", () => {
  const a = cpuShareChart([{group: "x", category: "cpu-copy", share: 1}], {title: "A", groupLabel: "G"});
  const b = cpuShareChart([{group: "x", category: "irq", share: 0.5}, {group: "x", category: "cpu-copy", share: 0.5}], {title: "B", groupLabel: "G"});
  assert.ok(a.includes('fill="#e15759"') && b.includes('fill="#e15759"') && b.includes('fill="#4e79a7"'));
});

test("paletteFor(values, known): known values keep their colours in known order; unknown ones get spare colours no known value has", () => {
  const p = paletteFor(["user", "zz-new", "irq", "aa-new"], {irq: "#4e79a7", user: "#59a14f"});
  assert.deepEqual(p.domain, ["irq", "user", "aa-new", "zz-new"]);
  assert.deepEqual(p.range.slice(0, 2), ["#4e79a7", "#59a14f"]);
  assert.equal(new Set(p.range).size, 4);
  // The servers' colours use most spare colours: a category they do not know still gets one of its own.
  const s = paletteFor([...Object.keys(serverCategoryColors), "brand-new"], serverCategoryColors);
  const fresh = s.range[s.domain.indexOf("brand-new")];
  assert.ok(!Object.values(serverCategoryColors).includes(fresh), fresh);
});
