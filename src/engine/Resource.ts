/**
 * Resources: the things work queues for.
 *
 * A Resource is a bank counter with N clerks and one FIFO line, as in
 * SimPy: a job waits in line until a clerk is free, holds that clerk for its
 * service time, then leaves. CPU cores, disks and NICs are all Resources.
 * Busy time is booked by tag (for a CPU: user, syscall, mode-switch,
 * cpu-copy, irq...), so "CPU share" is measured from what actually ran.
 */
import {Observable} from "rxjs";
import {checkDurationNs, type SimScheduler} from "./SimScheduler.js";
import type {Trace, TraceKind} from "./trace.js";

/** Where a {@link Job} is: 0 not submitted (or done, or cancelled), 1 waiting in line, 2 in service. */
export type JobStatus = 0 | 1 | 2;
const IDLE = 0;
const QUEUED = 1;
const SERVING = 2;

/**
 * What a {@link Resource} serves: a {@link Job}, or an object laid out like
 * one (a process's runner, which keeps its hottest fields first). It is also
 * the heap entry for its service's completion.
 */
export interface Servable {
  /** Heap bookkeeping (see SimScheduler): sequence of its live entry, and ≥ 0 while pending. */
  seq: number;
  heapIndex: number;
  /** Virtual time service began, ns (while queued: the time it joined the line). */
  startNs: number;
  /** Where it is now. */
  status: JobStatus;
  /** The line holding it while queued, and its absolute slot there. */
  line: {withdraw(job: Servable): void} | null;
  slot: number;
  /** The resource serving it. */
  resource: Resource;
  /** Service time, ns. */
  ns: number;
  /** Booking category. */
  tag: string;
  /** When set, a trace event of this kind is recorded when service starts. */
  traceKind: TraceKind | null;
  /** Process the trace event is charged to. */
  pid: number;
  /** Bytes for the trace event. */
  bytes: number;
  /** Detail for the trace event. */
  detail: string;
  /** Called by the resource when its service has run to the end (not when cancelled). */
  serviceEnded(): void;
  /** Called by the scheduler when its completion is due. */
  fire(): void;
}

/**
 * One request for service; also the heap entry for its completion. Its
 * fields may be refilled once `done` has been called.
 */
export class Job implements Servable {
  /** Heap bookkeeping (see SimScheduler): sequence of its live entry, and ≥ 0 while pending. */
  seq = 0;
  heapIndex = -1;
  /** Virtual time service began, ns (while queued: the time it joined the line). */
  startNs = 0;
  /** Where the job is now. */
  status: JobStatus = IDLE;
  /** The line holding it while queued. */
  line: JobLine | null = null;
  /** Its position in that line, counted from the line's first ever entry. */
  slot = 0;
  constructor(
    /** The resource serving it. */
    public resource: Resource,
    /** Service time, ns. */
    public ns: number,
    /** Booking category. */
    public tag: string,
    /** Called at completion (not when the job is cancelled). */
    public done: (job: Job) => void,
    /** When set, a trace event of this kind is recorded when service starts. */
    public traceKind: TraceKind | null = null,
    /** Process the trace event is charged to. */
    public pid = 0,
    /** Bytes for the trace event. */
    public bytes = 0,
    /** Detail for the trace event. */
    public detail = "",
  ) {}
  serviceEnded(): void {
    this.done(this);
  }
  fire(): void {
    this.resource.finish(this);
  }
}

/**
 * A FIFO line of jobs with O(1) withdrawal: a withdrawn job leaves a hole
 * (null) that `shift()` skips, and `size` counts only the jobs still waiting.
 * Slots are absolute (they survive compaction), so a job finds its hole
 * without a search.
 */
class JobLine {
  /** Entries from `head` on; holes are null. */
  private items: Array<Servable | null> = [];
  /** Index in `items` of the first entry not yet taken. */
  private head = 0;
  /** Absolute slot of `items[0]` (entries dropped by compaction so far). */
  private base = 0;
  /** Jobs waiting (holes not counted). */
  size = 0;

  push(job: Servable): void {
    job.line = this;
    job.slot = this.base + this.items.length;
    this.items.push(job);
    this.size++;
  }

  /** Takes *job* out of the line, leaving a hole. */
  withdraw(job: Servable): void {
    this.items[job.slot - this.base] = null;
    job.line = null;
    this.size--;
  }

  /** Returns the first waiting job, removed, or null. */
  shift(): Servable | null {
    const items = this.items;
    while (this.head < items.length) {
      const job = items[this.head];
      items[this.head++] = null;
      if (job !== null) {
        this.size--;
        job.line = null;
        this.compact();
        return job;
      }
    }
    return null;
  }

  /** Drops the taken prefix once it is most of the array, so memory follows the line's length, not its history. */
  private compact(): void {
    if (this.head === this.items.length) {
      this.base += this.head;
      this.items.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.base += this.head;
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

/**
 * Returns a server with *units* identical units and one FIFO queue.
 *
 * Cancelling a job (unsubscribing from {@link Resource.use}, or from a process
 * while it is queued or in service) releases what it holds: a waiting job
 * leaves the line (counted in `withdrawn`, its waiting time not booked); a
 * job in service frees its unit at that instant, the next in line starts
 * then, and only the time it actually held the unit is booked as busy time
 * under its tag (counted in `cancelled`, not in `completed`).
 *
 * ```ts
 * const disk = new Resource(sim, "disk", 1);
 * disk.use(80_000, "read").subscribe(); // 80 µs of disk time
 * ```
 */
export class Resource {
  /** Units currently serving a job. */
  private inUse = 0;
  /** Waiting jobs, first come first served. */
  private readonly line = new JobLine();
  /** Waiting urgent jobs (interrupt handlers), served before `line`, FIFO among themselves. */
  private readonly urgentLine = new JobLine();
  /** Tags booked so far, in the order first booked; `tagNs[i]` is the busy time of `tags[i]`, ns. */
  private readonly tags: string[] = [];
  private readonly tagNs: number[] = [];
  /** Index in `tags` of the tag booked last (a resource has few tags and a scan beats hashing). */
  private lastTag = 0;
  /** Busy time booked, all tags, ns: completed jobs whole, cancelled ones for the time they held a unit. */
  busyNs = 0;
  /** Jobs whose service ran to the end. */
  completed = 0;
  /** Jobs cancelled while in service (their partial time is in `busyNs`). */
  cancelled = 0;
  /** Jobs cancelled while waiting in line (never served, nothing booked). */
  withdrawn = 0;
  /** Total time jobs spent waiting in line before their service started, ns. */
  waitNs = 0;
  /** Longest the line ever was. */
  maxQueue = 0;

  constructor(
    private readonly sim: {scheduler: SimScheduler; trace: Trace},
    /** Name, for reports. */
    readonly name: string,
    /** Number of units (cores, channels...). */
    readonly units: number,
  ) {
    if (!(Number.isInteger(units) && units > 0)) throw new RangeError(`invalid ${name} units: ${units}; expected a positive integer`);
  }

  /** Returns the booked busy time per tag, ns, tags in the order first booked. */
  get busyNsByTag(): Map<string, number> {
    const out = new Map<string, number>();
    for (let i = 0; i < this.tags.length; i++) out.set(this.tags[i], this.tagNs[i]);
    return out;
  }

  /** Jobs waiting (not in service; withdrawn ones are gone). */
  get queued(): number {
    return this.line.size + this.urgentLine.size;
  }

  /** Units in service now. */
  get busyUnits(): number {
    return this.inUse;
  }

  /**
   * Queues *job*; *urgent* jobs (interrupt handlers) go ahead of every
   * ordinary job, in the order they arrived, though they never preempt a job
   * in service. A service time that is negative, NaN or infinite is a
   * RangeError naming it.
   */
  submit(job: Servable, urgent = false): void {
    checkDurationNs(`${this.name} service ns`, job.ns);
    if (this.inUse < this.units) {
      this.start(job);
      return;
    }
    job.startNs = this.sim.scheduler.now(); // reused as "queued at" until it starts
    job.status = QUEUED;
    (urgent ? this.urgentLine : this.line).push(job);
    const q = this.queued;
    if (q > this.maxQueue) this.maxQueue = q;
  }

  /**
   * Returns an Observable that occupies one unit for *ns*, emits the finish
   * time and completes. Unsubscribing before then cancels the job (see
   * {@link Resource}), so `use(ns, tag).pipe(takeUntil(x))` or `timeout(...)`
   * gives the unit back when it gives up.
   */
  use(ns: number, tag: string): Observable<number> {
    checkDurationNs("ns", ns);
    return new Observable<number>((subscriber) => {
      const job = new Job(this, ns, tag, () => {
        subscriber.next(this.sim.scheduler.now());
        subscriber.complete();
      });
      this.submit(job);
      return () => this.cancel(job);
    });
  }

  /**
   * Cancels *job*: takes it out of the line, or ends its service now, booking
   * the time it held the unit and starting the next job. Its `done` is not
   * called. Does nothing to a job that is neither waiting nor in service.
   */
  cancel(job: Servable): void {
    if (job.status === QUEUED) {
      job.line!.withdraw(job);
      job.status = IDLE;
      this.withdrawn++;
    } else if (job.status === SERVING) {
      const usedNs = this.sim.scheduler.now() - job.startNs;
      this.sim.scheduler.remove(job);
      job.status = IDLE;
      this.inUse--;
      this.busyNs += usedNs;
      this.cancelled++;
      this.book(job.tag, usedNs);
      this.startNext();
    }
  }

  private start(job: Servable): void {
    const scheduler = this.sim.scheduler;
    const now = scheduler.now();
    this.inUse++;
    job.status = SERVING;
    job.startNs = now;
    if (job.traceKind !== null) this.sim.trace.record(now, job.traceKind, job.pid, job.ns, job.bytes, job.detail);
    scheduler.enqueue(job, job.ns);
  }

  /** Starts the next waiting job, urgent ones first, if any. */
  private startNext(): void {
    const next = this.urgentLine.size > 0 ? this.urgentLine.shift() : this.line.size > 0 ? this.line.shift() : null;
    if (next === null) return;
    this.waitNs += this.sim.scheduler.now() - next.startNs;
    this.start(next);
  }

  /** Adds *ns* of busy time to *tag*. */
  private book(tag: string, ns: number): void {
    const tags = this.tags;
    let i = this.lastTag;
    if (tags[i] !== tag) {
      i = tags.indexOf(tag);
      if (i < 0) {
        i = tags.length;
        tags.push(tag);
        this.tagNs.push(0);
      }
      this.lastTag = i;
    }
    this.tagNs[i] += ns;
  }

  /** Called by the scheduler when *job*'s service ends. */
  finish(job: Servable): void {
    job.status = IDLE;
    this.inUse--;
    this.busyNs += job.ns;
    this.completed++;
    this.book(job.tag, job.ns);
    this.startNext();
    job.serviceEnded();
  }
}
