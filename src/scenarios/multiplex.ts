/**
 * `iosim run multiplex`: one server event loop watches `fds` connections, of
 * which `active` exchange requests and responses with their clients while
 * the rest stay idle; it waits with select, poll or epoll. The run measures
 * what one wait call costs the CPU (kernel and user-space scan included),
 * how many bytes cross the user/kernel boundary per call, how many events
 * the loop serves per second, and where the CPU time goes.
 *
 * The libevent benchmark's question in miniature: does the price of
 * waiting grow with the connections you have, or only with the ones that
 * talk?
 */
import {cpuShare} from "../analysis/metrics.js";
import {InputError} from "../errors.js";
import {Host} from "../host/Host.js";
import type {Profile} from "../host/profiles.js";
import {defaultEpollMaxEvents, EPOLLET} from "../multiplex/epoll.js";
import {eventLoop} from "../multiplex/eventLoop.js";
import {EPOLLIN, type ReadyEvent} from "../multiplex/index.js";
import {FD_SETSIZE} from "../multiplex/select.js";
import {spawn, type ProcessBody} from "../engine/process.js";
import {defaultLinkLatencyNs} from "../net/ClientPopulation.js";
import {Connection} from "../net/Connection.js";
import {NetStack} from "../net/NetStack.js";
import {EagainError, recvCall, sendCall} from "../net/socketCalls.js";
import type {TcpSocket} from "../net/TcpSocket.js";
import {KiB} from "../units.js";
import {extrapolateEvents, scenarioSim, type ParamValues, type RunContext, type Scenario, type ScenarioSimOptions} from "./scenario.js";
import {createMultiplexer, multiplexApis, type MultiplexApi, type TriggerMode} from "./trigger.js";

/** Parameters of {@link runMultiplex}. */
export interface MultiplexRunOptions extends ScenarioSimOptions {
  profile: Profile;
  api: MultiplexApi;
  /** Connections the loop watches. */
  fds: number;
  /** Of those, connections whose clients send requests (the rest stay idle). */
  active: number;
  /** Requests each active client sends, one at a time (it waits for each response). */
  requests: number;
  /** Bytes of a request and of a response. */
  requestBytes: number;
  responseBytes: number;
  /** The client's pause between a response and its next request, ns; default 0. */
  thinkNs?: number;
  /** epoll_wait's maxevents; default {@link defaultEpollMaxEvents}. */
  epollMaxEvents?: number;
  /** epoll's triggering (select and poll: level only); default level. */
  trigger?: TriggerMode;
  /** One-way link latency, ns; default {@link defaultLinkLatencyNs}. */
  latencyNs?: number;
}

/** The event loop's pid. */
const loopPid = 1;
/** The first connection's descriptor: 0–2 are stdin, stdout and stderr. */
const firstFd = 3;
/** Bytes a handler asks for per recv. */
const recvBytes = 64 * KiB;

/** Throws an {@link InputError} for parameters no run can have. */
export function checkMultiplexOptions(api: MultiplexApi, fds: number, active: number, trigger: TriggerMode): void {
  if (!(Number.isSafeInteger(fds) && fds >= 1)) throw new InputError("fds", String(fds), "an integer ≥ 1");
  if (!(Number.isSafeInteger(active) && active >= 1 && active <= fds)) throw new InputError("active", String(active), `an integer from 1 to fds (${fds})`);
  const highest = firstFd + fds - 1;
  if (api === "select" && highest >= FD_SETSIZE)
    throw new InputError("fds", String(fds), `at most ${FD_SETSIZE - firstFd} with api=select: an fd_set holds descriptors 0–${FD_SETSIZE - 1} (FD_SETSIZE ${FD_SETSIZE} limit) and 0–2 are stdio, so ${fds} connections would need fd ${highest}`);
  if (trigger === "edge" && api !== "epoll") throw new InputError("trigger", trigger, `level with api=${api} (select and poll are level-triggered only)`);
}

/** Returns the measured result of an event loop serving *active* of *fds* connections, plus the model's objects. */
export function runMultiplex(o: MultiplexRunOptions) {
  const trigger = o.trigger ?? "level";
  checkMultiplexOptions(o.api, o.fds, o.active, trigger);
  const sim = scenarioSim(o, false);
  const host = new Host(sim, o.profile);
  const stack = new NetStack(host, {latencyNs: o.latencyNs ?? defaultLinkLatencyNs});
  const mux = createMultiplexer(o.api, host);
  const maxEvents = o.epollMaxEvents ?? defaultEpollMaxEvents;
  // Every connection's socket, fds 3 … fds + 2; the active ones spread evenly among them.
  const socks: TcpSocket[] = new Array<TcpSocket>(o.fds);
  for (let i = 0; i < o.fds; i++) {
    const conn = new Connection(i);
    conn.clientState = "established";
    conn.serverState = "accepted";
    conn.fd = firstFd + i;
    socks[i] = stack.socket(conn);
  }
  const activeIdx: number[] = [];
  for (let k = 0; k < o.active; k++) activeIdx.push(Math.floor((k * o.fds) / o.active));
  /** Request bytes received and not yet answered, per connection index. */
  const pending = new Map<number, number>();
  const total = o.active * o.requests;
  const st = {served: 0, loopStartNs: -1, lastServedNs: 0, eagainReads: 0, reads: 0};
  const events = trigger === "edge" ? EPOLLIN | EPOLLET : EPOLLIN;

  function* handle(ev: ReadyEvent): ProcessBody<void> {
    const sock = ev.sock;
    const i = sock.conn.id;
    for (;;) {
      st.reads++;
      const r = yield* recvCall(host, sock, recvBytes, {nonBlocking: true});
      if (r instanceof EagainError) {
        st.eagainReads++;
        break;
      }
      if (r === 0) break;
      let have = (pending.get(i) ?? 0) + r;
      while (have >= o.requestBytes) {
        have -= o.requestBytes;
        yield* sendCall(host, sock, o.responseBytes);
        st.served++;
        st.lastServedNs = sim.scheduler.now();
      }
      pending.set(i, have);
      // Level-triggered: one read per event is enough (the next wait reports what is left); edge: read until EAGAIN.
      if (trigger === "level") break;
    }
  }

  function* setup(): ProcessBody<void> {
    for (let i = 0; i < o.fds; i++) yield* mux.add(firstFd + i, socks[i], events, loopPid);
    st.loopStartNs = sim.scheduler.now();
    // The clients start once the loop waits: each its first request, a microsecond apart.
    activeIdx.forEach((idx, k) => sim.scheduler.post(k * 1000, () => client(socks[idx], o.requests)));
  }

  function client(sock: TcpSocket, left: number): void {
    if (left === 0) return;
    stack.peerExchange(sock, o.requestBytes, o.responseBytes).then(() => sim.scheduler.post(o.thinkNs ?? 0, () => client(sock, left - 1)));
  }

  const before = {calls: 0, cpuNs: 0};
  spawn(sim, loopPid, setup).subscribe({
    complete: () => {
      before.calls = mux.counters.calls;
      before.cpuNs = mux.counters.cpuNs;
      eventLoop(mux, handle, {pid: loopPid, maxEvents, until: () => st.served >= total}).subscribe();
    },
  });
  const endNs = sim.run();
  const c = mux.counters;
  const windowNs = st.lastServedNs - st.loopStartNs;
  const result = {
    api: o.api,
    fds: o.fds,
    active: o.active,
    trigger,
    maxEvents: o.api === "epoll" ? maxEvents : null,
    requestsServed: st.served,
    /** Wait calls (select, poll or epoll_wait). */
    calls: c.calls,
    /** Mean CPU time of one wait call, user-space preparation and scan included, ns. */
    perCallNs: c.calls > 0 ? c.cpuNs / c.calls : 0,
    /** Ready events returned per call. */
    eventsPerCall: c.calls > 0 ? c.events / c.calls : 0,
    /** Ready events the loop handled per second, from its first wait to its last response. */
    eventsPerSec: windowNs > 0 ? (c.events / windowNs) * 1e9 : 0,
    /** Bytes copied between user memory and the kernel per wait call (fd_sets, pollfd arrays, epoll_events). */
    bytesCopiedPerCall: c.calls > 0 ? (c.bytesToKernel + c.bytesToUser) / c.calls : 0,
    blockedCalls: c.blockedCalls,
    wakeups: c.wakeups,
    /** System calls of the whole run (trace events): waits, epoll_ctl, recv, send. */
    syscalls: sim.trace.count("syscall"),
    ctlCalls: c.ctlCalls,
    /** CPU time of the registrations (epoll_ctl), ns. */
    ctlCpuNs: c.ctlCpuNs,
    reads: st.reads,
    eagainReads: st.eagainReads,
    /** From the loop's first wait to its last response, ns. */
    windowNs,
    elapsedNs: endNs,
    cpuShare: cpuShare(host.cpu),
  };
  return {result, sim, host, stack, mux};
}

/** The `multiplex` scenario. */
export const multiplexScenario: Scenario = {
  name: "multiplex",
  description: "An event loop watching fds connections, a few active, with select, poll or epoll: CPU per wait call, bytes copied per call, events per second, CPU share by category.",
  params: [
    {name: "api", kind: "enum", values: multiplexApis, default: "epoll", description: "what the loop waits with"},
    {name: "fds", kind: "integer", min: 1, default: 1000, unit: "connections", description: "connections watched (select: at most 1021, fds 3–1023)"},
    {name: "active", kind: "integer", min: 1, default: 10, unit: "connections", description: "of those, connections whose clients send requests"},
    {name: "requests", kind: "integer", min: 1, default: 100, unit: "requests", description: "requests per active client, one at a time"},
    {name: "requestBytes", kind: "size", default: "128", unit: "bytes", description: "bytes of a request"},
    {name: "responseBytes", kind: "size", default: "128", unit: "bytes", description: "bytes of a response"},
    {name: "think", kind: "duration", default: "0", unit: "ns", description: "a client's pause between a response and its next request"},
    {name: "maxevents", kind: "integer", min: 1, default: defaultEpollMaxEvents, unit: "events", description: "epoll_wait's maxevents"},
    {name: "trigger", kind: "enum", values: ["level", "edge"], default: "level", description: "epoll's triggering (edge: handlers read until EAGAIN)"},
    {name: "latency", kind: "duration", default: String(defaultLinkLatencyNs), unit: "ns", description: "one-way link latency"},
  ],
  run(v, ctx) {
    const {result} = runMultiplex({...multiplexOptions(v, ctx), maxEvents: ctx.maxEvents, onSim: ctx.onSim});
    return {scenario: "multiplex", profile: ctx.profile.name, seed: ctx.seed, ...result};
  },
  sizeParams: ["requests", "active", "fds"],
  estimateEvents(v, ctx) {
    const o = multiplexOptions(v, ctx);
    // Events grow with the requests served and with the registrations (epoll_ctl per fd); measured on small runs.
    const small = (fds: number, requests: number) => runMultiplex({...o, fds: Math.max(fds, o.active), requests}).sim.scheduler.eventsRun;
    const perFd = o.api === "epoll" ? (small(o.active + 200, 1) - small(o.active, 1)) / 200 : 0;
    const base = extrapolateEvents(o.requests, 5, 10, (r) => small(o.active, r));
    return base + perFd * (o.fds - o.active);
  },
};

function multiplexOptions(v: ParamValues, ctx: RunContext): MultiplexRunOptions {
  const api = v.api as MultiplexApi;
  const trigger = v.trigger as TriggerMode;
  checkMultiplexOptions(api, v.fds as number, v.active as number, trigger);
  return {
    profile: ctx.profile,
    seed: ctx.seed,
    keepEvents: false,
    api,
    fds: v.fds as number,
    active: v.active as number,
    requests: v.requests as number,
    requestBytes: v.requestBytes as number,
    responseBytes: v.responseBytes as number,
    thinkNs: v.think as number,
    epollMaxEvents: v.maxevents as number,
    trigger,
    latencyNs: v.latency as number,
  };
}
