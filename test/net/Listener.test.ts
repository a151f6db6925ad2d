import {test} from "node:test";
import assert from "node:assert/strict";
import {createSim} from "../../src/engine/sim.js";
import {sleep, spawn, type ProcessBody} from "../../src/engine/process.js";
import {Host} from "../../src/host/Host.js";
import {loadProfile} from "../../src/host/profiles.js";
import {ClientPopulation} from "../../src/net/ClientPopulation.js";
import {EmfileError, FdTable} from "../../src/net/FdTable.js";
import {Listener} from "../../src/net/Listener.js";
import {acceptCall, closeCall, listenCall} from "../../src/net/socketCalls.js";
import {tcpSettings, type TcpSettings} from "../../src/net/tcpSettings.js";

const profile = loadProfile("server-2024");
const {synNs, ackNs} = profile.net;
const L = 250_000; // one-way latency, ns
const s = 1e9;

/** A listener on a fresh host and *clients* clients (one every *intervalNs*), with every SYN's arrival time recorded by client. */
function setup(backlog: number, clients: number, tcp: Partial<TcpSettings>, intervalNs = 0, startTimesNs?: number[]) {
  const sim = createSim({seed: 0});
  const host = new Host(sim, profile);
  const listener = new Listener(host, {backlog, settings: tcpSettings(tcp)});
  const synArrivals: number[][] = Array.from({length: clients}, () => []);
  const receiveSyn = listener.receiveSyn.bind(listener);
  listener.receiveSyn = (conn) => {
    synArrivals[conn.id].push(sim.scheduler.now());
    receiveSyn(conn);
  };
  const population = new ClientPopulation(listener, {clients, latencyNs: L, intervalNs, startTimesNs});
  population.start();
  return {sim, host, listener, population, conns: population.connections, synArrivals};
}

test("backlog 2, 5 clients at once, no accept, no syncookies: 3 establish (the queue holds backlog + 1); 2 retry at 1, 3, 7, 15, 31, 63 s and fail at 127 s", () => {
  const {sim, listener, conns, synArrivals} = setup(2, 5, {syncookies: 0, synLinearTimeouts: 0});
  sim.run();
  // SYN verdicts at L + synNs in client order: qlen 0, 1, 2 are not > 2 → requests; qlen 3 > 2 → SYN queue full → dropped.
  for (const c of conns.slice(0, 3)) {
    assert.equal(c.connectedNs, 2 * L + synNs, `client ${c.id} connect() returns after one round trip and the SYN's softirq`);
    assert.equal(c.establishedNs, 3 * L + synNs + ackNs, `client ${c.id} in the accept queue`);
    assert.equal(c.serverState, "queued");
  }
  // Their retransmitted SYNs then meet a full accept queue (3 > 2): dropped, so they retry until tcp_syn_retries.
  for (const c of conns.slice(3)) {
    assert.deepEqual(synArrivals[c.id], [0, 1, 3, 7, 15, 31, 63].map((t) => t * s + L));
    assert.equal(c.clientState, "failed");
    assert.equal(c.failure, "timeout");
    assert.equal(c.failedNs, 127 * s);
    assert.equal(c.synRetransmits, 6);
    assert.equal(c.connectedNs, -1);
  }
  assert.equal(listener.acceptQueueLength, 3);
  assert.deepEqual(
    {
      reqQFullDrops: listener.counters.reqQFullDrops,
      synDropsAcceptQueueFull: listener.counters.synDropsAcceptQueueFull,
      listenOverflows: listener.counters.listenOverflows,
      listenDrops: listener.counters.listenDrops,
      established: listener.counters.established,
    },
    {reqQFullDrops: 2, synDropsAcceptQueueFull: 12, listenOverflows: 12, listenDrops: 14, established: 3},
  );
});

test("backlog 2, 5 clients, no syncookies, Linux 6.18's 4 linear timeouts: the 2 retry at 1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s and fail at 131 s", () => {
  const {sim, conns, synArrivals} = setup(2, 5, {syncookies: 0});
  sim.run();
  for (const c of conns.slice(3)) {
    assert.deepEqual(synArrivals[c.id], [0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67].map((t) => t * s + L));
    assert.equal(c.failedNs, 131 * s);
  }
});

test("backlog 2, 5 clients, syncookies 1 (default): the 2 past the SYN queue get cookies, connect(), and their ACKs are dropped by the full accept queue", () => {
  const {sim, listener, conns} = setup(2, 5, {});
  sim.run();
  assert.deepEqual(
    conns.map((c) => [c.clientState, c.serverState, c.connectedNs]),
    [0, 1, 2, 3, 4].map((i) => ["established", i < 3 ? "queued" : "none", 2 * L + synNs]),
  );
  assert.equal(listener.counters.syncookiesSent, 2);
  assert.equal(listener.counters.ackDropsAcceptQueueFull, 2, "tcp_v4_syn_recv_sock refuses the cookie's child");
  assert.equal(listener.counters.synAckRetransmits, 0, "a cookie keeps no request, so nothing is resent");
});

/** Backlog 1, syncookies off, clients every 300 µs: client 2's request is made while the accept queue has room, its ACK comes when it is full. */
function ackDropCase(tcp: Partial<TcpSettings> = {}) {
  const r = setup(1, 3, {syncookies: 0, ...tcp}, 300_000);
  // c0: SYN verdict at 252 µs, ACK verdict at 755 µs; c1: 552 / 1055 µs; c2: SYN verdict 852 µs (qlen 1, accept queue 1: room), ACK 1355 µs (queue 2 > 1: full).
  return {...r, reqNs: 600_000 + L + synNs};
}

test("a full accept queue drops the final ACK; the request stays, acked, resending its SYN-ACK at 1, 3, 7, 15, 31 s, and expires at 63 s", () => {
  const {sim, listener, conns, reqNs} = ackDropCase();
  sim.run(reqNs + 62 * s);
  const c2 = conns[2];
  assert.equal(c2.clientState, "established", "the client believes it is connected");
  assert.equal(c2.connectedNs, 600_000 + 2 * L + synNs);
  assert.equal(c2.serverState, "syn-recv");
  assert.equal(c2.acked, true);
  assert.equal(listener.counters.synAckRetransmits, 5);
  // One drop for the first ACK, one per retransmitted SYN-ACK (each answered by a challenge ACK).
  assert.equal(listener.counters.ackDropsAcceptQueueFull, 6);
  sim.run(reqNs + 63 * s);
  assert.equal(c2.serverState, "none", "expired after tcp_synack_retries");
  assert.equal(listener.counters.requestsExpired, 1);
  assert.equal(listener.synQueueLength, 0);
  assert.equal(listener.memory.byKind["request-sock"], 0);
});

test("when accept() makes room, the next SYN-ACK retransmission's ACK completes the dropped handshake", () => {
  const {sim, host, listener, conns, reqNs} = ackDropCase();
  const fds = new FdTable(1024, 4);
  spawn(sim, 1, function* (): ProcessBody<void> {
    yield sleep(2 * s);
    yield* acceptCall(host, listener, fds);
  }).subscribe();
  sim.run();
  // Retransmissions at reqNs + 1 s (queue still full: its ACK is dropped again) and reqNs + 3 s (room since 2 s).
  assert.equal(conns[2].establishedNs, reqNs + 3 * s + 2 * L + ackNs);
  assert.equal(listener.counters.ackDropsAcceptQueueFull, 2);
  assert.equal(listener.counters.synAckRetransmits, 2, "none after the handshake completed");
});

test("tcp_abort_on_overflow resets the client whose ACK finds the accept queue full", () => {
  const {sim, listener, conns} = ackDropCase({abortOnOverflow: true});
  sim.run();
  assert.equal(conns[2].clientState, "failed");
  assert.equal(conns[2].failure, "reset");
  assert.equal(conns[2].failedNs, 600_000 + 4 * L + synNs + ackNs);
  assert.equal(listener.counters.embryonicResets, 1);
  assert.equal(listener.synQueueLength, 0);
});

test("accept() fails with EMFILE exactly at RLIMIT_NOFILE and leaves the connection queued", () => {
  const {sim, host, listener} = setup(8, 5, {});
  const fds = new FdTable(6, 4); // room for 2 descriptors
  const results: Array<number | string> = [];
  spawn(sim, 1, function* (): ProcessBody<void> {
    yield* listenCall(host, listener);
    yield sleep(10_000_000); // all 5 are queued by then
    for (let i = 0; i < 3; i++) {
      const r = yield* acceptCall(host, listener, fds);
      results.push(r instanceof EmfileError ? "EMFILE" : r.fd);
    }
  }).subscribe();
  sim.run();
  assert.deepEqual(results, [4, 5, "EMFILE"]);
  assert.equal(fds.emfileErrors, 1);
  assert.equal(listener.acceptQueueLength, 3, "the refused call took nothing from the queue");
});

test("accept() blocks on an empty queue and takes the first connection queued, paying mode switches, syscall and accept work", () => {
  const {sim, host, listener, conns} = setup(8, 1, {});
  const fds = new FdTable(1024, 4);
  let acceptedAt = -1;
  spawn(sim, 1, function* (): ProcessBody<void> {
    const r = yield* acceptCall(host, listener, fds);
    if (!(r instanceof EmfileError)) acceptedAt = sim.scheduler.now();
  }).subscribe();
  sim.run();
  const {modeSwitchNs, syscallNs} = profile.cpu;
  assert.equal(conns[0].serverState, "accepted");
  // Entry (mode switch + syscall) at 0, blocked until the connection is queued, then the accept work and the mode switch out.
  assert.equal(conns[0].acceptedNs, conns[0].establishedNs + profile.net.acceptNs);
  assert.equal(acceptedAt, conns[0].acceptedNs + modeSwitchNs);
  assert.equal(host.cpu.busyNsByTag.get("softirq"), synNs + ackNs);
  assert.equal(host.cpu.busyNsByTag.get("syscall"), syscallNs + profile.net.acceptNs);
});

test("close() returns a connection's descriptor and kernel memory: the ledger is back at its baseline", () => {
  const {sim, host, listener} = setup(8, 6, {});
  const fds = new FdTable(1024, 4);
  let peak = 0;
  spawn(sim, 1, function* (): ProcessBody<void> {
    yield sleep(5_000_000);
    const open = [];
    for (let i = 0; i < 6; i++) {
      const r = yield* acceptCall(host, listener, fds);
      if (!(r instanceof EmfileError)) open.push(r.conn);
    }
    peak = listener.memory.bytes;
    for (const conn of open) yield* closeCall(host, listener, fds, conn);
  }).subscribe();
  sim.run();
  // Idle connections (no data queued) hold their socket objects only: no buffer memory (tcp_rmem/tcp_wmem only cap it).
  const {socketBytes} = profile.net;
  assert.equal(peak, 6 * socketBytes);
  assert.equal(listener.memory.peakBytes, peak);
  assert.equal(listener.memory.bytes, 0);
  assert.deepEqual(listener.memory.byKind, {"request-sock": 0, socket: 0, buffers: 0, task: 0, zombie: 0});
  assert.equal(fds.open, 4);
});

test("a SYN queue more than half full of old requests prunes them: of 8 acked requests, 4 expire at 7 s after 2 retries; then the queue is half empty and the other 4 get all 5", () => {
  // 8 clients at 0 fill the accept queue to 8 (not full: 8 > 8 is false); 9 more at 10 ms all get requests (qlen 0..8, none > 8),
  // the first of their ACKs fills the accept queue (9 > 8) and the other 8 are dropped: 8 acked requests stay.
  const starts = [...Array(8).fill(0), ...Array(9).fill(10_000_000)];
  const {sim, listener, conns} = setup(8, 17, {syncookies: 0}, 0, starts);
  const reqNs = 10_000_000 + L + synNs;
  const pending = conns.slice(9);
  sim.run(reqNs + 7 * s - 1);
  assert.ok(pending.every((c) => c.serverState === "syn-recv" && c.acked && c.numTimeout === 2));
  // At 1 s each timer sees qlen 8 (8·2 > max(8, 8)) and young falling from 8 to 1 as they fire: those seeing young ≤ 4 get
  // fewer retries (4, 4, 3, 2), but all resend (num_timeout 0); at 3 s young is 0, so each gets 2 retries: resend.
  assert.equal(listener.counters.synAckRetransmits, 16);
  assert.equal(listener.counters.ackDropsAcceptQueueFull, 8 + 16);
  // At 7 s: num_timeout 2 ≥ 2: the first 4 expire; then qlen is 4 and 4·2 > 8 no longer holds: the last 4 get 5 retries.
  sim.run(reqNs + 7 * s);
  assert.deepEqual(pending.map((c) => c.serverState), [..."nnnn"].map(() => "none").concat(Array(4).fill("syn-recv")));
  assert.equal(listener.counters.requestsExpired, 4);
  sim.run(reqNs + 63 * s - 1);
  assert.equal(listener.counters.requestsExpired, 4);
  sim.run(reqNs + 63 * s);
  assert.equal(listener.counters.requestsExpired, 8);
  assert.equal(listener.counters.synAckRetransmits, 4 * 2 + 4 * 5);
  assert.ok(pending.every((c) => c.serverState === "none" && c.clientState === "established"));
});

test("no memory for the child socket: the final ACK is dropped (ListenDrops, not ListenOverflows), the request kept acked, and the next SYN-ACK's ACK makes the socket once memory is back", () => {
  const {sim, listener, conns} = setup(8, 4, {});
  const {socketBytes} = profile.net;
  let socketsAllowed = 2;
  listener.memoryAvailable = (bytes) => bytes !== socketBytes || listener.memory.byKind.socket + bytes <= socketsAllowed * socketBytes;
  sim.run(0.9 * s);
  const c = listener.counters;
  assert.deepEqual([c.established, c.memoryDrops, c.listenDrops, c.listenOverflows], [2, 2, 2, 0]);
  for (const conn of conns.slice(2)) {
    assert.equal(conn.serverState, "syn-recv");
    assert.equal(conn.acked, true);
    assert.equal(conn.clientState, "established", "the client thinks it is connected: its ACK was dropped silently");
  }
  assert.equal(listener.memory.byKind.socket, 2 * socketBytes);
  socketsAllowed = 4;
  sim.run(2 * s);
  assert.equal(c.established, 4);
  assert.equal(c.memoryDrops, 2);
  assert.equal(listener.memory.byKind.socket, 4 * socketBytes);
});
