/**
 * `iosim run trigger`: a client sends one message over a connected socket;
 * the server's event loop waits on epoll (or select, or poll) and reads it,
 * level- or edge-triggered, one `read` per wake-up or until EAGAIN. The
 * trace says how many wake-ups and reads it took, and whether the reader
 * stalled with data still queued (edge-triggered, one read per wake-up).
 *
 * The message arrives as the data path delivers it: MSS segments on the
 * wire, NIC interrupt coalescing and NAPI, GRO merging consecutive segments
 * into one skb; each skb queued on the socket is one sk_data_ready, so one
 * readiness callback (an "edge").
 */
import {cpuShare} from "../analysis/metrics.js";
import {spawn, type ProcessBody} from "../engine/process.js";
import {InputError} from "../errors.js";
import {Host} from "../host/Host.js";
import type {Profile} from "../host/profiles.js";
import {epoll, EPOLLET} from "../multiplex/epoll.js";
import {EPOLLIN, type Multiplexer} from "../multiplex/index.js";
import {poll} from "../multiplex/poll.js";
import {select} from "../multiplex/select.js";
import {defaultLinkLatencyNs} from "../net/ClientPopulation.js";
import {Connection} from "../net/Connection.js";
import {linuxDataPathDefaults, type DataPathSettings} from "../net/dataPath.js";
import {NetStack} from "../net/NetStack.js";
import {EagainError, recvCall} from "../net/socketCalls.js";
import type {TcpSocket} from "../net/TcpSocket.js";
import {KiB, MiB} from "../units.js";
import {extrapolateEvents, scenarioSim, type ParamValues, type RunContext, type Scenario, type ScenarioSimOptions} from "./scenario.js";

export {multiplexApis, type MultiplexApi};
import {multiplexApis, type MultiplexApi} from "../multiplex/api.js";
/** Level- or edge-triggered. */
export type TriggerMode = "level" | "edge";
/** One read per wake-up, or read until EAGAIN (non-blocking). */
export type ReadPolicy = "once" | "until-eagain";

/** Returns a multiplexer of *api* on *host*. */
export function createMultiplexer(api: MultiplexApi, host: Host): Multiplexer {
  return api === "select" ? select(host) : api === "poll" ? poll(host) : epoll(host);
}

/** Parameters of {@link runTrigger}. */
export interface TriggerRunOptions extends ScenarioSimOptions {
  profile: Profile;
  /** Which API the loop waits with; default epoll. */
  api?: MultiplexApi;
  /** Level- or edge-triggered (edge only with epoll); default level. */
  trigger?: TriggerMode;
  /** One read per wake-up, or until EAGAIN; default once. */
  reads?: ReadPolicy;
  /** Bytes of the message. */
  messageBytes: number;
  /** Bytes asked for by each read. */
  readBytes: number;
  /** The application's work on the bytes of each read that returned data (parsing, logic), booked "user", ns; default 0. */
  handleNs?: number;
  /** One-way link latency, ns; default {@link defaultLinkLatencyNs}. */
  latencyNs?: number;
  /** Data-path settings (GRO, coalescing, MTU, buffers); default Linux's. */
  dataPath?: Partial<DataPathSettings>;
}

/** The event loop's pid. */
const loopPid = 1;
/** The descriptor of the connection (0–2 are stdio, 3 the listening socket). */
const connFd = 4;

/** Returns the measured result of one message read through a multiplexer, plus the model's objects. */
export function runTrigger(o: TriggerRunOptions) {
  const api = o.api ?? "epoll";
  const trigger = o.trigger ?? "level";
  const reads = o.reads ?? "once";
  checkTriggerOptions(api, trigger, o.readBytes);
  const sim = scenarioSim(o, false);
  const host = new Host(sim, o.profile);
  const stack = new NetStack(host, {...o.dataPath, latencyNs: o.latencyNs ?? defaultLinkLatencyNs});
  const conn = new Connection(0);
  conn.clientState = "established";
  conn.serverState = "accepted";
  conn.fd = connFd;
  const sock = stack.socket(conn);
  const mux = createMultiplexer(api, host);
  let arrivals = 0;
  sock.readable$.subscribe(() => arrivals++);
  let segments = 0;
  sim.trace.listen((_t, kind, _pid, _d, _b, detail) => {
    if (kind === "packet" && detail === "rx") segments++;
  });
  const st = {wakeups: 0, readCalls: 0, eagainReads: 0, bytesRead: 0, shortReads: 0, inWait: false, lastReadNs: 0};
  spawn(sim, loopPid, () => readerLoop(mux, sock, trigger, reads, o.readBytes, o.messageBytes, o.handleNs ?? 0, st)).subscribe();
  stack.peerSend(sock, o.messageBytes);
  const endNs = sim.run();
  const c = mux.counters;
  const bytesUnread = o.messageBytes - st.bytesRead;
  const result = {
    api,
    trigger,
    reads,
    messageBytes: o.messageBytes,
    readBytes: o.readBytes,
    handleNs: o.handleNs ?? 0,
    gro: stack.settings.gro,
    rxCoalesceNs: stack.settings.rxCoalesceNs,
    /** Wait calls that returned the socket ready (the seed's 苏醒). */
    wakeups: st.wakeups,
    /** Wait calls, and those that had to sleep first. */
    waitCalls: c.calls,
    blockedWaits: c.blockedCalls,
    readCalls: st.readCalls,
    eagainReads: st.eagainReads,
    /** Reads that returned data but less than asked while more of the message was to come (the reader had caught up with the network). */
    shortReads: st.shortReads,
    bytesRead: st.bytesRead,
    /** Bytes of the message the application never read: queued in the receive buffer, or still at the client behind a closed window. */
    bytesUnread,
    bytesQueued: sock.rcvQueued,
    bytesNotSent: o.messageBytes - sock.peerBytesSent,
    /** The reader sleeps in its wait call with data queued, and nothing more will arrive to wake it. */
    stalled: st.inWait && sock.rcvQueued > 0,
    /** Data skbs queued on the socket (each one sk_data_ready: one readiness callback). */
    /** Readiness changes of the socket (sk_data_ready: data skbs queued after GRO, or the FIN), counted on its readable$ stream. */
    arrivals,
    readinessCallbacks: c.callbacks,
    /** Data segments that reached the NIC. */
    segments,
    groMerged: stack.counters.groMerged,
    napiPolls: stack.counters.polls,
    /** When the last read returned data, ns. */
    lastReadNs: st.lastReadNs,
    elapsedNs: endNs,
    cpuShare: cpuShare(host.cpu),
  };
  return {result, sim, host, stack, sock, mux};
}

/** Throws an {@link InputError} for a combination no kernel offers, or a read of nothing. */
export function checkTriggerOptions(api: MultiplexApi, trigger: TriggerMode, readBytes: number): void {
  if (trigger === "edge" && api !== "epoll") throw new InputError("trigger", trigger, `level with api=${api} (select and poll are level-triggered only; edge needs api=epoll)`);
  if (!(Number.isSafeInteger(readBytes) && readBytes > 0)) throw new InputError("readBytes", String(readBytes), "a size > 0");
}

/** What the reader loop measures. */
interface ReaderState {
  wakeups: number;
  readCalls: number;
  eagainReads: number;
  bytesRead: number;
  shortReads: number;
  /** The loop is inside a wait call. */
  inWait: boolean;
  lastReadNs: number;
}

/** The server's loop: register the socket, then wait and read by *reads*, until the message is read (or forever: a stall). */
function* readerLoop(mux: Multiplexer, sock: TcpSocket, trigger: TriggerMode, reads: ReadPolicy, readBytes: number, messageBytes: number, handleNs: number, st: ReaderState): ProcessBody<void> {
  const host = mux.host;
  yield* mux.add(connFd, sock, trigger === "edge" ? EPOLLIN | EPOLLET : EPOLLIN, loopPid);
  while (st.bytesRead < messageBytes) {
    st.inWait = true;
    const events = yield* mux.wait(undefined, loopPid);
    st.inWait = false;
    for (const ev of events) {
      if (ev.sock !== sock) continue;
      st.wakeups++;
      for (;;) {
        st.readCalls++;
        const r = yield* recvCall(host, sock, readBytes, {nonBlocking: true});
        if (r instanceof EagainError) {
          st.eagainReads++;
          break;
        }
        if (r === 0) break;
        // A read that got less than it asked for while more of the message was still to come: the reader caught up with the network.
        if (r < Math.min(readBytes, messageBytes - st.bytesRead)) st.shortReads++;
        st.bytesRead += r;
        st.lastReadNs = host.sim.scheduler.now();
        if (handleNs > 0) yield host.cpuWork(handleNs, "user", "user", r, "handle");
        if (reads === "once") break;
      }
    }
  }
}

const onOff = ["on", "off"] as const;

/** The `trigger` scenario. */
export const triggerScenario: Scenario = {
  name: "trigger",
  description: "One message read through epoll (or select/poll), level- or edge-triggered, one read per wake-up or until EAGAIN: wake-ups, reads, EAGAINs, bytes left unread, the edge-triggered stall.",
  params: [
    {name: "trigger", kind: "enum", values: ["level", "edge"], default: "level", description: "level: reported while data is queued; edge: reported when new data arrives (epoll only)"},
    {name: "reads", kind: "enum", values: ["once", "until-eagain"], default: "once", description: "once: one read per wake-up; until-eagain: non-blocking reads until EAGAIN"},
    {name: "messageBytes", kind: "size", default: "1MiB", unit: "bytes", description: "size of the message the client sends"},
    {name: "readBytes", kind: "size", default: "4KiB", unit: "bytes", description: "bytes asked for by each read"},
    {name: "api", kind: "enum", values: multiplexApis, default: "epoll", description: "what the loop waits with (select and poll: level only)"},
    {name: "gro", kind: "enum", values: onOff, default: "on", description: "GRO merges the segments of a NAPI poll into one skb (one arrival, one edge)"},
    {name: "coalesce", kind: "duration", values: ["off"], default: "16us", unit: "ns", description: "interrupt coalescing, ethtool rx-usecs (mlx5's default 16 µs); off: interrupt at once"},
    {name: "mtu", kind: "integer", min: 120, default: linuxDataPathDefaults.mtuBytes, unit: "bytes", description: "path MTU (segment size on the wire)"},
    {name: "rcvbuf", kind: "size", allowZero: true, default: "0", unit: "bytes", description: "the server's receive buffer; 0: tcp_rmem[1]"},
    {name: "handle", kind: "duration", default: "0", unit: "ns", description: "the application's work on each read's bytes; a reader slower than the link always finds readBytes queued"},
    {name: "latency", kind: "duration", default: String(defaultLinkLatencyNs), unit: "ns", description: "one-way link latency"},
  ],
  run(v, ctx) {
    const {result} = runTrigger({...triggerOptions(v, ctx), maxEvents: ctx.maxEvents, onSim: ctx.onSim});
    return {scenario: "trigger", profile: ctx.profile.name, seed: ctx.seed, ...result};
  },
  sizeParams: ["messageBytes", "readBytes"],
  estimateEvents(v, ctx) {
    const o = triggerOptions(v, ctx);
    // Events grow with the message and with the number of reads it takes.
    const perByte = (bytes: number) => runTrigger({...o, messageBytes: bytes, readBytes: Math.max(o.readBytes, 1)}).sim.scheduler.eventsRun;
    return extrapolateEvents(o.messageBytes, 256 * KiB, MiB, perByte);
  },
};

function triggerOptions(v: ParamValues, ctx: RunContext): TriggerRunOptions {
  const coalesce = v.coalesce as number | "off";
  const api = v.api as MultiplexApi;
  const trigger = v.trigger as TriggerMode;
  checkTriggerOptions(api, trigger, v.readBytes as number);
  return {
    profile: ctx.profile,
    seed: ctx.seed,
    keepEvents: false,
    api,
    trigger,
    reads: v.reads as ReadPolicy,
    messageBytes: v.messageBytes as number,
    readBytes: v.readBytes as number,
    latencyNs: v.latency as number,
    handleNs: v.handle as number,
    dataPath: {
      gro: v.gro === "on",
      rxCoalesceNs: coalesce === "off" ? 0 : coalesce,
      mtuBytes: v.mtu as number,
      rcvbufBytes: (v.rcvbuf as number) === 0 ? "default" : (v.rcvbuf as number),
    },
  };
}
