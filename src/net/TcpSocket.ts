/**
 * A connected TCP socket's data state, both ends of it: the server's socket
 * on the host (send queue and send buffer, receive queue and receive
 * buffer, windows, delayed ACK, readiness) and the client's end on the far
 * side of the link (what it has sent, received and acknowledged).
 *
 * Think of two tanks joined by a pipe. The writer pours into its tank (the
 * send buffer) until it is full and waits; the tank drains into the pipe
 * only as fast as the far tank (the receive buffer, the window) has room;
 * the far side reports each drained litre back (ACKs), and only then is
 * room made in the first tank. The machinery that moves the water is in
 * {@link NetStack}; this object is the state it moves it through.
 */
import {Subject, type Observable} from "rxjs";
import {Signal} from "../engine/process.js";
import type {Connection} from "./Connection.js";
import type {NetStack} from "./NetStack.js";
import {mssClampOf, maxTcpHeaderBytes, type DataPathSettings} from "./dataPath.js";
import {sharedInfoBytes, skbStructBytes, type SkBuff} from "./SkBuff.js";

/**
 * The send buffer an autotuned socket has once its connection is
 * established, bytes: tcp_init_buffer_space() → tcp_sndbuf_expand()
 * (net/ipv4/tcp_input.c, Linux 6.18) sizes it for `net.sndbufInitSegments`
 * worst-case skbs of one MSS each (the congestion control's factor, 2 for
 * CUBIC, × max(TCP_INIT_CWND = 10, cwnd)): per_mss =
 * roundup_pow_of_two(max(mss_clamp, mss_cache) + MAX_TCP_HEADER +
 * SKB_DATA_ALIGN(sizeof(struct skb_shared_info))) +
 * SKB_DATA_ALIGN(sizeof(struct sk_buff)); never below tcp_wmem[1], at most
 * tcp_wmem[2]. With a 1500-byte MTU that is 20 × 4352 = 87,040 bytes; over
 * loopback (64 KiB MTU) 20 × 131,328 = 2,626,560. Measured on Linux 6.18
 * (getsockopt SO_SNDBUF right after connect): 124,416 at MTU 1500 and
 * tcp_wmem[2] = 4 MiB over loopback, with BBR (factor 3) and a smaller
 * MAX_TCP_HEADER than a distribution kernel's.
 */
export function establishedSndbufBytes(s: DataPathSettings, net: {wmemBytes: number; wmemMaxBytes: number; sndbufInitSegments?: number}): number {
  const segments = net.sndbufInitSegments ?? 0;
  let head = 1;
  while (head < mssClampOf(s) + maxTcpHeaderBytes + sharedInfoBytes) head *= 2;
  const perMss = head + skbStructBytes;
  return Math.max(net.wmemBytes, Math.min(segments * perMss, net.wmemMaxBytes));
}

/** Counters of one socket (the stack sums them too). */
export interface SocketCounters {
  /** Bytes copied from user memory into skbs (tcp_sendmsg). */
  bytesFromUser: number;
  /** Bytes copied from skbs into user memory (tcp_recvmsg). */
  bytesToUser: number;
  /** send() calls that found the send buffer full and blocked. */
  blockedWrites: number;
  /** recv() calls that found the receive queue empty and blocked. */
  blockedReads: number;
  /** Non-blocking recv() calls that returned EAGAIN. */
  eagainReads: number;
  /** Non-blocking send() calls that returned EAGAIN. */
  eagainWrites: number;
  /** Payload bytes of this socket that left through the NIC (counted at each skb's DMA completion). */
  bytesToWire: number;
}

/**
 * Returns the data state of *conn*'s connection on *stack*, both ends, with
 * nothing sent yet. Use {@link NetStack.socket} rather than this
 * constructor: it keeps one socket per connection.
 */
export class TcpSocket {
  // The server's end (the host's socket).
  /** Send buffer, bytes (sk_sndbuf). */
  sndbufBytes: number;
  /** Whether autotuning may grow the send buffer (no SO_SNDBUF lock). */
  readonly sndbufAuto: boolean;
  /** Bytes in skbs not yet acknowledged, sent or not (sk_wmem_queued, payload only: the send buffer's limit counts payload, the memory ledger counts truesize, see {@link NetStack.memCharge}). */
  wmemQueued = 0;
  /** Sequence of the next byte the application writes (write_seq). */
  writeSeq = 0;
  /** Oldest unacknowledged byte (snd_una). */
  sndUna = 0;
  /** Next byte to send (snd_nxt). */
  sndNxt = 0;
  /** The peer's last advertised window, bytes (snd_wnd). */
  sndWnd: number;
  /** Largest window the peer has offered (max_window), bytes. */
  maxWindow: number;
  /** Skbs sent and not yet acknowledged, oldest first, linked by `next` (tcp_rtx_queue): an ACK frees those it covers whole. */
  rtxHead: SkBuff | null = null;
  rtxTail: SkBuff | null = null;
  /** Bytes scheduled but not charged yet (sk_forward_alloc): always less than a page after a free. */
  fwdAllocBytes = 0;
  /** Bytes this socket holds of the stack's pool (pages scheduled by sk_mem_schedule, charged or forward): its truesize charge plus `fwdAllocBytes`. */
  memBytes = 0;
  /** The descriptor was closed: its memory went back and its queues no longer charge any. */
  memClosed = false;
  /** Skbs written but not sent yet, oldest first, from `sendHead` on (the write queue). */
  readonly sendQueue: SkBuff[] = [];
  sendHead = 0;
  /** A send() found no room and waits for space (SOCK_NOSPACE). */
  noSpace = false;
  /** Receive buffer, bytes (sk_rcvbuf). */
  readonly rcvbufBytes: number;
  /** Payload bytes queued for the application (in the receive queue). */
  rcvQueued = 0;
  /** Skbs received and not fully read, from `rcvHead` on; `rcvOffset` bytes of the first are read already. */
  readonly rcvQueue: SkBuff[] = [];
  rcvHead = 0;
  rcvOffset = 0;
  /** Next byte expected from the peer (rcv_nxt). */
  rcvNxt = 0;
  /** rcv_nxt when the last ACK left (rcv_wup). */
  rcvWup = 0;
  /** Window sent in the last ACK, bytes (rcv_wnd). */
  rcvWnd: number;
  /** The peer has closed its side (FIN received): reads return 0 once the queue is empty. */
  peerClosed = false;
  /** An ACK should leave (at once, or because the delayed-ACK timer ran out). */
  ackPending = false;
  /** Bumped to cancel the delayed-ACK timer. */
  delackGen = 0;
  /** The transmit loop is running. */
  txRunning = false;
  /** Fired when data (or a FIN) arrives, for blocked readers. */
  private readWait: Signal<void> | null = null;
  /** Fired when the send buffer becomes writable, for blocked writers. */
  private writeWait: Signal<void> | null = null;
  /** Readiness streams, created on first use. */
  private readable: Subject<TcpSocket> | null = null;
  private writable: Subject<TcpSocket> | null = null;
  readonly counters: SocketCounters = {bytesFromUser: 0, bytesToUser: 0, blockedWrites: 0, blockedReads: 0, eagainReads: 0, eagainWrites: 0, bytesToWire: 0};
  /** Detail of the trace event of this socket's data DMAs to the NIC: "skb→nic", or "page-cache→nic" when its skbs only hold page references (zero-copy sendfile). */
  txDetail = "skb→nic";
  /** Fired when some of this socket's payload has left through the NIC, for a writer waiting until all of it has. */
  private wireWait: Signal<void> | null = null;

  // The client's end, on the far side of the link (another machine: no CPU of the host's).
  /** Payload bytes the client has put on the wire. */
  peerBytesSent = 0;
  /** Payload bytes that reached the client. */
  peerBytesReceived = 0;
  /** Bytes the client still has to send. */
  peerUnsent = 0;
  /** The client's snd_una, snd_nxt and the window the server last offered it. */
  peerSndUna = 0;
  peerSndNxt = 0;
  peerSndWnd: number;
  /** The client's rcv_nxt and rcv_wup. */
  peerRcvNxt = 0;
  peerRcvWup = 0;
  /** Bumped to cancel the client's delayed-ACK timer. */
  peerDelackGen = 0;
  /** When the client's link is free to start its next packet, ns. */
  peerTxFreeNs = 0;
  /** The client closes after its unsent bytes. */
  peerFinPending = false;
  /** A request/response exchange in progress: received-byte count that completes it, its start and its signal. */
  peerExpectBytes = -1;
  peerExchangeStartNs = 0;
  peerExchange: Signal<number> | null = null;

  constructor(
    readonly stack: NetStack,
    readonly conn: Connection,
    /** One-way link latency, ns. */
    readonly latencyNs: number,
    /** The link's rate, bytes per ns. */
    readonly linkBytesPerNs: number,
  ) {
    const s = stack.settings;
    const net = stack.host.profile.net;
    this.sndbufAuto = s.sndbufBytes === "auto";
    this.sndbufBytes = s.sndbufBytes === "auto" ? establishedSndbufBytes(s, net) : s.sndbufBytes;
    this.rcvbufBytes = s.rcvbufBytes === "default" ? net.rmemBytes : s.rcvbufBytes;
    this.rcvWnd = this.rcvbufBytes;
    this.sndWnd = s.peerRcvbufBytes;
    this.maxWindow = s.peerRcvbufBytes;
    this.peerSndWnd = this.rcvbufBytes;
  }

  /**
   * Emits this socket each time it becomes readable: data queued, or the
   * peer closed (the model's sk_data_ready). Created on first use, so an idle
   * socket holds no Subject.
   */
  get readable$(): Observable<TcpSocket> {
    return (this.readable ??= new Subject<TcpSocket>());
  }

  /**
   * Emits this socket each time send-buffer space frees up after a writer
   * found it full, once it is writable again (sk_stream_write_space() →
   * __sk_stream_is_writeable(): free space ≥ half of what is queued,
   * include/net/sock.h lines 1097–1106 and 1415–1419; net/core/stream.c line 34).
   */
  get writable$(): Observable<TcpSocket> {
    return (this.writable ??= new Subject<TcpSocket>());
  }

  /** Whether a read would find data or end-of-file now (EPOLLIN). */
  get isReadable(): boolean {
    return this.rcvQueued > 0 || this.peerClosed;
  }

  /** Free send-buffer space, bytes (sk_stream_wspace). */
  get sendSpace(): number {
    return this.sndbufBytes - this.wmemQueued;
  }

  /** __sk_stream_is_writeable(): free space ≥ half of what is queued (EPOLLOUT). */
  get isWritable(): boolean {
    return this.sendSpace >= this.wmemQueued >> 1 && this.sendSpace > 0;
  }

  /** The window this socket would advertise now: free receive buffer, bytes. */
  get receiveWindow(): number {
    return Math.max(0, this.rcvbufBytes - this.rcvQueued);
  }

  /** Returns a signal fired when data or a FIN arrives (shared by every blocked reader). */
  waitReadable(): Signal<void> {
    return (this.readWait ??= new Signal<void>());
  }

  /** Returns a signal fired when the send buffer becomes writable (shared by every blocked writer). */
  waitWritable(): Signal<void> {
    return (this.writeWait ??= new Signal<void>());
  }

  /** Returns a signal fired the next time some of this socket's payload leaves through the NIC. */
  waitWire(): Signal<void> {
    return (this.wireWait ??= new Signal<void>());
  }

  /** Payload left through the NIC: wake whoever waits for it (see {@link TcpSocket.waitWire}). */
  notifyWire(): void {
    const w = this.wireWait;
    this.wireWait = null;
    w?.fire();
  }

  /** Data or a FIN arrived: wake readers, emit readiness. */
  notifyReadable(): void {
    const w = this.readWait;
    this.readWait = null;
    w?.fire();
    this.readable?.next(this);
    const all = this.stack.readable$;
    if (all.observed) all.next(this);
  }

  /** Space freed: wake writers and emit readiness if the socket is writable and someone found it full. */
  notifyWritable(): void {
    if (!this.noSpace || !this.isWritable) return;
    this.noSpace = false;
    const w = this.writeWait;
    this.writeWait = null;
    w?.fire();
    this.writable?.next(this);
    const all = this.stack.writable$;
    if (all.observed) all.next(this);
  }

  /** Bytes written by the application and not yet sent (write_seq − snd_nxt). */
  get unsentBytes(): number {
    return this.writeSeq - this.sndNxt;
  }

  /** Bytes sent and not yet acknowledged (snd_nxt − snd_una). */
  get inFlightBytes(): number {
    return this.sndNxt - this.sndUna;
  }
}
