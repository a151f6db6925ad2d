import {test} from "node:test";
import assert from "node:assert/strict";
import {dmaDefaults, dmaStudy} from "../../src/studies/dma.js";
import type {StudyResult} from "../../src/studies/study.js";
import {loadProfile} from "../../src/host/profiles.js";
import {InputError} from "../../src/errors.js";
import {formatNs, KiB} from "../../src/units.js";
import {assertStudyGolden} from "./golden.js";

/** The default study, run once for every test in this file. */
let cached: StudyResult | null = null;
const study = () => (cached ??= dmaStudy());
const rows = (id: string) => study().tables.find((t) => t.id === id)!.table.objects() as Array<Record<string, any>>;
const pair = (profile: string, bytes: number) => {
  const r = rows("results");
  return {pio: r.find((x) => x.profile === profile && x.mode === "pio" && x.transferBytes === bytes)!, dma: r.find((x) => x.profile === profile && x.mode === "dma" && x.transferBytes === bytes)!};
};

test("dmaStudy() with default parameters matches its golden output", () => {
  assertStudyGolden("dmaStudy", study());
});

test("dmaStudy() leaves the background process more CPU with DMA than without, at every size", () => {
  for (const profile of dmaDefaults.profiles)
    for (const bytes of dmaDefaults.transferSizesBytes) {
      const {pio, dma} = pair(profile, bytes);
      assert.ok(dma.backgroundCpuShare > pio.backgroundCpuShare, `${profile} ${bytes}`);
      assert.ok(dma.ioCpuNs < pio.ioCpuNs);
    }
});

test("dmaStudy() takes one interrupt per controller buffer without DMA and one per read with it", () => {
  for (const profile of dmaDefaults.profiles) {
    const buffer = loadProfile(profile).disks.ssd.controllerBufferBytes;
    for (const bytes of dmaDefaults.transferSizesBytes) {
      const {pio, dma} = pair(profile, bytes);
      assert.equal(pio.interrupts, Math.ceil(bytes / buffer));
      assert.equal(pio.pioCopies, Math.ceil(bytes / buffer));
      assert.equal(dma.interrupts, 1);
      assert.equal(dma.dmaCopies, 1);
    }
  }
});

test("dmaStudy() reads faster with DMA than by programmed I/O", () => {
  for (const profile of dmaDefaults.profiles)
    for (const bytes of dmaDefaults.transferSizesBytes) {
      const {pio, dma} = pair(profile, bytes);
      assert.ok(dma.throughputBytesPerSec > pio.throughputBytesPerSec, `${profile} ${bytes}`);
    }
});

test("dmaStudy() CPU shares sum to 1 per read and name pio-copy only without DMA", () => {
  const sums = new Map<string, number>();
  for (const r of rows("cpu-share")) {
    sums.set(`${r.profile} ${r.mode} ${r.transferBytes}`, (sums.get(`${r.profile} ${r.mode} ${r.transferBytes}`) ?? 0) + r.share);
    if (r.category === "pio-copy") assert.equal(r.mode, "pio");
  }
  for (const [key, sum] of sums) assert.ok(Math.abs(sum - 1) < 1e-9, key);
});

test("dmaStudy() charts carry no NaN and have a title and a legend", () => {
  for (const chart of study().charts) {
    assert.ok(!chart.html.includes("NaN"), chart.id);
    assert.ok(chart.html.includes("<title>"), chart.id);
    assert.ok(chart.html.includes('aria-label="color legend"'), chart.id);
  }
});

test("dmaStudy({cores: 0}) is an InputError naming cores", () => {
  assert.throws(() => dmaStudy({cores: 0}), (err: unknown) => err instanceof InputError && /cores/.test(err.message));
  assert.throws(() => dmaStudy({transferSizesBytes: []}), InputError);
});

test("dmaStudy({profiles: ['desktop-2008'], transferSizesBytes: [64 KiB]}) runs two reads", () => {
  const r = dmaStudy({profiles: ["desktop-2008"], transferSizesBytes: [64 * KiB]});
  assert.equal(r.tables[0].table.numRows(), 2);
});

test("dmaStudy() on one core: the read's and the background's CPU shares until the read finishes sum to 1", () => {
  // One core, a background process that always wants it: the core is never idle before the read completes.
  for (const r of rows("results")) assert.ok(Math.abs(r.ioCpuShare + r.backgroundCpuShare - 1) < 1e-9, `${r.profile} ${r.mode} ${r.transferBytes}: ${r.ioCpuShare} + ${r.backgroundCpuShare}`);
});

test("dmaStudy() notes follow the data: on a profile whose DMA engine is slower than the CPU's copies, they say programmed I/O is faster", async () => {
  const {writeFileSync} = await import("node:fs");
  const {join} = await import("node:path");
  const {tempDir} = await import("../helpers/files.js");
  const speed = (notes: string[]) => notes.map((n) => / (DMA|programmed I\/O) is ×[\d.]+ faster\./.exec(n)?.[1]).filter(Boolean);
  const params = {profiles: ["server-2024"], transferSizesBytes: [4 * KiB, 1024 * KiB]};
  assert.deepEqual(speed(dmaStudy(params).notes), ["DMA"]);
  // The same machine with a DMA engine of 10 MB/s and a CPU that copies from the controller at the disk's rate.
  const file = join(tempDir("iosim-dma-"), "slow-dma.json");
  writeFileSync(file, JSON.stringify({extends: "server-2024", dma: {bytesPerNs: 0.01}, disks: {ssd: {pioBytesPerNs: 3.5}}}));
  const slow = dmaStudy({...params, profiles: [file]});
  assert.deepEqual(speed(slow.notes), ["programmed I/O"]);
  const results = slow.tables[0].table.objects() as Array<Record<string, any>>;
  const at = (mode: string) => results.find((r) => r.mode === mode && r.transferBytes === 1024 * KiB)!;
  assert.ok(at("pio").elapsedNs < at("dma").elapsedNs, "the table agrees with the note");
});

test("dmaStudy() notes name what the DMA read still cost the CPU, by the categories the CPU booked", () => {
  const r = dmaStudy({profiles: ["server-2024"], transferSizesBytes: [4 * KiB]});
  const p = loadProfile("server-2024");
  const note = r.notes.find((n) => n.startsWith("At 4 KiB"))!;
  // One read(2): two mode switches, the system call, the driver programming the DMA, two task switches (the reader blocks
  // and the core switches to the background process; the interrupt wakes the reader, which takes the core back), one interrupt.
  assert.ok(
    note.endsWith(`booked as mode-switch ${formatNs(2 * p.cpu.modeSwitchNs)}, syscall ${formatNs(p.cpu.syscallNs)}, driver ${formatNs(p.dma.setupNs)}, task-switch ${formatNs(2 * p.cpu.taskSwitchNs)}, irq ${formatNs(p.cpu.irqNs)}.`),
    note,
  );
});
