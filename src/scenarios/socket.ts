/**
 * `iosim run socket`: one message crosses a connected TCP socket, from the
 * server to a client (send) or from a client to the server (receive), and
 * the trace counts what it took: wire segments and super-segments,
 * interrupts, copies (one at the user boundary, none between layers), CPU
 * by category, throughput.
 */
import {spawn, type ProcessBody} from "../engine/process.js";
import type {TraceKind} from "../engine/trace.js";
import {Host} from "../host/Host.js";
import type {Profile} from "../host/profiles.js";
import {cpuShare} from "../analysis/metrics.js";
import {defaultLinkLatencyNs} from "../net/ClientPopulation.js";
import {Connection} from "../net/Connection.js";
import {linuxDataPathDefaults, mssOf, type DataPathSettings} from "../net/dataPath.js";
import {NetStack} from "../net/NetStack.js";
import {EagainError, recvCall, sendCall} from "../net/socketCalls.js";
import type {TcpSocket} from "../net/TcpSocket.js";
import {KiB, MiB} from "../units.js";
import {paramDefaults} from "../params/ParamSpec.js";
import {extrapolateEvents, scenarioSim, type ParamSpec, type ParamValues, type RunContext, type Scenario, type ScenarioSimOptions} from "./scenario.js";

/** Which way the message goes. */
export type SocketDirection = "send" | "receive";

/** Parameters of {@link runSocket}. */
export interface SocketRunOptions extends ScenarioSimOptions {
  profile: Profile;
  /** Bytes of the message. */
  messageBytes: number;
  /** send: the server writes it to a client; receive: a client writes it and the server reads it. Default send. */
  direction?: SocketDirection;
  /** Bytes per recv() call on the server (receive); default 64 KiB. */
  readBytes?: number;
  /** One-way link latency, ns; default {@link defaultLinkLatencyNs}. */
  latencyNs?: number;
  /** Data-path settings; default Linux's. */
  dataPath?: Partial<DataPathSettings>;
}

/** The server's pid. */
const serverPid = 1;

const onOff = ["on", "off"] as const;

/** The parameters of the `socket` scenario, declared once: `--set`, `iosim list`, the sweep and {@link runSocket}'s defaults read them. */
export const socketParams: ParamSpec[] = [
    {name: "messageBytes", kind: "size", default: "1MiB", unit: "bytes", description: "size of the message"},
    {name: "direction", kind: "enum", values: ["send", "receive"], default: "send", description: "send: the server writes to a client; receive: a client writes and the server reads"},
    {name: "tso", kind: "enum", values: onOff, default: "on", description: "TSO/GSO super-segments of up to 64 KiB (off: one MSS per skb)"},
    {name: "gro", kind: "enum", values: onOff, default: "on", description: "GRO merges received segments of a flow in a NAPI poll"},
    {name: "napi", kind: "enum", values: onOff, default: "on", description: "NAPI polling (off: an interrupt per packet, no GRO)"},
    {name: "coalesce", kind: "duration", values: ["off"], default: "16us", unit: "ns", description: "interrupt coalescing, ethtool rx-usecs (mlx5's default 16 µs); off: interrupt at once"},
    {name: "coalesceFrames", kind: "integer", min: 1, default: linuxDataPathDefaults.rxCoalesceFrames, unit: "packets", description: "ethtool rx-frames"},
    {name: "napiWeight", kind: "integer", min: 1, default: linuxDataPathDefaults.napiWeight, unit: "packets", description: "packets per NAPI poll (net.core.dev_weight)"},
    {name: "sndbuf", kind: "size", allowZero: true, default: "0", unit: "bytes", description: "send buffer (SO_SNDBUF); 0: autotuning from tcp_wmem[1] up to tcp_wmem[2]"},
    {name: "rcvbuf", kind: "size", allowZero: true, default: "0", unit: "bytes", description: "the server's receive buffer; 0: tcp_rmem[1]"},
    {name: "readBytes", kind: "size", default: "64KiB", unit: "bytes", description: "bytes per recv() call (receive)"},
    {name: "mtu", kind: "integer", min: 120, default: linuxDataPathDefaults.mtuBytes, unit: "bytes", description: "path MTU (the MSS is MTU − 52 with timestamps)"},
    {name: "latency", kind: "duration", default: String(defaultLinkLatencyNs), unit: "ns", description: "one-way link latency"},
];

/** {@link socketParams}' defaults, parsed. */
const defaults = paramDefaults(socketParams);

/** Returns the measured result of one message crossing a socket, plus the model's objects. */
export function runSocket(o: SocketRunOptions) {
  const direction = o.direction ?? (defaults.direction as SocketDirection);
  const readBytes = o.readBytes ?? (defaults.readBytes as number);
  const sim = scenarioSim(o, false);
  const host = new Host(sim, o.profile);
  const stack = new NetStack(host, {...o.dataPath, latencyNs: o.latencyNs ?? defaultLinkLatencyNs});
  const conn = new Connection(0);
  conn.clientState = "established";
  conn.serverState = "accepted";
  const sock = stack.socket(conn);
  // Counts by kind and detail, from the trace as it is recorded (the run keeps no events).
  const counts = new Map<string, number>();
  const byteCounts = new Map<string, number>();
  sim.trace.listen((_t, kind, _pid, _d, bytes, detail) => {
    const key = `${kind}:${detail}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (bytes !== 0) byteCounts.set(key, (byteCounts.get(key) ?? 0) + bytes);
  });
  let doneNs = -1;
  if (direction === "send") {
    const exchange = stack.peerExchange(sock, 0, o.messageBytes);
    exchange.then(() => void (doneNs = sim.scheduler.now()));
    spawn(sim, serverPid, () => sendCall(host, sock, o.messageBytes)).subscribe();
  } else {
    stack.peerSend(sock, o.messageBytes);
    spawn(sim, serverPid, () => reader(host, sock, o.messageBytes, readBytes)).subscribe((got) => {
      if (got === o.messageBytes) doneNs = sim.scheduler.now();
    });
  }
  const endNs = sim.run();
  const count = (kind: TraceKind, detail: string) => counts.get(`${kind}:${detail}`) ?? 0;
  const bytes = (kind: TraceKind, detail: string) => byteCounts.get(`${kind}:${detail}`) ?? 0;
  const sumKind = (kind: TraceKind) => [...counts].filter(([k]) => k.startsWith(`${kind}:`)).reduce((a, [, n]) => a + n, 0);
  const copyBytes = [...byteCounts].filter(([k]) => k.startsWith("cpu-copy:")).reduce((a, [, n]) => a + n, 0);
  const userBoundary = bytes("cpu-copy", "user→skb") + bytes("cpu-copy", "skb→user");
  /** Bytes that reached their destination, measured: the client's received payload, or the server's copies to user memory. */
  const bytesDelivered = direction === "send" ? sock.peerBytesReceived : bytes("cpu-copy", "skb→user");
  const elapsedNs = doneNs >= 0 ? doneNs : endNs;
  const s = stack.settings;
  const result = {
    messageBytes: o.messageBytes,
    direction,
    mss: mssOf(s),
    tso: s.tso,
    gro: s.gro,
    napi: s.napi,
    rxCoalesceNs: s.rxCoalesceNs,
    rxCoalesceFrames: s.rxCoalesceFrames,
    sndbufBytes: s.sndbufBytes,
    sndbufBytesAtEnd: sock.sndbufBytes,
    rcvbufBytes: sock.rcvbufBytes,
    latencyNs: sock.latencyNs,
    bytesDelivered,
    /** Data packets on the wire (traced per packet at the NIC). */
    segments: direction === "send" ? count("packet", "tx") : count("packet", "rx"),
    /** Skbs the protocol handled per direction: TSO super-segments handed to the NIC (send) or skbs after GRO (receive). */
    superSegments: direction === "send" ? count("dma-copy", "skb→nic") : stack.counters.rxSkbs - count("packet", "rx-ack"),
    /** Pure ACKs that left and arrived. */
    acksSent: count("packet", "tx-ack"),
    acksReceived: count("packet", "rx-ack"),
    /** Interrupts: NIC receive (NAPI or per packet) and NIC transmit completions. */
    interrupts: sumKind("irq"),
    rxInterrupts: count("irq", "nic-rx"),
    txInterrupts: count("irq", "nic"),
    napiPolls: stack.counters.polls,
    groMerged: stack.counters.groMerged,
    cpuCopies: sumKind("cpu-copy"),
    cpuCopyBytes: copyBytes,
    /** CPU-copied bytes other than at the user boundary (tcp_sendmsg, tcp_recvmsg): 0 when no layer copies. */
    cpuCopyBytesBetweenLayers: copyBytes - userBoundary,
    dmaCopies: sumKind("dma-copy"),
    headerOps: sumKind("header"),
    syscalls: sumKind("syscall"),
    contextSwitches: sumKind("mode-switch"),
    blockedWrites: sock.counters.blockedWrites,
    blockedReads: sock.counters.blockedReads,
    elapsedNs,
    throughputBytesPerSec: elapsedNs > 0 ? (bytesDelivered / elapsedNs) * 1e9 : 0,
    cpuShare: cpuShare(host.cpu),
    cpuBusyNs: Object.fromEntries(host.cpu.busyNsByTag),
  };
  return {result, sim, host, stack, sock};
}

function* reader(host: Host, sock: TcpSocket, bytes: number, readBytes: number): ProcessBody<number> {
  let got = 0;
  while (got < bytes) {
    const r = yield* recvCall(host, sock, Math.min(readBytes, bytes - got));
    if (r instanceof EagainError || r === 0) break;
    got += r;
  }
  return got;
}


/** The `socket` scenario. */
export const socketScenario: Scenario = {
  name: "socket",
  description: "One message crosses a connected TCP socket: segments, TSO super-segments, NAPI interrupts, GRO, copies only at the user boundary, CPU by category.",
  params: socketParams,
  run(v, ctx) {
    const {result} = runSocket({...socketOptions(v, ctx), maxEvents: ctx.maxEvents, onSim: ctx.onSim});
    return {scenario: "socket", profile: ctx.profile.name, seed: ctx.seed, ...result};
  },
  sizeParams: ["messageBytes"],
  estimateEvents(v, ctx) {
    const o = socketOptions(v, ctx);
    return extrapolateEvents(o.messageBytes, MiB, 2 * MiB, (messageBytes) => runSocket({...o, messageBytes}).sim.scheduler.eventsRun);
  },
};

function socketOptions(v: ParamValues, ctx: RunContext): SocketRunOptions {
  const coalesce = v.coalesce as number | "off";
  return {
    profile: ctx.profile,
    seed: ctx.seed,
    keepEvents: false,
    messageBytes: v.messageBytes as number,
    direction: v.direction as SocketDirection,
    readBytes: v.readBytes as number,
    latencyNs: v.latency as number,
    dataPath: {
      tso: v.tso === "on",
      gro: v.gro === "on",
      napi: v.napi === "on",
      rxCoalesceNs: coalesce === "off" ? 0 : coalesce,
      rxCoalesceFrames: v.coalesceFrames as number,
      napiWeight: v.napiWeight as number,
      sndbufBytes: (v.sndbuf as number) === 0 ? "auto" : (v.sndbuf as number),
      rcvbufBytes: (v.rcvbuf as number) === 0 ? "default" : (v.rcvbuf as number),
      mtuBytes: v.mtu as number,
    },
  };
}
