import {test} from "node:test";
import assert from "node:assert/strict";
import {from} from "rxjs";
import {countEvents} from "../../src/analysis/metrics.js";
import {createSim} from "../../src/engine/sim.js";
import {Host} from "../../src/host/Host.js";
import {loadProfile, parseProfile} from "../../src/host/profiles.js";
import {InputError} from "../../src/errors.js";
import {runTransfer, strategies, type StrategyName} from "../../src/scenarios/transfer.js";
import {mmapWrite} from "../../src/transfer/mmapWrite.js";
import {readWrite} from "../../src/transfer/readWrite.js";
import {sendfile} from "../../src/transfer/sendfile.js";
import type {Transfer} from "../../src/transfer/internal/transferCore.js";
import type {DataPathSettings} from "../../src/net/dataPath.js";

const profile = loadProfile("server-2024");
const KiB = 1024;

/** The seed's counts of one run of *chunks* 64 KiB chunks: mode switches, CPU copies and system calls, and the DMA copies each byte went through. */
function counts(strategy: StrategyName, chunks: number, cache: "cold" | "warm" = "cold") {
  const {result} = runTransfer({strategy, fileBytes: chunks * 64 * KiB, chunkBytes: 64 * KiB, cache, readaheadBytes: 0, profile});
  assert.equal(result.chunks, chunks);
  const {contextSwitches, cpuCopies, syscalls, diskDmas} = result;
  return {contextSwitches, cpuCopies, syscalls, diskDmas, dmaCopiesPerByte: result.dataDmaBytes / result.bytesDelivered};
}

/**
 * Per chunk with a cold cache: the seed's table, where each chunk is its own
 * round of system calls. sendfile is one system call per file (the kernel
 * loops over the chunks inside it), and mmap + write maps the whole file
 * once and unmaps it at the end (mmap and munmap per file, a write per
 * chunk), so those calls are per file; the NIC's DMA transfers are per skb
 * (TSO super-segments), so the DMA copies are counted per byte: how many
 * times each byte crossed by DMA.
 */
const perChunk: Record<StrategyName, {callsPerChunk: number; callsPerFile: number; dmaCopies: number; cpuCopies: number}> = {
  "read-write": {callsPerChunk: 2, callsPerFile: 0, dmaCopies: 2, cpuCopies: 2},
  "mmap-write": {callsPerChunk: 1, callsPerFile: 2, dmaCopies: 2, cpuCopies: 1},
  sendfile: {callsPerChunk: 0, callsPerFile: 1, dmaCopies: 2, cpuCopies: 1},
  "sendfile-sg": {callsPerChunk: 0, callsPerFile: 1, dmaCopies: 2, cpuCopies: 0},
};

/** The expected counts of *chunks* chunks: each system call is two mode switches. */
function expected(strategy: StrategyName, chunks: number, cache: "cold" | "warm") {
  const c = perChunk[strategy];
  const calls = c.callsPerChunk * chunks + c.callsPerFile;
  return {
    contextSwitches: 2 * calls,
    cpuCopies: c.cpuCopies * chunks,
    syscalls: calls,
    diskDmas: cache === "cold" ? chunks : 0,
    dmaCopiesPerByte: cache === "cold" ? c.dmaCopies : c.dmaCopies - 1,
  };
}

for (const strategy of strategies) {
  const c = perChunk[strategy];
  const calls = `${c.callsPerChunk} system calls per chunk and ${c.callsPerFile} per file`;
  test(`runTransfer({strategy: "${strategy}", cache: "cold"}) makes ${calls}, ${c.cpuCopies} CPU copies per chunk, and 2 DMA copies of each byte`, () => {
    assert.deepEqual(counts(strategy, 1), expected(strategy, 1, "cold"));
  });

  test(`runTransfer({strategy: "${strategy}", cache: "warm"}) skips the disk DMA: one DMA copy of each byte`, () => {
    assert.deepEqual(counts(strategy, 1, "warm"), expected(strategy, 1, "warm"));
  });

  test(`runTransfer({strategy: "${strategy}"}) over 5 chunks gives 5 times the per-chunk counts and the per-file calls once`, () => {
    assert.deepEqual(counts(strategy, 5), expected(strategy, 5, "cold"));
  });

  test(`runTransfer({strategy: "${strategy}", cache: "warm"}) over 5 chunks gives 5 times the warm per-chunk counts and the per-file calls once`, () => {
    assert.deepEqual(counts(strategy, 5, "warm"), expected(strategy, 5, "warm"));
  });
}

test('runTransfer({strategy: "mmap-write", mmapMapping: "chunk"}) maps, writes and unmaps each chunk: 3 system calls per chunk, as the seed\'s model does with its munmap', () => {
  for (const cache of ["cold", "warm"] as const) {
    const {result} = runTransfer({strategy: "mmap-write", mmapMapping: "chunk", fileBytes: 5 * 64 * KiB, chunkBytes: 64 * KiB, cache, readaheadBytes: 0, profile});
    assert.deepEqual([result.chunks, result.syscalls, result.contextSwitches, result.cpuCopies, result.pageFaults, result.tlbFlushes], [5, 15, 30, 5, 5, 5], cache);
  }
});

/** The (kind, detail) sequence of one cold 32 KiB chunk in the seed's vocabulary (mode switches, calls, copies; no ACKs), with a send buffer that holds it. */
function steps(strategy: StrategyName, moreKinds: string[] = []) {
  const {sim} = runTransfer({strategy, fileBytes: 32 * KiB, chunkBytes: 32 * KiB, cache: "cold", profile, dataPath: {sndbufBytes: 1024 * KiB}, keepEvents: true});
  const kinds = new Set(["mode-switch", "syscall", "cache-miss", "dma-copy", "cpu-copy", "done", ...moreKinds]);
  return sim.trace.events.filter((e) => kinds.has(e.kind) && e.detail !== "nic→skb").map((e) => `${e.kind} ${e.detail}`);
}

test("readWrite() walks read(2) then write(2) through the seed's steps; the NIC sends the skb after write(2) has returned", () => {
  assert.deepEqual(steps("read-write"), [
    "mode-switch user→kernel", "syscall read", "cache-miss file-0", "dma-copy disk→page-cache", "cpu-copy page-cache→user", "mode-switch kernel→user",
    "mode-switch user→kernel", "syscall write", "cpu-copy user→socket-buffer", "mode-switch kernel→user", "dma-copy skb→nic",
    "done file-0",
  ]);
});

test("mmapWrite() maps the file; write(2)'s copy faults the pages in (reading them from disk), copies page cache → socket buffer; munmap flushes the TLB", () => {
  assert.deepEqual(steps("mmap-write", ["page-fault", "tlb-flush"]), [
    "mode-switch user→kernel", "syscall mmap", "mode-switch kernel→user",
    "mode-switch user→kernel", "syscall write", "page-fault fault-around", "cache-miss file-0", "dma-copy disk→page-cache",
    "cpu-copy page-cache→socket-buffer", "mode-switch kernel→user",
    "mode-switch user→kernel", "syscall munmap", "tlb-flush local 8 pages, 0 IPIs", "mode-switch kernel→user", "dma-copy skb→nic",
    "done file-0",
  ]);
});

test("sendfile(host, {scatterGather: false}) copies page cache → socket buffer inside one call", () => {
  assert.deepEqual(steps("sendfile"), [
    "mode-switch user→kernel", "syscall sendfile", "cache-miss file-0", "dma-copy disk→page-cache",
    "cpu-copy page-cache→socket-buffer", "mode-switch kernel→user", "dma-copy skb→nic",
    "done file-0",
  ]);
});

test("sendfile(host, {scatterGather: true}) lets the NIC gather from the page cache, no CPU copy", () => {
  assert.deepEqual(steps("sendfile-sg"), [
    "mode-switch user→kernel", "syscall sendfile", "cache-miss file-0", "dma-copy disk→page-cache",
    "mode-switch kernel→user", "dma-copy page-cache→nic",
    "done file-0",
  ]);
});

test("runTransfer() takes one interrupt per disk DMA and per NIC transmit DMA, plus the NIC's receive interrupts", () => {
  for (const strategy of strategies) {
    const {result} = runTransfer({strategy, fileBytes: 256 * KiB, chunkBytes: 64 * KiB, cache: "cold", profile});
    assert.ok(result.nicDmas > 0 && result.rxInterrupts > 0, strategy);
    assert.equal(result.interrupts, result.diskDmas + result.nicDmas + result.rxInterrupts, strategy);
  }
});

test("runTransfer({strategy: \"sendfile-sg\"}) is faster than read-write on the same warm file where the CPU bounds the transfer (loopback), and uses less sender CPU over a NIC too", () => {
  const run = (strategy: StrategyName, link: "loopback" | "nic") => runTransfer({strategy, fileBytes: 4 * 1024 * KiB, chunkBytes: 64 * KiB, cache: "warm", profile, link}).result;
  // On loopback both ends' work is CPU work: the copies that sendfile-sg skips are on the critical path.
  assert.ok(run("sendfile-sg", "loopback").elapsedNs < run("read-write", "loopback").elapsedNs);
  // Over the NIC a 4 MiB transfer is bound by slow start's round trips and the send buffer, not by the copies: its
  // elapsed time goes either way by a fraction of a round trip; the CPU it saves does not.
  assert.ok(run("sendfile-sg", "nic").senderCpuNs < run("read-write", "nic").senderCpuNs / 2);
});

test("runTransfer({files: 3}) counts three files' chunks, and one sendfile(2) per file", () => {
  const {result} = runTransfer({strategy: "sendfile", fileBytes: 128 * KiB, chunkBytes: 64 * KiB, cache: "cold", files: 3, profile});
  assert.equal(result.chunks, 6);
  assert.equal(result.syscalls, 3);
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
  assert.deepEqual({...transfer, endNs: 0, latencyNs: 0}, {fileId: "a", pid: 9, bytes: 128 * KiB, requestedBytes: 128 * KiB, chunks: 4, startNs: 0, endNs: 0, latencyNs: 0, link: "nic", receiverCpuNs: 0, irqContextNs: {sender: 0, receiver: 0}, receiverSleeps: 0, receiverCoalesced: 0});
  // The run goes on after the last byte left the NIC (its ACK is on the way back).
  assert.ok(transfer.endNs > 0 && transfer.endNs < endNs);
  assert.equal(transfer.latencyNs, transfer.endNs);
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
  assert.ok(result.diskDmas < result.chunks);
});

// ---- The socket's mechanisms (issue 9, items 1–3) ----

const MiB = 1024 * KiB;

test("runTransfer({dataPath: {sndbufBytes}}) with a larger send buffer overlaps the next copy with sending: less elapsed time", () => {
  const elapsed = (sndbufBytes: number) =>
    runTransfer({strategy: "read-write", fileBytes: 4 * MiB, chunkBytes: 64 * KiB, cache: "warm", profile, dataPath: {sndbufBytes}}).result;
  const small = elapsed(64 * KiB);
  const large = elapsed(4 * MiB);
  assert.ok(large.elapsedNs < small.elapsedNs, `${large.elapsedNs} ≥ ${small.elapsedNs}`);
  // The same work either way: the buffer changes when the copies run, not how many there are.
  assert.deepEqual([large.cpuCopies, large.bytesDelivered], [small.cpuCopies, small.bytesDelivered]);
});

test("runTransfer() with autotuning grows the send buffer and ends sooner than a buffer fixed at tcp_wmem[1]", () => {
  const run = (sndbufBytes: number | "auto") =>
    runTransfer({strategy: "sendfile-sg", fileBytes: 4 * MiB, chunkBytes: 64 * KiB, cache: "warm", profile, dataPath: {sndbufBytes}}).result.elapsedNs;
  assert.ok(run("auto") < run(profile.net.wmemBytes));
});

test("runTransfer({dataPath: {rxCoalesceNs}}) coalescing cuts the NIC's receive interrupts for the same ACKs", () => {
  const run = (rxCoalesceNs: number, napi = true) =>
    runTransfer({strategy: "sendfile-sg", fileBytes: 8 * MiB, chunkBytes: 64 * KiB, cache: "warm", profile, dataPath: {rxCoalesceNs, napi, sndbufBytes: 4 * MiB}}).result;
  const perPacket = run(0, false);
  const coalesced = run(64_000);
  assert.equal(perPacket.rxInterrupts, perPacket.acksReceived);
  assert.ok(coalesced.rxInterrupts < coalesced.acksReceived, `${coalesced.rxInterrupts} interrupts for ${coalesced.acksReceived} ACKs`);
  assert.ok(coalesced.rxInterrupts < perPacket.rxInterrupts);
});

test("runTransfer({dataPath: {tso: false}}) hands the NIC one skb per MSS: more DMAs and more transmit CPU than with TSO", () => {
  const run = (tso: boolean) => runTransfer({strategy: "sendfile-sg", fileBytes: 1 * MiB, chunkBytes: 64 * KiB, cache: "warm", profile, dataPath: {tso}}).result;
  const off = run(false);
  const on = run(true);
  assert.equal(off.nicDmas, off.segments);
  assert.ok(on.nicDmas < on.segments);
  assert.ok(off.cpuShare["net-tx"] * off.cpuBusyNs > on.cpuShare["net-tx"] * on.cpuBusyNs);
});

test("runTransfer({link: \"loopback\"}) reports the receiver's CPU beside the sender's; over a NIC the receiver is another machine", () => {
  for (const strategy of strategies) {
    const lo = runTransfer({strategy, fileBytes: 1 * MiB, chunkBytes: 64 * KiB, cache: "warm", profile, link: "loopback"}).result;
    assert.equal(lo.link, "loopback");
    assert.equal(lo.bytesDelivered, 1 * MiB);
    // The receiver copies every byte out of the skbs once, at best at the fastest rate the profile knows: a lower bound on its CPU.
    const fastest = Math.max(profile.memory.copyBytesPerNs, profile.memory.copyFromMemoryBytesPerNs ?? 0, ...(profile.memory.copyCurve ?? []).map(([, r]) => r));
    assert.ok(lo.receiverCpuNs > MiB / fastest, `${strategy}: ${lo.receiverCpuNs}`);
    assert.ok(lo.senderCpuNs > 0 && lo.senderCpuNs < lo.cpuBusyNs);
    // No NIC: no DMA to it, no wire packets, no NIC interrupts.
    assert.deepEqual([lo.nicDmas, lo.rxInterrupts, lo.dataDmaBytes], [0, 0, 0]);
    const nic = runTransfer({strategy, fileBytes: 1 * MiB, chunkBytes: 64 * KiB, cache: "warm", profile, link: "nic"}).result;
    assert.equal(nic.receiverCpuNs, 0);
    assert.equal(nic.senderCpuNs, nic.cpuBusyNs);
  }
});

test("runTransfer({link: \"loopback\"}) receiverCpuNs covers at least the receiver's own traced steps (mode switches, system calls, copies)", () => {
  const {result, sim} = runTransfer({strategy: "sendfile-sg", fileBytes: 1 * MiB, chunkBytes: 64 * KiB, cache: "warm", profile, link: "loopback", keepEvents: true});
  const pids = new Set(sim.trace.events.filter((e) => e.kind === "cpu-copy" && e.detail === "skb→user").map((e) => e.pid));
  assert.equal(pids.size, 1);
  const [receiver] = pids;
  const traced = sim.trace.events.filter((e) => e.pid === receiver && ["mode-switch", "syscall", "cpu-copy", "task-switch"].includes(e.kind)).reduce((a, e) => a + e.durationNs, 0);
  assert.ok(traced > 0 && result.receiverCpuNs >= traced - 1e-6, `${result.receiverCpuNs} < ${traced}`);
  assert.notEqual(receiver, 1);
});

test("runTransfer({link: \"loopback\"}): the sender copies what each strategy keeps (read + write twice, mmap + write and sendfile once, SG never), the copy into the skbs at the send buffer's cached rate", () => {
  const fileBytes = 4 * MiB;
  const run = (strategy: StrategyName) => {
    const {result, sim} = runTransfer({strategy, fileBytes, chunkBytes: 64 * KiB, cache: "warm", profile, link: "loopback", keepEvents: true});
    const copies = sim.trace.events.filter((e) => e.kind === "cpu-copy" && e.detail !== "skb→user");
    return {senderCpuNs: result.senderCpuNs, copiedBytes: copies.reduce((a, e) => a + e.bytes, 0), copyNs: copies.reduce((a, e) => a + e.durationNs, 0), details: [...new Set(copies.map((e) => e.detail))].sort()};
  };
  const [rw, mw, sf, sg] = (["read-write", "mmap-write", "sendfile", "sendfile-sg"] as const).map(run);
  assert.deepEqual([rw.copiedBytes, mw.copiedBytes, sf.copiedBytes, sg.copiedBytes], [2 * fileBytes, fileBytes, fileBytes, 0]);
  assert.deepEqual(rw.details, ["page-cache→user", "user→socket-buffer"]);
  // Out of the page cache (streaming from memory) into skbs that cycle through the send buffer: the same rate for mmap + write
  // and sendfile; read + write's second copy, between two cached buffers, costs less than its first.
  assert.ok(Math.abs(mw.copyNs / sf.copyNs - 1) < 1e-9, `${mw.copyNs} ${sf.copyNs}`);
  assert.ok(rw.copyNs - mw.copyNs < mw.copyNs, `${rw.copyNs} ${mw.copyNs}`);
  assert.ok(rw.copyNs > mw.copyNs);
  // With no copy at all the sender's CPU is the least.
  assert.ok(sg.senderCpuNs < Math.min(rw.senderCpuNs, mw.senderCpuNs, sf.senderCpuNs), `${rw.senderCpuNs} ${mw.senderCpuNs} ${sf.senderCpuNs} ${sg.senderCpuNs}`);
});

test("runTransfer({link: \"loopback\"}): sendfile's rounds but its last pass MSG_MORE, so a round's short tail waits for the next round's bytes (fewer segments than the same file written in 64 KiB calls)", () => {
  // A slow protocol path (the per-skb costs × 5), where the ACK that would let a tail go under Nagle's rule comes late.
  const raw = JSON.parse(JSON.stringify(profile)) as typeof profile & {net: Record<string, number>};
  for (const f of ["txSegmentNs", "rxPacketNs", "rxSegmentNs", "skbAllocNs"]) raw.net[f] *= 5;
  const slow = parseProfile(raw, "slow protocol path");
  const fileBytes = 4 * MiB;
  const segments = (strategy: StrategyName, p = slow) => runTransfer({strategy, fileBytes, chunkBytes: 64 * KiB, cache: "warm", profile: p, link: "loopback"}).result.segments;
  const rounds = fileBytes / (64 * KiB);
  // read + write: each 64 KiB call pushes without MSG_MORE, so its 52-byte tail leaves too: two segments a call; the
  // first call three, sent at half the receiver's first window of one MSS (tcp_bound_to_half_wnd: 32742, 32742, 52).
  // Exactly so where each tail's ACK is back before the next call's tail (Nagle's rule, tcp_minshall_check, holds a
  // short segment while an earlier one is unacknowledged): on the profile's own costs.
  assert.equal(segments("read-write", profile), 2 * rounds + 1);
  const rw = segments("read-write");
  for (const strategy of ["sendfile", "sendfile-sg"] as const) {
    const n = segments(strategy);
    assert.ok(n < 2 * rounds && n < rw && n >= Math.ceil(fileBytes / 65483), `${strategy}: ${n} segments for ${rounds} rounds (read + write ${rw})`);
  }
});

test("runTransfer({strategy: \"sendfile\"}) makes one system call per file whatever its size", () => {
  for (const fileBytes of [4 * KiB, 1 * MiB, 16 * MiB]) {
    const {result} = runTransfer({strategy: "sendfile", fileBytes, chunkBytes: 64 * KiB, cache: "warm", profile, files: 2});
    assert.equal(result.syscalls, 2, `${fileBytes}`);
    assert.equal(result.contextSwitches, 4);
    assert.equal(result.chunks, 2 * Math.ceil(fileBytes / (64 * KiB)));
  }
});

test("runTransfer() charges an skb allocation per skb and, for zero-copy, a page reference per page", () => {
  const run = (strategy: StrategyName, net: Partial<typeof profile.net>, dataPath: Partial<DataPathSettings> = {}) => {
    const r = runTransfer({strategy, fileBytes: 1 * MiB, chunkBytes: 32 * KiB, cache: "warm", profile: {...profile, net: {...profile.net, ...net}}, dataPath});
    return {...r.result, cpuNsByCategory: r.cpuNsByCategory};
  };
  // 256 pages of 4 KiB, 1000 ns each: with a buffer that never fills, every skb holds whole pages.
  assert.equal(run("sendfile-sg", {pageRefNs: 1000}, {sndbufBytes: 4 * MiB}).cpuNsByCategory["page-ref"], 256 * 1000);
  // Without TSO every skb holds one MSS (1448 bytes): a page split between two skbs is referenced by both.
  const mssPages = run("sendfile-sg", {pageRefNs: 1000}, {sndbufBytes: 4 * MiB, tso: false}).cpuNsByCategory["page-ref"] / 1000;
  let expectedPages = 0;
  for (let off = 0; off < MiB; off += 32 * KiB)
    for (let at = off; at < off + 32 * KiB; at += 1448) expectedPages += Math.floor((Math.min(at + 1448, off + 32 * KiB) - 1) / 4096) - Math.floor(at / 4096) + 1;
  assert.equal(mssPages, expectedPages);
  assert.equal(run("sendfile", {pageRefNs: 1000}).cpuNsByCategory["page-ref"], undefined, "a copying sendfile takes no page references");
  // One allocation per skb handed to the NIC (none is ever cut in two: the window is never the limit here).
  const r = run("read-write", {skbAllocNs: 1000});
  assert.equal(r.cpuNsByCategory["skb-alloc"], r.nicDmas * 1000);
});

test("runTransfer() without the NIC's checksum offload sums every byte sent on the CPU", () => {
  const run = (checksumOffload: boolean) =>
    runTransfer({strategy: "read-write", fileBytes: 1 * MiB, chunkBytes: 64 * KiB, cache: "warm", profile: {...profile, nic: {...profile.nic, checksumOffload}}}).cpuNsByCategory;
  assert.equal(Math.round(run(false).checksum), Math.round(MiB / profile.net.checksumBytesPerNs));
  assert.equal(run(true).checksum, undefined);
});

test("runTransfer({link: 'loopback'}): an skb that finds the reader asleep is processed in the softirq on the sender's core (tcp_v4_rcv: socket not owned), one that finds it inside recv waits on the backlog for the reader", async () => {
  const {writeFileSync} = await import("node:fs");
  const {join} = await import("node:path");
  const {tempDir} = await import("../helpers/files.js");
  const {loadProfile} = await import("../../src/host/profiles.js");
  const {runTransfer} = await import("../../src/scenarios/transfer.js");
  const base = loadProfile("server-2024");
  const delta = 100_000;
  const file = join(tempDir("iosim-lo-"), "slow-rx.json");
  writeFileSync(file, JSON.stringify({extends: "server-2024", net: {rxSegmentNs: base.net.rxSegmentNs + delta}}));
  const slow = loadProfile(file);
  for (const strategy of ["read-write", "sendfile-sg"] as const) {
    const run = (profile: typeof base) => runTransfer({strategy, fileBytes: 1024 * 1024, chunkBytes: 64 * 1024, cache: "warm", link: "loopback", profile, keepEvents: false}).result;
    const a = run(base);
    const b = run(slow);
    // Extra tcp_rcv_established work booked on each side, in units of the added delta (timing moves too, so not whole units).
    const senderSteps = (b.senderCpuNs - a.senderCpuNs) / delta;
    const receiverSteps = (b.receiverCpuNs - a.receiverCpuNs) / delta;
    // The first skb always finds the reader asleep in its first wait: at least one is processed on the sender's core.
    assert.ok(senderSteps >= 0.9, `${strategy}: sender ${senderSteps}`);
    // The reader still processes its backlog and the ACKs' tcp_ack (one per recv) on its own core.
    assert.ok(receiverSteps >= 0.9, `${strategy}: receiver ${receiverSteps}`);
  }
});

test("over loopback each side's CPU time holds the wake-up IPIs it took and sent (the woken reader's are the reader's, as its thread clock counts them)", () => {
  // Halting idle cores and a wake-up IPI far dearer than anything else the reader does: 5 ms to take, 1 ms to send.
  const base = loadProfile("server-2024");
  const profile = {...base, cpu: {...base.cpu, cores: 2, idlePolls: false, ipiNs: 5_000_000, ipiSendNs: 1_000_000}};
  const {result, sim} = runTransfer({strategy: "read-write", fileBytes: 1024 * KiB, chunkBytes: 64 * KiB, receiveBytes: 64 * KiB, cache: "warm", link: "loopback", profile, keepEvents: true});
  const ipis = sim.trace.events.filter((e) => e.kind === "ipi");
  const receiver = (e: {pid: number}) => e.pid >= 1_000_000;
  const ns = (events: typeof ipis) => events.reduce((a, e) => a + e.durationNs, 0);
  const rxIpiNs = ns(ipis.filter(receiver));
  const txIpiNs = ns(ipis.filter((e) => !receiver(e)));
  assert.ok(ipis.some((e) => receiver(e) && e.detail === "taken"), "the reader is woken across cores");
  assert.ok(ipis.some((e) => !receiver(e) && e.detail === "sent"), "by the sender's core");
  // Each IPI taken has its send: as many "sent" as "taken", each at its price.
  assert.equal(ipis.filter((e) => e.detail === "sent").length, ipis.filter((e) => e.detail === "taken").length);
  assert.ok(result.receiverCpuNs >= rxIpiNs, `${result.receiverCpuNs} ≥ ${rxIpiNs}`);
  assert.ok(result.senderCpuNs >= txIpiNs, `${result.senderCpuNs} ≥ ${txIpiNs}`);
  // Everything else either side does for 1 MiB is far below one IPI taken.
  assert.ok(result.receiverCpuNs - rxIpiNs < 1_000_000, `reader's own work ${result.receiverCpuNs - rxIpiNs} ns`);
  assert.equal(result.cpuBusyNs, result.senderCpuNs + result.receiverCpuNs);
});

test("over loopback the reader ACKs once per two full segments, as Linux does: one ACK per 64 KiB write (a full segment and its 52-byte tail), one per two segments of one big write", () => {
  const acks = (strategy: StrategyName, chunkBytes: number) => {
    const {result, sim} = runTransfer({strategy, fileBytes: 4 * MiB, chunkBytes, receiveBytes: 64 * KiB, cache: "warm", link: "loopback", profile, keepEvents: true});
    const events = sim.trace.events.filter((e) => e.kind === "packet" && (e.detail === "lo" || e.detail === "lo-ack"));
    const data = events.filter((e) => e.detail === "lo").length;
    return {acks: result.acksReceived, data, events, traced: events.length - data};
  };
  // read + write: each write of 65536 bytes is a segment of one MSS (65484) and one of 52 bytes; the second takes
  // rcv_nxt − rcv_wup past one MSS, so each pair gets one ACK. The first write leaves at half the receiver's first window
  // of one MSS (32742, 32742, 52), and the quick ACKs go while the window opens; from the first full segment on, one ACK
  // per write, the first pair's quick one aside.
  const rw = acks("read-write", 64 * KiB);
  assert.equal(rw.data, 129);
  assert.equal(rw.traced, rw.acks);
  const opened = rw.events.findIndex((e) => e.detail === "lo" && e.bytes === 65484);
  const after = rw.events.slice(opened);
  const pairs = after.filter((e) => e.detail === "lo" && e.bytes === 65484).length;
  assert.equal(after.filter((e) => e.detail === "lo" && e.bytes === 52).length, pairs);
  const acksAfter = after.filter((e) => e.detail === "lo-ack").length;
  assert.ok(acksAfter >= pairs && acksAfter <= pairs + 1, `read + write: ${acksAfter} ACKs for ${pairs} writes once the window opened`);
  // mmap + write of the whole file in one call: the segments that reach the reader's backlog while it copies get one ACK
  // when it releases its socket (TCP_ACK_DEFERRED), so fewer than one per two segments.
  const mm = acks("mmap-write", 4 * MiB);
  assert.equal(mm.events.filter((e) => e.detail === "lo").reduce((a, e) => a + e.bytes, 0), 4 * MiB);
  assert.ok(mm.acks > 0 && mm.acks < mm.data / 2, `mmap + write: ${mm.acks} ACKs for ${mm.data} segments`);
});

test("over loopback an established connection's send buffer is what tcp_sndbuf_expand gives it (2.6 MB for lo's MTU), so a 64 KiB write is one skb of one MSS and its tail, not pieces of a 16 KiB buffer", () => {
  const {sim} = runTransfer({strategy: "read-write", fileBytes: 1 * MiB, chunkBytes: 64 * KiB, cache: "warm", link: "loopback", profile, keepEvents: true});
  const sizes = sim.trace.events.filter((e) => e.kind === "packet" && e.detail === "lo").map((e) => e.bytes);
  // The first segment is half the receiver's first window of one MSS (tcp_bound_to_half_wnd); once the window has
  // opened past two MSS (the first full segment), only full segments and their tails.
  assert.equal(sizes[0], 65484 >> 1);
  const opened = sizes.indexOf(65484);
  assert.ok(opened > 0 && opened < 10, `the window opened at segment ${opened}`);
  assert.deepEqual([...new Set(sizes.slice(opened))].sort((a, b) => a - b), [52, 65484]);
});

test("over loopback a window update that acknowledges nothing new still opens the sender's window: a reader slower than the sender lets it fill the 32 MiB window, and the transfer still completes", () => {
  // sendfile with SG sends faster than the reader copies, so the receive queue grows to the window and the sender
  // waits for the reader's window-update ACKs (tcp_cleanup_rbuf's "window raised significantly" rule).
  const {result, sim} = runTransfer({strategy: "sendfile-sg", fileBytes: 128 * MiB, chunkBytes: 64 * KiB, receiveBytes: 64 * KiB, cache: "warm", link: "loopback", profile, keepEvents: true});
  assert.equal(result.bytesDelivered, 128 * MiB);
  // Data the window held back left from the reader's ACK (tcp_ack → tcp_data_snd_check on its core): traced with its pid.
  const byReader = sim.trace.events.filter((e) => e.kind === "packet" && e.detail === "lo" && e.pid >= 1_000_000).length;
  assert.ok(byReader > 0, "no data sent from the reader's window updates: the window never closed");
});

test("over loopback Nagle's rule coalesces 4 KiB writes: a short segment waits while an earlier short one is unacknowledged, later writes fill it, and close pushes the last", () => {
  const {result, sim} = runTransfer({strategy: "read-write", fileBytes: 1 * MiB, chunkBytes: 4 * KiB, receiveBytes: 4 * KiB, cache: "warm", link: "loopback", profile, keepEvents: true});
  assert.equal(result.bytesDelivered, 1 * MiB);
  const sizes = sim.trace.events.filter((e) => e.kind === "packet" && e.detail === "lo").map((e) => e.bytes);
  assert.equal(sizes.reduce((a, b) => a + b, 0), 1 * MiB);
  // 256 writes, far fewer segments: once a short segment is in flight unacknowledged, the writes that follow fill the
  // tail skb until the ACK comes (the quick ACKs at the start let the first few go alone).
  assert.ok(sizes.length < 256 / 4, `${sizes.length} segments for 256 writes of 4 KiB`);
  assert.ok(sizes.filter((b) => b >= 4 * 4096).length > sizes.length / 2, sizes.join(","));
  // What is left at the end goes with the FIN rather than waiting for an ACK: the run ends without the 40 ms delayed-ACK timer.
  assert.ok(result.elapsedNs < 40e6, `${result.elapsedNs}`);
});
