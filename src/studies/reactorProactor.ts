/**
 * Study: which event-driven architecture when (Reactor 和 Proactor)? A
 * single Reactor on one thread (Redis), a single Reactor with a worker pool,
 * main + sub Reactors (Netty, Memcached), nginx's worker processes (accept
 * mutex, thundering herd, EPOLLEXCLUSIVE, SO_REUSEPORT) and a Proactor on
 * io_uring, against the four server models, on the same clients.
 *
 * Picture a restaurant again. The single Reactor is one waiter who watches
 * every table's lamp (epoll) and also cooks: a dish that takes long holds up
 * every table (head-of-line blocking). With a pool the waiter only takes
 * orders and carries plates while cooks cook: the waiter becomes the limit
 * when the room fills. Main + sub Reactors give each waiter their own tables
 * and a host at the door; nginx has several waiters who take turns at the
 * door (the accept mutex) or all rush to it when it opens (the thundering
 * herd). The Proactor hands the kitchen whole orders and is told when the
 * dish is done (io_uring completions), so it talks to the kitchen less often
 * (fewer system calls). The study runs the `reactor` and `server` scenarios
 * and reads every figure off the runs.
 */
import * as aq from "arquero";
import * as z from "zod";
import {groupedBarChart, type BarRow} from "../charts/pageCache.js";
import {architectureColors, seriesLineChart, type SeriesRow} from "../charts/reactorProactor.js";
import {loadProfile, type Profile} from "../host/profiles.js";
import {fields} from "../params/fields.js";
import {parseInput} from "../params/parseInput.js";
import {runReactor, type ReactorRunOptions} from "../scenarios/reactor.js";
import {runServer} from "../scenarios/server.js";
import {serverModels} from "../server/models/index.js";
import {acceptBalancings, type AcceptBalancing} from "../server/reactor/nginx.js";
import {reactorVariants, type ReactorVariant} from "../server/reactor/index.js";
import {formatNs, formatSize, GiB} from "../units.js";
import type {StudyResult} from "./study.js";

/** A non-empty list of integers of at least *min*, ascending without repeats. */
const integerList = (min: number, expected: string) =>
  z
    .array(z.number(), {error: expected})
    .refine((list) => list.length > 0 && list.every((n) => Number.isSafeInteger(n) && n >= min), {error: expected})
    .transform((list) => [...new Set(list)].sort((a, b) => a - b));

/** A non-empty list of shares from 0 to 1, ascending without repeats. */
const shareList = (expected: string) =>
  z
    .array(z.number(), {error: expected})
    .refine((list) => list.length > 0 && list.every((n) => Number.isFinite(n) && n >= 0 && n <= 1), {error: expected})
    .transform((list) => [...new Set(list)].sort((a, b) => a - b));

/** The series of the cores sweep: the five variants, nginx twice (its default accept mutex, and SO_REUSEPORT). */
export const coreSeries = ["single", "single-pool", "main-sub", "nginx", "nginx reuseport", "proactor-uring"] as const;

/**
 * The parameters of {@link reactorProactorStudy}, declared once: each
 * one's check, its default and its meaning.
 *
 * Cost: a run costs about its connections and requests (a connection,
 * its handshake, accept, two requests and its close are about 100 to 150
 * events of the simulation, whatever the simulated time). The defaults
 * keep the sweeps of cores, workers, batches and slow shares to a few
 * thousand requests each (256 clients × 8 requests with no think time).
 * The which-architecture sweep simulates every one of its clients' connections
 * (they arrive at a rate a server can accept, so none is lost to a SYN
 * flood), 100 to 190 events each, about 0.05 ms of CPU per client and
 * architecture: measured on the quiet 2-core development machine (December
 * 2026), 10,000 clients cost 4.8 s for the nine architectures and 100,000
 * 53 s (about 100 million events). The default stops at 10,000 (C10K) so
 * that the report keeps to its 30 s budget; notebook 06 runs 100,000, and
 * `iosim report --set reactor-proactor.whichClients=...` puts it in a
 * report.
 */
export const reactorProactorParamsSchema = z.strictObject({
  profile: z.string({error: "a profile name"}).min(1, {error: "a profile name"}).default("server-2024").describe("Host profile (shipped name or JSON path); default server-2024."),
  cores: integerList(1, "a non-empty list of core counts ≥ 1").default([1, 4, 16, 64]).describe("Core counts swept for the throughput and p99 charts (log axis); default 1, 4, 16, 64 (×4 steps, to keep the run short)."),
  clients: fields.integer({min: 1}).default(256).describe("Closed-loop clients of the cores, burst, slow-handler and system-call runs; default 256."),
  requests: fields.integer({min: 1}).default(8).describe("Requests per client on one keep-alive connection in those runs; default 8."),
  rampNs: fields.positive({orZero: true, expected: "a number of ns ≥ 0"}).default(1e6).describe("Clients start at uniform random times within it, ns; default 1 ms (a burst)."),
  handlerNs: fields.positive({orZero: true, expected: "a number of ns ≥ 0"}).default(50_000).describe("Business logic of a (fast) request on a core, ns; default 50 µs, so the cores, not the 256 clients, bound the throughput up to 16 cores."),
  slowShares: shareList("a non-empty list of shares from 0 to 1").default([0, 0.02, 0.05, 0.1]).describe("Shares of slow clients swept for head-of-line blocking; default 0, 2 %, 5 %, 10 %."),
  slowHandlerNs: fields.positive({expected: "a number of ns > 0"}).default(1e6).describe("Business logic of a slow client's request, ns; default 1 ms."),
  fastHandlerNs: fields.positive({orZero: true, expected: "a number of ns ≥ 0"}).default(10_000).describe("Business logic of a fast request in the head-of-line, burst and which-architecture runs, ns; default 10 µs."),
  hol: z.strictObject({
    cores: fields.integer({min: 1}).default(4).describe("Cores of the head-of-line runs."),
    clients: fields.integer({min: 1}).default(100).describe("Clients of the head-of-line runs."),
    thinkNs: fields.positive({orZero: true, expected: "a number of ns ≥ 0"}).default(1e6).describe("Mean think time of the head-of-line runs, ns."),
  }).default({cores: 4, clients: 100, thinkNs: 1e6}).describe("The head-of-line runs: single and main-sub, 4 cores, 100 clients of 8 requests thinking 1 ms (light load, so the wait is behind slow requests, not a queue)."),
  burstCores: fields.integer({min: 1}).default(16).describe("Cores of the burst runs (single-pool and main-sub as their workers grow); default 16."),
  workers: integerList(1, "a non-empty list of worker counts ≥ 1").default([1, 2, 4, 8, 16]).describe("Workers (single-pool) and sub-Reactors (main-sub) swept in the burst runs; default 1 to 16."),
  burstClients: fields.integer({min: 1}).default(256).describe("Clients arriving at once in the burst runs (8 requests each, no think time); default 256."),
  burstLatencyNs: fields.positive({expected: "a number of ns > 0"}).default(20_000).describe("One-way link latency of the burst runs, ns; default 20 µs (clients on the same LAN, so they are not the limit)."),
  burstResponseBytes: fields.integer({min: 1}).default(128).describe("Response size of the burst runs, bytes; default 128 (small, so the NIC is not the limit)."),
  herdWorkers: integerList(1, "a non-empty list of worker counts ≥ 1").default([2, 4, 16]).describe("nginx worker processes (one core each) swept for the thundering herd; default 2, 4, 16."),
  herdConnections: fields.integer({min: 1}).default(20).describe("New connections of the thundering-herd runs, one request each, 20 ms apart on average (each finds the workers asleep); default 20."),
  syscallCores: fields.integer({min: 1}).default(16).describe("Cores of the system-call runs (the cores sweep's runs are reused when it has this count); default 16."),
  batches: integerList(1, "a non-empty list of batch sizes ≥ 1").default([1, 4, 16]).describe("io_uring SQEs per io_uring_enter swept; default 1, 4, 16."),
  whichClients: integerList(1, "a non-empty list of client counts ≥ 1").default([10, 100, 1000, 10_000]).describe("Clients of the which-architecture sweep, each holding a connection for about as long as the clients take to arrive, so most are connected at once; default 10, 100, 1,000, 10,000 (C10K), which keeps the report within its time budget. Every client's connection is simulated (about 0.05 ms of CPU per client and architecture: 10,000 clients cost about 5 s for the nine architectures, 100,000 about 53 s): notebook 06 adds 100_000, and so does `iosim report --set reactor-proactor.whichClients=10,100,1000,10000,100000`."),
  whichCores: fields.integer({min: 1}).default(8).describe("Cores of the which-architecture runs; default 8."),
  whichRatePerSec: fields.positive({expected: "a number of connections per second > 0"}).default(10_000).describe("New connections per second in the which-architecture runs: the clients arrive at uniform random times within clients / rate (1 ms for 10 clients, 10 s for 100,000); each sends a request on arrival, idles (exponential, mean as long as that ramp) and sends a second on the same connection, then closes; the run lasts the ramp, ten mean idle times and 100 ms, and what is not served by then counts as not served. Default 10,000/s, a rate every architecture but the iterative server accepts (a request costs tens of µs), so what grows with the clients is the connections each must hold at once, not the request rate."),
  whichMemoryBytes: fields.size().default(2 * GiB).describe("Memory budget of the server in the which-architecture runs, kernel and user, bytes; default 2 GiB (the C10K budget: 2 GB / 10,000 connections)."),
  workingServedShare: z.number({error: "a number from 0 to 1"}).min(0, {error: "a number from 0 to 1"}).max(1, {error: "a number from 0 to 1"}).default(0.99).describe("An architecture copes with a client count when it served at least this share of the requests within the run; default 0.99."),
  seed: fields.seed().default(0).describe("Seed of every simulation."),
});

/** Parameters of {@link reactorProactorStudy} (see {@link reactorProactorParamsSchema}). */
export type ReactorProactorParams = z.output<typeof reactorProactorParamsSchema>;

/** Default parameters of {@link reactorProactorStudy} (read from {@link reactorProactorParamsSchema}). */
export const reactorProactorDefaults: Readonly<ReactorProactorParams> = Object.freeze(reactorProactorParamsSchema.parse({}));

/** Returns *params* over the defaults, checked by {@link reactorProactorParamsSchema}: errors name the parameter. */
function resolve(params: z.input<typeof reactorProactorParamsSchema>): ReactorProactorParams {
  return parseInput(reactorProactorParamsSchema, params, {keyParam: "key for study reactor-proactor"});
}

/** Returns a fraction as a percentage. */
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
/** Returns a count with thousands separators. */
const count = (n: number) => Math.round(n).toLocaleString("en-US");
/** Returns a number with two decimals. */
const two = (x: number) => x.toFixed(2);

/** The variant and nginx balancing of a series of the cores sweep. */
function seriesOptions(series: string): {variant: ReactorVariant; balancing?: AcceptBalancing} {
  if (series === "nginx reuseport") return {variant: "nginx", balancing: "reuseport"};
  return {variant: series as ReactorVariant};
}

/** Returns one measured row of a Reactor run: throughput, latency, CPU, system calls, wake-ups. */
function reactorRow(o: ReactorRunOptions) {
  const run = runReactor({...o, keepEvents: false});
  const r = run.result;
  const spanNs = run.load.counters.lastServedNs;
  // Business logic ("user" time) in cores: the single Reactor runs all of it on its one thread.
  const userNs = run.host.cpu.busyNsByTagSoFar().get("user") ?? 0;
  const util = r.perCoreUtilization;
  return {
    requestsPerSec: r.requestsPerSec,
    latencyP50Ns: r.latencyP50Ns,
    latencyP99Ns: r.latencyP99Ns,
    requestsServed: r.requestsServed,
    requestsOpen: r.requestsOpen,
    /** Business-logic CPU / the run's span: cores' worth of handler work. */
    handlerCores: spanNs > 0 ? userNs / spanNs : 0,
    /** Sum of the cores' utilization (everything: the Reactors, the workers, interrupts). */
    busyCores: util.reduce((a, b) => a + b, 0),
    busiestCore: util.reduce((a, b) => Math.max(a, b), 0),
    syscallsPerRequest: r.syscallsPerRequest,
    contextSwitchesPerRequest: r.contextSwitchesPerRequest,
    taskSwitchesPerRequest: r.taskSwitchesPerRequest,
    lockWaitNs: r.lockWaitNs,
    uringEnters: r.uringEnters,
    sqesPerEnter: r.sqesPerEnter,
    listenWakeups: r.wakeups.listen,
    spuriousWakeups: r.wakeups.spurious,
    connections: r.wakeups.connections,
    wakeupsPerConnection: r.wakeups.listenPerConnection,
    run,
  };
}

/**
 * Returns the Reactor/Proactor study: throughput and p99 latency against
 * cores for every variant; head-of-line blocking in the single Reactor
 * (fast clients' latency as the share of slow clients grows); the single
 * Reactor with a pool against main + sub Reactors under a burst as workers
 * grow; nginx's wake-ups per new connection for each way of sharing the
 * listening socket; system calls per request, epoll against io_uring with
 * batching; and every architecture of the kit (the four server models and
 * the five variants) as the clients grow (10 to 10,000 by default, 100,000
 * by parameter), arriving at a fixed rate and holding their connections
 * idle between two requests. Notes are computed from the runs.
 *
 * ```ts
 * const {tables, charts, notes} = reactorProactorStudy({cores: [1, 8], whichClients: [10, 1000]});
 * ```
 * @see serversStudy @see multiplexingStudy
 */
export function reactorProactorStudy(params: z.input<typeof reactorProactorParamsSchema> = {}): StudyResult {
  const p = resolve(params);
  const profile: Profile = loadProfile(p.profile);
  const base = {profile, seed: p.seed, clients: p.clients, requests: p.requests, rampNs: p.rampNs, thinkNs: 0, backlog: 65_535};
  // Runs with the same options are run once (the system-call sweep shares the cores sweep's runs at its core count).
  const memo = new Map<string, ReturnType<typeof reactorRow>>();
  const measure = (o: ReactorRunOptions) => {
    const key = JSON.stringify({...o, profile: undefined}, Object.keys(o).sort());
    let row = memo.get(key);
    if (row === undefined) memo.set(key, (row = reactorRow(o)));
    return row;
  };

  // (a) Throughput, p99 and CPU against cores.
  const coreRows = coreSeries.flatMap((series) =>
    p.cores.map((cores) => {
      const {run: _run, ...row} = measure({...base, ...seriesOptions(series), batch: undefined, cores, handlerNs: p.handlerNs});
      return {series, cores, ...row};
    }),
  );

  // (b) Head-of-line blocking: a share of slow clients (each request slowHandlerNs) among fast ones.
  const holRows = (["single", "main-sub"] as const).flatMap((variant) =>
    p.slowShares.map((slowShare) => {
      const {run, ...row} = measure({...base, variant, cores: p.hol.cores, clients: p.hol.clients, thinkNs: p.hol.thinkNs, rampNs: 10e6, handlerNs: p.fastHandlerNs, slowShare, slowHandlerNs: p.slowHandlerNs});
      return {
        variant,
        slowShare,
        fastP50Ns: run.latencyFast.quantile(0.5),
        fastP99Ns: run.latencyFast.quantile(0.99),
        slowP99Ns: run.latencySlow.count > 0 ? run.latencySlow.quantile(0.99) : null,
        fastRequests: run.latencyFast.count,
        slowRequests: run.latencySlow.count,
        requestsServed: row.requestsServed,
        requestsPerSec: row.requestsPerSec,
      };
    }),
  );

  // (c) A burst against the single Reactor with a pool and against main + sub Reactors, as workers grow.
  const burstRows = (["single-pool", "main-sub"] as const).flatMap((variant) =>
    p.workers.map((workers) => {
      const {run: _run, ...row} = measure({...base, variant, cores: p.burstCores, threads: workers, clients: p.burstClients, requests: 8, rampNs: 0, latencyNs: p.burstLatencyNs, responseBytes: p.burstResponseBytes, handlerNs: p.fastHandlerNs});
      return {variant, workers, ...row};
    }),
  );

  // (d) The thundering herd: sparse new connections against nginx's workers, each balancing.
  const herdRows = acceptBalancings.flatMap((balancing) =>
    p.herdWorkers.map((workers) => {
      const {run: _run, ...row} = measure({profile, seed: p.seed, variant: "nginx", balancing, cores: workers, threads: workers, clients: 1, requests: p.herdConnections, keepAlive: false, rampNs: 0, thinkNs: 20e6, handlerNs: p.fastHandlerNs});
      return {balancing, workers, ...row};
    }),
  );

  // (e) System calls per request: the epoll Reactors, and the io_uring Proactor with a batch of 1..k SQEs per enter.
  const syscallRuns: Array<{api: string; architecture: string; variant: ReactorVariant; batch: number | null}> = [
    ...(["single", "single-pool", "main-sub", "nginx"] as const).map((variant) => ({api: "epoll (Reactor)", architecture: variant, variant, batch: null})),
    ...p.batches.map((batch) => ({api: "io_uring (Proactor)", architecture: `io_uring batch ${batch}`, variant: "proactor-uring" as const, batch})),
  ];
  const syscallRows = syscallRuns.map((s) => {
    const {run: _run, ...row} = measure({...base, variant: s.variant, balancing: undefined, batch: s.batch === null || s.batch === 1 ? undefined : s.batch, cores: p.syscallCores, handlerNs: p.handlerNs});
    return {api: s.api, architecture: s.architecture, batch: s.batch, ...row};
  });

  // (f) Every architecture of the kit on one workload as the clients grow: they arrive at a fixed rate a
  // server can accept (the ramp grows with them) and each holds its connection, idle, for about as long as
  // the ramp between its two requests, so the connections held at once grow with the clients while the
  // request rate stays the same. The window covers the ramp, the idle times' tail (1 in 22,000 idles
  // past ten means) and 100 ms to settle.
  const whichShape = (clients: number) => {
    const rampNs = (clients / p.whichRatePerSec) * 1e9;
    const idleNs = rampNs;
    return {rampNs, idleNs, durationNs: rampNs + 10 * idleNs + 100e6};
  };
  const which = {profile, seed: p.seed, requests: 2, keepAlive: true, backlog: 65_535, handlerNs: p.fastHandlerNs, cores: p.whichCores, fdLimit: 1_048_576, memoryLimitBytes: p.whichMemoryBytes, keepEvents: false};
  // The server model "event-loop" is the single Reactor (variant single) under another name: it is counted once, as single.
  const blockingModels = serverModels.filter((m) => m !== "event-loop");
  const architectures = [...blockingModels, ...reactorVariants];
  const whichRows = architectures.flatMap((architecture) =>
    p.whichClients.map((clients) => {
      const {rampNs, idleNs, durationNs} = whichShape(clients);
      const o = {...which, clients, rampNs, thinkNs: idleNs, durationNs};
      const run = (blockingModels as readonly string[]).includes(architecture)
        ? runServer({...o, model: architecture as (typeof serverModels)[number], threads: 32})
        : runReactor({...o, variant: architecture as ReactorVariant});
      const r = run.result;
      const server = run.server;
      const failed = r.requestsFailed.connectTimeout + r.requestsFailed.dataTimeout + r.requestsFailed.reset;
      const wanted = clients * which.requests;
      return {
        architecture,
        clients,
        rampNs,
        idleNs,
        durationNs,
        requestsWanted: wanted,
        requestsPerSec: r.requestsPerSec,
        latencyP50Ns: r.latencyP50Ns,
        latencyP99Ns: r.latencyP99Ns,
        requestsServed: r.requestsServed,
        servedShare: r.requestsServed / wanted,
        requestsFailed: failed,
        requestsOpen: r.requestsOpen,
        acceptQueueDrops: r.acceptQueueDrops,
        /** Connections the server held at once (accepted and open), at the peak. */
        peakOpenConnections: r.peakOpenConnections,
        peakTasks: r.peakTasks,
        peakMemoryBytes: r.peakMemoryBytes.total,
        /** Connections reset because their process or thread did not fit in the memory budget. */
        oomFailures: server.counters.oomFailures,
        /** Peak memory within the budget (sockets' buffers are counted, not refused: only a task that does not fit is). */
        withinMemoryLimit: server.peakTotalBytes <= server.memoryLimitBytes,
        copes: r.requestsServed / wanted >= p.workingServedShare && failed === 0,
      };
    }),
  );

  // Charts.
  const coreSetting = `${count(p.clients)} clients × ${p.requests} requests, no think time, starting within ${formatNs(p.rampNs)}; handler ${formatNs(p.handlerNs)}; one thread (worker, sub-Reactor, nginx worker, Proactor thread) per core; ${profile.name}, seed ${p.seed}`;
  const throughputData: SeriesRow[] = coreRows.map((r) => ({series: r.series, x: r.cores, y: r.requestsPerSec}));
  const p99Data: SeriesRow[] = coreRows.map((r) => ({series: r.series, x: r.cores, y: r.latencyP99Ns / 1e6}));
  const holSetting = `${p.hol.clients} clients × ${p.requests} requests, think ${formatNs(p.hol.thinkNs)}; fast ${formatNs(p.fastHandlerNs)}, slow ${formatNs(p.slowHandlerNs)}; ${p.hol.cores} cores; ${profile.name}, seed ${p.seed}`;
  const holData: SeriesRow[] = holRows.flatMap((r) => [
    {series: `${r.variant} p99`, x: r.slowShare * 100, y: r.fastP99Ns / 1e6},
    {series: `${r.variant} p50`, x: r.slowShare * 100, y: r.fastP50Ns / 1e6},
  ]);
  const burstSetting = `${count(p.burstClients)} clients at once × 8 requests, no think time, link ${formatNs(p.burstLatencyNs)}, ${p.burstResponseBytes}-byte responses; handler ${formatNs(p.fastHandlerNs)}; ${p.burstCores} cores; ${profile.name}, seed ${p.seed}`;
  const burstData: SeriesRow[] = burstRows.map((r) => ({series: r.variant, x: r.workers, y: r.requestsPerSec}));
  const herdSetting = `${p.herdConnections} new connections, one request each, ~20 ms apart (every worker asleep when one arrives); one core per worker; ${profile.name}, seed ${p.seed}`;
  const herdData: SeriesRow[] = herdRows.map((r) => ({series: r.balancing, x: r.workers, y: r.wakeupsPerConnection}));
  const syscallData: BarRow[] = syscallRows.map((r) => ({panel: `${p.syscallCores} cores`, bar: r.architecture, value: r.syscallsPerRequest, unit: "syscalls/request"}));
  // The io_uring bars in shades of the Proactor's colour, darker as the batch grows.
  const uringShades = ["#9edae5", "#17becf", "#0f8a96", "#095c64", "#04363b"];
  const syscallColors: Record<string, string> = {...architectureColors};
  syscallRows.filter((r) => r.batch !== null).forEach((r, i) => (syscallColors[r.architecture] = uringShades[Math.min(i, uringShades.length - 1)]));
  const holColors: Record<string, string> = Object.fromEntries(holRows.flatMap((r) => [[`${r.variant} p99`, architectureColors[r.variant]], [`${r.variant} p50`, architectureColors[r.variant]]]));
  const whichSetting = `clients arrive at ${count(p.whichRatePerSec)}/s, each sends a request, idles (mean: as long as the arrivals take) and sends a second on its keep-alive connection; handler ${formatNs(p.fastHandlerNs)}; ${p.whichCores} cores, pool of 32, listen backlog 65,535, ${formatSize(p.whichMemoryBytes)}; ${profile.name}, seed ${p.seed}`;
  const whichMaxClients = Math.max(...p.whichClients);
  const whichData: SeriesRow[] = whichRows.map((r) => ({series: r.architecture, x: r.clients, y: r.servedShare * 100}));
  const whichP99Data: SeriesRow[] = whichRows.filter((r) => r.requestsServed > 0).map((r) => ({series: r.architecture, x: r.clients, y: r.latencyP99Ns / 1e6}));
  const herdColors: Record<string, string> = {none: "#e15759", mutex: "#4e79a7", exclusive: "#59a14f", reuseport: "#f28e2b"};
  const charts: StudyResult["charts"] = [
    {
      id: "throughput-cores",
      title: "Requests served per second against cores, every variant",
      html: seriesLineChart(throughputData, {title: "Requests served per second against cores", subtitle: coreSetting + ".", xLabel: "Cores (log scale)", yLabel: "Requests per second (log scale)", xType: "log", yType: "log"}),
      data: aq.from(throughputData),
    },
    {
      id: "latency-cores",
      title: "p99 latency against cores, every variant",
      html: seriesLineChart(p99Data, {title: "p99 latency against cores", subtitle: coreSetting + ".", xLabel: "Cores (log scale)", yLabel: "p99 latency (ms, log scale)", xType: "log", yType: "log"}),
      data: aq.from(p99Data),
    },
    {
      id: "head-of-line",
      title: "Head-of-line blocking: fast clients' latency as slow clients join",
      html: seriesLineChart(holData, {
        title: "Fast clients' latency as slow clients join (head-of-line blocking)",
        subtitle: holSetting + ".",
        caption: "Only the fast clients' requests are in these percentiles: in the single Reactor they wait behind every slow request on its one thread; main + sub Reactors confine a slow client to its sub-Reactor. Dashed: p50.",
        xLabel: "Slow clients (% of all)",
        yLabel: "Fast requests' latency (ms)",
        legendLabel: "Variant, percentile",
        dashed: holRows.map((r) => `${r.variant} p50`),
        colors: holColors,
      }),
      data: aq.from(holData),
    },
    {
      id: "burst-workers",
      title: "A burst: the single Reactor with a pool against main + sub Reactors as workers grow",
      html: seriesLineChart(burstData, {
        title: "A burst: requests per second as workers (or sub-Reactors) grow",
        subtitle: burstSetting + ".",
        caption: "single-pool: one Reactor thread accepts, reads and sends for every worker and takes every result back under a lock; main-sub: each sub-Reactor does its own I/O (its main Reactor is one more thread). A LAN link and small responses keep the clients and the NIC from being the limit.",
        xLabel: "Workers / sub-Reactors (log scale)",
        yLabel: "Requests per second",
        xType: "log",
      }),
      data: aq.from(burstData),
    },
    {
      id: "herd",
      title: "Thundering herd: nginx workers woken per new connection",
      html: seriesLineChart(herdData, {
          title: "nginx: workers woken per new connection",
          subtitle: herdSetting + ".",
          caption: "none: accept_mutex off, every sleeping worker's epoll is on the listening socket's wait queue and is woken; mutex: only the holder listens; exclusive: EPOLLEXCLUSIVE; reuseport: one socket per worker, the hash picks one.",
          xLabel: "Worker processes (log scale)",
          yLabel: "Wake-ups per new connection",
          xType: "log",
          legendLabel: "Balancing",
          colors: herdColors,
        }),
      data: aq.from(herdData),
    },
    {
      id: "syscalls",
      title: "System calls per request: epoll Reactors against the io_uring Proactor with batching",
      html: groupedBarChart(syscallData, {
        title: "System calls per request: epoll against io_uring",
        subtitle: `${coreSetting.replace("one thread", `${p.syscallCores} cores, one thread`)}.`,
        caption: "epoll: epoll_wait, accept, recv, send, epoll_ctl, futex, eventfd, close; io_uring: io_uring_enter (it submits once a batch of SQEs is queued, or when nothing is left to reap and it must wait) and close.",
        yLabel: "System calls per request",
        barLabel: "Architecture",
        barOrder: syscallRows.map((r) => r.architecture),
        colors: syscallColors,
      }),
      data: aq.from(syscallData),
    },
    {
      id: "which-served",
      title: `Which architecture when: share of the requests served, ${count(p.whichClients[0])} to ${count(p.whichClients[p.whichClients.length - 1])} clients`,
      html: seriesLineChart(whichData, {
        title: "Which architecture when: share of the requests served within the run",
        subtitle: whichSetting + ".",
        caption: "The four server models (iterative, process, thread, pool) and the five event-driven variants on the same clients. The request rate is the same at every count; what grows is the connections held at once (the table's peakOpenConnections): a pool thread or the iterative server stays with one idle connection until its client leaves." +
          (whichMaxClients < 100_000
            ? ` Every connection is simulated, so this run stops at ${count(whichMaxClients)} clients; notebook 06 goes to 100,000, as does iosim report --set reactor-proactor.whichClients=10,100,1000,10000,100000 (about a minute more).`
            : ""),
        xLabel: "Clients, most connected at once (log scale)",
        yLabel: "Served (%)",
        xType: "log",
      }),
      data: aq.from(whichData),
    },
    {
      id: "which-latency",
      title: `Which architecture when: p99 latency, ${count(p.whichClients[0])} to ${count(p.whichClients[p.whichClients.length - 1])} clients`,
      html: seriesLineChart(whichP99Data, {title: "Which architecture when: p99 latency of the requests served", subtitle: whichSetting + ".", caption: "Connect included. Requests not served within the run are not in the percentile (see the served share).", xLabel: "Clients, most connected at once (log scale)", yLabel: "p99 latency (ms, log scale)", xType: "log", yType: "log"}),
      data: aq.from(whichP99Data),
    },
  ];

  // Notes: every figure and verdict comes from the runs above.
  const notes: string[] = [];
  const maxCores = p.cores[p.cores.length - 1];
  const minCores = p.cores[0];
  const atMax = coreRows.filter((r) => r.cores === maxCores);
  const best = atMax.reduce((a, b) => (b.requestsPerSec > a.requestsPerSec ? b : a));
  notes.push(
    `At ${maxCores} core${maxCores === 1 ? "" : "s"} (${coreSetting}), ${best.series} serves the most, ${count(best.requestsPerSec)} requests/s (p99 ${formatNs(best.latencyP99Ns)}); ` +
      atMax.filter((r) => r !== best).map((r) => `${r.series} ${count(r.requestsPerSec)}`).join(", ") + ".",
  );
  notes.push(`Business logic spread over cores at ${maxCores} core${maxCores === 1 ? "" : "s"} (user time / the run): ` + atMax.map((r) => `${r.series} ${two(r.handlerCores)}`).join(", ") + ".");
  const single = coreRows.filter((r) => r.series === "single");
  const singleMaxHandler = single.reduce((m, r) => Math.max(m, r.handlerCores), 0);
  const singleFirst = single[0];
  const singleLast = single[single.length - 1];
  notes.push(
    `The single Reactor's business logic used at most ${two(singleMaxHandler)} cores at every core count ` +
      (singleMaxHandler <= 1 + 1e-9 ? "(one thread: it never uses more than one core)" : "(more than one core: not a single thread)") +
      (single.length > 1 ? `; from ${minCores} to ${maxCores} cores its throughput went from ${count(singleFirst.requestsPerSec)} to ${count(singleLast.requestsPerSec)} requests/s (×${two(singleLast.requestsPerSec / Math.max(singleFirst.requestsPerSec, 1e-9))}).` : "."),
  );
  for (const variant of ["single", "main-sub"] as const) {
    const rows = holRows.filter((r) => r.variant === variant);
    const none = rows[0];
    const most = rows[rows.length - 1];
    if (rows.length < 2 || none === most) continue;
    notes.push(
      `Head-of-line blocking in ${variant}: with ${pct(most.slowShare)} slow clients (${formatNs(p.slowHandlerNs)} per request) the fast clients' p99 is ${formatNs(most.fastP99Ns)} and p50 ${formatNs(most.fastP50Ns)}, ` +
        `against ${formatNs(none.fastP99Ns)} and ${formatNs(none.fastP50Ns)} with ${pct(none.slowShare)} (p99 ×${two(most.fastP99Ns / Math.max(none.fastP99Ns, 1e-9))}).`,
    );
  }
  for (const variant of ["single-pool", "main-sub"] as const) {
    const rows = burstRows.filter((r) => r.variant === variant);
    const top = rows.reduce((a, b) => (b.requestsPerSec > a.requestsPerSec ? b : a));
    // The plateau: the fewest workers reaching 90 % of the best throughput.
    const knee = rows.find((r) => r.requestsPerSec >= 0.9 * top.requestsPerSec)!;
    const last = rows[rows.length - 1];
    notes.push(
      `Under the burst (${burstSetting}), ${variant} reaches 90% of its best throughput (${count(top.requestsPerSec)} requests/s) at ${knee.workers} worker${knee.workers === 1 ? "" : "s"}` +
        (knee.workers === last.workers
          ? " (still growing at the largest count)"
          : last.requestsPerSec >= 0.9 * top.requestsPerSec
            ? ` and gains little beyond (${count(last.requestsPerSec)} at ${last.workers})`
            : `${top.workers === knee.workers ? "" : ` (its best at ${top.workers})`} and falls to ${count(last.requestsPerSec)} at ${last.workers}`) +
        `; ${count(last.lockWaitNs / 1e3)} µs of lock waits and ${two(last.taskSwitchesPerRequest)} task switches per request at ${last.workers}.`,
    );
  }
  const herdAt = (b: string) => herdRows.filter((r) => r.balancing === b);
  const herd = herdAt("none").filter((r) => r.wakeupsPerConnection > 1 + 1e-9);
  notes.push(
    `Thundering herd (${herdSetting}): ` +
      acceptBalancings.map((b) => `${b} wakes ${herdAt(b).map((r) => `${two(r.wakeupsPerConnection)}`).join(", ")}`).join("; ") +
      ` worker(s) per connection at ${p.herdWorkers.join(", ")} workers; ` +
      (herd.length > 0
        ? `with the accept mutex off, ${herd.length === herdAt("none").length ? "every" : "some"} worker count wakes more than one worker per connection (up to ${two(Math.max(...herd.map((r) => r.wakeupsPerConnection)))}, ${count(herd.reduce((s, r) => s + r.spuriousWakeups, 0))} wake-ups in vain), the herd.`
        : "no balancing wakes more than one worker per connection: no herd at these worker counts."),
  );
  const epollRows = syscallRows.filter((r) => r.batch === null);
  const uringRows = syscallRows.filter((r) => r.batch !== null);
  if (epollRows.length > 0 && uringRows.length > 0) {
    const fewestEpoll = epollRows.reduce((a, b) => (b.syscallsPerRequest < a.syscallsPerRequest ? b : a));
    const first = uringRows[0];
    const lastU = uringRows[uringRows.length - 1];
    notes.push(
      `System calls per request at ${p.syscallCores} cores: the epoll Reactors make ${epollRows.map((r) => `${r.architecture} ${two(r.syscallsPerRequest)}`).join(", ")}; ` +
        `the io_uring Proactor ${two(first.syscallsPerRequest)} with a batch of ${first.batch} (${two(first.sqesPerEnter)} SQEs per enter) and ${two(lastU.syscallsPerRequest)} with ${lastU.batch} (${two(lastU.sqesPerEnter)} per enter): ` +
        (lastU.syscallsPerRequest < fewestEpoll.syscallsPerRequest ? `${two(fewestEpoll.syscallsPerRequest / Math.max(lastU.syscallsPerRequest, 1e-9))}× fewer than the fewest of epoll (${fewestEpoll.architecture}).` : `no fewer than epoll's fewest (${fewestEpoll.architecture}).`),
    );
  }
  for (const clients of p.whichClients) {
    const at = whichRows.filter((r) => r.clients === clients);
    const cope = at.filter((r) => r.copes);
    const served = at.filter((r) => r.requestsServed > 0);
    const fastest = served.length > 0 ? served.reduce((a, b) => (b.latencyP99Ns < a.latencyP99Ns ? b : a)) : null;
    // The most connections held at once by an architecture that served them (a pool's queue of accepted, unserved connections is not holding them).
    const held = (cope.length > 0 ? cope : at).reduce((a, b) => (b.peakOpenConnections > a.peakOpenConnections ? b : a));
    const {rampNs, idleNs} = whichShape(clients);
    notes.push(
      `At ${count(clients)} clients (arriving at ${count(p.whichRatePerSec)}/s over ${formatNs(rampNs)}, idling ${formatNs(idleNs)} on average between their two requests): ` +
        (cope.length === at.length ? "every architecture serves" : cope.length === 0 ? "no architecture serves" : `${cope.map((r) => r.architecture).join(", ")} serve`) +
        ` at least ${pct(p.workingServedShare)} of the requests within the run` +
        (cope.length > 0 && cope.length < at.length
          ? ` (${at
              .filter((r) => !r.copes)
              .map((r) => `${r.architecture} ${pct(r.servedShare)}${r.oomFailures > 0 ? `, ${count(r.oomFailures)} connections reset: no ${r.architecture === "process" ? "process" : "thread"} fit in ${formatSize(p.whichMemoryBytes)}` : r.requestsFailed > 0 ? `, ${count(r.requestsFailed)} failed` : ""}`)
              .join("; ")})`
          : "") +
        `; ${cope.length > 0 ? "those held" : "they held"} up to ${count(held.peakOpenConnections)} connections at once (${held.architecture}); peak memory ${formatSize(Math.min(...at.map((r) => r.peakMemoryBytes)))} to ${formatSize(Math.max(...at.map((r) => r.peakMemoryBytes)))}` +
        (at.some((r) => !r.withinMemoryLimit && r.oomFailures === 0) ? ` (over the ${formatSize(p.whichMemoryBytes)} budget in ${at.filter((r) => !r.withinMemoryLimit && r.oomFailures === 0).map((r) => r.architecture).join(", ")}: socket buffers are counted, not refused)` : "") +
        (fastest !== null
          ? `; the lowest p99 is ${fastest.architecture}'s, ${formatNs(fastest.latencyP99Ns)}.`
          : `; none served a request within the run (up to ${count(Math.max(...at.map((r) => r.acceptQueueDrops)))} SYNs or handshakes dropped by a full accept queue).`),
    );
  }

  return {
    id: "reactor-proactor",
    title: "Reactor and Proactor: event-loop architectures, io_uring, and which one when",
    question:
      "How do the event-driven architectures — a single Reactor (Redis), a Reactor with a worker pool, main + sub Reactors (Netty), nginx's workers, an io_uring Proactor — scale with cores, where does each one block (a slow handler, a busy Reactor thread, a herd of woken workers), how many system calls does a request cost, and which architecture of the kit holds and serves the most clients, connected at once?",
    params: {...p, hol: {...p.hol}},
    tables: [
      {id: "cores", title: "Every variant against cores: throughput, latency, handler and busy cores, system calls and switches per request", table: aq.from(coreRows)},
      {id: "head-of-line", title: "Head-of-line blocking: fast and slow clients' latencies per variant and slow share", table: aq.from(holRows)},
      {id: "burst", title: "A burst against the single Reactor with a pool and main + sub Reactors, per worker count", table: aq.from(burstRows)},
      {id: "herd", title: "nginx: wake-ups per new connection per balancing and worker count", table: aq.from(herdRows)},
      {id: "syscalls", title: "System calls per request: epoll Reactors and the io_uring Proactor per batch", table: aq.from(syscallRows)},
      {id: "which", title: "Every architecture as the clients grow: served share, p99, connections held at once, memory", table: aq.from(whichRows)},
    ],
    charts,
    notes,
  };
}
