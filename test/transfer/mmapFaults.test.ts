import {test} from "node:test";
import assert from "node:assert/strict";
import {from} from "rxjs";
import {createSim} from "../../src/engine/sim.js";
import {Host} from "../../src/host/Host.js";
import {loadProfile} from "../../src/host/profiles.js";
import {InputError} from "../../src/errors.js";
import {runTransfer, transferScenario} from "../../src/scenarios/transfer.js";
import {resolveParams} from "../../src/scenarios/scenario.js";
import {faultAroundBytes, mmapWrite, tlbSinglePageFlushCeiling} from "../../src/transfer/mmapWrite.js";

const profile = loadProfile("server-2024");
const KiB = 1024;
const MiB = 1024 * KiB;
const mem = profile.memory;

/** One mmap + write transfer of a warm file, with its trace kept. */
function mmapRun(fileBytes: number, chunkBytes: number, mmapMapping: "file" | "chunk" = "file", cache: "warm" | "cold" = "warm") {
  return runTransfer({strategy: "mmap-write", fileBytes, chunkBytes, cache, readaheadBytes: 0, profile, mmapMapping, keepEvents: true});
}

test("fault-around maps 16 pages (64 KiB) per fault; a flush of more than 33 pages flushes the whole TLB (Linux 6.18's defaults)", () => {
  assert.equal(faultAroundBytes / mem.pageBytes, 16);
  assert.equal(tlbSinglePageFlushCeiling, 33);
});

test("mmap-write of a warm file mapped whole takes ⌈pages / 16⌉ faults whatever the chunk size, maps every page once, and flushes the TLB once at munmap", () => {
  for (const [fileBytes, chunkBytes] of [[1 * MiB, 64 * KiB], [1 * MiB, 24 * KiB], [100 * KiB, 64 * KiB], [100 * KiB, 4 * KiB], [4 * KiB, 64 * KiB]]) {
    const {result, sim} = mmapRun(fileBytes, chunkBytes);
    const pages = Math.ceil(fileBytes / mem.pageBytes);
    const faults = sim.trace.filter("page-fault");
    assert.equal(faults.length, Math.ceil(pages / 16), `${fileBytes}/${chunkBytes}`);
    assert.equal(result.pageFaults, faults.length);
    assert.equal(faults.reduce((sum, e) => sum + e.bytes, 0), pages * mem.pageBytes);
    assert.equal(result.faultPages, pages);
    const flushes = sim.trace.filter("tlb-flush");
    assert.equal(flushes.length, 1);
    assert.equal(flushes[0].detail, pages > 33 ? "local full, 0 IPIs" : `local ${pages} pages, 0 IPIs`);
    assert.equal(result.tlbFlushes, 1);
    // mmap, one write per chunk, munmap.
    assert.equal(result.syscalls, Math.ceil(fileBytes / chunkBytes) + 2);
  }
});

test("mmap-write mapped per chunk faults each chunk's own pages (⌈chunk pages / 16⌉ per chunk) and flushes page by page", () => {
  const {result, sim} = mmapRun(100 * KiB, 24 * KiB, "chunk");
  // Chunks of 6, 6, 6, 6 and 1 pages: one fault each, one munmap and flush each.
  assert.equal(result.chunks, 5);
  assert.deepEqual(sim.trace.filter("page-fault").map((e) => e.bytes / mem.pageBytes), [6, 6, 6, 6, 1]);
  assert.deepEqual(sim.trace.filter("tlb-flush").map((e) => e.detail), ["local 6 pages, 0 IPIs", "local 6 pages, 0 IPIs", "local 6 pages, 0 IPIs", "local 6 pages, 0 IPIs", "local 1 pages, 0 IPIs"]);
  assert.equal(result.syscalls, 15);
});

test("mmap-write books its faults, munmap and TLB flush as their own CPU categories, at the profile's prices", () => {
  const {result, cpuNsByCategory} = mmapRun(1 * MiB, 64 * KiB);
  const pages = 256;
  assert.equal(cpuNsByCategory["page-fault"], 16 * mem.pageFaultNs + pages * mem.faultMapPageNs);
  assert.equal(cpuNsByCategory["munmap"], pages * mem.unmapPageNs);
  // 256 pages > 33: one full flush.
  assert.equal(cpuNsByCategory["tlb-flush"], mem.tlbFlushAllNs);
  for (const category of ["page-fault", "munmap", "tlb-flush", "page-lookup"]) assert.ok(result.cpuShare[category] > 0, category);
  // Per chunk: 16 pages of 64 KiB each flushed one by one.
  const perChunk = runTransfer({strategy: "mmap-write", fileBytes: 1 * MiB, chunkBytes: 64 * KiB, cache: "warm", profile, mmapMapping: "chunk"});
  assert.equal(perChunk.cpuNsByCategory["tlb-flush"], 16 * 16 * mem.tlbFlushPageNs);
  assert.equal(perChunk.cpuNsByCategory["munmap"], pages * mem.unmapPageNs);
});

test("mmap-write of a cold file: each fault reads its window from disk, the counts stay those of the warm file", () => {
  const {result, sim} = mmapRun(1 * MiB, 64 * KiB, "file", "cold");
  assert.equal(result.pageFaults, 16);
  assert.equal(result.cacheMissPages, 256);
  assert.equal(sim.trace.filter("dma-copy").filter((e) => e.detail === "disk→page-cache").length, 16);
});

test("every page looked up in the page cache costs memory.pageLookupNs, booked as page-lookup", () => {
  for (const strategy of ["read-write", "mmap-write", "sendfile", "sendfile-sg"] as const) {
    const {cpuNsByCategory} = runTransfer({strategy, fileBytes: 1 * MiB, chunkBytes: 64 * KiB, cache: "warm", profile});
    assert.equal(cpuNsByCategory["page-lookup"], 256 * mem.pageLookupNs, strategy);
  }
  const free = {...profile, memory: {...profile.memory, pageLookupNs: 0}};
  assert.equal(runTransfer({strategy: "read-write", fileBytes: 1 * MiB, chunkBytes: 64 * KiB, cache: "warm", profile: free}).cpuNsByCategory["page-lookup"], undefined);
});

test("the transfer's copies stream through memory whatever the chunk size: out of the page cache into the user buffer at copyFromMemoryBytesPerNs, into the socket buffer at copyBytesPerNs", () => {
  assert.ok(mem.copyFromMemoryBytesPerNs !== undefined && mem.copyFromMemoryBytesPerNs > mem.copyBytesPerNs);
  for (const chunkBytes of [4 * KiB, 64 * KiB]) {
    const {cpuNsByCategory} = runTransfer({strategy: "read-write", fileBytes: 1 * MiB, chunkBytes, cache: "warm", profile});
    // Two copies of every byte: page cache → user, user → socket buffer.
    const expected = MiB / mem.copyFromMemoryBytesPerNs! + MiB / mem.copyBytesPerNs;
    assert.ok(Math.abs(cpuNsByCategory["cpu-copy"] - expected) < 1e-6, `${chunkBytes}: ${cpuNsByCategory["cpu-copy"]}, expected ${expected}`);
  }
});

test("mmapWrite(host, {mapping}) rejects a mapping other than file or chunk, naming mmapMapping", () => {
  const host = new Host(createSim(), profile);
  assert.throws(() => mmapWrite(host, {mapping: "page" as "file"}), (e: unknown) => e instanceof InputError && e.param === "mmapMapping" && e.value === "page");
  assert.throws(() => resolveParams(transferScenario, [["mmapMapping", "page"]]), (e: unknown) => e instanceof InputError && e.param === "mmapMapping");
  // Used directly it maps the whole file by default.
  const sim = createSim({keepEvents: true});
  const h = new Host(sim, profile);
  const file = {id: "f", sizeBytes: 256 * KiB};
  h.pageCache.warm(file);
  from([{file}]).pipe(mmapWrite(h)).subscribe();
  sim.run();
  assert.deepEqual([sim.trace.count("page-fault"), sim.trace.count("tlb-flush")], [4, 1]);
});
