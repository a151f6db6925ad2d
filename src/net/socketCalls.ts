/**
 * The server's side of the socket API as system calls: listen(), accept()
 * and close(), each a process body that pays the mode switches and the
 * kernel's work on a core, like every other system call in iosim.
 */
import {wait, type ProcessBody} from "../engine/process.js";
import type {Host} from "../host/Host.js";
import {syscall} from "../kernel/syscall.js";
import type {Connection} from "./Connection.js";
import {EmfileError, type FdTable} from "./FdTable.js";
import type {Listener} from "./Listener.js";

/** Returns a process body for listen(2) on *listener*'s socket: one system call (the queues are the Listener's). */
export function* listenCall(host: Host, listener: Listener): ProcessBody<number> {
  yield* syscall(host, "listen");
  return listener.maxAckBacklog;
}

/**
 * Returns a process body for a blocking accept(2): its result is the new
 * descriptor and its connection, or an {@link EmfileError} when *fds* is
 * full.
 *
 * The order is Linux's (net/socket.c __sys_accept4_file(), lines
 * 2011–2036): the descriptor is reserved first (get_unused_fd_flags(),
 * line 2024), so at RLIMIT_NOFILE the call fails with EMFILE at once and
 * the connection stays in the accept queue; only then does
 * inet_csk_accept() (net/ipv4/inet_connection_sock.c lines 663–693) block
 * while the queue is empty (inet_csk_wait_for_connect, an exclusive wait:
 * one connection wakes one caller) and take the oldest connection
 * (reqsk_queue_remove). The work after waking (the socket's file, the fd
 * install) costs the profile's `net.acceptNs`, booked as "syscall".
 *
 * ```ts
 * const r = yield* acceptCall(host, listener, fds);
 * if (r instanceof EmfileError) ... else r.fd, r.conn
 * ```
 * @see closeCall
 */
export function* acceptCall(host: Host, listener: Listener, fds: FdTable): ProcessBody<{fd: number; conn: Connection} | EmfileError> {
  const result = yield* syscall(host, "accept", () => acceptBody(host, listener, fds));
  return result!;
}

function* acceptBody(host: Host, listener: Listener, fds: FdTable): ProcessBody<{fd: number; conn: Connection} | EmfileError> {
  const fd = fds.allocate();
  if (fd < 0) return new EmfileError(fds.limit);
  let conn = listener.takeAccepted();
  while (conn === null) {
    yield wait(listener.waitForConnection());
    conn = listener.takeAccepted();
  }
  yield host.cpuWork(host.profile.net.acceptNs, "syscall");
  conn.serverState = "accepted";
  conn.fd = fd;
  conn.acceptedNs = host.sim.scheduler.now();
  return {fd, conn};
}

/**
 * Returns a process body for close(2) of an accepted connection: its
 * descriptor returns to *fds* and its socket's memory to the kernel. (The
 * FIN exchange and TIME_WAIT are not modelled yet: the memory is freed at
 * once.)
 */
export function* closeCall(host: Host, listener: Listener, fds: FdTable, conn: Connection): ProcessBody<void> {
  if (conn.serverState !== "accepted") throw new RangeError(`close of connection ${conn.id} in state ${conn.serverState}`);
  yield* syscall(host, "close");
  fds.close(conn.fd);
  conn.fd = -1;
  conn.serverState = "closed";
  listener.releaseSocket(conn);
}
