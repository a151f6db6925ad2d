/**
 * The iterative server: one process accepts a connection, serves it to the
 * end, and only then accepts the next. Every other client waits in the
 * accept queue, and once that is full, retries its SYN.
 */
import {concatMap, type OperatorFunction} from "rxjs";
import {spawn, type ProcessBody} from "../../engine/process.js";
import type {Connection} from "../../net/Connection.js";
import {acceptRetrying} from "../internal/tasks.js";
import {mainPid, type Server} from "../Server.js";
import {serveConnection, type Served} from "../serveConnection.js";

/**
 * Returns an operator from the listening socket's readiness (one value per
 * connection queued, {@link Server.queued$}) to served connections: for
 * each, the main process (pid 1) calls accept() and serves the connection
 * it gets to the end before the next accept, as `concatMap` runs one inner
 * at a time. No task is created and nothing competes for the process, so
 * it never switches tasks.
 *
 * ```ts
 * server.queued$.pipe(iterative(server)).subscribe();
 * ```
 * @see processPerConnection @see threadPerConnection @see threadPool
 */
export function iterative(server: Server): OperatorFunction<Connection, Served> {
  return concatMap(() => spawn(server.host.sim, mainPid, () => acceptAndServe(server)));
}

function* acceptAndServe(server: Server): ProcessBody<Served> {
  const conn = yield* acceptRetrying(server, server.fds);
  const requests = yield* serveConnection(server, conn, server.fds);
  return {conn, pid: mainPid, requests};
}
