import {test} from "node:test";
import assert from "node:assert/strict";
import {createSim} from "../../src/engine/sim.js";
import {spawn, type ProcessBody} from "../../src/engine/process.js";
import {Host} from "../../src/host/Host.js";
import {loadProfile} from "../../src/host/profiles.js";
import {Connection} from "../../src/net/Connection.js";
import {NetStack, type NetStackOptions} from "../../src/net/NetStack.js";
import {EagainError, recvCall, sendCall} from "../../src/net/socketCalls.js";
import {establishedSndbufBytes, type TcpSocket} from "../../src/net/TcpSocket.js";
import {headerBytes, mssOf, linuxDataPathDefaults, sizeGoalOf, dataPathSettings} from "../../src/net/dataPath.js";
import {KiB, MiB} from "../../src/units.js";
import {rxTruesize, SkBuff, skbOverheadBytes, txSkbHeadTruesizeBytes} from "../../src/net/SkBuff.js";
import {KernelMemory} from "../../src/net/KernelMemory.js";
import {Listener} from "../../src/net/Listener.js";
import {ClientPopulation} from "../../src/net/ClientPopulation.js";
import {EmfileError, FdTable} from "../../src/net/FdTable.js";
import {acceptCall} from "../../src/net/socketCalls.js";
import {tcpSettings} from "../../src/net/tcpSettings.js";

const profile = loadProfile("server-2024");
const L = 250_000;

/** A host with a data path and one connected socket whose client is *L* away. */
function setup(options: NetStackOptions = {}) {
  const sim = createSim({seed: 0});
  const host = new Host(sim, profile);
  const stack = new NetStack(host, {latencyNs: L, ...options});
  const conn = new Connection(0);
  conn.clientState = "established";
  const sock = stack.socket(conn);
  return {sim, host, stack, sock};
}

/** A server process that reads until *bytes* have arrived, in reads of *readBytes*; its result is what it read. */
function* readAll(host: Host, sock: TcpSocket, bytes: number, readBytes = 64 * KiB): ProcessBody<number> {
  let got = 0;
  while (got < bytes) {
    const r = yield* recvCall(host, sock, Math.min(readBytes, bytes - got));
    if (r instanceof EagainError || r === 0) break;
    got += r;
  }
  return got;
}

/** Sums the bytes of the trace's events of *kind* by detail. */
function bytesByDetail(sim: ReturnType<typeof createSim>, kind: "cpu-copy" | "dma-copy" | "packet" | "header") {
  const out: Record<string, number> = {};
  for (const e of sim.trace.filter(kind)) out[e.detail] = (out[e.detail] ?? 0) + e.bytes;
  return out;
}

function countDetail(sim: ReturnType<typeof createSim>, kind: "irq" | "packet" | "dma-copy" | "cpu-copy", detail: string): number {
  return sim.trace.filter(kind).filter((e) => e.detail === detail).length;
}

test("dataPathSettings(): MSS 1448 on a 1500-byte MTU with timestamps, 1460 without; TSO size goal 45 × 1448 = 65160", () => {
  assert.equal(mssOf(dataPathSettings()), 1448);
  assert.equal(mssOf(dataPathSettings({timestamps: false})), 1460);
  assert.equal(sizeGoalOf(dataPathSettings(), 131072), 65160);
  assert.equal(sizeGoalOf(dataPathSettings({tso: false}), 131072), 1448);
  // Half the peer's largest window bounds it: a 64 KiB window gives 32 KiB → 22 segments.
  assert.equal(sizeGoalOf(dataPathSettings(), 65536), 22 * 1448);
  assert.equal(linuxDataPathDefaults.napiWeight, 64);
});

test("a 1 MiB message in and a 1 MiB message out: one CPU copy of each byte each way (tcp_sendmsg, tcp_recvmsg), none between layers", () => {
  const {sim, host, stack, sock} = setup();
  stack.peerSend(sock, MiB);
  let echoed = 0;
  spawn(sim, 1, function* () {
    const got = yield* readAll(host, sock, MiB);
    const sent = yield* sendCall(host, sock, got);
    echoed = sent as number;
  }).subscribe();
  sim.run();
  assert.equal(echoed, MiB);
  assert.equal(sock.peerBytesReceived, MiB, "the client got the whole echo");
  // Every CPU copy is at the user boundary: user→skb (send) or skb→user (recv), 1 MiB each, nothing else.
  assert.deepEqual(bytesByDetail(sim, "cpu-copy"), {"skb→user": MiB, "user→skb": MiB});
  // The layers pushed and pulled headers: many header events, none of them a copy.
  const headers = bytesByDetail(sim, "header");
  assert.ok((headers["push tcp"] ?? 0) > 0 && (headers["pull tcp"] ?? 0) > 0 && (headers["pull eth"] ?? 0) > 0);
  // The NIC moved the payload by DMA: what left is the message plus per-packet headers; what arrived likewise.
  const dma = bytesByDetail(sim, "dma-copy");
  const txPackets = countDetail(sim, "packet", "tx");
  assert.equal(dma["skb→nic"], MiB + txPackets * headerBytes);
  assert.equal(bytesByDetail(sim, "packet").tx, MiB);
  assert.equal(bytesByDetail(sim, "packet").rx, MiB);
});

test("without TSO a 1 MiB send leaves as ceil(bytes / MSS) = 725 segments, each its own skb; with TSO the same 725 wire packets come from fewer super-segments", () => {
  const mss = 1448;
  const expected = Math.ceil(MiB / mss);
  assert.equal(expected, 725);
  const run = (tso: boolean) => {
    const {sim, host, sock} = setup({tso, sndbufBytes: 4 * MiB});
    spawn(sim, 1, () => sendCall(host, sock, MiB)).subscribe();
    sim.run();
    assert.equal(sock.peerBytesReceived, MiB);
    return {wire: countDetail(sim, "packet", "tx"), skbs: countDetail(sim, "dma-copy", "skb→nic"), txCpu: host.cpu.busyNsByTag.get("net-tx") ?? 0};
  };
  const off = run(false);
  const on = run(true);
  assert.equal(off.wire, expected);
  assert.equal(off.skbs, expected, "one skb per segment without TSO");
  assert.equal(on.wire, expected, "the NIC cuts super-segments into the same wire packets");
  // With TSO each skb carries up to the 65160-byte size goal, and the window (128 KiB) lets about two out per round trip.
  assert.ok(on.skbs >= Math.ceil(MiB / sizeGoalOf(dataPathSettings(), 131072)), `${on.skbs} super-segments`);
  assert.ok(on.skbs * 10 < expected, `${on.skbs} super-segments, far fewer than ${expected}`);
  assert.ok(on.txCpu < off.txCpu / 5, "per-skb protocol CPU is paid once per super-segment");
});

test("an interrupt per packet without NAPI, far fewer with NAPI and coalescing (counted from the trace)", () => {
  const run = (options: NetStackOptions) => {
    const {sim, host, stack, sock} = setup(options);
    stack.peerSend(sock, MiB);
    spawn(sim, 1, () => readAll(host, sock, MiB)).subscribe();
    sim.run();
    assert.equal(sock.counters.bytesToUser, MiB);
    return {irqs: countDetail(sim, "irq", "nic-rx"), packets: sim.trace.filter("packet").filter((e) => e.detail.startsWith("rx")).length, polls: stack.counters.polls, merged: stack.counters.groMerged};
  };
  const perPacket = run({napi: false});
  // Every packet that reached the NIC (725 data segments and any ACKs) raised its own interrupt.
  assert.ok(perPacket.packets >= 725);
  assert.equal(perPacket.irqs, perPacket.packets);
  assert.equal(perPacket.merged, 0, "no GRO without NAPI");
  const napi = run({});
  assert.equal(napi.packets, perPacket.packets, "the same packets arrive");
  assert.ok(napi.irqs * 10 < perPacket.irqs, `${napi.irqs} interrupts with NAPI against ${perPacket.irqs}`);
  assert.ok(napi.irqs <= napi.polls, "each interrupt schedules at most one poll");
  assert.ok(napi.merged > 0, "GRO merged segments");
  // Without coalescing NAPI alone still masks the interrupt while a poll runs.
  const napiOnly = run({rxCoalesceNs: 0});
  assert.ok(napiOnly.irqs < perPacket.irqs && napiOnly.irqs >= napi.irqs, `${napiOnly.irqs} interrupts without coalescing`);
});

test("sendCall() blocks on a full send buffer and resumes as ACKs free space; a larger buffer finishes sooner", () => {
  const run = (sndbufBytes: number) => {
    const {sim, host, stack, sock} = setup({sndbufBytes});
    const done = stack.peerExchange(sock, 0, MiB);
    let sent = 0;
    let peak = 0;
    spawn(sim, 1, function* () {
      sent = (yield* sendCall(host, sock, MiB)) as number;
    }).subscribe();
    const stop = sim.trace.listen(() => {
      if (sock.wmemQueued > peak) peak = sock.wmemQueued;
    });
    sim.run();
    stop();
    assert.equal(sent, MiB);
    assert.ok(done.fired);
    return {elapsedNs: done.value!, blocked: sock.counters.blockedWrites, peak};
  };
  const small = run(16 * KiB);
  const large = run(256 * KiB);
  assert.ok(small.blocked > 0, "the writer blocked on the 16 KiB buffer");
  assert.ok(small.peak <= 16 * KiB, "sk_wmem_queued never exceeds the buffer");
  assert.ok(large.elapsedNs < small.elapsedNs, `${large.elapsedNs} ns with 256 KiB vs ${small.elapsedNs} ns with 16 KiB`);
});

test("recvCall() non-blocking on an empty queue returns EAGAIN and counts it; blocking waits for data", () => {
  const {sim, host, stack, sock} = setup();
  const results: Array<number | string> = [];
  spawn(sim, 1, function* () {
    const r1 = yield* recvCall(host, sock, 4096, {nonBlocking: true});
    results.push(r1 instanceof EagainError ? "EAGAIN" : r1);
    const r2 = yield* recvCall(host, sock, 4096);
    results.push(r2 instanceof EagainError ? "EAGAIN" : r2);
  }).subscribe();
  sim.run(1000);
  stack.peerSend(sock, 1000);
  sim.run();
  assert.deepEqual(results, ["EAGAIN", 1000]);
  assert.equal(sock.counters.eagainReads, 1);
  assert.equal(sock.counters.blockedReads, 1);
});

test("conservation: bytes the client sent = bytes read by the server + bytes still queued; the rest waits behind the closed window", () => {
  const {sim, host, stack, sock} = setup({rcvbufBytes: 64 * KiB});
  stack.peerSend(sock, MiB);
  spawn(sim, 1, () => readAll(host, sock, 300 * KiB, 50 * KiB)).subscribe();
  sim.run();
  const read = bytesByDetail(sim, "cpu-copy")["skb→user"];
  const arrived = bytesByDetail(sim, "packet").rx;
  assert.equal(read, 300 * KiB);
  assert.equal(arrived, sock.peerBytesSent, "what the client sent reached the NIC");
  assert.equal(sock.peerBytesSent, read + sock.rcvQueued);
  assert.ok(sock.rcvQueued <= 64 * KiB && sock.rcvQueued > 0);
  assert.equal(sock.peerUnsent, MiB - sock.peerBytesSent);
  assert.ok(sock.peerUnsent > 0, "flow control held the rest");
});

test("readable$ and writable$ are created on first use and emit when data arrives and when a full buffer drains", () => {
  const {sim, host, stack, sock} = setup({sndbufBytes: 16 * KiB});
  const events: string[] = [];
  sock.readable$.subscribe(() => events.push(`r${sock.rcvQueued}`));
  sock.writable$.subscribe(() => events.push("w"));
  spawn(sim, 1, () => sendCall(host, sock, 64 * KiB)).subscribe();
  stack.peerSend(sock, 100);
  sim.run();
  assert.ok(events.includes("r100"), events.join(" "));
  assert.ok(events.includes("w"), "the blocked writer's socket became writable");
});

test("exchange(): a 100-byte request and a 10 KiB response take at least two round trips' latency and deliver the response", () => {
  const {sim, host, stack, sock} = setup();
  const done = stack.peerExchange(sock, 100, 10 * KiB);
  spawn(sim, 1, function* () {
    yield* readAll(host, sock, 100);
    yield* sendCall(host, sock, 10 * KiB);
  }).subscribe();
  sim.run();
  assert.ok(done.fired);
  assert.ok(done.value! >= 2 * L, `${done.value} ns`);
  assert.equal(sock.peerBytesReceived, 10 * KiB);
});

test("recvCall() returns 0 (end of file) once the client has closed and the queue is drained; readable$ fires for the FIN", () => {
  const {sim, host, stack, sock} = setup();
  const reads: number[] = [];
  let fins = 0;
  sock.readable$.subscribe(() => sock.peerClosed && fins++);
  spawn(sim, 1, function* () {
    for (;;) {
      const r = yield* recvCall(host, sock, 3000);
      reads.push(r as number);
      if (r === 0) break;
    }
  }).subscribe();
  stack.peerSend(sock, 5000);
  stack.peerClose(sock);
  sim.run();
  assert.equal(reads.reduce((a, b) => a + b, 0), 5000);
  assert.equal(reads.at(-1), 0);
  assert.ok(fins >= 1);
});

test("SkBuff: headers are pushed into the headroom and pulled off without touching the payload; pushing past the headroom is skb_under_panic", () => {
  const sim = createSim();
  const skb = new SkBuff(66, 1000, 0);
  skb.push(32, "tcp", sim.trace, 0);
  skb.push(20, "ip", sim.trace, 0);
  skb.push(14, "eth", sim.trace, 0);
  assert.deepEqual({headroom: skb.headroom, len: skb.len, payload: skb.payloadBytes, headers: skb.headerBytes}, {headroom: 0, len: 1066, payload: 1000, headers: 66});
  assert.throws(() => skb.push(1, "vlan", sim.trace, 0), /skb_under_panic/);
  skb.pull(14, "eth", sim.trace, 0);
  skb.pull(20, "ip", sim.trace, 0);
  skb.pull(32, "tcp", sim.trace, 0);
  assert.equal(skb.len, 1000);
  assert.throws(() => skb.pull(1, "tcp", sim.trace, 0), /payload/);
  assert.equal(sim.trace.count("cpu-copy"), 0);
  assert.equal(sim.trace.count("header"), 6);
});

test("through the handshake: clients connect, the server accepts, each client exchanges a request for a response", () => {
  const sim = createSim({seed: 0});
  const host = new Host(sim, profile);
  const stack = new NetStack(host, {latencyNs: L});
  const listener = new Listener(host, {backlog: 16, settings: tcpSettings()});
  const latencies: number[] = [];
  const clients = new ClientPopulation(listener, {
    clients: 3,
    latencyNs: L,
    stack,
    onChange: (conn) => {
      if (conn.clientState === "established") clients.exchange(conn, 200, 20 * KiB).then((ns) => latencies.push(ns));
    },
  });
  const fds = new FdTable();
  spawn(sim, 1, function* () {
    for (let i = 0; i < 3; i++) {
      const r = yield* acceptCall(host, listener, fds);
      if (r instanceof EmfileError) throw r;
      const sock = stack.socket(r.conn);
      yield* readAll(host, sock, 200);
      yield* sendCall(host, sock, 20 * KiB);
    }
  }).subscribe();
  clients.start();
  sim.run();
  assert.equal(latencies.length, 3);
  for (const c of clients.connections) assert.equal(c.socket!.peerBytesReceived, 20 * KiB);
  assert.ok(latencies.every((ns) => ns >= 2 * L));
});

test("a NAPI poll takes at most napiWeight packets: polls ≥ ceil(packets / weight) when the interrupt waits for a batch", () => {
  for (const napiWeight of [4, 64]) {
    const {sim, host, stack, sock} = setup({napiWeight, rxCoalesceFrames: 200, rxCoalesceNs: 1e6});
    stack.peerSend(sock, 256 * KiB);
    spawn(sim, 1, () => readAll(host, sock, 256 * KiB)).subscribe();
    sim.run();
    const rx = sim.trace.filter("packet").filter((e) => e.detail.startsWith("rx")).length;
    assert.equal(sock.counters.bytesToUser, 256 * KiB);
    assert.ok(stack.counters.polls >= Math.ceil(rx / napiWeight), `${stack.counters.polls} polls for ${rx} packets at weight ${napiWeight}`);
    if (napiWeight === 4) assert.ok(countDetail(sim, "irq", "nic-rx") < stack.counters.polls, "a full poll polls again without an interrupt");
  }
});

test("an idle socket holds no readiness Subject until readable$ or writable$ is asked for", () => {
  const {sock} = setup();
  const fields = sock as unknown as {readable: unknown; writable: unknown};
  assert.equal(fields.readable, null);
  assert.equal(fields.writable, null);
  assert.equal(sock.readable$, sock.readable$, "one stream per socket, created once");
  assert.notEqual(fields.readable, null);
  assert.equal(fields.writable, null);
});

test("skbs queued and not read book their truesize (payload + SKB_TRUESIZE overhead) in whole pages; reading them frees every page", () => {
  const memory = new KernelMemory();
  const {sim, host, stack, sock} = setup({memory});
  sock.conn.serverState = "accepted";
  // One 1000-byte segment: truesize 576 + 1000 + 66 (its frame's headers) = 1642, one page scheduled, 2454 bytes left forward.
  stack.peerSend(sock, 1000);
  sim.run();
  assert.equal(sock.rcvQueue[0].truesize, skbOverheadBytes + 1000 + headerBytes);
  assert.equal(rxTruesize(sock.rcvQueue[0]), sock.rcvQueue[0].truesize);
  assert.equal(skbOverheadBytes + 1000 + headerBytes, 1642);
  assert.equal(memory.byKind.buffers, 4096);
  assert.equal(sock.fwdAllocBytes, 4096 - 1642);
  // Ten more segments, GRO-merged into fewer skbs: each skb costs one overhead, each segment its headers.
  stack.peerSend(sock, 10 * 1448);
  sim.run();
  const queued = sock.rcvQueue.slice(sock.rcvHead);
  const truesize = queued.reduce((a, skb) => a + skb.truesize, 0);
  assert.ok(queued.every((skb) => skb.truesize === skbOverheadBytes + skb.payloadBytes + skb.segs * headerBytes));
  assert.equal(truesize, 1000 + 10 * 1448 + queued.length * skbOverheadBytes + 11 * headerBytes);
  assert.equal(memory.byKind.buffers, Math.ceil(truesize / 4096) * 4096);
  assert.equal(memory.bytes, memory.byKind.buffers);
  spawn(sim, 1, () => readAll(host, sock, 1000 + 10 * 1448)).subscribe();
  sim.run();
  assert.equal(sock.counters.bytesToUser, 1000 + 10 * 1448);
  assert.equal(memory.byKind.buffers, 0, "an idle socket keeps less than a page forward, and none booked");
  assert.ok(sock.fwdAllocBytes < 4096);
  assert.equal(memory.peakBytes, Math.ceil(truesize / 4096) * 4096);
});

test("bytes sent book their truesize (a 960-byte skb head + payload) until the peer's ACK frees them; close frees what is unread", () => {
  const memory = new KernelMemory();
  const {sim, host, stack, sock} = setup({memory});
  sock.conn.serverState = "accepted";
  spawn(sim, 1, () => sendCall(host, sock, 8 * KiB)).subscribe();
  // Half a round trip later the skb is on the wire and its ACK not back: 8192 + 960 = 9152 bytes, three pages.
  sim.run(L);
  assert.equal(stack.counters.txSkbs, 1);
  assert.equal(txSkbHeadTruesizeBytes, 960);
  assert.equal(memory.byKind.buffers, 3 * 4096);
  sim.run();
  assert.equal(sock.peerBytesReceived, 8 * KiB);
  assert.equal(memory.byKind.buffers, 0);
  assert.equal(sock.rtxHead, null);
  // Unread data at close: its pages go back at once, and what arrives afterwards is not charged.
  stack.peerSend(sock, 1000);
  sim.run();
  assert.equal(memory.byKind.buffers, 4096);
  stack.memRelease(sock);
  assert.equal(memory.byKind.buffers, 0);
  stack.peerSend(sock, 1000);
  sim.run();
  assert.equal(memory.byKind.buffers, 0);
});

test("a stack without a ledger books nothing (the transfer paths' stacks)", () => {
  const {sim, stack, sock} = setup();
  sock.conn.serverState = "accepted";
  stack.peerSend(sock, 1000);
  sim.run();
  assert.equal(stack.memory, null);
  assert.equal(sock.memBytes, 0);
});

test("data for a connection the server does not hold (not yet made, or closed) is not charged", () => {
  const memory = new KernelMemory();
  for (const state of ["none", "syn-recv", "closed"] as const) {
    const {sim, stack, sock} = setup({memory});
    sock.conn.serverState = state;
    stack.peerSend(sock, 1000);
    sim.run();
    assert.equal(sock.rcvQueued, 1000);
    assert.equal(memory.byKind.buffers, 0, state);
  }
});

test("establishedSndbufBytes: an autotuned send buffer starts at tcp_sndbuf_expand's size, between tcp_wmem[1] and tcp_wmem[2]", () => {
  const net = loadProfile("server-2024").net;
  // 20 skbs (CUBIC's 2 × TCP_INIT_CWND) of roundup_pow_of_two(1460 + 320 + 320) + 256 = 4352 bytes.
  assert.equal(establishedSndbufBytes(dataPathSettings(), net), 20 * 4352);
  // lo's 64 KiB MTU: 65496 + 640 rounds up to 131072; 20 × 131328 = 2,626,560, under tcp_wmem[2] (4 MiB).
  assert.equal(establishedSndbufBytes(dataPathSettings({mtuBytes: 65536}), net), 2_626_560);
  assert.equal(establishedSndbufBytes(dataPathSettings({mtuBytes: 65536}), {...net, wmemMaxBytes: 1_000_000}), 1_000_000);
  // Linux 2.6's three skbs per MSS stay below tcp_wmem[1] with a 1500-byte MTU; no field, no expansion.
  assert.equal(establishedSndbufBytes(dataPathSettings(), loadProfile("desktop-2008").net), 16384);
  assert.equal(establishedSndbufBytes(dataPathSettings(), {...net, sndbufInitSegments: undefined}), net.wmemBytes);
});
