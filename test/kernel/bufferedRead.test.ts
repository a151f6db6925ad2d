import {test} from "node:test";
import assert from "node:assert/strict";
import {createSim} from "../../src/engine/sim.js";
import {spawn} from "../../src/engine/process.js";
import {Host} from "../../src/host/Host.js";
import {loadProfile, parseProfile} from "../../src/host/profiles.js";
import {bufferedRead, readCall} from "../../src/kernel/bufferedRead.js";
import {runPageCache} from "../../src/scenarios/pagecache.js";

const profile = loadProfile("server-2024");
const KiB = 1024;

test("runPageCache({pattern: sequential, readaheadBytes: 32KiB}) issues exactly the expected disk reads, at the expected times", () => {
  const {result, sim} = runPageCache({pattern: "sequential", readaheadBytes: 32 * KiB, fileBytes: 256 * KiB, readBytes: 32 * KiB, profile});
  const c = profile.cpu;
  const setupNs = profile.dma.setupNs; // the driver programs the disk on a core, then the disk works
  const dmaNs = profile.disks.ssd.latencyNs + (64 * KiB) / profile.disks.ssd.bytesPerNs;
  // Out of the page cache into a 32 KiB user buffer: one side streams from memory.
  const copyNs = (32 * KiB) / profile.memory.copyFromMemoryBytesPerNs!;
  // Each read(2) looks its 8 pages up in the page cache before anything else.
  const entry = c.modeSwitchNs + c.syscallNs + 8 * profile.memory.pageLookupNs;
  // A missing read: enter and look up, DMA, interrupt, copy (out of the page cache into the cached user buffer), leave; then a read that hits: enter, copy, leave.
  const pairNs = entry + setupNs + dmaNs + c.irqNs + copyNs + c.modeSwitchNs + entry + copyNs + c.modeSwitchNs;
  const events = sim.trace.filter("dma-copy").map((e) => ({timeNs: e.timeNs, bytes: e.bytes, detail: e.detail}));
  assert.equal(events.length, 4);
  events.forEach((e, i) => {
    assert.equal(e.bytes, 64 * KiB);
    assert.equal(e.detail, "disk→page-cache");
    const expected = i * pairNs + entry + setupNs;
    assert.ok(Math.abs(e.timeNs - expected) < 1e-6, `disk read ${i} at ${e.timeNs}, expected ${expected}`);
  });
  assert.deepEqual({diskReads: result.diskReads, hitRatio: result.hitRatio, prefetchedPagesUnused: result.prefetchedPagesUnused}, {diskReads: 4, hitRatio: 0.5, prefetchedPagesUnused: 0});
});

test("runPageCache({readaheadBytes: 0}) sends one disk read per read(2)", () => {
  const {result} = runPageCache({pattern: "sequential", readaheadBytes: 0, fileBytes: 256 * KiB, readBytes: 32 * KiB, profile});
  assert.deepEqual({diskReads: result.diskReads, hitRatio: result.hitRatio}, {diskReads: 8, hitRatio: 0});
});

test("bufferedRead: a second reader of pages still in flight waits for the same disk read instead of reading them again", () => {
  const sim = createSim({seed: 0});
  const host = new Host(sim, profile);
  const f = {id: "f", sizeBytes: 64 * KiB};
  const doneNs: number[] = [];
  for (const pid of [1, 2])
    spawn(sim, pid, function* () {
      yield* bufferedRead(host, f, 0, 64 * KiB, pid);
      doneNs.push(sim.scheduler.now());
    }).subscribe();
  sim.run();
  assert.equal(sim.trace.count("dma-copy"), 1);
  assert.equal(doneNs.length, 2);
  assert.equal(doneNs[0], doneNs[1]);
  assert.ok(doneNs[0] > 80_000, "the second reader returned before the disk read completed");
});

test("readCall(host, file, 12288, 4096) past the end of a 10 000-byte file reads nothing from the disk", () => {
  const sim = createSim({seed: 0});
  const host = new Host(sim, profile);
  const f = {id: "f", sizeBytes: 10_000};
  spawn(sim, 1, () => readCall(host, f, 12_288, 4096, 1)).subscribe();
  sim.run();
  assert.deepEqual(
    {dmaCopies: sim.trace.count("dma-copy"), diskBytes: sim.trace.bytes("dma-copy"), misses: sim.trace.count("cache-miss"), cpuCopies: sim.trace.count("cpu-copy"), syscalls: sim.trace.count("syscall")},
    {dmaCopies: 0, diskBytes: 0, misses: 0, cpuCopies: 0, syscalls: 1},
  );
});

/** server-2024 with the disk's largest request set to *maxRequestBytes* and, if given, a per-call read cost. */
function withLimits(maxRequestBytes: number, fileReadCallNs?: number) {
  const raw = structuredClone(profile);
  raw.disks.ssd.maxRequestBytes = maxRequestBytes;
  if (fileReadCallNs !== undefined) raw.memory.fileReadCallNs = fileReadCallNs;
  return parseProfile(raw, "limits");
}

test("bufferedRead: a readahead window longer than the disk's largest request goes as several requests, and the reader waits only for those holding its pages", () => {
  const runOnce = (maxRequestBytes: number | undefined) => {
    const sim = createSim({seed: 0});
    const host = new Host(sim, maxRequestBytes === undefined ? profile : withLimits(maxRequestBytes), {readaheadBytes: 256 * KiB, readaheadWindow: "fixed"});
    const f = {id: "f", sizeBytes: 1024 * KiB};
    let doneNs = 0;
    spawn(sim, 1, function* () {
      yield* bufferedRead(host, f, 0, 4 * KiB, 1);
      doneNs = sim.scheduler.now();
    }).subscribe();
    sim.run();
    return {doneNs, requests: sim.trace.events.filter((e) => e.kind === "dma-copy").map((e) => e.bytes)};
  };
  const whole = runOnce(undefined);
  const split = runOnce(64 * KiB);
  // 4 KiB asked for and 256 KiB of readahead after it: one request of 260 KiB, or 64 KiB requests.
  assert.deepEqual(whole.requests, [260 * KiB]);
  assert.deepEqual(split.requests, [64 * KiB, 64 * KiB, 64 * KiB, 64 * KiB, 4 * KiB]);
  assert.equal(split.requests.reduce((a, b) => a + b, 0), whole.requests[0]);
  // The reader's page is in the first request: it returns when that one lands, well before the whole window would.
  assert.ok(split.doneNs < whole.doneNs, `split ${split.doneNs} ns, whole ${whole.doneNs} ns`);
});

test("readCall charges the profile's per-call read work (memory.fileReadCallNs) once per call, booked as syscall work", () => {
  const run = (callNs: number | undefined) => {
    const sim = createSim({seed: 0});
    const host = new Host(sim, callNs === undefined ? profile : withLimits(1 << 20, callNs));
    const f = {id: "f", sizeBytes: 64 * KiB};
    host.pageCache.warm(f);
    spawn(sim, 1, function* () {
      for (let off = 0; off < f.sizeBytes; off += 16 * KiB) yield* readCall(host, f, off, 16 * KiB, 1);
    }).subscribe();
    sim.run();
    return {endNs: sim.scheduler.now(), calls: sim.trace.events.filter((e) => e.detail === "filemap_read").length, syscallNs: host.cpu.busyNsByTag.get("syscall") ?? 0};
  };
  const without = run(undefined);
  const withCost = run(500);
  assert.equal(without.calls, 0);
  assert.equal(withCost.calls, 4);
  assert.equal(withCost.syscallNs - without.syscallNs, 4 * 500);
  assert.equal(withCost.endNs - without.endNs, 4 * 500);
});
