import {test} from "node:test";
import assert from "node:assert/strict";
import {createSim} from "../../src/engine/sim.js";
import {spawn, sleep, type ProcessBody} from "../../src/engine/process.js";
import {Host} from "../../src/host/Host.js";
import {loadProfile} from "../../src/host/profiles.js";
import {Connection} from "../../src/net/Connection.js";
import {NetStack} from "../../src/net/NetStack.js";
import {IoUring, type Cqe} from "../../src/uring/IoUring.js";
import {InputError} from "../../src/errors.js";
import {ClientPopulation} from "../../src/net/ClientPopulation.js";
import {FdTable} from "../../src/net/FdTable.js";
import {Listener} from "../../src/net/Listener.js";
import {tcpSettings} from "../../src/net/tcpSettings.js";
import {KiB} from "../../src/units.js";

const profile = loadProfile("server-2024");

/** A host with one connected socket whose client is 250 µs away. */
function setup() {
  const sim = createSim({seed: 0, keepEvents: true});
  const host = new Host(sim, profile);
  const stack = new NetStack(host, {latencyNs: 250_000});
  const conn = new Connection(0);
  conn.clientState = "established";
  const sock = stack.socket(conn);
  return {sim, host, stack, sock};
}

/** Runs *body* as process 1 to the end; returns its result and the elapsed time. */
function run<R>(sim: ReturnType<typeof createSim>, body: () => ProcessBody<R>): {result: R; elapsedNs: number} {
  let result: R | undefined;
  spawn(sim, 1, body).subscribe((r) => (result = r));
  const elapsedNs = sim.run();
  return {result: result as R, elapsedNs};
}

test("one io_uring_enter submits a batch: one system call, two mode switches, the entry work and sqeNs per SQE", () => {
  const {sim, host} = setup();
  const ring = new IoUring(host, {entries: 64});
  for (let i = 0; i < 32; i++) ring.prep({op: "nop", userData: i});
  assert.equal(ring.queued, 32);
  const {result} = run(sim, function* () {
    const submitted = yield* ring.enter();
    return {submitted, cqes: ring.reap()};
  });
  assert.equal(result.submitted, 32);
  assert.deepEqual(
    result.cqes.map((c) => c.userData),
    Array.from({length: 32}, (_, i) => i),
  );
  assert.ok(result.cqes.every((c) => c.path === "inline" && c.res === 0));
  assert.equal(sim.trace.count("syscall"), 1);
  assert.equal(sim.trace.count("mode-switch"), 2);
  const byTag = host.cpu.busyNsByTag;
  assert.equal(byTag.get("uring"), 32 * profile.uring.sqeNs);
  assert.equal(byTag.get("mode-switch"), 2 * profile.cpu.modeSwitchNs);
  assert.equal(host.cpu.busyNs, 2 * profile.cpu.modeSwitchNs + profile.cpu.syscallNs + 32 * profile.uring.sqeNs);
  assert.deepEqual({...ring.counters}, {enters: 1, submitted: 32, inline: 32, device: 0, pageWait: 0, polled: 0, reaped: 32});
});

test("waitCqes takes posted completions from the ring without a system call", () => {
  const {sim, host} = setup();
  const ring = new IoUring(host);
  ring.prep({op: "nop"});
  ring.prep({op: "nop"});
  const {result} = run(sim, function* () {
    yield* ring.enter();
    const calls = sim.trace.count("syscall");
    const got = yield* ring.waitCqes(2);
    return {got: got.length, callsBefore: calls, callsAfter: sim.trace.count("syscall")};
  });
  assert.equal(result.got, 2);
  assert.equal(result.callsAfter, result.callsBefore);
});

test("a direct read completes at the device's interrupt, after the call has returned", () => {
  const {sim, host} = setup();
  const ring = new IoUring(host);
  const file = {id: "f", sizeBytes: 1 << 20};
  ring.prep({op: "read", file, offsetBytes: 0, bytes: 64 * KiB, direct: true, userData: "r"});
  const {result} = run(sim, function* () {
    yield* ring.enter();
    const returnedNs = sim.scheduler.now();
    const readyAtReturn = ring.ready;
    const [cqe] = yield* ring.waitCqes(1);
    return {returnedNs, readyAtReturn, cqe};
  });
  assert.equal(result.readyAtReturn, 0);
  assert.equal(result.cqe.path, "device");
  assert.equal(result.cqe.res, 64 * KiB);
  // The device took longer than its latency after the call returned.
  assert.ok(result.cqe.postedNs - result.returnedNs >= profile.disks.ssd.latencyNs, `${result.cqe.postedNs - result.returnedNs}`);
  assert.equal(sim.trace.filter("dma-copy").filter((e) => e.detail === "disk→user").length, 1);
  assert.equal(host.pageCache.misses + host.pageCache.hits, 0, "direct I/O never looks in the page cache");
});

test("a buffered read of cached pages completes inside the call; of missing pages, after the disk, with no worker thread", () => {
  const {sim, host} = setup();
  const ring = new IoUring(host);
  const warm = {id: "warm", sizeBytes: 64 * KiB};
  const cold = {id: "cold", sizeBytes: 64 * KiB};
  host.pageCache.warm(warm);
  ring.prep({op: "read", file: warm, offsetBytes: 0, bytes: 16 * KiB, userData: "warm"});
  ring.prep({op: "read", file: cold, offsetBytes: 0, bytes: 16 * KiB, userData: "cold"});
  const {result} = run(sim, function* () {
    yield* ring.enter();
    const atReturn = ring.reap();
    const later = yield* ring.waitCqes(1);
    return {atReturn, later};
  });
  assert.deepEqual(
    result.atReturn.map((c) => [c.userData, c.path, c.res]),
    [["warm", "inline", 16 * KiB]],
  );
  assert.deepEqual(
    result.later.map((c) => [c.userData, c.path, c.res]),
    [["cold", "page-wait", 16 * KiB]],
  );
  // Both reads copied out of the page cache; only the cold one went to the disk.
  assert.equal(sim.trace.filter("cpu-copy").filter((e) => e.detail === "page-cache→user").length, 2);
  assert.equal(sim.trace.filter("dma-copy").filter((e) => e.detail.startsWith("disk→")).length, 1);
  // The page-wait path runs as the ring's owner: no other task, so no task switch.
  assert.equal(sim.trace.count("task-switch"), 0);
});

test("a recv on an empty socket arms a poll and completes when the data arrives; with data queued it completes inline", () => {
  const {sim, host, stack, sock} = setup();
  const ring = new IoUring(host);
  const cqes: Cqe[] = [];
  ring.completions$.subscribe((c) => cqes.push(c));
  ring.prep({op: "recv", sock, maxBytes: 4 * KiB, userData: "first"});
  const {result} = run(sim, function* () {
    yield* ring.enter();
    const armedAt = sim.scheduler.now();
    stack.peerSend(sock, 1000);
    const [first] = yield* ring.waitCqes(1);
    // Now the client sends more, and a recv is submitted only once it is queued.
    stack.peerSend(sock, 500);
    yield sleep(10_000_000);
    ring.prep({op: "recv", sock, maxBytes: 4 * KiB, userData: "second"});
    yield* ring.enter();
    const second = ring.reap();
    return {armedAt, first, second};
  });
  assert.equal(result.first.path, "poll");
  assert.equal(result.first.res, 1000);
  assert.ok(result.first.postedNs >= result.armedAt + 250_000, "the data crossed the link first");
  assert.deepEqual(
    result.second.map((c) => [c.userData, c.path, c.res]),
    [["second", "inline", 500]],
  );
  assert.equal(host.cpu.busyNsByTag.get("uring-poll"), profile.uring.pollArmNs, "one poll armed");
  assert.equal(cqes.length, 2, "completions$ saw every CQE");
  assert.equal(ring.counters.polled, 1);
  assert.equal(ring.counters.inline, 1);
});

test("a send with room in the send buffer completes inline and leaves through the stack", () => {
  const {sim, host, sock} = setup();
  const ring = new IoUring(host);
  ring.prep({op: "send", sock, bytes: 8 * KiB});
  const {result} = run(sim, function* () {
    yield* ring.enter();
    return ring.reap();
  });
  assert.equal(result.length, 1);
  assert.equal(result[0].path, "inline");
  assert.equal(result[0].res, 8 * KiB);
  assert.equal(sock.counters.bytesFromUser, 8 * KiB);
});

test("an accept waits for a handshake through its poll; at the descriptor limit its CQE carries −EMFILE and the connection stays queued", () => {
  const {sim, host} = setup();
  const listener = new Listener(host, {backlog: 8, settings: tcpSettings({})});
  const clients = new ClientPopulation(listener, {clients: 2, latencyNs: 250_000, intervalNs: 1_000_000});
  clients.start();
  // Three descriptors already open (0, 1, 2) under a limit of four: room for one more, then none.
  const fds = new FdTable(4, 3);
  const ring = new IoUring(host);
  const {result} = run(sim, function* () {
    ring.prep({op: "accept", listener, fds, userData: 1});
    yield* ring.enter();
    const [first] = yield* ring.waitCqes(1);
    yield sleep(10_000_000); // the second client is queued by now
    ring.prep({op: "accept", listener, fds, userData: 2});
    yield* ring.enter();
    return {first, second: ring.reap()};
  });
  assert.equal(result.first.path, "poll");
  assert.equal(result.first.res, 3, "the lowest free descriptor");
  assert.equal(result.first.conn?.id, 0);
  assert.equal(result.first.conn?.serverState, "accepted");
  // The first client's handshake: SYN, SYN-ACK and ACK over a 250 µs link, so the accept completed after 750 µs.
  assert.ok(result.first.postedNs >= 750_000, `${result.first.postedNs}`);
  assert.deepEqual(
    result.second.map((c) => [c.userData, c.path, c.res, c.conn]),
    [[2, "inline", -24, undefined]],
  );
  assert.equal(listener.acceptQueueLength, 1, "the second connection stays queued");
  assert.equal(fds.emfileErrors, 1);
});

test("bad input: a ring size that is not a power of two, a full ring, waiting for more than was submitted", () => {
  const {sim, host} = setup();
  assert.throws(() => new IoUring(host, {entries: 100}), (e: unknown) => e instanceof InputError && /^invalid entries: 100; expected a power of two from 1 to 32768/.test(e.message));
  const ring = new IoUring(host, {entries: 2});
  ring.prep({op: "nop"});
  ring.prep({op: "nop"});
  assert.throws(() => ring.prep({op: "nop"}), (e: unknown) => e instanceof InputError && /entries: 2; expected room for SQE 3/.test(e.message));
  spawn(sim, 1, () => ring.enter(5)).subscribe();
  assert.throws(() => sim.run(), /invalid minComplete: 5; expected at most the 2 requests posted or in flight/);
});
