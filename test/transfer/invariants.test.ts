/**
 * Invariants every run must keep, checked over many random parameter sets
 * with fast-check: bytes delivered (measured at the NIC) equal bytes
 * requested, and a recipe that loses bytes is caught; no resource is
 * busy more than its units × elapsed time, CPU shares sum to 1, and trace
 * time never goes backwards.
 */
import {test} from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type {Resource} from "../../src/engine/Resource.js";
import type {TraceEvent} from "../../src/engine/trace.js";
import {loadProfile} from "../../src/host/profiles.js";
import {runDma} from "../../src/scenarios/dma.js";
import {runTransfer, strategies} from "../../src/scenarios/transfer.js";
import {from} from "rxjs";
import {createSim} from "../../src/engine/sim.js";
import {Host} from "../../src/host/Host.js";
import {bufferedRead} from "../../src/kernel/bufferedRead.js";
import {syscall} from "../../src/kernel/syscall.js";
import {chunked, transferOperator, type ChunkRecipe, type Transfer} from "../../src/transfer/internal/transferCore.js";
import {readWriteChunk} from "../../src/transfer/readWrite.js";

const profiles = {"server-2024": loadProfile("server-2024"), "desktop-2008": loadProfile("desktop-2008")};
const KiB = 1024;
const RUNS = 150;

const transferParams = fc.record({
  strategy: fc.constantFrom(...strategies),
  fileBytes: fc.integer({min: 1, max: 512 * KiB}),
  chunkBytes: fc.integer({min: 512, max: 256 * KiB}),
  cache: fc.constantFrom("cold" as const, "warm" as const),
  disk: fc.constantFrom("ssd" as const, "hdd" as const),
  profile: fc.constantFrom(...(Object.keys(profiles) as Array<keyof typeof profiles>)),
  readaheadBytes: fc.constantFrom(0, 16 * KiB, 128 * KiB),
  files: fc.integer({min: 1, max: 3}),
  seed: fc.integer({min: 0, max: 1000}),
});

const dmaParams = fc.record({
  mode: fc.constantFrom("pio" as const, "dma" as const),
  transferBytes: fc.integer({min: 1, max: 64 * KiB}),
  disk: fc.constantFrom("ssd" as const, "hdd" as const),
  cores: fc.integer({min: 1, max: 4}),
  background: fc.boolean(),
  quantumNs: fc.integer({min: 500, max: 50_000}),
  profile: fc.constantFrom(...(Object.keys(profiles) as Array<keyof typeof profiles>)),
});

type ValueOf<A> = A extends fc.Arbitrary<infer T> ? T : never;

function transfer(p: ValueOf<typeof transferParams>) {
  return runTransfer({...p, profile: profiles[p.profile]});
}

function dma(p: ValueOf<typeof dmaParams>) {
  return runDma({...p, profile: profiles[p.profile]});
}

/** Asserts *resource* was busy no more than its capacity over *elapsedNs* (a hair of float slack). */
function assertWithinCapacity(resource: Resource, elapsedNs: number) {
  const capacity = resource.units * elapsedNs;
  assert.ok(resource.busyNs <= capacity * (1 + 1e-12) + 1e-6, `${resource.name} busy ${resource.busyNs} ns > ${resource.units} × ${elapsedNs} ns`);
}

function assertSharesSumToOne(share: Record<string, number>) {
  const values = Object.values(share);
  assert.ok(values.length > 0, "no CPU share");
  for (const v of values) assert.ok(v >= 0 && v <= 1, `share ${v}`);
  assert.ok(Math.abs(values.reduce((a, b) => a + b, 0) - 1) <= 1e-9, `shares sum to ${values.reduce((a, b) => a + b, 0)}`);
}

function assertTimeNeverGoesBack(events: TraceEvent[]) {
  for (let i = 1; i < events.length; i++) assert.ok(events[i].timeNs >= events[i - 1].timeNs, `event ${i} at ${events[i].timeNs} after ${events[i - 1].timeNs}`);
}

/**
 * Asserts that every transfer delivered, through the NIC, every byte its
 * request asked for, and that they add up to *requestedBytes*. `Transfer.bytes`
 * is measured from the NIC's DMA completions, so a strategy that loses bytes
 * fails here (see the recipes below that send nothing or half a chunk).
 */
function assertEveryByteDelivered(transfers: readonly Transfer[], requestedBytes: number) {
  for (const t of transfers) assert.equal(t.bytes, t.requestedBytes, `${t.fileId}: ${t.bytes} of ${t.requestedBytes} bytes left through the NIC`);
  assert.equal(transfers.reduce((s, t) => s + t.bytes, 0), requestedBytes, "bytes delivered, all transfers");
}

test("runTransfer() delivers exactly the bytes requested", () => {
  fc.assert(
    fc.property(transferParams, (p) => {
      const {result, transfers} = transfer(p);
      assert.equal(transfers.length, p.files);
      assertEveryByteDelivered(transfers, p.files * p.fileBytes);
      assert.equal(result.bytesDelivered, p.files * p.fileBytes);
      assert.equal(result.throughputBytesPerSec, (result.bytesDelivered / result.elapsedNs) * 1e9);
      assert.equal(result.chunks, p.files * Math.ceil(p.fileBytes / p.chunkBytes));
    }),
    {numRuns: RUNS},
  );
});

/** Runs one request of *fileBytes* through *recipe* on a fresh host, with keepEvents off; returns the transfers. */
function runRecipe(recipe: ChunkRecipe, fileBytes: number): Transfer[] {
  const sim = createSim({seed: 0, keepEvents: false});
  const host = new Host(sim, profiles["server-2024"]);
  const out: Transfer[] = [];
  from([{file: {id: "f", sizeBytes: fileBytes}, pid: 1}]).pipe(transferOperator(host, {chunkBytes: 64 * KiB}, chunked(recipe))).subscribe((t) => out.push(t));
  sim.run();
  return out;
}

/** A broken strategy: read + write's system calls and copies, but nothing goes into the socket. */
const sendsNothing: ChunkRecipe = function* (host, file, offsetBytes, bytes, pid) {
  yield* syscall(host, "read", () => bufferedRead(host, file, offsetBytes, bytes, pid));
  yield* syscall(host, "write", function* () {
    yield host.cpuCopy(bytes, "user→socket-buffer");
  });
};

/** A broken strategy: sends only the first half of every chunk. */
const sendsHalf: ChunkRecipe = function* (host, _file, _offsetBytes, bytes, _pid, sink) {
  yield* syscall(host, "write", () => sink.write(Math.floor(bytes / 2), {copyFrom: "user"}));
};

test("the delivered-bytes invariant catches a recipe that sends nothing", () => {
  const transfers = runRecipe(sendsNothing, 200 * KiB);
  assert.deepEqual(transfers.map((t) => [t.bytes, t.requestedBytes, t.chunks]), [[0, 200 * KiB, 4]]);
  assert.throws(() => assertEveryByteDelivered(transfers, 200 * KiB), /f: 0 of 204800 bytes left through the NIC/);
});

test("the delivered-bytes invariant catches a recipe that sends half of each chunk", () => {
  const transfers = runRecipe(sendsHalf, 200 * KiB);
  assert.deepEqual(transfers.map((t) => t.bytes), [3 * 32 * KiB + 4 * KiB]);
  assert.throws(() => assertEveryByteDelivered(transfers, 200 * KiB), /f: 102400 of 204800 bytes left through the NIC/);
});

test("the delivered-bytes invariant passes read + write's own recipe on the same run", () => {
  assertEveryByteDelivered(runRecipe(readWriteChunk, 200 * KiB), 200 * KiB);
});

test("runTransfer() sends every byte through the NIC once", () => {
  fc.assert(
    fc.property(transferParams, (p) => {
      const {sim} = transfer(p);
      const nicBytes = sim.trace.filter("dma-copy").filter((e) => e.detail.endsWith("→nic")).reduce((s, e) => s + e.bytes, 0);
      assert.equal(nicBytes, p.files * p.fileBytes);
    }),
    {numRuns: RUNS},
  );
});

test("runTransfer() keeps CPU, disk and NIC busy no more than units × elapsed", () => {
  fc.assert(
    fc.property(transferParams, (p) => {
      const {host, result} = transfer(p);
      for (const r of [host.cpu, host.disk.resource, host.nic.resource]) assertWithinCapacity(r, result.elapsedNs);
    }),
    {numRuns: RUNS},
  );
});

test("runTransfer() reports CPU shares that sum to 1", () => {
  fc.assert(
    fc.property(transferParams, (p) => assertSharesSumToOne(transfer(p).result.cpuShare)),
    {numRuns: RUNS},
  );
});

test("runTransfer() records trace events whose times never go backwards", () => {
  fc.assert(
    fc.property(transferParams, (p) => {
      const {sim, result} = transfer(p);
      assertTimeNeverGoesBack(sim.trace.events);
      assert.ok(sim.trace.events.at(-1)!.timeNs <= result.elapsedNs);
    }),
    {numRuns: RUNS},
  );
});

test("runTransfer() counts match the seed's per-chunk table whenever readahead is off", () => {
  const table = {"read-write": [4, 2, 2], "mmap-write": [4, 2, 1], sendfile: [2, 2, 1], "sendfile-sg": [2, 2, 0]};
  fc.assert(
    fc.property(transferParams, (p) => {
      const {result} = transfer({...p, readaheadBytes: 0});
      const [cs, dmaCopies, cpuCopies] = table[p.strategy];
      const n = result.chunks;
      // Pages are 4 KiB: a cold chunk lying wholly inside a page an earlier chunk fetched is a hit and needs no disk DMA.
      assert.equal(result.contextSwitches, cs * n);
      assert.equal(result.cpuCopies, cpuCopies * n);
      assert.ok(result.dmaCopies >= (dmaCopies - 1) * n && result.dmaCopies <= dmaCopies * n);
      if (p.cache === "warm") assert.equal(result.dmaCopies, (dmaCopies - 1) * n);
    }),
    {numRuns: RUNS},
  );
});

test("runTransfer() gives an identical trace for identical parameters", () => {
  fc.assert(
    fc.property(transferParams, (p) => {
      assert.deepEqual(transfer(p).sim.trace.events, transfer(p).sim.trace.events);
    }),
    {numRuns: 30},
  );
});

test("runDma() moves exactly the bytes requested", () => {
  fc.assert(
    fc.property(dmaParams, (p) => {
      const {sim, result} = dma(p);
      const kind = p.mode === "pio" ? "pio-copy" : "dma-copy";
      assert.equal(sim.trace.bytes(kind), p.transferBytes);
      assert.equal(result.bytesRead, p.transferBytes);
      assert.equal(result.throughputBytesPerSec, (p.transferBytes / result.elapsedNs) * 1e9);
      assert.ok(result.elapsedNs > 0);
    }),
    {numRuns: RUNS},
  );
});

test("runDma() keeps CPU and disk busy no more than units × elapsed", () => {
  fc.assert(
    fc.property(dmaParams, (p) => {
      const {host, sim} = dma(p);
      const endNs = sim.scheduler.now();
      for (const r of [host.cpu, host.disk.resource]) assertWithinCapacity(r, endNs);
    }),
    {numRuns: RUNS},
  );
});

test("runDma() reports CPU shares that sum to 1", () => {
  fc.assert(
    fc.property(dmaParams, (p) => assertSharesSumToOne(dma(p).result.cpuShare)),
    {numRuns: RUNS},
  );
});

test("runDma() records trace events whose times never go backwards", () => {
  fc.assert(
    fc.property(dmaParams, (p) => assertTimeNeverGoesBack(dma(p).sim.trace.events)),
    {numRuns: RUNS},
  );
});

test("runDma({mode: \"pio\"}) keeps the CPU busier than runDma({mode: \"dma\"}) for the same read", () => {
  fc.assert(
    fc.property(dmaParams, (p) => {
      const io = (mode: "pio" | "dma") => dma({...p, mode, background: false}).result.ioCpuNs;
      assert.ok(io("pio") > io("dma"));
    }),
    {numRuns: 60},
  );
});
