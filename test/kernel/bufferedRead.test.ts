import {test} from "node:test";
import assert from "node:assert/strict";
import {createSim} from "../../src/engine/sim.js";
import {spawn} from "../../src/engine/process.js";
import {Host} from "../../src/host/Host.js";
import {loadProfile} from "../../src/host/profiles.js";
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
