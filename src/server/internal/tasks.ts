/**
 * The pieces the server models share: accept with EMFILE retries, process
 * and thread creation and exit with their memory, a mutex whose waits are
 * booked as CPU category "lock-wait", and the refusal of a connection whose
 * task could not be created.
 */
import {Signal, sleep, use, wait, type ProcessBody} from "../../engine/process.js";
import {syscall} from "../../kernel/syscall.js";
import type {Connection} from "../../net/Connection.js";
import {EmfileError, type FdTable} from "../../net/FdTable.js";
import {acceptCall, closeCall} from "../../net/socketCalls.js";
import type {RefusalReason, Server} from "../Server.js";

/** CPU category of fork, clone, exit and wait work. */
export const TASK_CATEGORY = "process";
/** CPU category of time spent spinning for, or entering the kernel to wait for, a lock. */
export const LOCK_WAIT = "lock-wait";

/**
 * Returns a process body that accepts one connection on *server*'s listener
 * with *fds*: an accept() failing with EMFILE leaves the connection queued
 * (see acceptCall) and is retried after the server's **emfileBackoffNs**
 * (0: at once, a spinning server); every failed call is counted.
 */
export function* acceptRetrying(server: Server, fds: FdTable): ProcessBody<Connection> {
  for (;;) {
    const r = yield* acceptCall(server.host, server.listener, fds);
    if (!(r instanceof EmfileError)) {
      server.connectionAccepted();
      return r.conn;
    }
    server.counters.acceptRetries++;
    if (server.emfileBackoffNs > 0) yield sleep(server.emfileBackoffNs);
  }
}

/** Returns a process body that turns accepted *conn* away for *reason* (default oom): close(2), then the client is reset (see Server.refused). */
export function* refuse(server: Server, conn: Connection, fds: FdTable, reason: RefusalReason = "oom"): ProcessBody<void> {
  yield* closeCall(server.host, server.listener, fds, conn);
  conn.socket = null;
  server.connectionClosed();
  server.refused(conn, reason);
}

/** A system call whose kernel work is *ns* booked under *category*. */
function kernelCall(server: Server, name: string, ns: number, category: string): ProcessBody<void> {
  return syscall(server.host, name, kernelWork(server, ns, category));
}

/** The kernel work of {@link kernelCall}. */
function* kernelWork(server: Server, ns: number, category: string): ProcessBody<void> {
  if (ns > 0) yield server.host.cpuWork(ns, category);
}

/** Memory a forked child takes: kernel objects, resident pages. */
export function processBytes(server: Server): number {
  const p = server.host.profile.process;
  return p.processKernelBytes + p.processRssBytes;
}

/** Memory a thread takes: kernel objects, resident stack. */
export function threadBytes(server: Server): number {
  const p = server.host.profile.process;
  return p.threadKernelBytes + p.stackRssBytes;
}

/**
 * Returns a process body for fork(2) in the parent: the profile's forkNs of
 * copy_process() (kernel/fork.c line 1926), and the child's kernel objects
 * and private pages booked. Returns false, creating nothing, when the child
 * would exceed the memory limit (fork fails with ENOMEM: copy_process's
 * allocations, kernel/fork.c lines 295–402).
 */
export function* fork(server: Server): ProcessBody<boolean> {
  if (!server.fits(processBytes(server))) return false;
  const p = server.host.profile.process;
  yield* kernelCall(server, "fork", p.forkNs, TASK_CATEGORY);
  // Checked again: other tasks may have taken memory while the fork ran.
  if (!server.fits(processBytes(server))) return false;
  server.kernelMemory.add("task", p.processKernelBytes);
  server.addUser(p.processRssBytes);
  server.counters.forks++;
  server.taskStarted();
  return true;
}

/**
 * Returns a process body for a child's exit(2): do_exit() frees its pages
 * and most of its kernel objects; what is left is a zombie (exit_state =
 * EXIT_ZOMBIE, kernel/exit.c line 749) holding zombieKernelBytes until its
 * parent waits.
 */
export function* exitProcess(server: Server): ProcessBody<void> {
  const p = server.host.profile.process;
  yield* kernelCall(server, "exit", p.exitNs, TASK_CATEGORY);
  server.freeUser(p.processRssBytes);
  server.kernelMemory.free("task", p.processKernelBytes);
  server.kernelMemory.add("zombie", p.zombieKernelBytes);
  server.counters.exits++;
  server.taskEnded();
  server.zombieAdded();
}

/** Returns a process body for wait4(2) in the parent reaping one zombie: wait_task_zombie → release_task (kernel/exit.c lines 1168, 244). */
export function* reap(server: Server): ProcessBody<void> {
  const p = server.host.profile.process;
  yield* kernelCall(server, "wait4", p.waitNs, TASK_CATEGORY);
  server.kernelMemory.free("zombie", p.zombieKernelBytes);
  server.zombies--;
  server.counters.reaped++;
}

/**
 * Returns a process body for pthread_create(3) in the creating thread: the
 * profile's threadCreateNs (stack mapping, clone), then the thread's kernel
 * objects, resident stack and stack address space booked. Returns false
 * when the thread would exceed the memory limit (clone fails with EAGAIN).
 */
export function* createThread(server: Server): ProcessBody<boolean> {
  if (!server.fits(threadBytes(server))) return false;
  const p = server.host.profile.process;
  yield* kernelCall(server, "clone", p.threadCreateNs, TASK_CATEGORY);
  if (!server.fits(threadBytes(server))) return false;
  server.kernelMemory.add("task", p.threadKernelBytes);
  server.addUser(p.stackRssBytes);
  server.reserveStack(p.stackVirtualBytes);
  server.counters.threadsCreated++;
  server.taskStarted();
  return true;
}

/** Returns a process body for a detached thread's exit: its stack and kernel objects are freed (nothing waits for it). */
export function* exitThread(server: Server): ProcessBody<void> {
  const p = server.host.profile.process;
  yield* kernelCall(server, "exit", p.threadExitNs, TASK_CATEGORY);
  server.freeUser(p.stackRssBytes);
  server.reserveStack(-p.stackVirtualBytes);
  server.kernelMemory.free("task", p.threadKernelBytes);
  server.taskEnded();
}

/** Returns a process body for close(2) of a descriptor whose socket another process still holds (the parent's copy after fork). */
export function* closeCopy(server: Server, fds: FdTable, fd: number): ProcessBody<void> {
  yield* syscall(server.host, "close");
  fds.close(fd);
}

/**
 * A mutex between the threads of one process, with futex semantics: an
 * uncontended lock is an atomic in user space (mutexNs, booked "user");
 * a contended one spins mutexSpinNs on its core, then enters the kernel
 * (futex_wait) and sleeps until the holder's unlock wakes it (futex_wake)
 * and hands the lock over. The spin and the futex_wait's kernel work are
 * booked as CPU category "lock-wait"; the time asleep is counted in the
 * server's lockWaitNs, not as CPU. (glibc's unlock does not hand the lock
 * to the woken thread, which must compete for it again; the hand-over keeps
 * the model deterministic and free of starvation, and costs the same.)
 */
export class Mutex {
  /** Pid of the holder, or 0. */
  holder = 0;
  /** Sleeping waiters, first come first served. */
  private readonly sleepers: Array<{pid: number; signal: Signal<void>}> = [];

  constructor(private readonly server: Server) {}

  /** Returns a process body that takes the lock for task *pid*. */
  *lock(pid: number): ProcessBody<void> {
    const server = this.server;
    const host = server.host;
    const p = host.profile.process;
    if (this.holder !== 0) {
      server.counters.lockContentions++;
      const t0 = host.sim.scheduler.now();
      if (p.mutexSpinNs > 0) yield use(host.cpu, p.mutexSpinNs, LOCK_WAIT);
      if (this.holder !== 0) {
        yield host.modeSwitch("user→kernel");
        if (p.futexNs > 0) yield host.cpuWork(p.futexNs, LOCK_WAIT, "syscall", 0, "futex");
        if (this.holder !== 0) {
          const signal = new Signal<void>();
          this.sleepers.push({pid, signal});
          yield wait(signal);
        } else this.holder = pid;
        yield host.modeSwitch("kernel→user");
        server.counters.lockWaitNs += host.sim.scheduler.now() - t0;
        if (p.mutexNs > 0) yield host.cpuWork(p.mutexNs, "user");
        return;
      }
      server.counters.lockWaitNs += host.sim.scheduler.now() - t0;
    }
    this.holder = pid;
    // The atomic itself, inside the critical section.
    if (p.mutexNs > 0) yield host.cpuWork(p.mutexNs, "user");
  }

  /** Returns a process body that releases the lock held by the caller, waking (and handing it to) the first sleeper if any. */
  *unlock(): ProcessBody<void> {
    const next = this.sleepers.shift();
    if (next === undefined) {
      this.holder = 0;
      return;
    }
    this.holder = next.pid;
    yield* kernelCall(this.server, "futex", this.server.host.profile.process.futexNs, "syscall");
    next.signal.fire();
  }
}
