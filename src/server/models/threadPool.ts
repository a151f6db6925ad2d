/**
 * A thread pool: the main thread creates N worker threads once, then only
 * accepts, putting each connection on a shared queue guarded by a mutex;
 * an idle worker sleeps on a condition variable until the queue has work,
 * takes one connection under the lock and serves it to the end. Memory and
 * threads stay fixed however many clients come; connections beyond N wait
 * in the queue.
 */
import {concatMap, defer, ignoreElements, merge, mergeMap, repeat, type Observable, type OperatorFunction} from "rxjs";
import {Signal, spawn, wait, type ProcessBody} from "../../engine/process.js";
import {sleepOn, syscall} from "../../kernel/syscall.js";
import type {Connection} from "../../net/Connection.js";
import {acceptRetrying, createThread, Mutex} from "../internal/tasks.js";
import {mainPid, type Server} from "../Server.js";
import {serveConnection, type Served} from "../serveConnection.js";

/** Options of {@link threadPool}. */
export interface ThreadPoolOptions {
  /** Worker threads; default one per core. */
  threads?: number;
}

/** The shared queue of accepted connections, its lock and its condition variable. */
class WorkQueue {
  /** Guards `items` and `idle`. */
  readonly mutex: Mutex;
  /** Accepted connections not taken yet, from `head` on. */
  private items: Connection[] = [];
  private head = 0;
  /** Workers asleep on the condition variable, each on its own signal. */
  readonly idle: Array<Signal<void>> = [];
  /** Fired when the pool is created (the acceptor starts then). */
  readonly ready = new Signal<void>();
  /** Most connections queued at once. */
  peakLength = 0;

  constructor(server: Server) {
    this.mutex = new Mutex(server);
  }

  get length(): number {
    return this.items.length - this.head;
  }

  push(conn: Connection): void {
    this.items.push(conn);
    if (this.length > this.peakLength) this.peakLength = this.length;
  }

  shift(): Connection {
    const conn = this.items[this.head++];
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    }
    return conn;
  }
}

/**
 * Returns an operator from the listening socket's readiness
 * ({@link Server.queued$}) to served connections, served by a fixed pool
 * of **threads** workers: on subscription the main thread (pid 1) creates
 * them (threadCreateNs each, their memory booked once); then for each
 * connection queued it accepts, locks the queue's mutex, appends, unlocks
 * and signals the condition variable (futex_wake) if a worker sleeps. Each
 * worker locks, sleeps on the condition variable while the queue is empty
 * (futex_wait; the lock is released meanwhile), takes the oldest
 * connection, unlocks and serves it, then comes back for the next — as
 * `merge` of N `repeat`ed workers, RxJS's way of saying "N at a time". Time
 * spent waiting for the lock is booked as CPU category "lock-wait" (the
 * spin and the futex entry) and counted in `lockWaitNs`.
 *
 * ```ts
 * server.queued$.pipe(threadPool(server, {threads: 64})).subscribe();
 * ```
 * @see iterative @see processPerConnection @see threadPerConnection
 */
export function threadPool(server: Server, options: ThreadPoolOptions = {}): OperatorFunction<Connection, Served> {
  const threads = options.threads ?? server.host.cpu.units;
  if (!(Number.isSafeInteger(threads) && threads > 0)) throw new RangeError(`invalid threads: ${threads}; expected an integer > 0`);
  const sim = server.host.sim;
  return (queued$) => {
    const queue = new WorkQueue(server);
    const worker = (tid: number): Observable<Served> => defer(() => spawn(sim, tid, () => takeAndServe(server, queue, tid))).pipe(repeat());
    const workers$ = spawn(sim, mainPid, () => createPool(server, queue, threads)).pipe(mergeMap((tids) => merge(...tids.map(worker))));
    const acceptor$ = queued$.pipe(
      concatMap(() => spawn(sim, mainPid, () => acceptAndEnqueue(server, queue))),
      ignoreElements(),
    );
    return merge(workers$, acceptor$);
  };
}

function* createPool(server: Server, queue: WorkQueue, threads: number): ProcessBody<number[]> {
  const tids: number[] = [];
  for (let i = 0; i < threads; i++) {
    if (!(yield* createThread(server))) break;
    tids.push(server.newPid());
  }
  server.markReady();
  queue.ready.fire();
  return tids;
}

function* acceptAndEnqueue(server: Server, queue: WorkQueue): ProcessBody<void> {
  yield wait(queue.ready);
  const conn = yield* acceptRetrying(server, server.fds);
  yield* queue.mutex.lock(mainPid);
  queue.push(conn);
  const sleeper = queue.idle.shift();
  yield* queue.mutex.unlock();
  // pthread_cond_signal: a futex_wake when a worker sleeps.
  if (sleeper !== undefined) {
    yield* syscall(server.host, "futex");
    sleeper.fire();
  }
}

function* takeAndServe(server: Server, queue: WorkQueue, tid: number): ProcessBody<Served> {
  yield* queue.mutex.lock(tid);
  while (queue.length === 0) {
    // pthread_cond_wait: release the lock, sleep in futex_wait, take the lock again once woken.
    const signal = new Signal<void>();
    queue.idle.push(signal);
    yield* queue.mutex.unlock();
    yield* syscall(server.host, "futex", sleepOn(signal));
    yield* queue.mutex.lock(tid);
  }
  const conn = queue.shift();
  yield* queue.mutex.unlock();
  const requests = yield* serveConnection(server, conn, server.fds);
  return {conn, pid: tid, requests};
}
