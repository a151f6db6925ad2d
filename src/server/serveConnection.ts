/**
 * The one request handler every server model runs: read a request, run the
 * business logic on a core, send the response, until the client closes;
 * then close the connection.
 */
import type {ProcessBody} from "../engine/process.js";
import type {Connection} from "../net/Connection.js";
import type {FdTable} from "../net/FdTable.js";
import {closeCall, EagainError, recvCall, sendCall} from "../net/socketCalls.js";
import {requestCpuNs, type Server} from "./Server.js";

/** A connection a model has finished with. */
export interface Served {
  conn: Connection;
  /** The process or thread that served it. */
  pid: number;
  /** Requests answered on it (0: refused). */
  requests: number;
}

/**
 * Returns a process body that serves accepted connection *conn* with
 * *server*'s handler, with descriptors *fds* (the process's own table):
 * blocking recv() until a whole request of **requestBytes** is in (a read
 * returning 0 is the client's FIN: the loop ends), **cpuNs** of business
 * logic booked as "user", a blocking send() of **responseBytes**; at the
 * end close(2), which returns the descriptor and the socket's kernel memory.
 * Its result is the number of requests answered.
 *
 * ```ts
 * const requests = yield* serveConnection(server, conn, server.fds);
 * ```
 */
export function* serveConnection(server: Server, conn: Connection, fds: FdTable): ProcessBody<number> {
  const {host, handler} = server;
  const sock = server.stack.socket(conn);
  let requests = 0;
  for (;;) {
    let got = 0;
    while (got < handler.requestBytes) {
      const r = yield* recvCall(host, sock, handler.requestBytes - got);
      if (r === 0 || r instanceof EagainError) break;
      got += r;
    }
    // End of file (the client closed), or a request cut short by it.
    if (got < handler.requestBytes) break;
    const cpuNs = requestCpuNs(handler, conn);
    if (cpuNs > 0) yield host.cpuWork(cpuNs, "user", "user", 0, "handler");
    yield* sendCall(host, sock, handler.responseBytes);
    requests++;
    server.counters.requestsServed++;
  }
  yield* closeCall(host, server.listener, fds, conn);
  server.counters.closed++;
  server.connectionClosed();
  // The socket's state is gone with the connection (nothing of it stays on the heap).
  conn.socket = null;
  return requests;
}
