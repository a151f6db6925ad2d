/**
 * Invariants every run must keep, checked over many random parameter sets
 * with fast-check: bytes delivered equal bytes requested, no resource is
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

test("runTransfer() delivers exactly the bytes requested", () => {
  fc.assert(
    fc.property(transferParams, (p) => {
      const {result, transfers} = transfer(p);
      assert.equal(result.bytesDelivered, p.files * p.fileBytes);
      assert.equal(result.bytesRequested, result.bytesDelivered);
      assert.equal(transfers.length, p.files);
      assert.equal(result.chunks, p.files * Math.ceil(p.fileBytes / p.chunkBytes));
    }),
    {numRuns: RUNS},
  );
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
      assert.equal(result.transferBytes, p.transferBytes);
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
