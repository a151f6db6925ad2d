/**
 * Main + sub Reactors (Netty's boss and worker groups, Memcached's
 * dispatcher and worker threads): the main Reactor only accepts; it hands
 * each connection to one of N sub-Reactors, round robin, through that
 * sub-Reactor's locked queue and eventfd (Memcached's cq_push and notify
 * write, thread.c); the sub-Reactor registers it in its own epoll set and
 * does everything else for it, for the connection's whole life.
 */
import type {OperatorFunction} from "rxjs";
import {spawn, type ProcessBody} from "../../engine/process.js";
import type {Connection} from "../../net/Connection.js";
import {createThread, Mutex} from "../internal/tasks.js";
import {mainPid, type Server} from "../Server.js";
import type {Served} from "../serveConnection.js";
import {acceptNonBlocking, businessLogic, Eventfd, LISTEN_FD, ListenWaitQueue, Reactor, ReactorRuntime, reactorServed, readReady, register, respond, waitEvents, type ConnState, type ReactorOptions} from "./internal.js";

/** Options of {@link mainSubReactors}. */
export interface MainSubReactorsOptions extends ReactorOptions {
  /** Sub-Reactor threads; default one per core. */
  subReactors?: number;
}

/** A sub-Reactor: its Reactor, its hand-off queue under a mutex, its eventfd. */
interface Sub {
  r: Reactor;
  mutex: Mutex;
  handed: Connection[];
  efd: Eventfd;
}

/**
 * Returns an operator from the listening socket's readiness
 * ({@link Server.queued$}) to served connections: the main Reactor
 * (pid 1) creates **subReactors** threads, then per new connection accepts
 * it and hands it to the next sub-Reactor in turn (lock, append, unlock,
 * write its eventfd); each sub-Reactor reads its eventfd, takes the handed
 * connections under the lock, registers them and serves their requests
 * (read, business logic, send) on its own thread.
 *
 * ```ts
 * server.queued$.pipe(mainSubReactors(server, {subReactors: 8})).subscribe();
 * ```
 * @see singleReactor @see nginxWorkers
 */
export function mainSubReactors(server: Server, options: MainSubReactorsOptions = {}): OperatorFunction<Connection, Served> {
  const n = options.subReactors ?? server.host.cpu.units;
  if (!(Number.isSafeInteger(n) && n > 0)) throw new RangeError(`invalid subReactors: ${n}; expected an integer > 0`);
  return (queued$) => {
    const rt = new ReactorRuntime(server, options);
    const main = new Reactor(rt, mainPid, server.fds);
    const wq = new ListenWaitQueue(rt, queued$);
    return reactorServed(rt, () => spawn(server.host.sim, main.pid, () => mainLoop(main, wq, n)));
  };
}

function* mainLoop(main: Reactor, wq: ListenWaitQueue, n: number): ProcessBody<void> {
  const server = main.rt.server;
  const subs: Sub[] = [];
  for (let i = 0; i < n; i++) {
    if (!(yield* createThread(server))) break;
    const r = new Reactor(main.rt, server.newPid(), server.fds);
    const sub: Sub = {r, mutex: new Mutex(server), handed: [], efd: new Eventfd(r)};
    subs.push(sub);
    spawn(server.host.sim, r.pid, () => subLoop(sub)).subscribe();
  }
  server.markReady();
  yield* wq.add(main);
  let next = 0;
  for (;;) {
    const events = yield* waitEvents(main);
    for (const ev of events) {
      if (ev.fd !== LISTEN_FD) continue;
      const conn = yield* acceptNonBlocking(main);
      if (conn === null) continue;
      // Round robin, as Netty's EventExecutorChooser and Memcached's dispatch_conn_new.
      const sub = subs[next];
      next = (next + 1) % subs.length;
      main.rt.counters.handoffs++;
      yield* sub.mutex.lock(main.pid);
      sub.handed.push(conn);
      yield* sub.mutex.unlock();
      yield* sub.efd.signal();
    }
  }
}

function* subLoop(sub: Sub): ProcessBody<void> {
  const r = sub.r;
  yield* sub.efd.register();
  const inline = function* (s: ConnState): ProcessBody<void> {
    yield* businessLogic(r.rt, s.conn);
    yield* respond(r, s);
  };
  for (;;) {
    const events = yield* waitEvents(r);
    for (const ev of events) {
      if (ev.fd === sub.efd.fd) {
        yield* sub.efd.drain();
        yield* sub.mutex.lock(r.pid);
        const conns = sub.handed;
        sub.handed = [];
        yield* sub.mutex.unlock();
        for (const conn of conns) yield* register(r, conn);
      } else yield* readReady(r, ev, inline);
    }
  }
}
