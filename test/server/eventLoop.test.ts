import {test} from "node:test";
import assert from "node:assert/strict";
import {InputError} from "../../src/errors.js";
import {loadProfile} from "../../src/host/profiles.js";
import {multiplexApis} from "../../src/multiplex/api.js";
import {reactorScenario, runReactor} from "../../src/scenarios/reactor.js";
import {resolveParams} from "../../src/scenarios/scenario.js";
import {runServer, selectMaxClients, type ServerRunOptions} from "../../src/scenarios/server.js";

const profile = loadProfile("server-2024");

/** The event-loop model under *clients* keep-alive clients of 4 requests; the think time grows with the clients, so the request rate (the activity) stays the same while the idle connections grow. */
function loop(api: "select" | "poll" | "epoll", clients: number, o: Partial<ServerRunOptions> = {}) {
  return runServer({profile, model: "event-loop", api, clients, requests: 4, thinkNs: clients * 100e3, rampNs: clients * 10e3, handlerNs: 1000, seed: 0, keepEvents: false, ...o});
}

/** Requests served, failed for any reason, and still open. */
function accounted(r: ReturnType<typeof loop>["result"]): number {
  const f = r.requestsFailed;
  return r.requestsServed + f.connectTimeout + f.dataTimeout + f.reset + r.requestsOpen;
}

test("runServer({model: 'event-loop'}) at a fixed request rate: a wait call's CPU grows with the connections for select and poll, stays flat for epoll", () => {
  const perCall = new Map<string, number[]>();
  for (const api of multiplexApis) {
    const small = loop(api, 100).result;
    const large = loop(api, 1000).result;
    // The same activity: about one ready connection per call in both runs.
    for (const r of [small, large]) {
      assert.equal(r.api, api);
      assert.ok(r.multiplexer !== null && r.multiplexer.eventsPerCall >= 1 && r.multiplexer.eventsPerCall < 2, `${api}: ${r.multiplexer?.eventsPerCall} events per call`);
    }
    perCall.set(api, [small.multiplexer!.perCallNs, large.multiplexer!.perCallNs]);
  }
  for (const api of ["select", "poll"]) {
    const [a, b] = perCall.get(api)!;
    // 10× the watched descriptors: the kernel's pass and the user-space scan cost about 10× (≥ 5× with the ramp's early, smaller calls).
    assert.ok(b > 5 * a, `${api}: ${a} ns → ${b} ns per call`);
  }
  const [a, b] = perCall.get("epoll")!;
  assert.ok(b < 1.25 * a && b > 0.8 * a, `epoll: ${a} ns → ${b} ns per call`);
  assert.ok(b * 20 < perCall.get("poll")![1], "at 1,000 connections a poll call costs over 20× an epoll_wait");
});

test("runServer({model: 'event-loop'}): the wait calls' costs show in cpuShare under their categories", () => {
  const share = (api: "select" | "poll" | "epoll") => loop(api, 200).result.cpuShare as Record<string, number>;
  for (const api of ["select", "poll"] as const) {
    const s = share(api);
    for (const k of ["poll-scan", "poll-wait", "fd-copy", "user-scan"]) assert.ok(s[k] > 0, `${api} ${k}`);
    for (const k of ["epoll-ctl", "epoll-wait", "epoll-callback"]) assert.equal(s[k], undefined, `${api} ${k}`);
  }
  const s = share("epoll");
  for (const k of ["epoll-ctl", "epoll-wait", "epoll-callback", "fd-copy"]) assert.ok(s[k] > 0, `epoll ${k}`);
  for (const k of ["poll-scan", "poll-wait"]) assert.equal(s[k], undefined, `epoll ${k}`);
});

test("runServer({model: 'event-loop'}) and runReactor: the same workload is served in full whatever the loop waits with", () => {
  const base = {profile, clients: 60, requests: 3, rampNs: 2e6, thinkNs: 1e6, handlerNs: 10_000, seed: 1, keepEvents: false};
  for (const api of multiplexApis) {
    const {result: r, server} = runServer({...base, model: "event-loop", api});
    assert.equal(r.requestsServed, 180, api);
    assert.equal(accounted(r), r.requestsIssued, api);
    assert.equal(r.memoryAtEndBytes, r.baselineMemoryBytes, api);
    assert.equal(server.fds.open, 4, api);
    for (const variant of ["single", "single-pool", "main-sub"] as const) {
      const {result: x, runtime} = runReactor({...base, variant, api, cores: 4});
      assert.equal(x.requestsServed, 180, `${variant} ${api}`);
      assert.equal(x.api, api);
      // Every Reactor of the run (main-sub: the main one and each sub-Reactor) waits with the api.
      assert.ok(runtime!.reactors.length >= 1);
      for (const reactor of runtime!.reactors) assert.equal(reactor.ep.api, api, `${variant} ${api}`);
    }
  }
});

test("runServer({model: 'event-loop', api: 'select'}): more closed-loop clients than an fd_set holds is an InputError naming api and the 1024 limit", () => {
  assert.equal(selectMaxClients, 1020);
  const refused = (f: () => unknown) =>
    assert.throws(f, (e: unknown) => e instanceof InputError && e.param === "api" && e.value === "select" && /FD_SETSIZE 1024/.test(e.message) && /at most 1020 clients/.test(e.message));
  refused(() => loop("select", 1021, {fdLimit: 100_000}));
  refused(() => runReactor({profile, variant: "single", api: "select", clients: 1021, fdLimit: 100_000}));
  // At the limit it runs; with RLIMIT_NOFILE at 1024 the descriptor table itself keeps select's descriptors below 1024.
  assert.equal(loop("select", 1020, {fdLimit: 100_000, requests: 1}).result.fdSetRefusals, 0);
  assert.equal(loop("select", 1100, {fdLimit: 1024, requests: 1}).result.fdSetRefusals, 0);
});

test("runServer({model: 'event-loop', api: 'select'}) under Poisson arrivals: a connection past descriptor 1023 is refused and reset, counted with its reason, never wrapped", () => {
  const o = {arrivals: "poisson" as const, ratePerSec: 200_000, thinkNs: 100e6, handlerNs: 1000, fdLimit: 100_000};
  const {result: r} = loop("select", 3000, o);
  assert.ok(r.fdSetRefusals > 0);
  assert.equal(r.requestsFailed.reset, r.fdSetRefusals);
  assert.equal(r.connectionResets, r.fdSetRefusals);
  assert.equal(accounted(r), r.requestsIssued);
  // Descriptors 4 … 1023 watched, plus the one accepted on descriptor 1024 while it is refused: at most 1021 held at once.
  assert.ok(r.peakOpenConnections <= 1021, String(r.peakOpenConnections));
  // poll and epoll serve the same arrivals with none refused.
  for (const api of ["poll", "epoll"] as const) {
    const {result: x} = loop(api, 3000, o);
    assert.equal(x.fdSetRefusals, 0, api);
    assert.equal(x.requestsServed, x.requestsIssued, api);
    assert.ok(x.peakOpenConnections > 1020, api);
  }
});

test("runReactor: nginx and the Proactor wait with epoll only; another api is an InputError naming api", () => {
  for (const variant of ["nginx", "proactor-uring"] as const)
    for (const api of ["select", "poll"] as const) assert.throws(() => runReactor({profile, variant, api, clients: 4}), (e: unknown) => e instanceof InputError && e.param === "api" && e.value === api && /epoll with variant=/.test(e.message));
});

test("reactorScenario.run with api=select: the Reactors' select calls show in the result (api, multiplexer, cpuShare poll-scan and fd-copy), no epoll category", () => {
  for (const variant of ["single", "single-pool", "main-sub"]) {
    const r = reactorScenario.run(resolveParams(reactorScenario, [["variant", variant], ["api", "select"], ["clients", "50"], ["cores", "4"]]), {seed: 0, profile}) as Record<string, any>;
    assert.equal(r.api, "select", variant);
    assert.equal(r.requestsServed, 200, variant);
    assert.equal(r.fdSetRefusals, 0, variant);
    assert.equal(r.multiplexer.api, "select", variant);
    assert.equal(r.multiplexer.calls, r.epollWaits, variant);
    assert.ok(r.multiplexer.perCallNs > 0 && r.multiplexer.bytesCopiedPerCall > 0, variant);
    assert.ok(r.cpuShare["poll-scan"] > 0 && r.cpuShare["fd-copy"] > 0, variant);
    assert.equal(r.cpuShare["epoll-wait"], undefined, variant);
  }
});
