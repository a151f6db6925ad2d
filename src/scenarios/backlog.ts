/**
 * `iosim run backlog`: a burst of clients connects to one listening socket
 * whose server accepts slowly or never, and the kernel's queue rules decide
 * who gets in, who retries their SYN, and who gives up.
 */
import {sleep, spawn, type ProcessBody} from "../engine/process.js";
import {Host} from "../host/Host.js";
import type {Profile} from "../host/profiles.js";
import {cpuShare} from "../analysis/metrics.js";
import {ClientPopulation, defaultLinkLatencyNs} from "../net/ClientPopulation.js";
import type {Connection} from "../net/Connection.js";
import {EmfileError, FdTable, defaultNofileLimit} from "../net/FdTable.js";
import {KernelMemory} from "../net/KernelMemory.js";
import {Listener} from "../net/Listener.js";
import {acceptCall, closeCall, listenCall} from "../net/socketCalls.js";
import {linuxTcpDefaults, synSchedule, tcpSettings, type TcpSettings} from "../net/tcpSettings.js";
import {InputError} from "../errors.js";
import {quantile} from "./largefile.js";
import {extrapolateEvents, scenarioSim, type ParamValues, type RunContext, type Scenario, type ScenarioSimOptions} from "./scenario.js";

/** Parameters of {@link runBacklog}. */
export interface BacklogRunOptions extends ScenarioSimOptions {
  profile: Profile;
  /** listen()'s backlog. */
  backlog: number;
  /** Clients, each connecting once. */
  clients: number;
  /** Time the server spends before each accept() call (its other work), ns, or "never": it never calls accept(). Default "never". */
  acceptDelayNs?: number | "never";
  /** How long the server keeps an accepted connection before close(), ns, or "forever" (default). */
  holdNs?: number | "forever";
  /** One-way link latency, ns; default {@link defaultLinkLatencyNs}. */
  latencyNs?: number;
  /** Time between two clients' connect() calls, ns; default 0 (a burst). */
  intervalNs?: number;
  /** The server's RLIMIT_NOFILE (soft); default 1024. */
  fdLimit?: number;
  /** Sysctls; default Linux's. */
  tcp?: Partial<TcpSettings>;
  /** Stop the run at this time, ns, with clients still retrying counted as `synSent`; default "settled": run until no client's state can change. */
  durationNs?: number | "settled";
}

/** Clients listed one by one up to this many; above it, times are summarized. */
export const listedClientsMax = 200;

/** The server's pid. */
const serverPid = 1;

/** Smallest pause before a server retries an accept() that failed with EMFILE, ns: 1 ms (a retry at once would spin). */
export const emfileRetryMinNs = 1e6;

/** Returns the time from the first SYN by which every timer a connection can start has run out, ns. */
function lifetimeNs(s: TcpSettings): number {
  // The client's last SYN retry, plus the longest a request can live after it (its SYN-ACK timeouts).
  let reqNs = 0;
  for (let i = 0; i <= s.synackRetries; i++) reqNs += Math.min(s.timeoutInitNs * 2 ** i, s.rtoMaxNs);
  return synSchedule(s).giveUpNs + reqNs;
}

/** Returns the measured result of one run of the backlog scenario, plus the model's objects. */
export function runBacklog(o: BacklogRunOptions) {
  const settings = tcpSettings(o.tcp);
  const acceptDelayNs = o.acceptDelayNs ?? "never";
  const holdNs = o.holdNs ?? "forever";
  const sim = scenarioSim(o, false);
  const host = new Host(sim, o.profile);
  const memory = new KernelMemory();
  const listener = new Listener(host, {backlog: o.backlog, settings, memory});
  // stdin, stdout, stderr and the listening socket.
  const fds = new FdTable(o.fdLimit ?? defaultNofileLimit, 4);
  let settledNs = 0;
  const touch = () => void (settledNs = sim.scheduler.now());
  const clients = new ClientPopulation(listener, {clients: o.clients, latencyNs: o.latencyNs ?? defaultLinkLatencyNs, intervalNs: o.intervalNs ?? 0, onChange: touch});
  let acceptCalls = 0;
  let closes = 0;
  spawn(sim, serverPid, () => server()).subscribe();
  clients.start();

  function* server(): ProcessBody<void> {
    yield* listenCall(host, listener);
    if (acceptDelayNs === "never") return;
    for (;;) {
      if (acceptDelayNs > 0) yield sleep(acceptDelayNs);
      acceptCalls++;
      const r = yield* acceptCall(host, listener, fds);
      if (r instanceof EmfileError) {
        yield sleep(Math.max(acceptDelayNs, emfileRetryMinNs));
        continue;
      }
      touch();
      if (holdNs !== "forever") spawn(sim, serverPid, () => closer(r.conn)).subscribe();
    }
  }
  function* closer(conn: Connection): ProcessBody<void> {
    yield sleep(holdNs as number);
    yield* closeCall(host, listener, fds, conn);
    closes++;
  }

  // A server that retries accept() after EMFILE never blocks: stop at a horizon after which no client's state can change
  // (every SYN timer and request timer has run out, and the server had time to accept every client once).
  let untilNs = Infinity;
  if (acceptDelayNs !== "never") {
    const lastStartNs = Math.max(0, o.clients - 1) * (o.intervalNs ?? 0);
    const holdPartNs = holdNs === "forever" ? 0 : holdNs;
    const acceptPartNs = (o.clients + 1) * Math.max(acceptDelayNs, emfileRetryMinNs);
    untilNs = lastStartNs + lifetimeNs(settings) + 4 * clients.latencyNs + holdPartNs + acceptPartNs;
  }
  const durationNs = o.durationNs ?? "settled";
  if (durationNs !== "settled") untilNs = Math.min(untilNs, durationNs);
  sim.run(untilNs);

  // Each client in exactly one class, from both ends' states.
  const classes = {established: 0, halfOpen: 0, clientOnly: 0, synSent: 0, failed: 0, notStarted: 0};
  for (const c of clients.connections) {
    if (c.serverState === "queued" || c.serverState === "accepted" || c.serverState === "closed") classes.established++;
    else if (c.clientState === "failed") classes.failed++;
    else if (c.clientState === "syn-sent") classes.synSent++;
    else if (c.clientState === "closed") classes.notStarted++;
    else if (c.serverState === "syn-recv") classes.halfOpen++;
    else classes.clientOnly++;
  }
  const lc = listener.counters;
  const cc = clients.counters;
  const net = o.profile.net;
  const result = {
    backlog: o.backlog,
    /** sk_max_ack_backlog: the backlog after listen()'s clamp to somaxconn; the accept queue holds one more. */
    effectiveBacklog: listener.maxAckBacklog,
    clients: o.clients,
    acceptDelayNs,
    holdNs,
    latencyNs: clients.latencyNs,
    intervalNs: clients.intervalNs,
    fdLimit: fds.limit,
    durationNs,
    syncookies: settings.syncookies,
    synRetries: cc.synRetransmits,
    tcpSynRetries: settings.synRetries,
    tcpSynackRetries: settings.synackRetries,
    tcpSynLinearTimeouts: settings.synLinearTimeouts,
    /** The server created a connected socket (in the accept queue, accepted, or accepted and closed). */
    established: classes.established,
    /** Still in SYN_SENT, retrying. */
    synSent: classes.synSent,
    /** connect() failed: ETIMEDOUT after tcp_syn_retries, or reset. */
    failed: classes.failed,
    failedTimeout: cc.timedOut,
    failedReset: cc.reset,
    /** connect() returned, but the server dropped the final ACK (accept queue full) and keeps only a request, resending its SYN-ACK. */
    halfOpen: classes.halfOpen,
    /** connect() returned, but the server keeps nothing (a SYN cookie whose ACK was dropped, or an expired request); the client learns on its first send. */
    clientOnly: classes.clientOnly,
    notStarted: classes.notStarted,
    accepted: lc.established - listener.acceptQueueLength,
    queued: listener.acceptQueueLength,
    closed: closes,
    /** ListenOverflows: SYNs and final ACKs dropped because the accept queue was full. */
    acceptQueueDrops: lc.listenOverflows,
    synDropsAcceptQueueFull: lc.synDropsAcceptQueueFull,
    ackDropsAcceptQueueFull: lc.ackDropsAcceptQueueFull,
    listenDrops: lc.listenDrops,
    synQueueDrops: lc.reqQFullDrops + lc.synBacklogDrops,
    syncookiesSent: lc.syncookiesSent,
    synAckRetransmits: lc.synAckRetransmits,
    requestsExpired: lc.requestsExpired,
    resetsSent: lc.resetsSent + lc.embryonicResets,
    peakSynQueue: listener.peakSynQueueLength,
    peakAcceptQueue: listener.peakAcceptQueueLength,
    acceptCalls,
    /** accept() calls that failed with EMFILE (the server retries after max(acceptDelay, 1 ms)). */
    emfileErrors: fds.emfileErrors,
    peakOpenFds: fds.peakOpen,
    /** Kernel memory of request socks and sockets, bytes (no data flows here, so no socket holds buffers). */
    peakKernelMemoryBytes: memory.peakBytes,
    kernelMemoryBytesAtEnd: memory.bytes,
    /** Kernel memory of one idle established connection: its socket objects (its buffers are charged only while skbs are queued), bytes. */
    kernelBytesPerConnection: net.socketBytes,
    cpuShare: cpuShare(host.cpu),
    cpuBusyNs: host.cpu.busyNsSoFar(),
    /** Last time a client connected or failed, or the server accepted, ns. */
    settledNs,
    /** When each client's connect() returned, ns from the start of the run (null: it never did); a summary above 200 clients. */
    connectTimesNs: times(clients.connections, (c) => c.connectedNs),
    /** When the server created each client's connected socket, ns (null: never). */
    establishedTimesNs: times(clients.connections, (c) => c.establishedNs),
  };
  return {result, sim, host, listener, clients, fds, memory};
}

/** Returns each connection's time by *pick* (−1 → null), or a summary of them beyond {@link listedClientsMax} clients. */
function times(conns: readonly Connection[], pick: (c: Connection) => number) {
  if (conns.length <= listedClientsMax) return conns.map((c) => (pick(c) >= 0 ? pick(c) : null));
  const sorted = conns.map(pick).filter((t) => t >= 0).sort((a, b) => a - b);
  return {
    count: sorted.length,
    never: conns.length - sorted.length,
    minNs: sorted.length ? sorted[0] : null,
    p50Ns: sorted.length ? quantile(sorted, 0.5) : null,
    p90Ns: sorted.length ? quantile(sorted, 0.9) : null,
    p99Ns: sorted.length ? quantile(sorted, 0.99) : null,
    maxNs: sorted.length ? sorted[sorted.length - 1] : null,
  };
}

/** The `backlog` scenario. */
export const backlogScenario: Scenario = {
  name: "backlog",
  description: "A burst of clients connects to one listening socket; Linux's SYN and accept queue rules decide who connects, who retries the SYN, who fails.",
  params: [
    {name: "backlog", kind: "integer", min: 1, default: 8, unit: "conns", description: "listen() backlog (clamped to somaxconn; the accept queue holds one more)"},
    {name: "clients", kind: "integer", min: 0, default: 100, unit: "conns", description: "clients, each calling connect() once"},
    {name: "acceptDelay", kind: "duration", values: ["never"], default: "never", unit: "ns", description: "server time before each accept() call, or never (it never accepts)"},
    {name: "hold", kind: "duration", values: ["forever"], default: "forever", unit: "ns", description: "how long the server keeps an accepted connection before close()"},
    {name: "latency", kind: "duration", default: String(defaultLinkLatencyNs), unit: "ns", description: "one-way link latency (default: half of a 500 µs in-datacenter round trip)"},
    {name: "interval", kind: "duration", default: "0", unit: "ns", description: "time between two clients' connect() calls (0: all at once)"},
    {name: "fdLimit", kind: "integer", min: 4, default: defaultNofileLimit, unit: "fds", description: "the server's RLIMIT_NOFILE (4 are open: stdio and the listener)"},
    {name: "syncookies", kind: "enum", values: ["0", "1", "2"], default: String(linuxTcpDefaults.syncookies), description: "net.ipv4.tcp_syncookies"},
    {name: "synRetries", kind: "integer", min: 1, default: linuxTcpDefaults.synRetries, description: "net.ipv4.tcp_syn_retries"},
    {name: "synackRetries", kind: "integer", min: 1, default: linuxTcpDefaults.synackRetries, description: "net.ipv4.tcp_synack_retries"},
    {name: "synLinearTimeouts", kind: "integer", min: 0, default: linuxTcpDefaults.synLinearTimeouts, description: "net.ipv4.tcp_syn_linear_timeouts (Linux 6.5+; 0: classic 1, 3, 7 s... backoff)"},
    {name: "somaxconn", kind: "integer", min: 1, default: linuxTcpDefaults.somaxconn, description: "net.core.somaxconn"},
    {name: "maxSynBacklog", kind: "integer", min: 1, default: linuxTcpDefaults.maxSynBacklog, description: "net.ipv4.tcp_max_syn_backlog (used without syncookies)"},
    {name: "abortOnOverflow", kind: "boolean", default: false, description: "net.ipv4.tcp_abort_on_overflow"},
    {name: "duration", kind: "duration", values: ["settled"], default: "settled", unit: "ns", description: "stop the run then (clients still retrying count as synSent), or settled: when nothing can change"},
  ],
  run(v, ctx) {
    const {result} = runBacklog({...backlogOptions(v, ctx), maxEvents: ctx.maxEvents, onSim: ctx.onSim});
    return {scenario: "backlog", profile: ctx.profile.name, seed: ctx.seed, ...result};
  },
  sizeParams: ["clients"],
  estimateEvents(v, ctx) {
    // Events per client from runs of 20 and 40 clients.
    const o = backlogOptions(v, ctx);
    return extrapolateEvents(o.clients, 20, 40, (clients) => runBacklog({...o, clients}).sim.scheduler.eventsRun);
  },
};

function backlogOptions(v: ParamValues, ctx: RunContext): BacklogRunOptions {
  const range = (name: string, max: number) => {
    const n = v[name] as number;
    if (n > max) throw new InputError(name, String(n), `an integer from 1 to ${max}`);
    return n;
  };
  return {
    profile: ctx.profile,
    seed: ctx.seed,
    keepEvents: false,
    backlog: v.backlog as number,
    clients: v.clients as number,
    acceptDelayNs: v.acceptDelay as number | "never",
    holdNs: v.hold as number | "forever",
    latencyNs: v.latency as number,
    intervalNs: v.interval as number,
    fdLimit: v.fdLimit as number,
    durationNs: v.duration as number | "settled",
    tcp: {
      syncookies: Number(v.syncookies) as 0 | 1 | 2,
      synRetries: range("synRetries", 127),
      synackRetries: range("synackRetries", 255),
      synLinearTimeouts: range("synLinearTimeouts", 127),
      somaxconn: v.somaxconn as number,
      maxSynBacklog: v.maxSynBacklog as number,
      abortOnOverflow: v.abortOnOverflow as boolean,
    },
  };
}
