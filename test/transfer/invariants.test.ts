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
import {SocketPaths} from "../../src/transfer/internal/socketPath.js";
import {spawn} from "../../src/engine/process.js";
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
  link: fc.constantFrom("nic" as const, "loopback" as const),
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
  for (const t of transfers) assert.equal(t.bytes, t.requestedBytes, `${t.fileId}: ${t.bytes} of ${t.requestedBytes} bytes were delivered`);
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
  assert.throws(() => assertEveryByteDelivered(transfers, 200 * KiB), /f: 0 of 204800 bytes were delivered/);
});

test("the delivered-bytes invariant catches a recipe that sends half of each chunk", () => {
  const transfers = runRecipe(sendsHalf, 200 * KiB);
  assert.deepEqual(transfers.map((t) => t.bytes), [3 * 32 * KiB + 4 * KiB]);
  assert.throws(() => assertEveryByteDelivered(transfers, 200 * KiB), /f: 102400 of 204800 bytes were delivered/);
});

test("the delivered-bytes invariant passes read + write's own recipe on the same run", () => {
  assertEveryByteDelivered(runRecipe(readWriteChunk, 200 * KiB), 200 * KiB);
});

test("the delivered-bytes invariant counts only what left through the NIC: bytes still in the send buffer are not delivered", () => {
  // A transfer measured before its last skb left: the sink's count lags what was written into the socket.
  const sim = createSim({seed: 0});
  const host = new Host(sim, profiles["server-2024"]);
  const paths = new SocketPaths(host);
  const sink = paths.open(1);
  const seen: Array<[number, number]> = [];
  spawn(sim, 1, function* () {
    yield* sink.write(100 * KiB, {copyFrom: "user"});
    seen.push([sink.written, sink.deliveredBytes]);
    yield* sink.finish();
    seen.push([sink.written, sink.deliveredBytes]);
  }).subscribe();
  sim.run();
  assert.equal(seen.length, 2);
  assert.ok(seen[0][1] < seen[0][0], `delivered ${seen[0][1]} of ${seen[0][0]} written before the NIC sent the rest`);
  assert.deepEqual(seen[1], [100 * KiB, 100 * KiB]);
});

test("runTransfer() sends every byte through the NIC once (nic), or through loopback once to the receiver's one copy out (loopback)", () => {
  fc.assert(
    fc.property(transferParams, (p) => {
      const {sim} = transfer(p);
      if (p.link === "nic") {
        const wirePayload = sim.trace.filter("packet").filter((e) => e.detail === "tx").reduce((s, e) => s + e.bytes, 0);
        assert.equal(wirePayload, p.files * p.fileBytes);
      } else {
        assert.equal(sim.trace.filter("packet").filter((e) => e.detail === "lo").reduce((s, e) => s + e.bytes, 0), p.files * p.fileBytes);
        assert.equal(sim.trace.filter("cpu-copy").filter((e) => e.detail === "skb→user").reduce((s, e) => s + e.bytes, 0), p.files * p.fileBytes);
        assert.equal(sim.trace.filter("dma-copy").filter((e) => e.detail.endsWith("→nic")).length, 0);
      }
    }),
    {numRuns: RUNS},
  );
});

test("runTransfer() keeps CPU, disk and NIC busy no more than units × elapsed", () => {
  fc.assert(
    fc.property(transferParams, (p) => {
      const {host, result, simEndNs} = transfer(p);
      // The run goes on after the last byte was delivered (ACKs on their way back): devices are checked over the whole run.
      for (const r of [host.cpu, host.disk.resource, host.nic.resource]) assertWithinCapacity(r, simEndNs);
      assert.ok(result.cpuBusyNs <= host.cpu.units * result.elapsedNs * (1 + 1e-12) + 1e-6, "CPU until the last byte was delivered");
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
      const {sim, result, simEndNs} = transfer(p);
      if (p.link === "nic") assertTimeNeverGoesBack(sim.trace.events);
      else {
        // Two tasks (sender, receiver) share the cores: the engine records a step's event after its core's task switch
        // (at start + switchNs, Resource.start), so events of two tasks may interleave out of order by up to one switch.
        // Each task's own events never go back.
        for (const pid of new Set(sim.trace.events.map((e) => e.pid))) assertTimeNeverGoesBack(sim.trace.events.filter((e) => e.pid === pid));
      }
      assert.ok(sim.trace.events.at(-1)!.timeNs <= simEndNs);
      assert.equal(sim.trace.filter("done").at(-1)!.timeNs, result.elapsedNs);
    }),
    {numRuns: RUNS},
  );
});

test("runTransfer() counts match the seed's per-chunk table whenever readahead is off (sendfile: one call per file; mmap-write: a write per chunk, mmap and munmap per file; the loopback receiver's calls and copies apart)", () => {
  const table = {"read-write": [4, 2, 2], "mmap-write": [2, 2, 1], sendfile: [2, 2, 1], "sendfile-sg": [2, 2, 0]};
  fc.assert(
    fc.property(transferParams, (p) => {
      const {result, sim} = transfer({...p, readaheadBytes: 0});
      const [cs, dmaCopies, cpuCopies] = table[p.strategy];
      const n = result.chunks;
      const calls = p.strategy.startsWith("sendfile") ? p.files : n;
      // The sender's events: the loopback receiver (another pid) makes its own recv calls and copies.
      const sender = sim.trace.events.filter((e) => e.pid === 1);
      // mmap-write maps each file whole: mmap and munmap, two mode switches each, per file.
      assert.equal(sender.filter((e) => e.kind === "mode-switch").length, cs * calls + (p.strategy === "mmap-write" ? 4 * p.files : 0));
      assert.equal(sender.filter((e) => e.kind === "cpu-copy").length, cpuCopies * n);
      // Pages are 4 KiB: a cold chunk lying wholly inside a page an earlier chunk fetched is a hit and needs no disk DMA.
      // mmap-write reads what its faults map: one fault-around window (16 pages) at a time, not a chunk.
      assert.ok(result.diskDmas <= (p.strategy === "mmap-write" ? result.pageFaults : n));
      if (p.cache === "warm") assert.equal(result.diskDmas, 0);
      // Each byte crosses the NIC by DMA once (none over loopback: the seed's second DMA copy is the NIC's), and, cold,
      // once from the disk (each page is fetched once, cut at the end of the file).
      const nicCopies = p.link === "nic" ? 1 : 0;
      assert.equal(result.dataDmaBytes / (p.files * p.fileBytes), (p.cache === "cold" ? dmaCopies - 1 : dmaCopies - 2) + nicCopies);
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
