import {test} from "node:test";
import assert from "node:assert/strict";
import {loadProfile} from "../../src/host/profiles.js";
import {runServer, type ServerRunOptions} from "../../src/scenarios/server.js";
import {serverModels} from "../../src/server/models/index.js";

const profile = loadProfile("server-2024");
const p = profile.process;

/** A small run: *clients* clients, 2 requests each, 1 ms of think time. */
function run(o: Partial<ServerRunOptions> & Pick<ServerRunOptions, "model">) {
  return runServer({profile, clients: 6, requests: 2, rampNs: 1e6, thinkNs: 1e6, ...o});
}

/** Requests served, failed for any reason, and still open. */
function accounted(r: ReturnType<typeof run>["result"]): number {
  const f = r.requestsFailed;
  return r.requestsServed + f.connectTimeout + f.dataTimeout + f.reset + r.requestsOpen;
}

test("processPerConnection(server, {reap: false}): every child that exits stays a zombie, holding zombieKernelBytes", () => {
  const {result: r, server} = run({model: "process", reap: false});
  assert.equal(r.forks, 6);
  assert.equal(server.counters.exits, 6);
  assert.equal(r.zombies, 6);
  assert.equal(r.peakZombies, 6);
  assert.equal(r.reaped, 0);
  assert.equal(server.kernelMemory.byKind.zombie, 6 * p.zombieKernelBytes);
  assert.equal(r.memoryAtEndBytes, r.baselineMemoryBytes + 6 * p.zombieKernelBytes);
});

test("processPerConnection(server): a parent that waits reaps every child, no zombie left", () => {
  const {result: r, server} = run({model: "process", reap: true});
  assert.equal(r.forks, 6);
  assert.equal(r.reaped, 6);
  assert.equal(r.zombies, 0);
  assert.equal(server.kernelMemory.byKind.zombie, 0);
  assert.equal(r.memoryAtEndBytes, r.baselineMemoryBytes);
});

test("iterative(server) on one core: one task runs alone and nothing switches tasks", () => {
  const {result: r, sim} = run({model: "iterative", cores: 1, keepEvents: true});
  assert.equal(r.requestsServed, 12);
  assert.equal(r.taskSwitches, 0);
  assert.equal(sim.trace.count("task-switch"), 0);
});

test("threadPerConnection(server) on one core: threads take turns and each switch is counted, traced and priced", () => {
  const {result: r, sim, host} = run({model: "thread", cores: 1, keepEvents: true});
  assert.equal(r.requestsServed, 12);
  assert.ok(r.taskSwitches > 0);
  const events = sim.trace.filter("task-switch");
  assert.equal(events.length, r.taskSwitches);
  for (const e of events) {
    const [from, to] = e.detail.split("→");
    assert.notEqual(from, to);
  }
  assert.equal(host.cpu.busyNsByTag.get("task-switch"), r.taskSwitches * profile.cpu.taskSwitchNs);
});

test("every model: every request is served or failed with a reason, none lost, even with a backlog of 1, no SYN cookies and quick SYN give-ups", () => {
  for (const model of serverModels) {
    const {result: r} = run({model, clients: 30, rampNs: 0, thinkNs: 500e6, backlog: 1, tcp: {syncookies: 0, synRetries: 1, synLinearTimeouts: 0}});
    assert.equal(r.requestsIssued, 30 * 2, model);
    assert.equal(accounted(r), r.requestsIssued, model);
    assert.equal(r.requestsOpen, 0, model);
    assert.ok(r.requestsServed > 0, model);
    // A SYN queue of 2 without cookies drops most of 30 simultaneous SYNs; a client that retries once gives up after 3 s.
    assert.ok(r.requestsFailed.connectTimeout > 0, model);
    assert.equal(r.requestsFailed.connectTimeout, r.connectFailures, model);
  }
});

test("processPerConnection(server) within a memory limit: forks that would pass it fail, the connection is reset, and its request is counted failed", () => {
  // Room for the main process and 2 children with their sockets, not 6.
  const perChild = p.processKernelBytes + p.processRssBytes;
  // A socket's objects, and at most three pages of buffers: the request's skb (one page) while it waits to be read, the
  // response's (4 KiB + an skb head: two pages) until it is acknowledged.
  const perSocket = profile.net.socketBytes + 3 * profile.memory.pageBytes;
  const limit = p.processKernelBytes + p.processRssBytes + 2 * perChild + 6 * perSocket;
  const {result: r} = run({model: "process", rampNs: 0, thinkNs: 50e6, memoryLimitBytes: limit});
  assert.ok(r.oomFailures > 0);
  assert.ok(r.peakMemoryBytes.total <= limit);
  assert.equal(r.requestsFailed.reset, r.oomFailures);
  assert.equal(accounted(r), r.requestsIssued);
  assert.equal(r.requestsOpen, 0);
  // A refused connection is closed with its request unread: close frees its skbs, so memory still returns to its baseline.
  assert.equal(r.memoryAtEndBytes, r.baselineMemoryBytes);
});

test("every model: memory returns to its baseline once every connection has closed", () => {
  for (const model of serverModels) {
    for (const keepAlive of [true, false]) {
      const {result: r, server} = run({model, keepAlive});
      assert.equal(r.requestsServed, 12, `${model} keepAlive=${keepAlive}`);
      assert.ok(r.peakMemoryBytes.total > r.baselineMemoryBytes, model);
      assert.equal(r.memoryAtEndBytes, r.baselineMemoryBytes, `${model} keepAlive=${keepAlive}`);
      const k = server.kernelMemory.byKind;
      assert.deepEqual([k["request-sock"], k.socket, k.buffers], [0, 0, 0], model);
      assert.equal(server.fds.open, 4, model);
      assert.equal(r.connectionsServed, keepAlive ? 6 : 12, model);
    }
  }
});

test("threadPerConnection(server) at RLIMIT_NOFILE: accept fails with EMFILE while the connection stays queued, is retried, and every request is still served", () => {
  // 4 descriptors are open (stdio, the listener): room for 2 connections at once.
  const {result: r} = run({model: "thread", fdLimit: 6, rampNs: 0, thinkNs: 5e6});
  assert.ok(r.emfileErrors > 0);
  assert.ok(r.peakOpenConnections <= 2);
  assert.equal(r.requestsServed, 12);
});

test("threadPool(server, {threads}): the pool's threads are created once, and contended locks are booked as lock-wait", () => {
  const {result: r} = run({model: "pool", threads: 4, clients: 40, rampNs: 0});
  assert.equal(r.threadsCreated, 4);
  assert.equal(r.requestsServed, 80);
  assert.equal(r.baselineMemoryBytes, p.processKernelBytes + p.processRssBytes + 4 * (p.threadKernelBytes + p.stackRssBytes));
  if (r.lockContentions > 0) assert.ok((r.cpuShare as Record<string, number>)["lock-wait"] > 0);
});

test("runServer: the same parameters and seed give the same result; another seed, other start times", () => {
  const a = JSON.stringify(run({model: "pool", seed: 3}).result);
  assert.equal(JSON.stringify(run({model: "pool", seed: 3}).result), a);
  assert.notEqual(JSON.stringify(run({model: "pool", seed: 4}).result), a);
});

test("runServer with Poisson arrivals: each arriving connection makes its requests and closes; shares of CPU sum to 1", () => {
  const {result: r} = run({model: "thread", arrivals: "poisson", ratePerSec: 2000, clients: 20});
  assert.equal(r.requestsIssued, 40);
  assert.equal(r.requestsServed, 40);
  assert.equal(r.connectionsOpened, 20);
  assert.ok(Math.abs(Object.values(r.cpuShare as Record<string, number>).reduce((a, b) => a + b, 0) - 1) < 1e-9);
});

test("a memory budget with room for 3 sockets: handshakes beyond it are dropped (socketMemoryDrops), clients retry, every request is still served or failed with a reason", () => {
  const limit = p.processKernelBytes + p.processRssBytes + 3 * profile.net.socketBytes;
  const {result: r, server} = run({model: "event-loop", rampNs: 0, memoryLimitBytes: limit});
  assert.ok(r.socketMemoryDrops > 0);
  assert.equal(r.socketMemoryDrops, server.listener.counters.memoryDrops);
  assert.ok(server.peakSockets <= 3, `${server.peakSockets} sockets at once`);
  assert.equal(accounted(r), r.requestsIssued);
  assert.equal(r.requestsOpen, 0);
  assert.ok(r.requestsServed > 0);
  assert.equal(r.memoryAtEndBytes, r.baselineMemoryBytes);
});
