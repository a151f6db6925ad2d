/**
 * The host's TCP/IP data path: segments leaving through the NIC and
 * arriving from it, and the clients' ends of the connections on the far
 * side of the link.
 *
 * Outbound, like a loading dock: the application's bytes are already packed
 * in sk_buffs (copied once, by send()); the dock worker labels each one
 * (TCP, IP and Ethernet headers pushed in its headroom: no repacking), hands
 * it to the van (the NIC's DMA, at line rate) and keeps a receipt until the
 * far side confirms (the ACK), which is when the space in the send buffer is
 * freed. Inbound, the NIC writes each packet into a ring buffer by DMA and
 * rings a bell (an interrupt); under NAPI one ring starts a round of
 * collection (a poll of up to 64 packets with the bell switched off), GRO
 * glues consecutive packets of one flow into one skb, and the protocol runs
 * once per glued skb before it joins the socket's receive queue, where
 * recv() copies it out (the only other copy).
 *
 * Socket memory is charged as Linux charges it (see
 * {@link NetStack.memCharge}): each skb's truesize while it sits in a
 * socket's receive queue (until recv() copies it out) or its write and
 * retransmit queues (until the peer's ACK), in whole pages of forward
 * allocation. Those rules cite the Linux 6.1.192 source (Debian's
 * linux-source-6.1, the tree at hand; the functions are the ones 6.18
 * calls), file, function and lines.
 *
 * Rules simplified, and said so where they are: no loss or retransmission,
 * no congestion window (a sender is limited by its send buffer and the
 * peer's window only), one receive queue (no RSS), pacing and TSO
 * autosizing absent, the far side ACKing each burst that reaches it (a
 * super-segment arrives at once, so it gets one ACK, as a GRO-merged skb
 * would), not every second wire packet.
 */
import {Subject} from "rxjs";
import {Job, Resource} from "../engine/Resource.js";
import {launch, Signal, use, type ProcessBody, type UseCommand} from "../engine/process.js";
import type {Host} from "../host/Host.js";
import {defaultLinkLatencyNs} from "./ClientPopulation.js";
import type {Connection} from "./Connection.js";
import {
  dataPathSettings,
  ethHeaderBytes,
  headerBytes,
  ipHeaderBytes,
  legacyMaxSizeBytes,
  maxTcpHeaderBytes,
  mssOf,
  mssNowOf,
  sizeGoalOf,
  tcpHeaderBytes,
  type DataPathSettings,
} from "./dataPath.js";
import type {KernelMemory} from "./KernelMemory.js";
import {rxTruesize, SkBuff, txSkbHeadTruesizeBytes} from "./SkBuff.js";
import {TcpSocket} from "./TcpSocket.js";

/** Headroom of an skb the NIC receives into (NET_SKB_PAD, 64 bytes on x86-64, include/linux/skbuff.h), bytes. */
const rxHeadroomBytes = 64;
/** MAX_GRO_SKBS: at most 8 flows held by GRO per NAPI instance (net/core/gro.c line 9). */
const maxGroSkbs = 8;

/** A packet arriving at the host from the far side: its skb, with the ACK and window it carries. */
export interface Packet {
  sock: TcpSocket;
  /** Payload and headers (the NIC wrote the whole frame into it). */
  skb: SkBuff;
  /** Cumulative acknowledgment: next byte the sender expects. */
  ack: number;
  /** Window the sender advertises, bytes. */
  wnd: number;
  /** Carries a FIN. */
  fin: boolean;
}

/** A transmitted skb waiting for its DMA to finish. */
interface InFlight {
  sock: TcpSocket;
  skb: SkBuff;
  ack: number;
  wnd: number;
}

/** Options of a {@link NetStack}: data-path settings, and the link to the far side. */
export interface NetStackOptions extends Partial<DataPathSettings> {
  /** One-way latency of sockets created without one, ns; default {@link defaultLinkLatencyNs}. */
  latencyNs?: number;
  /** The far side's link rate, bytes per ns; default the host NIC's line rate. */
  linkBytesPerNs?: number;
  /** Ledger the sockets' buffers are booked in ("buffers"); default none (a {@link Server} gives its listener's). */
  memory?: KernelMemory;
}

/** Counters of the data path (the trace has the same facts as events). */
export interface NetCounters {
  /** Skbs handed to the NIC carrying data (super-segments count once). */
  txSkbs: number;
  /** Pure ACKs the host sent. */
  txAcks: number;
  /** Data packets on the wire from the host (after TSO's cut). */
  txPackets: number;
  /** Payload bytes that left through the NIC (measured at DMA completion). */
  txPayloadBytes: number;
  /** Packets that arrived at the NIC (data, ACKs, FINs). */
  rxPackets: number;
  /** Payload bytes that arrived at the NIC. */
  rxPayloadBytes: number;
  /** Packets GRO merged into an earlier skb. */
  groMerged: number;
  /** Skbs the protocol processed on receive (after GRO). */
  rxSkbs: number;
  /** NAPI polls run (or backlog runs, without NAPI). */
  polls: number;
}

/** The per-packet CPU steps of {@link NetStack.work}. */
type PacketStep = 0 | 1 | 2 | 3;
/** tcp_transmit_skb → dev_queue_xmit of an skb with payload (`net.txSegmentNs`, "net-tx"). */
const TX_DATA = 0;
/** The same for a pure ACK. */
const TX_ACK = 1;
/** The driver and GRO's work per received packet (`net.rxPacketNs`, "softirq"). */
const RX_PACKET = 2;
/** The protocol's work per skb GRO hands over (`net.rxSegmentNs`, "softirq"). */
const RX_SEGMENT = 3;

/**
 * Returns the data path of *host*: a receive ring with NAPI (or an
 * interrupt per packet), GRO, the protocol's per-skb work, the transmit
 * path through {@link Host.nicDma}, and the far side's ends of the
 * connections.
 *
 * ```ts
 * const stack = new NetStack(host, {tso: false});
 * const sock = stack.socket(conn);
 * ```
 * @see TcpSocket @see sendCall @see recvCall
 */
export class NetStack {
  readonly settings: DataPathSettings;
  /** Payload per wire segment, bytes. */
  readonly mss: number;
  /** The NIC's receive DMA engine: writes each arriving frame into the ring. */
  readonly rxDma: Resource;
  readonly counters: NetCounters = {txSkbs: 0, txAcks: 0, txPackets: 0, txPayloadBytes: 0, rxPackets: 0, rxPayloadBytes: 0, groMerged: 0, rxSkbs: 0, polls: 0};
  readonly latencyNs: number;
  readonly linkBytesPerNs: number;
  /** Where the sockets' buffer memory is booked, or null (nothing booked). */
  memory: KernelMemory | null;
  /** SK_MEM_QUANTUM: the unit sockets take memory from the pool in, one page (sk_mem_pages(), Linux 6.1.192 include/net/sock.h line 1668), bytes. */
  readonly memQuantumBytes: number;
  /** Packets in the receive ring, from `ringHead` on. */
  private ring: Packet[] = [];
  private ringHead = 0;
  /** The NIC's receive interrupt is masked (a poll is scheduled or running). */
  private irqMasked = false;
  /** Packets since the interrupt was unmasked, not yet announced. */
  private unannounced = 0;
  /** The coalescing timer is armed; its generation. */
  private coalesceArmed = false;
  private coalesceGen = 0;
  /** A poll (or backlog run) is scheduled or running. */
  polling = false;
  /** GRO's held skbs, one per flow, oldest first. */
  readonly groHeld: Packet[] = [];
  /** Transmitted skbs by the signal of their DMA. */
  private readonly inFlight = new Map<Signal<number>, InFlight>();
  /**
   * Every socket of this stack as it becomes readable (each sk_data_ready),
   * one stream for all of them: what a multiplexer watching thousands of
   * sockets subscribes to once, instead of once per socket (see
   * {@link TcpSocket.readable$} for one socket's).
   */
  readonly readable$ = new Subject<TcpSocket>();
  /** Every socket of this stack as it becomes writable again after a writer found it full (see {@link TcpSocket.writable$}). */
  readonly writable$ = new Subject<TcpSocket>();

  constructor(
    readonly host: Host,
    options: NetStackOptions = {},
  ) {
    const {latencyNs, linkBytesPerNs, memory, ...settings} = options;
    this.memory = memory ?? null;
    this.memQuantumBytes = host.profile.memory.pageBytes;
    this.settings = dataPathSettings(settings);
    this.mss = mssOf(this.settings);
    this.latencyNs = latencyNs ?? defaultLinkLatencyNs;
    this.linkBytesPerNs = linkBytesPerNs ?? host.profile.nic.bytesPerNs;
    this.rxDma = new Resource(host.sim, "nic-rx", 1);
    host.dmaCompletions$.subscribe((c) => {
      const f = this.inFlight.get(c.signal);
      if (f !== undefined) {
        this.inFlight.delete(c.signal);
        this.wireDone(f);
      }
    });
  }

  /**
   * The CPU steps every packet takes, one shared command each (a command is
   * immutable: the engine copies its fields), indexed by {@link TX_DATA},
   * {@link TX_ACK}, {@link RX_PACKET} and {@link RX_SEGMENT}; remade if the
   * profile's price changed.
   */
  private readonly workCmds: Array<UseCommand | null> = [null, null, null, null];

  /** Returns the shared command of packet step *step* (see `workCmds`). */
  work(step: PacketStep): UseCommand {
    const net = this.host.profile.net;
    const ns = step === RX_PACKET ? net.rxPacketNs : step === RX_SEGMENT ? net.rxSegmentNs : net.txSegmentNs;
    let cmd = this.workCmds[step];
    if (cmd === null || cmd.ns !== ns) {
      const cpu = this.host.cpu;
      // Transmit work is the sending task's (or the tx loop's); receive work is softirq, ahead of queued tasks.
      cmd =
        step === TX_DATA ? use(cpu, ns, "net-tx", null, 0, "data")
        : step === TX_ACK ? use(cpu, ns, "net-tx", null, 0, "ack")
        : step === RX_PACKET ? use(cpu, ns, "softirq", null, 0, "napi", true)
        : use(cpu, ns, "softirq", null, 0, "tcp", true);
      this.workCmds[step] = cmd;
    }
    return cmd;
  }

  // Timer and wire callbacks, bound once: the scheduler calls them with what changes (SimScheduler.post's arguments), no closure per packet.
  private readonly peerReceiveFlight = (f: InFlight): void => this.peerReceive(f.sock, f.skb.payloadBytes, f.ack, f.wnd);
  private readonly arriveFn = (pkt: Packet): void => this.arrive(pkt);
  /** The rx-usecs timer of generation *gen* expires: the interrupt, unless it was raised (or re-armed) meanwhile. */
  private readonly coalesceTimer = (gen: number): void => {
    if (gen === this.coalesceGen && this.coalesceArmed) this.raise();
  };
  /** *sock*'s delayed-ACK timer of generation *gen* expires: the ACK leaves unless one left meanwhile. */
  private readonly delackTimer = (sock: TcpSocket, gen: number): void => {
    if (gen === sock.delackGen && sock.rcvNxt > sock.rcvWup) {
      sock.ackPending = true;
      this.kickTx(sock);
    }
  };
  /** The client's delayed-ACK timer, the same rule. */
  private readonly peerDelackTimer = (sock: TcpSocket, gen: number): void => {
    if (gen === sock.peerDelackGen && sock.peerRcvNxt > sock.peerRcvWup) this.peerAck(sock);
  };

  /** Returns *conn*'s socket, created on first use with *latencyNs* (default the stack's) to its client. */
  socket(conn: Connection, latencyNs = this.latencyNs): TcpSocket {
    return (conn.socket ??= new TcpSocket(this, conn, latencyNs, this.linkBytesPerNs));
  }

  private now(): number {
    return this.host.sim.scheduler.now();
  }

  // ---- The host's transmit path ----

  /** The MSS *sock* sends with now: the path's, bounded by half the largest window its peer has offered (see mssNowOf). */
  mssNow(sock: TcpSocket): number {
    return mssNowOf(this.settings, sock.maxWindow);
  }

  /** Payload bytes tcp_sendmsg puts in one skb of *sock* (MSS, or the TSO size goal). */
  sizeGoal(sock: TcpSocket): number {
    return sizeGoalOf(this.settings, sock.maxWindow);
  }

  /**
   * Returns how many new skbs {@link NetStack.queueSend} would allocate for
   * *bytes* on *sock* now: none while they fit in the unsent tail skb, else
   * one per size goal of the rest (the tcp_stream_alloc_skb() calls of
   * tcp_sendmsg_locked(), net/ipv4/tcp.c line 1223).
   */
  newSkbsFor(sock: TcpSocket, bytes: number): number {
    const goal = this.sizeGoal(sock);
    const q = sock.sendQueue;
    let left = bytes;
    if (sock.sendHead < q.length) left -= Math.min(left, Math.max(0, goal - q[q.length - 1].payloadBytes));
    return Math.ceil(left / goal);
  }

  /**
   * Queues *bytes* just copied from user memory on *sock*: appended to the
   * unsent tail skb up to the size goal, else in new skbs with
   * MAX_TCP_HEADER of headroom (tcp_sendmsg_locked(), net/ipv4/tcp.c lines
   * 1195–1290); then pushes (tcp_push).
   */
  queueSend(sock: TcpSocket, bytes: number): void {
    const goal = this.sizeGoal(sock);
    const q = sock.sendQueue;
    let left = bytes;
    if (sock.sendHead < q.length) {
      const tail = q[q.length - 1];
      const room = goal - tail.payloadBytes;
      if (room > 0) {
        const n = Math.min(room, left);
        tail.payloadBytes += n;
        tail.len += n;
        left -= n;
      }
    }
    let seq = sock.writeSeq + (bytes - left);
    let heads = 0;
    while (left > 0) {
      const n = Math.min(goal, left);
      q.push(new SkBuff(maxTcpHeaderBytes, n, seq));
      seq += n;
      left -= n;
      heads++;
    }
    // Each new skb's head is charged as tcp_skb_entail() queues it, each copied byte as it lands in a frag
    // (Linux 6.1.192 net/ipv4/tcp.c lines 663–673; include/net/sock.h lines 2410–2412).
    this.memCharge(sock, bytes + heads * txSkbHeadTruesizeBytes);
    // sk_wmem_queued was charged by the caller before its copy (sk_wmem_schedule), so two writers cannot overfill the buffer.
    sock.writeSeq += bytes;
    sock.counters.bytesFromUser += bytes;
    this.kickTx(sock);
  }

  /** Starts *sock*'s transmit loop if it is idle (tcp_push → tcp_write_xmit, or an ACK or window update from softirq). */
  kickTx(sock: TcpSocket): void {
    if (sock.txRunning) return;
    if (!(this.hasSendable(sock) || sock.ackPending)) return;
    sock.txRunning = true;
    launch(this.host.sim, 0, txLoop(this, sock));
  }

  private hasSendable(sock: TcpSocket): boolean {
    if (sock.sendHead >= sock.sendQueue.length) return false;
    const allowed = sock.sndUna + sock.sndWnd - sock.sndNxt;
    return sock.sendQueue[sock.sendHead].payloadBytes <= allowed || allowed >= this.mssNow(sock);
  }

  /**
   * Returns the next skb of *sock* the window lets out, split at a whole
   * number of segments when only part fits (tso_fragment: the rest stays
   * queued, no copy), or null.
   */
  takeSendable(sock: TcpSocket): SkBuff | null {
    const q = sock.sendQueue;
    if (sock.sendHead >= q.length) return null;
    const skb = q[sock.sendHead];
    const allowed = sock.sndUna + sock.sndWnd - sock.sndNxt;
    let out: SkBuff;
    if (skb.payloadBytes <= allowed) {
      out = skb;
      q[sock.sendHead++] = null as unknown as SkBuff;
      if (sock.sendHead === q.length) {
        q.length = 0;
        sock.sendHead = 0;
      }
    } else if (allowed >= this.mssNow(sock)) {
      const mss = this.mssNow(sock);
      const n = Math.floor(allowed / mss) * mss;
      out = new SkBuff(maxTcpHeaderBytes, n, skb.seq);
      skb.seq += n;
      skb.payloadBytes -= n;
      skb.len -= n;
      // tso_fragment() allocates the new skb's head and charges it (6.1.192 net/ipv4/tcp_output.c lines 2141–2148); the payload moves.
      this.memCharge(sock, txSkbHeadTruesizeBytes);
    } else return null;
    out.segs = Math.max(1, Math.ceil(out.payloadBytes / this.mssNow(sock)));
    sock.sndNxt += out.payloadBytes;
    // Sent, it moves to the retransmit queue until an ACK covers it (tcp_event_new_data_sent). Only a ledger needs it kept.
    if (this.memory !== null && !sock.memClosed) {
      if (sock.rtxTail === null) sock.rtxHead = out;
      else sock.rtxTail.next = out;
      sock.rtxTail = out;
    }
    return out;
  }

  /** Records the transmission of *skb* (its DMA *signal*) carrying *ack* and *wnd*. */
  sent(sock: TcpSocket, skb: SkBuff, signal: Signal<number>): void {
    // tcp_transmit_skb fills th->ack_seq and th->window now; tcp_event_ack_sent clears a pending (delayed) ACK.
    const ack = sock.rcvNxt;
    const wnd = sock.receiveWindow;
    this.ackSent(sock, wnd);
    this.inFlight.set(signal, {sock, skb, ack, wnd});
  }

  private ackSent(sock: TcpSocket, wnd: number): void {
    sock.ackPending = false;
    sock.delackGen++;
    sock.rcvWup = sock.rcvNxt;
    sock.rcvWnd = wnd;
  }

  /** An skb's DMA finished: its packets are on the wire (traced one per segment) and reach the client after the link's latency. */
  private wireDone(f: InFlight): void {
    const {sock, skb} = f;
    const trace = this.host.sim.trace;
    const now = this.now();
    if (skb.payloadBytes > 0) {
      this.counters.txSkbs++;
      let left = skb.payloadBytes;
      for (let i = 0; i < skb.segs; i++) {
        const n = Math.min(this.mss, left);
        left -= n;
        trace.record(now, "packet", 0, 0, n, "tx");
        this.counters.txPackets++;
        this.counters.txPayloadBytes += n;
      }
      sock.counters.bytesToWire += skb.payloadBytes;
      sock.notifyWire();
    } else {
      this.counters.txAcks++;
      trace.record(now, "packet", 0, 0, 0, "tx-ack");
    }
    this.host.sim.scheduler.post(sock.latencyNs, this.peerReceiveFlight, f);
  }

  // ---- The host's receive path ----

  /** A packet from the far side reaches the NIC: its DMA into the ring, then the interrupt rule. */
  arrive(pkt: Packet): void {
    const wire = pkt.skb.len;
    this.rxDma.submit(rxFrameJob(this, pkt, wire / this.host.profile.dma.bytesPerNs, wire));
  }

  /**
   * The frame is in the ring. Without NAPI it raises its own interrupt.
   * With NAPI: nothing while the interrupt is masked (a poll will find it);
   * else the NIC raises it after rx-usecs or at rx-frames packets,
   * whichever comes first.
   */
  ringed(pkt: Packet): void {
    this.counters.rxPackets++;
    this.counters.rxPayloadBytes += pkt.skb.payloadBytes;
    this.host.sim.trace.record(this.now(), "packet", 0, 0, pkt.skb.payloadBytes, pkt.skb.payloadBytes > 0 ? "rx" : "rx-ack");
    this.ring.push(pkt);
    if (!this.settings.napi) {
      this.host.interrupt("nic-rx", () => this.schedulePoll());
      return;
    }
    if (this.irqMasked) return;
    this.unannounced++;
    this.announce();
  }

  /** Raises the interrupt now if rx-frames are waiting or coalescing is off, else arms the rx-usecs timer. */
  private announce(): void {
    const s = this.settings;
    if (this.unannounced >= s.rxCoalesceFrames || s.rxCoalesceNs === 0) {
      this.raise();
      return;
    }
    if (this.coalesceArmed) return;
    this.coalesceArmed = true;
    this.host.sim.scheduler.post(s.rxCoalesceNs, this.coalesceTimer, ++this.coalesceGen);
  }

  /** The NIC interrupts: the handler masks it and schedules the poll (napi_schedule). */
  private raise(): void {
    this.irqMasked = true;
    this.coalesceArmed = false;
    this.coalesceGen++;
    this.unannounced = 0;
    this.host.interrupt("nic-rx", () => this.schedulePoll());
  }

  private schedulePoll(): void {
    if (this.polling) return;
    this.polling = true;
    launch(this.host.sim, 0, rxPoll(this));
  }

  /** Takes the oldest packet of the ring, or null. */
  takeRx(): Packet | null {
    if (this.ringHead >= this.ring.length) return null;
    const p = this.ring[this.ringHead];
    this.ring[this.ringHead++] = null as unknown as Packet;
    if (this.ringHead === this.ring.length) {
      this.ring = [];
      this.ringHead = 0;
    }
    return p;
  }

  /** Packets waiting in the ring. */
  get ringLength(): number {
    return this.ring.length - this.ringHead;
  }

  /** The poll is over (napi_complete_done): unmask the interrupt; packets that came meanwhile are announced again. */
  pollDone(): void {
    this.polling = false;
    if (!this.settings.napi) {
      if (this.ringLength > 0) this.schedulePoll();
      return;
    }
    this.irqMasked = false;
    if (this.ringLength > 0) {
      this.unannounced = this.ringLength;
      this.announce();
    }
  }

  /**
   * GRO's verdict on a data packet: merged into the held skb of its flow
   * when it continues it with the same ACK and window and the merged length
   * stays under gro_max_size (tcp_gro_receive() flushes on any other header
   * difference; skb_gro_receive(), net/core/gro.c lines 112–116); returns
   * the packets to hand to the protocol now (a flushed skb), in order.
   */
  gro(pkt: Packet): Packet[] {
    const held = this.groHeld;
    const i = held.findIndex((h) => h.sock === pkt.sock);
    if (i >= 0) {
      const h = held[i];
      const payloadLen = pkt.skb.payloadBytes;
      if (
        !pkt.fin &&
        payloadLen > 0 &&
        h.skb.seq + h.skb.payloadBytes === pkt.skb.seq &&
        h.ack === pkt.ack &&
        h.wnd === pkt.wnd &&
        h.skb.len + payloadLen < legacyMaxSizeBytes
      ) {
        // The merged packet's headers are dropped (skb_gro_pull); its payload pages join the held skb's frags: no copy.
        pkt.skb.pull(ipHeaderBytes + tcpHeaderBytes, "ip+tcp (gro)", this.host.sim.trace, this.now());
        h.skb.payloadBytes += payloadLen;
        h.skb.len += payloadLen;
        h.skb.segs++;
        this.counters.groMerged++;
        return [];
      }
      held.splice(i, 1);
      if (payloadLen > 0 && !pkt.fin) {
        held.push(pkt);
        return [h];
      }
      return [h, pkt];
    }
    if (pkt.skb.payloadBytes === 0 || pkt.fin) return [pkt];
    const out: Packet[] = [];
    if (held.length >= maxGroSkbs) out.push(held.shift()!);
    held.push(pkt);
    return out;
  }

  /**
   * The protocol's verdict on one skb (tcp_v4_rcv → tcp_rcv_established):
   * its ACK frees acknowledged send-buffer space (tcp_ack →
   * tcp_clean_rtx_queue, then tcp_check_space → sk_stream_write_space),
   * its payload joins the receive queue and wakes readers
   * (tcp_data_queue → sk_data_ready), and the ACK rule runs: more than one
   * full segment unacknowledged → ACK now, else the delayed-ACK timer
   * (__tcp_ack_snd_check(), net/ipv4/tcp_input.c lines 5900–5925).
   */
  deliver(pkt: Packet): void {
    const sock = pkt.sock;
    const skb = pkt.skb;
    this.counters.rxSkbs++;
    if (pkt.ack > sock.sndUna) {
      const acked = pkt.ack - sock.sndUna;
      sock.sndUna = pkt.ack;
      sock.wmemQueued -= acked;
      if (this.memory !== null) this.freeAcked(sock, acked);
      if (sock.noSpace && sock.sndbufAuto) {
        // tcp_new_space → tcp_should_expand_sndbuf → tcp_sndbuf_expand (tcp_input.c lines 5855–5870, 587): Linux sizes the
        // buffer to twice the congestion window, which doubles per round trip in slow start; without a congestion window,
        // iosim doubles it each time ACKs free a buffer a writer found full, up to tcp_wmem[2].
        sock.sndbufBytes = Math.min(sock.sndbufBytes * 2, this.host.profile.net.wmemMaxBytes);
      }
    }
    if (pkt.ack >= sock.sndUna) {
      sock.sndWnd = pkt.wnd;
      if (pkt.wnd > sock.maxWindow) sock.maxWindow = pkt.wnd;
    }
    let readable = false;
    if (skb.payloadBytes > 0) {
      sock.rcvQueue.push(skb);
      // skb_set_owner_r(): sk_rmem_alloc and the socket's charge grow by its truesize (tcp_queue_rcv(), Linux 6.1.192
      // net/ipv4/tcp_input.c lines 5071–5085; include/net/sock.h lines 2528–2535). The rmem schedule check is not modelled: rcvbuf caps the window.
      // Only a socket the server holds (queued or accepted) is charged: data iosim delivers to a connection the server has
      // not made yet, or has closed, has no socket in Linux to charge (it is dropped, or answered with a RST).
      const st = sock.conn.serverState;
      if (this.memory !== null && (st === "accepted" || st === "queued")) {
        skb.truesize = rxTruesize(skb);
        this.memCharge(sock, skb.truesize);
      }
      sock.rcvQueued += skb.payloadBytes;
      sock.rcvNxt += skb.payloadBytes;
      readable = true;
      if (sock.rcvNxt - sock.rcvWup > this.mss) sock.ackPending = true;
      else this.armDelack(sock);
    }
    if (pkt.fin) {
      sock.peerClosed = true;
      sock.ackPending = true;
      readable = true;
    }
    if (readable) sock.notifyReadable();
    sock.notifyWritable();
    this.kickTx(sock);
  }

  /**
   * An ACK took *acked* bytes off *sock*'s retransmit queue: their frags
   * are freed (tcp_trim_head() for a partly acknowledged skb, Linux 6.1.192
   * net/ipv4/tcp_output.c line 1671), and so is each skb it covers whole, head included
   * (tcp_clean_rtx_queue() → tcp_rtx_queue_unlink_and_free() →
   * tcp_wmem_free_skb(), net/ipv4/tcp_input.c lines 3316–3412 and
   * include/net/tcp.h lines 300–307).
   */
  private freeAcked(sock: TcpSocket, acked: number): void {
    if (sock.memClosed) return;
    let freed = acked;
    let skb = sock.rtxHead;
    while (skb !== null && skb.seq + skb.payloadBytes <= sock.sndUna) {
      freed += txSkbHeadTruesizeBytes;
      const next = skb.next;
      skb.next = null;
      skb = next;
    }
    sock.rtxHead = skb;
    if (skb === null) sock.rtxTail = null;
    this.memUncharge(sock, freed);
  }

  /**
   * Charges *bytes* of truesize to *sock* (sk_mem_charge), scheduling whole
   * pages from the pool when its forward allocation runs short:
   * sk_wmem_schedule()/sk_rmem_schedule() ask __sk_mem_schedule() for
   * sk_mem_pages(size − sk_forward_alloc) pages, which
   * __sk_mem_raise_allocated() adds to tcp_memory_allocated
   * (Linux 6.1.192 include/net/sock.h lines 1668–1708 and 1739–1744;
   * net/core/sock.c lines 3038–3148). Only a crossing of a page boundary touches the
   * ledger. Simplified: Linux's limits (tcp_mem, per-cgroup) are not
   * applied here, and the per-CPU cache of tcp_memory_allocated (which
   * changes the global count's timing, not the memory) is left out.
   */
  memCharge(sock: TcpSocket, bytes: number): void {
    if (this.memory === null || sock.memClosed) return;
    let fwd = sock.fwdAllocBytes - bytes;
    if (fwd < 0) {
      const q = this.memQuantumBytes;
      const amt = Math.ceil(-fwd / q) * q;
      fwd += amt;
      sock.memBytes += amt;
      this.memory.add("buffers", amt);
    }
    sock.fwdAllocBytes = fwd;
  }

  /**
   * Uncharges *bytes* of truesize from *sock* (sk_mem_uncharge): they go
   * back to its forward allocation, and once that reaches a page
   * sk_mem_reclaim() returns every whole page to the pool, keeping less
   * than one (Linux 6.1.192 include/net/sock.h lines 1720–1731 and 1746–1752;
   * __sk_mem_reclaim(), net/core/sock.c lines 3169–3174). An idle socket
   * thus holds no buffer memory.
   */
  memUncharge(sock: TcpSocket, bytes: number): void {
    if (this.memory === null || sock.memClosed) return;
    let fwd = sock.fwdAllocBytes + bytes;
    const q = this.memQuantumBytes;
    if (fwd >= q) {
      const amt = fwd - (fwd % q);
      fwd -= amt;
      sock.memBytes -= amt;
      this.memory.free("buffers", amt);
    }
    sock.fwdAllocBytes = fwd;
  }

  /**
   * The descriptor of *sock* is closed: what its queues still hold goes
   * back to the pool at once, with its forward allocation. Linux purges the
   * receive queue in __tcp_close() (6.1.192 net/ipv4/tcp.c lines 2931–2938) and
   * returns the rest when the socket is destroyed (sk_mem_reclaim_final()
   * in inet_sock_destruct); unacknowledged data would wait for its ACKs
   * first (FIN_WAIT and TIME_WAIT are not modelled, see closeCall).
   */
  memRelease(sock: TcpSocket): void {
    if (sock.memClosed) return;
    sock.memClosed = true;
    if (this.memory !== null && sock.memBytes > 0) this.memory.free("buffers", sock.memBytes);
    sock.memBytes = 0;
    sock.fwdAllocBytes = 0;
    let skb = sock.rtxHead;
    while (skb !== null) {
      const next = skb.next;
      skb.next = null;
      skb = next;
    }
    sock.rtxHead = sock.rtxTail = null;
  }

  private armDelack(sock: TcpSocket): void {
    this.host.sim.scheduler.post(this.settings.delayedAckNs, this.delackTimer, sock, ++sock.delackGen);
  }

  /**
   * After recv() took *copied* bytes: an ACK leaves if the window it can
   * now offer is at least twice the one the peer knows (tcp_cleanup_rbuf(),
   * net/ipv4/tcp.c lines 1519–1570).
   */
  afterRead(sock: TcpSocket, copied: number): void {
    if (copied <= 0 || sock.peerClosed) return;
    const windowNow = Math.max(0, sock.rcvWup + sock.rcvWnd - sock.rcvNxt);
    if (2 * windowNow > sock.rcvbufBytes) return;
    const newWindow = sock.receiveWindow;
    if (newWindow > 0 && newWindow >= 2 * windowNow) {
      sock.ackPending = true;
      this.kickTx(sock);
    }
  }

  // ---- The far side (a client machine: no CPU of the host's) ----

  /** Returns the delay until a frame of *wireBytes* the client starts now reaches the host's NIC, ns (its link is serial). */
  private peerWire(sock: TcpSocket, wireBytes: number): number {
    const now = this.now();
    const start = Math.max(now, sock.peerTxFreeNs);
    sock.peerTxFreeNs = start + wireBytes / sock.linkBytesPerNs;
    return sock.peerTxFreeNs - now + sock.latencyNs;
  }

  /** The client gets *payloadBytes* (or a pure ACK) carrying *ack* and *wnd*: its ACK rule, its window, its exchange. */
  private peerReceive(sock: TcpSocket, payloadBytes: number, ack: number, wnd: number): void {
    if (ack > sock.peerSndUna) sock.peerSndUna = ack;
    if (ack >= sock.peerSndUna) sock.peerSndWnd = wnd;
    if (payloadBytes > 0) {
      sock.peerBytesReceived += payloadBytes;
      sock.peerRcvNxt += payloadBytes;
      // The client's kernel applies the same rule: more than one full segment → ACK at once, else the delayed-ACK timer.
      if (sock.peerRcvNxt - sock.peerRcvWup > this.mss) this.peerAck(sock);
      else {
        this.host.sim.scheduler.post(this.settings.delayedAckNs, this.peerDelackTimer, sock, ++sock.peerDelackGen);
      }
      if (sock.peerExchange !== null && sock.peerBytesReceived >= sock.peerExpectBytes) {
        const signal = sock.peerExchange;
        sock.peerExchange = null;
        sock.peerExpectBytes = -1;
        signal.fire(this.now() - sock.peerExchangeStartNs);
      }
    }
    this.peerPump(sock);
  }

  /** The client sends a pure ACK (or a FIN) to the host. */
  private peerAck(sock: TcpSocket, fin = false): void {
    sock.peerRcvWup = sock.peerRcvNxt;
    sock.peerDelackGen++;
    const skb = new SkBuff(rxHeadroomBytes, 0, sock.peerSndNxt);
    skb.len = headerBytes;
    const pkt: Packet = {sock, skb, ack: sock.peerRcvNxt, wnd: this.settings.peerRcvbufBytes, fin};
    this.host.sim.scheduler.post(this.peerWire(sock, headerBytes), this.arriveFn, pkt);
  }

  /**
   * The client sends what the server's window allows, one MSS per packet
   * (its own TSO is its own business: the wire carries MSS packets). A
   * segment leaves only if all of it fits the window (tcp_snd_wnd_test(),
   * net/ipv4/tcp_output.c line 2298): no window-sized slivers.
   */
  private peerPump(sock: TcpSocket): void {
    while (sock.peerUnsent > 0) {
      const allowed = sock.peerSndUna + sock.peerSndWnd - sock.peerSndNxt;
      const n = Math.min(this.mss, sock.peerUnsent);
      if (n > allowed) break;
      const skb = new SkBuff(rxHeadroomBytes, n, sock.peerSndNxt);
      skb.len = n + headerBytes;
      // A data packet carries the client's ACK (piggybacked: its delayed ACK is cancelled).
      sock.peerRcvWup = sock.peerRcvNxt;
      sock.peerDelackGen++;
      const pkt: Packet = {sock, skb, ack: sock.peerRcvNxt, wnd: this.settings.peerRcvbufBytes, fin: false};
      sock.peerSndNxt += n;
      sock.peerUnsent -= n;
      sock.peerBytesSent += n;
      this.host.sim.scheduler.post(this.peerWire(sock, skb.len), this.arriveFn, pkt);
    }
    if (sock.peerUnsent === 0 && sock.peerFinPending) {
      sock.peerFinPending = false;
      this.peerAck(sock, true);
    }
  }

  /** *sock*'s client writes *bytes* (they leave as its window allows). */
  peerSend(sock: TcpSocket, bytes: number): void {
    if (!(Number.isSafeInteger(bytes) && bytes >= 0)) throw new RangeError(`invalid bytes: ${bytes}; expected an integer ≥ 0`);
    sock.peerUnsent += bytes;
    this.peerPump(sock);
  }

  /** *sock*'s client closes its socket: a FIN follows its unsent bytes. */
  peerClose(sock: TcpSocket): void {
    sock.peerFinPending = true;
    this.peerPump(sock);
  }

  /**
   * *sock*'s client sends a request of *requestBytes* and waits for a
   * response of *responseBytes*; returns a signal fired with the exchange's
   * latency (from the request's first byte leaving to the response's last
   * byte arriving), ns. One exchange at a time per connection.
   */
  peerExchange(sock: TcpSocket, requestBytes: number, responseBytes: number): Signal<number> {
    if (sock.peerExchange !== null) throw new RangeError(`connection ${sock.conn.id} already has an exchange in progress`);
    const signal = new Signal<number>();
    sock.peerExchange = signal;
    sock.peerExpectBytes = sock.peerBytesReceived + responseBytes;
    sock.peerExchangeStartNs = this.now();
    if (responseBytes === 0) {
      sock.peerExchange = null;
      signal.fire(0);
    }
    this.peerSend(sock, requestBytes);
    return signal;
  }
}

/**
 * A socket's transmit loop, in kernel context (pid 0): while the window
 * lets an skb out, or an ACK is due, the protocol's per-skb work
 * (tcp_transmit_skb → ip_queue_xmit → dev_queue_xmit, `net.txSegmentNs`,
 * booked "net-tx"), its headers pushed in the headroom (TCP, IP,
 * Ethernet: no copy), and the NIC's DMA ({@link Host.nicDma}: the driver's
 * descriptor, then line rate; with TSO the NIC cuts the super-segment into
 * MSS packets, each with its own copy of the headers on the wire).
 */
function* txLoop(stack: NetStack, sock: TcpSocket): ProcessBody<void> {
  const host = stack.host;
  const trace = host.sim.trace;
  const scheduler = host.sim.scheduler;
  for (;;) {
    let skb = stack.takeSendable(sock);
    if (skb === null) {
      if (!sock.ackPending) break;
      skb = new SkBuff(maxTcpHeaderBytes, 0, sock.sndNxt);
    }
    yield stack.work(skb.payloadBytes > 0 ? TX_DATA : TX_ACK);
    const now = scheduler.now();
    skb.push(tcpHeaderBytes, "tcp", trace, now);
    skb.push(ipHeaderBytes, "ip", trace, now);
    skb.push(ethHeaderBytes, "eth", trace, now);
    const wireBytes = skb.payloadBytes + skb.segs * headerBytes;
    // Host.nicDma, inline: the driver's descriptor, then the device.
    const setup = host.driverSetup();
    if (setup !== null) yield setup;
    const signal = host.startNicDma(wireBytes, skb.payloadBytes > 0 ? sock.txDetail : "ack→nic");
    stack.sent(sock, skb, signal);
  }
  sock.txRunning = false;
}

/**
 * One NAPI poll (or, without NAPI, one run of the backlog): up to
 * `napiWeight` packets, each costing the driver and GRO's work
 * (`net.rxPacketNs`, the Ethernet header pulled), then the protocol once
 * per skb GRO hands over (`net.rxSegmentNs`, IP and TCP headers pulled),
 * all booked "softirq" ahead of queued tasks. A poll that used its whole
 * budget polls again; one that did not completes and unmasks the interrupt.
 */
function* rxPoll(stack: NetStack): ProcessBody<void> {
  const host = stack.host;
  const trace = host.sim.trace;
  const scheduler = host.sim.scheduler;
  const {napiWeight, gro, napi} = stack.settings;
  const useGro = gro && napi;
  for (;;) {
    stack.counters.polls++;
    let work = 0;
    while (work < napiWeight) {
      const pkt = stack.takeRx();
      if (pkt === null) break;
      work++;
      yield stack.work(RX_PACKET);
      pkt.skb.pull(ethHeaderBytes, "eth", trace, scheduler.now());
      if (!useGro) {
        yield stack.work(RX_SEGMENT);
        protocol(stack, pkt);
        continue;
      }
      const ready = stack.gro(pkt);
      for (let i = 0; i < ready.length; i++) {
        yield stack.work(RX_SEGMENT);
        protocol(stack, ready[i]);
      }
    }
    // End of the poll: GRO flushes what it holds (napi_complete_done → gro_flush; a full poll flushes too, simplified).
    while (stack.groHeld.length > 0) {
      const p = stack.groHeld.shift()!;
      yield stack.work(RX_SEGMENT);
      protocol(stack, p);
    }
    if (work < napiWeight) break;
  }
  stack.pollDone();
}

/** The protocol's part of one skb after its CPU work (`net.rxSegmentNs`, yielded by the caller as {@link RX_SEGMENT}): IP and TCP headers pulled, then {@link NetStack.deliver}. */
function protocol(stack: NetStack, pkt: Packet): void {
  const now = stack.host.sim.scheduler.now();
  const trace = stack.host.sim.trace;
  pkt.skb.pull(ipHeaderBytes, "ip", trace, now);
  pkt.skb.pull(tcpHeaderBytes, "tcp", trace, now);
  stack.deliver(pkt);
}

/** Returns the NIC's DMA of one arriving frame into the receive ring ("dma", traced "dma-copy" nic→skb); then {@link NetStack.ringed}. A plain {@link Job} (see its `a`). */
function rxFrameJob(stack: NetStack, pkt: Packet, ns: number, wireBytes: number): Job {
  const job = new Job(stack.rxDma, ns, "dma", rxFrameEnded, "dma-copy", 0, wireBytes, "nic→skb");
  job.a = stack;
  job.b = pkt;
  return job;
}

function rxFrameEnded(job: Job): void {
  (job.a as NetStack).ringed(job.b as Packet);
}
