/**
 * epoll: interest registered once in a kernel object (epoll_ctl: a
 * red-black tree of items), a callback on each socket's wait queue that
 * puts the item on a ready list when the socket's state changes, and
 * epoll_wait, which copies out only the ready events.
 *
 * Like a hotel switchboard: each room is wired in once (epoll_ctl), a lamp
 * lights on the board when a room calls (ep_poll_callback), and the
 * operator only looks at the lit lamps. Level-triggered, a lamp stays lit
 * while the room still wants something (the item goes back on the ready
 * list after each report); edge-triggered, it lights once per call and
 * the operator must deal with everything then.
 *
 * Rules of fs/eventpoll.c (Linux 6.18) followed, with their lines:
 * - ep_poll_callback() (lines 1247–1352) appends the item to the ready
 *   list unless it is already linked (line 1292); while ep_send_events
 *   copies events out, new ones go to the overflow list (lines 1284–1288)
 *   and are re-queued by ep_done_scan() (lines 750–790): nothing is lost.
 * - ep_send_events() (lines 1763–1853) takes the whole ready list
 *   (ep_start_scan, line 745), and for each item up to maxevents unlinks it,
 *   re-polls the socket (ep_item_poll: an item no longer ready is dropped),
 *   writes the event out, and puts a level-triggered item back at the tail
 *   of the ready list (line 1845: `else if (!(epi->event.events &
 *   EPOLLET))`); an edge-triggered item returns only when the next
 *   callback queues it. Items beyond maxevents go back to the head of the
 *   list (line 788).
 * - ep_poll() (lines 1936–2060) sleeps only when no event is available.
 */
import {Job} from "../engine/Resource.js";
import {Signal, wait, type ProcessBody} from "../engine/process.js";
import type {Host} from "../host/Host.js";
import type {NetStack} from "../net/NetStack.js";
import type {TcpSocket} from "../net/TcpSocket.js";
import {charge, copy, enter, EPOLLIN, EPOLLOUT, leave, readyMask, zeroCounters, type Multiplexer, type MultiplexCounters, type ReadyEvent} from "./internal/readinessLoop.js";

/** Edge-triggered (EPOLLET = 1u << 31, include/uapi/linux/eventpoll.h). */
export const EPOLLET = 0x80000000 | 0;
/** sizeof(struct epoll_event) on x86-64: __poll_t events + __u64 data, packed (EPOLL_PACKED, include/uapi/linux/eventpoll.h lines 78–86). */
export const epollEventBytes = 12;
/** epoll_wait's default **maxEvents** in iosim: the size of the events array a typical loop passes (libevent and nginx start from 32–512); 64. */
export const defaultEpollMaxEvents = 64;

/** One registered descriptor (struct epitem). */
interface EpItem {
  fd: number;
  sock: TcpSocket;
  /** Events of interest, EPOLLET included. */
  events: number;
  /** On the ready list or the scan's list (ep_is_linked). */
  linked: boolean;
  /** On the overflow list of a scan in progress. */
  inOverflow: boolean;
  /** The softirq work of its callback, reused while idle; null until first needed. */
  job: Job | null;
  /** A readiness source other than a connected socket (a listening socket, an eventfd): its ready mask; null for a socket. */
  source: (() => number) | null;
}

/** The ready mask of *item* for its events of interest. */
function itemReady(item: EpItem): number {
  return item.source !== null ? item.source() & item.events : readyMask(item.sock, item.events);
}

/** A FIFO of items with O(1) take from the head. */
class ItemQueue {
  items: EpItem[] = [];
  head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(i: EpItem): void {
    this.items.push(i);
  }
  shift(): EpItem {
    const i = this.items[this.head];
    this.items[this.head++] = null as unknown as EpItem;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    }
    return i;
  }
}

/**
 * An epoll instance on *host* (epoll_create1): {@link Epoll.add} and
 * friends are epoll_ctl calls priced `multiplex.epollCtlNs` plus
 * ⌈log2(n + 1)⌉ × `multiplex.epollTreeLevelNs` ("epoll-ctl"); each
 * readiness change of a registered socket costs `multiplex.epollCallbackNs`
 * in softirq ("epoll-callback"); {@link Epoll.wait} costs
 * `multiplex.epollEventNs` per item it takes off the ready list
 * ("epoll-wait"), 12 bytes copied out per event ("fd-copy"), and user space
 * looks only at the events returned ("user-scan"). The simulator's work per
 * call is O(ready), never O(registered).
 *
 * ```ts
 * const ep = epoll(host);
 * yield* ep.add(fd, sock, EPOLLIN | EPOLLET);
 * const ready = yield* ep.wait(64);
 * ```
 * @see select @see poll
 */
export class Epoll implements Multiplexer {
  readonly api = "epoll";
  readonly counters: MultiplexCounters = zeroCounters();
  /** Registered items by descriptor (the red-black tree; a Map stands in for it, its depth is priced). */
  private readonly items = new Map<number, EpItem>();
  /** The same items by socket: where a readiness emission finds its item (the wait-queue entry's back pointer). */
  private readonly bySocket = new Map<TcpSocket, EpItem>();
  /** The stacks whose readiness streams this instance listens to, and whether to writable$ as well. */
  private readonly hooked = new Map<NetStack, {writable: boolean}>();
  /** The ready list (rdllist). */
  private rdllist = new ItemQueue();
  /** The list a scan works on (txlist), kept between calls so a call allocates no list. */
  private txlist = new ItemQueue();
  /** Spare overflow list, reused by each scan. */
  private spareOverflow: EpItem[] = [];
  /** The overflow list while a scan runs (ovflist), else null (EP_UNACTIVE_PTR). */
  private overflow: EpItem[] | null = null;
  /** The caller sleeping in epoll_wait (ep->wq), fired by the first callback. */
  private sleeper: Signal<void> | null = null;

  constructor(readonly host: Host) {}

  get size(): number {
    return this.items.size;
  }

  /** Items now on the ready list. */
  get readyLength(): number {
    return this.rdllist.length;
  }

  /** Returns a process body for one epoll_ctl(2) system call: entry, the item's work and the tree walk, exit. */
  private *ctl(pid: number, work: () => void): ProcessBody<void> {
    const c = this.counters;
    const p = this.host.profile;
    const before = c.cpuNs;
    c.ctlCalls++;
    yield* enter(this.host, c, "epoll_ctl");
    // The tree walk before the change (ep_find, or ep_rbtree_insert's descent): ⌈log2(n + 1)⌉ levels.
    const levels = Math.ceil(Math.log2(this.items.size + 1));
    yield charge(this.host, c, p.multiplex.epollCtlNs + levels * p.multiplex.epollTreeLevelNs, "epoll-ctl");
    work();
    yield* leave(this.host, c);
    // epoll_ctl's time is its own counter, not the wait calls'.
    c.ctlCpuNs += c.cpuNs - before;
    c.cpuNs = before;
    void pid;
  }

  /**
   * Returns a process body for EPOLL_CTL_ADD of *fd* (*sock*) for *events*
   * (default {@link EPOLLIN}; add {@link EPOLLET} for edge triggering):
   * ep_insert() hooks ep_poll_callback to the socket's wait queue (here: the
   * item is found by socket when the stack's readiness stream emits it) and
   * queues the item at once if the socket is already ready (fs/eventpoll.c
   * line 1668).
   */
  add(fd: number, sock: TcpSocket, events = EPOLLIN, pid = 0): ProcessBody<void> {
    if (this.items.has(fd)) throw new RangeError(`EEXIST: fd ${fd} is already registered`);
    return this.ctl(pid, () => {
      const item: EpItem = {fd, sock, events, linked: false, inOverflow: false, job: null, source: null};
      this.hook(sock.stack, events);
      if (this.bySocket.has(sock)) throw new RangeError(`fd ${fd}: this socket is already registered under fd ${this.bySocket.get(sock)!.fd}`);
      this.bySocket.set(sock, item);
      this.items.set(fd, item);
      if (readyMask(sock, events) !== 0) this.queue(item);
    });
  }

  /**
   * Returns a process body for EPOLL_CTL_ADD of *fd*, a descriptor that is
   * not a connected socket (a listening socket, an eventfd) whose ready mask
   * is *ready*; its owner calls the returned callback where the kernel would
   * run ep_poll_callback from the file's wait queue (listening socket:
   * sk_data_ready; eventfd: eventfd_signal). Its events carry a null `sock`.
   * (Additive, for the Reactor models of src/server/reactor.)
   */
  addSource(fd: number, ready: () => number, events = EPOLLIN, pid = 0): {ctl: ProcessBody<void>; callback: () => void} {
    if (this.items.has(fd)) throw new RangeError(`EEXIST: fd ${fd} is already registered`);
    const item: EpItem = {fd, sock: null as unknown as TcpSocket, events, linked: false, inOverflow: false, job: null, source: ready};
    const ctl = this.ctl(pid, () => {
      this.items.set(fd, item);
      if (itemReady(item) !== 0) this.queue(item);
    });
    return {ctl, callback: () => this.callback(item)};
  }

  /** Whether epoll_wait sleeps on this instance now (no event was available). */
  get sleeping(): boolean {
    return this.sleeper !== null;
  }

  /** Returns a process body for EPOLL_CTL_MOD of *fd* to *events*: queued at once if ready for them (line 1744). */
  modify(fd: number, events: number, pid = 0): ProcessBody<void> {
    const item = this.items.get(fd);
    if (item === undefined) throw new RangeError(`ENOENT: fd ${fd} is not registered`);
    return this.ctl(pid, () => {
      if (item.source === null) this.hook(item.sock.stack, events);
      item.events = events;
      if (itemReady(item) !== 0) this.queue(item);
    });
  }

  /** Returns a process body for EPOLL_CTL_DEL of *fd*: callbacks unhooked, the item off the ready list. */
  remove(fd: number, pid = 0): ProcessBody<void> {
    const item = this.items.get(fd);
    if (item === undefined) throw new RangeError(`ENOENT: fd ${fd} is not registered`);
    return this.ctl(pid, () => {
      if (item.source === null) this.bySocket.delete(item.sock);
      this.items.delete(fd);
      if (item.linked) {
        const q = this.rdllist;
        const rest = q.items.slice(q.head).filter((i) => i !== item);
        this.rdllist = new ItemQueue();
        for (const i of rest) this.rdllist.push(i);
        item.linked = false;
      }
    });
  }

  /**
   * Subscribes this instance to *stack*'s readiness streams (readable$, and
   * writable$ once an item wants EPOLLOUT): one subscription per stack, not
   * per socket; each emission finds its item by socket, as the wait-queue
   * entry ep_insert hooks on the socket would (ep_ptable_queue_proc).
   */
  private hook(stack: NetStack, events: number): void {
    let h = this.hooked.get(stack);
    if (h === undefined) {
      stack.readable$.subscribe((sock) => this.onReady(sock));
      this.hooked.set(stack, (h = {writable: false}));
    }
    if (events & EPOLLOUT && !h.writable) {
      h.writable = true;
      stack.writable$.subscribe((sock) => this.onReady(sock));
    }
  }

  private onReady(sock: TcpSocket): void {
    const item = this.bySocket.get(sock);
    if (item !== undefined) this.callback(item);
  }

  /** ep_poll_callback: the socket's state changed (softirq). */
  private callback(item: EpItem): void {
    this.counters.callbacks++;
    const ns = this.host.profile.multiplex.epollCallbackNs;
    if (ns > 0) {
      // Softirq work nothing waits for: the item's own job, unless a previous callback's is still queued (then a fresh one).
      const cpu = this.host.cpu;
      let job = item.job;
      if (job === null || job.status !== 0) job = item.job = new Job(cpu, ns, "epoll-callback", noop);
      cpu.submit(job, true);
    }
    if (itemReady(item) === 0) return; // the key does not match the interest (line 1275)
    this.queue(item);
  }

  /** Queues *item* as the callback does: on the overflow list during a scan, else on the ready list unless linked; wakes the sleeper. */
  private queue(item: EpItem): void {
    const ovf = this.overflow;
    if (ovf !== null) {
      if (!item.inOverflow) {
        item.inOverflow = true;
        ovf.push(item);
      }
    } else if (!item.linked) {
      item.linked = true;
      this.rdllist.push(item);
    }
    const s = this.sleeper;
    if (s !== null) {
      this.sleeper = null;
      s.fire();
    }
  }

  /**
   * Returns a process body for one epoll_wait(2) of up to *maxEvents*
   * (default {@link defaultEpollMaxEvents}) by process *pid*: sleeps while the
   * ready list is empty, then ep_send_events as described in the module
   * header; its result is the events returned, in ready-list order.
   */
  *wait(maxEvents = defaultEpollMaxEvents, pid = 0): ProcessBody<ReadyEvent[]> {
    if (!(Number.isSafeInteger(maxEvents) && maxEvents > 0)) throw new RangeError(`EINVAL: maxevents ${maxEvents}; expected an integer > 0`);
    const host = this.host;
    const c = this.counters;
    const m = host.profile.multiplex;
    c.calls++;
    yield* enter(host, c, "epoll_wait");
    let out: ReadyEvent[] = [];
    // ep_poll: sleep while nothing is available; a scan that finds every item no longer ready returns nothing and the call sleeps again (ep_poll, lines 1966–1973).
    do {
      while (this.rdllist.length === 0) {
        c.blockedCalls++;
        yield wait((this.sleeper ??= new Signal<void>()));
        c.wakeups++;
        host.sim.trace.record(host.sim.scheduler.now(), "wakeup", pid, 0, 0, "epoll_wait");
      }
      // ep_start_scan: steal the ready list; callbacks from now on go to the overflow list.
      const tx = this.rdllist;
      this.rdllist = this.txlist;
      this.txlist = tx;
      this.overflow = this.spareOverflow;
      out = [];
      let examined = 0;
      while (tx.length > 0 && out.length < maxEvents) {
        const item = tx.shift();
        examined++;
        item.linked = false;
        const revents = itemReady(item);
        if (revents === 0) continue; // no longer ready: dropped (ep_item_poll, lines 1818–1820)
        out.push({fd: item.fd, sock: item.sock, events: revents});
        if (!(item.events & EPOLLET)) {
          // Level-triggered: back on the ready list for the next call (line 1845).
          item.linked = true;
          this.rdllist.push(item);
        }
      }
      // The scan's CPU: each item taken off, the events written out (readiness may change meanwhile: overflow list).
      yield charge(host, c, examined * m.epollEventNs, "epoll-wait");
      const bytes = out.length * epollEventBytes;
      c.bytesToUser += bytes;
      if (bytes > 0) yield copy(host, c, bytes, "kernel→epoll_event");
      // ep_done_scan: what maxevents left goes back to the head (list_splice, line 788), then the overflowed items not
      // linked, oldest first (list_add of a LIFO list, line 774), then the level-triggered items re-queued above.
      const ovf = this.overflow!;
      this.overflow = null;
      if (tx.length > 0 || ovf.length > 0) {
        const requeued = this.rdllist;
        const q = (this.rdllist = new ItemQueue());
        while (tx.length > 0) q.push(tx.shift());
        for (const item of ovf) {
          item.inOverflow = false;
          if (!item.linked) {
            item.linked = true;
            q.push(item);
          }
        }
        while (requeued.length > 0) q.push(requeued.shift());
      }
      ovf.length = 0;
      this.spareOverflow = ovf;
    } while (out.length === 0);
    yield* leave(host, c);
    if (out.length > 0) yield charge(host, c, out.length * m.userFdNs, "user-scan");
    c.events += out.length;
    return out;
  }
}

const noop = () => {};

/** Returns a new epoll instance on *host* (epoll_create1(2)); see {@link Epoll}. */
export function epoll(host: Host): Epoll {
  return new Epoll(host);
}
