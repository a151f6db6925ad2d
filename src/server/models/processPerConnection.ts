/**
 * Process per connection (the classic forking server): the parent accepts,
 * forks a child for the connection, closes its own copy of the descriptor
 * and accepts again; the child serves the connection and exits. A child
 * that exits stays a zombie until its parent waits for it.
 */
import {concatMap, of, type OperatorFunction} from "rxjs";
import {spawn, type ProcessBody} from "../../engine/process.js";
import {mergeProcesses} from "../../engine/mergeProcesses.js";
import type {Connection} from "../../net/Connection.js";
import {FdTable} from "../../net/FdTable.js";
import {acceptRetrying, closeCopy, exitProcess, fork, reap, refuse} from "../internal/tasks.js";
import {mainPid, type Server} from "../Server.js";
import {serveConnection, type Served} from "../serveConnection.js";

/** Options of {@link processPerConnection}. */
export interface ProcessPerConnectionOptions {
  /** The parent waits for each child that exits (a SIGCHLD handler calling waitpid); false: it never does, and zombies accumulate. Default true. */
  reap?: boolean;
}

/** A forked child and its connection (pid 0: the fork failed and the connection was refused). */
interface Child {
  pid: number;
  conn: Connection;
  /** The child's copy of the parent's descriptor table. */
  fds: FdTable | null;
}

/**
 * Returns an operator from the listening socket's readiness
 * ({@link Server.queued$}) to served connections, one child process per
 * connection: the parent (pid 1) accepts, forks (the profile's forkNs, the
 * child's kernel objects and private pages booked; a fork that would pass
 * the memory limit fails and the connection is reset, counted in
 * `oomFailures`) and closes its copy of the descriptor; each child (a new
 * pid) serves its connection with its own copy of the descriptor table and
 * exits (exitNs), becoming a zombie. With **reap** (default) the parent's
 * SIGCHLD handler reaps each at once (wait4: waitNs); without it zombies
 * accumulate (`Server.zombies`).
 *
 * ```ts
 * server.queued$.pipe(processPerConnection(server, {reap: false})).subscribe();
 * ```
 * @see iterative @see threadPerConnection @see threadPool
 */
export function processPerConnection(server: Server, options: ProcessPerConnectionOptions = {}): OperatorFunction<Connection, Served> {
  const reapChildren = options.reap ?? true;
  const sim = server.host.sim;
  return (queued$) =>
    queued$.pipe(
      concatMap(() => spawn(sim, mainPid, () => acceptAndFork(server))),
      mergeProcesses((child: Child) =>
        child.fds === null ? of<Served>({conn: child.conn, pid: mainPid, requests: 0}) : spawn(sim, child.pid, () => childBody(server, child, reapChildren)),
      ),
    );
}

function* acceptAndFork(server: Server): ProcessBody<Child> {
  const conn = yield* acceptRetrying(server, server.fds);
  if (!(yield* fork(server))) {
    yield* refuse(server, conn, server.fds);
    return {pid: 0, conn, fds: null};
  }
  // The child's table is a copy of the parent's, the new descriptor included.
  const fds = new FdTable(server.fds.limit, conn.fd + 1);
  const child: Child = {pid: server.newPid(), conn, fds};
  // The parent closes its copy; the socket lives on in the child.
  yield* closeCopy(server, server.fds, conn.fd);
  return child;
}

function* childBody(server: Server, child: Child, reapChildren: boolean): ProcessBody<Served> {
  const requests = yield* serveConnection(server, child.conn, child.fds!);
  yield* exitProcess(server);
  // SIGCHLD: the parent's handler runs wait4() for the child (or the signal is ignored by a parent that never waits).
  if (reapChildren) spawn(server.host.sim, mainPid, () => reap(server)).subscribe();
  return {conn: child.conn, pid: child.pid, requests};
}

