/**
 * What every Reactor shares: a Reactor is a process with its own epoll
 * instance that waits, then dispatches each ready descriptor — the
 * listening socket to an Acceptor, a connection to a Handler, an eventfd to
 * whatever was posted to it.
 *
 * Like a receptionist with a switchboard: the lamp of the front door
 * (the listening socket) means a visitor to let in, a room's lamp a guest
 * who wants something, the kitchen's lamp (the eventfd) a finished order.
 *
 * Kernel rules followed (Linux 6.18):
 * - The listening socket's wait queue: a new connection runs sk_data_ready
 *   (sock_def_readable, net/core/sock.c line 3611:
 *   wake_up_interruptible_sync_poll), which walks the queue
 *   (__wake_up_common, kernel/sched/wait.c lines 104–114) calling every
 *   epoll instance's ep_poll_callback: without EPOLLEXCLUSIVE every one is
 *   woken (the thundering herd); with it the walk stops at the first
 *   exclusive entry that woke a sleeper (fs/eventpoll.c lines 1300–1333:
 *   `ewake = 1` only when `waitqueue_active(&ep->wq)`; wait.c line 111).
 * - SO_REUSEPORT: each worker has its own listening socket; the handshake
 *   picks one by the 4-tuple hash (inet_lhash2_lookup →
 *   reuseport_select_sock, net/ipv4/inet_hashtables.c line 399;
 *   reuseport_select_sock_by_hash, net/core/sock_reuseport.c line 533:
 *   `reciprocal_scale(hash, num_socks)`), so one worker is woken. Here the
 *   sockets share one accept queue and the hash chooses whom to wake
 *   (simplified: the connections are alike, so which one that worker takes
 *   does not change the counts).
 * - eventfd: write(2) adds to the counter and wakes the poller
 *   (eventfd_signal → wake_up_locked_poll, fs/eventfd.c); read(2) takes the
 *   counter and resets it.
 */
import {Observable, Subject} from "rxjs";
import type {ProcessBody} from "../../engine/process.js";
import {syscall} from "../../kernel/syscall.js";
import {multiplexer, type MultiplexApi} from "../../multiplex/api.js";
import {EPOLLIN, type ReadyEvent, type SourceMultiplexer} from "../../multiplex/index.js";
import {FdSetOverflowError} from "../../multiplex/select.js";
import type {Connection} from "../../net/Connection.js";
import {EmfileError, type FdTable} from "../../net/FdTable.js";
import {acceptBody, closeCall, EagainError, recvCall, sendCall} from "../../net/socketCalls.js";
import type {TcpSocket} from "../../net/TcpSocket.js";
import {KiB} from "../../units.js";
import {requestCpuNs, type Server} from "../Server.js";
import type {Served} from "../serveConnection.js";
import {refuse} from "../internal/tasks.js";

/** Counters every Reactor variant keeps, measured as the loops run. */
export interface ReactorCounters {
  /** Reactors woken from epoll_wait by a new connection on the listening socket. */
  listenWakeups: number;
  /** Of those, wake-ups whose accept() found the queue already empty (EAGAIN): the thundering herd's waste. */
  spuriousWakeups: number;
  /** New connections that entered the accept queue. */
  connectionsQueued: number;
  /** eventfd writes (a worker's result, a connection handed to a sub-Reactor). */
  eventfdWrites: number;
  /** Connections handed from the main Reactor to a sub-Reactor. */
  handoffs: number;
  /** Requests run on a worker thread instead of the Reactor. */
  offloaded: number;
  /** proactor-uring: io_uring_enter calls, and SQEs they submitted. */
  uringEnters: number;
  sqesSubmitted: number;
  /** Accepted connections closed at once because select cannot watch their descriptor (fd ≥ FD_SETSIZE): reset, never wrapped. */
  fdSetRefusals: number;
}

/** Options shared by the Reactor operators. */
export interface ReactorOptions {
  /** Called when reactor *pid* handles a request of *conn* (tests follow connections with it). */
  onServe?: (conn: Connection, pid: number) => void;
  /** epoll_wait's maxevents; default 64. */
  maxEvents?: number;
  /**
   * What each Reactor waits with: select, poll or epoll (default). The
   * listening socket and the eventfds are watched like connections; with
   * select, a connection whose descriptor is 1024 or more cannot be watched
   * and is refused (closed at once, the client reset; counted in
   * `fdSetRefusals`).
   */
  api?: MultiplexApi;
  /** Called for each new connection on the listening socket with the number of sleeping Reactors its wake-up woke. */
  onListenWake?: (conn: Connection, woken: number) => void;
  /** Called with the run's shared state when the operator is subscribed (its counters, its Reactors). */
  onRuntime?: (rt: ReactorRuntime) => void;
}

/** The descriptor number the listening socket has in every process (0–2 are stdio). */
export const LISTEN_FD = 3;

/** Bytes a handler asks for per recv (a typical read buffer). */
const recvBytes = 16 * KiB;

/** One connection a Reactor serves. */
export interface ConnState {
  conn: Connection;
  sock: TcpSocket;
  /** Bytes of the current request read so far. */
  got: number;
  /** Responses owed (a request handed to a worker and not yet answered). */
  pending: number;
  /** The client closed; close once nothing is owed. */
  closing: boolean;
  requests: number;
}

/** The shared state of one run of a Reactor operator. */
export class ReactorRuntime {
  readonly counters: ReactorCounters = {listenWakeups: 0, spuriousWakeups: 0, connectionsQueued: 0, eventfdWrites: 0, handoffs: 0, offloaded: 0, uringEnters: 0, sqesSubmitted: 0, fdSetRefusals: 0};
  readonly served$ = new Subject<Served>();
  /** Every Reactor of the run (their epoll counters). */
  readonly reactors: Reactor[] = [];

  constructor(
    readonly server: Server,
    readonly options: ReactorOptions,
  ) {
    options.onRuntime?.(this);
  }

  get maxEvents(): number {
    return this.options.maxEvents ?? 64;
  }

  /** The API every Reactor of the run waits with. */
  get api(): MultiplexApi {
    return this.options.api ?? "epoll";
  }
}

/** A Reactor: a process, its multiplexer (an epoll instance unless **api** says otherwise) and the connections registered in it. */
export class Reactor {
  /** The multiplexer: epoll by default, select or poll with the run's **api** (the name stays from epoll, the default). */
  readonly ep: SourceMultiplexer;
  readonly conns = new Map<number, ConnState>();
  /** The next descriptor for an eventfd or a timer of its own. */
  private nextPrivateFd = -1;

  constructor(
    readonly rt: ReactorRuntime,
    readonly pid: number,
    /** The process's descriptor table (threads share their process's). */
    readonly fds: FdTable,
  ) {
    this.ep = multiplexer(rt.api, rt.server.host);
    rt.reactors.push(this);
  }

  /** A descriptor number for a private source (eventfd), outside the connection range. */
  privateFd(): number {
    return this.nextPrivateFd--;
  }
}

/**
 * The listening socket's wait queue: one entry per epoll instance watching
 * it, woken as sock_def_readable → __wake_up_common does (see the module
 * header). Counts the Reactors woken.
 */
export class ListenWaitQueue {
  private readonly entries: Array<{r: Reactor; callback: () => void; exclusive: boolean}> = [];
  /** SO_REUSEPORT: the group's sockets, one per Reactor (null: one shared socket). */
  reuseport: Reactor[] | null = null;

  constructor(
    readonly rt: ReactorRuntime,
    queued$: Observable<Connection>,
  ) {
    queued$.subscribe((conn) => this.wake(conn));
  }

  /** Returns a process body for epoll_ctl(ADD) of the listening socket in *r*'s epoll (EPOLLEXCLUSIVE when *exclusive*). */
  *add(r: Reactor, exclusive = false): ProcessBody<void> {
    const listener = this.rt.server.listener;
    const {ctl, callback} = r.ep.addSource(LISTEN_FD, () => (listener.acceptQueueLength > 0 ? EPOLLIN : 0), EPOLLIN, r.pid);
    yield* ctl;
    this.entries.push({r, callback, exclusive});
  }

  /** Returns a process body for epoll_ctl(DEL) of the listening socket from *r*'s epoll. */
  *remove(r: Reactor): ProcessBody<void> {
    const i = this.entries.findIndex((e) => e.r === r);
    if (i < 0) return;
    this.entries.splice(i, 1);
    yield* r.ep.remove(LISTEN_FD, r.pid);
  }

  private wake(conn: Connection): void {
    this.rt.counters.connectionsQueued++;
    const before = this.rt.counters.listenWakeups;
    const group = this.reuseport;
    if (group !== null) {
      // reuseport_select_sock_by_hash: reciprocal_scale(hash, n) = (hash × n) >> 32.
      const r = group[Number((BigInt(hash32(conn.id)) * BigInt(group.length)) >> 32n)];
      const e = this.entries.find((x) => x.r === r);
      if (e !== undefined) this.call(e);
    } else {
      for (const e of this.entries) {
        const woke = this.call(e);
        // An exclusive entry that woke a sleeper ends the walk (wait.c line 111).
        if (woke && e.exclusive) break;
      }
    }
    this.rt.options.onListenWake?.(conn, this.rt.counters.listenWakeups - before);
  }

  /** Runs one entry's ep_poll_callback; returns whether it woke a sleeping epoll_wait. */
  private call(e: {r: Reactor; callback: () => void}): boolean {
    const sleeping = e.r.ep.sleeping;
    e.callback();
    if (sleeping) this.rt.counters.listenWakeups++;
    return sleeping;
  }
}

/** A 32-bit mix of *x* (the 4-tuple hash stands in: inet_ehashfn is a jhash of the addresses and ports). */
function hash32(x: number): number {
  let h = Math.imul(x ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * An eventfd registered in a Reactor's epoll: {@link Eventfd.signal} is
 * another thread's write(2), {@link Eventfd.drain} the Reactor's read(2).
 */
export class Eventfd {
  readonly fd: number;
  private count = 0;
  private callback: () => void = () => {};

  constructor(readonly r: Reactor) {
    this.fd = r.privateFd();
  }

  /** Returns a process body for epoll_ctl(ADD) of the eventfd in its Reactor's epoll. */
  *register(): ProcessBody<void> {
    const {ctl, callback} = this.r.ep.addSource(this.fd, () => (this.count > 0 ? EPOLLIN : 0), EPOLLIN, this.r.pid);
    this.callback = callback;
    yield* ctl;
  }

  /** Returns a process body for write(2) of 1 to the eventfd by another task. */
  *signal(): ProcessBody<void> {
    this.r.rt.counters.eventfdWrites++;
    yield* syscall(this.r.rt.server.host, "write");
    this.count++;
    this.callback();
  }

  /** Returns a process body for the Reactor's read(2) of the counter (reset to 0). */
  *drain(): ProcessBody<void> {
    yield* syscall(this.r.rt.server.host, "read");
    this.count = 0;
  }
}

/**
 * Returns a process body for one non-blocking accept(2) by *r*: the
 * connection, or null when the queue was empty (EAGAIN, a spurious wake-up)
 * or the descriptor table is full (EMFILE: the connection stays queued).
 */
export function* acceptNonBlocking(r: Reactor): ProcessBody<Connection | null> {
  const server = r.rt.server;
  const {host, listener} = server;
  // accept4(SOCK_NONBLOCK): the queue is looked at inside the call (another Reactor may have emptied it meanwhile): EAGAIN when empty.
  const res = yield* syscall(host, "accept", function* () {
    if (listener.acceptQueueLength === 0) return null;
    return yield* acceptBody(host, listener, r.fds);
  });
  if (res === null || res === undefined) {
    r.rt.counters.spuriousWakeups++;
    return null;
  }
  if (res instanceof EmfileError) {
    server.counters.acceptRetries++;
    return null;
  }
  server.connectionAccepted();
  return res.conn;
}

/**
 * Returns a process body that registers accepted *conn* in *r*'s
 * multiplexer (level-triggered EPOLLIN). select cannot watch a descriptor
 * of FD_SETSIZE or more (FD_SET would write past the fd_set): such a
 * connection is closed at once and its client reset, counted in
 * `fdSetRefusals` (the server's and the Reactors'), never wrapped.
 */
export function* register(r: Reactor, conn: Connection): ProcessBody<void> {
  const server = r.rt.server;
  const sock = server.stack.socket(conn);
  try {
    yield* r.ep.add(conn.fd, sock, EPOLLIN, r.pid);
  } catch (e) {
    if (!(e instanceof FdSetOverflowError)) throw e;
    r.rt.counters.fdSetRefusals++;
    yield* refuse(server, conn, r.fds, "fd-setsize");
    return;
  }
  r.conns.set(conn.fd, {conn, sock, got: 0, pending: 0, closing: false, requests: 0});
}

/**
 * Returns a process body that reads what *ev*'s connection has (recv until
 * EAGAIN, non-blocking) and calls *onRequest* for each whole request; the
 * client's FIN closes the connection once no response is owed.
 */
export function* readReady(r: Reactor, ev: ReadyEvent, onRequest: (s: ConnState) => ProcessBody<void>): ProcessBody<void> {
  const s = r.conns.get(ev.fd);
  if (s === undefined) return;
  const {host, handler} = r.rt.server;
  for (;;) {
    const n = yield* recvCall(host, s.sock, recvBytes, {nonBlocking: true});
    if (n instanceof EagainError) return;
    if (n === 0) {
      s.closing = true;
      if (s.pending === 0) yield* closeConn(r, s);
      return;
    }
    s.got += n;
    while (s.got >= handler.requestBytes) {
      s.got -= handler.requestBytes;
      r.rt.options.onServe?.(s.conn, r.pid);
      yield* onRequest(s);
    }
  }
}

/** Returns a process body for the business logic of one request of *conn* on the calling task's core ("user"). */
export function* businessLogic(rt: ReactorRuntime, conn: Connection): ProcessBody<void> {
  const {host, handler} = rt.server;
  const cpuNs = requestCpuNs(handler, conn);
  if (cpuNs > 0) yield host.cpuWork(cpuNs, "user", "user", 0, "handler");
}

/** Returns a process body that sends the response to one request of *s* and counts it; closes the connection if the client closed and nothing more is owed. */
export function* respond(r: Reactor, s: ConnState): ProcessBody<void> {
  const server = r.rt.server;
  yield* sendCall(server.host, s.sock, server.handler.responseBytes);
  s.requests++;
  server.counters.requestsServed++;
  if (s.closing && s.pending === 0) yield* closeConn(r, s);
}

/** Returns a process body that closes *s*: epoll_ctl(DEL), close(2), the ledgers; emits it as served. */
export function* closeConn(r: Reactor, s: ConnState): ProcessBody<void> {
  const server = r.rt.server;
  const fd = s.conn.fd;
  r.conns.delete(fd);
  yield* r.ep.remove(fd, r.pid);
  yield* closeCall(server.host, server.listener, r.fds, s.conn);
  server.counters.closed++;
  server.connectionClosed();
  s.conn.socket = null;
  r.rt.served$.next({conn: s.conn, pid: r.pid, requests: s.requests});
}

/** Returns a process body for one wait call by *r* (epoll_wait, select or poll). */
export function waitEvents(r: Reactor): ProcessBody<ReadyEvent[]> {
  return r.ep.wait(r.rt.maxEvents, r.pid);
}

/** Returns an Observable of served connections that starts *start* (the Reactors' processes) on subscription. */
export function reactorServed(rt: ReactorRuntime, start: () => Observable<unknown>): Observable<Served> {
  return new Observable<Served>((subscriber) => {
    const sub = rt.served$.subscribe(subscriber);
    sub.add(start().subscribe({error: (e) => subscriber.error(e)}));
    return sub;
  });
}
