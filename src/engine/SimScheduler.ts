/**
 * A virtual-time RxJS scheduler.
 *
 * Think of a desk calendar rather than a clock: nothing "waits" for time to
 * pass. Every piece of pending work is a card filed under the virtual
 * nanosecond at which it is due; `run()` keeps taking the earliest card,
 * moves the calendar's date to it and does the work, which may file new
 * cards. Cards due at the same nanosecond are taken in the order they were
 * filed, so a run is deterministic.
 *
 * The cards live in a heap keyed by (timeNs, seq), as SimPy keeps
 * `(now + delay, priority, eid, event)`. RxJS's own `VirtualTimeScheduler`
 * has the same order but re-sorts its whole action array on every
 * `schedule()`, which is quadratic once thousands of events are pending.
 *
 * Two ways in:
 * - `schedule(work, delayNs, state)`, the RxJS `SchedulerLike` contract, so
 *   `timer`, `delay`, `bufferTime`, `throttleTime`... run in virtual time when
 *   handed this scheduler;
 * - `post(delayNs, callback)`, a bare callback with no Subscription, which the
 *   engine's own sources use on their hot path.
 */
import {Subscription, type SchedulerAction, type SchedulerLike} from "rxjs";
import {timeoutProvider} from "rxjs/internal/scheduler/timeoutProvider";

/** The part of RxJS's `timeoutProvider` delegate that {@link SimScheduler} installs. */
type TimeoutDelegate = NonNullable<typeof timeoutProvider.delegate>;

/**
 * Work filed at most this far ahead goes to the near heap (see
 * `SimScheduler.near`), ns: beyond a core's steps and a LAN's round trips,
 * short of a client's think time or a TCP timer.
 */
const NEAR_HORIZON_NS = 1_000_000;

/** Something due at a virtual time; lives in the heap. */
interface Due {
  /** Insertion sequence of its live heap entry; breaks ties. */
  seq: number;
  /** ≥ 0 while it is pending, -1 when not. */
  heapIndex: number;
  /** Runs the work. */
  fire(): void;
}

/** A bare callback scheduled with {@link SimScheduler.post}, with the arguments it is called with. */
class Posted implements Due {
  seq = 0;
  heapIndex = -1;
  constructor(
    readonly callback: (a: any, b: any) => void, // eslint-disable-line @typescript-eslint/no-explicit-any -- typed at post()
    readonly a: unknown,
    readonly b: unknown,
  ) {}
  fire(): void {
    this.callback(this.a, this.b);
  }
}

/**
 * The RxJS action: a Subscription that can reschedule itself, as RxJS
 * operators expect (`this.schedule(state, period)` inside the work).
 */
class SimAction<T> extends Subscription implements SchedulerAction<T>, Due {
  seq = 0;
  heapIndex = -1;
  /** The state handed to the work on its next run. */
  private state: T | undefined;

  constructor(
    private readonly scheduler: SimScheduler,
    private readonly work: (this: SchedulerAction<T>, state?: T) => void,
  ) {
    super();
  }

  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    this.state = state;
    this.scheduler.enqueue(this, delay);
    return this;
  }

  fire(): void {
    if (this.closed) return;
    this.work(this.state);
  }

  override unsubscribe(): void {
    if (this.closed) return;
    this.scheduler.remove(this);
    super.unsubscribe();
  }
}

/** Raised when a run exceeds its event budget (a runaway model). */
export class SimulationLimitError extends Error {
  constructor(readonly maxEvents: number) {
    super(`simulation exceeded maxEvents=${maxEvents}; expected a model that finishes (raise maxEvents if it is just large)`);
    this.name = "SimulationLimitError";
  }
}

/**
 * Returns a scheduler whose `now()` is virtual nanoseconds and whose pending
 * work runs, in (time, insertion) order, when you call {@link SimScheduler.run}.
 *
 * ```ts
 * const s = new SimScheduler();
 * timer(500, s).subscribe(() => console.log(s.now())); // 500
 * s.run();
 * ```
 */
export class SimScheduler implements SchedulerLike {
  /** Current virtual time, ns. */
  private nowNs = 0;
  /** Next insertion sequence number. */
  private nextSeq = 0;
  /**
   * The pending work, in two heaps on (time, seq): the near heap holds what
   * is due within {@link NEAR_HORIZON_NS} of the moment it was filed (a
   * core's next step, an interrupt, a packet on the wire), the far heap the
   * rest (a client's think time, a retransmission timer). Every run takes
   * the smaller of the two tops, so the order is exactly that of one heap;
   * but most work is filed near and taken soon, and a near heap of a few
   * hundred entries is sifted in a few levels of cache-resident keys, where
   * one heap of 100,000 mostly-idle clients was sifted through all of them.
   */
  private near = new KeyHeap();
  private far = new KeyHeap();
  /**
   * Entries still pending. Removal is lazy: a removed (or re-filed) entry
   * stays in its heap, stale, until it reaches the top and is dropped, so
   * neither removing nor sifting writes a position into the entries. An
   * entry is live while its `heapIndex` ≥ 0 and its `seq` is the one filed
   * with it. When stale entries outnumber live ones the heaps are rebuilt, so
   * memory follows what is pending.
   */
  private live = 0;
  /**
   * A sum of fields read from the entries due next, only so that those
   * reads happen (see {@link run}); it means nothing.
   */
  private touched = 0;
  /** How many pieces of work have run, all runs together. */
  eventsRun = 0;
  /**
   * The core whose step is ending while its end is being processed (set by
   * a Resource that schedules tasks), else −1: a process woken then was
   * woken from that core (see Resource.scheduleTasks, "Wake-up IPI").
   */
  firingUnit = -1;
  /** Whether {@link run} is on the stack (unhandled errors are then already routed here). */
  running = false;
  /** Errors reported as unhandled and not yet thrown by {@link run}, in the order they happened. */
  private unhandled: unknown[] = [];

  now(): number {
    return this.nowNs;
  }

  /** Number of pieces of work waiting. */
  get pending(): number {
    return this.live;
  }

  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    return new SimAction<T>(this, work).schedule(state, delay);
  }

  /**
   * Runs *callback* after *delayNs* of virtual time; no Subscription, cannot
   * be cancelled. Unlike `schedule()` (whose RxJS contract treats a negative
   * or NaN delay as 0), a delay that is negative, NaN or infinite is a
   * RangeError: it is a model's bug, not a "now".
   */
  post(delayNs: number, callback: () => void): void;
  /**
   * Runs `callback(a, b)` after *delayNs*: the same as
   * `post(delayNs, () => callback(a, b))` without a closure per call, for a
   * hot path that keeps *callback* (a bound method made once) and passes
   * what changes.
   */
  post<A, B = undefined>(delayNs: number, callback: (a: A, b: B) => void, a: A, b?: B): void;
  post(delayNs: number, callback: (a: unknown, b: unknown) => void, a?: unknown, b?: unknown): void {
    if (!(delayNs >= 0 && delayNs !== Infinity)) checkDurationNs("delayNs", delayNs);
    this.enqueue(new Posted(callback, a, b), delayNs);
  }

  /** Files (or refiles) *due* at now + *delayNs*. */
  enqueue(due: Due, delayNs: number): void {
    if (!(delayNs >= 0)) delayNs = 0; // RxJS treats negative and NaN delays as 0
    if (due.heapIndex < 0) {
      due.heapIndex = 0;
      this.live++;
    } // else its old entry turns stale: its seq no longer matches
    const seq = (due.seq = this.nextSeq++);
    // The time is kept in the heap's key arrays only.
    (delayNs < NEAR_HORIZON_NS ? this.near : this.far).push(due, this.nowNs + delayNs, seq);
  }

  /** Takes *due* out of the pending work if it is there (its heap entry turns stale). */
  remove(due: Due): void {
    if (due.heapIndex < 0) return;
    due.heapIndex = -1;
    this.live--;
    const stale = this.near.size + this.far.size - this.live;
    if (stale > 1024 && stale > this.live) {
      this.near.rebuild();
      this.far.rebuild();
    }
  }

  /**
   * Runs pending work in (time, insertion) order until none is left, or
   * until virtual time would pass *untilNs*; returns the virtual time reached.
   *
   * The clock never goes backwards and a bounded run ends at its bound:
   * - work due at exactly *untilNs* runs; the clock is then *untilNs*, whether
   *   later work is pending or the heap emptied earlier (SimPy's
   *   `env.run(until)`), so `run(a)` then `run(b)` steps through time as one
   *   `run(b)` would;
   * - a *untilNs* earlier than `now()` runs nothing and leaves the clock where
   *   it is (the past cannot be re-entered);
   * - with no *untilNs* the clock stops at the last piece of work that ran:
   *   there is no later instant to advance to.
   *
   * At most *maxEvents* pieces of work run in this call; the budget is checked
   * before the next is taken off the heap, so the {@link SimulationLimitError}
   * leaves every pending piece pending and a later `run()` resumes exactly
   * where this one stopped.
   *
   * An error that RxJS would report as unhandled while the work runs (a
   * process whose body threw, with no error callback down its chain) stops
   * the run and is thrown from here; see {@link SimScheduler.captureUnhandled}.
   */
  run(untilNs = Infinity, maxEvents = Infinity): number {
    if (Number.isNaN(untilNs)) throw new RangeError(`invalid untilNs: NaN; expected a virtual time in ns`);
    if (!(maxEvents >= 0)) throw new RangeError(`invalid maxEvents: ${maxEvents}; expected a count ≥ 0`);
    this.throwUnhandled();
    if (untilNs < this.nowNs) return this.nowNs;
    // A count up, not a budget counted down from maxEvents: Infinity - 1 is a double, boxed anew at every event.
    let ran = 0;
    const previous = timeoutProvider.delegate;
    const wasRunning = this.running;
    timeoutProvider.delegate = this.unhandledDelegate;
    this.running = true;
    try {
      const near = this.near;
      const far = this.far;
      for (;;) {
        // The heap whose top comes first; ties of time go by seq, as in one heap.
        let heap: KeyHeap;
        if (near.size === 0) {
          if (far.size === 0) break;
          heap = far;
        } else if (far.size === 0) heap = near;
        else {
          const nt = near.times[0];
          const ft = far.times[0];
          heap = nt < ft || (nt === ft && near.seqs[0] < far.seqs[0]) ? near : far;
        }
        const top = heap.entries[0]!;
        if (top.heapIndex < 0 || top.seq !== heap.seqs[0]) {
          heap.pop(); // stale: removed or re-filed
          continue;
        }
        const timeNs = heap.times[0];
        if (timeNs > untilNs) break;
        if (++ran > maxEvents) throw new SimulationLimitError(maxEvents);
        // Read a field of each of the top's four children, which are due soon (one of them next, unless this work files
        // earlier work): with thousands pending, an entry reaching the top is an object last touched thousands of events
        // ago, and its cache miss then stalled the loop; read now, it is fetched while this work runs (a prefetch). A
        // smaller heap's entries are still in cache, and the reads would only cost.
        if (heap.size > 1024) {
          const entries = heap.entries;
          this.touched = entries[1]!.heapIndex + entries[2]!.heapIndex + entries[3]!.heapIndex + entries[4]!.heapIndex;
        }
        // The top stays in its slot while it runs, dead: the first entry filed into this heap meanwhile takes the
        // slot (see KeyHeap.push), and only if none was is the top popped after the run.
        heap.topDead = true;
        top.heapIndex = -1;
        this.live--;
        this.nowNs = timeNs;
        this.eventsRun++;
        top.fire();
        if (heap.topDead) heap.pop();
        if (this.unhandled.length > 0) this.throwUnhandled();
      }
    } finally {
      timeoutProvider.delegate = previous;
      this.running = wasRunning;
    }
    if (untilNs !== Infinity) this.nowNs = untilNs;
    return this.nowNs;
  }

  /**
   * Calls *fn* with RxJS's unhandled-error reports routed to this scheduler:
   * an error that reaches a subscriber with no error callback is recorded
   * here (and thrown by the next {@link run}) instead of being thrown later
   * from a real `setTimeout`, where it would escape the simulation. `run()`
   * does this for all the work it runs; a process does it for its first step,
   * which runs on subscription, outside any run.
   *
   * RxJS reports unhandled errors through its `timeoutProvider` (as
   * `reportUnhandledError`); its own `TestScheduler.run()` swaps the same
   * provider's delegate to bring those reports into virtual time.
   */
  captureUnhandled(fn: () => void): void {
    const previous = timeoutProvider.delegate;
    timeoutProvider.delegate = this.unhandledDelegate;
    try {
      fn();
    } finally {
      timeoutProvider.delegate = previous;
    }
  }

  /**
   * The `timeoutProvider` delegate installed while the simulation runs: it
   * runs RxJS's report callback at once (which calls `config.onUnhandledError`
   * if the user set one, else throws the error) and keeps what it throws.
   */
  private readonly unhandledDelegate: TimeoutDelegate = {
    setTimeout: (handler: () => void) => {
      try {
        handler();
      } catch (err) {
        this.unhandled.push(err);
      }
      return 0 as unknown as ReturnType<TimeoutDelegate["setTimeout"]>;
    },
    clearTimeout: () => {},
  };

  /** Throws the first unhandled error recorded (the others are dropped with it: the run is over). */
  private throwUnhandled(): void {
    if (this.unhandled.length === 0) return;
    const err = this.unhandled[0];
    this.unhandled = [];
    throw err;
  }

  /** Alias of {@link run} matching RxJS's `VirtualTimeScheduler.flush()`. */
  flush(): void {
    this.run();
  }

}

/**
 * A four-ary min-heap on (time, seq) (half the levels of a binary heap, and
 * a node's children share a cache line), kept as three parallel arrays: the
 * keys in typed arrays and the entries in a plain one. Sifting compares keys
 * without touching the entries, so a heap of 10,000 processes is walked in
 * 160 KB of contiguous keys instead of through 10,000 scattered objects
 * (each process also drags its generator and context into the cache).
 */
class KeyHeap {
  entries: Array<Due | undefined> = [];
  times = new Float64Array(1024);
  seqs = new Float64Array(1024);
  /** Entries, stale ones included. */
  size = 0;
  /**
   * Whether the top entry has been taken to run and not yet removed. Work
   * that files new work as it runs (a process's next sleep, the next job
   * of a resource) would otherwise pop the top (sifting the last leaf down
   * from the root) and then push (sifting up from a new leaf); the first
   * push while the top is dead instead sifts down from the root into its
   * slot, heapq's `heapreplace`: one pass instead of two. While the top is
   * dead, every new entry is due no earlier than it (its time is now and
   * its seq the smallest), so sifting up never moves it.
   */
  topDead = false;

  /** Files *due* with key (*timeNs*, *seq*). */
  push(due: Due, timeNs: number, seq: number): void {
    if (this.topDead) {
      this.topDead = false;
      this.siftDown(0, due, timeNs, seq);
      return;
    }
    if (this.size === this.times.length) this.grow();
    this.siftUp(this.size++, due, timeNs, seq);
  }

  /** Drops the top entry. */
  pop(): void {
    this.topDead = false;
    const n = --this.size;
    const last = this.entries[n]!;
    this.entries[n] = undefined;
    if (n > 0) this.siftDown(0, last, this.times[n], this.seqs[n]);
  }

  private grow(): void {
    const times = new Float64Array(this.times.length * 2);
    times.set(this.times);
    this.times = times;
    const seqs = new Float64Array(this.seqs.length * 2);
    seqs.set(this.seqs);
    this.seqs = seqs;
  }

  /** Drops every stale entry and restores the heap order (Floyd's bottom-up heapify), O(n). */
  rebuild(): void {
    // A dead top is stale (its heapIndex is −1, or a new seq if it was filed again): dropped below with the others.
    this.topDead = false;
    const {entries, times, seqs} = this;
    let n = 0;
    for (let i = 0; i < this.size; i++) {
      const e = entries[i]!;
      if (e.heapIndex < 0 || e.seq !== seqs[i]) continue;
      entries[n] = e;
      times[n] = times[i];
      seqs[n] = seqs[i];
      n++;
    }
    for (let i = n; i < this.size; i++) entries[i] = undefined;
    this.size = n;
    for (let i = (n - 2) >> 2; i >= 0; i--) this.siftDown(i, entries[i]!, times[i], seqs[i]);
  }

  /** Places *due* with key (*timeNs*, *seq*) at or above slot *i*. */
  private siftUp(i: number, due: Due, timeNs: number, seq: number): void {
    const {entries, times, seqs} = this;
    while (i > 0) {
      const p = (i - 1) >> 2;
      const pt = times[p];
      if (pt < timeNs || (pt === timeNs && seqs[p] < seq)) break;
      entries[i] = entries[p];
      times[i] = pt;
      seqs[i] = seqs[p];
      i = p;
    }
    entries[i] = due;
    times[i] = timeNs;
    seqs[i] = seq;
  }

  /** Places *due* with key (*timeNs*, *seq*) at or below slot *i*, among the first `size` slots. */
  private siftDown(i: number, due: Due, timeNs: number, seq: number): void {
    const {entries, times, seqs} = this;
    const n = this.size;
    for (;;) {
      const first = 4 * i + 1;
      if (first >= n) break;
      // The smallest of up to four children, which sit side by side in the key arrays.
      let c = first;
      let ct = times[first];
      const end = first + 4 < n ? first + 4 : n;
      for (let k = first + 1; k < end; k++) {
        const kt = times[k];
        if (kt < ct || (kt === ct && seqs[k] < seqs[c])) {
          c = k;
          ct = kt;
        }
      }
      if (timeNs < ct || (timeNs === ct && seq < seqs[c])) break;
      entries[i] = entries[c];
      times[i] = ct;
      seqs[i] = seqs[c];
      i = c;
    }
    entries[i] = due;
    times[i] = timeNs;
    seqs[i] = seq;
  }
}

/**
 * Throws a RangeError unless *ns* is a finite number ≥ 0, naming *name* and
 * the value: a NaN would silently turn every busy-time sum into NaN, and a
 * negative or infinite one into a clock going backwards or never returning.
 */
export function checkDurationNs(name: string, ns: number): void {
  if (!(ns >= 0 && ns !== Infinity)) throw new RangeError(`invalid ${name}: ${ns}; expected a finite number of ns ≥ 0`);
}

