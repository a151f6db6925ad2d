/**
 * `iosim run reactor`: the event-driven server architectures — a single
 * Reactor on one thread, a single Reactor with a worker pool, main + sub
 * Reactors, nginx's worker processes, a Proactor on io_uring — against the
 * very clients of `iosim run server` (the same {@link runServer} set-up and
 * workload), so that every architecture is compared on the same work:
 * throughput, p99 latency, per-core utilization, system calls, mode and
 * task switches per request, lock waits, wake-ups (the thundering herd),
 * CPU by category.
 */
import {cpuShare} from "../analysis/metrics.js";
import {multiplexApis, type MultiplexApi} from "../multiplex/api.js";
import {reactorVariant, reactorVariants, reactorVariantsAnyApi, type ReactorVariant} from "../server/reactor/index.js";
import type {ReactorRuntime} from "../server/reactor/index.js";
import {acceptBalancings, type AcceptBalancing} from "../server/reactor/nginx.js";
import {checkProactorApi, type ProactorApi} from "../server/reactor/proactor.js";
import {InputError} from "../errors.js";
import type {Connection} from "../net/Connection.js";
import {defaultLinkLatencyNs} from "../net/ClientPopulation.js";
import {defaultNofileLimit} from "../net/FdTable.js";
import {extrapolateEvents, type ParamValues, type RunContext, type Scenario} from "./scenario.js";
import {checkSelectClients, clientOptions, clientParams, multiplexerSummary, runServer, type ServerRunOptions} from "./server.js";

/** Parameters of {@link runReactor}: those of {@link runServer} (model aside) and the architecture's. */
export interface ReactorRunOptions extends Omit<ServerRunOptions, "model" | "serve" | "threads" | "reap"> {
  variant: ReactorVariant;
  /** Workers, sub-Reactors, worker processes or Proactor threads; default one per core. */
  threads?: number;
  /** nginx: how the workers share the listening socket; default mutex. */
  balancing?: AcceptBalancing;
  /** proactor-uring: SQEs per io_uring_enter; default 1. */
  batch?: number;
  /** The Proactor's interface; aio is refused (sockets). Default uring. */
  io?: ProactorApi;
  /** What the Reactors wait with (single, single-pool, main-sub); default epoll. */
  api?: MultiplexApi;
  /** Called when a Reactor handles a request of a connection (tests). */
  onServe?: (conn: Connection, pid: number) => void;
  /** Called per new connection with the Reactors its arrival woke (tests). */
  onListenWake?: (conn: Connection, woken: number) => void;
}

/** Returns the measured result of one architecture under its clients, plus the model's objects. */
export function runReactor(o: ReactorRunOptions) {
  if (o.cores !== undefined && !(Number.isSafeInteger(o.cores) && o.cores >= 1)) throw new InputError("cores", String(o.cores), "an integer ≥ 1");
  if (o.handlerNs !== undefined && !(Number.isFinite(o.handlerNs) && o.handlerNs >= 0)) throw new InputError("handlerNs", String(o.handlerNs), "a duration ≥ 0");
  if (!reactorVariants.includes(o.variant)) throw new InputError("variant", String(o.variant), reactorVariants.join(" | "));
  if (o.io !== undefined && o.io !== "uring") checkProactorApi(o.io, "io");
  const api = o.api ?? "epoll";
  if (!multiplexApis.includes(api)) throw new InputError("api", String(api), multiplexApis.join(" | "));
  if (api !== "epoll" && !reactorVariantsAnyApi.includes(o.variant))
    throw new InputError("api", api, `epoll with variant=${o.variant} (${o.variant === "nginx" ? "nginx's accept balancing (EPOLLEXCLUSIVE, the herd) is epoll's" : "the Proactor waits on io_uring, not a readiness API"}; select and poll: ${reactorVariantsAnyApi.join(", ")})`);
  checkSelectClients(api, o.clients, o.arrivals ?? "closed", o.fdLimit ?? defaultNofileLimit);
  let rt = null as ReactorRuntime | null;
  const run = runServer({
    ...o,
    api: undefined,
    model: "iterative",
    serve: (server) => reactorVariant(o.variant, server, {threads: o.threads, balancing: o.balancing, batch: o.batch, api, onServe: o.onServe, onListenWake: o.onListenWake, onRuntime: (x) => (rt = x)}),
  });
  const {sim, host} = run;
  const r = run.result;
  const served = r.requestsServed;
  const spanNs = run.load.counters.lastServedNs;
  const per = (x: number) => (served > 0 ? x / served : 0);
  const reactors = rt?.reactors ?? [];
  const epollWakeups = reactors.reduce((sum, x) => sum + x.ep.counters.wakeups, 0);
  const epollWaits = reactors.reduce((sum, x) => sum + x.ep.counters.calls, 0);
  const k = rt?.counters;
  const syscalls = sim.trace.count("syscall");
  const result = {
    variant: o.variant,
    /** What the Reactors waited with (null for the Proactor). */
    api: o.variant === "proactor-uring" ? null : api,
    clients: r.clients,
    requests: r.requests,
    arrivals: r.arrivals,
    handlerNs: r.handlerNs,
    cores: r.cores,
    threads: o.variant === "single" ? 1 : (o.threads ?? host.cpu.units),
    balancing: o.variant === "nginx" ? (o.balancing ?? "mutex") : null,
    batch: o.variant === "proactor-uring" ? (o.batch ?? 1) : null,
    requestsIssued: r.requestsIssued,
    requestsServed: served,
    requestsFailed: r.requestsFailed,
    requestsOpen: r.requestsOpen,
    requestsPerSec: r.requestsPerSec,
    latencyP50Ns: r.latencyP50Ns,
    latencyP99Ns: r.latencyP99Ns,
    latencyMaxNs: r.latencyMaxNs,
    /** Busy time of each core / the time from the start to the last response (the window requestsPerSec is measured over; the closes after it are included). */
    perCoreUtilization: host.cpu.unitBusyNsSoFar().map((ns) => (spanNs > 0 ? ns / spanNs : 0)),
    cpuUtilization: r.cpuUtilization,
    /** System calls of the run (trace "syscall" events: epoll_wait, accept, recv, send, futex, io_uring_enter…) per request served. */
    syscalls,
    syscallsPerRequest: per(syscalls),
    /** User↔kernel mode switches per request served (two per system call). */
    contextSwitchesPerRequest: per(r.contextSwitches),
    /** Cores switching from one task to another (kernel/sched). */
    taskSwitches: r.taskSwitches,
    taskSwitchesPerRequest: per(r.taskSwitches),
    /** Tasks woken by a step on another core that had to interrupt the core they ran on (resched or call-function IPI; none to an idle core that polls: cpu.idlePolls). */
    wakeIpis: host.cpu.wakeIpis,
    lockContentions: r.lockContentions,
    lockWaitNs: r.lockWaitNs,
    wakeups: {
      /** Wait calls (epoll_wait, or select/poll with api) that slept and were woken, all Reactors. */
      epoll: epollWakeups,
      /** Reactors woken by a new connection on the listening socket. */
      listen: k?.listenWakeups ?? 0,
      /** New connections queued on the listening socket. */
      connections: k?.connectionsQueued ?? 0,
      /** listen / connections: 1 is one worker per connection; the herd wakes every idle one. */
      listenPerConnection: k && k.connectionsQueued > 0 ? k.listenWakeups / k.connectionsQueued : 0,
      /** Woken Reactors whose accept() found nothing (EAGAIN). */
      spurious: k?.spuriousWakeups ?? 0,
      /** eventfd writes (worker results, hand-offs to sub-Reactors). */
      eventfd: k?.eventfdWrites ?? 0,
    },
    /** Wait calls of every Reactor (epoll_wait, or select/poll with api). */
    epollWaits,
    /** The Reactors' wait calls: per-call CPU and bytes copied (select and poll pay per watched fd, epoll per ready one). */
    multiplexer: o.variant === "proactor-uring" ? null : multiplexerSummary(api, reactors),
    /** select: accepted connections reset because their descriptor was ≥ FD_SETSIZE (1024). */
    fdSetRefusals: k?.fdSetRefusals ?? 0,
    /** proactor-uring: io_uring_enter calls and SQEs submitted per call. */
    uringEnters: k?.uringEnters ?? 0,
    sqesPerEnter: k && k.uringEnters > 0 ? k.sqesSubmitted / k.uringEnters : 0,
    handoffs: k?.handoffs ?? 0,
    offloaded: k?.offloaded ?? 0,
    connectionsAccepted: r.connectionsAccepted,
    connectionsServed: r.connectionsServed,
    acceptQueueDrops: r.acceptQueueDrops,
    peakOpenConnections: r.peakOpenConnections,
    peakMemoryBytes: r.peakMemoryBytes,
    peakTasks: r.peakTasks,
    cpuShare: cpuShare(host.cpu),
    elapsedNs: r.elapsedNs,
  };
  return {...run, result, runtime: rt as ReactorRuntime | null};
}

/** The `reactor` scenario. */
export const reactorScenario: Scenario = {
  name: "reactor",
  description:
    "Event-driven servers on the clients of `server`: a single Reactor, a Reactor with a worker pool, main + sub Reactors (each waiting with select, poll or epoll), nginx workers (accept mutex, thundering herd, EPOLLEXCLUSIVE, SO_REUSEPORT), a Proactor on io_uring: throughput, p99, per-core utilization, system calls and switches per request, lock waits, wake-ups.",
  params: [
    {name: "variant", kind: "enum", values: reactorVariants, default: "main-sub", description: "single (one thread) | single-pool (Reactor + worker pool) | main-sub (main accepts, sub-Reactors serve) | nginx (worker processes) | proactor-uring (io_uring)"},
    {name: "cores", kind: "integer", min: 1, default: 8, unit: "cores", description: "CPU cores"},
    {name: "threads", kind: "integer", min: 0, default: 0, unit: "threads", description: "workers, sub-Reactors, nginx workers or Proactor threads (0: one per core)"},
    {name: "balancing", kind: "enum", values: acceptBalancings, default: "mutex", description: "nginx: mutex (accept_mutex on) | none (off: every idle worker woken) | exclusive (EPOLLEXCLUSIVE) | reuseport (SO_REUSEPORT)"},
    {name: "batch", kind: "integer", min: 1, default: 1, unit: "SQEs", description: "proactor-uring: SQEs submitted per io_uring_enter"},
    {name: "io", kind: "enum", values: ["uring", "aio"], default: "uring", description: "the Proactor's interface (aio: Linux native AIO, refused for sockets)"},
    {name: "api", kind: "enum", values: multiplexApis, default: "epoll", description: "what the Reactors wait with: select | poll | epoll (single, single-pool, main-sub; nginx and proactor-uring: epoll only; select: at most 1020 closed-loop clients)"},
    {name: "clients", kind: "integer", min: 0, default: 1000, unit: "clients", description: "closed: concurrent clients; poisson: connections arriving in all"},
    ...clientParams,
    {name: "handlerNs", kind: "duration", default: "10us", unit: "ns", description: "business logic per request on a core (fast ~10us, slow ~1ms)"},
    {name: "backlog", kind: "integer", min: 1, default: 511, unit: "conns", description: "listen() backlog"},
    {name: "fdLimit", kind: "integer", min: 4, default: 1_048_576, unit: "fds", description: "RLIMIT_NOFILE (an event-driven server raises it: nginx's worker_rlimit_nofile)"},
    {name: "memory", kind: "size", default: "2GiB", unit: "bytes", description: "memory budget, kernel and user"},
    {name: "latency", kind: "duration", default: String(defaultLinkLatencyNs), unit: "ns", description: "one-way link latency"},
    {name: "duration", kind: "duration", values: ["settled"], default: "settled", unit: "ns", description: "stop then, or settled: when nothing can change"},
  ],
  run(v, ctx) {
    const {result} = runReactor({...reactorOptions(v, ctx), maxEvents: ctx.maxEvents, onSim: ctx.onSim});
    return {scenario: "reactor", profile: ctx.profile.name, seed: ctx.seed, ...result};
  },
  sizeParams: ["clients", "requests"],
  estimateEvents(v, ctx) {
    const o = reactorOptions(v, ctx);
    return extrapolateEvents(o.clients, 20, 40, (clients) => runReactor({...o, clients}).sim.scheduler.eventsRun);
  },
};

function reactorOptions(v: ParamValues, ctx: RunContext): ReactorRunOptions {
  if (v.io === "aio") checkProactorApi("aio", "io");
  return {
    profile: ctx.profile,
    seed: ctx.seed,
    keepEvents: false,
    variant: v.variant as ReactorVariant,
    cores: v.cores as number,
    threads: (v.threads as number) > 0 ? (v.threads as number) : undefined,
    balancing: v.balancing as AcceptBalancing,
    batch: v.batch as number,
    io: v.io as ProactorApi,
    api: v.api as MultiplexApi,
    ...clientOptions(v),
    handlerNs: v.handlerNs as number,
    backlog: v.backlog as number,
    fdLimit: v.fdLimit as number,
    memoryLimitBytes: v.memory as number,
    latencyNs: v.latency as number,
    durationNs: v.duration as number | "settled",
  };
}
