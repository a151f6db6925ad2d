import {test} from "node:test";
import assert from "node:assert/strict";
import {serversDefaults, serversStudy} from "../../src/studies/servers.js";
import {studies} from "../../src/studies/index.js";
import type {StudyResult} from "../../src/studies/study.js";
import {InputError} from "../../src/errors.js";
import {loadProfile} from "../../src/host/profiles.js";
import {runServer} from "../../src/scenarios/server.js";
import {synSchedule, tcpSettings} from "../../src/net/tcpSettings.js";
import {GiB, MiB} from "../../src/units.js";
import {assertStudyGolden} from "./golden.js";

/** A small study: one profile, two client counts, every model, the event loop with every api (the default has epoll only), one accept-queue run. */
const small = {profiles: ["server-2024"], apis: ["epoll", "poll", "select"] as const, clients: [10, 1000], acceptDelaysNs: [100e6]};
/** The small study's lines: each model, the event loop once per api. */
const lineCount = serversDefaults.models.length - 1 + small.apis.length;
let cached: StudyResult | null = null;
const smallStudy = () => (cached ??= serversStudy({...small, apis: [...small.apis]}));
const rows = (r: StudyResult, id: string) => r.tables.find((t) => t.id === id)!.table.objects() as Array<Record<string, any>>;

test("serversStudy() with default parameters matches its golden output", () => {
  assertStudyGolden("serversStudy", serversStudy());
});

test("serversStudy() draws one event-loop line by default, the epoll event loop (poll and select by parameter)", () => {
  assert.deepEqual(serversDefaults.apis, ["epoll"]);
});

test("serversStudy(small) returns its tables, titled SVG charts and one row per profile, model and client count", () => {
  const r = smallStudy();
  assert.equal(r.id, "servers");
  assert.deepEqual(r.tables.map((t) => t.id), ["results", "c10k-budget", "cpu-share", "connect-steps", "connect-times"]);
  assert.deepEqual(r.charts.map((c) => c.id), ["throughput", "latency-p99", "served-share", "memory", "c10k-budget", "cpu-share", "connect-steps"]);
  for (const c of r.charts) assert.match(c.html, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"[\s\S]*<title>/, c.id);
  assert.equal(rows(r, "results").length, lineCount * small.clients.length);
  assert.equal(rows(r, "c10k-budget").length, lineCount);
  assert.equal(rows(r, "connect-times").length, serversDefaults.backlogClients);
});

test("serversStudy(small) takes every figure from runServer: the same run gives the same throughput, p99 and memory per connection", () => {
  const r = smallStudy();
  const row = rows(r, "results").find((x) => x.model === "thread" && x.clients === 1000)!;
  const p = serversDefaults;
  const {result} = runServer({profile: loadProfile("server-2024"), model: "thread", clients: 1000, requests: p.requests, rampNs: p.rampNs, thinkNs: p.thinkNs, handlerNs: p.handlerNs, threads: p.threads, fdLimit: p.fdLimit, memoryLimitBytes: p.memoryLimitBytes, durationNs: p.durationNs, seed: p.seed, keepEvents: false});
  assert.equal(row.requestsPerSec, result.requestsPerSec);
  assert.equal(row.latencyP99Ns, result.latencyP99Ns);
  assert.equal(row.memoryPerConnectionBytes, result.memoryPerConnectionBytes);
  assert.equal(row.peakMemoryBytes, result.peakMemoryBytes.total);
});

test("serversStudy(small) accounts for every request (served, failed or open) and its CPU shares sum to 1 per run", () => {
  const r = smallStudy();
  for (const x of rows(r, "results")) {
    assert.equal(x.requestsServed + x.requestsFailed + x.requestsOpen, x.requestsIssued, `${x.model} ${x.clients}`);
    assert.equal(x.works, x.servedShare >= serversDefaults.workingServedShare && x.requestsFailed === 0 && x.oomFailures === 0);
  }
  const sums = new Map<string, number>();
  for (const s of rows(r, "cpu-share")) sums.set(`${s.profile} ${s.model} ${s.clients}`, (sums.get(`${s.profile} ${s.model} ${s.clients}`) ?? 0) + s.share);
  assert.equal(sums.size, lineCount * small.clients.length);
  for (const [key, sum] of sums) assert.ok(Math.abs(sum - 1) < 1e-9, key);
});

test("serversStudy(small) has an epoll, a poll and a select event-loop line, each measured by runServer with that api", () => {
  const r = smallStudy();
  const throughput = r.charts.find((c) => c.id === "throughput")!.data.objects() as Array<Record<string, any>>;
  for (const line of ["epoll event loop", "poll event loop", "select event loop"]) {
    assert.deepEqual(throughput.filter((d) => d.model === line).map((d) => d.clients), small.clients, line);
    assert.match(r.charts.find((c) => c.id === "throughput")!.html, new RegExp(line));
  }
  const row = rows(r, "results").find((x) => x.line === "epoll event loop" && x.clients === 1000)!;
  assert.equal(row.model, "event-loop");
  assert.equal(row.api, "epoll");
  const p = serversDefaults;
  const {result} = runServer({profile: loadProfile("server-2024"), model: "event-loop", api: "epoll", clients: 1000, requests: p.requests, rampNs: p.rampNs, thinkNs: p.thinkNs, handlerNs: p.handlerNs, threads: p.threads, fdLimit: p.fdLimit, memoryLimitBytes: p.memoryLimitBytes, durationNs: p.durationNs, seed: p.seed, keepEvents: false});
  assert.equal(row.requestsPerSec, result.requestsPerSec);
  assert.equal(row.waitPerCallNs, result.multiplexer!.perCallNs);
  // At 1,000 clients a select or poll call costs more than an epoll_wait, and the note says so with the runs' figures.
  const at = (api: string) => rows(r, "results").find((x) => x.api === api && x.clients === 1000)!.waitPerCallNs as number;
  assert.ok(at("poll") > at("epoll") && at("select") > at("epoll"));
  assert.ok(r.notes.some((n) => n.startsWith("The event loop under server-2024 at 1,000 clients: one wait call costs")));
  for (const x of rows(r, "results")) assert.equal(x.waitPerCallNs === null, x.model !== "event-loop", `${x.line} ${x.clients}`);
});

test("serversStudy() past select's limit: the select event loop's refusal is a row of the results table with its reason, not a point of any chart", () => {
  const r = serversStudy({profiles: ["server-2024"], models: ["event-loop"], apis: ["select", "epoll"], clients: [10, 2000], acceptDelaysNs: [100e6]});
  const refused = rows(r, "results").filter((x) => !x.ran);
  assert.equal(refused.length, 1);
  assert.equal(refused[0].line, "select event loop");
  assert.equal(refused[0].clients, 2000);
  assert.equal(refused[0].requestsPerSec, null);
  assert.match(refused[0].refusal, /^invalid api: select; expected poll or epoll for 2000 clients: .*FD_SETSIZE 1024/);
  for (const c of r.charts.filter((c) => c.id !== "connect-steps")) {
    const points = c.data.objects() as Array<Record<string, any>>;
    assert.ok(!points.some((d) => d.model === "select event loop" && d.clients === 2000), c.id);
  }
  const budget = rows(r, "c10k-budget").find((b) => b.model === "select event loop")!;
  assert.equal(budget.stopsAtClients, 2000);
  assert.match(budget.stopReason, /^refused: invalid api: select/);
  assert.ok(r.notes.some((n) => n.startsWith("The select event loop is refused at 2,000 clients")));
  for (const n of r.notes) assert.doesNotMatch(n, /NaN|undefined|Infinity/, n);
  for (const c of r.charts) assert.doesNotMatch(c.html, /NaN/, c.id);
});

test("serversStudy() with select alone past its limit: the notes speak of the largest count that ran", () => {
  const r = serversStudy({profiles: ["server-2024"], models: ["event-loop"], apis: ["select"], clients: [10, 2000], acceptDelaysNs: [100e6]});
  assert.deepEqual(rows(r, "results").map((x) => [x.clients, x.ran]), [[10, true], [2000, false]]);
  assert.ok(r.notes.some((n) => n.startsWith("At 10 clients under server-2024, every model swept serves")), r.notes.join("\n"));
  assert.ok(!r.notes.some((n) => n.startsWith("At 2,000 clients")));
  assert.ok(r.notes.some((n) => n.startsWith("The select event loop is refused at 2,000 clients")));
});

test("serversStudy(small): a full accept queue makes connect times step at the kernel's SYN retransmission times", () => {
  const r = smallStudy();
  const steps = rows(r, "connect-steps");
  assert.ok(steps.length > 2, "more than one step after the first");
  const schedule = synSchedule(tcpSettings({})).retransmitNs;
  // Clients start interval apart; each connects one round trip (plus queueing of less than a burst's spread) after a SYN.
  const spreadNs = serversDefaults.backlogClients * serversDefaults.backlogIntervalNs + 10e6;
  for (const s of steps.slice(1)) assert.ok(schedule.some((t) => s.atNs >= t && s.atNs - t < spreadNs), `step at ${s.atNs} ns is no SYN retry time`);
  const connected = rows(r, "connect-times").filter((c) => c.connectNs !== null).length;
  assert.equal(steps.reduce((a, s) => a + s.clients, 0), connected);
});

test("serversStudy() notes follow the parameters: a 256 MiB budget puts the thread model over its C10K budget", () => {
  const base = {profiles: ["server-2024"], models: ["thread" as const], clients: [100], acceptDelaysNs: [100e6]};
  const note = (r: StudyResult) => r.notes.find((n) => n.startsWith("C10K budget under server-2024: thread"))!;
  const at2 = serversStudy(base);
  const small = serversStudy({...base, memoryLimitBytes: 256 * MiB});
  const perConn = rows(at2, "c10k-budget")[0].memoryPerConnectionBytes;
  assert.ok(perConn <= (2 * GiB) / 10_000 && perConn > (256 * MiB) / 10_000, "the measured memory per connection lies between the two budgets");
  assert.match(note(at2), /within the/);
  assert.match(note(small), /over the/);
});

test("serversStudy() notes follow the parameters: a lower working share moves where a model stops", () => {
  const base = {profiles: ["server-2024"], models: ["iterative" as const], clients: [10, 100], acceptDelaysNs: [100e6]};
  const strictStudy = serversStudy(base);
  const strict = rows(strictStudy, "c10k-budget")[0];
  const served100 = rows(strictStudy, "results").find((x) => x.clients === 100)!.servedShare;
  const lax = rows(serversStudy({...base, workingServedShare: served100 / 2}), "c10k-budget")[0];
  assert.equal(strict.stopsAtClients, 100);
  assert.equal(lax.stopsAtClients, null);
  assert.equal(lax.worksUpToClients, 100);
});

test("serversStudy() bad parameters are InputErrors naming the parameter", () => {
  assert.throws(() => serversStudy({clients: [0]}), (e: unknown) => e instanceof InputError && e.param === "clients");
  assert.throws(() => serversStudy({models: ["epoll" as never]}), (e: unknown) => e instanceof InputError && e.param === "models");
  assert.throws(() => serversStudy({apis: ["kqueue" as never]}), (e: unknown) => e instanceof InputError && e.param === "apis");
  assert.throws(() => serversStudy({workingServedShare: 2}), (e: unknown) => e instanceof InputError && e.param === "workingServedShare");
});

test("studies lists servers for the report", () => {
  assert.ok(studies.some((s) => s.id === "servers"));
});
