/**
 * A listening TCP socket: the SYN (half-open) queue, the accept (completed)
 * queue and the kernel's rules for both, as Linux 6.18 applies them.
 *
 * Think of a restaurant's host stand. A caller asking for a table (SYN)
 * gets a pager and a promise (SYN-ACK) and is written on the waiting list
 * (the SYN queue); when they come to the stand (the final ACK) they are
 * seated in the lounge (the accept queue) until a waiter takes them
 * (accept). When the lounge is full the host ignores whoever comes to the
 * stand, pages them again later, and turns away new callers without a word:
 * they must call back, first after a second, then after longer and longer.
 *
 * Every rule below names the kernel function and lines it follows (Linux
 * 6.18.19 source). Packets here are whole segments at connection level (no
 * sequence numbers, no loss); each SYN and each final ACK costs the
 * profile's softirq time on a core, and its verdict is reached when that
 * work ends.
 */
import {Job} from "../engine/Resource.js";
import {Signal} from "../engine/process.js";
import type {Host} from "../host/Host.js";
import type {Connection} from "./Connection.js";
import {KernelMemory} from "./KernelMemory.js";
import {effectiveBacklog, type TcpSettings} from "./tcpSettings.js";

/** What a listener sends back to a client (the link delivers it after its latency). */
export interface ClientEnd {
  /** A SYN-ACK (first, retransmitted, or carrying a SYN cookie) leaves for *conn*'s client. */
  sendSynAck(conn: Connection): void;
  /** A RST leaves for *conn*'s client. */
  sendRst(conn: Connection): void;
}

/** Counters of a listener, named after Linux's SNMP counters (`nstat`) where one exists. */
export interface ListenerCounters {
  /** SYNs that reached the listener. */
  synsReceived: number;
  /** Final ACKs (and ACKs answering a retransmitted SYN-ACK) that reached it. */
  acksReceived: number;
  /** LINUX_MIB_LISTENOVERFLOWS (ListenOverflows): a SYN or a final ACK dropped because the accept queue was full. */
  listenOverflows: number;
  /** The part of listenOverflows that were SYNs (tcp_conn_request). */
  synDropsAcceptQueueFull: number;
  /** The part of listenOverflows that were final ACKs (tcp_v4_syn_recv_sock). */
  ackDropsAcceptQueueFull: number;
  /** LINUX_MIB_LISTENDROPS (ListenDrops): every SYN or ACK the listener dropped (tcp_listendrop). */
  listenDrops: number;
  /** LINUX_MIB_TCPREQQFULLDROP (TCPReqQFullDrop): SYNs dropped because the SYN queue was full and syncookies are off. */
  reqQFullDrops: number;
  /** SYNs dropped by tcp_max_syn_backlog's last quarter (syncookies off; pr_drop_req). */
  synBacklogDrops: number;
  /** LINUX_MIB_SYNCOOKIESSENT: SYN-ACKs carrying a cookie (no request kept). */
  syncookiesSent: number;
  /** SYN-ACKs sent again (the request's timer, or a retransmitted SYN). */
  synAckRetransmits: number;
  /** Requests dropped after tcp_synack_retries (or fewer, when the queue was pruned). */
  requestsExpired: number;
  /** LINUX_MIB_EMBRYONICRSTS: requests reset (tcp_abort_on_overflow, or a RST from the client). */
  embryonicResets: number;
  /** RSTs sent to a client whose ACK matched nothing. */
  resetsSent: number;
  /** Connections that entered the accept queue. */
  established: number;
  /**
   * SYNs and handshake ACKs dropped because the kernel had no memory left
   * for the request sock or the child socket (a {@link Server}'s memory
   * limit): counted in ListenDrops too, not in ListenOverflows.
   */
  memoryDrops: number;
}

/** Options of a {@link Listener}. */
export interface ListenerOptions {
  /** The backlog passed to listen(); clamped to **settings.somaxconn**. */
  backlog: number;
  settings: TcpSettings;
  /** Ledger the listener books request socks and sockets in (their buffers are the {@link NetStack}'s to book); default a fresh one. */
  memory?: KernelMemory;
}

/**
 * Returns a socket in LISTEN state on *host*: listen(*backlog*) done (the
 * system call itself is {@link listenCall}'s), its queues empty.
 *
 * ```ts
 * const listener = new Listener(host, {backlog: 8, settings: tcpSettings()});
 * ```
 * @see acceptCall @see ClientPopulation
 */
export class Listener {
  /** sk_max_ack_backlog: the backlog after listen()'s clamp. */
  readonly maxAckBacklog: number;
  /** The settings in force. */
  readonly settings: TcpSettings;
  /** Kernel memory of its requests and connections. */
  readonly memory: KernelMemory;
  /** Counters. */
  readonly counters: ListenerCounters = {
    synsReceived: 0,
    acksReceived: 0,
    listenOverflows: 0,
    synDropsAcceptQueueFull: 0,
    ackDropsAcceptQueueFull: 0,
    listenDrops: 0,
    reqQFullDrops: 0,
    synBacklogDrops: 0,
    syncookiesSent: 0,
    synAckRetransmits: 0,
    requestsExpired: 0,
    embryonicResets: 0,
    resetsSent: 0,
    established: 0,
    memoryDrops: 0,
  };
  /**
   * Whether the kernel can allocate *bytes* more now (a request sock, a
   * child socket); null, the default: always. A {@link Server} sets it to
   * its memory limit, so a machine whose memory is full drops handshakes
   * instead of creating sockets it has no room for.
   */
  memoryAvailable: ((bytes: number) => boolean) | null = null;
  /** Called when a connection enters the accept queue (the listening socket becomes readable: sk_data_ready). */
  onEstablished: ((conn: Connection) => void) | null = null;
  /** Where SYN-ACKs and RSTs go; set by the client population. */
  clients: ClientEnd | null = null;
  /** Requests in the SYN queue (queue->qlen). */
  synQueueLength = 0;
  /** Of those, requests whose SYN-ACK has not timed out yet (queue->young). */
  young = 0;
  /** Most requests in the SYN queue at once. */
  peakSynQueueLength = 0;
  /** Most connections in the accept queue at once. */
  peakAcceptQueueLength = 0;
  /** Connections waiting to be accepted, oldest first, from `acceptHead` on. */
  private readonly acceptQueue: Connection[] = [];
  private acceptHead = 0;
  /** Blocked accept() calls, oldest first: each waits on its own signal (an exclusive wait, one woken per connection). */
  private readonly acceptWaiters: Array<Signal<void>> = [];
  /**
   * Bytes booked per connected socket: its objects. Its buffers are booked
   * by the {@link NetStack} as skbs are queued and freed (tcp_rmem and
   * tcp_wmem only cap them), so an idle connection holds none.
   */
  private readonly socketBytes: number;
  private readonly requestBytes: number;

  constructor(
    readonly host: Host,
    options: ListenerOptions,
  ) {
    this.settings = options.settings;
    this.maxAckBacklog = effectiveBacklog(options.backlog, this.settings.somaxconn);
    this.memory = options.memory ?? new KernelMemory();
    const net = host.profile.net;
    this.socketBytes = net.socketBytes;
    this.requestBytes = net.requestSockBytes;
  }

  /** Connections in the accept queue (sk_ack_backlog). */
  get acceptQueueLength(): number {
    return this.acceptQueue.length - this.acceptHead;
  }

  /**
   * sk_acceptq_is_full(): `sk_ack_backlog > sk_max_ack_backlog`, strictly
   * greater, so the queue holds backlog + 1 connections
   * (include/net/sock.h lines 1085–1092, with the comment pointing to commit
   * 64a146513f8f for anyone who thinks it should be ≥).
   */
  acceptQueueFull(): boolean {
    return this.acceptQueueLength > this.maxAckBacklog;
  }

  /** inet_csk_reqsk_queue_is_full(): `qlen > sk_max_ack_backlog` (include/net/inet_connection_sock.h lines 291–294). */
  synQueueFull(): boolean {
    return this.synQueueLength > this.maxAckBacklog;
  }

  /** A SYN from *conn*'s client arrives at the NIC: softirq work on a core, then {@link Listener.connRequest}. */
  receiveSyn(conn: Connection): void {
    this.softirq(this.host.profile.net.synNs, "SYN", () => this.connRequest(conn));
  }

  /** An ACK completing (or re-completing) *conn*'s handshake arrives: softirq work, then {@link Listener.checkAck}. */
  receiveAck(conn: Connection): void {
    this.softirq(this.host.profile.net.ackNs, "ACK", () => this.checkAck(conn));
  }

  /**
   * A RST from *conn*'s client (its socket is gone) arrives: a request for
   * it is dropped (tcp_check_req(), net/ipv4/tcp_minisocks.c line 868 →
   * embryonic_reset, line 944).
   */
  receiveRst(conn: Connection): void {
    if (conn.serverState !== "syn-recv") return;
    this.counters.embryonicResets++;
    this.dropRequest(conn);
  }

  /** Runs *then* after *ns* of softirq work on a core (ahead of queued tasks, never preempting one). */
  private softirq(ns: number, what: string, then: () => void): void {
    if (ns === 0) {
      then();
      return;
    }
    const cpu = this.host.cpu;
    cpu.submit(new Job(cpu, ns, "softirq", then, null, 0, 0, what), true);
  }

  /**
   * The SYN's verdict: tcp_conn_request() (net/ipv4/tcp_input.c lines
   * 7405–7582), or tcp_check_req()'s retransmitted-SYN branch when a
   * request for this client exists already.
   */
  private connRequest(conn: Connection): void {
    const c = this.counters;
    const s = this.settings;
    c.synsReceived++;
    if (conn.serverState === "syn-recv") {
      // A retransmitted SYN for a live request: resend the SYN-ACK (rate-limited) and restart its timer
      // (tcp_check_req(), tcp_minisocks.c lines 726–766; mod_timer_pending with tcp_reqsk_timeout()).
      const now = this.now();
      if (now - conn.reqLastOowAckNs >= s.invalidRatelimitNs) {
        conn.reqLastOowAckNs = now;
        c.synAckRetransmits++;
        this.clients!.sendSynAck(conn);
        this.armRequestTimer(conn);
      }
      return;
    }
    if (conn.serverState !== "none") return; // a SYN for a connection already made: not a new request
    let wantCookie = false;
    // Lines 7436–7441: syncookies == 2, or the SYN queue is full: a cookie if syncookies allow (tcp_syn_flood_action(),
    // line 7309: want_cookie when syncookies ≠ 0), else drop (TCPReqQFullDrop).
    if (s.syncookies === 2 || this.synQueueFull()) {
      if (s.syncookies === 0) {
        c.reqQFullDrops++;
        c.listenDrops++;
        return;
      }
      wantCookie = true;
    }
    // Lines 7444–7447: a full accept queue drops every new SYN, cookie or not (ListenOverflows); the client will retry.
    if (this.acceptQueueFull()) {
      c.listenOverflows++;
      c.synDropsAcceptQueueFull++;
      c.listenDrops++;
      return;
    }
    // inet_reqsk_alloc() failing drops the SYN (Linux 6.1.192 net/ipv4/tcp_input.c lines 7090–7092 → drop, 7212–7213:
    // ListenDrops), cookie or not: the request is allocated in both cases.
    if (this.memoryAvailable !== null && !this.memoryAvailable(this.requestBytes)) {
      c.memoryDrops++;
      c.listenDrops++;
      return;
    }
    // Lines 7491–7508: without syncookies, the last quarter of tcp_max_syn_backlog is kept for peers proven alive
    // (tcp_peer_is_proven(); iosim's clients are all new, so never proven).
    if (!wantCookie && s.syncookies === 0 && s.maxSynBacklog - this.synQueueLength < s.maxSynBacklog >> 2) {
      c.synBacklogDrops++;
      c.listenDrops++;
      return;
    }
    if (wantCookie) {
      // Lines 7516 and 7567–7569: the SYN-ACK carries a cookie and the request is freed at once: no state, no timer.
      conn.cookie = true;
      c.syncookiesSent++;
      this.clients!.sendSynAck(conn);
      return;
    }
    // inet_csk_reqsk_queue_hash_add() → reqsk_queue_hash_req() (net/ipv4/inet_connection_sock.c lines 1145–1172):
    // the request joins the SYN queue (qlen and young +1) with its timer at req->timeout = TCP_TIMEOUT_INIT.
    conn.serverState = "syn-recv";
    conn.numTimeout = 0;
    conn.acked = false;
    this.synQueueLength++;
    this.young++;
    if (this.synQueueLength > this.peakSynQueueLength) this.peakSynQueueLength = this.synQueueLength;
    this.memory.add("request-sock", this.requestBytes);
    this.armRequestTimer(conn);
    this.clients!.sendSynAck(conn);
  }

  /**
   * The ACK's verdict. With a request: tcp_check_req() → syn_recv_sock =
   * tcp_v4_syn_recv_sock(), which refuses when sk_acceptq_is_full()
   * (net/ipv4/tcp_ipv4.c lines 1772–1773 → exit_overflow, lines 1858–1863:
   * ListenOverflows, ListenDrops); tcp_check_req() then marks the request
   * acked and keeps it, so the next SYN-ACK retransmission gets another
   * ACK and another try (tcp_minisocks.c lines 934–941), unless
   * tcp_abort_on_overflow resets it (lines 944–960). With a cookie:
   * cookie_v4_check() → tcp_get_cookie_sock() → the same
   * tcp_v4_syn_recv_sock() (net/ipv4/syncookies.c lines 197–205); on
   * overflow the ACK is dropped silently (tcp_v4_do_rcv(), tcp_ipv4.c lines
   * 1942–1945). With neither, the listener answers an ACK with a RST
   * (tcp_rcv_state_process(), tcp_input.c lines 6948–6950).
   */
  private checkAck(conn: Connection): void {
    const c = this.counters;
    c.acksReceived++;
    if (conn.serverState === "syn-recv" || (conn.serverState === "none" && conn.cookie)) {
      if (this.acceptQueueFull()) {
        c.listenOverflows++;
        c.ackDropsAcceptQueueFull++;
        c.listenDrops++;
        this.noChild(conn);
        return;
      }
      if (this.memoryAvailable !== null && !this.memoryAvailable(this.socketBytes)) {
        // No memory for the child: tcp_create_openreq_child() returns NULL → exit_nonewsk (ListenDrops only), and
        // tcp_check_req() takes the same path as on overflow (Linux 6.1.192 net/ipv4/tcp_ipv4.c lines 1529–1531 and
        // 1620–1623; net/ipv4/tcp_minisocks.c lines 794–795, 812–818).
        c.memoryDrops++;
        c.listenDrops++;
        this.noChild(conn);
        return;
      }
      if (conn.serverState === "syn-recv") this.unlinkRequest(conn);
      conn.cookie = false;
      this.establish(conn);
      return;
    }
    if (conn.serverState === "none") {
      c.resetsSent++;
      this.clients!.sendRst(conn);
    }
    // Otherwise the connection exists already: a duplicate ACK, nothing to do at connection level.
  }

  /**
   * tcp_check_req()'s listen_overflow when no child socket was made: a
   * request is kept and marked acked (the next SYN-ACK's ACK tries again),
   * or reset with tcp_abort_on_overflow; a cookie's ACK is just dropped.
   */
  private noChild(conn: Connection): void {
    if (conn.serverState !== "syn-recv") return;
    if (this.settings.abortOnOverflow) {
      this.counters.embryonicResets++;
      this.dropRequest(conn);
      this.clients!.sendRst(conn);
    } else conn.acked = true;
  }

  /** The child socket enters the accept queue (inet_csk_complete_hashdance → inet_csk_reqsk_queue_add, sk_acceptq_added). */
  private establish(conn: Connection): void {
    conn.serverState = "queued";
    conn.establishedNs = this.now();
    this.counters.established++;
    this.memory.add("socket", this.socketBytes);
    this.acceptQueue.push(conn);
    if (this.acceptQueueLength > this.peakAcceptQueueLength) this.peakAcceptQueueLength = this.acceptQueueLength;
    // sk_data_ready wakes one exclusive waiter of accept() (inet_csk_wait_for_connect uses prepare_to_wait_exclusive).
    const waiter = this.acceptWaiters.shift();
    waiter?.fire();
    this.onEstablished?.(conn);
  }

  /** Takes the request out of the SYN queue (reqsk_queue_removed(), include/net/request_sock.h lines 224–230) and frees it. */
  private unlinkRequest(conn: Connection): void {
    if (conn.numTimeout === 0) this.young--;
    this.synQueueLength--;
    conn.reqTimer++;
    this.memory.free("request-sock", this.requestBytes);
  }

  private dropRequest(conn: Connection): void {
    this.unlinkRequest(conn);
    conn.serverState = "none";
  }

  /** Arms the request's timer at tcp_reqsk_timeout(): min(req->timeout << num_timeout, TCP_RTO_MAX) (include/net/tcp.h lines 847–853). */
  private armRequestTimer(conn: Connection): void {
    const gen = ++conn.reqTimer;
    const s = this.settings;
    const delayNs = Math.min(s.timeoutInitNs * 2 ** conn.numTimeout, s.rtoMaxNs);
    this.host.sim.scheduler.post(delayNs, () => {
      if (conn.reqTimer === gen && conn.serverState === "syn-recv") this.requestTimeout(conn);
    });
  }

  /**
   * reqsk_timer_handler() (net/ipv4/inet_connection_sock.c lines 1030–1143):
   * when the SYN queue is more than half full (qlen·2 > max(8, backlog)),
   * old requests get fewer retries, down to 2, to keep room for young ones
   * (lines 1085–1096); then syn_ack_recalc() (lines 845–863, no
   * TCP_DEFER_ACCEPT): expire once num_timeout ≥ the retries, else resend
   * the SYN-ACK, count the timeout (the request stops being young) and
   * re-arm (lines 1102–1110); an expired request is dropped (lines
   * 1140–1141).
   */
  private requestTimeout(conn: Connection): void {
    let maxRetries = this.settings.synackRetries;
    const qlen = this.synQueueLength;
    if (qlen * 2 > Math.max(8, this.maxAckBacklog)) {
      let young = this.young * 2;
      while (maxRetries > 2) {
        if (qlen < young) break;
        maxRetries--;
        young *= 2;
      }
    }
    if (conn.numTimeout < maxRetries) {
      this.counters.synAckRetransmits++;
      this.clients!.sendSynAck(conn);
      if (conn.numTimeout++ === 0) this.young--;
      this.armRequestTimer(conn);
      return;
    }
    this.counters.requestsExpired++;
    this.dropRequest(conn);
  }

  /** Returns the oldest connection of the accept queue and removes it (reqsk_queue_remove → sk_acceptq_removed), or null. */
  takeAccepted(): Connection | null {
    if (this.acceptHead === this.acceptQueue.length) return null;
    const conn = this.acceptQueue[this.acceptHead++];
    if (this.acceptHead > 1024 && this.acceptHead * 2 > this.acceptQueue.length) {
      this.acceptQueue.splice(0, this.acceptHead);
      this.acceptHead = 0;
    }
    return conn;
  }

  /** Returns a signal fired when a connection is queued for this (exclusive) waiter. */
  waitForConnection(): Signal<void> {
    const signal = new Signal<void>();
    this.acceptWaiters.push(signal);
    return signal;
  }

  /** Frees the connected socket of *conn* (close(2) by the server): its objects, and whatever buffers it still holds. */
  releaseSocket(conn: Connection): void {
    this.memory.free("socket", this.socketBytes);
    const sock = conn.socket;
    if (sock !== null) sock.stack.memRelease(sock);
  }

  private now(): number {
    return this.host.sim.scheduler.now();
  }
}
