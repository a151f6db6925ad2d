/**
 * The nginx variant: N worker processes, each its own Reactor with its own
 * epoll set, each accepting for itself from the one listening socket.
 *
 * - accept mutex off, plain registration: every worker's epoll is on the
 *   listening socket's wait queue, so one new connection wakes every idle
 *   worker; one accept() wins and the others find EAGAIN (the thundering
 *   herd, counted in `listenWakeups` and `spuriousWakeups`).
 * - accept mutex on (nginx's `accept_mutex on`,
 *   ngx_process_events_and_timers and ngx_trylock_accept_mutex,
 *   src/event/ngx_event.c and ngx_event_accept.c): at the top of each
 *   round a worker tries the mutex; the winner adds the listening socket to
 *   its epoll set (if it was not there) and holds the mutex through
 *   epoll_wait, accepts first (posted accept events), then unlocks and
 *   handles the rest; a loser removes the listening socket if it had it and
 *   waits at most accept_mutex_delay (500 ms) before trying again. A worker
 *   with more than 7/8 of worker_connections in use skips the mutex for as
 *   many rounds as it is over (ngx_accept_disabled). One sleeper holds the
 *   listening socket: one worker is woken per new connection.
 * - EPOLLEXCLUSIVE (Linux 4.5): every worker registers the socket with
 *   EPOLLEXCLUSIVE and the wake-up stops at the first sleeping worker.
 * - SO_REUSEPORT (`listen ... reuseport`, Linux 3.9): one listening socket
 *   per worker, the kernel picks one by hash; only its worker is woken.
 */
import type {OperatorFunction} from "rxjs";
import {spawn, type ProcessBody} from "../../engine/process.js";
import {EPOLLIN} from "../../multiplex/index.js";
import type {Connection} from "../../net/Connection.js";
import {FdTable} from "../../net/FdTable.js";
import {fork} from "../internal/tasks.js";
import type {Server} from "../Server.js";
import type {Served} from "../serveConnection.js";
import {acceptNonBlocking, businessLogic, LISTEN_FD, ListenWaitQueue, Reactor, ReactorRuntime, reactorServed, readReady, register, respond, waitEvents, type ConnState, type ReactorOptions} from "./internal.js";

/** How the workers share the listening socket. */
export type AcceptBalancing = "mutex" | "none" | "exclusive" | "reuseport";
export const acceptBalancings: readonly AcceptBalancing[] = ["mutex", "none", "exclusive", "reuseport"];

/** Options of {@link nginxWorkers}. */
export interface NginxWorkersOptions extends ReactorOptions {
  /** Worker processes; default one per core (worker_processes auto). */
  workers?: number;
  /** mutex (accept_mutex on), none (accept_mutex off: the herd), exclusive (EPOLLEXCLUSIVE), reuseport (SO_REUSEPORT); default mutex. */
  balancing?: AcceptBalancing;
  /** accept_mutex_delay, ns; default 500 ms. */
  acceptMutexDelayNs?: number;
  /** worker_connections; default 512. */
  workerConnections?: number;
}

/**
 * The shared accept mutex (a lock in shared memory, tried without waiting:
 * ngx_shmtx_trylock), and the workers whose accept_mutex_delay timer is
 * parked: a timer that would expire while the holder sleeps in epoll_wait
 * holding the mutex could only fail its trylock and change nothing, so it is
 * not simulated; it is re-armed when the holder unlocks (otherwise idle
 * workers would tick every 500 ms for ever and a run would never settle).
 */
interface AcceptMutex {
  holder: number;
  holderWorker: Worker | null;
  parked: Worker[];
}

/** A worker's state between rounds. */
interface Worker {
  r: Reactor;
  /** The listening socket is in its epoll set (ngx_accept_mutex_held). */
  held: boolean;
  /** ngx_accept_disabled. */
  disabled: number;
  /** accept_mutex_delay timer armed, and expired. */
  timerArmed: boolean;
  timerFired: boolean;
  timerFd: number;
  timerCallback: () => void;
}

/**
 * Returns an operator from the listening socket's readiness
 * ({@link Server.queued$}) to served connections, by **workers** forked
 * worker processes (forkNs each, their memory booked), each a Reactor that
 * accepts, reads, runs the logic and sends for its own connections, with
 * the listening socket shared as **balancing** says (see the module header).
 *
 * ```ts
 * server.queued$.pipe(nginxWorkers(server, {workers: 8, balancing: "none"})).subscribe();
 * ```
 * @see singleReactor @see mainSubReactors
 */
export function nginxWorkers(server: Server, options: NginxWorkersOptions = {}): OperatorFunction<Connection, Served> {
  const n = options.workers ?? server.host.cpu.units;
  if (!(Number.isSafeInteger(n) && n > 0)) throw new RangeError(`invalid workers: ${n}; expected an integer > 0`);
  const balancing = options.balancing ?? "mutex";
  return (queued$) => {
    const rt = new ReactorRuntime(server, options);
    const wq = new ListenWaitQueue(rt, queued$);
    const mutex: AcceptMutex = {holder: 0, holderWorker: null, parked: []};
    return reactorServed(rt, () => spawn(server.host.sim, 1, () => master(rt, wq, mutex, n, balancing, options)));
  };
}

function* master(rt: ReactorRuntime, wq: ListenWaitQueue, mutex: AcceptMutex, n: number, balancing: AcceptBalancing, options: NginxWorkersOptions): ProcessBody<void> {
  const server = rt.server;
  const workers: Worker[] = [];
  for (let i = 0; i < n; i++) {
    if (!(yield* fork(server))) break;
    // The worker's table is a copy of the master's: stdio and the listening socket.
    const r = new Reactor(rt, server.newPid(), new FdTable(server.fds.limit, LISTEN_FD + 1));
    const w: Worker = {r, held: false, disabled: 0, timerArmed: false, timerFired: false, timerFd: r.privateFd(), timerCallback: () => {}};
    workers.push(w);
  }
  if (balancing === "reuseport") wq.reuseport = workers.map((w) => w.r);
  server.markReady();
  for (const w of workers) spawn(server.host.sim, w.r.pid, () => workerLoop(w, wq, mutex, balancing, options)).subscribe();
}

/** Re-arms the parked timers (the mutex is free again). */
function unpark(mutex: AcceptMutex, delayNs: number): void {
  const parked = mutex.parked;
  if (parked.length === 0) return;
  mutex.parked = [];
  for (const p of parked) armTimer(p, mutex, delayNs);
}

/** Arms *w*'s accept_mutex_delay timer (the timeout of its next epoll_wait); see {@link AcceptMutex} for parking. */
function armTimer(w: Worker, mutex: AcceptMutex, delayNs: number): void {
  w.timerArmed = true;
  w.r.rt.server.host.sim.scheduler.post(delayNs, () => {
    const h = mutex.holderWorker;
    if (h !== null && h.r.ep.sleeping && w.r.ep.sleeping) {
      mutex.parked.push(w);
      return;
    }
    w.timerArmed = false;
    w.timerFired = true;
    w.timerCallback();
  });
}

function* workerLoop(w: Worker, wq: ListenWaitQueue, mutex: AcceptMutex, balancing: AcceptBalancing, options: NginxWorkersOptions): ProcessBody<void> {
  const r = w.r;
  const server = r.rt.server;
  const delayNs = options.acceptMutexDelayNs ?? 500e6;
  const workerConnections = options.workerConnections ?? 512;
  const useMutex = balancing === "mutex";
  if (!useMutex) yield* wq.add(r, balancing === "exclusive");
  else {
    const {ctl, callback} = r.ep.addSource(w.timerFd, () => (w.timerFired ? EPOLLIN : 0), EPOLLIN, r.pid);
    w.timerCallback = callback;
    yield* ctl;
  }
  const inline = function* (s: ConnState): ProcessBody<void> {
    yield* businessLogic(r.rt, s.conn);
    yield* respond(r, s);
  };
  for (;;) {
    let locked = false;
    if (useMutex) {
      if (w.disabled > 0) {
        // Over 7/8 of worker_connections: no trylock this round; the mutex is free for the others' timers.
        w.disabled--;
        unpark(mutex, delayNs);
      } else if (mutex.holder === 0) {
        // ngx_trylock_accept_mutex: won; enable accept events if not yet.
        mutex.holder = r.pid;
        mutex.holderWorker = w;
        locked = true;
        if (server.host.profile.process.mutexNs > 0) yield server.host.cpuWork(server.host.profile.process.mutexNs, "user");
        if (!w.held) {
          yield* wq.add(r);
          w.held = true;
        }
      } else if (w.held) {
        yield* wq.remove(r);
        w.held = false;
      }
      if (!w.held && !w.timerArmed) armTimer(w, mutex, delayNs);
    }
    const events = yield* waitEvents(r);
    // Accept events first (NGX_POST_EVENTS), then the mutex is released, then the rest.
    for (const ev of events) {
      if (ev.fd !== LISTEN_FD) continue;
      const conn = yield* acceptNonBlocking(r);
      if (conn === null) continue;
      yield* register(r, conn);
      // ngx_event_accept: ngx_accept_disabled = connection_n / 8 − free_connection_n.
      w.disabled = Math.max(0, Math.floor(workerConnections / 8) - (workerConnections - r.conns.size));
    }
    if (locked) {
      mutex.holder = 0;
      mutex.holderWorker = null;
      unpark(mutex, delayNs);
    }
    for (const ev of events) {
      if (ev.fd === LISTEN_FD) continue;
      if (ev.fd === w.timerFd) {
        w.timerFired = false;
        continue;
      }
      yield* readReady(r, ev, inline);
    }
  }
}
