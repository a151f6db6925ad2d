/**
 * What select, poll and epoll share: readiness events, the counters every
 * wait call keeps, the way a call pays for its CPU, and the scan-based core
 * of select and poll.
 *
 * Like a night porter with a ring of keys. select and poll walk every door
 * on the corridor on each round and try the handle (the kernel polls every
 * descriptor), then hand the whole ring back to the guest, who checks every
 * key tag again (user space scans the whole set). epoll gives each door a
 * bell wired to a board at the desk (ep_poll_callback on the socket's wait
 * queue, installed once by epoll_ctl): the porter only reads the board.
 *
 * The simulator never walks the corridor either: which sockets are
 * readable is known from the readiness stream (the stack's `readable$`,
 * every socket's sk_data_ready; the set of sockets that said so since they
 * were last found empty), so a select or poll pass costs its n ×
 * per-descriptor price in virtual time but O(ready) in JavaScript; its
 * result is the one a walk would find. A multiplexer subscribes once per
 * stack, not once per socket, so 100,000 idle sockets hold no subscription.
 */
import {Signal, use, wait, type ProcessBody} from "../../engine/process.js";
import type {Host} from "../../host/Host.js";
import type {NetStack} from "../../net/NetStack.js";
import type {TcpSocket} from "../../net/TcpSocket.js";

/** Readable, or end of file (EPOLLIN = POLLIN = 0x001, include/uapi/linux/eventpoll.h; select's read set). */
export const EPOLLIN = 0x001;
/** Writable (EPOLLOUT = POLLOUT = 0x004; select's write set). */
export const EPOLLOUT = 0x004;
/** The peer closed its side (EPOLLRDHUP = 0x2000), reported with EPOLLIN. */
export const EPOLLRDHUP = 0x2000;

/** One descriptor reported ready by a wait call. */
export interface ReadyEvent {
  /** The descriptor. */
  fd: number;
  /** Its socket. */
  sock: TcpSocket;
  /** What it is ready for: {@link EPOLLIN}, {@link EPOLLOUT}, {@link EPOLLRDHUP} bits. */
  events: number;
}

/** Counters of one multiplexer, measured as its calls run. */
export interface MultiplexCounters {
  /** Wait calls made (select, poll or epoll_wait). */
  calls: number;
  /** Wait calls that found nothing ready and slept. */
  blockedCalls: number;
  /** Times a sleeping caller was woken by a readiness change. */
  wakeups: number;
  /** Ready events returned to user space. */
  events: number;
  /** Bytes copied from user memory into the kernel by wait calls (fd_sets, pollfd arrays). */
  bytesToKernel: number;
  /** Bytes copied from the kernel back to user memory by wait calls (fd_sets, revents, epoll_events). */
  bytesToUser: number;
  /** CPU time of the wait calls, including mode switches, entry, copies and the user-space scan, ns. */
  cpuNs: number;
  /** epoll_ctl calls (0 for select and poll). */
  ctlCalls: number;
  /** CPU time of the epoll_ctl calls, ns. */
  ctlCpuNs: number;
  /** Readiness callbacks run (ep_poll_callback; select and poll: wake-ups of a sleeping pass). */
  callbacks: number;
}

/** Returns counters at zero. */
export function zeroCounters(): MultiplexCounters {
  return {calls: 0, blockedCalls: 0, wakeups: 0, events: 0, bytesToKernel: 0, bytesToUser: 0, cpuNs: 0, ctlCalls: 0, ctlCpuNs: 0, callbacks: 0};
}

/**
 * What a multiplexer offers an event loop: descriptors registered with the
 * events of interest, and a wait call that returns the ready ones (a
 * process body, run by the loop's process on a core).
 */
export interface Multiplexer {
  /** "select", "poll" or "epoll". */
  readonly api: string;
  readonly host: Host;
  readonly counters: MultiplexCounters;
  /** Descriptors registered. */
  readonly size: number;
  /** Registers *fd* (*sock*) for *events* (default {@link EPOLLIN}); epoll pays an epoll_ctl, select and poll only change the caller's array. */
  add(fd: number, sock: TcpSocket, events?: number, pid?: number): ProcessBody<void>;
  /** Unregisters *fd*. */
  remove(fd: number, pid?: number): ProcessBody<void>;
  /** Returns a process body for one wait call: blocks until something is ready, returns up to *maxEvents* ready descriptors (epoll; select and poll return all). */
  wait(maxEvents?: number, pid?: number): ProcessBody<ReadyEvent[]>;
}

/** Returns the events of *mask* that *sock* is ready for now (tcp_poll's answer, simplified to readable/writable/peer closed). */
export function readyMask(sock: TcpSocket, mask: number): number {
  let r = 0;
  if (mask & EPOLLIN && sock.isReadable) r |= EPOLLIN | (sock.peerClosed ? EPOLLRDHUP & mask : 0);
  if (mask & EPOLLOUT && sock.isWritable) r |= EPOLLOUT;
  return r;
}

/**
 * Returns a command for *ns* of the loop's CPU booked under *tag* (with a
 * trace event of *kind* when given) and adds it to the call's CPU time.
 */
export function charge(host: Host, counters: MultiplexCounters, ns: number, tag: string, kind: "cpu-copy" | null = null, bytes = 0, detail = "") {
  counters.cpuNs += ns;
  return use(host.cpu, ns, tag, kind, bytes, detail);
}

/** Returns a process body for the entry of a wait call (mode switch in, the kernel's entry work, traced as system call *name*). */
export function* enter(host: Host, counters: MultiplexCounters, name: string): ProcessBody<void> {
  const p = host.profile.cpu;
  counters.cpuNs += p.modeSwitchNs + p.syscallNs;
  yield host.modeSwitch("user→kernel");
  yield host.cpuWork(p.syscallNs, "syscall", "syscall", 0, name);
}

/** Returns a process body for the return of a wait call to user space. */
export function* leave(host: Host, counters: MultiplexCounters): ProcessBody<void> {
  counters.cpuNs += host.profile.cpu.modeSwitchNs;
  yield host.modeSwitch("kernel→user");
}

/** Returns a command copying *bytes* between user memory and the kernel, booked "fd-copy" (traced as a CPU copy, *detail* from→to). */
export function copy(host: Host, counters: MultiplexCounters, bytes: number, detail: string) {
  return charge(host, counters, bytes / host.profile.memory.copyBytesPerNs, "fd-copy", "cpu-copy", bytes, detail);
}


/** A descriptor watched by select or poll. */
interface ScanEntry {
  fd: number;
  /** Its socket; null for a source (see {@link ScanSet.addSource}). */
  sock: TcpSocket;
  events: number;
  /** Whether it is in the candidate set. */
  candidate: boolean;
  /** A readiness source other than a connected socket (a listening socket, an eventfd): its ready mask; null for a socket. */
  source: (() => number) | null;
}

/** The ready mask of *e* for its events of interest (the driver's poll method: tcp_poll, or the source's own). */
function entryReady(e: ScanEntry): number {
  return e.source !== null ? e.source() & e.events : readyMask(e.sock, e.events);
}

/**
 * The core of select and poll: the caller's descriptors (sorted, as the
 * bits of an fd_set or the entries of a pollfd array), and, for the
 * simulator only, the candidates (descriptors whose readiness stream said
 * ready since they were last found not ready). A pass asks each candidate
 * (tcp_poll's verdict) and prices the n descriptors the kernel would visit.
 */
export class ScanSet {
  /** Watched descriptors by number. */
  private readonly entries = new Map<number, ScanEntry>();
  /** The same by socket: where a readiness emission finds its entry. */
  private readonly bySocket = new Map<TcpSocket, ScanEntry>();
  /** The stacks whose readiness streams this set listens to (one subscription each), and whether to writable$ as well. */
  private readonly hooked = new Map<NetStack, {writable: boolean}>();
  /** Watched descriptor numbers, ascending (kept sorted on insertion). */
  readonly fds: number[] = [];
  /** Descriptors that may be ready: the only ones the simulator looks at. */
  private readonly candidates = new Set<ScanEntry>();
  /** Entries whose interest includes EPOLLOUT: writability has no stream for an idle socket, so they are asked on every pass. */
  private readonly writers = new Set<ScanEntry>();
  /** The sleeping caller's signal (a pass found nothing ready), fired by the first readiness change. */
  private sleeper: Signal<void> | null = null;
  /** Whether a call sleeps now (between a pass that found nothing and its wake-up). */
  sleeping = false;

  constructor(readonly counters: MultiplexCounters) {}

  get size(): number {
    return this.entries.size;
  }

  /** The highest watched descriptor, or −1. */
  get maxFd(): number {
    return this.fds.length > 0 ? this.fds[this.fds.length - 1] : -1;
  }

  add(fd: number, sock: TcpSocket, events: number): void {
    if (this.entries.has(fd)) throw new RangeError(`fd ${fd} is already watched`);
    if (this.bySocket.has(sock)) throw new RangeError(`fd ${fd}: this socket is already watched under fd ${this.bySocket.get(sock)!.fd}`);
    const entry: ScanEntry = {fd, sock, events, candidate: false, source: null};
    this.hook(sock.stack, events);
    if (events & EPOLLOUT) this.writers.add(entry);
    this.bySocket.set(sock, entry);
    this.insert(entry);
  }

  /**
   * Watches *fd*, a descriptor that is not a connected socket (a listening
   * socket, an eventfd) whose ready mask is *ready*; returns the callback
   * its owner calls where the kernel would wake the file's wait queue
   * (listening socket: sk_data_ready; eventfd: eventfd_signal).
   */
  addSource(fd: number, ready: () => number, events: number): () => void {
    if (this.entries.has(fd)) throw new RangeError(`fd ${fd} is already watched`);
    const entry: ScanEntry = {fd, sock: null as unknown as TcpSocket, events, candidate: false, source: ready};
    this.insert(entry);
    return () => {
      if (this.entries.get(fd) === entry) this.onReady(entry);
    };
  }

  private insert(entry: ScanEntry): void {
    const fd = entry.fd;
    this.entries.set(fd, entry);
    const f = this.fds;
    if (f.length === 0 || f[f.length - 1] < fd) f.push(fd);
    else f.splice(lowerBound(f, fd), 0, fd);
    if (entryReady(entry) !== 0) this.markCandidate(entry);
  }

  remove(fd: number): void {
    const entry = this.entries.get(fd);
    if (entry === undefined) throw new RangeError(`fd ${fd} is not watched`);
    this.entries.delete(fd);
    if (entry.source === null) this.bySocket.delete(entry.sock);
    this.candidates.delete(entry);
    this.writers.delete(entry);
    this.fds.splice(lowerBound(this.fds, fd), 1);
  }

  /** Subscribes to *stack*'s readiness streams once (writable$ once an entry wants EPOLLOUT). */
  private hook(stack: NetStack, events: number): void {
    let h = this.hooked.get(stack);
    if (h === undefined) {
      stack.readable$.subscribe((sock) => this.onSocket(sock));
      this.hooked.set(stack, (h = {writable: false}));
    }
    if (events & EPOLLOUT && !h.writable) {
      h.writable = true;
      stack.writable$.subscribe((sock) => this.onSocket(sock));
    }
  }

  private onSocket(sock: TcpSocket): void {
    const entry = this.bySocket.get(sock);
    if (entry !== undefined) this.onReady(entry);
  }

  /** A socket's readiness stream emitted: it joins the candidates, and a sleeping pass is woken (pollwake). */
  private onReady(entry: ScanEntry): void {
    this.markCandidate(entry);
    const s = this.sleeper;
    if (s !== null) {
      this.sleeper = null;
      // Woken: no longer asleep from now on (as epoll's sleeper is cleared by the callback that wakes it).
      this.sleeping = false;
      this.counters.callbacks++;
      s.fire();
    }
  }

  private markCandidate(entry: ScanEntry): void {
    if (entry.candidate) return;
    entry.candidate = true;
    this.candidates.add(entry);
  }

  /**
   * Returns the descriptors ready now, ascending: what a pass over every
   * watched descriptor finds (candidates no longer ready leave the set).
   */
  ready(): ReadyEvent[] {
    const out: ReadyEvent[] = [];
    for (const e of this.candidates) {
      const r = entryReady(e);
      if (r !== 0) out.push({fd: e.fd, sock: e.sock, events: r});
      else {
        e.candidate = false;
        this.candidates.delete(e);
      }
    }
    for (const e of this.writers) {
      if (e.candidate) continue;
      const r = readyMask(e.sock, e.events);
      if (r !== 0) out.push({fd: e.fd, sock: e.sock, events: r});
    }
    return out.sort((a, b) => a.fd - b.fd);
  }

  /** Returns how many watched descriptors are below *fd* (those a pass visits before it). */
  countBelow(fd: number): number {
    return lowerBound(this.fds, fd);
  }

  /** Returns a signal fired at the next readiness change of a watched descriptor (the call's wait-queue entries). */
  arm(): Signal<void> {
    return (this.sleeper ??= new Signal<void>());
  }

  /** The call returns: its wait-queue entries are gone (poll_freewait). */
  disarm(): void {
    this.sleeper = null;
  }
}

/** Returns the first index of sorted *a* whose value is ≥ *x*. */
function lowerBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** How select and poll differ: what crosses the user/kernel boundary and what user space does per descriptor. */
export interface ScanCosts {
  /** The system call's name in the trace. */
  name: string;
  /** Bytes copied into the kernel per call, given the highest fd + 1 and the number of watched descriptors. */
  bytesIn(nfds: number, watched: number): number;
  /** Bytes copied back per call. */
  bytesOut(nfds: number, watched: number): number;
  /** What is copied, for the trace. */
  copyDetail: string;
  /** Descriptor visits of user space before the call (select rebuilds its sets: FD_SET per watched fd; poll: none). */
  userBefore(nfds: number, watched: number): number;
  /** Descriptor visits of user space after the call (select: FD_ISSET for 0 … maxfd; poll: each pollfd's revents). */
  userAfter(nfds: number, watched: number): number;
}

/**
 * Returns a process body for one select or poll call on *set*: user space
 * prepares, the call copies the set in, the kernel polls every watched
 * descriptor (`multiplex.pollFdNs` each, "poll-scan"); if none is ready it
 * registers on each one's wait queue (`multiplex.pollWaitNs` each,
 * "poll-wait"), sleeps until one changes, and polls them all again; then
 * it copies the result out and user space scans it ("user-scan"). The
 * result is what the kernel's pass found (Linux: do_select(), fs/select.c
 * lines 490–600; do_poll(), lines 876–962).
 */
export function* scanWait(host: Host, set: ScanSet, costs: ScanCosts, pid: number): ProcessBody<ReadyEvent[]> {
  const c = set.counters;
  const m = host.profile.multiplex;
  const watched = set.size;
  const nfds = set.maxFd + 1;
  c.calls++;
  const before = costs.userBefore(nfds, watched);
  if (before > 0) yield charge(host, c, before * m.userFdNs, "user-scan");
  yield* enter(host, c, costs.name);
  const inBytes = costs.bytesIn(nfds, watched);
  c.bytesToKernel += inBytes;
  if (inBytes > 0) yield copy(host, c, inBytes, `${costs.copyDetail}→kernel`);
  // The wait-queue entries go on as the pass visits each descriptor, so a socket that turns ready during the pass (or
  // after it, before the caller sleeps) wakes it: the signal is armed before the verdicts are taken, and stays armed
  // until the call returns (poll_freewait). First pass: the verdicts are those at its start; a socket that turns
  // ready later is found by the next pass or call (level-triggered: nothing is lost).
  let woken = set.arm();
  let ready = set.ready();
  yield charge(host, c, watched * m.pollFdNs, "poll-scan");
  // Wait-queue entries are registered on every descriptor visited until one is found ready (select.c lines 541–551, 574).
  const registered = ready.length > 0 ? set.countBelow(ready[0].fd) : watched;
  if (registered > 0) yield charge(host, c, registered * m.pollWaitNs, "poll-wait");
  while (ready.length === 0) {
    c.blockedCalls++;
    set.sleeping = true;
    yield wait(woken);
    set.sleeping = false;
    c.wakeups++;
    host.sim.trace.record(host.sim.scheduler.now(), "wakeup", pid, 0, 0, costs.name);
    woken = set.arm();
    ready = set.ready();
    yield charge(host, c, watched * m.pollFdNs, "poll-scan");
  }
  set.disarm();
  const outBytes = costs.bytesOut(nfds, watched);
  c.bytesToUser += outBytes;
  if (outBytes > 0) yield copy(host, c, outBytes, `kernel→${costs.copyDetail}`);
  yield* leave(host, c);
  const after = costs.userAfter(nfds, watched);
  if (after > 0) yield charge(host, c, after * m.userFdNs, "user-scan");
  c.events += ready.length;
  return ready;
}

/**
 * A multiplexer that scans: select and poll differ only in their name,
 * their copies ({@link ScanCosts}) and what a descriptor may be (select
 * refuses one past FD_SETSIZE), so both are this class with those three.
 * Adding and removing a descriptor is user-space work (FD_SET, a pollfd
 * entry), priced per call instead, as the kernel sees the whole set on
 * every call.
 */
export class ScanMultiplexer implements Multiplexer {
  readonly counters: MultiplexCounters = zeroCounters();
  private readonly set = new ScanSet(this.counters);

  constructor(
    readonly host: Host,
    readonly api: "select" | "poll",
    private readonly costs: ScanCosts,
    /** Throws when *fd* cannot be watched (select: fd ≥ FD_SETSIZE). */
    private readonly checkFd: (fd: number) => void = () => undefined,
  ) {}

  get size(): number {
    return this.set.size;
  }

  // eslint-disable-next-line require-yield -- FD_SET or a pollfd entry: user-space work, priced per call
  *add(fd: number, sock: TcpSocket, events = EPOLLIN): ProcessBody<void> {
    if (!(Number.isSafeInteger(fd) && fd >= 0)) throw new RangeError(`invalid fd: ${fd}`);
    this.checkFd(fd);
    this.set.add(fd, sock, events);
  }

  // eslint-disable-next-line require-yield -- FD_CLR or dropping a pollfd entry: user-space work
  *remove(fd: number): ProcessBody<void> {
    this.set.remove(fd);
  }

  wait(_maxEvents?: number, pid = 0): ProcessBody<ReadyEvent[]> {
    return scanWait(this.host, this.set, this.costs, pid);
  }

  /**
   * Watches *fd*, a descriptor that is not a connected socket, ready when
   * *ready* says so (as {@link Epoll.addSource}): *ctl* is user-space work
   * (the descriptor joins the caller's set or array, priced per call like
   * every other), *callback* is the file's wait-queue wake-up. Its events
   * carry a null `sock`. (For the Reactor models of src/server/reactor.)
   */
  addSource(fd: number, ready: () => number, events = EPOLLIN, _pid = 0): {ctl: ProcessBody<void>; callback: () => void} {
    this.checkFd(fd);
    const set = this.set;
    let callback: () => void = () => undefined;
    // eslint-disable-next-line require-yield -- user-space work, priced per call
    const ctl = (function* (): ProcessBody<void> {
      callback = set.addSource(fd, ready, events);
    })();
    return {ctl, callback: () => callback()};
  }

  /** Whether a call sleeps now (its pass found nothing ready). */
  get sleeping(): boolean {
    return this.set.sleeping;
  }
}

/**
 * A multiplexer that also watches descriptors other than connected sockets
 * (a listening socket, an eventfd) and says whether its caller sleeps:
 * what a Reactor needs ({@link Epoll} and {@link ScanMultiplexer}).
 */
export interface SourceMultiplexer extends Multiplexer {
  addSource(fd: number, ready: () => number, events?: number, pid?: number): {ctl: ProcessBody<void>; callback: () => void};
  readonly sleeping: boolean;
}
