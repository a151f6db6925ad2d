import {test} from "node:test";
import assert from "node:assert/strict";
import {spawn, type ProcessBody} from "../../src/engine/process.js";
import {createSim} from "../../src/engine/sim.js";
import {Host} from "../../src/host/Host.js";
import {loadProfile} from "../../src/host/profiles.js";
import {epoll, EPOLLET} from "../../src/multiplex/epoll.js";
import {EPOLLIN, type Multiplexer, type ReadyEvent} from "../../src/multiplex/internal/readinessLoop.js";
import {poll} from "../../src/multiplex/poll.js";
import {FdSetOverflowError, select} from "../../src/multiplex/select.js";
import {Connection} from "../../src/net/Connection.js";
import {NetStack} from "../../src/net/NetStack.js";
import type {TcpSocket} from "../../src/net/TcpSocket.js";

const profile = loadProfile("server-2024");

/** A host, its stack and *n* connected sockets (fds 3 … n + 2), none readable. */
function world(n: number) {
  const sim = createSim({seed: 0, keepEvents: false});
  const host = new Host(sim, profile);
  const stack = new NetStack(host);
  const socks: TcpSocket[] = [];
  for (let i = 0; i < n; i++) {
    const conn = new Connection(i);
    conn.fd = 3 + i;
    socks.push(stack.socket(conn));
  }
  return {sim, host, stack, socks};
}

/** Makes *sock* readable as an arriving skb would (bytes queued, then sk_data_ready), without going through the wire. */
function arrive(sock: TcpSocket, bytes = 100): void {
  sock.rcvQueued += bytes;
  sock.notifyReadable();
}

test("epoll(host) edge-triggered: every ready socket is delivered exactly once, across calls limited by maxevents", () => {
  const {sim, host, socks} = world(50);
  const ep = epoll(host);
  const delivered = new Map<number, number>();
  const calls: number[] = [];
  function* loop(): ProcessBody<void> {
    for (const s of socks) yield* ep.add(s.conn.fd, s, EPOLLIN | EPOLLET, 1);
    sim.scheduler.post(1_000, () => socks.forEach((s) => arrive(s)));
    // Nobody reads: under edge triggering each arrival is reported once, however many calls follow.
    for (;;) {
      const evs = yield* ep.wait(7, 1);
      calls.push(evs.length);
      for (const e of evs) delivered.set(e.fd, (delivered.get(e.fd) ?? 0) + 1);
    }
  }
  spawn(sim, 1, loop).subscribe();
  sim.run();
  assert.equal(delivered.size, 50);
  assert.deepEqual([...new Set(delivered.values())], [1]);
  assert.deepEqual(calls, [7, 7, 7, 7, 7, 7, 7, 1], "maxevents 7: the rest stays on the ready list for the next calls");
  assert.equal(ep.counters.blockedCalls, 2, "blocked before the arrivals, and after the last event");
});

test("epoll(host) level-triggered: a socket with unread data is reported by every call until it is empty", () => {
  const {sim, host, socks} = world(1);
  const ep = epoll(host);
  const sock = socks[0];
  let reports = 0;
  function* loop(): ProcessBody<void> {
    yield* ep.add(sock.conn.fd, sock, EPOLLIN, 1);
    arrive(sock, 300);
    for (;;) {
      const evs = yield* ep.wait(64, 1);
      reports += evs.length;
      // Consume 100 bytes per report, as a reader of 100 would (bookkeeping only).
      sock.rcvQueued -= 100;
    }
  }
  spawn(sim, 1, loop).subscribe();
  sim.run();
  assert.equal(reports, 3);
  assert.equal(ep.readyLength, 0, "the last re-poll found it empty and dropped it from the ready list");
});

test("epoll(host): a readiness change during ep_send_events goes to the overflow list and is delivered by the next call", () => {
  const {sim, host, socks} = world(1001);
  const ep = epoll(host);
  const late = socks[1000];
  const batches: ReadyEvent[][] = [];
  let scanStartNs = -1;
  function* loop(): ProcessBody<void> {
    for (const s of socks) yield* ep.add(s.conn.fd, s, EPOLLIN | EPOLLET, 1);
    for (let i = 0; i < 1000; i++) arrive(socks[i]);
    scanStartNs = sim.scheduler.now();
    // The first call takes 1000 items off the ready list (50 µs of epoll-wait): the late socket turns ready in the middle.
    sim.scheduler.post(20_000, () => arrive(late));
    for (;;) batches.push(yield* ep.wait(1000, 1));
  }
  spawn(sim, 1, loop).subscribe();
  sim.run();
  assert.ok(scanStartNs >= 0);
  assert.equal(batches.length, 2);
  assert.equal(batches[0].length, 1000);
  assert.ok(!batches[0].some((e) => e.sock === late));
  assert.deepEqual(batches[1].map((e) => e.fd), [late.conn.fd]);
});

for (const [name, make] of [
  ["select", select],
  ["poll", poll],
] as const) {
  test(`${name}(host): a socket turning ready while the call's pass runs is not lost (the call returns it)`, () => {
    const {sim, host, socks} = world(1000);
    const mux: Multiplexer = make(host);
    const got: number[][] = [];
    function* loop(): ProcessBody<void> {
      for (const s of socks) yield* mux.add(s.conn.fd, s, EPOLLIN, 1);
      // Nothing is ready: the first pass (1000 × pollFdNs = 40 µs) finds nothing; the socket turns ready during it.
      sim.scheduler.post(10_000, () => arrive(socks[500]));
      const evs = yield* mux.wait(undefined, 1);
      got.push(evs.map((e) => e.fd));
    }
    spawn(sim, 1, loop).subscribe();
    sim.run();
    assert.deepEqual(got, [[socks[500].conn.fd]]);
    assert.equal(mux.counters.blockedCalls, 1);
    assert.equal(mux.counters.wakeups, 1);
  });

  test(`${name}(host): one call reports every readable socket, in fd order, and keeps reporting it while it stays readable`, () => {
    const {sim, host, socks} = world(100);
    const mux: Multiplexer = make(host);
    const got: number[][] = [];
    function* loop(): ProcessBody<void> {
      for (const s of socks) yield* mux.add(s.conn.fd, s, EPOLLIN, 1);
      for (const i of [70, 5, 33]) arrive(socks[i]);
      got.push((yield* mux.wait(undefined, 1)).map((e) => e.fd));
      got.push((yield* mux.wait(undefined, 1)).map((e) => e.fd));
    }
    spawn(sim, 1, loop).subscribe();
    sim.run();
    assert.deepEqual(got, [
      [8, 36, 73],
      [8, 36, 73],
    ]);
  });
}

test("select(host).add of fd 1024 throws FdSetOverflowError naming FD_SETSIZE; fd 1023 is accepted", () => {
  const {sim, host, socks} = world(1);
  const mux = select(host);
  let error: unknown = null;
  spawn(sim, 1, function* () {
    yield* mux.add(1023, socks[0]);
    try {
      yield* mux.add(1024, socks[0]);
    } catch (e) {
      error = e;
    }
  }).subscribe();
  sim.run();
  assert.ok(error instanceof FdSetOverflowError);
  assert.match((error as Error).message, /fd 1024.*FD_SETSIZE 1024/);
  assert.equal(mux.size, 1);
});

test("epoll(host).add pays ⌈log2(n + 1)⌉ tree levels: epoll_ctl's CPU grows with the log of the registered items", () => {
  const {sim, host, socks} = world(1024);
  const ep = epoll(host);
  const perCall: number[] = [];
  spawn(sim, 1, function* () {
    for (const s of socks) {
      const before = ep.counters.ctlCpuNs;
      yield* ep.add(s.conn.fd, s, EPOLLIN, 1);
      perCall.push(ep.counters.ctlCpuNs - before);
    }
  }).subscribe();
  sim.run();
  const m = profile.multiplex;
  const fixed = 2 * profile.cpu.modeSwitchNs + profile.cpu.syscallNs + m.epollCtlNs;
  assert.equal(perCall[0], fixed, "the first add walks an empty tree");
  assert.equal(perCall[1023], fixed + Math.ceil(Math.log2(1024)) * m.epollTreeLevelNs);
  assert.equal(ep.counters.ctlCalls, 1024);
});

test("select(host) and poll(host).addSource: a source (a listening socket) sleeps with the sockets, wakes the call when its owner signals, is reported with a null sock, and is priced as one more watched fd", () => {
  for (const make of [select, poll]) {
    const {sim, host, socks} = world(10);
    const mux = make(host);
    let queued = 0;
    const {ctl, callback} = mux.addSource(1000, () => (queued > 0 ? EPOLLIN : 0));
    const seen: Array<{atNs: number; fds: number[]; sockNull: boolean[]}> = [];
    const sleepingBefore: boolean[] = [];
    function* loop(): ProcessBody<void> {
      yield* ctl;
      for (const s of socks) yield* mux.add(s.conn.fd, s, EPOLLIN);
      const evs = yield* mux.wait(undefined, 1);
      seen.push({atNs: sim.scheduler.now(), fds: evs.map((e) => e.fd), sockNull: evs.map((e) => e.sock === null)});
    }
    sim.scheduler.post(5_000, () => {
      sleepingBefore.push(mux.sleeping);
      queued = 1;
      callback();
      sleepingBefore.push(mux.sleeping);
    });
    spawn(sim, 1, loop).subscribe();
    sim.run();
    assert.deepEqual(sleepingBefore, [true, false], mux.api);
    assert.equal(seen.length, 1, mux.api);
    assert.deepEqual(seen[0].fds, [1000], mux.api);
    assert.deepEqual(seen[0].sockNull, [true], mux.api);
    assert.ok(seen[0].atNs >= 5_000, mux.api);
    assert.equal(mux.size, 11, mux.api);
    // Both passes (before sleeping and after the wake-up) visit all 11 descriptors.
    assert.equal(host.cpu.busyNsByTag.get("poll-scan"), 2 * 11 * profile.multiplex.pollFdNs, mux.api);
  }
  assert.throws(() => select(world(0).host).addSource(1024, () => 0), FdSetOverflowError);
});
