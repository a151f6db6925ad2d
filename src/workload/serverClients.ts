/**
 * Clients of a network server, on the far side of the link: closed loops
 * (N clients, each sending a request, waiting for the whole response,
 * thinking, sending the next) or open-loop arrivals (connections arriving
 * as a Poisson process whatever the server's pace), on keep-alive
 * connections or a new connection per request.
 *
 * Like the customers of a call centre: a closed loop is a fixed set of
 * regulars who call back only after their last call ended; open-loop
 * arrivals are the public, who call at random whether or not the line is
 * busy. Every request ends in exactly one column: served, failed (with the
 * reason: the connection timed out or was reset), or still open when the
 * run stopped.
 */
import type {Random} from "../engine/random.js";
import type {ClientPopulation} from "../net/ClientPopulation.js";
import type {Connection} from "../net/Connection.js";

/** How clients arrive: a closed loop of N clients, or N connections arriving as a Poisson process. */
export type ArrivalProcess = "closed" | "poisson";
export const arrivalProcesses: readonly ArrivalProcess[] = ["closed", "poisson"];

/** Options of {@link ServerClients}. */
export interface ServerClientsOptions {
  /** closed: clients, all looping at once; poisson: connections that arrive in all. */
  clients: number;
  /** Requests per client (closed) or per arriving connection (poisson). */
  requests: number;
  /** Bytes of each request. */
  requestBytes: number;
  /** Bytes of each response. */
  responseBytes: number;
  /** Mean think time between a response and the next request (exponential draws), ns; 0: none. */
  thinkNs: number;
  /** All of a client's requests on one connection (keep-alive), or a new connection per request. */
  keepAlive: boolean;
  /** closed (default) or poisson. */
  arrivals?: ArrivalProcess;
  /** closed: clients start at uniform random times within this window, ns; default 0 (all at once). */
  rampNs?: number;
  /** poisson: mean arrivals per second. */
  ratePerSec?: number;
  /** Share of the clients that are slow (their requests cost the handler's slow time, see {@link ServerClients.isSlow}), 0 to 1; default 0. Every 1/share-th client is slow (no draw), so the other draws do not change with it. */
  slowShare?: number;
  /** Called with each served request's latency (from when the client wanted to send it, connect included, to the response's last byte), ns, and whether its client is a slow one. */
  onLatency?: (latencyNs: number, slow: boolean) => void;
}

/** Counters of {@link ServerClients}: every request issued is served, failed or open. */
export interface ServerClientCounters {
  /** Requests the clients started. */
  issued: number;
  /** Requests whose whole response arrived. */
  served: number;
  /** Requests failed because connect() timed out (the SYN retries ran out). */
  failedConnectTimeout: number;
  /** Requests failed because the server never acknowledged their data (it had no socket for them; tcp_retries2 ran out). */
  failedDataTimeout: number;
  /** Requests failed because the server reset the connection (refused it, or aborted on accept-queue overflow). */
  failedReset: number;
  /** Connections the clients opened. */
  connectionsOpened: number;
  /** Connections the clients closed after their last request. */
  connectionsClosed: number;
  /** Last time a request was served, ns. */
  lastServedNs: number;
}

/**
 * Returns a client workload against *clients*' listener; call
 * {@link ServerClients.start} to begin. Draws (start times, think times,
 * arrivals) come from *random*, so a run is reproducible from its seed.
 * The clients are other machines: only their timers, their side of TCP and
 * the link are modelled, no host CPU.
 *
 * ```ts
 * const load = new ServerClients(population, sim.random, {clients: 100, requests: 4, requestBytes: 100, responseBytes: 4096, thinkNs: 1e6, keepAlive: true});
 * load.start();
 * ```
 */
export class ServerClients {
  readonly counters: ServerClientCounters = {issued: 0, served: 0, failedConnectTimeout: 0, failedDataTimeout: 0, failedReset: 0, connectionsOpened: 0, connectionsClosed: 0, lastServedNs: 0};
  /** Per client: requests left to start. */
  private readonly remaining: Int32Array;
  /** Per client: when its current request started, ns, or −1 when none is open. */
  private readonly requestStartNs: Float64Array;
  /** Per client: its connection now, or null. */
  private readonly conns: Array<Connection | null>;
  /** Per connection id: its client. */
  private readonly owner: number[] = [];
  private readonly arrivals: ArrivalProcess;
  /** Share of the clients that are slow. */
  private readonly slowShare: number;

  /** {@link ServerClients.nextRequest}, bound once for the scheduler (no closure per request). */
  private readonly nextRequestFn = (c: number): void => this.nextRequest(c);

  constructor(
    readonly population: ClientPopulation,
    private readonly random: Random,
    readonly options: ServerClientsOptions,
  ) {
    const {clients, requests} = options;
    if (!(Number.isSafeInteger(clients) && clients >= 0)) throw new RangeError(`invalid clients: ${clients}; expected an integer ≥ 0`);
    if (!(Number.isSafeInteger(requests) && requests >= 1)) throw new RangeError(`invalid requests: ${requests}; expected an integer ≥ 1`);
    const slowShare = options.slowShare ?? 0;
    if (!(slowShare >= 0 && slowShare <= 1)) throw new RangeError(`invalid slowShare: ${slowShare}; expected a number from 0 to 1`);
    this.slowShare = slowShare;
    this.arrivals = options.arrivals ?? "closed";
    if (this.arrivals === "poisson" && !((options.ratePerSec ?? 0) > 0)) throw new RangeError(`invalid ratePerSec: ${options.ratePerSec}; expected a number > 0`);
    this.remaining = new Int32Array(clients).fill(requests);
    this.requestStartNs = new Float64Array(clients).fill(-1);
    this.conns = new Array<Connection | null>(clients).fill(null);
  }

  /** Schedules every client's first request (closed) or the first arrival (poisson). */
  start(): void {
    const scheduler = this.population.listener.host.sim.scheduler;
    const n = this.options.clients;
    if (this.arrivals === "closed") {
      const rampNs = this.options.rampNs ?? 0;
      for (let c = 0; c < n; c++) {
        const atNs = rampNs > 0 ? this.random.next() * rampNs : 0;
        scheduler.post(atNs, this.nextRequestFn, c);
      }
      return;
    }
    const meanGapNs = 1e9 / this.options.ratePerSec!;
    let c = 0;
    const arrive = () => {
      this.nextRequest(c++);
      if (c < n) scheduler.post(this.random.exponential(meanGapNs), arrive);
    };
    if (n > 0) scheduler.post(0, arrive);
  }

  /** Returns whether client *c* is a slow one: spread evenly, ⌊(c+1)·share⌋ > ⌊c·share⌋. */
  slowClient(c: number): boolean {
    return Math.floor((c + 1) * this.slowShare) > Math.floor(c * this.slowShare);
  }

  /** Returns whether *conn* is a slow client's connection (the handler's **isSlow**). */
  isSlow(conn: Connection): boolean {
    const c = this.owner[conn.id];
    return c !== undefined && this.slowClient(c);
  }

  /** Requests started and not yet served or failed. */
  get open(): number {
    const k = this.counters;
    return k.issued - k.served - k.failedConnectTimeout - k.failedDataTimeout - k.failedReset;
  }

  /** Client *c* starts its next request: on its open connection, or on a new one. */
  private nextRequest(c: number): void {
    this.remaining[c]--;
    this.counters.issued++;
    this.requestStartNs[c] = this.now();
    const conn = this.conns[c];
    if (conn !== null && conn.clientState === "established") this.send(c, conn);
    else this.connect(c);
  }

  private connect(c: number): void {
    const conn = this.population.add(0);
    this.owner[conn.id] = c;
    this.conns[c] = conn;
    this.counters.connectionsOpened++;
  }

  /** The population's report of a connection's change (connected, failed). */
  connectionChanged(conn: Connection): void {
    const c = this.owner[conn.id];
    if (c === undefined || this.conns[c] !== conn) return;
    if (conn.clientState === "established") {
      if (this.requestStartNs[c] >= 0) this.send(c, conn);
      return;
    }
    if (conn.clientState !== "failed") return;
    this.conns[c] = null;
    if (this.requestStartNs[c] < 0) return; // reset while idle: the next request opens a new connection
    if (conn.failure === "timeout") this.counters.failedConnectTimeout++;
    else if (conn.failure === "data-timeout") this.counters.failedDataTimeout++;
    else this.counters.failedReset++;
    this.requestStartNs[c] = -1;
    this.afterRequest(c, null);
  }

  private send(c: number, conn: Connection): void {
    const done = this.population.exchange(conn, this.options.requestBytes, this.options.responseBytes);
    done.then(() => {
      // A reset may have failed the request already.
      if (this.conns[c] !== conn || this.requestStartNs[c] < 0) return;
      const now = this.now();
      this.counters.served++;
      this.counters.lastServedNs = now;
      this.options.onLatency?.(now - this.requestStartNs[c], this.slowClient(c));
      this.requestStartNs[c] = -1;
      this.afterRequest(c, conn);
    });
  }

  /** After a request ends: think, then the next one; close the connection when it is the last, or when each request has its own. */
  private afterRequest(c: number, conn: Connection | null): void {
    const last = this.remaining[c] === 0;
    if (conn !== null && (last || !this.options.keepAlive)) {
      this.population.close(conn);
      this.counters.connectionsClosed++;
      this.conns[c] = null;
    }
    if (last) return;
    const thinkNs = this.options.thinkNs > 0 ? this.random.exponential(this.options.thinkNs) : 0;
    this.population.listener.host.sim.scheduler.post(thinkNs, this.nextRequestFn, c);
  }

  private now(): number {
    return this.population.listener.host.sim.scheduler.now();
  }
}
