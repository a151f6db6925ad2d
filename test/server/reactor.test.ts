import {test} from "node:test";
import assert from "node:assert/strict";
import {createSim} from "../../src/engine/sim.js";
import {spawn, type ProcessBody} from "../../src/engine/process.js";
import {Host} from "../../src/host/Host.js";
import {loadProfile} from "../../src/host/profiles.js";
import {runReactor, type ReactorRunOptions} from "../../src/scenarios/reactor.js";
import {reactorVariants} from "../../src/server/reactor/index.js";
import {mainPid} from "../../src/server/Server.js";
import {IoUring} from "../../src/uring/IoUring.js";
import {iosimAsync, repoRoot} from "../helpers/cli.js";

const profile = loadProfile("server-2024");

/** A small run: 4 cores, *clients* clients of 3 requests each. */
function run(o: Partial<ReactorRunOptions> & Pick<ReactorRunOptions, "variant">) {
  return runReactor({profile, cores: 4, clients: 40, requests: 3, rampNs: 2e6, thinkNs: 1e6, handlerNs: 10_000, ...o});
}

/** Requests served, failed for any reason, and still open. */
function accounted(r: ReturnType<typeof run>["result"]): number {
  const f = r.requestsFailed;
  return r.requestsServed + f.connectTimeout + f.dataTimeout + f.reset + r.requestsOpen;
}

test("single Reactor: only its one task ever runs on a core (no second task, no task switch), however many cores", () => {
  const pids = new Set<number>();
  const {result: r} = run({
    variant: "single",
    cores: 8,
    clients: 60,
    onSim: (sim) => sim.trace.listen((_t, _kind, pid) => void (pid !== 0 && pids.add(pid))),
  });
  assert.equal(r.requestsServed, 180);
  assert.deepEqual([...pids], [mainPid]);
  assert.equal(r.taskSwitches, 0);
  // One task, steps one at a time: the task's busy time fits in one core's worth of the run.
  const busy = r.perCoreUtilization.reduce((a, b) => a + b, 0);
  assert.ok(busy > 0);
});

test("single Reactor: 8 cores serve a CPU-bound load no faster than 1 core", () => {
  const o = {variant: "single" as const, clients: 50, requests: 4, handlerNs: 200_000, thinkNs: 0};
  const one = run({...o, cores: 1}).result;
  const eight = run({...o, cores: 8}).result;
  assert.equal(one.requestsServed, 200);
  assert.equal(eight.requestsServed, 200);
  // The business logic alone caps it at one core: 1 / 200 µs = 5,000 requests/s.
  assert.ok(eight.requestsPerSec <= 5_000, `${eight.requestsPerSec}`);
  assert.ok(eight.requestsPerSec <= one.requestsPerSec * 1.05, `${eight.requestsPerSec} vs ${one.requestsPerSec}`);
});

test("main + sub Reactors: each connection is served by one sub-Reactor for its whole life, and every sub-Reactor gets some", () => {
  const servedBy = new Map<number, Set<number>>();
  const {result: r} = run({
    variant: "main-sub",
    threads: 4,
    onServe: (conn, pid) => {
      let s = servedBy.get(conn.id);
      if (s === undefined) servedBy.set(conn.id, (s = new Set()));
      s.add(pid);
    },
  });
  assert.equal(r.requestsServed, 120);
  assert.equal(servedBy.size, 40);
  const subs = new Set<number>();
  for (const pids of servedBy.values()) {
    assert.equal(pids.size, 1);
    const pid = [...pids][0];
    assert.notEqual(pid, mainPid);
    subs.add(pid);
  }
  assert.equal(subs.size, 4);
  assert.equal(r.handoffs, 40);
});

/** nginx with 4 workers and one client making 30 requests, each on a new connection, 50 ms apart on average: every connection arrives while all workers sleep. Also returns the Reactors each arrival woke. */
function sparseNginx(balancing: "mutex" | "none" | "exclusive" | "reuseport") {
  const woken: number[] = [];
  const {result} = run({variant: "nginx", threads: 4, balancing, clients: 1, requests: 30, keepAlive: false, rampNs: 0, thinkNs: 50e6, onListenWake: (_c, n) => woken.push(n)});
  return {...result, woken};
}

test("nginx, accept mutex on: exactly one worker woken per new connection, none in vain; never more than one under load", () => {
  const busy = run({variant: "nginx", threads: 4, balancing: "mutex", clients: 200, rampNs: 1e6}).result;
  assert.equal(busy.requestsServed, 600);
  assert.ok(busy.wakeups.listen <= busy.wakeups.connections);
  assert.equal(busy.wakeups.spurious, 0);
  const r = sparseNginx("mutex");
  assert.equal(r.requestsServed, 30);
  assert.equal(r.wakeups.connections, 30);
  assert.equal(r.wakeups.listen, 30);
  assert.deepEqual(r.woken, new Array(30).fill(1));
  assert.equal(r.wakeups.spurious, 0);
});

test("nginx, accept mutex off: every idle worker is woken per new connection (the thundering herd); EPOLLEXCLUSIVE and SO_REUSEPORT wake one", () => {
  const herd = sparseNginx("none");
  assert.equal(herd.requestsServed, 30);
  assert.deepEqual(herd.woken, new Array(30).fill(4));
  // Idle workers all sleep between sparse arrivals: each arrival wakes all 4, 3 of them for nothing.
  assert.equal(herd.wakeups.listen, 4 * 30);
  assert.equal(herd.wakeups.spurious, 3 * 30);
  for (const cure of ["exclusive", "reuseport"] as const) {
    const r = sparseNginx(cure);
    assert.equal(r.requestsServed, 30);
    assert.equal(r.wakeups.listen, 30, cure);
    assert.deepEqual(r.woken, new Array(30).fill(1), cure);
    assert.equal(r.wakeups.spurious, 0, cure);
  }
});

test("io_uring: k SQEs per io_uring_enter make 1/k of the submission calls", () => {
  for (const k of [1, 4, 16]) {
    const sim = createSim({seed: 0, keepEvents: false});
    const host = new Host(sim, profile);
    const ring = new IoUring(host, {pid: 1});
    const total = 64;
    function* body(): ProcessBody<void> {
      for (let i = 0; i < total; i += k) {
        for (let j = 0; j < k; j++) ring.prep({op: "nop"});
        yield* ring.enter();
      }
    }
    spawn(sim, 1, body).subscribe();
    sim.run();
    assert.equal(ring.counters.submitted, total);
    assert.equal(ring.counters.enters, total / k);
    assert.equal(sim.trace.count("syscall"), total / k);
  }
});

test("Proactor on io_uring: a larger batch submits more SQEs per io_uring_enter and makes fewer system calls per request", () => {
  const o = {variant: "proactor-uring" as const, threads: 2, clients: 200, requests: 3, rampNs: 1e6, thinkNs: 100_000};
  const one = run({...o, batch: 1}).result;
  const eight = run({...o, batch: 8}).result;
  assert.equal(one.requestsServed, 600);
  assert.equal(eight.requestsServed, 600);
  assert.ok(eight.sqesPerEnter > one.sqesPerEnter, `${eight.sqesPerEnter} vs ${one.sqesPerEnter}`);
  assert.ok(eight.syscallsPerRequest < one.syscallsPerRequest, `${eight.syscallsPerRequest} vs ${one.syscallsPerRequest}`);
});

test("conservation: under every architecture every request issued is served, failed with a reason, or open; a run cut short leaves some open", () => {
  for (const variant of reactorVariants) {
    const {result: r} = run({variant});
    assert.equal(accounted(r), r.requestsIssued, variant);
    assert.equal(r.requestsServed, 120, variant);
    assert.equal(r.connectionsServed, 40, variant);
    const cut = run({variant, durationNs: 2e6}).result;
    assert.equal(accounted(cut), cut.requestsIssued, variant);
    assert.ok(cut.requestsOpen > 0, variant);
  }
});

test("a tiny accept queue under a burst: the refused SYNs are retried and still every request is accounted for", () => {
  const {result: r} = run({variant: "single-pool", clients: 200, rampNs: 0, backlog: 4, tcp: {somaxconn: 4}});
  assert.equal(accounted(r), r.requestsIssued);
  assert.ok(r.acceptQueueDrops > 0);
  assert.ok(r.lockWaitNs >= 0);
});

test("iosim run reactor: bad input is exit 2 and one line naming the parameter", async () => {
  const iosim = (...args: string[]) => iosimAsync(["run", "reactor", ...args], {cwd: repoRoot});
  const cases: Array<[string[], RegExp]> = [
    [["--set", "variant=actor"], /variant/],
    [["--set", "cores=0"], /cores/],
    [["--set", "handlerNs=-1us"], /handlerNs/],
    [["--set", "io=aio"], /io.*O_DIRECT/],
  ];
  const runs = await Promise.all(cases.map(([args]) => iosim(...args, "--set", "clients=2")));
  runs.forEach((r, i) => {
    assert.equal(r.status, 2, cases[i][0].join(" "));
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, cases[i][1]);
  });
});

test("iosim run reactor --format json prints the issue's outputs, measured", async () => {
  const r = await iosimAsync(["run", "reactor", "--set", "variant=single-pool", "--set", "cores=4", "--set", "clients=30", "--set", "handlerNs=10us", "--format", "json"], {cwd: repoRoot});
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  for (const key of ["requestsPerSec", "latencyP99Ns", "perCoreUtilization", "syscallsPerRequest", "contextSwitchesPerRequest", "taskSwitches", "lockWaitNs", "wakeups", "cpuShare"]) assert.ok(key in out, key);
  assert.equal(out.perCoreUtilization.length, 4);
  assert.equal(out.requestsServed, 120);
  assert.ok(out.wakeups.eventfd > 0);
  assert.ok(out.syscallsPerRequest > 0);
});
