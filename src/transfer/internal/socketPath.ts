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
import {launch, Signal, spawn, use, wait, type ProcessBody} from "../../engine/process.js";
import type {Host} from "../../host/Host.js";
import {copyBytesPerNsAt, copyNs, fromMemory, intoSocketBuffer, loopbackSendCopyBytesPerNs, pageCacheCopyBytesPerNs} from "../../host/profiles.js";
import {ReceiveWindow, skbTruesizeOverheadBytes} from "./receiveWindow.js";
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
 * and 5307). Over a NIC the client at the other end is not modelled, so it
 * offers this from the start; over loopback the reader is, and its buffer
 * grows towards the profile's `net.rmemMaxBytes` (this when absent) as
 * Linux's autotuning grows it (ReceiveWindow).
 */
export const receiverWindowBytes = 32 * MiB;

/** MAX_SKB_FRAGS (include/linux/skbuff.h, CONFIG_MAX_SKB_FRAGS default 17). */
const maxSkbFrags = 17;
/** The sender's page frag on Linux 3.7 and later: SKB_FRAG_PAGE_ORDER 3, 32 KiB pages (net/core/sock.c, skb_page_frag_refill()). */
const pageFragBytes = 32 * KiB;

/** Loopback's MTU: 64 KiB (gen_lo_setup(dev, (64 * 1024), …), drivers/net/loopback.c line 202), so an MSS of 65484 bytes with timestamps. */
export const loopbackMtuBytes = 64 * KiB;

/**
 * The step in which the model's sender spins in lock_sock() while an ACK
 * holds its socket's spinlock, ns: the simulation's granularity for that
 * wait (the spin ends within one step of the lock's release), not a price.
 */
export const lockSpinStepNs = 100;

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

/**
 * Where a write takes its bytes from: copied from a user buffer, or from the
 * page-cache pages of a file of *fileBytes*, or references to that file's
 * pages from byte *pagesAt* on (zero copy). The file's size prices copies
 * out of its pages ({@link pageCacheCopyBytesPerNs}): this write's, and the
 * loopback reader's copy out of its fragments.
 */
export type WriteSource = {copyFrom: "user"} | {copyFrom: "page-cache"; fileBytes: number} | {pagesAt: number; fileBytes: number};

/** Returns *o* checked: a bad link or latency is an {@link InputError} naming it. */
export function checkLinkOptions(o: LinkOptions): Required<Omit<LinkOptions, "dataPath">> & {dataPath: Partial<DataPathSettings>} {
  const link = keyword("link", o.link ?? "nic", linkKinds) as LinkKind;
  const latencyNs = o.latencyNs ?? defaultLinkLatencyNs;
  if (!(Number.isFinite(latencyNs) && latencyNs >= 0)) throw new InputError("latencyNs", String(latencyNs), "a duration ≥ 0 ns");
  const receiveBytes = o.receiveBytes ?? 64 * KiB;
  if (!(Number.isSafeInteger(receiveBytes) && receiveBytes > 0)) throw new InputError("receiveBytes", String(receiveBytes), "a positive integer number of bytes");
  return {link, latencyNs, receiveBytes, dataPath: o.dataPath ?? {}};
}

/** Who sends a loopback receiver's ACK: the reader in its system call, the sender's softirq that queued the data, or the delayed-ACK timer. */
type AckContext = "receiver" | "senderSoftirq" | "timer";

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
  /** Loopback: the payload of each skb the receiver has not processed yet (its socket backlog), oldest first. */
  private readonly backlog: number[] = [];
  /** Loopback: whether the receiver holds its socket's lock (inside recv), so arriving skbs go to the backlog. */
  private readerOwnsSocket = false;
  /**
   * Loopback: whether a data skb is inside tcp_v4_do_rcv() on the reader's socket in the transmitting context, holding
   * its spinlock (bh_lock_sock) through tcp_rcv_established: the reader's lock_sock() spins till it is done.
   */
  private segmentHoldsReaderSocket = false;
  /** Loopback: bytes processed and waiting in the receive queue. */
  private rcvQueued = 0;
  /** Loopback: bytes the receiver has processed (its rcv_nxt); what it acknowledged and offered last (rcv_wup, rcv_wnd) are its window's (rwin). */
  private rcvNxt = 0;
  /** Loopback: the receiver's buffer and window as Linux tunes them (null over a NIC). */
  private readonly rwin: ReceiveWindow | null = null;
  /** Loopback: the payload of each skb in the receive queue not yet read through, oldest first, and how much of the first was read. */
  private readonly rcvSkbs: number[] = [];
  /** Loopback: each queued skb's truesize charged to the socket and its page fragments (a later skb coalesced into it adds to both). */
  private readonly rcvSkbTruesize: number[] = [];
  private readonly rcvSkbFrags: number[] = [];
  private rcvSkbHead = 0;
  private rcvSkbHeadRead = 0;
  /** Loopback: the truesize charged to the receiver's socket (sk_rmem_alloc and the backlog's sk_backlog.len), bytes. */
  private rmemBytes = 0;
  /** Loopback: whether an ACK was deferred while the reader processed its backlog (TCP_ACK_DEFERRED, see receiveSegment). */
  private ackDeferred = false;
  /** Loopback: bytes the receiver has read (copied to its buffer and discarded). */
  received = 0;
  /** Loopback: where the skbs carry page-cache pages (zero-copy fragments), the size of their file, bytes (it prices the reader's copy out of them); null where the sender copied the data in. */
  private fragFileBytes: number | null = null;
  /**
   * Loopback, the receiver's delayed-ACK state (struct inet_connection_sock's
   * icsk_ack): the receive MSS it has measured (tcp_measure_rcv_mss(), from
   * TCP_MSS_DEFAULT 536 up: tcp_initialize_rcv_mss()), the quick ACKs left,
   * whether an ACK is owed (ICSK_ACK_SCHED) and whether a segment shorter
   * than the MSS came since the last one (ICSK_ACK_PUSHED), and the
   * delayed-ACK timer's generation (bumped to cancel it) and whether it runs.
   */
  private rcvMss = 536;
  private quickAcks = 0;
  private sawData = false;
  private ackScheduled = false;
  private ackPushed = false;
  private delackGen = 0;
  private delackArmed = false;
  /** Loopback: the end of the last segment shorter than the MSS the sender sent (snd_sml, for Nagle's rule). */
  private sndSml = 0;
  /** Loopback: whether the sender holds its socket's lock (inside write or sendfile), so ACKs that reach it wait on its backlog. */
  private senderOwnsSocket = false;
  /**
   * Loopback: whether an ACK is inside tcp_v4_do_rcv() on the sender's socket in the reader's context, holding its
   * spinlock (bh_lock_sock) through tcp_ack and tcp_data_snd_check: the sender's lock_sock() spins till it is done.
   */
  private ackHoldsSenderSocket = false;
  /** Loopback: ACKs on the sender's socket backlog, and the highest sequence they acknowledge. */
  private senderBacklogAcks = 0;
  private senderBacklogAckTo = 0;
  private senderBacklogWnd = 0;
  /** Loopback: times the receiver blocked in recv for want of data (sk_wait_data), each ended by a wake-up. */
  receiverSleeps = 0;
  /** Loopback: data skbs coalesced into the one before them in the receive queue (TcpExtTCPRcvCoalesce). */
  rcvCoalesced = 0;
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
      // The receiver's window starts at tcp_select_initial_window()'s and is tuned as it reads (ReceiveWindow).
      const net = paths.host.profile.net;
      const rmemMax = net.rmemMaxBytes ?? receiverWindowBytes;
      // tcp_select_initial_window(): the scale that fits tcp_rmem[2] in 16 bits.
      const wscale = Math.min(14, Math.max(0, Math.floor(Math.log2(rmemMax)) - 15));
      this.rwin = new ReceiveWindow(net.rmemBytes, rmemMax, paths.stack.mss, wscale, paths.host.sim.scheduler.now(), net.advWinScale);
      sock.sndWnd = this.rwin.rcvWnd;
      // The SYN-ACK's window is the largest the sender has seen so far: its MSS is half of it (tcp_bound_to_half_wnd).
      sock.maxWindow = this.rwin.rcvWnd;
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
   * lets it. With *more* (MSG_MORE: sendfile's rounds before its last, as
   * splice_direct_to_actor() signals SPLICE_F_MORE until the request is
   * met and splice_to_socket() passes it on, fs/splice.c), tcp_push() corks
   * (TCP_NAGLE_CORK): over loopback, a tail shorter than the MSS waits for
   * the next call's bytes (tcp_nagle_check()), not for an ACK.
   */
  *write(bytes: number, source: WriteSource, more = false): ProcessBody<void> {
    const host = this.paths.host;
    const stack = this.paths.stack;
    const sock = this.sock;
    const net = host.profile.net;
    const cpu = host.cpu;
    const copyFrom = "copyFrom" in source ? source.copyFrom : null;
    /** File offset of the next zero-copy byte. */
    let pageOffset = "pagesAt" in source ? source.pagesAt : 0;
    const fileBytes = "fileBytes" in source ? source.fileBytes : 0;
    this.fragFileBytes = "pagesAt" in source ? source.fileBytes : null;
    sock.txDetail = copyFrom === null ? "page-cache→nic" : "skb→nic";
    const detail = copyFrom === null ? "" : `${copyFrom}→socket-buffer`;
    const checksum = this.link === "nic" && !host.profile.nic.checksumOffload;
    let traced = false;
    let left = bytes;
    const loopback = this.link === "loopback";
    // lock_sock(): from here ACKs that reach this socket wait on its backlog (tcp_v4_rcv → tcp_add_backlog).
    if (loopback) yield* this.lockSenderSocket();
    /** Skbs allocated since the backlog was last processed (tcp_sendmsg_locked's process_backlog). */
    let sinceFlush = 0;
    while (left > 0) {
      const space = sock.sendSpace;
      if (space <= 0) {
        sock.noSpace = true;
        if (loopback) {
          // sk_stream_wait_memory → sk_wait_event releases the lock, which processes the backlog; it sleeps only if
          // that freed no room.
          yield* this.releaseSenderBacklog();
          if (sock.sendSpace > 0) continue;
          this.senderOwnsSocket = false;
        }
        sock.counters.blockedWrites++;
        yield wait(sock.waitWritable());
        if (loopback) {
          // sk_wait_event() retakes the lock once the woken sender runs: after its core has left idle, not at the
          // wake-up (till then the reader's ACKs still run tcp_ack and transmit from its context).
          yield use(cpu, 0, "syscall", null, 0, "lock_sock");
          yield* this.lockSenderSocket();
        }
        continue;
      }
      const n = Math.min(left, space, stack.sizeGoal(sock));
      sock.wmemQueued += n;
      const skbs = stack.newSkbsFor(sock, n);
      sinceFlush += skbs;
      if (skbs > 0 && net.skbAllocNs > 0) yield use(cpu, skbs * net.skbAllocNs, "skb-alloc", null, 0, "tcp_stream_alloc_skb");
      if (copyFrom !== null) {
        // Over a NIC the skbs' pages are written here and read next by the device: the copy streams into memory
        // (intoSocketBuffer), whether from a user buffer or from page-cache pages. Over loopback the reader frees them as
        // it copies out and the page frag starts over: the copies cycle through the send buffer (see loopbackSendCopyBytesPerNs).
        const bytesPerNs = loopback ? loopbackSendCopyBytesPerNs(host.profile, copyFrom, sock.sndbufBytes, fileBytes) : copyBytesPerNsAt(host.profile, intoSocketBuffer);
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
      if (loopback) {
        yield* this.xmit(false, more);
        // Every 16 new skbs tcp_sendmsg_locked() processes the backlog (sk_flush_backlog(), net/ipv4/tcp.c).
        if (sinceFlush >= 16) {
          sinceFlush = 0;
          yield* this.releaseSenderBacklog();
        }
      }
    }
    if (loopback) {
      // release_sock(): the ACKs that waited are processed now, by the sender.
      yield* this.releaseSenderBacklog();
      this.senderOwnsSocket = false;
    }
  }

  /**
   * lock_sock() on the sender's socket (lock_sock_nested(), net/core/sock.c):
   * it takes the socket's spinlock first, so while an ACK holds that lock in
   * the reader's context (see {@link SocketSink.sendAck}) the sender spins,
   * its CPU busy, in steps of {@link lockSpinStepNs}; then it owns the
   * socket.
   */
  private *lockSenderSocket(): ProcessBody<void> {
    while (this.ackHoldsSenderSocket) yield use(this.paths.host.cpu, lockSpinStepNs, "lock-spin", null, 0, "lock_sock");
    this.senderOwnsSocket = true;
  }

  /**
   * The sender processes the ACKs on its socket's backlog (__release_sock()
   * → tcp_v4_do_rcv → tcp_ack, `net.rxSegmentNs` each, in its own context,
   * not in interrupt context): buffer space freed, writers woken, data the
   * window held back sent.
   */
  private *releaseSenderBacklog(): ProcessBody<void> {
    const host = this.paths.host;
    // __release_sock() runs until the backlog is empty: what its own transmits bring back is processed too.
    while (this.senderBacklogAcks > 0) {
      const n = this.senderBacklogAcks;
      this.senderBacklogAcks = 0;
      yield use(host.cpu, n * host.profile.net.rxSegmentNs, "softirq", null, 0, "tcp_ack");
      this.ack(this.senderBacklogAckTo, this.senderBacklogWnd);
      yield* this.xmit(false);
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
    // close(): the FIN rides on the last skb, pushed past Nagle (tcp_send_fin → __tcp_push_pending_frames(TCP_NAGLE_OFF)).
    yield* this.xmit(false);
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
  private *xmit(byReceiver: boolean, cork = false): ProcessBody<number> {
    const host = this.paths.host;
    const net = host.profile.net;
    const stack = this.paths.stack;
    let ns = 0;
    for (;;) {
      if (this.nagleHolds(cork)) break;
      const skb = stack.takeSendable(this.sock);
      if (skb === null) break;
      // tcp_minshall_update(): the end of the last segment shorter than the MSS sent.
      if (skb.payloadBytes < stack.mssNow(this.sock)) this.sndSml = this.sock.sndNxt;
      yield use(host.cpu, net.txSegmentNs, "net-tx", null, 0, "loopback");
      yield use(host.cpu, net.rxPacketNs, "softirq", null, 0, "backlog");
      ns += net.txSegmentNs + net.rxPacketNs;
      let softirqNs = net.rxPacketNs;
      host.sim.trace.record(host.sim.scheduler.now(), "packet", byReceiver ? this.receiverPid : this.pid, 0, skb.payloadBytes, "lo");
      if (this.readerOwnsSocket) {
        this.backlog.push(skb.payloadBytes);
        this.rmemBytes += skb.payloadBytes + skbTruesizeOverheadBytes;
      } else {
        // tcp_v4_rcv(): not owned, tcp_v4_do_rcv() runs here under the reader socket's spinlock; a recv() starting
        // meanwhile spins in lock_sock() (see receiver) and finds this skb queued.
        this.segmentHoldsReaderSocket = true;
        yield use(host.cpu, net.rxSegmentNs, "softirq", null, 0, "tcp");
        ns += net.rxSegmentNs;
        softirqNs += net.rxSegmentNs;
        // Still in this softirq: the ACK rule (its ACK, if one leaves, is the sender's softirq work too).
        const ackNs = yield* this.receiveSegment(skb.payloadBytes, "senderSoftirq");
        ns += ackNs;
        this.segmentHoldsReaderSocket = false;
      }
      if (byReceiver) this.receiverSoftirqNs += softirqNs;
      else this.senderSoftirqNs += softirqNs;
      this.wakeReceiver();
    }
    return ns;
  }

  /**
   * Nagle's algorithm as tcp_write_xmit() applies it to the last skb of the
   * write queue (tcp_nagle_test() → tcp_nagle_check(), net/ipv4/tcp_output.c;
   * TCP_NODELAY off, as in the probe and in IBM's Java client): a segment
   * shorter than the MSS waits while data is in flight and a short segment
   * sent earlier is still unacknowledged (tcp_minshall_check(): snd_sml
   * after snd_una), so later writes append to it (tcp_sendmsg fills the
   * unsent tail skb) until it is full or that ACK comes (tcp_ack →
   * tcp_data_snd_check sends it). Skbs before the last, full ones, and the
   * one the FIN rides on at close (tcp_send_fin pushes with TCP_NAGLE_OFF)
   * go at once. Over loopback a 64 KiB write's 52-byte tail usually goes:
   * the ACK the previous tail drew has come back. *cork* (the push of a
   * call made with MSG_MORE, TCP_NAGLE_CORK) holds any short last skb.
   */
  private nagleHolds(cork = false): boolean {
    const sock = this.sock;
    const q = sock.sendQueue;
    if (this.closed || sock.sendHead !== q.length - 1) return false;
    const partial = q[sock.sendHead].payloadBytes < this.paths.stack.mssNow(sock);
    return partial && (cork || (sock.sndNxt > sock.sndUna && this.sndSml > sock.sndUna && this.sndSml <= sock.sndNxt));
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
   * tcp_v4_do_rcv → tcp_rcv_established, `net.rxSegmentNs` each, with the
   * ACK rule of {@link SocketSink.receiveSegment}), copies up to
   * **receiveBytes** to its buffer ("skb→user"), then cleans up
   * (tcp_cleanup_rbuf(), net/ipv4/tcp.c): an owed ACK leaves if more than
   * one receive MSS is unacknowledged, or if this read emptied the queue
   * after a segment shorter than the MSS (ICSK_ACK_PUSHED; the receiver
   * never sends data, so never in ping-pong mode), or if the window it can
   * now offer is at least twice the one the sender knows.
   */
  private *receiver(): ProcessBody<void> {
    const host = this.paths.host;
    const net = host.profile.net;
    const receiveBytes = this.paths.options.receiveBytes;
    const self = this;
    for (;;) {
      while (this.backlog.length === 0 && this.rcvQueued === 0) {
        if (this.closed && this.received >= this.written) {
          const d = this.drained;
          this.drained = null;
          d?.fire();
          return;
        }
        this.receiverSleeps++;
        yield wait((this.arrival ??= new Signal<void>()));
      }
      this.receiverStepNs += 2 * host.profile.cpu.modeSwitchNs + host.profile.cpu.syscallNs;
      yield* syscall(host, "recv", function* () {
        // lock_sock in tcp_recvmsg (spinning while a segment holds the socket's spinlock): from here to the end of the
        // call, skbs that arrive wait on the backlog.
        while (self.segmentHoldsReaderSocket) {
          yield use(host.cpu, lockSpinStepNs, "lock-spin", null, 0, "lock_sock");
          self.receiverStepNs += lockSpinStepNs;
        }
        self.readerOwnsSocket = true;
        for (let i = 0; i < self.backlog.length; i++) {
          yield use(host.cpu, net.rxSegmentNs, "softirq", null, 0, "tcp");
          self.receiverStepNs += net.rxSegmentNs;
          self.rmemBytes -= self.backlog[i] + skbTruesizeOverheadBytes;
          self.receiverStepNs += yield* self.receiveSegment(self.backlog[i], "receiver");
        }
        self.backlog.length = 0;
        // tcp_release_cb(): an ACK deferred while the backlog was processed leaves once, if still owed (TCP_ACK_DEFERRED).
        if (self.ackDeferred) {
          self.ackDeferred = false;
          if (self.ackScheduled) self.receiverStepNs += yield* self.sendAck("receiver");
        }
        const n = Math.min(receiveBytes, self.rcvQueued);
        if (n > 0) {
          // Zero-copy fragments are the file's page-cache pages: a copy out of them, at the rate for a file of its size
          // (pageCacheCopyBytesPerNs). Data the sender copied in sits in page frags that cycle through its send buffer
          // and stay cached, as its copy in assumed (see loopbackSendCopyBytesPerNs): the copy out runs at the same rate.
          // Without the frag's reuse (net.sendFragReuse false) the pages were fresh: from memory.
          const frags = self.fragFileBytes;
          const ns =
            frags !== null
              ? n / pageCacheCopyBytesPerNs(host.profile, n, frags)
              : copyNs(host.profile, n, host.profile.net.sendFragReuse === false ? fromMemory : self.sock.sndbufBytes);
          yield use(host.cpu, ns, "cpu-copy", "cpu-copy", n, "skb→user");
          self.receiverStepNs += ns;
          self.rcvQueued -= n;
          self.consumeQueued(n);
          self.received += n;
        }
        // tcp_rcv_space_adjust() then tcp_cleanup_rbuf(), as tcp_recvmsg_locked() ends.
        if (n > 0) self.rwin!.onRead(self.received, self.rcvNxt, host.sim.scheduler.now());
        if (self.cleanupWantsAck(n)) self.receiverStepNs += yield* self.sendAck("receiver");
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

  /** The reader copied *n* bytes out of the receive queue: the skbs it emptied are freed (their truesize uncharged). */
  private consumeQueued(n: number): void {
    let left = n;
    while (left > 0 && this.rcvSkbHead < this.rcvSkbs.length) {
      const rest = this.rcvSkbs[this.rcvSkbHead] - this.rcvSkbHeadRead;
      if (left < rest) {
        this.rcvSkbHeadRead += left;
        return;
      }
      left -= rest;
      this.rmemBytes -= this.rcvSkbTruesize[this.rcvSkbHead];
      this.rcvSkbHead++;
      this.rcvSkbHeadRead = 0;
    }
    if (this.rcvSkbHead === this.rcvSkbs.length) {
      this.rcvSkbs.length = 0;
      this.rcvSkbTruesize.length = 0;
      this.rcvSkbFrags.length = 0;
      this.rcvSkbHead = 0;
    }
  }

  /**
   * tcp_queue_rcv(): a data skb of *bytes* joins the receive queue. If the
   * queue's last skb is still there and their page fragments fit in one
   * (MAX_SKB_FRAGS, 17), tcp_try_coalesce() moves the new skb's fragments
   * into it and frees its head (kfree_skb_partial), so the socket is
   * charged its payload only, not its head's truesize (net/ipv4/tcp_input.c,
   * skb_try_coalesce() in net/core/skbuff.c); else the skb is queued whole.
   */
  private queueReceived(bytes: number): void {
    const frags = this.fragsOf(bytes);
    const last = this.rcvSkbs.length - 1;
    if (last >= this.rcvSkbHead && this.rcvSkbFrags[last] + frags <= maxSkbFrags) {
      this.rcvSkbs[last] += bytes;
      this.rcvSkbTruesize[last] += bytes;
      this.rcvSkbFrags[last] += frags;
      this.rmemBytes += bytes;
      this.rcvCoalesced++;
      return;
    }
    this.rcvSkbs.push(bytes);
    this.rcvSkbTruesize.push(bytes + skbTruesizeOverheadBytes);
    this.rcvSkbFrags.push(frags);
    this.rmemBytes += bytes + skbTruesizeOverheadBytes;
  }

  /**
   * The page fragments a loopback skb of *bytes* carries: a zero-copy skb
   * one per page of the file (4 KiB, and one more where it starts inside a
   * page); a copied one one per piece of the sender's page frag (32 KiB
   * compound pages with skb_page_frag_refill(), net.sendFragReuse; else one
   * page each), plus one where it straddles two.
   */
  private fragsOf(bytes: number): number {
    const host = this.paths.host;
    const unit = this.fragFileBytes !== null || host.profile.net.sendFragReuse === false ? host.profile.memory.pageBytes : pageFragBytes;
    return Math.ceil(bytes / unit) + (bytes % unit === 0 ? 0 : 1);
  }

  /** tcp_cleanup_rbuf()'s decision after a read of *copied* bytes (see {@link SocketSink.receiver}). */
  private cleanupWantsAck(copied: number): boolean {
    if (this.ackScheduled && (this.rcvNxt - this.rwin!.rcvWup > this.rcvMss || (copied > 0 && this.ackPushed && this.rcvQueued === 0))) return true;
    if (copied <= 0) return false;
    // The window-update rule: rcv_window_now = rcv_wup + rcv_wnd − rcv_nxt; ACK if 2 × it ≤ the clamp and the new window is ≥ 2 × it.
    const windowNow = this.rwin!.remaining(this.rcvNxt);
    if (2 * windowNow > this.rwin!.windowClamp) return false;
    const newWindow = this.rwin!.peek(this.rmemBytes, this.rcvMss);
    return newWindow > 0 && newWindow >= 2 * windowNow;
  }

  /**
   * tcp_rcv_established() has queued a data skb of *bytes* on the
   * receiver's socket, in context *ctx* (the sender's softirq, or the
   * reader releasing its socket's lock): tcp_event_data_recv() owes an ACK
   * (inet_csk_schedule_ack), measures the receive MSS (tcp_measure_rcv_mss():
   * a segment at least as long raises it, up to the MSS; a shorter one sets
   * ICSK_ACK_PUSHED) and, for the first data, grants quick ACKs
   * (tcp_incr_quickack(): rcv_wnd / (2 × rcv_mss), at least 2, at most
   * TCP_MAX_QUICKACKS 16; the first window over loopback is one MSS, 65483
   * bytes in tcpi_rcv_ssthresh right after accept on Linux 6.18, so 2);
   * and lets the receiver's window grow ({@link ReceiveWindow.onData}: a
   * growth sets quick |= 1, one more quick ACK); then __tcp_ack_snd_check()
   * (Linux 6.18 net/ipv4/tcp_input.c lines 5890–5912) sends the ACK at once
   * if more than one receive MSS is unacknowledged ("once per two
   * segments") and the window's right edge does not move back
   * (__tcp_select_window() ≥ rcv_wnd: with data queued the free space
   * shrinks, and the ACK is left to the reader's tcp_cleanup_rbuf(), which
   * sends it once it has read; the SO_RCVLOWAT alternative, rcv_nxt −
   * copied_seq < sk_rcvlowat, never holds with the segment just queued and
   * the default low-water mark of 1), or if quick ACKs are left; else it
   * arms the delayed-ACK timer.
   * From the backlog the reader processes as it releases its socket, an ACK
   * due at once is deferred to tcp_release_cb() (TCP_ACK_DEFERRED, sysctl
   * tcp_backlog_ack_defer on by default since Linux 6.7): the whole backlog
   * gets one ACK.
   *
   * Traced on the development VM (net_dev_xmit on lo, 16 MiB read + write,
   * sender and reader pinned to two CPUs, CUBIC; 2026-12-03), the sender's
   * softirq sent 1.7, 2.5 and 7.0 ACKs per MiB in three runs and the
   * reader's task 11.7, 11.0 and 9.1; mmap + write 0.7–0.9 and 4.6–5.0. The
   * model on a calibration of the same day (cal21): 7.8 and 8.2; 0.9 and
   * 5.7. (Before the wake-up probe timed short idles right, the model's
   * reader woke ~45 µs after its data, its queue held a window's worth,
   * and with this condition the window stalled DRS at ~390 KB; see
   * cpu.idleExitCurve.)
   * Returns the CPU time of the ACK it sent, ns.
   */
  private *receiveSegment(bytes: number, ctx: AckContext): ProcessBody<number> {
    this.rcvNxt += bytes;
    this.rcvQueued += bytes;
    this.queueReceived(bytes);
    // tcp_event_data_recv(): the scaling ratio, the receiver's RTT sample, the window's growth (which owes a quick ACK).
    if (this.rwin!.onData(bytes, this.rcvMss, this.rcvNxt, this.rmemBytes, this.paths.host.sim.scheduler.now())) this.quickAcks |= 1;
    this.ackScheduled = true;
    const mss = this.paths.stack.mss;
    if (bytes >= this.rcvMss) this.rcvMss = Math.min(bytes, mss);
    else this.ackPushed = true;
    if (!this.sawData) {
      this.sawData = true;
      this.quickAcks = Math.min(16, Math.floor(mss / (2 * this.rcvMss)) || 2);
    }
    // More than one full frame unacknowledged and the window's right edge not moving back (__tcp_select_window() ≥ rcv_wnd:
    // else the reader's tcp_cleanup_rbuf() sends it), or quick ACKs left.
    if ((this.rcvNxt - this.rwin!.rcvWup > this.rcvMss && this.rwin!.peek(this.rmemBytes, this.rcvMss) >= this.rwin!.rcvWnd) || this.quickAcks > 0) {
      // From the backlog the reader processes (__release_sock: it owns the socket), the ACK waits for tcp_release_cb().
      if (ctx === "receiver") {
        this.ackDeferred = true;
        return 0;
      }
      return yield* this.sendAck(ctx);
    }
    this.armDelack();
    return 0;
  }

  /**
   * tcp_send_ack() from *ctx*: the ACK's transmit (`net.txSegmentNs`) and
   * its way through loopback (`net.rxPacketNs`, softirq) on the core that
   * sends it; then tcp_ack on the sender's socket (`net.rxSegmentNs`),
   * there and then if the sender does not hold its socket, else on the
   * sender's backlog for the sender to process (see
   * {@link SocketSink.releaseSenderBacklog}). Sending it clears what was
   * owed (tcp_event_ack_sent(): the delayed-ACK timer stopped, one quick
   * ACK used). Returns the CPU time it booked here, ns.
   */
  private *sendAck(ctx: AckContext): ProcessBody<number> {
    const host = this.paths.host;
    const net = host.profile.net;
    // tcp_select_window(): the window offered, from rcv_nxt (rcv_wup).
    this.rwin!.select(this.rmemBytes, this.rcvMss, this.rcvNxt);
    this.ackScheduled = false;
    this.ackPushed = false;
    this.delackGen++;
    this.delackArmed = false;
    if (this.quickAcks > 0) this.quickAcks--;
    // A pure ACK crossing lo, traced with who sent it (the reader, the sender whose softirq sent it, or pid 0 for the timer).
    host.sim.trace.record(host.sim.scheduler.now(), "packet", ctx === "receiver" ? this.receiverPid : ctx === "senderSoftirq" ? this.pid : 0, 0, 0, "lo-ack");
    let ns = net.txSegmentNs + net.rxPacketNs;
    yield use(host.cpu, ns, "softirq", null, 0, "ack");
    // The reader sends from its system call (task context); the sender's softirq and the timer from interrupt context.
    let irqNs = ctx === "receiver" ? net.rxPacketNs : ns;
    const ackTo = this.rwin!.rcvWup;
    const wnd = this.rwin!.rcvWnd;
    // tcp_v4_rcv() decides under bh_lock_sock() (net/ipv4/tcp_ipv4.c): the sender's socket owned, the ACK waits on its
    // backlog; not owned, tcp_v4_do_rcv() runs here with the spinlock held to the end of tcp_data_snd_check(), and the
    // sender's lock_sock() meanwhile spins on it (lockSenderSocket): what this ACK lets out leaves from here.
    const owned = this.senderOwnsSocket;
    if (owned) {
      this.senderBacklogAcks++;
      this.senderBacklogAckTo = ackTo;
      this.senderBacklogWnd = wnd;
    } else {
      this.ackHoldsSenderSocket = true;
      yield use(host.cpu, net.rxSegmentNs, "softirq", null, 0, "tcp_ack");
      ns += net.rxSegmentNs;
      irqNs += net.rxSegmentNs;
      this.ack(ackTo, wnd);
    }
    if (ctx === "receiver") this.receiverSoftirqNs += irqNs;
    else this.senderSoftirqNs += irqNs;
    // tcp_ack → tcp_data_snd_check: what the window held back leaves from here.
    if (!owned && ctx === "receiver") ns += yield* this.xmit(true);
    if (!owned) this.ackHoldsSenderSocket = false;
    return ns;
  }

  /** Arms the delayed-ACK timer unless it runs (tcp_send_delayed_ack() keeps the earlier deadline). */
  private armDelack(): void {
    if (this.delackArmed) return;
    this.delackArmed = true;
    const host = this.paths.host;
    host.sim.scheduler.post(this.paths.stack.settings.delayedAckNs, this.delackFired, ++this.delackGen);
  }

  /** The delayed-ACK timer of generation *gen* ran out: the owed ACK leaves from the timer's softirq (tcp_delack_timer_handler()). */
  private readonly delackFired = (gen: number): void => {
    if (gen !== this.delackGen || !this.ackScheduled) return;
    this.delackArmed = false;
    const self = this;
    launch(this.paths.host.sim, 0, (function* () {
      if (!self.ackScheduled) return;
      yield* self.sendAck("timer");
      if (!self.senderOwnsSocket) yield* self.xmit(false);
    })());
  };

  /**
   * tcp_ack on the sender's socket of an ACK up to *ackTo* offering window
   * *wnd*: the window taken (tcp_ack_update_window(), also from a pure
   * window update that acknowledges nothing new), space freed, autotuning,
   * writers woken.
   */
  private ack(ackTo: number, wnd: number): void {
    const sock = this.sock;
    if (ackTo >= sock.sndUna) sock.sndWnd = wnd;
    // tcp_ack_update_window(): a larger window than any before re-syncs the MSS (tcp_sync_mss → tcp_bound_to_half_wnd).
    if (wnd > sock.maxWindow) sock.maxWindow = wnd;
    const acked = ackTo - sock.sndUna;
    if (acked <= 0) return;
    sock.sndUna = ackTo;
    sock.wmemQueued -= acked;
    if (sock.noSpace && sock.sndbufAuto) sock.sndbufBytes = Math.min(sock.sndbufBytes * 2, this.paths.host.profile.net.wmemMaxBytes);
    sock.notifyWritable();
  }
}
