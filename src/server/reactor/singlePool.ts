/**
 * The single Reactor with a worker pool: the Reactor thread accepts, reads
 * and sends; the business logic runs on N worker threads. A request goes to
 * the workers through a queue under a mutex (a condition variable wakes an
 * idle worker); its result comes back through a second locked queue and an
 * eventfd the Reactor watches in its epoll set. The Reactor stays one
 * thread: under a burst it becomes the bottleneck, and both locks are
 * contended (their waits booked as "lock-wait").
 */
import {merge, type OperatorFunction} from "rxjs";
import {Signal, spawn, type ProcessBody} from "../../engine/process.js";
import {sleepOn, syscall} from "../../kernel/syscall.js";
import type {Connection} from "../../net/Connection.js";
import {createThread, Mutex} from "../internal/tasks.js";
import {mainPid, type Server} from "../Server.js";
import type {Served} from "../serveConnection.js";
import {acceptNonBlocking, businessLogic, Eventfd, LISTEN_FD, ListenWaitQueue, Reactor, ReactorRuntime, reactorServed, readReady, register, respond, waitEvents, type ConnState, type ReactorOptions} from "./internal.js";

/** Options of {@link singleReactorPool}. */
export interface SingleReactorPoolOptions extends ReactorOptions {
  /** Worker threads; default one per core. */
  workers?: number;
}

/** A queue of requests (or results) under a mutex, with sleepers on its condition variable. */
class LockedQueue {
  readonly mutex: Mutex;
  items: ConnState[] = [];
  head = 0;
  readonly idle: Array<Signal<void>> = [];
  constructor(server: Server) {
    this.mutex = new Mutex(server);
  }
  get length(): number {
    return this.items.length - this.head;
  }
  shift(): ConnState {
    const s = this.items[this.head++];
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    }
    return s;
  }
}

/**
 * Returns an operator from the listening socket's readiness
 * ({@link Server.queued$}) to served connections: a Reactor (pid 1) and
 * **workers** threads created once (threadCreateNs each). Per request the
 * Reactor locks the request queue, appends, unlocks and signals an idle
 * worker (futex_wake); a worker takes it under the lock, runs the business
 * logic, locks the result queue, appends, unlocks and writes the eventfd;
 * the Reactor, woken by the eventfd in its epoll set, reads it, takes every
 * result under the lock and sends the responses.
 *
 * ```ts
 * server.queued$.pipe(singleReactorPool(server, {workers: 8})).subscribe();
 * ```
 * @see singleReactor
 */
export function singleReactorPool(server: Server, options: SingleReactorPoolOptions = {}): OperatorFunction<Connection, Served> {
  const workers = options.workers ?? server.host.cpu.units;
  if (!(Number.isSafeInteger(workers) && workers > 0)) throw new RangeError(`invalid workers: ${workers}; expected an integer > 0`);
  return (queued$) => {
    const rt = new ReactorRuntime(server, options);
    const r = new Reactor(rt, mainPid, server.fds);
    const wq = new ListenWaitQueue(rt, queued$);
    const requests = new LockedQueue(server);
    const results = new LockedQueue(server);
    const efd = new Eventfd(r);
    const sim = server.host.sim;
    return reactorServed(rt, () =>
      merge(
        spawn(sim, r.pid, () => reactorLoop(r, wq, efd, requests, results, workers)),
      ),
    );
  };
}

function* reactorLoop(r: Reactor, wq: ListenWaitQueue, efd: Eventfd, requests: LockedQueue, results: LockedQueue, workers: number): ProcessBody<void> {
  const server = r.rt.server;
  const sim = server.host.sim;
  // The pool, created once.
  for (let i = 0; i < workers; i++) {
    if (!(yield* createThread(server))) break;
    const tid = server.newPid();
    spawn(sim, tid, () => worker(r, tid, efd, requests, results)).subscribe();
  }
  server.markReady();
  yield* wq.add(r);
  yield* efd.register();
  const offload = function* (s: ConnState): ProcessBody<void> {
    s.pending++;
    r.rt.counters.offloaded++;
    yield* requests.mutex.lock(r.pid);
    requests.items.push(s);
    const sleeper = requests.idle.shift();
    yield* requests.mutex.unlock();
    if (sleeper !== undefined) {
      // pthread_cond_signal: futex_wake of one idle worker.
      yield* syscall(server.host, "futex");
      sleeper.fire();
    }
  };
  for (;;) {
    const events = yield* waitEvents(r);
    for (const ev of events) {
      if (ev.fd === LISTEN_FD) {
        const conn = yield* acceptNonBlocking(r);
        if (conn !== null) yield* register(r, conn);
      } else if (ev.fd === efd.fd) {
        yield* efd.drain();
        yield* results.mutex.lock(r.pid);
        const done: ConnState[] = [];
        while (results.length > 0) done.push(results.shift());
        yield* results.mutex.unlock();
        for (const s of done) {
          s.pending--;
          yield* respond(r, s);
        }
      } else yield* readReady(r, ev, offload);
    }
  }
}

function* worker(r: Reactor, tid: number, efd: Eventfd, requests: LockedQueue, results: LockedQueue): ProcessBody<void> {
  const host = r.rt.server.host;
  for (;;) {
    yield* requests.mutex.lock(tid);
    while (requests.length === 0) {
      // pthread_cond_wait: release the lock, sleep in futex_wait, take the lock again once woken.
      const signal = new Signal<void>();
      requests.idle.push(signal);
      yield* requests.mutex.unlock();
      yield* syscall(host, "futex", sleepOn(signal));
      yield* requests.mutex.lock(tid);
    }
    const s = requests.shift();
    yield* requests.mutex.unlock();
    yield* businessLogic(r.rt, s.conn);
    yield* results.mutex.lock(tid);
    results.items.push(s);
    yield* results.mutex.unlock();
    yield* efd.signal();
  }
}
