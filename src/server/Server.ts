/**
 * The server side of a server model: one listening socket, the host it runs
 * on, the request handler, and the ledgers every model books in (tasks,
 * memory, descriptors, zombies).
 *
 * Think of a restaurant's back office: whoever serves the tables (one
 * waiter, a waiter hired per party, a fixed crew), the same ledgers record
 * the wages (CPU), the lockers taken (memory, file descriptors) and the
 * staff who left without signing out (zombies). The models in
 * `src/server/models/` differ only in who takes a connection from the
 * accept queue and who serves it; what serving means is
 * {@link serveConnection}'s, shared by all.
 */
import {Subject} from "rxjs";
import type {Host} from "../host/Host.js";
import type {ClientPopulation} from "../net/ClientPopulation.js";
import type {Connection} from "../net/Connection.js";
import {FdTable, defaultNofileLimit} from "../net/FdTable.js";
import {KernelMemory} from "../net/KernelMemory.js";
import type {Listener} from "../net/Listener.js";
import type {NetStack} from "../net/NetStack.js";
import {GiB} from "../units.js";

/** What the server does for one request: read it, run the business logic, send the response. */
export interface RequestHandler {
  /** Bytes of one request (the protocol frames requests by size). */
  requestBytes: number;
  /** Business logic per request, CPU time booked as "user", ns. */
  cpuNs: number;
  /** Bytes of one response. */
  responseBytes: number;
  /** Business logic of a slow request (see **isSlow**), ns; default **cpuNs**. */
  slowCpuNs?: number;
  /** Tells a slow client's connection: its requests cost **slowCpuNs** (a mix of fast and slow requests); default none. */
  isSlow?: (conn: Connection) => boolean;
}

/**
 * Returns the business logic one request of *conn* costs under *handler*,
 * ns: **slowCpuNs** when **isSlow** says the connection is a slow client's,
 * else **cpuNs**.
 *
 * ```ts
 * yield host.cpuWork(requestCpuNs(server.handler, conn), "user", "user", 0, "handler");
 * ```
 */
export function requestCpuNs(handler: RequestHandler, conn: Connection): number {
  return handler.isSlow !== undefined && handler.slowCpuNs !== undefined && handler.isSlow(conn) ? handler.slowCpuNs : handler.cpuNs;
}

/** Why the server turned a connection away after accepting it: no process or thread fit in memory (oom), or select could not watch its descriptor (fd-setsize: fd ≥ FD_SETSIZE). */
export type RefusalReason = "oom" | "fd-setsize";

/** Counters of a {@link Server}. */
export interface ServerCounters {
  /** Connections accepted. */
  accepted: number;
  /** Connections served to the end and closed. */
  closed: number;
  /** Requests answered. */
  requestsServed: number;
  /** Connections closed at once because a process or thread could not be created (memory limit): fork/clone failing with ENOMEM/EAGAIN. */
  oomFailures: number;
  /** Connections closed at once because their descriptor was 1024 or more and the server waits with select (an fd_set holds 0–1023, FD_SETSIZE). */
  fdSetRefusals: number;
  /** Processes forked (server children). */
  forks: number;
  /** Threads created. */
  threadsCreated: number;
  /** Children that exited. */
  exits: number;
  /** Zombies reaped by wait(). */
  reaped: number;
  /** Most zombies at once. */
  peakZombies: number;
  /** Most processes and threads alive at once (the main one included). */
  peakTasks: number;
  /** Lock acquisitions that found the lock held. */
  lockContentions: number;
  /** Virtual time tasks spent waiting for a lock (spinning or asleep), ns. */
  lockWaitNs: number;
  /** accept() calls that failed with EMFILE and were retried. */
  acceptRetries: number;
  /** Most connections accepted and not yet closed at once. */
  peakOpenConnections: number;
}

/** Options of a {@link Server}. */
export interface ServerOptions {
  /** The listening socket. */
  listener: Listener;
  /** The data path its connections use. */
  stack: NetStack;
  /** The clients, told when the server resets a connection. */
  clients: ClientPopulation;
  /** What serving a request means. */
  handler: RequestHandler;
  /** RLIMIT_NOFILE of the server process (soft); default 1024. */
  fdLimit?: number;
  /** Memory the server may use, kernel and user together, bytes: a process or thread that would exceed it is not created; default 2 GiB (the C10K budget). */
  memoryLimitBytes?: number;
  /** Pause before retrying an accept() that failed with EMFILE, ns; default 1 ms (0 retries at once: a spinning server). */
  emfileBackoffNs?: number;
}

/** The default memory budget: 2 GiB, the C10K budget (the seed: 2 GB of memory for 10,000 connections). */
export const defaultMemoryLimitBytes = 2 * GiB;

/** The default pause before an accept() retried after EMFILE: 1 ms. */
export const defaultEmfileBackoffNs = 1e6;

/** Pid of the server's main process (its first thread). */
export const mainPid = 1;

/**
 * Returns the shared state of a server on *host*: its main process (pid 1,
 * its memory booked), its fd table (stdio and the listening socket open),
 * and ledgers of kernel and user memory with one peak over both.
 *
 * ```ts
 * const server = new Server(host, {listener, stack, clients, handler});
 * server.queued$.pipe(threadPerConnection(server)).subscribe();
 * ```
 * @see serveConnection
 */
export class Server {
  readonly listener: Listener;
  readonly stack: NetStack;
  readonly clients: ClientPopulation;
  readonly handler: RequestHandler;
  /** The main process's descriptors (threads share them; a forked child gets a copy). */
  readonly fds: FdTable;
  /** Kernel memory: the listener's sockets and request socks, and the tasks' kernel objects. */
  readonly kernelMemory: KernelMemory;
  readonly memoryLimitBytes: number;
  readonly emfileBackoffNs: number;
  /** Resident user memory now (process RSS, thread stacks), bytes. */
  userBytes = 0;
  /** Virtual memory reserved for thread stacks now, bytes. */
  stackVirtualBytes = 0;
  peakUserBytes = 0;
  peakStackVirtualBytes = 0;
  /** Most kernel + user memory at once, bytes. */
  peakTotalBytes = 0;
  /** Most connected sockets the kernel held at once (in the accept queue or accepted). */
  peakSockets = 0;
  /** Zombies now: children that exited and were not waited for. */
  zombies = 0;
  /** Processes and threads alive now. */
  tasks = 0;
  readonly counters: ServerCounters = {
    accepted: 0,
    closed: 0,
    requestsServed: 0,
    oomFailures: 0,
    fdSetRefusals: 0,
    forks: 0,
    threadsCreated: 0,
    exits: 0,
    reaped: 0,
    peakZombies: 0,
    peakTasks: 0,
    lockContentions: 0,
    lockWaitNs: 0,
    acceptRetries: 0,
    peakOpenConnections: 0,
  };
  /** Connections accepted and not yet closed. */
  openConnections = 0;
  /** Emits each connection as it enters the accept queue: the listening socket's readiness, one value per connection. */
  readonly queued$ = new Subject<Connection>();
  /** Memory the tasks held when the server became ready to serve (no connection yet), bytes: the baseline memory returns to once every connection has closed. */
  baselineBytes = 0;
  /** The next pid handed out. */
  private nextPid = mainPid + 1;

  constructor(
    readonly host: Host,
    options: ServerOptions,
  ) {
    this.listener = options.listener;
    this.stack = options.stack;
    this.clients = options.clients;
    this.handler = options.handler;
    this.kernelMemory = options.listener.memory;
    // The stack books its sockets' buffers in the same ledger as the listener's sockets.
    this.stack.memory ??= this.kernelMemory;
    // The kernel's socket allocations come out of the same memory: a full machine drops handshakes (Listener.memoryDrops).
    this.listener.memoryAvailable = (bytes) => this.fits(bytes);
    this.memoryLimitBytes = options.memoryLimitBytes ?? defaultMemoryLimitBytes;
    this.emfileBackoffNs = options.emfileBackoffNs ?? defaultEmfileBackoffNs;
    // stdin, stdout, stderr and the listening socket.
    this.fds = new FdTable(options.fdLimit ?? defaultNofileLimit, 4);
    this.kernelMemory.onChange = () => this.notePeak();
    this.listener.onEstablished = (conn) => this.queued$.next(conn);
    // The main process: its private pages and its kernel objects.
    const p = host.profile.process;
    this.taskStarted();
    this.kernelMemory.add("task", p.processKernelBytes);
    this.addUser(p.processRssBytes);
    this.markReady();
  }

  /** Records the baseline: what the tasks hold now (kernel task objects, zombies, user memory), without any connection's. */
  markReady(): void {
    this.baselineBytes = this.kernelMemory.byKind.task + this.kernelMemory.byKind.zombie + this.userBytes;
  }

  /** An accept() returned a connection. */
  connectionAccepted(): void {
    this.counters.accepted++;
    if (++this.openConnections > this.counters.peakOpenConnections) this.counters.peakOpenConnections = this.openConnections;
  }

  /** An accepted connection was closed (served to the end, or refused). */
  connectionClosed(): void {
    this.openConnections--;
  }

  /** Returns a fresh pid (or tid) for a new process or thread. */
  newPid(): number {
    return this.nextPid++;
  }

  /** Kernel and user memory held now, bytes. */
  get totalBytes(): number {
    return this.kernelMemory.bytes + this.userBytes;
  }

  /** Returns whether *bytes* more would stay within the memory limit. */
  fits(bytes: number): boolean {
    return this.totalBytes + bytes <= this.memoryLimitBytes;
  }

  /** Books *bytes* of resident user memory. */
  addUser(bytes: number): void {
    this.userBytes += bytes;
    if (this.userBytes > this.peakUserBytes) this.peakUserBytes = this.userBytes;
    this.notePeak();
  }

  /** Frees *bytes* of resident user memory. */
  freeUser(bytes: number): void {
    if (bytes > this.userBytes) throw new RangeError(`freeing ${bytes} bytes of user memory, only ${this.userBytes} held`);
    this.userBytes -= bytes;
  }

  /** Reserves (or, negative, releases) *bytes* of thread-stack address space. */
  reserveStack(bytes: number): void {
    this.stackVirtualBytes += bytes;
    if (this.stackVirtualBytes > this.peakStackVirtualBytes) this.peakStackVirtualBytes = this.stackVirtualBytes;
  }

  /** A process or thread started. */
  taskStarted(): void {
    if (++this.tasks > this.counters.peakTasks) this.counters.peakTasks = this.tasks;
  }

  /** A process or thread ended. */
  taskEnded(): void {
    this.tasks--;
  }

  /** A child became a zombie. */
  zombieAdded(): void {
    if (++this.zombies > this.counters.peakZombies) this.counters.peakZombies = this.zombies;
  }

  /**
   * Turns *conn* away after accepting it (its process or thread could not be
   * created): the descriptor is closed with unread data, so the kernel
   * resets the connection (tcp_close(): data unread → RST,
   * net/ipv4/tcp.c), and the client learns after the link's latency.
   */
  refused(conn: Connection, reason: RefusalReason): void {
    if (reason === "oom") this.counters.oomFailures++;
    else this.counters.fdSetRefusals++;
    this.clients.sendRst(conn);
  }

  private notePeak(): void {
    const total = this.kernelMemory.bytes + this.userBytes;
    if (total > this.peakTotalBytes) this.peakTotalBytes = total;
    const sockets = this.kernelMemory.byKind.socket / this.host.profile.net.socketBytes;
    if (sockets > this.peakSockets) this.peakSockets = sockets;
  }
}
