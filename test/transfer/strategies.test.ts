import {test} from "node:test";
import assert from "node:assert/strict";
import {from} from "rxjs";
import {countEvents} from "../../src/analysis/metrics.js";
import {createSim} from "../../src/engine/sim.js";
import {Host} from "../../src/host/Host.js";
import {loadProfile} from "../../src/host/profiles.js";
import {InputError} from "../../src/errors.js";
import {runTransfer, strategies, type StrategyName} from "../../src/scenarios/transfer.js";
import {mmapWrite} from "../../src/transfer/mmapWrite.js";
import {readWrite} from "../../src/transfer/readWrite.js";
import {sendfile} from "../../src/transfer/sendfile.js";
import type {Transfer} from "../../src/transfer/internal/transferCore.js";

const profile = loadProfile("server-2024");
const KiB = 1024;

/** The seed's four counts of one run. */
function counts(strategy: StrategyName, chunks: number, cache: "cold" | "warm" = "cold") {
  const {result} = runTransfer({strategy, fileBytes: chunks * 64 * KiB, chunkBytes: 64 * KiB, cache, readaheadBytes: 0, profile});
  assert.equal(result.chunks, chunks);
  const {contextSwitches, dmaCopies, cpuCopies, syscalls} = result;
  return {contextSwitches, dmaCopies, cpuCopies, syscalls};
}

/** Per chunk, cold cache: the seed's table. */
const perChunk: Record<StrategyName, {contextSwitches: number; dmaCopies: number; cpuCopies: number; syscalls: number}> = {
  "read-write": {contextSwitches: 4, dmaCopies: 2, cpuCopies: 2, syscalls: 2},
  "mmap-write": {contextSwitches: 4, dmaCopies: 2, cpuCopies: 1, syscalls: 2},
  sendfile: {contextSwitches: 2, dmaCopies: 2, cpuCopies: 1, syscalls: 1},
  "sendfile-sg": {contextSwitches: 2, dmaCopies: 2, cpuCopies: 0, syscalls: 1},
};

for (const strategy of strategies) {
  const c = perChunk[strategy];
  test(`runTransfer({strategy: "${strategy}", cache: "cold"}) makes ${c.contextSwitches} context switches, ${c.dmaCopies} DMA copies, ${c.cpuCopies} CPU copies, ${c.syscalls} syscalls per chunk`, () => {
    assert.deepEqual(counts(strategy, 1), c);
  });

  test(`runTransfer({strategy: "${strategy}", cache: "warm"}) skips the disk DMA: one DMA copy per chunk`, () => {
    assert.deepEqual(counts(strategy, 1, "warm"), {...c, dmaCopies: c.dmaCopies - 1});
  });

  test(`runTransfer({strategy: "${strategy}"}) over 5 chunks gives 5 times the per-chunk counts`, () => {
    assert.deepEqual(counts(strategy, 5), {
      contextSwitches: 5 * c.contextSwitches,
      dmaCopies: 5 * c.dmaCopies,
      cpuCopies: 5 * c.cpuCopies,
      syscalls: 5 * c.syscalls,
    });
  });

  test(`runTransfer({strategy: "${strategy}", cache: "warm"}) over 5 chunks gives 5 times the warm counts`, () => {
    assert.deepEqual(counts(strategy, 5, "warm"), {
      contextSwitches: 5 * c.contextSwitches,
      dmaCopies: 5 * (c.dmaCopies - 1),
      cpuCopies: 5 * c.cpuCopies,
      syscalls: 5 * c.syscalls,
    });
  });
}

/** The (kind, detail) sequence of one cold chunk, interrupts aside. */
function steps(strategy: StrategyName) {
  const {sim} = runTransfer({strategy, fileBytes: 64 * KiB, chunkBytes: 64 * KiB, cache: "cold", profile});
  return sim.trace.events.filter((e) => e.kind !== "irq").map((e) => `${e.kind} ${e.detail}`);
}

test("readWrite() walks read(2) then write(2) through the seed's steps, in order", () => {
  assert.deepEqual(steps("read-write"), [
    "mode-switch user→kernel", "syscall read", "cache-miss file-0", "dma-copy disk→page-cache", "cpu-copy page-cache→user", "mode-switch kernel→user",
    "mode-switch user→kernel", "syscall write", "cpu-copy user→socket-buffer", "dma-copy socket-buffer→nic", "mode-switch kernel→user",
    "done file-0",
  ]);
});

test("mmapWrite() maps the pages, then copies page cache → socket buffer in write(2)", () => {
  assert.deepEqual(steps("mmap-write"), [
    "mode-switch user→kernel", "syscall mmap", "cache-miss file-0", "dma-copy disk→page-cache", "mode-switch kernel→user",
    "mode-switch user→kernel", "syscall write", "cpu-copy page-cache→socket-buffer", "dma-copy socket-buffer→nic", "mode-switch kernel→user",
    "done file-0",
  ]);
});

test("sendfile(host, {scatterGather: false}) copies page cache → socket buffer inside one call", () => {
  assert.deepEqual(steps("sendfile"), [
    "mode-switch user→kernel", "syscall sendfile", "cache-miss file-0", "dma-copy disk→page-cache",
    "cpu-copy page-cache→socket-buffer", "dma-copy socket-buffer→nic", "mode-switch kernel→user",
    "done file-0",
  ]);
});

test("sendfile(host, {scatterGather: true}) lets the NIC gather from the page cache, no CPU copy", () => {
  assert.deepEqual(steps("sendfile-sg"), [
    "mode-switch user→kernel", "syscall sendfile", "cache-miss file-0", "dma-copy disk→page-cache",
    "dma-copy page-cache→nic", "mode-switch kernel→user",
    "done file-0",
  ]);
});

test("runTransfer() takes one interrupt per DMA copy", () => {
  for (const strategy of strategies) {
    const {result} = runTransfer({strategy, fileBytes: 256 * KiB, chunkBytes: 64 * KiB, cache: "cold", profile});
    assert.equal(result.interrupts, result.dmaCopies, strategy);
  }
});

test("runTransfer({strategy: \"sendfile-sg\"}) is faster than read-write on the same warm file", () => {
  const time = (strategy: StrategyName) => runTransfer({strategy, fileBytes: 4 * 1024 * KiB, chunkBytes: 64 * KiB, cache: "warm", profile}).result.elapsedNs;
  assert.ok(time("sendfile-sg") < time("read-write"));
});

test("runTransfer({files: 3}) counts three files' chunks", () => {
  const {result} = runTransfer({strategy: "sendfile", fileBytes: 128 * KiB, chunkBytes: 64 * KiB, cache: "cold", files: 3, profile});
  assert.equal(result.chunks, 6);
  assert.equal(result.syscalls, 6);
  assert.equal(result.bytesDelivered, 3 * 128 * KiB);
});

test("runTransfer() with a last partial chunk delivers exactly the file", () => {
  const {result} = runTransfer({strategy: "read-write", fileBytes: 100_000, chunkBytes: 64 * KiB, cache: "cold", profile});
  assert.equal(result.chunks, 2);
  assert.equal(result.bytesDelivered, 100_000);
  assert.equal(result.contextSwitches, 8);
});

/** Runs *operator* over one request on a fresh host; returns the transfer and counts. */
function direct(make: (host: Host) => ReturnType<typeof readWrite>, fileBytes = 128 * KiB, hostOptions = {}) {
  const sim = createSim();
  const host = new Host(sim, profile, hostOptions);
  const out: Transfer[] = [];
  from([{file: {id: "a", sizeBytes: fileBytes}, pid: 9}]).pipe(make(host)).subscribe((t) => out.push(t));
  const endNs = sim.run();
  return {transfer: out[0], counts: countEvents(sim.trace), endNs, out};
}

test("readWrite(host, {chunkBytes}) used directly emits one Transfer with its chunks, bytes and times", () => {
  const {transfer, counts: c, endNs} = direct((h) => readWrite(h, {chunkBytes: 32 * KiB}));
  assert.deepEqual({...transfer, endNs: 0, latencyNs: 0}, {fileId: "a", pid: 9, bytes: 128 * KiB, requestedBytes: 128 * KiB, chunks: 4, startNs: 0, endNs: 0, latencyNs: 0});
  assert.equal(transfer.endNs, endNs);
  assert.equal(transfer.latencyNs, endNs);
  assert.equal(c.contextSwitches, 16);
});

test("mmapWrite(host) used directly defaults to 64 KiB chunks", () => {
  assert.equal(direct((h) => mmapWrite(h)).transfer.chunks, 2);
});

test("sendfile(host) defaults to the NIC's scatter-gather capability", () => {
  assert.equal(direct((h) => sendfile(h)).counts.cpuCopies, 0);
  assert.equal(direct((h) => sendfile(h), 128 * KiB, {scatterGather: false}).counts.cpuCopies, 2);
});

test("sendfile(host, {scatterGather: true}) on a NIC without SG-DMA is an InputError", () => {
  const host = new Host(createSim(), profile, {scatterGather: false});
  assert.throws(() => sendfile(host, {scatterGather: true}), (err: unknown) => err instanceof InputError && err.param === "scatterGather");
});

test("readWrite(host, {chunkBytes: 0}) is an InputError naming chunkBytes", () => {
  const host = new Host(createSim(), profile);
  for (const chunkBytes of [0, -4096, 1.5, NaN])
    assert.throws(() => readWrite(host, {chunkBytes}), (err: unknown) => err instanceof InputError && err.param === "chunkBytes");
});

test("readWrite(host) serves several requests one after another", () => {
  const sim = createSim();
  const host = new Host(sim, profile);
  const out: Transfer[] = [];
  from([{file: {id: "a", sizeBytes: 64 * KiB}}, {file: {id: "b", sizeBytes: 64 * KiB}, pid: 2}]).pipe(readWrite(host)).subscribe((t) => out.push(t));
  sim.run();
  assert.deepEqual(out.map((t) => [t.fileId, t.pid]), [["a", 1], ["b", 2]]);
  assert.equal(out[1].startNs, out[0].endNs);
});

test("readWrite(host) sends an empty file in zero chunks", () => {
  const {transfer, counts: c} = direct((h) => readWrite(h), 0);
  assert.equal(transfer.chunks, 0);
  assert.equal(transfer.bytes, 0);
  assert.equal(c.syscalls, 0);
});

test("runTransfer({readaheadBytes}) on a cold cache fetches ahead, so later chunks hit", () => {
  const {result} = runTransfer({strategy: "read-write", fileBytes: 256 * KiB, chunkBytes: 64 * KiB, cache: "cold", readaheadBytes: 128 * KiB, profile});
  assert.ok(result.cacheHitPages > 0);
  assert.ok(result.dmaCopies < 2 * result.chunks);
});
