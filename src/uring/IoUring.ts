/**
 * io_uring: two rings shared by a process and the kernel, the Proactor's
 * interface on Linux (Reactor 和 Proactor: the kernel does the I/O and says
 * when it is *done*).
 *
 * Like a restaurant's order rail and pass: the waiter clips any number of
 * tickets on the rail (SQEs, written in user space, no system call), rings
 * the bell once (one io_uring_enter for the whole batch), and later takes
 * the finished plates from the pass (CQEs, read in user space; a system call
 * only to wait when the pass is empty). The kitchen does each order its own
 * way: a dish already prepared goes out at once, one that needs the oven
 * comes out when the oven is done, and one that waits for an ingredient
 * gets a note to call back when the delivery arrives.
 *
 * The rules are Linux 6.18's (io_uring/io_uring.c, io_uring/rw.c):
 * - `io_uring_enter(to_submit, min_complete, GETEVENTS)` (io_uring.c line
 *   3477) submits the queued SQEs in one call (io_submit_sqes, line 2438)
 *   and then waits for *min_complete* completions (io_cqring_wait).
 * - Each SQE is first issued inline, non-blocking (io_queue_sqe, line 2087,
 *   IO_URING_F_NONBLOCK). What can finish at once finishes inside the call
 *   and its CQE is posted before the call returns ("inline"): a NOP, a read
 *   of pages already in the page cache, a recv with data queued, a send
 *   with room in the send buffer.
 * - A read with O_DIRECT is queued to the device (-EIOCBQUEUED, rw.c line
 *   993) and completes at its interrupt ("device").
 * - A buffered read of pages not yet cached starts the disk read and waits
 *   for the pages through a wake-up callback on the page (rw.c
 *   io_rw_should_retry), then copies them out in the submitter's task work
 *   ("page-wait"): no worker thread.
 * - A socket operation that would block returns -EAGAIN, and io_queue_async
 *   (line 2062) arms the request's internal poll (io_arm_poll_handler): when
 *   the socket becomes ready, the poll callback queues task work that
 *   retries the operation ("poll").
 *
 * Costs: the system call (two mode switches and the entry work), the
 * profile's `uring.sqeNs` per SQE (preparing, issuing, posting the CQE),
 * `uring.pollArmNs` per armed poll, and each operation's own work (the
 * driver programming the device, the copies), all on the host's cores.
 * Work finished after the call returns runs as the submitting task (task
 * work runs in its context), so it adds no task switch of its own.
 * Simplified: one ring per process, no SQPOLL thread, no registered buffers
 * or files, no linked SQEs, no CQ overflow (the CQ is as large as the
 * caller keeps it).
 */
import {Subject} from "rxjs";
import {launch, Signal, wait, type ProcessBody} from "../engine/process.js";
import {InputError} from "../errors.js";
import type {Host} from "../host/Host.js";
import {filemapRead} from "../kernel/bufferedRead.js";
import {directSubmit} from "../kernel/directIo.js";
import {syscall} from "../kernel/syscall.js";
import type {FileRef} from "../mm/pageCache.js";
import type {Connection} from "../net/Connection.js";
import {EmfileError, type FdTable} from "../net/FdTable.js";
import type {Listener} from "../net/Listener.js";
import {acceptBody, EagainError, recvBody, sendBody} from "../net/socketCalls.js";
import type {TcpSocket} from "../net/TcpSocket.js";

/** A submission-queue entry: one operation, and the caller's tag returned with its completion. */
export type Sqe =
  | {op: "nop"; userData?: unknown}
  /** read(2) of a file at an offset; *direct*: the file was opened with O_DIRECT. */
  | {op: "read"; file: FileRef; offsetBytes: number; bytes: number; direct?: boolean; userData?: unknown}
  /** recv(2) of up to *maxBytes* from a connected socket. */
  | {op: "recv"; sock: TcpSocket; maxBytes: number; userData?: unknown}
  /** send(2) of *bytes* on a connected socket (a short count when the send buffer fills, as a non-blocking send). */
  | {op: "send"; sock: TcpSocket; bytes: number; userData?: unknown}
  /** accept(2) on a listening socket into the process's fd table; the CQE's *conn* is the connection (res −EMFILE at the descriptor limit). */
  | {op: "accept"; listener: Listener; fds: FdTable; userData?: unknown};

/** How a request finished: inside the call, at the device's interrupt, after waiting for pages, or after its poll fired. */
export type CompletionPath = "inline" | "device" | "page-wait" | "poll";

/** A completion-queue entry. */
export interface Cqe {
  op: Sqe["op"];
  userData: unknown;
  /** The operation's result: bytes moved (0 for a NOP, or at the end of a socket's stream), the new descriptor of an accept, or a negative errno (−24, EMFILE). */
  res: number;
  /** The accepted connection (accept only, when it succeeded). */
  conn?: Connection;
  path: CompletionPath;
  /** Virtual time the SQE was issued (inside io_uring_enter), ns. */
  submittedNs: number;
  /** Virtual time the CQE was posted, ns. */
  postedNs: number;
}

/** What a ring did, counted as it happened. */
export interface IoUringCounters {
  /** io_uring_enter calls. */
  enters: number;
  /** SQEs issued. */
  submitted: number;
  /** CQEs posted, by how the request finished. */
  inline: number;
  device: number;
  pageWait: number;
  polled: number;
  /** CQEs the application took from the ring. */
  reaped: number;
}

/** Options of an {@link IoUring}. */
export interface IoUringOptions {
  /** Submission-queue entries, a power of two from 1 to 32768 (io_uring_setup's limit, IORING_MAX_ENTRIES); default 256. */
  entries?: number;
  /** The process that owns the ring; default 1. */
  pid?: number;
}

/** EMFILE (include/uapi/asm-generic/errno-base.h): a CQE's res is the negative errno. */
const emfile = 24;

/** IORING_MAX_ENTRIES (io_uring/io_uring.c). */
export const maxRingEntries = 32768;

/**
 * Returns a ring (io_uring_setup) on *host* for process **pid**. Queue SQEs
 * with {@link IoUring.prep}, submit them with {@link IoUring.enter}, take
 * completions with {@link IoUring.reap} or {@link IoUring.waitCqes}; every
 * CQE is also emitted on **completions$** as it is posted, the stream a
 * Proactor dispatches from.
 *
 * ```ts
 * const ring = new IoUring(host, {pid: 1});
 * ring.prep({op: "read", file, offsetBytes: 0, bytes: 64 * KiB, direct: true, userData: "a"});
 * ring.prep({op: "recv", sock, maxBytes: 4096, userData: "b"});
 * yield* ring.enter();                  // one system call for both
 * const cqes = yield* ring.waitCqes(2); // blocks only if fewer than 2 are posted
 * ```
 */
export class IoUring {
  /** Every CQE as it is posted. */
  readonly completions$ = new Subject<Cqe>();
  readonly counters: IoUringCounters = {enters: 0, submitted: 0, inline: 0, device: 0, pageWait: 0, polled: 0, reaped: 0};
  readonly entries: number;
  readonly pid: number;
  /** SQEs written but not yet submitted. */
  private sq: Sqe[] = [];
  /** Posted CQEs not yet reaped, from cqHead on. */
  private cq: Cqe[] = [];
  private cqHead = 0;
  /** Fired when a CQE is posted while the owner waits in io_cqring_wait. */
  private posted: Signal<void> | null = null;
  /** Requests issued and not yet completed. */
  private pending = 0;

  constructor(
    readonly host: Host,
    options: IoUringOptions = {},
  ) {
    const entries = options.entries ?? 256;
    if (!(Number.isSafeInteger(entries) && entries >= 1 && entries <= maxRingEntries && (entries & (entries - 1)) === 0))
      throw new InputError("entries", String(entries), `a power of two from 1 to ${maxRingEntries}`);
    this.entries = entries;
    this.pid = options.pid ?? 1;
  }

  /** SQEs queued and not yet submitted. */
  get queued(): number {
    return this.sq.length;
  }

  /** CQEs posted and not yet reaped. */
  get ready(): number {
    return this.cq.length - this.cqHead;
  }

  /** Requests submitted and not yet completed. */
  get inFlight(): number {
    return this.pending;
  }

  /** Writes *sqe* into the submission ring (user space: no system call, no kernel work). A full ring is an error naming **entries**. */
  prep(sqe: Sqe): void {
    if (this.sq.length >= this.entries) throw new InputError("entries", String(this.entries), `room for SQE ${this.sq.length + 1}: submit with enter() before queueing more`);
    this.sq.push(sqe);
  }

  /**
   * Returns a process body for one io_uring_enter: submits every queued SQE
   * (each issued inline, non-blocking), then, if *minComplete* > 0, waits
   * until that many CQEs are ready. Its result is the number submitted.
   */
  *enter(minComplete = 0): ProcessBody<number> {
    const batch = this.sq;
    this.sq = [];
    this.counters.enters++;
    const self = this;
    yield* syscall(this.host, "io_uring_enter", function* () {
      for (const sqe of batch) yield* self.issue(sqe);
      // The kernel would sleep until a signal; a simulation would end with the process blocked for good.
      if (minComplete > self.ready + self.pending)
        throw new InputError("minComplete", String(minComplete), `at most the ${self.ready + self.pending} requests posted or in flight`);
      while (self.ready < minComplete) {
        self.posted ??= new Signal<void>();
        yield wait(self.posted);
      }
    });
    return batch.length;
  }

  /** Returns up to *max* posted CQEs, oldest first, taken from the ring in user space (no system call). */
  reap(max = Infinity): Cqe[] {
    const n = Math.min(max, this.ready);
    const out = this.cq.slice(this.cqHead, this.cqHead + n);
    this.cqHead += n;
    if (this.cqHead === this.cq.length) {
      this.cq = [];
      this.cqHead = 0;
    }
    this.counters.reaped += n;
    return out;
  }

  /**
   * Returns a process body that takes at least *min* CQEs: from the ring
   * without a system call when enough are posted (liburing's
   * io_uring_wait_cqe peeks first), else through io_uring_enter with
   * GETEVENTS (submitting whatever is queued in the same call).
   */
  *waitCqes(min = 1): ProcessBody<Cqe[]> {
    if (this.ready < min || this.sq.length > 0) yield* this.enter(min);
    return this.reap();
  }

  /** Issues one SQE inside io_uring_enter: its share of the call's work, then its own path. */
  private *issue(sqe: Sqe): ProcessBody<void> {
    const host = this.host;
    const submittedNs = host.sim.scheduler.now();
    this.counters.submitted++;
    this.pending++;
    yield host.cpuWork(host.profile.uring.sqeNs, "uring", null, 0, sqe.op);
    switch (sqe.op) {
      case "nop":
        this.post(sqe, 0, "inline", submittedNs);
        return;
      case "read":
        if (sqe.direct) {
          const done = yield* directSubmit(host, sqe.file, sqe.offsetBytes, sqe.bytes, this.pid);
          // The device moved whole blocks; the result is what read(2) returns.
          const n = bytesRead(sqe);
          done.then(() => this.post(sqe, n, "device", submittedNs));
          return;
        }
        if (host.pageCache.upToDate(sqe.file, sqe.offsetBytes, sqe.bytes)) {
          yield* filemapRead(host, sqe.file, sqe.offsetBytes, sqe.bytes, this.pid);
          this.post(sqe, bytesRead(sqe), "inline", submittedNs);
          return;
        }
        this.later(this.pageWaitRead(sqe, submittedNs));
        return;
      case "recv": {
        if (sqe.sock.rcvQueued > 0 || sqe.sock.peerClosed) {
          const n = yield* recvBody(host, sqe.sock, sqe.maxBytes, true);
          this.post(sqe, n instanceof EagainError ? 0 : n, "inline", submittedNs);
          return;
        }
        yield host.cpuWork(host.profile.uring.pollArmNs, "uring-poll", null, 0, "recv");
        this.later(this.polledRecv(sqe, submittedNs));
        return;
      }
      case "accept": {
        // The descriptor is reserved first, as accept4 does: at RLIMIT_NOFILE the CQE carries −EMFILE at once.
        if (sqe.listener.acceptQueueLength > 0 || (sqe.fds.open >= sqe.fds.limit)) {
          const r = yield* acceptBody(host, sqe.listener, sqe.fds);
          this.postAccept(sqe, r, "inline", submittedNs);
          return;
        }
        yield host.cpuWork(host.profile.uring.pollArmNs, "uring-poll", null, 0, "accept");
        this.later(this.polledAccept(sqe, submittedNs));
        return;
      }
      case "send": {
        if (sqe.sock.sendSpace > 0) {
          const n = yield* sendBody(host, sqe.sock, sqe.bytes, true);
          this.post(sqe, n instanceof EagainError ? 0 : n, "inline", submittedNs);
          return;
        }
        yield host.cpuWork(host.profile.uring.pollArmNs, "uring-poll", null, 0, "send");
        this.later(this.polledSend(sqe, submittedNs));
        return;
      }
    }
  }

  /** Runs *body* after the call, as the owner's task work (same task: no switch of its own). */
  private later(body: ProcessBody<void>): void {
    launch(this.host.sim, this.pid, body);
  }

  /** A buffered read that waits for its pages (io_rw_should_retry's page wake-up), then copies them out. */
  private *pageWaitRead(sqe: Extract<Sqe, {op: "read"}>, submittedNs: number): ProcessBody<void> {
    yield* filemapRead(this.host, sqe.file, sqe.offsetBytes, sqe.bytes, this.pid);
    this.post(sqe, bytesRead(sqe), "page-wait", submittedNs);
  }

  /** A recv whose poll fires when data (or the peer's FIN) arrives, then retried. */
  private *polledRecv(sqe: Extract<Sqe, {op: "recv"}>, submittedNs: number): ProcessBody<void> {
    while (sqe.sock.rcvQueued === 0 && !sqe.sock.peerClosed) yield wait(sqe.sock.waitReadable());
    const n = yield* recvBody(this.host, sqe.sock, sqe.maxBytes, true);
    this.post(sqe, n instanceof EagainError ? 0 : n, "poll", submittedNs);
  }

  /** An accept whose poll fires when a connection completes its handshake, then retried. */
  private *polledAccept(sqe: Extract<Sqe, {op: "accept"}>, submittedNs: number): ProcessBody<void> {
    while (sqe.listener.acceptQueueLength === 0 && sqe.fds.open < sqe.fds.limit) yield wait(sqe.listener.waitForConnection());
    const r = yield* acceptBody(this.host, sqe.listener, sqe.fds);
    this.postAccept(sqe, r, "poll", submittedNs);
  }

  /** Posts an accept's CQE: the descriptor and connection, or −EMFILE. */
  private postAccept(sqe: Sqe, r: {fd: number; conn: Connection} | EmfileError, path: CompletionPath, submittedNs: number): void {
    if (r instanceof EmfileError) this.post(sqe, -emfile, path, submittedNs);
    else this.post(sqe, r.fd, path, submittedNs, r.conn);
  }

  /** A send whose poll fires when the send buffer has room, then retried. */
  private *polledSend(sqe: Extract<Sqe, {op: "send"}>, submittedNs: number): ProcessBody<void> {
    while (sqe.sock.sendSpace <= 0) yield wait(sqe.sock.waitWritable());
    const n = yield* sendBody(this.host, sqe.sock, sqe.bytes, true);
    this.post(sqe, n instanceof EagainError ? 0 : n, "poll", submittedNs);
  }

  /** Posts the CQE of *sqe* and wakes the owner if it waits for completions. */
  private post(sqe: Sqe, res: number, path: CompletionPath, submittedNs: number, conn?: Connection): void {
    const cqe: Cqe = {op: sqe.op, userData: sqe.userData, res, path, submittedNs, postedNs: this.host.sim.scheduler.now()};
    if (conn) cqe.conn = conn;
    this.pending--;
    this.cq.push(cqe);
    if (path === "inline") this.counters.inline++;
    else if (path === "device") this.counters.device++;
    else if (path === "page-wait") this.counters.pageWait++;
    else this.counters.polled++;
    this.completions$.next(cqe);
    const w = this.posted;
    if (w) {
      this.posted = null;
      w.fire();
    }
  }
}

/** A read's result, as read(2) returns it: the bytes asked for, cut at the end of the file. */
function bytesRead(sqe: Extract<Sqe, {op: "read"}>): number {
  return Math.max(0, Math.min(sqe.bytes, sqe.file.sizeBytes - sqe.offsetBytes));
}
