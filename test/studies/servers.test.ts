import {test} from "node:test";
import assert from "node:assert/strict";
import {serversDefaults, serversStudy} from "../../src/studies/servers.js";
import {studies} from "../../src/studies/index.js";
import type {StudyResult} from "../../src/studies/study.js";
import {InputError} from "../../src/errors.js";
import {loadProfile} from "../../src/host/profiles.js";
import {runServer} from "../../src/scenarios/server.js";
import {synSchedule, tcpSettings} from "../../src/net/tcpSettings.js";
import {GiB} from "../../src/units.js";
import {assertStudyGolden} from "./golden.js";

/** A small study: one profile, two client counts, every model, one accept-queue run. */
const small = {profiles: ["server-2024"], clients: [10, 1000], acceptDelaysNs: [100e6]};
let cached: StudyResult | null = null;
const smallStudy = () => (cached ??= serversStudy(small));
const rows = (r: StudyResult, id: string) => r.tables.find((t) => t.id === id)!.table.objects() as Array<Record<string, any>>;

test("serversStudy() with default parameters matches its golden output", () => {
  assertStudyGolden("serversStudy", serversStudy());
});

test("serversStudy(small) returns its tables, titled SVG charts and one row per profile, model and client count", () => {
  const r = smallStudy();
  assert.equal(r.id, "servers");
  assert.deepEqual(r.tables.map((t) => t.id), ["results", "c10k-budget", "cpu-share", "connect-steps", "connect-times"]);
  assert.deepEqual(r.charts.map((c) => c.id), ["throughput", "latency-p99", "served-share", "memory", "c10k-budget", "cpu-share", "connect-steps"]);
  for (const c of r.charts) assert.match(c.html, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"[\s\S]*<title>/, c.id);
  assert.equal(rows(r, "results").length, serversDefaults.models.length * small.clients.length);
  assert.equal(rows(r, "c10k-budget").length, serversDefaults.models.length);
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
  assert.equal(sums.size, serversDefaults.models.length * small.clients.length);
  for (const [key, sum] of sums) assert.ok(Math.abs(sum - 1) < 1e-9, key);
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

test("serversStudy() notes follow the parameters: a 1 GiB budget puts the thread model over its C10K budget", () => {
  const base = {profiles: ["server-2024"], models: ["thread" as const], clients: [100], acceptDelaysNs: [100e6]};
  const note = (r: StudyResult) => r.notes.find((n) => n.startsWith("C10K budget under server-2024: thread"))!;
  const at2 = serversStudy(base);
  const at1 = serversStudy({...base, memoryLimitBytes: 1 * GiB});
  const perConn = rows(at2, "c10k-budget")[0].memoryPerConnectionBytes;
  assert.ok(perConn <= (2 * GiB) / 10_000 && perConn > GiB / 10_000, "the measured memory per connection lies between the two budgets");
  assert.match(note(at2), /within the/);
  assert.match(note(at1), /over the/);
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
  assert.throws(() => serversStudy({workingServedShare: 2}), (e: unknown) => e instanceof InputError && e.param === "workingServedShare");
});

test("studies lists servers for the report", () => {
  assert.ok(studies.some((s) => s.id === "servers"));
});
