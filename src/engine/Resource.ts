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
  /** The unit serving it (0 … units − 1) while in service, else −1. */
  unit: number;
  /** Task-switch time its core spends before its service, ns: 0 unless the core last ran another task (see {@link Resource.scheduleTasks}). */
  switchNs: number;
  /** The unit its task last ran on (Linux's task_cpu()), −1 before it ran (see {@link Resource.scheduleTasks}). */
  lastUnit: number;
  /** Whether it is the first step of a task after it blocked or slept (a wake-up, which may preempt; see {@link Resource.scheduleTasks}). */
  woken: boolean;
  /** For a wake-up: the core whose step woke it (SimScheduler.firingUnit at the wake-up), −1 when no core did (a timer, a device). */
  wakerUnit: number;
  /** Inter-processor interrupt time its core spends before its service, ns (see {@link Resource.scheduleTasks}, "Wake-up IPI"); part of `switchNs`. */
  ipiNs: number;
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
  /** Its position in that line, counted from when the line last stood empty. */
  slot = 0;
  /** The unit serving it while in service, else −1. */
  unit = -1;
  /** Task-switch time in front of its service, ns. */
  switchNs = 0;
  lastUnit = -1;
  /** A plain job is never a wake-up. */
  readonly woken = false;
  readonly wakerUnit = -1;
  ipiNs = 0;
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
  /**
   * What `done` needs beyond the job's own fields (an interrupt's host and
   * signal, a frame's stack and packet), so that a kind of job is a `done`
   * function and not a subclass. Every job then has one shape: Resource's
   * and the scheduler's accesses to a job's fields stay monomorphic (with
   * the process runner, two shapes), where five subclasses made them
   * megamorphic, and a megamorphic load boxes every number it reads.
   */
  a: unknown = null;
  b: unknown = null;
  /** A number for `done` (an interrupt's signal value). */
  n = 0;
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
 *
 * The line is a ring buffer: a job's slot is its absolute position in the
 * line (counted from when the line last stood empty) and lives in
 * `items[slot & mask]`, so a job finds its hole without a search and
 * taking the first job moves nothing. (Shifting the taken prefix down with
 * `copyWithin`, as the line did, cost a C10K model a twentieth of its
 * time: a 10,000-long line was copied every few thousand jobs.) A line
 * that empties starts again at slot 0; the array keeps the longest the line
 * has been, since a core's line fills and drains at every burst and
 * reallocating it at each refill was a tenth of what a busy server
 * allocated.
 */
class JobLine {
  /** The ring: entries of slots `head` … `tail` − 1 at `slot & mask`; holes are null, and so is every other element. */
  private items: Array<Servable | null> = new Array<Servable | null>(8).fill(null);
  /** `items.length` − 1 (the length is a power of two). */
  private mask = 7;
  /** Slot of the first entry not yet taken. */
  private head = 0;
  /** Slot one past the last entry. */
  private tail = 0;
  /** Jobs waiting (holes not counted). */
  size = 0;

  push(job: Servable): void {
    const tail = this.tail;
    if (tail - this.head > this.mask) this.grow();
    job.line = this;
    job.slot = tail;
    this.items[tail & this.mask] = job;
    this.tail = tail + 1;
    this.size++;
  }

  /** Doubles the ring, each entry moving to its slot's place in the larger one. */
  private grow(): void {
    const old = this.items;
    const oldMask = this.mask;
    const items = new Array<Servable | null>(old.length * 2).fill(null);
    const mask = items.length - 1;
    for (let slot = this.head; slot < this.tail; slot++) items[slot & mask] = old[slot & oldMask];
    this.items = items;
    this.mask = mask;
  }

  /** Takes *job* out of the line, leaving a hole. */
  withdraw(job: Servable): void {
    this.items[job.slot & this.mask] = null;
    job.line = null;
    if (--this.size === 0) this.head = this.tail = 0; // holes only, all null already
  }

  /** Returns the first waiting job, left in the line, or null. */
  peek(): Servable | null {
    const {items, mask} = this;
    for (let slot = this.head; slot < this.tail; slot++) {
      const job = items[slot & mask];
      if (job !== null) return job;
    }
    return null;
  }

  /** Returns the first waiting job, removed, or null. */
  shift(): Servable | null {
    const {items, mask} = this;
    const tail = this.tail;
    for (let slot = this.head; slot < tail; slot++) {
      const i = slot & mask;
      const job = items[i];
      if (job !== null) {
        items[i] = null;
        job.line = null;
        if (--this.size === 0) this.head = this.tail = 0; // what is left are holes, all null already
        else this.head = slot + 1;
        return job;
      }
    }
    return null;
  }
}

/** How a {@link Resource} of CPU cores schedules tasks (see {@link Resource.scheduleTasks}). */
export interface TaskScheduling {
  /** CPU time a core spends switching from one task to another (saving and loading registers, the address space, cold caches), ns. */
  switchNs: number;
  /** How long a task may keep its core while others are runnable, ns (Linux: the scheduler's base slice). */
  sliceNs: number;
  /** CPU time a core spends taking the inter-processor interrupt of a wake-up from another core, ns; default 0 (not priced). */
  ipiNs?: number;
  /** CPU time the waking core spends sending that IPI (the remote wake-up's work and the APIC write; a VM exit on most virtual machines), ns; default 0. */
  ipiSendNs?: number;
  /** Whether an idle core watches its need-resched flag (mwait or poll idle), so that waking a task onto it needs no IPI; default true. */
  idlePolls?: boolean;
  /** Time an idle core takes to leave its idle state before it runs what arrived, ns (the state's exit latency); default 0 (not priced). */
  idleExitNs?: number;
  /** How long a core must have been idle to be in that state, ns (its target residency: shorter idles poll and leave at once); default 0. */
  idleResidencyNs?: number;
  /** The exit latency against the idle time: [idleNs, exitNs] points in increasing idle time (interpolated in log2 of the idle time, flat beyond the ends); replaces idleExitNs when given. */
  idleExitCurve?: ReadonlyArray<readonly [number, number]>;
}

/**
 * Returns the idle exit latency after *idleNs* of idle on *curve* ([idleNs,
 * exitNs] points in increasing idle time), ns: interpolated linearly in
 * log2 of the idle time between points, flat beyond the ends.
 */
export function exitAfterIdle(curve: ReadonlyArray<readonly [number, number]>, idleNs: number): number {
  if (idleNs <= curve[0][0]) return curve[0][1];
  for (let i = 1; i < curve.length; i++) {
    const [i1, e1] = curve[i];
    if (idleNs <= i1) {
      const [i0, e0] = curve[i - 1];
      return e0 + ((Math.log2(idleNs) - Math.log2(i0)) / (Math.log2(i1) - Math.log2(i0))) * (e1 - e0);
    }
  }
  return curve[curve.length - 1][1];
}

/** Tag of the time a core spends taking wake-up IPIs. */
export const WAKE_IPI = "ipi" as const;

/** Tag and trace kind of the time a core spends switching tasks. */
export const TASK_SWITCH = "task-switch";

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
 * A resource of CPU cores also schedules *tasks* once
 * {@link Resource.scheduleTasks} has been called: see there.
 *
 * ```ts
 * const disk = new Resource(sim, "disk", 1);
 * disk.use(80_000, "read").subscribe(); // 80 µs of disk time
 * ```
 */
export class Resource {
  /** Units currently serving a job, or held for a task's next step. */
  private inUse = 0;
  /** Waiting jobs, first come first served. */
  private readonly line = new JobLine();
  /** Waiting urgent jobs (interrupt handlers), served before `line`, FIFO among themselves. */
  private readonly urgentLine = new JobLine();
  /** Tasks preempted at a step boundary (by an interrupt or a woken task), served right after urgent jobs. */
  private readonly resumeLine = new JobLine();
  /** Tasks that may not preempt: new ones and those whose time slice ran out while others waited (round robin); served after `line`, which then holds only wake-ups. */
  private readonly runnableLine = new JobLine();
  /** The job each unit serves, or null. */
  private readonly unitJob: Array<Servable | null>;
  /** Units serving nothing, as a stack. */
  private readonly freeUnits: number[];
  /** Task scheduling, or null for a plain FIFO server (devices). */
  private tasks: (Required<Omit<TaskScheduling, "idleExitCurve">> & {idleExitCurve: ReadonlyArray<readonly [number, number]> | null}) | null = null;
  /** Per unit: pid of the last task it ran (−1: none yet; interrupt handlers, pid 0, do not count). */
  private unitTask: Int32Array | null = null;
  /** Per unit: when the task it runs got it, ns (its slice is measured from there). */
  private unitRunStartNs: Float64Array | null = null;
  /** Per unit: when it last fell idle, ns (see {@link Resource.scheduleTasks}, "Idle exit"). */
  private unitIdleSinceNs: Float64Array | null = null;
  /** Per unit: the send of wake-up IPIs it owes, ns, booked in front of its next start (see oweSend). */
  private unitOwedNs: Float64Array | null = null;
  /**
   * Per unit: the task waiting for this particular core (its previous one;
   * see {@link Resource.scheduleTasks}, "Previous core under an interrupt"
   * and "Run queues"): woken while an interrupt handler runs there, woken
   * to preempt the task running there, or preempted there and waiting to
   * resume. A line of at most one, so that cancelling works as for any
   * queued job. Made on first use.
   */
  private unitWaiters: Array<JobLine | null> | null = null;
  /** Jobs in the unit waiter lines, all units together. */
  private parkedWaiters = 0;
  /** A unit held, during the call that resumes it, for the task that has just finished a step on it. */
  private heldUnit = -1;
  private heldFor: Servable | null = null;
  /** Where the resubmission of a task resumed without its core goes (resumeLine or runnableLine), during the call that resumes it. */
  private requeueFor: Servable | null = null;
  private requeueLine: JobLine | null = null;
  /** Tags booked so far, in the order first booked; `tagNs[i]` is the busy time of `tags[i]`, ns. */
  private readonly tags: string[] = [];
  private readonly tagNs: number[] = [];
  /** Index in `tags` of the tag booked last (a resource has few tags and a scan beats hashing). */
  private lastTag = 0;
  /** Busy time booked, all tags, ns: completed jobs whole, cancelled ones for the time they held a unit. */
  busyNs = 0;
  /** Busy time booked per unit (core), ns, as `busyNs`. */
  readonly unitBusyNs: Float64Array;
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
  /** Wake-up IPIs taken: a task woken by a step on another core starting on a core that had to be interrupted (see {@link Resource.scheduleTasks}). */
  wakeIpis = 0;
  /** CPU time the waking cores spent sending those IPIs, ns (booked under "ipi" on the waker's core; see {@link Resource.scheduleTasks}). */
  wakeIpiSendNs = 0;
  /** Task switches: a unit starting a task other than the last one it ran (see {@link Resource.scheduleTasks}). */
  taskSwitches = 0;
  /** Starts on a core that had to leave its idle state first (see {@link Resource.scheduleTasks}, "Idle exit"). */
  idleExits = 0;
  /** Time cores spent leaving idle states, ns: not busy time (see {@link Resource.scheduleTasks}, "Idle exit"). */
  idleExitNs = 0;

  constructor(
    private readonly sim: {scheduler: SimScheduler; trace: Trace},
    /** Name, for reports. */
    readonly name: string,
    /** Number of units (cores, channels...). */
    readonly units: number,
  ) {
    if (!(Number.isInteger(units) && units > 0)) throw new RangeError(`invalid ${name} units: ${units}; expected a positive integer`);
    this.unitJob = new Array<Servable | null>(units).fill(null);
    this.unitBusyNs = new Float64Array(units);
    this.freeUnits = Array.from({length: units}, (_, i) => units - 1 - i);
  }

  /**
   * Makes the units CPU cores that run *tasks* (jobs are steps of the
   * processes named by their pid; pid 0 is the kernel's interrupt handlers,
   * which run on whatever core is free and belong to no task). The rules,
   * those of Linux's scheduler at the grain of a process's steps:
   *
   * - **Task switch.** A core that starts a step of a task other than the
   *   last task it ran first spends `switchNs` switching (booked under
   *   "task-switch", a trace event "task-switch" with `detail` "old→new",
   *   counted in `taskSwitches`). A core that went idle and then resumes
   *   the same task does not switch (Linux's `context_switch()` is then
   *   between the idle task and the same mm: no address-space switch, warm
   *   caches), nor does an interrupt handler in between.
   * - **Affinity.** A task that needs a core takes the free core that last
   *   ran it, else one that has run no task yet, else the free core that
   *   became free longest ago (the wake-up path's `select_idle_sibling()`
   *   prefers the task's previous CPU when it is idle:
   *   kernel/sched/fair.c).
   * - **Previous core under an interrupt.** A task whose previous core is
   *   running an interrupt handler (or the kernel's own pid-0 work) waits
   *   for that core, ahead of other waiting tasks, rather than take another
   *   one: Linux counts such a core as idle (idle_cpu(), kernel/sched/
   *   syscalls.c line 203 in 6.12: its current task is the idle task and
   *   nothing is queued; softirq work does not change that), and
   *   wake_affine_idle() (kernel/sched/fair.c line 7342 in 6.14) returns the
   *   previous CPU when it is idle, "avoid a migration". Likewise a task
   *   that an interrupt (or kernel work) preempts at a step boundary stays
   *   on its core's run queue and resumes there when the handler is done,
   *   not on whichever core frees first.
   * - **Run queues.** A task woken when no core is free waits on its
   *   previous core (the one it last ran on, Linux's task_cpu(), whatever
   *   ran there since) and preempts the task running there at its next
   *   step boundary; the preempted task stays on that core and resumes
   *   when it is free again. That is Linux's per-CPU run queue: the wakee
   *   is enqueued on its target CPU and wake-up preemption happens there
   *   (check_preempt_wakeup_fair()), not on whichever CPU reaches a
   *   boundary first. A core that would go idle with nothing in the lines
   *   pulls a task waiting for a core another task holds (newidle balance,
   *   sched_balance_newidle()): it migrates, and switches. A woken task
   *   whose previous core already has a waiter, or that never ran, waits in
   *   the shared line as before.
   *
   *   Without these rules a busy event loop migrated at nearly every
   *   packet: 14 task switches per request in the main + sub Reactors,
   *   60% of their CPU; with them 0.4.
   * - **Wake-up IPI.** A task woken by a step on one core (the step whose
   *   end fired the signal it waited on: a task's write, an interrupt
   *   handler) and started on another takes an inter-processor interrupt
   *   there first, `ipiNs` booked under "ipi" and counted in `wakeIpis`,
   *   when Linux sends one: to a core running another task, which the
   *   wakee preempts (resched_curr() → smp_send_reschedule(),
   *   kernel/sched/core.c), and to an idle core unless idle cores poll
   *   (send_call_function_single_ipi(): `if (!set_nr_if_polling(rq->idle))
   *   arch_send_call_function_single_ipi(cpu)`; x86's mwait idle sets
   *   TIF_POLLING_NRFLAG, HLT does not). A wake-up on the waker's own core,
   *   by the task's own timer (a sleep) or by a device with no core takes
   *   none, nor does one that waits in the shared line. The IPI is charged
   *   when the task starts, in front of its step and of any task switch;
   *   where a pulled task starts elsewhere, on the core that starts it.
   *   Sending it costs the waker's core `ipiSendNs` (also under "ipi",
   *   counted in `wakeIpiSendNs`): it lengthens the step that core is
   *   serving, or goes in front of the next thing it starts, or is booked
   *   at once if the core is idle (see oweSend). On bare metal
   *   a few hundred ns; on a virtual machine the APIC write is a VM exit,
   *   and both sides cost ~10–15 µs each on the development VM.
   * - **Idle exit.** A core idle for at least `idleResidencyNs` has entered
   *   an idle state (cpuidle's governor picks one whose target residency
   *   the idle period covers; shorter idles poll). A task woken by a step
   *   on another core and started there starts `idleExitNs` later: the
   *   state's exit latency (intel_idle's tables in drivers/idle/intel_idle.c,
   *   e.g. Sapphire Rapids C1: exit_latency 1, target_residency 1 µs), or,
   *   with `idleExitCurve`, the latency after that long an idle (a virtual
   *   machine's halted vCPU comes back sooner after a short halt, which the
   *   host still polls, than after a long one). A core no task has run on
   *   yet counts as idle since before the run (the longest idle). The
   *   core is not busy meanwhile: the time is counted in
   *   `idleExits`/`idleExitNs`, booked under no tag, and the job's service
   *   starts after it. Only the cross-core wake-up pays it: a timer's or a
   *   device's wake-up, an interrupt handler or a new task on an idle core
   *   would on a real machine too, and are not charged yet. Only the
   *   shallowest state is modelled (as with intel_idle.max_cstate=1, usual
   *   on latency-tuned servers).
   * - **Keeping the core.** A task keeps its core from one step to the
   *   next (a system call's mode switch, its work and its copy run back to
   *   back) unless, at that boundary, an interrupt is waiting (it runs
   *   first; the task resumes right after it), a task woken from a block
   *   or sleep is waiting (wake-up preemption: the woken task runs, the
   *   preempted one resumes when it blocks), or the task has run `sliceNs`
   *   since it got the core while others wait (it goes to the back of the
   *   line: round robin). A new task waits its turn without preempting.
   *   (A task preempted by an interrupt resumes on its own core: see above.)
   *   A task that blocks or sleeps gives the core up. Steps are not cut in
   *   the middle: preemption happens at the next step boundary.
   *
   *   Linux 6.6+ (EEVDF): a task that slept comes back with the service it
   *   is owed (positive lag), which leaves the running task not eligible,
   *   and the pick drops a current task that is not eligible before the
   *   slice protection (RUN_TO_PARITY) could keep it (kernel/sched/fair.c,
   *   __pick_eevdf() at lines 1010–1028 in 6.18 (the test at 1024–1028): `if (curr && (!curr->on_rq
   *   || !entity_eligible(cfs_rq, curr))) curr = NULL;` then
   *   `protect_slice(curr)`), so the wake-up preempts; a new task is placed
   *   with no lag and does not. The previous-CPU preference is
   *   select_idle_sibling() (line 7888 in 6.18).
   */
  scheduleTasks(scheduling: TaskScheduling): void {
    checkDurationNs(`${this.name} switchNs`, scheduling.switchNs);
    if (!(scheduling.sliceNs > 0 && scheduling.sliceNs !== Infinity)) throw new RangeError(`invalid ${this.name} sliceNs: ${scheduling.sliceNs}; expected a finite number of ns > 0`);
    checkDurationNs(`${this.name} ipiNs`, scheduling.ipiNs ?? 0);
    checkDurationNs(`${this.name} ipiSendNs`, scheduling.ipiSendNs ?? 0);
    checkDurationNs(`${this.name} idleExitNs`, scheduling.idleExitNs ?? 0);
    checkDurationNs(`${this.name} idleResidencyNs`, scheduling.idleResidencyNs ?? 0);
    const curve = scheduling.idleExitCurve ?? null;
    if (curve !== null)
      curve.forEach(([idleNs, exitNs], i) => {
        if (!(idleNs > 0 && idleNs !== Infinity && (i === 0 || idleNs > curve[i - 1][0]))) throw new RangeError(`invalid ${this.name} idleExitCurve: idle ${idleNs} ns at point ${i}; expected finite idle times > 0, increasing`);
        checkDurationNs(`${this.name} idleExitCurve exit at point ${i}`, exitNs);
      });
    this.tasks = {
      switchNs: scheduling.switchNs,
      sliceNs: scheduling.sliceNs,
      ipiNs: scheduling.ipiNs ?? 0,
      ipiSendNs: scheduling.ipiSendNs ?? 0,
      idlePolls: scheduling.idlePolls ?? true,
      idleExitNs: scheduling.idleExitNs ?? 0,
      idleResidencyNs: scheduling.idleResidencyNs ?? 0,
      idleExitCurve: curve !== null && curve.length > 0 ? curve : null,
    };
    this.unitTask = new Int32Array(this.units).fill(-1);
    this.unitRunStartNs = new Float64Array(this.units);
    // A core no task has run on yet has been idle since before the run (a reader blocked in accept(2) or read(2) long
    // before the first byte): its first wake-up leaves the deepest idle the curve knows, not one of the few ns since 0.
    this.unitIdleSinceNs = new Float64Array(this.units).fill(-Infinity);
    this.unitWaiters = new Array<JobLine | null>(this.units).fill(null);
    this.unitOwedNs = new Float64Array(this.units);
  }

  /** Returns the booked busy time per tag, ns, tags in the order first booked. */
  get busyNsByTag(): Map<string, number> {
    const out = new Map<string, number>();
    for (let i = 0; i < this.tags.length; i++) out.set(this.tags[i], this.tagNs[i]);
    return out;
  }

  /**
   * Returns the busy time so far, ns: what {@link Resource.busyNs} books
   * plus the part already served of the jobs now in service. The difference
   * of two readings is the busy time within the window between them, so a
   * utilization measured that way never exceeds 1.
   */
  busyNsSoFar(): number {
    const now = this.sim.scheduler.now();
    let ns = this.busyNs;
    // A job whose core is still leaving its idle state has started no service yet (startNs is ahead).
    for (const job of this.unitJob) if (job !== null) ns += Math.max(0, now - job.startNs);
    return ns;
  }

  /** Returns the busy time so far of each unit, ns (see {@link Resource.busyNsSoFar}). */
  unitBusyNsSoFar(): number[] {
    const now = this.sim.scheduler.now();
    return Array.from(this.unitBusyNs, (ns, u) => {
      const job = this.unitJob[u];
      return job !== null ? ns + Math.max(0, now - job.startNs) : ns;
    });
  }

  /** Returns {@link Resource.busyNsByTag} plus the part already served of the jobs now in service (see {@link Resource.busyNsSoFar}). */
  busyNsByTagSoFar(): Map<string, number> {
    const out = this.busyNsByTag;
    const now = this.sim.scheduler.now();
    for (const job of this.unitJob) {
      if (job === null) continue;
      const served = Math.max(0, now - job.startNs);
      const switching = Math.min(served, job.switchNs);
      const ipi = Math.min(switching, job.ipiNs);
      if (ipi > 0) out.set(WAKE_IPI, (out.get(WAKE_IPI) ?? 0) + ipi);
      if (switching > ipi) out.set(TASK_SWITCH, (out.get(TASK_SWITCH) ?? 0) + switching - ipi);
      if (served > switching) out.set(job.tag, (out.get(job.tag) ?? 0) + served - switching);
    }
    return out;
  }

  /** Jobs waiting (not in service; withdrawn ones are gone). */
  get queued(): number {
    return this.line.size + this.urgentLine.size + this.resumeLine.size + this.runnableLine.size + this.parkedWaiters;
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
    // Checked before the name is built: a template string here was an allocation per step of every process.
    if (!(job.ns >= 0 && job.ns !== Infinity)) checkDurationNs(`${this.name} service ns`, job.ns);
    job.switchNs = 0;
    job.ipiNs = 0;
    if (this.tasks === null) {
      // A plain FIFO server (a device, or cores that schedule no tasks): no unit is held or waited for, no task lines.
      if (this.inUse < this.units) {
        this.inUse++;
        this.startPlain(job, this.freeUnits.pop()!);
        return;
      }
      job.startNs = this.sim.scheduler.now(); // reused as "queued at" until it starts
      job.status = QUEUED;
      (urgent ? this.urgentLine : this.line).push(job);
      this.noteQueueLength();
      return;
    }
    if (job === this.heldFor) {
      // The task's next step on the core it kept.
      const unit = this.heldUnit;
      this.heldFor = null;
      this.heldUnit = -1;
      this.start(job, unit, false);
      return;
    }
    // A task step that may wait for its previous core (see scheduleTasks); a requeued one already has its line.
    const mayPark = !urgent && job.pid !== 0 && this.unitWaiters !== null && job !== this.requeueFor;
    // A wake-up by a step on some core: its target core takes an IPI unless it is that core (see start) or idles polling.
    const remoteWake = mayPark && job.woken && job.wakerUnit >= 0;
    if (remoteWake && !this.tasks!.idlePolls) job.ipiNs = this.tasks!.ipiNs;
    if (mayPark && this.waitForPreviousCore(job)) return;
    if (this.inUse < this.units) {
      this.inUse++;
      this.start(job, this.takeUnit(job.pid), true);
      return;
    }
    job.startNs = this.sim.scheduler.now(); // reused as "queued at" until it starts
    job.status = QUEUED;
    // Preempting the task on its previous core: a resched IPI, whatever the idle loop does.
    if (remoteWake) job.ipiNs = this.tasks!.ipiNs;
    if (mayPark && job.woken && this.waitForPreviousCore(job, true)) return;
    // Queued behind every core's tasks: no core is told to reschedule.
    job.ipiNs = 0;
    (urgent ? this.urgentLine
    : job === this.requeueFor ? this.requeueTo()
    : this.tasks === null || job.woken || job.pid === 0 ? this.line
    : this.runnableLine
    ).push(job);
    this.noteQueueLength();
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
      if (this.isWaiterLine(job.line)) this.parkedWaiters--;
      job.line!.withdraw(job);
      job.status = IDLE;
      this.withdrawn++;
    } else if (job.status === SERVING) {
      const usedNs = Math.max(0, this.sim.scheduler.now() - job.startNs);
      this.sim.scheduler.remove(job);
      this.busyNs += usedNs;
      this.unitBusyNs[job.unit] += usedNs;
      this.cancelled++;
      const switching = Math.min(usedNs, job.switchNs);
      if (switching > 0) this.bookSwitch(switching, job.ipiNs);
      this.book(job.tag, usedNs - switching);
      this.vacate(job);
      this.release(job.unit);
      job.unit = -1;
      this.startNext();
    }
  }

  /** Returns a free unit for a job of task *pid*, taken off the free stack (see {@link Resource.scheduleTasks} for the choice). */
  private takeUnit(pid: number): number {
    const free = this.freeUnits;
    let i = free.length - 1;
    const unitTask = this.unitTask;
    if (unitTask !== null && pid !== 0) {
      let fresh = -1;
      let k = i;
      for (; k >= 0; k--) {
        const last = unitTask[free[k]];
        if (last === pid) break;
        if (last === -1 && fresh < 0) fresh = k;
      }
      i = k >= 0 ? k : fresh >= 0 ? fresh : 0;
    }
    const unit = free[i];
    free[i] = free[free.length - 1];
    free.pop();
    return unit;
  }

  /**
   * Queues task step *job* for the core that last ran its task, if an
   * interrupt handler is all that core runs now (or, *behindTask*, if
   * another task runs there: a woken task then preempts it at its next
   * step boundary) and no other task waits for it; returns whether it did.
   */
  private waitForPreviousCore(job: Servable, behindTask = false): boolean {
    const prev = job.lastUnit;
    if (prev < 0) return false;
    const running = this.unitJob[prev];
    if (running === null || (running.pid === 0) === behindTask) return false;
    const line = this.waiterLine(prev);
    if (line.size > 0) return false;
    job.startNs = this.sim.scheduler.now(); // reused as "queued at" until it starts
    job.status = QUEUED;
    line.push(job);
    this.parkedWaiters++;
    this.noteQueueLength();
    return true;
  }

  /** A job joined a line: keeps `maxQueue`. */
  private noteQueueLength(): void {
    const q = this.queued;
    if (q > this.maxQueue) this.maxQueue = q;
  }

  /** The line a requeued task goes to (see finishTaskStep), counted if it is a unit's waiter line. */
  private requeueTo(): JobLine {
    const line = this.requeueLine!;
    if (this.isWaiterLine(line)) this.parkedWaiters++;
    return line;
  }

  /** Whether *line* is one of the units' waiter lines (not one of the shared lines). */
  private isWaiterLine(line: Servable["line"]): boolean {
    return line !== this.line && line !== this.urgentLine && line !== this.resumeLine && line !== this.runnableLine;
  }

  /** Returns the line of the task waiting for *unit* (made on first use). */
  private waiterLine(unit: number): JobLine {
    const waiters = this.unitWaiters!;
    return (waiters[unit] ??= new JobLine());
  }

  /** Gives *unit* back. */
  private release(unit: number): void {
    this.inUse--;
    this.freeUnits.push(unit);
    if (this.unitIdleSinceNs !== null) this.unitIdleSinceNs[unit] = this.sim.scheduler.now();
  }

  /** Marks *job* out of service. */
  private vacate(job: Servable): void {
    job.status = IDLE;
    if (job.unit >= 0) this.unitJob[job.unit] = null;
  }

  /**
   * Starts *job* on *unit* (already counted in `inUse`); *fresh* unless it
   * continues the task that held the unit; *resumed* when it comes back from
   * a preemption by an interrupt (its slice then goes on where it was).
   */
  private start(job: Servable, unit: number, fresh: boolean, resumed = false): void {
    // A task woken from another core onto a free unit that has idled long enough to be in an idle state: the unit is
    // its, but it runs once the unit has left that state (see scheduleTasks, "Idle exit"), at a time of its own, so
    // that everything it records comes in time order.
    const exitNs = fresh && this.unitIdleSinceNs !== null && job.woken && job.wakerUnit >= 0 && job.wakerUnit !== unit ? this.idleExitOf(unit) : 0;
    if (exitNs > 0) {
      job.status = SERVING;
      job.unit = unit;
      job.startNs = this.sim.scheduler.now() + exitNs; // nothing served before then (see busyNsSoFar, cancel)
      this.unitJob[unit] = job;
      this.sim.scheduler.post(exitNs, this.afterIdleExit, job, resumed);
      return;
    }
    this.startNow(job, unit, fresh, resumed);
  }

  /** Starts *job* on its unit once that has left its idle state, unless it was cancelled meanwhile. */
  private readonly afterIdleExit = (job: Servable, resumed: boolean): void => {
    // Gone meanwhile (cancelled), or started again since (a later exit of its own is due then).
    if (job.status !== SERVING || job.unit < 0 || this.unitJob[job.unit] !== job || job.startNs !== this.sim.scheduler.now()) return;
    this.startNow(job, job.unit, true, resumed);
  };

  /** Starts *job* on *unit* now (see {@link Resource.start}). */
  private startNow(job: Servable, unit: number, fresh: boolean, resumed: boolean): void {
    const scheduler = this.sim.scheduler;
    const now = scheduler.now();
    this.occupy(job, unit, now);
    const unitTask = this.unitTask;
    if (unitTask !== null && job.pid !== 0 && fresh) {
      const last = unitTask[unit];
      if (last !== -1 && last !== job.pid) {
        job.switchNs = this.tasks!.switchNs;
        this.taskSwitches++;
        const trace = this.sim.trace;
        trace.record(now, TASK_SWITCH, job.pid, job.switchNs, 0, trace.detailed ? `${last}→${job.pid}` : "");
      }
      if (!(resumed && last === job.pid)) this.unitRunStartNs![unit] = now;
      unitTask[unit] = job.pid;
      job.lastUnit = unit;
      if (job.ipiNs > 0) {
        if (unit === job.wakerUnit) job.ipiNs = 0; // woken on the waker's own core: no IPI
        else {
          job.switchNs += job.ipiNs;
          this.wakeIpis++;
          this.sim.trace.record(now, WAKE_IPI, job.pid, job.ipiNs, 0, "taken");
          if (this.tasks!.ipiSendNs > 0) this.oweSend(job.wakerUnit);
        }
      }
    }
    // The waker's side of IPIs this core sent since its last start, in front of what it runs next (see oweSend).
    const owed = this.unitOwedNs !== null ? this.unitOwedNs[unit] : 0;
    if (owed > 0) {
      job.switchNs += owed;
      job.ipiNs += owed;
      this.unitOwedNs![unit] = 0;
    }
    if (job.traceKind !== null) this.sim.trace.record(now + job.switchNs, job.traceKind, job.pid, job.ns, job.bytes, job.detail);
    scheduler.enqueue(job, job.ns + job.switchNs);
  }

  /**
   * Starts *job* on *unit* now on a resource that schedules no tasks:
   * {@link Resource.startNow} without its task rules, and no idle exit
   * (the job's `switchNs` is 0).
   */
  private startPlain(job: Servable, unit: number): void {
    const scheduler = this.sim.scheduler;
    const now = scheduler.now();
    this.occupy(job, unit, now);
    if (job.traceKind !== null) this.sim.trace.record(now, job.traceKind, job.pid, job.ns, job.bytes, job.detail);
    scheduler.enqueue(job, job.ns);
  }

  /** Puts *job* in service on *unit* from *now*. */
  private occupy(job: Servable, unit: number, now: number): void {
    job.status = SERVING;
    job.startNs = now;
    job.unit = unit;
    this.unitJob[unit] = job;
  }

  /**
   * Charges *unit*, the waker's core, the send of a wake-up IPI (`ipiSendNs`,
   * under "ipi"): on Linux it is part of the waker's try_to_wake_up() (the
   * remote path, ttwu_queue_wakelist() → __smp_call_single_queue() →
   * send_call_function_single_ipi(), or resched_curr() →
   * smp_send_reschedule(), kernel/sched/core.c), done before the woken task
   * starts. The model decides the IPI when the woken task starts, so the
   * send lengthens what the waker's core is serving then (usually the
   * waker's own next step, whose end moves later), is booked in front of
   * what it starts next when it is between steps, or at once when it is idle.
   */
  private oweSend(unit: number): void {
    const ns = this.tasks!.ipiSendNs;
    this.wakeIpiSendNs += ns;
    const job = this.unitJob[unit];
    const now = this.sim.scheduler.now();
    this.sim.trace.record(now, WAKE_IPI, job !== null ? job.pid : Math.max(0, this.unitTask![unit]), ns, 0, "sent");
    if (job !== null && job.startNs <= now) {
      // In service: its end moves ns later (the job's end is start + switch + service).
      job.switchNs += ns;
      job.ipiNs += ns;
      this.sim.scheduler.enqueue(job, job.startNs + job.switchNs + job.ns - now);
    } else if (job !== null || this.heldUnit === unit) this.unitOwedNs![unit] += ns;
    else {
      this.busyNs += ns;
      this.unitBusyNs[unit] += ns;
      this.book(WAKE_IPI, ns);
    }
  }

  /** Returns the exit latency a start on free *unit* waits now (0 unless it idled at least the residency), and counts it. */
  private idleExitOf(unit: number): number {
    const tasks = this.tasks!;
    const curve = tasks.idleExitCurve;
    if (tasks.idleExitNs === 0 && curve === null) return 0;
    const idleNs = this.sim.scheduler.now() - this.unitIdleSinceNs![unit];
    if (!(idleNs > 0 && idleNs >= tasks.idleResidencyNs)) return 0;
    const exitNs = curve === null ? tasks.idleExitNs : exitAfterIdle(curve, idleNs);
    if (exitNs === 0) return 0;
    this.idleExits++;
    this.idleExitNs += exitNs;
    return exitNs;
  }

  /**
   * Starts the next waiting job, if any: urgent ones, then the task waiting
   * for the unit just freed, then preempted tasks, then the line (wake-ups),
   * then new tasks and those whose slice ran out; with none of those, a task
   * waiting for another core (idle balance).
   */
  private startNext(): void {
    if (this.urgentLine.size === 0 && this.unitWaiters !== null && this.startWaiter()) return;
    const resumed = this.urgentLine.size === 0 && this.resumeLine.size > 0;
    const next =
      this.urgentLine.size > 0 ? this.urgentLine.shift()
      : resumed ? this.resumeLine.shift()
      : this.line.size > 0 ? this.line.shift()
      : this.runnableLine.size > 0 ? this.runnableLine.shift()
      : null;
    if (next === null) {
      if (this.unitWaiters !== null) this.stealWaiter();
      return;
    }
    this.waitNs += this.sim.scheduler.now() - next.startNs;
    this.inUse++;
    this.start(next, this.takeUnit(next.pid), true, resumed);
  }

  /**
   * Idle balance: nothing waits in the lines, so the unit freed last takes
   * a task waiting for a core that another task still holds (Linux's
   * newidle balance pulls a runnable task from a busier run queue rather
   * than leave a core idle); the task migrates, and switches. A task
   * waiting for a core that only runs an interrupt handler is left: it
   * gets that core as soon as the handler ends.
   */
  private stealWaiter(): void {
    if (this.parkedWaiters === 0) return;
    const waiters = this.unitWaiters!;
    const free = this.freeUnits;
    for (let u = 0; u < this.units && free.length > 0; u++) {
      const line = waiters[u];
      if (line === null || line.size === 0) continue;
      const running = this.unitJob[u];
      if (running === null || running.pid === 0) continue;
      this.startParked(line, free.pop()!);
      return;
    }
  }

  /** Starts the task waiting for the unit freed last (the top of the free stack), if any; returns whether it did. */
  private startWaiter(): boolean {
    const free = this.freeUnits;
    if (free.length === 0) return false;
    const unit = free[free.length - 1];
    const line = this.unitWaiters![unit];
    if (line === null || line.size === 0) return false;
    free.pop();
    this.startParked(line, unit);
    return true;
  }

  /** Starts the task waiting in unit waiter *line* on free *unit* (already taken off the free stack). */
  private startParked(line: JobLine, unit: number): void {
    const next = line.shift()!;
    this.parkedWaiters--;
    this.waitNs += this.sim.scheduler.now() - next.startNs;
    this.inUse++;
    this.start(next, unit, true, false);
  }

  /** Books *ns* of time in front of a step: up to *ipiNs* of it (the IPI comes first) as "ipi", the rest as "task-switch". */
  private bookSwitch(ns: number, ipiNs: number): void {
    const ipi = Math.min(ns, ipiNs);
    if (ipi > 0) this.book(WAKE_IPI, ipi);
    if (ns > ipi) this.book(TASK_SWITCH, ns - ipi);
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
    if (this.tasks === null) {
      this.finishPlain(job);
      return;
    }
    // What the step's end wakes is woken from this core (see scheduleTasks, "Wake-up IPI").
    const scheduler = this.sim.scheduler;
    scheduler.firingUnit = job.unit;
    try {
      this.finishOn(job, job.unit);
    } finally {
      scheduler.firingUnit = -1;
    }
  }

  /**
   * {@link Resource.finishOn} for a resource that schedules no tasks: the
   * job's `switchNs` is 0, and the next job comes from the urgent line or
   * the line (the others are the task scheduler's).
   */
  private finishPlain(job: Servable): void {
    const unit = job.unit;
    job.status = IDLE;
    job.unit = -1;
    this.unitJob[unit] = null;
    const ns = job.ns;
    this.busyNs += ns;
    this.unitBusyNs[unit] += ns;
    this.completed++;
    this.book(job.tag, ns);
    this.inUse--;
    const free = this.freeUnits;
    free.push(unit);
    const from = this.urgentLine.size > 0 ? this.urgentLine : this.line.size > 0 ? this.line : null;
    if (from !== null) {
      const next = from.shift()!;
      this.waitNs += this.sim.scheduler.now() - next.startNs;
      this.inUse++;
      this.startPlain(next, free.pop()!);
    }
    job.serviceEnded();
  }

  /** Ends *job*'s service on *unit*: books it, then hands the unit on and resumes the job's owner. */
  private finishOn(job: Servable, unit: number): void {
    this.vacate(job);
    job.unit = -1;
    this.busyNs += job.ns + job.switchNs;
    this.unitBusyNs[unit] += job.ns + job.switchNs;
    this.completed++;
    if (job.switchNs > 0) this.bookSwitch(job.switchNs, job.ipiNs);
    this.book(job.tag, job.ns);
    if (this.tasks !== null && job.pid !== 0) {
      this.finishTaskStep(job, unit);
      return;
    }
    this.release(unit);
    this.startNext();
    job.serviceEnded();
  }

  /** Ends a task's step on *unit*: keeps the core for its next step, or hands it over (see {@link Resource.scheduleTasks}). */
  private finishTaskStep(job: Servable, unit: number): void {
    const sliceOver = this.sim.scheduler.now() - this.unitRunStartNs![unit] >= this.tasks!.sliceNs;
    const waiter = this.unitWaiters![unit];
    const waiting = waiter === null ? 0 : waiter.size;
    const othersWait = this.line.size + this.resumeLine.size + this.runnableLine.size + waiting > 0;
    // A task woken for this core preempts at this boundary; one that was preempted here waits for the core to free.
    const wokenWaits = waiting > 0 && waiter!.peek()!.woken;
    if (this.urgentLine.size === 0 && this.line.size === 0 && !wokenWaits && !(sliceOver && othersWait)) {
      // Keep the core while the task takes its next step; give it up if that step is not on this resource.
      this.heldUnit = unit;
      this.heldFor = job;
      job.serviceEnded();
      if (this.heldFor === job) {
        this.heldFor = null;
        this.heldUnit = -1;
        this.release(unit);
        this.startNext();
      }
      return;
    }
    // Hand the core over; a next step of this task waits at the back (slice over), or for this core: it stays on this
    // core's run queue, and resumes when the interrupt handler, the kernel's work or the woken task that took the core is
    // done with it (or another core pulls it, see stealWaiter); if another task already waits for this core, as preempted
    // (any core).
    this.release(unit);
    this.startNext();
    const mine = this.waiterLine(unit);
    this.requeueFor = job;
    this.requeueLine = sliceOver && othersWait ? this.runnableLine : mine.size === 0 ? mine : this.resumeLine;
    job.serviceEnded();
    if (this.requeueFor === job) {
      this.requeueFor = null;
      this.requeueLine = null;
    }
  }
}
