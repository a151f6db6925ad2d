/**
 * The server's side of the socket API as system calls: listen(), accept(),
 * close(), send() and recv(), each a process body that pays the mode switches and the
 * kernel's work on a core, like every other system call in iosim.
 */
import {wait, type ProcessBody} from "../engine/process.js";
import type {Host} from "../host/Host.js";
import {fromMemory, intoSocketBuffer} from "../host/profiles.js";
import {syscall} from "../kernel/syscall.js";
import type {Connection} from "./Connection.js";
import {EmfileError, type FdTable} from "./FdTable.js";
import type {Listener} from "./Listener.js";
import type {SkBuff} from "./SkBuff.js";
import type {TcpSocket} from "./TcpSocket.js";

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
export function acceptCall(host: Host, listener: Listener, fds: FdTable): ProcessBody<{fd: number; conn: Connection} | EmfileError> {
  return syscall(host, "accept", acceptBody(host, listener, fds));
}

/** The kernel work of accept(2) without the system call around it (fd reservation, inet_csk_accept), for callers already in the kernel (io_uring). */
export function* acceptBody(host: Host, listener: Listener, fds: FdTable): ProcessBody<{fd: number; conn: Connection} | EmfileError> {
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
 * descriptor returns to *fds* and its socket's memory (objects, and the
 * skbs its queues still hold) to the kernel. (The
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

/**
 * send(2) or recv(2) on a non-blocking socket would have blocked: EAGAIN
 * (EWOULDBLOCK). A result, as the kernel's -EAGAIN is, not an exception:
 * it is never thrown, so it is not an `Error` (whose construction captures
 * a stack trace: an event loop meets EAGAIN on every drained socket, and at
 * 100,000 connections capturing it was a tenth of the run). One frozen
 * instance per call, {@link EAGAIN_SEND} and {@link EAGAIN_RECV}; test with
 * `instanceof EagainError`.
 */
export class EagainError {
  readonly name = "EagainError";
  readonly message: string;
  constructor(readonly call: "send" | "recv") {
    this.message = `EAGAIN: ${call} would block`;
    Object.freeze(this);
  }
  toString(): string {
    return `${this.name}: ${this.message}`;
  }
}

/** The EAGAIN that {@link sendBody} returns. */
export const EAGAIN_SEND = new EagainError("send");
/** The EAGAIN that {@link recvBody} returns. */
export const EAGAIN_RECV = new EagainError("recv");

/** Options of {@link sendCall} and {@link recvCall}. */
export interface SocketIoOptions {
  /** O_NONBLOCK (or MSG_DONTWAIT): return EAGAIN instead of blocking; default false. */
  nonBlocking?: boolean;
}

/**
 * Returns a process body for send(2) (write(2) on a socket takes the same
 * path: sock_write_iter → tcp_sendmsg) of *bytes* on *sock*: its result is
 * the bytes sent, or an {@link EagainError} when the socket is non-blocking
 * and its send buffer is full.
 *
 * tcp_sendmsg_locked() (net/ipv4/tcp.c lines 1083–1380) copies the user's
 * bytes into skbs, one copy per skb's worth (skb_copy_to_page_nocache(), line
 * 1277: the one CPU copy on the way out, "user→skb"), charging
 * sk_wmem_queued; when the send buffer is full it sets SOCK_NOSPACE and
 * sleeps in sk_stream_wait_memory() (line 1371) until ACKs free space and
 * sk_stream_write_space() finds the socket writable (free ≥ half of what is
 * queued). Each copied chunk is pushed at once (tcp_push; Nagle and
 * autocorking are not modelled); the segments leave through the
 * {@link NetStack}'s transmit loop.
 *
 * ```ts
 * const sent = yield* sendCall(host, sock, 1 * MiB);
 * ```
 * @see recvCall
 */
export function sendCall(host: Host, sock: TcpSocket, bytes: number, options: SocketIoOptions = {}): ProcessBody<number | EagainError> {
  if (!(Number.isSafeInteger(bytes) && bytes >= 0)) throw new RangeError(`invalid bytes: ${bytes}; expected an integer ≥ 0`);
  return syscall(host, "send", sendBody(host, sock, bytes, options.nonBlocking ?? false));
}

/** The kernel work of send(2) without the system call around it (tcp_sendmsg_locked), for callers already in the kernel (io_uring). */
export function* sendBody(host: Host, sock: TcpSocket, bytes: number, nonBlocking: boolean): ProcessBody<number | EagainError> {
  const stack = sock.stack;
  let copied = 0;
  while (copied < bytes) {
    const space = sock.sendSpace;
    if (space <= 0) {
      sock.noSpace = true;
      if (nonBlocking) {
        if (copied > 0) return copied;
        sock.counters.eagainWrites++;
        return EAGAIN_SEND;
      }
      sock.counters.blockedWrites++;
      yield wait(sock.waitWritable());
      continue;
    }
    const n = Math.min(bytes - copied, space, stack.sizeGoal(sock));
    sock.wmemQueued += n;
    yield host.cpuCopy(n, "user→skb", intoSocketBuffer);
    stack.queueSend(sock, n);
    copied += n;
  }
  return copied;
}

/**
 * Returns a process body for recv(2) (read(2) on a socket: sock_read_iter →
 * tcp_recvmsg) of up to *maxBytes* from *sock*: its result is the bytes
 * read (0 at end of file: the peer closed and the queue is empty), or an
 * {@link EagainError} when the socket is non-blocking and nothing is queued.
 *
 * tcp_recvmsg_locked() (net/ipv4/tcp.c lines 2640–2850) sleeps while the
 * receive queue is empty (sk_wait_data; here a signal the socket fires when
 * data or a FIN arrives), then copies from each queued skb in turn
 * (skb_copy_datagram_msg(), line 2828: the one CPU copy on the way in,
 * "skb→user"), up to *maxBytes*, without waiting for more; then
 * tcp_cleanup_rbuf() may send a window update.
 *
 * ```ts
 * const r = yield* recvCall(host, sock, 64 * KiB, {nonBlocking: true});
 * if (r instanceof EagainError) ...
 * ```
 * @see sendCall
 */
export function recvCall(host: Host, sock: TcpSocket, maxBytes: number, options: SocketIoOptions = {}): ProcessBody<number | EagainError> {
  if (!(Number.isSafeInteger(maxBytes) && maxBytes > 0)) throw new RangeError(`invalid maxBytes: ${maxBytes}; expected an integer > 0`);
  return syscall(host, "recv", recvBody(host, sock, maxBytes, options.nonBlocking ?? false));
}

/** The kernel work of recv(2) without the system call around it (tcp_recvmsg_locked), for callers already in the kernel (io_uring). */
export function* recvBody(host: Host, sock: TcpSocket, maxBytes: number, nonBlocking: boolean): ProcessBody<number | EagainError> {
  while (sock.rcvQueued === 0) {
    if (sock.peerClosed) return 0;
    if (nonBlocking) {
      sock.counters.eagainReads++;
      return EAGAIN_RECV;
    }
    sock.counters.blockedReads++;
    yield wait(sock.waitReadable());
  }
  let copied = 0;
  while (copied < maxBytes && sock.rcvQueued > 0) {
    const q = sock.rcvQueue;
    const skb = q[sock.rcvHead];
    const n = Math.min(skb.payloadBytes - sock.rcvOffset, maxBytes - copied);
    // The bytes are taken from the queue before the copy runs (the socket is locked for it in Linux).
    sock.rcvOffset += n;
    sock.rcvQueued -= n;
    if (sock.rcvOffset === skb.payloadBytes) {
      // All of it read: tcp_eat_recv_skb() frees it, and sock_rfree() uncharges its truesize
      // (Linux 6.1.192 net/ipv4/tcp.c lines 1658–1667; net/core/sock.c lines 2546–2553).
      if (skb.truesize > 0) sock.stack.memUncharge(sock, skb.truesize);
      q[sock.rcvHead++] = null as unknown as SkBuff;
      sock.rcvOffset = 0;
      if (sock.rcvHead === q.length) {
        q.length = 0;
        sock.rcvHead = 0;
      }
    }
    yield host.cpuCopy(n, "skb→user", fromMemory);
    copied += n;
    sock.counters.bytesToUser += n;
  }
  sock.stack.afterRead(sock, copied);
  return copied;
}
