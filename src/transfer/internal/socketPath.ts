/**
 * Where a file transfer's bytes go: a connected TCP socket, either through
 * the NIC to a client on another machine, or over loopback to a process on
 * the same host that reads and discards them.
 *
 * Think of a post room. The sender drops parcels into a tray (the send
 * buffer, sized in bytes and grown by autotuning); while the tray has room
 * it goes on packing the next parcel, and someone else takes the tray's
 * parcels out. Over a NIC that someone is the NIC's van (a DMA per skb, at
 * line rate) and the tray is emptied only when the far side signs for a
 * parcel (the ACK). Over loopback there is no van: the sender's own hands
 * carry each parcel to the receiver's in-tray (the transmit path and
 * loopback_xmit run on the sender's core), and the receiver, on its own
 * core, unpacks it (the protocol's receive work), copies it out (recv) and
 * signs for it (the ACK, whose processing frees the sender's tray).
 *
 * The CPU work of each step is a profile number (`net.txSegmentNs`,
 * `net.rxPacketNs`, `net.rxSegmentNs`, `net.skbAllocNs`, `net.pageRefNs`,
 * `net.checksumBytesPerNs`); the NIC path is {@link NetStack}'s (TSO, NAPI
 * and coalescing, GRO, delayed ACKs), unchanged.
 */
import {Signal, spawn, use, wait, type ProcessBody} from "../../engine/process.js";
import type {Host} from "../../host/Host.js";
import {copyBytesPerNsAt, copyNs, fromMemory, intoSocketBuffer} from "../../host/profiles.js";
import {InputError, keyword} from "../../errors.js";
import {syscall} from "../../kernel/syscall.js";
import {defaultLinkLatencyNs} from "../../net/ClientPopulation.js";
import {Connection} from "../../net/Connection.js";
import type {DataPathSettings} from "../../net/dataPath.js";
import {NetStack} from "../../net/NetStack.js";
import type {TcpSocket} from "../../net/TcpSocket.js";
import {KiB, MiB} from "../../units.js";

/** The links a transfer can use. */
export const linkKinds = ["nic", "loopback"] as const;
/** nic: to a client on another machine through the host's NIC; loopback: to a process on the same host, no NIC. */
export type LinkKind = (typeof linkKinds)[number];

/**
 * The receive window the other end offers: net.ipv4.tcp_rmem[2], 32 MiB on
 * a machine with enough memory (tcp_init(): max_rshare = min(32 MiB, …),
 * sysctl_tcp_rmem[2] = max(131072, max_rshare), net/ipv4/tcp.c lines 5299
 * and 5307). A Linux receiver's autotuning (tcp_rcv_space_adjust) grows its
 * buffer towards it while it keeps up; iosim does not model that growth,
 * so the receiver offers it from the start.
 */
export const receiverWindowBytes = 32 * MiB;

/** Loopback's MTU: 64 KiB (gen_lo_setup(dev, (64 * 1024), …), drivers/net/loopback.c line 202), so an MSS of 65484 bytes with timestamps. */
export const loopbackMtuBytes = 64 * KiB;

/** Where a transfer's bytes go, and how. */
export interface LinkOptions {
  /** nic (default) or loopback. */
  link?: LinkKind;
  /** One-way latency to the client over the NIC, ns; default {@link defaultLinkLatencyNs}. */
  latencyNs?: number;
  /** Data-path settings (TSO, NAPI, coalescing, send buffer…); default Linux's, with the receiver's window {@link receiverWindowBytes}. */
  dataPath?: Partial<DataPathSettings>;
  /** Bytes per recv(2) of the loopback receiver; default 64 KiB. */
  receiveBytes?: number;
}

/** Where a write takes its bytes from: copied from a buffer ("user", "page-cache"), or references to the page-cache pages of the file from byte *pagesAt* on (zero copy). */
export type WriteSource = {copyFrom: "user" | "page-cache"} | {pagesAt: number};

/** Returns *o* checked: a bad link or latency is an {@link InputError} naming it. */
export function checkLinkOptions(o: LinkOptions): Required<Omit<LinkOptions, "dataPath">> & {dataPath: Partial<DataPathSettings>} {
  const link = keyword("link", o.link ?? "nic", linkKinds) as LinkKind;
  const latencyNs = o.latencyNs ?? defaultLinkLatencyNs;
  if (!(Number.isFinite(latencyNs) && latencyNs >= 0)) throw new InputError("latencyNs", String(latencyNs), "a duration ≥ 0 ns");
  const receiveBytes = o.receiveBytes ?? 64 * KiB;
  if (!(Number.isSafeInteger(receiveBytes) && receiveBytes > 0)) throw new InputError("receiveBytes", String(receiveBytes), "a positive integer number of bytes");
  return {link, latencyNs, receiveBytes, dataPath: o.dataPath ?? {}};
}

/** Pid of the loopback receiver of connection *id* (far from the servers' pids). */
const receiverPidBase = 1_000_000;

/**
 * Returns the sockets of one strategy on *host*: one {@link NetStack} per
 * link, created on first use, and a fresh connection per transfer (as a
 * server gives each request its own connection). Tasks switches of the
 * loopback receivers are read off the trace, so their CPU time is measured.
 */
export class SocketPaths {
  readonly options: ReturnType<typeof checkLinkOptions>;
  private nicStack: NetStack | null = null;
  private loStack: NetStack | null = null;
  private nextConn = 0;
  /** Over a NIC: each process's connection, kept open between its transfers (HTTP keep-alive), and whether a transfer is using it. */
  private readonly kept = new Map<number, {sock: TcpSocket; busy: boolean}>();
  /** Task-switch time of each loopback receiver, ns, by pid. */
  readonly receiverSwitchNs = new Map<number, number>();
  /** Wake-up IPI time (taken and sent) of each loopback receiver, ns, by pid: its CPU time, in interrupt context (see SocketSink.irqContextNs). */
  readonly receiverIpiNs = new Map<number, number>();
  /** Wake-up IPI time on the sending side of loopback connections (every pid but the receivers'), ns. */
  senderIpiNs = 0;
  private listening = false;

  constructor(
    readonly host: Host,
    options: LinkOptions = {},
  ) {
    this.options = checkLinkOptions(options);
  }

  /** The NetStack of this strategy's link. */
  get stack(): NetStack {
    const {link, latencyNs, dataPath} = this.options;
    if (link === "nic") return (this.nicStack ??= new NetStack(this.host, {peerRcvbufBytes: receiverWindowBytes, ...dataPath, latencyNs}));
    // Loopback: the MTU is lo's; the stack object only holds the settings and builds skbs (its NIC paths stay unused).
    return (this.loStack ??= new NetStack(this.host, {peerRcvbufBytes: receiverWindowBytes, mtuBytes: loopbackMtuBytes, ...dataPath, latencyNs: 0}));
  }

  /**
   * Returns the socket for a transfer by process *pid*: over a NIC the
   * process's connection from its previous transfer when it is idle (a
   * keep-alive client: its send buffer and windows carry over), else a new
   * one; over loopback a new connection and receiver per transfer.
   */
  open(pid: number): SocketSink {
    if (this.options.link === "nic") {
      const kept = this.kept.get(pid);
      if (kept && !kept.busy) {
        kept.busy = true;
        return new SocketSink(this, kept.sock, pid, 0, () => (kept.busy = false));
      }
    }
    const conn = new Connection(this.nextConn++);
    conn.clientState = "established";
    conn.serverState = "accepted";
    if (this.options.link === "loopback" && !this.listening) {
      this.listening = true;
      this.host.sim.trace.listen((_t, kind, p, durationNs) => {
        if (kind === "task-switch" && p >= receiverPidBase) this.receiverSwitchNs.set(p, (this.receiverSwitchNs.get(p) ?? 0) + durationNs);
        else if (kind === "ipi") {
          if (p >= receiverPidBase) this.receiverIpiNs.set(p, (this.receiverIpiNs.get(p) ?? 0) + durationNs);
          else this.senderIpiNs += durationNs;
        }
      });
    }
    const sock = this.stack.socket(conn, this.options.link === "nic" ? this.options.latencyNs : 0);
    if (this.options.link === "nic" && !this.kept.has(pid)) {
      const entry = {sock, busy: true};
      this.kept.set(pid, entry);
      return new SocketSink(this, sock, pid, 0, () => (entry.busy = false));
    }
    return new SocketSink(this, sock, pid, receiverPidBase + conn.id);
  }
}

/**
 * One transfer's connected socket. The strategy writes into its send
 * buffer ({@link SocketSink.write}); {@link SocketSink.finish} waits until
 * every written byte has been delivered: left through the NIC (counted at
 * each skb's DMA completion) or, over loopback, been read by the receiver.
 */
export class SocketSink {
  readonly link: LinkKind;
  /** Bytes the strategy has handed to the socket. */
  written = 0;
  /** Loopback: skbs the receiver has not processed yet (its socket backlog), and their bytes. */
  private backlogSkbs = 0;
  private backlogBytes = 0;
  /** Loopback: whether the receiver holds its socket's lock (inside recv), so arriving skbs go to the backlog. */
  private readerOwnsSocket = false;
  /** Loopback: bytes processed and waiting in the receive queue. */
  private rcvQueued = 0;
  /** Loopback: bytes the receiver has processed (its rcv_nxt) and acknowledged (rcv_wup). */
  private rcvNxt = 0;
  private rcvAcked = 0;
  /** Loopback: bytes the receiver has read (copied to its buffer and discarded). */
  received = 0;
  /** Loopback: the receiver's own CPU time (its steps), ns; task switches are added from the trace. */
  private receiverStepNs = 0;
  /** Loopback: the part of each side's steps that runs in softirq context (the receive path of what it transmitted), ns. */
  private senderSoftirqNs = 0;
  private receiverSoftirqNs = 0;
  /** The senders' IPI time when this connection opened (see irqContextNs). */
  private readonly senderIpiBase: number;
  /** The sender has written its last byte. */
  private closed = false;
  /** The socket's bytes on the wire before this transfer (a kept connection's earlier transfers). */
  private readonly wireBase: number;
  /** Fired when skbs reach the receiver, or the sender closes. */
  private arrival: Signal<void> | null = null;
  /** Fired when the receiver has read every byte after the close. */
  private drained: Signal<void> | null = null;

  constructor(
    readonly paths: SocketPaths,
    readonly sock: TcpSocket,
    /** The sending process. */
    readonly pid: number,
    /** The loopback receiver's pid. */
    readonly receiverPid: number,
    /** Called when the transfer is done with the socket (a kept connection becomes idle). */
    private readonly release: () => void = () => {},
  ) {
    this.link = paths.options.link;
    this.wireBase = sock.counters.bytesToWire;
    this.senderIpiBase = paths.senderIpiNs;
    if (this.link === "loopback") {
      // No NIC transmit loop: over loopback the caller's context transmits (tcp_push → tcp_write_xmit runs inside
      // tcp_sendmsg, and inside tcp_ack for data the window held back), so NetStack's loop must never start.
      sock.txRunning = true;
      sock.sndWnd = receiverWindowBytes;
      spawn(paths.host.sim, receiverPid, () => this.receiver()).subscribe();
    }
  }

  /** Bytes delivered so far, measured: payload that left through the NIC, or that the loopback receiver read. */
  get deliveredBytes(): number {
    return this.link === "nic" ? this.sock.counters.bytesToWire - this.wireBase : this.received;
  }

  /** The loopback receiver's CPU time so far (its steps, its task switches and wake-up IPIs), ns; 0 over a NIC (the receiver is another machine). */
  get receiverCpuNs(): number {
    // Its task switches and the IPIs it took or sent are its CPU time too (a thread clock counts them).
    return this.receiverStepNs + (this.paths.receiverSwitchNs.get(this.receiverPid) ?? 0) + (this.paths.receiverIpiNs.get(this.receiverPid) ?? 0);
  }

  /**
   * Loopback: the part of each side's CPU time so far spent in interrupt
   * context, ns: the softirq that runs the receive path of what that side
   * transmitted (process_backlog → ip_rcv → tcp_v4_rcv: `net.rxPacketNs`,
   * and `net.rxSegmentNs` when the segment is not left on the socket's
   * backlog), with the wake-ups it sends from there (sk_data_ready,
   * sk_write_space), and the wake-up IPIs taken (hardirq). A kernel built
   * with CONFIG_IRQ_TIME_ACCOUNTING keeps this time out of the task's
   * clock (irqtime_account_irq() in kernel/sched/cputime.c books softirq
   * time not run by ksoftirqd as CPUTIME_SOFTIRQ, and
   * update_rq_clock_task() in kernel/sched/core.c takes it out of
   * clock_task, which sum_exec_runtime and so CLOCK_THREAD_CPUTIME_ID
   * follow), so a probe's thread clock reads each side's CPU less this.
   * The senders' IPI time is that of every sender since the connection
   * opened: exact for one connection at a time, as the probe sends.
   * Over a NIC: zeros (not tracked there).
   */
  get irqContextNs(): {sender: number; receiver: number} {
    if (this.link !== "loopback") return {sender: 0, receiver: 0};
    return {
      sender: this.senderSoftirqNs + this.paths.senderIpiNs - this.senderIpiBase,
      receiver: this.receiverSoftirqNs + (this.paths.receiverIpiNs.get(this.receiverPid) ?? 0),
    };
  }

  /**
   * Returns a process body, run inside a write(2) or sendfile(2), that puts
   * *bytes* from *source* into the send buffer, as tcp_sendmsg_locked()
   * does (net/ipv4/tcp.c lines 1083–1380): while the buffer is full it
   * sleeps (sk_stream_wait_memory, line 1371) until ACKs free space; it
   * allocates skbs of up to the size goal (`net.skbAllocNs` each, line
   * 1223), copies the bytes in (one CPU copy per call, booked piece by
   * piece as room frees: one "cpu-copy" trace event with the call's bytes)
   * or, for zero-copy *source* `{pagesAt}`, attaches page references
   * (MSG_SPLICE_PAGES → skb_splice_from_iter(), line 1323; `net.pageRefNs`
   * per page); without checksum offload it sums every byte
   * (`net.checksumBytesPerNs`); then pushes (tcp_push). Copying the next
   * bytes thus overlaps sending the previous ones, as far as the buffer
   * lets it.
   */
  *write(bytes: number, source: WriteSource): ProcessBody<void> {
    const host = this.paths.host;
    const stack = this.paths.stack;
    const sock = this.sock;
    const net = host.profile.net;
    const cpu = host.cpu;
    const copyFrom = "copyFrom" in source ? source.copyFrom : null;
    /** File offset of the next zero-copy byte. */
    let pageOffset = "pagesAt" in source ? source.pagesAt : 0;
    sock.txDetail = copyFrom === null ? "page-cache→nic" : "skb→nic";
    const detail = copyFrom === null ? "" : `${copyFrom}→socket-buffer`;
    const checksum = this.link === "nic" && !host.profile.nic.checksumOffload;
    let traced = false;
    let left = bytes;
    while (left > 0) {
      const space = sock.sendSpace;
      if (space <= 0) {
        sock.noSpace = true;
        sock.counters.blockedWrites++;
        yield wait(sock.waitWritable());
        continue;
      }
      const n = Math.min(left, space, stack.sizeGoal(sock));
      sock.wmemQueued += n;
      const skbs = stack.newSkbsFor(sock, n);
      if (skbs > 0 && net.skbAllocNs > 0) yield use(cpu, skbs * net.skbAllocNs, "skb-alloc", null, 0, "tcp_stream_alloc_skb");
      if (copyFrom !== null) {
        // The skbs' pages are written here and read next by the NIC or another core: the copy streams into memory
        // (intoSocketBuffer), whether from a user buffer or from page-cache pages.
        const bytesPerNs = copyBytesPerNsAt(host.profile, intoSocketBuffer);
        if (!traced) {
          // One copy per call, as the seed counts it: the event carries the call's bytes and its whole copy time.
          host.sim.trace.record(host.sim.scheduler.now(), "cpu-copy", this.pid, bytes / bytesPerNs, bytes, detail);
          traced = true;
        }
        yield use(cpu, n / bytesPerNs, "cpu-copy", null, n, detail);
      } else {
        // Every page the piece touches is one fragment: a page split between two skbs is referenced by both.
        const pageBytes = host.profile.memory.pageBytes;
        const pages = Math.floor((pageOffset + n - 1) / pageBytes) - Math.floor(pageOffset / pageBytes) + 1;
        pageOffset += n;
        if (net.pageRefNs > 0) yield use(cpu, pages * net.pageRefNs, "page-ref", null, 0, "skb_splice_from_iter");
      }
      if (checksum) yield use(cpu, n / net.checksumBytesPerNs, "checksum", null, n, "skb_checksum_help");
      stack.queueSend(sock, n);
      this.written += n;
      left -= n;
      if (this.link === "loopback") yield* this.xmit(false);
    }
  }

  /** Returns a process body that closes the sending side and waits until every written byte has been delivered. */
  *finish(): ProcessBody<void> {
    this.closed = true;
    if (this.link === "nic") {
      while (this.deliveredBytes < this.written) yield wait(this.sock.waitWire());
      this.release();
      return;
    }
    this.wakeReceiver();
    while (this.received < this.written) yield wait((this.drained ??= new Signal<void>()));
  }

  /**
   * Loopback transmit, in the calling context (the sender inside
   * tcp_sendmsg, or the receiver inside tcp_ack): for each skb the window
   * lets out, the protocol's transmit work (tcp_transmit_skb → ip_queue_xmit
   * → dev_queue_xmit → loopback_xmit, `net.txSegmentNs`), then __netif_rx
   * queues it on this CPU's backlog (enqueue_to_backlog(skb,
   * smp_processor_id()), net/core/dev.c line 5716) and the softirq that
   * follows on the same core runs process_backlog and ip_rcv
   * (`net.rxPacketNs`). Then tcp_v4_rcv (net/ipv4/tcp_ipv4.c lines
   * 2376–2379): if the reader holds its socket's lock (it is inside recv),
   * the skb goes on the socket's backlog (tcp_add_backlog) for the reader to
   * process when it releases the lock; if not (the reader is asleep in
   * sk_wait_data, which releases the lock while it waits, or has not called
   * recv yet), tcp_v4_do_rcv → tcp_rcv_established runs here, in the
   * softirq on the sender's core (`net.rxSegmentNs`), and queues the data
   * for the reader. No checksum: lo has
   * NETIF_F_HW_CSUM (drivers/net/loopback.c lines 178–186). Returns the
   * CPU time it booked, ns.
   */
  private *xmit(byReceiver: boolean): ProcessBody<number> {
    const host = this.paths.host;
    const net = host.profile.net;
    const stack = this.paths.stack;
    let ns = 0;
    for (;;) {
      const skb = stack.takeSendable(this.sock);
      if (skb === null) break;
      yield use(host.cpu, net.txSegmentNs, "net-tx", null, 0, "loopback");
      yield use(host.cpu, net.rxPacketNs, "softirq", null, 0, "backlog");
      ns += net.txSegmentNs + net.rxPacketNs;
      let softirqNs = net.rxPacketNs;
      host.sim.trace.record(host.sim.scheduler.now(), "packet", byReceiver ? this.receiverPid : this.pid, 0, skb.payloadBytes, "lo");
      if (this.readerOwnsSocket) {
        this.backlogSkbs++;
        this.backlogBytes += skb.payloadBytes;
      } else {
        yield use(host.cpu, net.rxSegmentNs, "softirq", null, 0, "tcp");
        ns += net.rxSegmentNs;
        softirqNs += net.rxSegmentNs;
        this.rcvNxt += skb.payloadBytes;
        this.rcvQueued += skb.payloadBytes;
      }
      if (byReceiver) this.receiverSoftirqNs += softirqNs;
      else this.senderSoftirqNs += softirqNs;
      this.wakeReceiver();
    }
    return ns;
  }

  private wakeReceiver(): void {
    const w = this.arrival;
    this.arrival = null;
    w?.fire();
  }

  /**
   * The loopback receiver: a process that reads and discards. Each recv(2)
   * first processes the skbs on its socket's backlog as it releases the
   * socket lock (__release_sock(), net/core/sock.c line 3196 →
   * tcp_v4_do_rcv → tcp_rcv_established, `net.rxSegmentNs` each), copies
   * up to **receiveBytes** to its buffer ("skb→user"), then acknowledges
   * what it has processed (tcp_cleanup_rbuf → tcp_send_ack: one ACK per
   * call, a simplification of the every-second-segment rule): the ACK's
   * transmit (`net.txSegmentNs`), its way through loopback
   * (`net.rxPacketNs`), and tcp_ack on the sender's socket
   * (`net.rxSegmentNs`), which frees the acknowledged buffer space, grows an
   * autotuned send buffer that was found full, wakes the sender, and sends
   * what the window held back (tcp_data_snd_check), all on the receiver's
   * core.
   */
  private *receiver(): ProcessBody<void> {
    const host = this.paths.host;
    const net = host.profile.net;
    const sock = this.sock;
    const receiveBytes = this.paths.options.receiveBytes;
    const self = this;
    for (;;) {
      while (this.backlogSkbs === 0 && this.rcvQueued === 0) {
        if (this.closed && this.received >= this.written) {
          const d = this.drained;
          this.drained = null;
          d?.fire();
          return;
        }
        yield wait((this.arrival ??= new Signal<void>()));
      }
      this.receiverStepNs += 2 * host.profile.cpu.modeSwitchNs + host.profile.cpu.syscallNs;
      yield* syscall(host, "recv", function* () {
        // lock_sock in tcp_recvmsg: from here to the end of the call, skbs that arrive wait on the backlog.
        self.readerOwnsSocket = true;
        while (self.backlogSkbs > 0) {
          yield use(host.cpu, net.rxSegmentNs, "softirq", null, 0, "tcp");
          self.receiverStepNs += net.rxSegmentNs;
          self.backlogSkbs--;
          self.rcvNxt += self.backlogBytes;
          self.rcvQueued += self.backlogBytes;
          self.backlogBytes = 0;
        }
        const n = Math.min(receiveBytes, self.rcvQueued);
        if (n > 0) {
          // The skbs were written by the sender's core: the copy streams from memory (fromMemory).
          yield host.cpuCopy(n, "skb→user", fromMemory);
          self.receiverStepNs += copyNs(host.profile, n, fromMemory);
          self.rcvQueued -= n;
          self.received += n;
        }
        if (self.rcvNxt > self.rcvAcked) {
          const ackNs = net.txSegmentNs + net.rxPacketNs + net.rxSegmentNs;
          yield use(host.cpu, ackNs, "softirq", null, 0, "ack");
          self.receiverStepNs += ackNs;
          // The ACK's transmit is the reader's system call; its way in and tcp_ack run in the softirq that follows.
          self.receiverSoftirqNs += net.rxPacketNs + net.rxSegmentNs;
          self.rcvAcked = self.rcvNxt;
          self.ack();
          self.receiverStepNs += yield* self.xmit(true);
        }
        // release_sock: what arrived meanwhile is processed by the next call (its backlog loop above).
        self.readerOwnsSocket = false;
      });
      if (this.closed && this.received >= this.written) {
        const d = this.drained;
        this.drained = null;
        d?.fire();
      }
    }
  }

  /** tcp_ack on the sender's socket: space freed, the window the receiver now offers, autotuning, writers woken. */
  private ack(): void {
    const sock = this.sock;
    const acked = this.rcvAcked - sock.sndUna;
    if (acked <= 0) return;
    sock.sndUna = this.rcvAcked;
    sock.wmemQueued -= acked;
    sock.sndWnd = Math.max(0, receiverWindowBytes - this.rcvQueued);
    if (sock.noSpace && sock.sndbufAuto) sock.sndbufBytes = Math.min(sock.sndbufBytes * 2, this.paths.host.profile.net.wmemMaxBytes);
    sock.notifyWritable();
  }
}
