/**
 * Clients on the far side of the NIC: each calls connect() once, at its
 * start time, over a link with a fixed one-way latency.
 *
 * They are other machines, so their own CPU time is not the host's: only
 * their timers and their side of the handshake are modelled, as Linux runs
 * them for an active open (tcp_connect, then tcp_retransmit_timer while in
 * SYN_SENT, then tcp_rcv_synsent_state_process on the SYN-ACK).
 */
import {Connection} from "./Connection.js";
import type {ClientEnd, Listener} from "./Listener.js";
import type {Signal} from "../engine/process.js";
import type {NetStack} from "./NetStack.js";

/**
 * One-way latency between the clients and the host by default: 250 µs, half
 * of the 500 µs "round trip within same datacenter" of Jeff Dean's "Numbers
 * everyone should know" (LADIS 2009 keynote), ns.
 */
export const defaultLinkLatencyNs = 250_000;

/** Options of a {@link ClientPopulation}. */
export interface ClientPopulationOptions {
  /** How many clients. */
  clients: number;
  /** One-way link latency, ns; default {@link defaultLinkLatencyNs}. */
  latencyNs?: number;
  /** Time between one client's connect() and the next's, ns; default 0 (all at once). */
  intervalNs?: number;
  /** When each client calls connect(), ns from {@link ClientPopulation.start}; overrides **intervalNs**; one per client. */
  startTimesNs?: readonly number[];
  /** Called when a client's state changes (connected, failed), with its connection. */
  onChange?: (conn: Connection) => void;
  /** The host's data path: each connection gets its socket there when connect() returns, so clients can send and exchange data. */
  stack?: NetStack;
}

/** Counters of the client side. */
export interface ClientCounters {
  /** SYNs sent, first ones included. */
  synsSent: number;
  /** SYNs sent again after a timeout (the sum of each connection's synRetransmits). */
  synRetransmits: number;
  /** ACKs sent: one per SYN-ACK that completed connect(), plus answers to retransmitted SYN-ACKs. */
  acksSent: number;
  /** connect() calls that returned 0. */
  connected: number;
  /** connect() calls that failed with ETIMEDOUT. */
  timedOut: number;
  /** Connections reset by the server. */
  reset: number;
  /** Data segments (each carrying the ACK) sent again because the server had not created the connection yet. */
  dataRetransmits: number;
  /** Connections that failed because their data was never acknowledged (tcp_retries2 ran out). */
  dataTimeouts: number;
}

/**
 * Returns *clients* clients that will connect to *listener*, one every
 * **intervalNs** from now, with **latencyNs** each way. Each follows
 * Linux's active open: the SYN's retransmission timer starts at
 * TCP_TIMEOUT_INIT and, on each expiry, tcp_write_timeout() gives up once
 * icsk_retransmits ≥ tcp_syn_retries + tcp_syn_linear_timeouts (ETIMEDOUT;
 * net/ipv4/tcp_timer.c lines 249–260), else the SYN is sent again and the
 * timeout doubles, capped at TCP_RTO_MAX, except after the first
 * tcp_syn_linear_timeouts retransmissions (tcp_retransmit_timer(), lines
 * 671–679). A SYN-ACK completes connect() and is answered with the final ACK
 * (tcp_rcv_synsent_state_process → tcp_send_ack). A SYN-ACK arriving later
 * (the server retransmitting because it dropped that ACK) is out of window:
 * tcp_validate_incoming() answers it with a challenge ACK (net/ipv4/tcp_input.c
 * line 6156 → syn_challenge, line 6236), at most one per tcp_invalid_ratelimit
 * (tcp_send_challenge_ack, line 3838; the global tcp_challenge_ack_limit
 * is INT_MAX since 6.0, tcp_ipv4.c line 3632). A SYN-ACK for a client that
 * gave up finds no socket and is answered with a RST.
 *
 * ```ts
 * const clients = new ClientPopulation(listener, {clients: 100});
 * clients.start();
 * sim.run();
 * ```
 * @see Listener
 */
export class ClientPopulation implements ClientEnd {
  /** Every client's connection, by id. */
  readonly connections: Connection[];
  /** Counters. */
  readonly counters: ClientCounters = {synsSent: 0, synRetransmits: 0, acksSent: 0, connected: 0, timedOut: 0, reset: 0, dataRetransmits: 0, dataTimeouts: 0};
  readonly latencyNs: number;
  readonly intervalNs: number;
  private readonly onChange: ((conn: Connection) => void) | undefined;
  private readonly startTimesNs: readonly number[] | undefined;
  /** The host's data path, if the clients exchange data. */
  readonly stack: NetStack | null;

  // What crosses the link and the clients' timers, bound once (SimScheduler.post passes the connection and the timer's generation): no closure per packet.
  private readonly connectFn = (conn: Connection): void => this.connect(conn);
  private readonly synToListener = (conn: Connection): void => this.listener.receiveSyn(conn);
  private readonly ackToListener = (conn: Connection): void => this.listener.receiveAck(conn);
  private readonly rstToListener = (conn: Connection): void => this.listener.receiveRst(conn);
  private readonly synAckToClient = (conn: Connection): void => this.receiveSynAck(conn);
  private readonly rstToClient = (conn: Connection): void => this.receiveRst(conn);
  /** The SYN retransmission timer of generation *gen* expires: resend or give up, unless the client moved on meanwhile. */
  private readonly synTimer = (conn: Connection, gen: number): void => {
    if (conn.clientTimer === gen && conn.clientState === "syn-sent") this.synTimeout(conn);
  };
  /** The data retransmission timer of generation *gen* expires while the server still has no socket for the client. */
  private readonly dataTimer = (conn: Connection, gen: number): void => {
    if (conn.clientTimer === gen && conn.clientState === "established" && this.serverLacks(conn)) this.dataTimeout(conn);
  };

  constructor(
    readonly listener: Listener,
    options: ClientPopulationOptions,
  ) {
    this.latencyNs = options.latencyNs ?? defaultLinkLatencyNs;
    this.intervalNs = options.intervalNs ?? 0;
    this.onChange = options.onChange;
    this.startTimesNs = options.startTimesNs;
    this.stack = options.stack ?? null;
    if (this.startTimesNs !== undefined && this.startTimesNs.length !== options.clients)
      throw new RangeError(`startTimesNs has ${this.startTimesNs.length} times for ${options.clients} clients`);
    this.connections = Array.from({length: options.clients}, (_, i) => new Connection(i));
    listener.clients = this;
  }

  /** Schedules every client's connect(), the first now. */
  start(): void {
    const scheduler = this.listener.host.sim.scheduler;
    for (const conn of this.connections) scheduler.post(this.startTimesNs?.[conn.id] ?? conn.id * this.intervalNs, this.connectFn, conn);
  }

  /**
   * Adds one more client connection, which calls connect() *delayNs* from
   * now; returns its connection (id: its index in `connections`). For
   * workloads that open connections as they go (a new connection per
   * request, open-loop arrivals).
   */
  add(delayNs = 0): Connection {
    const conn = new Connection(this.connections.length);
    this.connections.push(conn);
    this.listener.host.sim.scheduler.post(delayNs, this.connectFn, conn);
    return conn;
  }

  /** connect(): the first SYN, and its retransmission timer at TCP_TIMEOUT_INIT (tcp_connect). */
  private connect(conn: Connection): void {
    conn.clientState = "syn-sent";
    conn.startNs = this.now();
    conn.retransmits = 0;
    conn.rtoNs = this.listener.settings.timeoutInitNs;
    this.sendSyn(conn);
    this.armSynTimer(conn);
  }

  private sendSyn(conn: Connection): void {
    this.counters.synsSent++;
    this.listener.host.sim.scheduler.post(this.latencyNs, this.synToListener, conn);
  }

  private armSynTimer(conn: Connection): void {
    this.listener.host.sim.scheduler.post(conn.rtoNs, this.synTimer, conn, ++conn.clientTimer);
  }

  /** tcp_retransmit_timer() in SYN_SENT: give up, or resend the SYN and back off. */
  private synTimeout(conn: Connection): void {
    const s = this.listener.settings;
    if (conn.retransmits >= s.synRetries + s.synLinearTimeouts) {
      conn.clientState = "failed";
      conn.failure = "timeout";
      conn.failedNs = this.now();
      this.counters.timedOut++;
      this.onChange?.(conn);
      return;
    }
    conn.retransmits++; // tcp_update_rto_stats(): icsk_retransmits and total_rto, equal for a socket still connecting
    conn.synRetransmits++;
    this.counters.synRetransmits++;
    this.sendSyn(conn);
    if (conn.retransmits > s.synLinearTimeouts) conn.rtoNs = Math.min(conn.rtoNs * 2, s.rtoMaxNs);
    this.armSynTimer(conn);
  }

  /** The listener sends a SYN-ACK: it reaches the client after the link's latency. */
  sendSynAck(conn: Connection): void {
    this.listener.host.sim.scheduler.post(this.latencyNs, this.synAckToClient, conn);
  }

  /** The listener sends a RST: it reaches the client after the link's latency. */
  sendRst(conn: Connection): void {
    this.listener.host.sim.scheduler.post(this.latencyNs, this.rstToClient, conn);
  }

  private receiveSynAck(conn: Connection): void {
    switch (conn.clientState) {
      case "syn-sent":
        conn.clientState = "established";
        conn.connectedNs = this.now();
        conn.clientTimer++;
        this.counters.connected++;
        this.stack?.socket(conn, this.latencyNs);
        this.sendAck(conn);
        this.onChange?.(conn);
        return;
      case "established": {
        const now = this.now();
        if (now - conn.clientLastOowAckNs >= this.listener.settings.invalidRatelimitNs) {
          conn.clientLastOowAckNs = now;
          this.sendAck(conn);
        }
        return;
      }
      case "failed":
        // The socket is gone: the client's kernel answers with a RST, which drops the server's request.
        this.listener.host.sim.scheduler.post(this.latencyNs, this.rstToListener, conn);
        return;
    }
  }

  /**
   * Client *conn* sends a request of *requestBytes* and reads a response of
   * *responseBytes*; returns a signal fired with the exchange's latency
   * (request written → last response byte received), ns. Needs the
   * **stack** option and a connected client; one exchange at a time.
   *
   * ```ts
   * const done = clients.exchange(conn, 100, 64 * KiB);
   * done.then((latencyNs) => ...);
   * ```
   */
  exchange(conn: Connection, requestBytes: number, responseBytes: number): Signal<number> {
    const signal = this.stack!.peerExchange(this.dataSocket(conn), requestBytes, responseBytes);
    if (requestBytes > 0) this.dataSent(conn);
    return signal;
  }

  /** Client *conn* writes *bytes* to the server (they leave as the server's window allows). */
  send(conn: Connection, bytes: number): void {
    this.stack!.peerSend(this.dataSocket(conn), bytes);
    if (bytes > 0) this.dataSent(conn);
  }

  /** Whether the server has no connected socket for *conn* yet (nothing, or only a request in its SYN queue). */
  private serverLacks(conn: Connection): boolean {
    return conn.serverState === "none" || conn.serverState === "syn-recv";
  }

  /**
   * The client's data left while the server had no socket for it (it
   * dropped the final ACK: accept queue full). Every data segment carries
   * an ACK, and a listener treats it as the handshake's final ACK
   * (tcp_check_req(), net/ipv4/tcp_minisocks.c; with no request left it
   * answers with a RST, see Listener.checkAck); unacknowledged, the client
   * retransmits it from TCP_RTO_MIN, doubling up to TCP_RTO_MAX, and gives
   * up with ETIMEDOUT after tcp_retries2 retransmissions
   * (tcp_retransmit_timer → tcp_write_timeout, net/ipv4/tcp_timer.c lines
   * 249–275). (An RTO measured from the handshake's round trip would be
   * max(TCP_RTO_MIN, srtt + 4·rttvar): TCP_RTO_MIN on a short link.)
   */
  private dataSent(conn: Connection): void {
    if (!this.serverLacks(conn)) return;
    conn.retransmits = 0;
    conn.rtoNs = this.listener.settings.rtoMinNs;
    this.listener.host.sim.scheduler.post(this.latencyNs, this.ackToListener, conn);
    this.armDataTimer(conn);
  }

  private armDataTimer(conn: Connection): void {
    this.listener.host.sim.scheduler.post(conn.rtoNs, this.dataTimer, conn, ++conn.clientTimer);
  }

  private dataTimeout(conn: Connection): void {
    const s = this.listener.settings;
    if (conn.retransmits >= s.retries2) {
      conn.clientState = "failed";
      conn.failure = "data-timeout";
      conn.failedNs = this.now();
      this.counters.dataTimeouts++;
      this.onChange?.(conn);
      return;
    }
    conn.retransmits++;
    this.counters.dataRetransmits++;
    this.listener.host.sim.scheduler.post(this.latencyNs, this.ackToListener, conn);
    conn.rtoNs = Math.min(conn.rtoNs * 2, s.rtoMaxNs);
    this.armDataTimer(conn);
  }

  /** Client *conn* closes its socket: a FIN follows its unsent bytes, and the server's reads then return 0. */
  close(conn: Connection): void {
    this.stack!.peerClose(this.dataSocket(conn));
  }

  private dataSocket(conn: Connection) {
    if (this.stack === null) throw new RangeError("the clients have no data path: pass the stack option");
    if (conn.clientState !== "established") throw new RangeError(`client ${conn.id} is not connected (${conn.clientState})`);
    return this.stack.socket(conn, this.latencyNs);
  }

  private sendAck(conn: Connection): void {
    this.counters.acksSent++;
    this.listener.host.sim.scheduler.post(this.latencyNs, this.ackToListener, conn);
  }

  private receiveRst(conn: Connection): void {
    if (conn.clientState !== "established" && conn.clientState !== "syn-sent") return;
    conn.clientState = "failed";
    conn.failure = "reset";
    conn.failedNs = this.now();
    conn.clientTimer++;
    this.counters.reset++;
    this.onChange?.(conn);
  }

  private now(): number {
    return this.listener.host.sim.scheduler.now();
  }
}
