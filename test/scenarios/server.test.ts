import {test} from "node:test";
import assert from "node:assert/strict";
import {iosimSync} from "../helpers/cli.js";
import {loadProfile} from "../../src/host/profiles.js";
import {serverScenario} from "../../src/scenarios/server.js";
import {resolveParams} from "../../src/scenarios/scenario.js";

const profile = loadProfile("server-2024");

test("iosim run server --set model=pool --set clients=50 --format json prints what the scenario measures", () => {
  const {status, stdout, stderr} = iosimSync("run", "server", "--set", "model=pool", "--set", "clients=50", "--format", "json");
  assert.equal(status, 0, stderr);
  const r = JSON.parse(stdout);
  assert.deepEqual(r, JSON.parse(JSON.stringify(serverScenario.run(resolveParams(serverScenario, [["model", "pool"], ["clients", "50"]]), {seed: 0, profile}))));
  for (const key of ["requestsPerSec", "latencyP50Ns", "latencyP99Ns", "connectFailures", "synRetries", "acceptQueueDrops", "emfileErrors", "taskSwitches"]) assert.equal(typeof r[key], "number", key);
  assert.deepEqual(Object.keys(r.peakMemoryBytes), ["kernel", "user", "total"]);
  assert.ok(Math.abs(Object.values(r.cpuShare as Record<string, number>).reduce((a, b) => a + b, 0) - 1) < 1e-9);
  assert.equal(r.requestsServed, 200);
});

test("iosim run server with bad input: status 2 and one line naming the parameter, the value and what was expected", () => {
  const cases: Array<[string, string]> = [
    ["backlog=0", "invalid backlog: 0; expected an integer ≥ 1"],
    ["clients=-1", "invalid clients: -1; expected an integer ≥ 0"],
    ["model=forking", "invalid model: forking; expected one of iterative, process, thread, pool, event-loop"],
    ["fdLimit=3", "invalid fdLimit: 3; expected an integer ≥ 4"],
  ];
  for (const [set, message] of cases) {
    const {status, stdout, stderr} = iosimSync("run", "server", "--set", set);
    assert.equal(status, 2, set);
    assert.equal(stdout, "", set);
    const lines = stderr.trim().split("\n");
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0], new RegExp(message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")), set);
  }
});

test("runServer({slowShare, slowHandlerNs}): every 1/share-th client is slow, its requests alone cost slowHandlerNs, and its latencies are kept apart", async () => {
  const {runServer} = await import("../../src/scenarios/server.js");
  const {runReactor} = await import("../../src/scenarios/reactor.js");
  // 8 clients × 2 requests, a quarter slow: clients 3 and 7 (⌊(c+1)/4⌋ > ⌊c/4⌋).
  const o = {profile, clients: 8, requests: 2, handlerNs: 10_000, slowShare: 0.25, slowHandlerNs: 1e6, seed: 0, keepEvents: false};
  for (const run of [runServer({...o, model: "iterative"}), runReactor({...o, variant: "single"})]) {
    assert.equal(run.load.slowClient(3) && run.load.slowClient(7), true);
    assert.deepEqual([0, 1, 2, 4, 5, 6].map((c) => run.load.slowClient(c)), new Array(6).fill(false));
    assert.equal(run.latencySlow.count, 4);
    assert.equal(run.latencyFast.count, 12);
    // The business logic booked: 12 fast requests × 10 µs + 4 slow ones × 1 ms.
    assert.equal(run.host.cpu.busyNsByTagSoFar().get("user"), 12 * 10_000 + 4 * 1e6);
    assert.ok(run.latencySlow.quantile(0.5) > 1e6);
  }
  // No slow share: every request costs handlerNs, as before the option existed.
  const plain = runServer({...o, model: "iterative", slowShare: 0});
  assert.equal(plain.host.cpu.busyNsByTagSoFar().get("user"), 16 * 10_000);
  assert.equal(plain.latencySlow.count, 0);
});

test("iosim run server --set slowShare=1.5: status 2, one line naming slowShare", () => {
  const {status, stderr} = iosimSync("run", "server", "--set", "slowShare=1.5");
  assert.equal(status, 2);
  assert.equal(stderr.trim().split("\n").length, 1);
  assert.match(stderr, /slowShare: 1\.5; expected a number from 0 to 1/);
});

test("iosim run server --set model=event-loop --set api=select past FD_SETSIZE, and iosim run reactor --set variant=nginx --set api=poll: status 2, one line naming api", () => {
  const cases: Array<[string[], RegExp]> = [
    [["run", "server", "--set", "model=event-loop", "--set", "api=select", "--set", "clients=2000", "--set", "fdLimit=100000"], /^iosim: invalid api: select; expected poll or epoll for 2000 clients: .*FD_SETSIZE 1024/],
    [["run", "reactor", "--set", "variant=nginx", "--set", "api=poll"], /^iosim: invalid api: poll; expected epoll with variant=nginx/],
    [["run", "server", "--set", "model=event-loop", "--set", "api=kqueue"], /^iosim: invalid api: kqueue; expected one of select, poll, epoll/],
  ];
  for (const [args, message] of cases) {
    const {status, stdout, stderr} = iosimSync(...args);
    assert.equal(status, 2, args.join(" "));
    assert.equal(stdout, "");
    const lines = stderr.trim().split("\n");
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0], message);
  }
});

test("iosim run server --set model=event-loop --format json reports the loop's wait calls", () => {
  const {status, stdout, stderr} = iosimSync("run", "server", "--set", "model=event-loop", "--set", "api=poll", "--set", "clients=50", "--format", "json");
  assert.equal(status, 0, stderr);
  const r = JSON.parse(stdout);
  assert.equal(r.model, "event-loop");
  assert.equal(r.api, "poll");
  assert.equal(r.requestsServed, 200);
  assert.equal(r.fdSetRefusals, 0);
  assert.ok(r.multiplexer.calls > 0 && r.multiplexer.perCallNs > 0 && r.multiplexer.bytesCopiedPerCall > 0);
  assert.equal(r.multiplexer.ctlCalls, 0);
});

test("runServer: wake-ups across cores are counted and priced as the profile says (wakeIpis, cpuShare.ipi), more of them where idle cores halt", async () => {
  const {runServer} = await import("../../src/scenarios/server.js");
  const {runReactor} = await import("../../src/scenarios/reactor.js");
  const halting = {...profile, cpu: {...profile.cpu, idlePolls: false}};
  const o = {clients: 200, requests: 3, seed: 0, keepEvents: false};
  for (const [name, run] of [
    ["thread", (p: typeof profile) => runServer({...o, profile: p, model: "thread"})],
    ["main-sub", (p: typeof profile) => runReactor({...o, profile: p, variant: "main-sub", cores: 8})],
  ] as const) {
    const polling = run(profile);
    const halted = run(halting);
    for (const r of [polling, halted]) {
      // Each IPI is ipiNs of the woken core's time and ipiSendNs of the waker's, both booked as "ipi".
      const sendNs = profile.cpu.ipiSendNs ?? 0;
      assert.ok(sendNs > 0);
      assert.equal(r.host.cpu.wakeIpiSendNs, r.host.cpu.wakeIpis * sendNs, name);
      assert.equal(r.host.cpu.busyNsByTagSoFar().get("ipi") ?? 0, r.host.cpu.wakeIpis * (profile.cpu.ipiNs + sendNs), name);
      assert.equal(r.result.wakeIpis, r.host.cpu.wakeIpis, name);
    }
    // Halting idle cores also need an IPI for every wake-up onto an idle core of another.
    assert.ok(halted.host.cpu.wakeIpis > polling.host.cpu.wakeIpis, `${name}: ${halted.host.cpu.wakeIpis} vs ${polling.host.cpu.wakeIpis}`);
    assert.ok(halted.host.cpu.wakeIpis > 0, name);
  }
});
