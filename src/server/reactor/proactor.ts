/**
 * The Proactor over io_uring: the application hands the kernel whole
 * operations (accept, recv into a buffer, send from one) as SQEs and is
 * told of *completed* I/O as CQEs. N threads, each with its own ring, each
 * keeping one accept in flight on the shared listening socket; per
 * connection the cycle is recv → (business logic) → send → recv. SQEs are
 * queued in user space and submitted **batch** at a time by one
 * io_uring_enter (or when there is nothing to reap and the thread must
 * wait), so the system calls per request fall as the batch grows.
 *
 * Linux native AIO (io_submit) is the other Proactor API, but it is
 * asynchronous only for files opened with O_DIRECT (fs/aio.c hands other
 * files and sockets to their synchronous read_iter/write_iter, which
 * blocks): {@link checkProactorApi} refuses it for sockets.
 */
import type {OperatorFunction} from "rxjs";
import {spawn, type ProcessBody} from "../../engine/process.js";
import {InputError} from "../../errors.js";
import type {Connection} from "../../net/Connection.js";
import {closeCall} from "../../net/socketCalls.js";
import {IoUring, type Cqe} from "../../uring/IoUring.js";
import {createThread} from "../internal/tasks.js";
import {mainPid, type Server} from "../Server.js";
import type {Served} from "../serveConnection.js";
import {businessLogic, ReactorRuntime, reactorServed, type ConnState, type ReactorOptions} from "./internal.js";

/** The asynchronous I/O interface of a Proactor. */
export type ProactorApi = "uring" | "aio";

/**
 * Throws an {@link InputError} naming *param* for an API that cannot do
 * asynchronous socket I/O: Linux native AIO only for O_DIRECT files.
 */
export function checkProactorApi(api: ProactorApi, param = "variant", value: string = api): void {
  if (api === "aio")
    throw new InputError(param, value, "proactor-uring: Linux native AIO (io_submit) is asynchronous only for files opened with O_DIRECT; on a socket it runs the blocking send/recv inside io_submit, so it cannot serve a Proactor");
}

/** Options of {@link proactorUring}. */
export interface ProactorUringOptions extends ReactorOptions {
  /** Threads, each with its own ring; default one per core. */
  threads?: number;
  /** SQEs queued before an io_uring_enter submits them (fewer when the thread must wait); default 1. */
  batch?: number;
  /** Ring entries; default 4096. */
  entries?: number;
}

/** A request of the Proactor: what its completion means. */
interface Op {
  kind: "accept" | "recv" | "send";
  s: ConnState | null;
}

/**
 * Returns an operator from the listening socket's readiness
 * ({@link Server.queued$}) to served connections, served by **threads**
 * Proactor threads (the first is pid 1; the others created with
 * threadCreateNs), each with an io_uring of **entries**: see the module
 * header.
 *
 * ```ts
 * server.queued$.pipe(proactorUring(server, {threads: 8, batch: 16})).subscribe();
 * ```
 * @see singleReactor
 */
export function proactorUring(server: Server, options: ProactorUringOptions = {}): OperatorFunction<Connection, Served> {
  const threads = options.threads ?? server.host.cpu.units;
  const batch = options.batch ?? 1;
  if (!(Number.isSafeInteger(threads) && threads > 0)) throw new RangeError(`invalid threads: ${threads}; expected an integer > 0`);
  if (!(Number.isSafeInteger(batch) && batch > 0)) throw new InputError("batch", String(batch), "an integer ≥ 1");
  return () => {
    const rt = new ReactorRuntime(server, options);
    return reactorServed(rt, () => spawn(server.host.sim, mainPid, () => start(rt, threads, batch, options.entries ?? 4096)));
  };
}

function* start(rt: ReactorRuntime, threads: number, batch: number, entries: number): ProcessBody<void> {
  const server = rt.server;
  const pids = [mainPid];
  for (let i = 1; i < threads; i++) {
    if (!(yield* createThread(server))) break;
    pids.push(server.newPid());
  }
  server.markReady();
  for (const pid of pids.slice(1)) spawn(server.host.sim, pid, () => loop(rt, pid, batch, entries)).subscribe();
  yield* loop(rt, mainPid, batch, entries);
}

function* loop(rt: ReactorRuntime, pid: number, batch: number, entries: number): ProcessBody<void> {
  const server = rt.server;
  const {host, handler, listener} = server;
  const ring = new IoUring(host, {pid, entries});
  const prepRecv = (s: ConnState) => ring.prep({op: "recv", sock: s.sock, maxBytes: handler.requestBytes - s.got, userData: {kind: "recv", s} satisfies Op});
  ring.prep({op: "accept", listener, fds: server.fds, userData: {kind: "accept", s: null} satisfies Op});
  for (;;) {
    // Submit when a batch is queued, or when nothing is left to reap (then wait for one completion in the same call).
    if (ring.queued >= batch || ring.ready === 0) {
      rt.counters.sqesSubmitted += yield* ring.enter(ring.ready === 0 ? 1 : 0);
      rt.counters.uringEnters++;
    }
    const cqes: Cqe[] = ring.reap();
    for (const cqe of cqes) {
      const op = cqe.userData as Op;
      if (op.kind === "accept") {
        ring.prep({op: "accept", listener, fds: server.fds, userData: {kind: "accept", s: null} satisfies Op});
        if (cqe.conn === undefined) {
          server.counters.acceptRetries++;
          continue;
        }
        server.connectionAccepted();
        const s: ConnState = {conn: cqe.conn, sock: server.stack.socket(cqe.conn), got: 0, pending: 0, closing: false, requests: 0};
        prepRecv(s);
        continue;
      }
      const s = op.s!;
      if (op.kind === "recv") {
        if (cqe.res === 0) {
          // The client closed: close(2) (IORING_OP_CLOSE is not modelled; a plain call).
          yield* closeCall(host, listener, server.fds, s.conn);
          server.counters.closed++;
          server.connectionClosed();
          s.conn.socket = null;
          rt.served$.next({conn: s.conn, pid, requests: s.requests});
          continue;
        }
        s.got += cqe.res;
        if (s.got < handler.requestBytes) {
          prepRecv(s);
          continue;
        }
        s.got = 0;
        rt.options.onServe?.(s.conn, pid);
        yield* businessLogic(rt, s.conn);
        ring.prep({op: "send", sock: s.sock, bytes: handler.responseBytes, userData: {kind: "send", s} satisfies Op});
      } else {
        s.requests++;
        server.counters.requestsServed++;
        prepRecv(s);
      }
    }
  }
}
