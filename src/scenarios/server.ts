/**
 * `iosim run server`: clients against one listening socket served by a
 * server model (iterative, process per connection, thread per connection,
 * a thread pool, an event loop waiting with select, poll or epoll), up to
 * C10K and beyond: throughput, latency, what failed and why, task
 * switches, memory (kernel and user) against the budget, CPU by category.
 */
import type {OperatorFunction} from "rxjs";
import type {Connection} from "../net/Connection.js";
import type {Served} from "../server/serveConnection.js";
import {LatencyHistogram} from "../analysis/LatencyHistogram.js";
import {cpuShare, utilization} from "../analysis/metrics.js";
import {Host} from "../host/Host.js";
import type {Profile} from "../host/profiles.js";
import {ClientPopulation, defaultLinkLatencyNs} from "../net/ClientPopulation.js";
import {defaultNofileLimit} from "../net/FdTable.js";
import {KernelMemory} from "../net/KernelMemory.js";
import {Listener} from "../net/Listener.js";
import {NetStack} from "../net/NetStack.js";
import {linuxTcpDefaults, tcpSettings, type TcpSettings} from "../net/tcpSettings.js";
import {InputError} from "../errors.js";
import {multiplexApis, type MultiplexApi} from "../multiplex/api.js";
import {FD_SETSIZE} from "../multiplex/select.js";
import {serverModel, serverModels, type ServerModelName} from "../server/models/index.js";
import {defaultEmfileBackoffNs, defaultMemoryLimitBytes, Server, type RequestHandler} from "../server/Server.js";
import {LISTEN_FD, type Reactor, type ReactorRuntime} from "../server/reactor/internal.js";
import {KiB} from "../units.js";
import {arrivalProcesses, ServerClients, type ArrivalProcess} from "../workload/serverClients.js";
import {extrapolateEvents, scenarioSim, type ParamSpec, type ParamValues, type RunContext, type Scenario, type ScenarioSimOptions} from "./scenario.js";

/** Parameters of {@link runServer}. */
export interface ServerRunOptions extends ScenarioSimOptions {
  profile: Profile;
  model: ServerModelName;
  /** closed: concurrent clients; poisson: connections arriving in all. */
  clients: number;
  /** Requests per client (closed) or per connection (poisson); default 4. */
  requests?: number;
  arrivals?: ArrivalProcess;
  /** poisson: mean arrivals per second; default 10,000. */
  ratePerSec?: number;
  /** closed: clients start uniformly within this window, ns; default 10 ms. */
  rampNs?: number;
  /** Mean think time between requests, ns; default 1 ms. */
  thinkNs?: number;
  /** Keep-alive (default) or a new connection per request. */
  keepAlive?: boolean;
  /** Default 128 bytes. */
  requestBytes?: number;
  /** Default 4 KiB. */
  responseBytes?: number;
  /** Business logic per request on a core, ns; default 20 µs. */
  handlerNs?: number;
  /** Share of the clients whose every request is slow (every 1/share-th client), 0 to 1; default 0. */
  slowShare?: number;
  /** Business logic of a slow client's request, ns; default 1 ms. */
  slowHandlerNs?: number;
  /** pool: worker threads; default 32. */
  threads?: number;
  /** process: the parent waits for its children; default true. */
  reap?: boolean;
  /** event-loop: what the loop waits with; default epoll. */
  api?: MultiplexApi;
  /** listen() backlog; default 511 (nginx's on Linux). */
  backlog?: number;
  /** RLIMIT_NOFILE (soft); default 1024. */
  fdLimit?: number;
  /** Memory budget of the server, kernel and user, bytes; default 2 GiB. */
  memoryLimitBytes?: number;
  /** One-way link latency, ns. */
  latencyNs?: number;
  /** Pause before an accept() retried after EMFILE, ns; default 1 ms. */
  emfileBackoffNs?: number;
  /** Override the profile's core count. */
  cores?: number;
  tcp?: Partial<TcpSettings>;
  /** Stop at this time, ns (requests still open are counted), or "settled": when nothing can change. */
  durationNs?: number | "settled";
  /** Serve with this operator instead of **model**'s (the `reactor` scenario's architectures on the same clients). */
  serve?: (server: Server) => OperatorFunction<Connection, Served>;
}

/** The most closed-loop clients a select loop can hold: their connections take descriptors LISTEN_FD + 1 … FD_SETSIZE − 1. */
export const selectMaxClients = FD_SETSIZE - LISTEN_FD - 1;

/**
 * Throws an {@link InputError} naming `api` when a select loop is set up
 * for more closed-loop clients than an fd_set can hold and the descriptor
 * limit would let their connections past descriptor 1023 (nginx's select
 * module refuses to start the same way: worker_connections > FD_SETSIZE).
 * What cannot be known here (Poisson arrivals, connections not yet closed
 * by the server when their client reconnects) is refused per connection
 * at run time (`fdSetRefusals`).
 */
export function checkSelectClients(api: MultiplexApi, clients: number, arrivals: ArrivalProcess, fdLimit: number): void {
  if (api === "select" && arrivals === "closed" && clients > selectMaxClients && fdLimit > FD_SETSIZE)
    throw new InputError(
      "api",
      "select",
      `poll or epoll for ${clients} clients: an fd_set holds descriptors 0–${FD_SETSIZE - 1} (FD_SETSIZE ${FD_SETSIZE} limit), 0–${LISTEN_FD} are stdio and the listener, so select serves at most ${selectMaxClients} clients (or set fdLimit ≤ ${FD_SETSIZE})`,
    );
}

/** What the Reactors' wait calls did, summed over every Reactor of the run: the per-call costs select and poll pay for every watched fd, and epoll only per ready one. */
export function multiplexerSummary(api: MultiplexApi, reactors: readonly Reactor[]) {
  let calls = 0, cpuNs = 0, bytes = 0, events = 0, ctlCalls = 0, ctlCpuNs = 0, blocked = 0;
  for (const r of reactors) {
    const c = r.ep.counters;
    calls += c.calls;
    cpuNs += c.cpuNs;
    bytes += c.bytesToKernel + c.bytesToUser;
    events += c.events;
    ctlCalls += c.ctlCalls;
    ctlCpuNs += c.ctlCpuNs;
    blocked += c.blockedCalls;
  }
  const per = (x: number) => (calls > 0 ? x / calls : 0);
  return {
    api,
    /** Wait calls (select, poll or epoll_wait) of every Reactor. */
    calls,
    /** Calls that found nothing ready and slept. */
    blockedCalls: blocked,
    /** Mean CPU of one wait call: mode switches, entry, fd copies, the kernel's pass (poll-scan/poll-wait or epoll-wait) and the user-space scan, ns. */
    perCallNs: per(cpuNs),
    /** Mean bytes copied between user and kernel per wait call (fd_sets, pollfd arrays, epoll_events). */
    bytesCopiedPerCall: per(bytes),
    /** Mean ready descriptors returned per call. */
    eventsPerCall: per(events),
    /** epoll_ctl calls and their CPU, ns (0 for select and poll). */
    ctlCalls,
    ctlCpuNs,
  };
}

/** Returns the measured result of one run of a server model under its clients, plus the model's objects. */
export function runServer(o: ServerRunOptions) {
  const api = o.api ?? "epoll";
  if (!multiplexApis.includes(api)) throw new InputError("api", String(api), multiplexApis.join(" | "));
  if (o.model === "event-loop") checkSelectClients(api, o.clients, o.arrivals ?? "closed", o.fdLimit ?? defaultNofileLimit);
  let rt = null as ReactorRuntime | null;
  const sim = scenarioSim(o, false);
  const host = new Host(sim, o.profile, {cores: o.cores});
  const latencyNs = o.latencyNs ?? defaultLinkLatencyNs;
  const memory = new KernelMemory();
  const listener = new Listener(host, {backlog: o.backlog ?? 511, settings: tcpSettings(o.tcp), memory});
  const stack = new NetStack(host, {latencyNs});
  let load: ServerClients | null = null;
  const population = new ClientPopulation(listener, {clients: 0, latencyNs, stack, onChange: (conn) => load?.connectionChanged(conn)});
  const slowShare = o.slowShare ?? 0;
  if (!(slowShare >= 0 && slowShare <= 1)) throw new InputError("slowShare", String(slowShare), "a number from 0 to 1");
  if (o.slowHandlerNs !== undefined && !(Number.isFinite(o.slowHandlerNs) && o.slowHandlerNs >= 0)) throw new InputError("slowHandler", String(o.slowHandlerNs), "a duration ≥ 0");
  const handler: RequestHandler = {requestBytes: o.requestBytes ?? 128, cpuNs: o.handlerNs ?? 20_000, responseBytes: o.responseBytes ?? 4 * KiB};
  if (slowShare > 0) {
    handler.slowCpuNs = o.slowHandlerNs ?? 1e6;
    handler.isSlow = (conn) => load!.isSlow(conn);
  }
  const server = new Server(host, {
    listener,
    stack,
    clients: population,
    handler,
    fdLimit: o.fdLimit ?? defaultNofileLimit,
    memoryLimitBytes: o.memoryLimitBytes ?? defaultMemoryLimitBytes,
    emfileBackoffNs: o.emfileBackoffNs ?? defaultEmfileBackoffNs,
  });
  const latency = new LatencyHistogram();
  // The latencies of the fast and of the slow clients' requests apart (head-of-line blocking: the fast ones wait behind the slow).
  const latencyFast = new LatencyHistogram();
  const latencySlow = new LatencyHistogram();
  const requests = o.requests ?? 4;
  const arrivals = o.arrivals ?? "closed";
  load = new ServerClients(population, sim.random, {
    clients: o.clients,
    requests,
    requestBytes: handler.requestBytes,
    responseBytes: handler.responseBytes,
    thinkNs: o.thinkNs ?? 1e6,
    keepAlive: o.keepAlive ?? true,
    arrivals,
    rampNs: o.rampNs ?? 10e6,
    ratePerSec: o.ratePerSec ?? 10_000,
    slowShare,
    onLatency: (ns, slow) => {
      latency.record(ns);
      (slow ? latencySlow : latencyFast).record(ns);
    },
  });
  server.queued$.pipe(o.serve ? o.serve(server) : serverModel(o.model, server, {reap: o.reap, threads: o.threads ?? 32, api, onRuntime: (x) => (rt = x)})).subscribe();
  load.start();
  const durationNs = o.durationNs ?? "settled";
  const endNs = sim.run(durationNs === "settled" ? Infinity : durationNs);

  const k = load.counters;
  const lc = listener.counters;
  const cc = population.counters;
  const sc = server.counters;
  const servedSpanNs = k.lastServedNs;
  const result = {
    model: o.model,
    clients: o.clients,
    requests,
    arrivals,
    keepAlive: o.keepAlive ?? true,
    requestBytes: handler.requestBytes,
    responseBytes: handler.responseBytes,
    handlerNs: handler.cpuNs,
    cores: host.cpu.units,
    threads: o.model === "pool" ? (o.threads ?? 32) : null,
    reap: o.model === "process" ? (o.reap ?? true) : null,
    api: o.model === "event-loop" ? api : null,
    backlog: o.backlog ?? 511,
    effectiveBacklog: listener.maxAckBacklog,
    fdLimit: server.fds.limit,
    memoryLimitBytes: server.memoryLimitBytes,
    /** Every request issued is served, failed (with its reason) or still open at the end. */
    requestsIssued: k.issued,
    requestsServed: k.served,
    requestsFailed: {connectTimeout: k.failedConnectTimeout, dataTimeout: k.failedDataTimeout, reset: k.failedReset},
    requestsOpen: load.open,
    /** Requests served per second of simulated time, from the start to the last response. */
    requestsPerSec: servedSpanNs > 0 ? (k.served / servedSpanNs) * 1e9 : 0,
    latencyP50Ns: latency.quantile(0.5),
    latencyP99Ns: latency.quantile(0.99),
    latencyMaxNs: latency.max,
    latencyMeanNs: latency.mean,
    /** connect() calls that failed: ETIMEDOUT once the SYN retries ran out. */
    connectFailures: cc.timedOut,
    /** Connections the server reset (refused for memory, or tcp_abort_on_overflow). */
    connectionResets: cc.reset,
    synRetries: cc.synRetransmits,
    /** Request segments sent again because the server had dropped the handshake's final ACK (their ACK completes it). */
    dataRetransmits: cc.dataRetransmits,
    /** ListenOverflows: SYNs and final ACKs dropped because the accept queue was full. */
    acceptQueueDrops: lc.listenOverflows,
    /** SYNs and handshake ACKs dropped because the memory budget had no room for the request sock or the connected socket (ListenDrops): the client retries as after an overflow. */
    socketMemoryDrops: lc.memoryDrops,
    peakAcceptQueue: listener.peakAcceptQueueLength,
    connectionsOpened: k.connectionsOpened,
    connectionsAccepted: sc.accepted,
    /** Accepted connections served until the client closed, then closed by the server. */
    connectionsServed: sc.closed,
    peakOpenConnections: sc.peakOpenConnections,
    emfileErrors: server.fds.emfileErrors,
    /** A process or thread could not be created within the memory limit: the connection was reset. */
    oomFailures: sc.oomFailures,
    /** event-loop with select: connections closed at once (reset) because their descriptor was ≥ FD_SETSIZE (1024). */
    fdSetRefusals: sc.fdSetRefusals,
    taskSwitches: host.cpu.taskSwitches,
    /** Tasks woken by a step on another core that had to interrupt the core they ran on (resched or call-function IPI; none to an idle core that polls: cpu.idlePolls). */
    wakeIpis: host.cpu.wakeIpis,
    contextSwitches: sim.trace.count("mode-switch"),
    forks: sc.forks,
    threadsCreated: sc.threadsCreated,
    peakTasks: sc.peakTasks,
    zombies: server.zombies,
    peakZombies: sc.peakZombies,
    reaped: sc.reaped,
    lockContentions: sc.lockContentions,
    lockWaitNs: sc.lockWaitNs,
    /** Peak memory held, bytes: kernel (socket objects, the skbs sockets hold, tasks, zombies), user (process pages, thread stacks), and both at once. */
    peakMemoryBytes: {kernel: memory.peakBytes, user: server.peakUserBytes, total: server.peakTotalBytes},
    /** Thread stacks' address space at the peak (virtual, mostly never touched), bytes. */
    peakStackVirtualBytes: server.peakStackVirtualBytes,
    /** Memory of the server's tasks before any connection, bytes; memoryAtEndBytes returns to it once every connection closed (and every zombie was reaped). */
    baselineMemoryBytes: server.baselineBytes,
    memoryAtEndBytes: server.totalBytes,
    /** Most connected sockets held at once (accept queue and accepted). */
    peakSockets: server.peakSockets,
    /** (peak memory − baseline) / peak sockets held at once, bytes: the C10K budget is 2 GB / 10,000 ≈ 200 KB. */
    memoryPerConnectionBytes: server.peakSockets > 0 ? Math.round((server.peakTotalBytes - server.baselineBytes) / server.peakSockets) : 0,
    withinMemoryLimit: server.peakTotalBytes <= server.memoryLimitBytes,
    /** event-loop: the loop's wait calls (null for the other models). */
    multiplexer: o.model === "event-loop" && rt !== null ? multiplexerSummary(api, (rt as ReactorRuntime).reactors) : null,
    cpuShare: cpuShare(host.cpu),
    cpuUtilization: utilization(host.cpu, endNs),
    elapsedNs: endNs,
    durationNs,
  };
  return {result, sim, host, server, listener, population, load, memory, latency, latencyFast, latencySlow};
}

/**
 * The clients' parameters after `clients` (whose default each scenario sets),
 * shared by every scenario that serves the same workload (`server`,
 * `reactor`), so the architectures are compared on the same work.
 */
export const clientParams: ParamSpec[] = [
    {name: "requests", kind: "integer", min: 1, default: 4, unit: "requests", description: "requests per client (closed) or per connection (poisson)"},
    {name: "arrivals", kind: "enum", values: arrivalProcesses, default: "closed", description: "closed loop (think, then the next request) or open-loop Poisson arrivals"},
    {name: "rate", kind: "number", min: 1e-9, default: 10_000, unit: "conns/s", description: "poisson: mean connection arrivals per second"},
    {name: "ramp", kind: "duration", default: "10ms", unit: "ns", description: "closed: clients start at uniform random times within it"},
    {name: "think", kind: "duration", default: "1ms", unit: "ns", description: "mean think time between a response and the next request (exponential)"},
    {name: "keepAlive", kind: "boolean", default: true, description: "all of a client's requests on one connection; false: a new connection per request"},
    {name: "requestBytes", kind: "size", default: "128", unit: "bytes", description: "bytes of each request"},
    {name: "responseBytes", kind: "size", default: "4KiB", unit: "bytes", description: "bytes of each response"},
    {name: "slowShare", kind: "number", min: 0, default: 0, description: "share of the clients (0 to 1, every 1/share-th) whose every request costs slowHandler: a mix of fast and slow requests"},
    {name: "slowHandler", kind: "duration", default: "1ms", unit: "ns", description: "business logic of a slow client's request"},
];

/** Returns the options of the clients from the values of {@link clientParams} (and `clients`), named as `runServer` and `runReactor` take them. */
export function clientOptions(v: ParamValues) {
  return {
    clients: v.clients as number,
    requests: v.requests as number,
    arrivals: v.arrivals as ArrivalProcess,
    ratePerSec: v.rate as number,
    rampNs: v.ramp as number,
    thinkNs: v.think as number,
    keepAlive: v.keepAlive as boolean,
    requestBytes: v.requestBytes as number,
    responseBytes: v.responseBytes as number,
    slowShare: v.slowShare as number,
    slowHandlerNs: v.slowHandler as number,
  };
}

/** The `server` scenario. */
export const serverScenario: Scenario = {
  name: "server",
  description: "Clients against one listening socket served iteratively, by a process or a thread per connection, by a thread pool or by an event loop (select, poll or epoll): throughput, latency, failures with reasons, task switches, memory against the C10K budget.",
  params: [
    {name: "model", kind: "enum", values: serverModels, default: "thread", description: "iterative | process (fork per connection) | thread (thread per connection) | pool (fixed worker threads, locked queue) | event-loop (one thread waiting with api: the single Reactor)"},
    {name: "api", kind: "enum", values: multiplexApis, default: "epoll", description: "event-loop: what the loop waits with (select: at most 1020 clients when fdLimit > 1024; a connection past fd 1023 is refused)"},
    {name: "clients", kind: "integer", min: 0, default: 100, unit: "clients", description: "closed: concurrent clients; poisson: connections arriving in all"},
    ...clientParams,
    {name: "handler", kind: "duration", default: "20us", unit: "ns", description: "business logic per request on a core"},
    {name: "threads", kind: "integer", min: 1, default: 32, unit: "threads", description: "pool: worker threads"},
    {name: "reap", kind: "boolean", default: true, description: "process: the parent waits for its children (false: zombies accumulate)"},
    {name: "backlog", kind: "integer", min: 1, default: 511, unit: "conns", description: "listen() backlog (nginx's default on Linux; clamped to somaxconn)"},
    {name: "somaxconn", kind: "integer", min: 1, default: linuxTcpDefaults.somaxconn, description: "net.core.somaxconn"},
    {name: "fdLimit", kind: "integer", min: 4, default: defaultNofileLimit, unit: "fds", description: "the server's RLIMIT_NOFILE (4 are open: stdio and the listener)"},
    {name: "memory", kind: "size", default: "2GiB", unit: "bytes", description: "memory budget, kernel and user: a process or thread beyond it is not created (the C10K budget: 2 GB)"},
    {name: "emfileBackoff", kind: "duration", default: "1ms", unit: "ns", description: "pause before retrying an accept() that failed with EMFILE (0: spin)"},
    {name: "latency", kind: "duration", default: String(defaultLinkLatencyNs), unit: "ns", description: "one-way link latency"},
    {name: "cores", kind: "integer", min: 0, default: 0, unit: "cores", description: "CPU cores (0: the profile's)"},
    {name: "duration", kind: "duration", values: ["settled"], default: "settled", unit: "ns", description: "stop then (open requests are counted), or settled: when nothing can change"},
  ],
  run(v, ctx) {
    const {result} = runServer({...serverOptions(v, ctx), maxEvents: ctx.maxEvents, onSim: ctx.onSim});
    return {scenario: "server", profile: ctx.profile.name, seed: ctx.seed, ...result};
  },
  sizeParams: ["clients", "requests"],
  estimateEvents(v, ctx) {
    // Events per client from runs of 20 and 40 clients.
    const o = serverOptions(v, ctx);
    return extrapolateEvents(o.clients, 20, 40, (clients) => runServer({...o, clients}).sim.scheduler.eventsRun);
  },
};

function serverOptions(v: ParamValues, ctx: RunContext): ServerRunOptions {
  return {
    profile: ctx.profile,
    seed: ctx.seed,
    keepEvents: false,
    model: v.model as ServerModelName,
    ...clientOptions(v),
    handlerNs: v.handler as number,
    threads: v.threads as number,
    reap: v.reap as boolean,
    api: v.api as MultiplexApi,
    backlog: v.backlog as number,
    fdLimit: v.fdLimit as number,
    memoryLimitBytes: v.memory as number,
    emfileBackoffNs: v.emfileBackoff as number,
    latencyNs: v.latency as number,
    cores: (v.cores as number) > 0 ? (v.cores as number) : undefined,
    tcp: {somaxconn: v.somaxconn as number},
    durationNs: v.duration as number | "settled",
  };
}

