/**
 * `iosim run transfer`: send one file to a socket with one of the four
 * strategies and report the seed's counts and the costs.
 */
import {BehaviorSubject, map, takeWhile} from "rxjs";
import {Host} from "../host/Host.js";
import {diskKinds, type DiskKind} from "../host/devices.js";
import {bytesPerSec, countEvents} from "../analysis/metrics.js";
import type {DataPathSettings} from "../net/dataPath.js";
import {defaultLinkLatencyNs} from "../net/ClientPopulation.js";
import {linkKinds, mmapMappings, type LinkKind, type LinkOptions, type MmapMapping} from "../transfer/index.js";
import {mmapWrite} from "../transfer/mmapWrite.js";
import {readWrite} from "../transfer/readWrite.js";
import {sendfile} from "../transfer/sendfile.js";
import type {FileRequest, Transfer} from "../transfer/index.js";
import type {OperatorFunction} from "rxjs";
import type {Profile} from "../host/profiles.js";
import {paramDefaults} from "../params/ParamSpec.js";
import {extrapolateEvents, scenarioSim, type ParamSpec, type ParamValues, type RunContext, type Scenario, type ScenarioSimOptions} from "./scenario.js";

/** The four strategies by CLI name. */
export const strategies = ["read-write", "mmap-write", "sendfile", "sendfile-sg"] as const;
export type StrategyName = (typeof strategies)[number];

/** Returns the operator of strategy *name* on *host*, sending over *link* (default: a NIC, Linux's data path). */
export function strategyOperator(name: StrategyName, host: Host, chunkBytes: number, link: LinkOptions = {}, sendfileCallBytes?: number, mmapMapping?: MmapMapping): OperatorFunction<FileRequest, Transfer> {
  switch (name) {
    case "read-write":
      return readWrite(host, {...link, chunkBytes});
    case "mmap-write":
      return mmapWrite(host, {...link, chunkBytes, mapping: mmapMapping});
    case "sendfile":
      return sendfile(host, {...link, chunkBytes, scatterGather: false, maxCallBytes: sendfileCallBytes});
    case "sendfile-sg":
      return sendfile(host, {...link, chunkBytes, scatterGather: true, maxCallBytes: sendfileCallBytes});
  }
}

/** The parameters of the `transfer` scenario, declared once: `--set`, `iosim list`, the sweep and {@link runTransfer}'s defaults read them. */
export const transferParams: ParamSpec[] = [
    {name: "strategy", kind: "enum", values: strategies, default: "read-write", description: "file-transfer strategy"},
    {name: "fileBytes", kind: "size", default: "1MiB", unit: "bytes", description: "size of each file"},
    {name: "chunkBytes", kind: "size", default: "64KiB", unit: "bytes", description: "bytes per system-call round (buffer size)"},
    {name: "cache", kind: "enum", values: ["cold", "warm"], default: "cold", description: "page cache empty, or holding the whole file"},
    {name: "disk", kind: "enum", values: diskKinds, default: "ssd", description: "which of the profile's disks"},
    {name: "readaheadBytes", kind: "size", allowZero: true, default: 0, unit: "bytes", description: "readahead window (0: none, as the seed's per-chunk counts assume)"},
    {name: "files", kind: "integer", min: 1, default: 1, unit: "files", description: "files sent one after another"},
    {name: "link", kind: "enum", values: linkKinds, default: "nic", description: "nic: to a client on another machine through the NIC; loopback: to a process on this host that reads and discards (no NIC: both ends' CPU)"},
    {name: "latency", kind: "duration", default: String(defaultLinkLatencyNs), unit: "ns", description: "one-way latency to the client over the NIC"},
    {name: "sndbuf", kind: "size", allowZero: true, default: "0", unit: "bytes", description: "send buffer (SO_SNDBUF); 0: autotuning from tcp_wmem[1] up to tcp_wmem[2]"},
    {name: "tso", kind: "enum", values: ["on", "off"], default: "on", description: "TSO/GSO super-segments of up to 64 KiB (off: one MSS per skb)"},
    {name: "recvBytes", kind: "size", default: "64KiB", unit: "bytes", description: "loopback: bytes per recv(2) of the local reader"},
    {name: "mmapMapping", kind: "enum", values: mmapMappings, default: "file", description: "mmap-write: one mapping of the whole file, as programs write it (file), or map, write and unmap each chunk (chunk, the seed's model)"},
];

/** {@link transferParams}' defaults, parsed. */
const defaults = paramDefaults(transferParams);

/** Parameters of {@link runTransfer}. */
export interface TransferRunOptions extends ScenarioSimOptions {
  strategy: StrategyName;
  fileBytes: number;
  chunkBytes: number;
  cache: "cold" | "warm";
  disk?: DiskKind;
  readaheadBytes?: number;
  /** Files sent one after another; default 1. */
  files?: number;
  profile: Profile;
  /** nic (default): to a client on another machine; loopback: to a process on this host that reads and discards. */
  link?: LinkKind;
  /** One-way latency to the client over the NIC, ns; default the data path's (250 µs). */
  latencyNs?: number;
  /** Data-path settings (send buffer, TSO, NAPI, coalescing…); default Linux's. */
  dataPath?: Partial<DataPathSettings>;
  /** sendfile strategies: most bytes per sendfile(2) (nginx's sendfile_max_chunk); default one call per file. */
  sendfileCallBytes?: number;
  /** Loopback: bytes per recv(2) of the local reader; default 64 KiB. */
  receiveBytes?: number;
  /** mmap-write: one mapping of the whole file (default) or one per chunk. */
  mmapMapping?: MmapMapping;
}

/**
 * Returns the measured result of sending *files* files of *fileBytes* by
 * *strategy*, plus the simulation and host, and the transfers themselves
 * when **keepEvents** is on (the default; the CLI turns it off, so memory
 * stays flat however many files).
 */
export function runTransfer(o: TransferRunOptions) {
  const sim = scenarioSim(o, true);
  const host = new Host(sim, o.profile, {disk: o.disk ?? (defaults.disk as DiskKind), readaheadBytes: o.readaheadBytes ?? (defaults.readaheadBytes as number)});
  const files = o.files ?? (defaults.files as number);
  // Requests are made one at a time, when the previous transfer is done (a pull, not from(array)): the strategy's
  // concatMap would otherwise buffer every request up front, and memory would grow with the number of files.
  // A warm file is warmed just before its own request, so every file is warm even when they do not all fit.
  let nextFile = 0;
  const makeRequest = (): FileRequest => {
    const file = {id: `file-${nextFile++}`, sizeBytes: o.fileBytes};
    if (o.cache === "warm") host.pageCache.warm(file);
    return {file, pid: 1};
  };
  const ready$ = new BehaviorSubject<void>(undefined);
  /** Each finished transfer, kept only with keepEvents (tests); the totals below are running sums. */
  const transfers: Transfer[] = [];
  const keepTransfers = sim.trace.keepEvents;
  /** Packets and receive interrupts, counted from the trace as it is recorded (the CLI keeps no events). */
  const net = {segments: 0, acks: 0, rxIrqs: 0, diskDmas: 0, nicDmas: 0, dataDmaBytes: 0, pageFaults: 0, faultPages: 0, tlbFlushes: 0};
  sim.trace.listen((_t, kind, _pid, _d, eventBytes, detail) => {
    if (kind === "dma-copy") {
      // The file's data crosses by DMA from the disk into memory, and from memory (an skb, or page-cache pages it references) to the NIC.
      if (detail.startsWith("disk→")) {
        net.diskDmas++;
        net.dataDmaBytes += eventBytes;
      } else if (detail === "skb→nic" || detail === "page-cache→nic") net.nicDmas++;
    } else if (kind === "packet") {
      // A wire packet's payload left by the NIC's DMA (its headers are not the file's data).
      if (detail === "tx") net.dataDmaBytes += eventBytes;
      if (detail === "tx" || detail === "lo") net.segments++;
      else if (detail === "rx-ack" || detail === "lo-ack") net.acks++;
    } else if (kind === "irq" && detail === "nic-rx") net.rxIrqs++;
    else if (kind === "page-fault") {
      net.pageFaults++;
      net.faultPages += eventBytes / o.profile.memory.pageBytes;
    } else if (kind === "tlb-flush") net.tlbFlushes++;
  });
  let done = 0;
  let bytes = 0;
  let chunks = 0;
  let latencySumNs = 0;
  let receiverCpuNs = 0;
  let receiverSleeps = 0;
  let receiverCoalesced = 0;
  const irqContextNs = {sender: 0, receiver: 0};
  /** When the last file's last byte was delivered, and the CPU's busy time by category then (ACKs still on their way after it are not the transfer's). */
  let endNs = 0;
  let busyAtEnd: ReadonlyMap<string, number> = new Map();
  const link = o.link ?? "nic";
  ready$
    .pipe(
      takeWhile(() => nextFile < files),
      map(makeRequest),
      strategyOperator(o.strategy, host, o.chunkBytes, {link, latencyNs: o.latencyNs, dataPath: o.dataPath, receiveBytes: o.receiveBytes}, o.sendfileCallBytes, o.mmapMapping),
    )
    .subscribe((t) => {
      done++;
      bytes += t.bytes;
      chunks += t.chunks;
      latencySumNs += t.latencyNs;
      receiverCpuNs += t.receiverCpuNs;
      receiverSleeps += t.receiverSleeps;
      receiverCoalesced += t.receiverCoalesced;
      irqContextNs.sender += t.irqContextNs.sender;
      irqContextNs.receiver += t.irqContextNs.receiver;
      endNs = t.endNs;
      busyAtEnd = host.cpu.busyNsByTagSoFar();
      if (keepTransfers) transfers.push(t);
      // Each file is sent once: the cache may drop its bookkeeping (its pages stay until evicted).
      if (!keepTransfers) host.pageCache.forget(t.fileId);
      ready$.next();
    });
  // A process error reaches no handler here, so run() throws it (the one path every scenario shares).
  const simEndNs = sim.run();
  ready$.complete();
  const elapsedNs = done > 0 ? endNs : simEndNs;
  if (done === 0) busyAtEnd = host.cpu.busyNsByTagSoFar();
  const cpuBusyNs = [...busyAtEnd.values()].reduce((a, b) => a + b, 0);
  const result = {
    strategy: o.strategy,
    fileBytes: o.fileBytes,
    chunkBytes: o.chunkBytes,
    cache: o.cache,
    link,
    files,
    chunks,
    bytesRequested: files * o.fileBytes,
    bytesDelivered: bytes,
    ...countEvents(sim.trace),
    cacheHitPages: host.pageCache.hits,
    cacheMissPages: host.pageCache.misses,
    elapsedNs,
    latencyNs: done ? latencySumNs / done : 0,
    throughputBytesPerSec: bytesPerSec(bytes, elapsedNs),
    cpuUtilization: elapsedNs > 0 ? cpuBusyNs / (host.cpu.units * elapsedNs) : 0,
    /** CPU busy time until the last byte was delivered, all cores, ns: senderCpuNs + receiverCpuNs. */
    cpuBusyNs,
    /** The sending side's part: everything but the loopback receiver's (its steps, task switches and wake-up IPIs, measured), ns. */
    senderCpuNs: cpuBusyNs - receiverCpuNs,
    /** The loopback receiver's CPU time, ns; 0 over a NIC (the client is another machine). */
    receiverCpuNs,
    /**
     * Loopback: the part of senderCpuNs and of receiverCpuNs spent in interrupt context (the softirq receive path of
     * what each side sent, the wake-ups sent from there, IPIs taken), ns; 0 over a NIC. A kernel with
     * CONFIG_IRQ_TIME_ACCOUNTING keeps it out of thread CPU clocks, so a probe there reads each side's CPU less this.
     */
    senderIrqNs: irqContextNs.sender,
    receiverIrqNs: irqContextNs.receiver,
    /** Loopback: times the receiver blocked in recv waiting for data, each ended by a wake-up (its voluntary context switches); 0 over a NIC. */
    receiverSleeps,
    /** Loopback: data skbs the reader's socket coalesced into the skb before them, still queued (tcp_try_coalesce; Linux counts them in TcpExtTCPRcvCoalesce); 0 over a NIC. */
    receiverCoalesced,
    /** Disk→memory DMA transfers, and DMA transfers of data skbs to the NIC (one per skb, a TSO super-segment counting once). */
    diskDmas: net.diskDmas,
    nicDmas: net.nicDmas,
    /**
     * Bytes of the file's data moved by DMA: disk→memory, and the payload of the wire packets the NIC sent (not their
     * headers). Divided by the bytes sent, how many DMA copies each chunk's bytes went through: the seed's per-chunk count.
     */
    dataDmaBytes: net.dataDmaBytes,
    /** Data packets on the wire (nic, after TSO's cut) or skbs through loopback (whose 64 KiB MTU needs no cut). */
    segments: net.segments,
    /** ACKs that reached the sender: through the NIC (nic; the NIC's receive interrupts they raised follow, NAPI and coalescing decide how many), or the loopback reader's across lo (loopback). */
    acksReceived: net.acks,
    rxInterrupts: net.rxIrqs,
    /** mmap-write: page faults on the mapping, the pages they mapped (fault-around), and munmap's TLB flushes, from the trace. */
    pageFaults: net.pageFaults,
    faultPages: net.faultPages,
    tlbFlushes: net.tlbFlushes,
    cpuShare: shareOf(busyAtEnd),
  };
  /** CPU busy time until the last byte was delivered, by category, ns. */
  const cpuNsByCategory = Object.fromEntries(busyAtEnd) as Record<string, number>;
  return {result, sim, host, transfers, simEndNs, cpuNsByCategory};
}

/** Returns the share of each category in *busy* (fractions summing to 1, categories in alphabetical order). */
function shareOf(busy: ReadonlyMap<string, number>): Record<string, number> {
  const rows = [...busy].filter(([, ns]) => ns > 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const total = rows.reduce((sum, [, ns]) => sum + ns, 0);
  const out: Record<string, number> = {};
  if (total > 0) for (const [tag, ns] of rows) out[tag] = ns / total;
  return out;
}

/** The `transfer` scenario. */
export const transferScenario: Scenario = {
  name: "transfer",
  description:
    "Send a file to a TCP socket (through the NIC, or over loopback to a local reader) with read+write, mmap+write, sendfile or sendfile with an SG-DMA NIC; counts mode switches, DMA and CPU copies, system calls, segments; sender and receiver CPU.",
  params: transferParams,
  run(v, ctx) {
    const {result} = runTransfer({...transferOptions(v, ctx), maxEvents: ctx.maxEvents, onSim: ctx.onSim});
    return {scenario: "transfer", profile: ctx.profile.name, seed: ctx.seed, ...result};
  },
  sizeParams: ["files", "fileBytes", "chunkBytes"],
  estimateEvents(v, ctx) {
    // Events of `files` files of `chunks` chunks each: per chunk from runs of 2 and 4 chunks, per file from runs of 1 and 2 files.
    const o = transferOptions(v, ctx);
    const chunks = Math.ceil(o.fileBytes / o.chunkBytes);
    const eventsOf = (files: number, fileChunks: number) =>
      runTransfer({...o, files, fileBytes: fileChunks === chunks ? o.fileBytes : fileChunks * o.chunkBytes}).sim.scheduler.eventsRun;
    return extrapolateEvents(o.files ?? (defaults.files as number), 1, 2, (files) => extrapolateEvents(chunks, 2, 4, (c) => eventsOf(files, c)));
  },
};

function transferOptions(v: ParamValues, ctx: RunContext): TransferRunOptions {
  return {
    strategy: v.strategy as StrategyName,
    fileBytes: v.fileBytes as number,
    chunkBytes: v.chunkBytes as number,
    cache: v.cache as "cold" | "warm",
    disk: v.disk as DiskKind,
    readaheadBytes: v.readaheadBytes as number,
    files: v.files as number,
    link: v.link as LinkKind,
    latencyNs: v.latency as number,
    dataPath: {sndbufBytes: (v.sndbuf as number) > 0 ? (v.sndbuf as number) : "auto", tso: v.tso === "on"},
    receiveBytes: v.recvBytes as number,
    mmapMapping: v.mmapMapping as MmapMapping,
    seed: ctx.seed,
    profile: ctx.profile,
    keepEvents: false,
  };
}
