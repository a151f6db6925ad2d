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
import type {SimScheduler} from "./SimScheduler.js";
import type {Trace, TraceKind} from "./trace.js";

/**
 * One request for service; also the heap entry for its completion. A process
 * reuses one Job for all its steps (it has at most one in service), so its
 * fields may be refilled once `done` has been called.
 */
export class Job {
  timeNs = 0;
  seq = 0;
  heapIndex = -1;
  /** Virtual time service began, ns. */
  startNs = 0;
  constructor(
    /** The resource serving it. */
    public resource: Resource,
    /** Service time, ns. */
    public ns: number,
    /** Booking category. */
    public tag: string,
    /** Called at completion. */
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
  fire(): void {
    this.resource.finish(this);
  }
}

/**
 * Returns a server with *units* identical units and one FIFO queue.
 *
 * ```ts
 * const disk = new Resource(sim, "disk", 1);
 * disk.use(80_000, "read").subscribe(); // 80 µs of disk time
 * ```
 */
export class Resource {
  /** Units currently serving a job. */
  private inUse = 0;
  /** Waiting jobs; `head` is the index of the first. */
  private queue: Job[] = [];
  private head = 0;
  /** Waiting urgent jobs (interrupt handlers), served before `queue`, FIFO among themselves. */
  private urgentQueue: Job[] = [];
  /** Tags booked so far, in the order first booked; `tagNs[i]` is the completed busy time of `tags[i]`, ns. */
  private readonly tags: string[] = [];
  private readonly tagNs: number[] = [];
  /** Index in `tags` of the tag booked last (a resource has few tags and a scan beats hashing). */
  private lastTag = 0;
  /** Completed busy time, all tags, ns. */
  busyNs = 0;
  /** Jobs completed. */
  completed = 0;
  /** Total time jobs spent waiting in line, ns. */
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

  /** Returns the completed busy time per tag, ns, tags in the order first booked. */
  get busyNsByTag(): Map<string, number> {
    const out = new Map<string, number>();
    for (let i = 0; i < this.tags.length; i++) out.set(this.tags[i], this.tagNs[i]);
    return out;
  }

  /** Jobs waiting (not in service). */
  get queued(): number {
    return this.queue.length - this.head + this.urgentQueue.length;
  }

  /** Units in service now. */
  get busyUnits(): number {
    return this.inUse;
  }

  /**
   * Queues *job*; *urgent* jobs (interrupt handlers) go ahead of every
   * ordinary job, in the order they arrived, though they never preempt a job
   * in service.
   */
  submit(job: Job, urgent = false): void {
    if (this.inUse < this.units) {
      this.start(job);
      return;
    }
    job.startNs = this.sim.scheduler.now(); // reused as "queued at" until it starts
    if (urgent) this.urgentQueue.push(job);
    else this.queue.push(job);
    const q = this.queued;
    if (q > this.maxQueue) this.maxQueue = q;
  }

  /** Returns an Observable that occupies one unit for *ns*, emits the finish time and completes. */
  use(ns: number, tag: string): Observable<number> {
    return new Observable<number>((subscriber) => {
      this.submit(
        new Job(this, ns, tag, () => {
          subscriber.next(this.sim.scheduler.now());
          subscriber.complete();
        }),
      );
    });
  }

  private start(job: Job): void {
    const scheduler = this.sim.scheduler;
    const now = scheduler.now();
    this.inUse++;
    job.startNs = now;
    if (job.traceKind !== null) this.sim.trace.record(now, job.traceKind, job.pid, job.ns, job.bytes, job.detail);
    scheduler.enqueue(job, job.ns);
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
  finish(job: Job): void {
    this.inUse--;
    this.busyNs += job.ns;
    this.completed++;
    this.book(job.tag, job.ns);
    if (this.urgentQueue.length > 0) {
      const next = this.urgentQueue.shift()!;
      this.waitNs += this.sim.scheduler.now() - next.startNs;
      this.start(next);
    } else if (this.head < this.queue.length) {
      const next = this.queue[this.head];
      this.queue[this.head++] = undefined as unknown as Job;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      this.waitNs += this.sim.scheduler.now() - next.startNs;
      this.start(next);
    }
    job.done(job);
  }
}
