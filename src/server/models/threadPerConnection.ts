/**
 * Thread per connection: the main thread accepts and creates a thread for
 * each connection; the thread serves it and exits. Threads share the
 * process's memory and descriptor table, so RLIMIT_NOFILE bounds the
 * connections served at once.
 */
import {concatMap, of, type OperatorFunction} from "rxjs";
import {spawn, type ProcessBody} from "../../engine/process.js";
import {mergeProcesses} from "../../engine/mergeProcesses.js";
import type {Connection} from "../../net/Connection.js";
import {acceptRetrying, createThread, exitThread, refuse} from "../internal/tasks.js";
import {mainPid, type Server} from "../Server.js";
import {serveConnection, type Served} from "../serveConnection.js";

/** A created thread and its connection (tid 0: creation failed, the connection was refused). */
interface Thread {
  tid: number;
  conn: Connection;
}

/**
 * Returns an operator from the listening socket's readiness
 * ({@link Server.queued$}) to served connections, one detached thread per
 * connection: the main thread (pid 1) accepts (an EMFILE at the shared
 * descriptor table's limit is retried, see {@link Server}) and calls
 * pthread_create (threadCreateNs; the thread's kernel objects, resident
 * stack and 8 MiB of stack address space booked; a thread that would pass
 * the memory limit is not created and the connection is reset, counted in
 * `oomFailures`); the thread (a new tid) serves the connection and exits
 * (threadExitNs), freeing its stack.
 *
 * ```ts
 * server.queued$.pipe(threadPerConnection(server)).subscribe();
 * ```
 * @see iterative @see processPerConnection @see threadPool
 */
export function threadPerConnection(server: Server): OperatorFunction<Connection, Served> {
  const sim = server.host.sim;
  return (queued$) =>
    queued$.pipe(
      concatMap(() => spawn(sim, mainPid, () => acceptAndCreate(server))),
      mergeProcesses((t: Thread) => (t.tid === 0 ? of<Served>({conn: t.conn, pid: mainPid, requests: 0}) : spawn(sim, t.tid, () => threadBody(server, t)))),
    );
}

function* acceptAndCreate(server: Server): ProcessBody<Thread> {
  const conn = yield* acceptRetrying(server, server.fds);
  if (!(yield* createThread(server))) {
    yield* refuse(server, conn, server.fds);
    return {tid: 0, conn};
  }
  return {tid: server.newPid(), conn};
}

function* threadBody(server: Server, t: Thread): ProcessBody<Served> {
  const requests = yield* serveConnection(server, t.conn, server.fds);
  yield* exitThread(server);
  return {conn: t.conn, pid: t.tid, requests};
}
