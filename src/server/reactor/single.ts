/**
 * The single Reactor, single thread (Redis-like): one process waits on
 * epoll for the listening socket and every connection, accepts, reads,
 * runs the business logic and sends, all on one core. Nothing is shared,
 * nothing is locked; one slow request delays every other connection (head
 * of line blocking), and more cores do not help.
 */
import type {OperatorFunction} from "rxjs";
import {spawn, type ProcessBody} from "../../engine/process.js";
import type {Connection} from "../../net/Connection.js";
import {mainPid, type Server} from "../Server.js";
import type {Served} from "../serveConnection.js";
import {acceptNonBlocking, businessLogic, LISTEN_FD, ListenWaitQueue, Reactor, ReactorRuntime, reactorServed, readReady, register, respond, waitEvents, type ReactorOptions} from "./internal.js";

/**
 * Returns an operator from the listening socket's readiness
 * ({@link Server.queued$}) to served connections, served by one Reactor
 * (pid 1): each round one epoll_wait, then for the listening socket one
 * non-blocking accept and epoll_ctl(ADD) of the connection, for a
 * connection recv until EAGAIN and, per whole request, the business logic
 * and the send, in the Reactor's own process.
 *
 * ```ts
 * server.queued$.pipe(singleReactor(server)).subscribe();
 * ```
 * @see singleReactorPool @see mainSubReactors @see nginxWorkers
 */
export function singleReactor(server: Server, options: ReactorOptions = {}): OperatorFunction<Connection, Served> {
  return (queued$) => {
    const rt = new ReactorRuntime(server, options);
    const r = new Reactor(rt, mainPid, server.fds);
    const wq = new ListenWaitQueue(rt, queued$);
    return reactorServed(rt, () => spawn(server.host.sim, r.pid, () => loop(r, wq)));
  };
}

function* loop(r: Reactor, wq: ListenWaitQueue): ProcessBody<void> {
  yield* wq.add(r);
  const inline = function* (s: Parameters<typeof respond>[1]): ProcessBody<void> {
    yield* businessLogic(r.rt, s.conn);
    yield* respond(r, s);
  };
  for (;;) {
    const events = yield* waitEvents(r);
    for (const ev of events) {
      if (ev.fd === LISTEN_FD) {
        const conn = yield* acceptNonBlocking(r);
        if (conn !== null) yield* register(r, conn);
      } else yield* readReady(r, ev, inline);
    }
  }
}
