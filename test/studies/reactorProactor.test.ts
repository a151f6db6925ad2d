import {test} from "node:test";
import assert from "node:assert/strict";
import {coreSeries, reactorProactorDefaults, reactorProactorStudy} from "../../src/studies/reactorProactor.js";
import {studies} from "../../src/studies/index.js";
import type {StudyResult} from "../../src/studies/study.js";
import {InputError} from "../../src/errors.js";
import {loadProfile} from "../../src/host/profiles.js";
import {runReactor} from "../../src/scenarios/reactor.js";
import {assertStudyGolden} from "./golden.js";

/** A small study: few cores, few clients, two of every other sweep. */
const small = {
  cores: [1, 4],
  clients: 64,
  requests: 4,
  slowShares: [0, 0.1],
  hol: {cores: 2, clients: 40, thinkNs: 1e6},
  burstCores: 4,
  workers: [1, 4],
  burstClients: 128,
  herdWorkers: [1, 4],
  herdConnections: 6,
  syscallCores: 4,
  batches: [1, 4],
  whichClients: [10, 100],
  whichCores: 4,
};
let cached: StudyResult | null = null;
const smallStudy = () => (cached ??= reactorProactorStudy(small));
const rows = (r: StudyResult, id: string) => r.tables.find((t) => t.id === id)!.table.objects() as Array<Record<string, any>>;

test("reactorProactorStudy() with default parameters matches its golden output", () => {
  assertStudyGolden("reactorProactorStudy", reactorProactorStudy());
});

test("reactorProactorStudy() is the last study of the report", () => {
  assert.equal(studies.at(-1)!.id, "reactor-proactor");
  assert.deepEqual(studies.map((s) => s.id).slice(-2), ["multiplexing", "reactor-proactor"]);
});

test("reactorProactorStudy(small) returns its tables, titled SVG charts and one row per run", () => {
  const r = smallStudy();
  assert.equal(r.id, "reactor-proactor");
  assert.deepEqual(r.tables.map((t) => t.id), ["cores", "head-of-line", "burst", "herd", "syscalls", "which"]);
  assert.deepEqual(r.charts.map((c) => c.id), ["throughput-cores", "latency-cores", "head-of-line", "burst-workers", "herd", "syscalls", "which-served", "which-latency"]);
  for (const c of r.charts) assert.match(c.html, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"[\s\S]*<title>/, c.id);
  assert.equal(rows(r, "cores").length, coreSeries.length * small.cores.length);
  assert.equal(rows(r, "head-of-line").length, 2 * small.slowShares.length);
  assert.equal(rows(r, "burst").length, 2 * small.workers.length);
  assert.equal(rows(r, "herd").length, 4 * small.herdWorkers.length);
  assert.equal(rows(r, "syscalls").length, 4 + small.batches.length);
  assert.equal(rows(r, "which").length, 9 * small.whichClients.length);
});

test("reactorProactorStudy(small): every chart row is finite (no NaN, no Infinity)", () => {
  for (const c of smallStudy().charts) {
    for (const row of c.data.objects() as Array<Record<string, unknown>>) {
      for (const [key, value] of Object.entries(row)) if (typeof value === "number") assert.ok(Number.isFinite(value), `${c.id}.${key} = ${value}`);
    }
  }
});

test("reactorProactorStudy(small) takes its figures from runReactor: the same run gives the same throughput and p99", () => {
  const row = rows(smallStudy(), "cores").find((x) => x.series === "main-sub" && x.cores === 4)!;
  const {result} = runReactor({profile: loadProfile("server-2024"), seed: 0, variant: "main-sub", cores: 4, clients: small.clients, requests: small.requests, rampNs: reactorProactorDefaults.rampNs, thinkNs: 0, backlog: 65_535, handlerNs: reactorProactorDefaults.handlerNs, keepEvents: false});
  assert.equal(row.requestsPerSec, result.requestsPerSec);
  assert.equal(row.latencyP99Ns, result.latencyP99Ns);
  assert.equal(row.syscallsPerRequest, result.syscallsPerRequest);
});

test("reactorProactorStudy(small): the single Reactor's business logic never takes more than one core, and every request is served", () => {
  const r = smallStudy();
  for (const x of rows(r, "cores")) {
    assert.equal(x.requestsServed, small.clients * small.requests, `${x.series} ${x.cores}`);
    if (x.series === "single") assert.ok(x.handlerCores > 0 && x.handlerCores <= 1, `single at ${x.cores} cores: ${x.handlerCores}`);
  }
  // Four sub-Reactors on four cores run the business logic on more than one.
  const mainSub = rows(r, "cores").find((x) => x.series === "main-sub" && x.cores === 4)!;
  assert.ok(mainSub.handlerCores > 1, `${mainSub.handlerCores}`);
});

test("reactorProactorStudy(small): slow clients delay the single Reactor's fast clients more than main + sub Reactors' (head-of-line blocking)", () => {
  const hol = rows(smallStudy(), "head-of-line");
  const at = (variant: string, share: number) => hol.find((x) => x.variant === variant && x.slowShare === share)!;
  // 10 % of 40 clients: 4 slow ones, each request of theirs 1 ms.
  assert.equal(at("single", 0.1).slowRequests, 4 * small.requests);
  assert.equal(at("single", 0).slowRequests, 0);
  assert.equal(at("single", 0).slowP99Ns, null);
  const growth = (variant: string) => at(variant, 0.1).fastP99Ns / at(variant, 0).fastP99Ns;
  assert.ok(growth("single") > 2, `single ×${growth("single")}`);
  assert.ok(growth("single") > growth("main-sub"), `single ×${growth("single")} vs main-sub ×${growth("main-sub")}`);
});

test("reactorProactorStudy(small): nginx wakes one worker per connection with the accept mutex, EPOLLEXCLUSIVE or SO_REUSEPORT, every worker without", () => {
  const herd = rows(smallStudy(), "herd");
  for (const x of herd) {
    assert.equal(x.connections, small.herdConnections, `${x.balancing} ${x.workers}`);
    const expected = x.balancing === "none" ? x.workers : 1;
    assert.equal(x.wakeupsPerConnection, expected, `${x.balancing} with ${x.workers} workers`);
    assert.equal(x.spuriousWakeups, (expected - 1) * small.herdConnections, `${x.balancing} with ${x.workers} workers`);
  }
});

test("reactorProactorStudy(small): the io_uring Proactor makes fewer system calls per request than every epoll Reactor", () => {
  const sys = rows(smallStudy(), "syscalls");
  const epoll = sys.filter((x) => x.batch === null);
  const uring = sys.filter((x) => x.batch !== null);
  assert.deepEqual(epoll.map((x) => x.architecture), ["single", "single-pool", "main-sub", "nginx"]);
  assert.deepEqual(uring.map((x) => x.batch), small.batches);
  for (const u of uring) for (const e of epoll) assert.ok(u.syscallsPerRequest < e.syscallsPerRequest, `batch ${u.batch} ${u.syscallsPerRequest} vs ${e.architecture} ${e.syscallsPerRequest}`);
  // The system-call runs at a core count the cores sweep has are that sweep's runs.
  const single = rows(smallStudy(), "cores").find((x) => x.series === "single" && x.cores === 4)!;
  assert.equal(epoll[0].syscallsPerRequest, single.syscallsPerRequest);
});

test("reactorProactorStudy(small): at 10 clients every architecture of the kit serves every request", () => {
  const which = rows(smallStudy(), "which");
  assert.deepEqual([...new Set(which.map((x) => x.architecture))], ["iterative", "process", "thread", "pool", "single", "single-pool", "main-sub", "nginx", "proactor-uring"]);
  for (const x of which.filter((w) => w.clients === 10)) {
    assert.equal(x.requestsServed, 10 * 2, x.architecture);
    assert.equal(x.copes, true, x.architecture);
  }
  assert.match(smallStudy().notes.find((n) => n.startsWith("At 10 clients"))!, /every architecture serves at least 99\.0% of the requests within the run/);
});

test("reactorProactorStudy(small): the which-architecture clients arrive at whichRatePerSec and idle between two requests, so the event-driven servers hold most of them at once", () => {
  const which = rows(smallStudy(), "which");
  const rate = reactorProactorDefaults.whichRatePerSec;
  for (const x of which) {
    assert.equal(x.rampNs, (x.clients / rate) * 1e9, `${x.architecture} ${x.clients}`);
    assert.equal(x.idleNs, x.rampNs);
    assert.equal(x.durationNs, 11 * x.rampNs + 100e6);
    assert.equal(x.requestsWanted, 2 * x.clients);
    assert.ok(x.requestsServed + x.requestsFailed + x.requestsOpen <= x.requestsWanted, `${x.architecture} ${x.clients}`);
  }
  // 100 clients over 10 ms, idling 10 ms on average: the iterative server stays with one idle client at a time and falls behind; every event-driven variant serves them, holding more than a pool's 32 connections at once.
  const at = (architecture: string) => which.find((x) => x.architecture === architecture && x.clients === 100)!;
  assert.equal(at("iterative").copes, false);
  assert.equal(at("iterative").peakOpenConnections, 1);
  for (const v of ["single", "single-pool", "main-sub", "nginx", "proactor-uring"]) {
    assert.equal(at(v).copes, true, v);
    assert.ok(at(v).peakOpenConnections > 32, `${v} held ${at(v).peakOpenConnections}`);
  }
  // The row is the run's: the same options give the same p99 and connections held.
  const {result} = runReactor({profile: loadProfile("server-2024"), seed: 0, variant: "main-sub", cores: small.whichCores, clients: 100, requests: 2, keepAlive: true, rampNs: 10e6, thinkNs: 10e6, durationNs: 210e6, backlog: 65_535, handlerNs: reactorProactorDefaults.fastHandlerNs, fdLimit: 1_048_576, memoryLimitBytes: reactorProactorDefaults.whichMemoryBytes, keepEvents: false});
  assert.equal(at("main-sub").latencyP99Ns, result.latencyP99Ns);
  assert.equal(at("main-sub").peakOpenConnections, result.peakOpenConnections);
  assert.match(smallStudy().notes.find((n) => n.startsWith("At 100 clients"))!, /^At 100 clients \(arriving at 10,000\/s over 10\.00 ms, idling 10\.00 ms on average between their two requests\): .*\(iterative \d/);
});

test("reactorProactorStudy notes follow the runs: one nginx worker has no herd, four have one", () => {
  const herdNote = (r: StudyResult) => r.notes.find((n) => n.startsWith("Thundering herd"))!;
  const noHerd = reactorProactorStudy({...small, cores: [1], whichClients: [10], herdWorkers: [1]});
  assert.match(herdNote(noHerd), /no balancing wakes more than one worker per connection: no herd/);
  assert.match(herdNote(smallStudy()), /with the accept mutex off, some worker count wakes more than one worker per connection \(up to 4\.00/);
});

test("reactorProactorStudy rejects bad parameters with an error naming them", () => {
  assert.throws(() => reactorProactorStudy({cores: [0]}), (e: unknown) => e instanceof InputError && e.param === "cores");
  assert.throws(() => reactorProactorStudy({slowShares: [1.5]}), (e: unknown) => e instanceof InputError && e.param === "slowShares");
  assert.throws(() => reactorProactorStudy({whichRatePerSec: 0}), (e: unknown) => e instanceof InputError && e.param === "whichRatePerSec");
  assert.throws(() => reactorProactorStudy({nope: 1} as never), (e: unknown) => e instanceof InputError && /nope/.test(e.message));
});
