import {test} from "node:test";
import assert from "node:assert/strict";
import {createSim} from "../../src/engine/sim.js";
import {spawn} from "../../src/engine/process.js";
import {Host} from "../../src/host/Host.js";
import {loadProfile} from "../../src/host/profiles.js";
import {readCall} from "../../src/kernel/bufferedRead.js";
import {directRead} from "../../src/kernel/directIo.js";
import {InputError} from "../../src/errors.js";

const profile = loadProfile("server-2024");
const KiB = 1024;

test("directRead leaves the page cache untouched: same pages, same order, same counters", () => {
  const sim = createSim({seed: 0});
  const host = new Host(sim, profile, {cacheBytes: 64 * 4096, readaheadBytes: 32 * KiB});
  const warmFile = {id: "warm", sizeBytes: 32 * KiB};
  const other = {id: "other", sizeBytes: 1024 * KiB};
  host.pageCache.warm(warmFile);
  const before = {order: host.pageCache.order(), hits: host.pageCache.hits, misses: host.pageCache.misses, evictions: host.pageCache.evictions};
  spawn(sim, 1, function* () {
    yield* directRead(host, other, 0, 512 * KiB, 1);
    yield* directRead(host, warmFile, 0, 32 * KiB, 1);
  }).subscribe();
  sim.run();
  assert.deepEqual({order: host.pageCache.order(), hits: host.pageCache.hits, misses: host.pageCache.misses, evictions: host.pageCache.evictions}, before);
  assert.equal(sim.trace.count("cache-hit") + sim.trace.count("cache-miss"), 0);
});

test("directRead issues exactly one disk→user DMA per call, no readahead, no merging of adjacent reads", () => {
  const sim = createSim({seed: 0});
  const host = new Host(sim, profile, {readaheadBytes: 128 * KiB});
  const f = {id: "f", sizeBytes: 1024 * KiB};
  spawn(sim, 1, function* () {
    for (let off = 0; off < 128 * KiB; off += 32 * KiB) yield* directRead(host, f, off, 32 * KiB, 1);
  }).subscribe();
  sim.run();
  assert.deepEqual(
    sim.trace.filter("dma-copy").map((e) => [e.bytes, e.detail]),
    [[32768, "disk→user"], [32768, "disk→user"], [32768, "disk→user"], [32768, "disk→user"]],
  );
  assert.deepEqual({cpuCopies: sim.trace.count("cpu-copy"), modeSwitches: sim.trace.count("mode-switch")}, {cpuCopies: 0, modeSwitches: 8});
});

test("buffered readCall with the same 32 KiB reads sends fewer, larger requests to the disk (readahead merges them)", () => {
  const sim = createSim({seed: 0});
  const host = new Host(sim, profile, {readaheadBytes: 32 * KiB});
  const f = {id: "f", sizeBytes: 1024 * KiB};
  spawn(sim, 1, function* () {
    for (let off = 0; off < 128 * KiB; off += 32 * KiB) yield* readCall(host, f, off, 32 * KiB, 1);
  }).subscribe();
  sim.run();
  assert.deepEqual(sim.trace.filter("dma-copy").map((e) => [e.bytes, e.detail]), [[65536, "disk→page-cache"], [65536, "disk→page-cache"]]);
});

test("directRead at an offset not a multiple of 512 is an InputError naming offsetBytes (EINVAL)", () => {
  const sim = createSim({seed: 0});
  const host = new Host(sim, profile);
  let error: unknown = null;
  spawn(sim, 1, () => directRead(host, {id: "f", sizeBytes: 8192}, 100, 4096, 1)).subscribe({error: (e) => (error = e)});
  sim.run();
  assert.ok(error instanceof InputError && error.param === "offsetBytes");
});

test("directRead(host, file, 12288, 4096) past the end of a 10 000-byte file sends nothing to the disk", () => {
  const sim = createSim({seed: 0});
  const host = new Host(sim, profile);
  spawn(sim, 1, () => directRead(host, {id: "f", sizeBytes: 10_000}, 12_288, 4096, 1)).subscribe();
  const endNs = sim.run();
  assert.deepEqual({dmaCopies: sim.trace.count("dma-copy"), diskRequests: host.disk.resource.completed, syscalls: sim.trace.count("syscall")}, {dmaCopies: 0, diskRequests: 0, syscalls: 1});
  assert.equal(endNs, 2 * profile.cpu.modeSwitchNs + profile.cpu.syscallNs);
});
