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
 * The cards live in a binary heap keyed by (timeNs, seq), as SimPy keeps
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

/** Something due at a virtual time; lives in the heap. */
interface Due {
  /** Virtual time at which it runs, ns. */
  timeNs: number;
  /** Insertion order, breaks ties. */
  seq: number;
  /** Position in the heap, -1 when not pending. */
  heapIndex: number;
  /** Runs the work. */
  fire(): void;
}

/** A bare callback scheduled with {@link SimScheduler.post}. */
class Posted implements Due {
  timeNs = 0;
  seq = 0;
  heapIndex = -1;
  constructor(readonly callback: () => void) {}
  fire(): void {
    this.callback();
  }
}

/**
 * The RxJS action: a Subscription that can reschedule itself, as RxJS
 * operators expect (`this.schedule(state, period)` inside the work).
 */
class SimAction<T> extends Subscription implements SchedulerAction<T>, Due {
  timeNs = 0;
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
  /** Binary min-heap on (timeNs, seq). */
  private heap: Due[] = [];
  /** How many pieces of work have run, all runs together. */
  eventsRun = 0;
  /** Whether {@link run} is on the stack (unhandled errors are then already routed here). */
  running = false;
  /** Errors reported as unhandled and not yet thrown by {@link run}, in the order they happened. */
  private unhandled: unknown[] = [];

  now(): number {
    return this.nowNs;
  }

  /** Number of pieces of work waiting. */
  get pending(): number {
    return this.heap.length;
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
  post(delayNs: number, callback: () => void): void {
    checkDurationNs("delayNs", delayNs);
    this.enqueue(new Posted(callback), delayNs);
  }

  /** Files (or refiles) *due* at now + *delayNs*. */
  enqueue(due: Due, delayNs: number): void {
    if (!(delayNs >= 0)) delayNs = 0; // RxJS treats negative and NaN delays as 0
    if (due.heapIndex >= 0) this.remove(due);
    due.timeNs = this.nowNs + delayNs;
    due.seq = this.nextSeq++;
    const heap = this.heap;
    heap.push(due);
    this.siftUp(heap.length - 1, due);
  }

  /** Takes *due* out of the heap if it is there. */
  remove(due: Due): void {
    const i = due.heapIndex;
    if (i < 0) return;
    const heap = this.heap;
    const last = heap.pop()!;
    due.heapIndex = -1;
    if (i === heap.length) return;
    heap[i] = last;
    last.heapIndex = i;
    if (i > 0 && before(last, heap[(i - 1) >> 1])) this.siftUp(i, last);
    else this.siftDown(i, last);
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
    const heap = this.heap;
    let budget = maxEvents;
    const previous = timeoutProvider.delegate;
    const wasRunning = this.running;
    timeoutProvider.delegate = this.unhandledDelegate;
    this.running = true;
    try {
      while (heap.length > 0) {
        const top = heap[0];
        if (top.timeNs > untilNs) break;
        if (--budget < 0) throw new SimulationLimitError(maxEvents);
        this.pop();
        this.nowNs = top.timeNs;
        this.eventsRun++;
        top.fire();
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

  private pop(): Due {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop()!;
    top.heapIndex = -1;
    if (heap.length > 0) {
      heap[0] = last;
      last.heapIndex = 0;
      this.siftDown(0, last);
    }
    return top;
  }

  private siftUp(i: number, item: Due): void {
    const heap = this.heap;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = heap[parentIndex];
      if (!before(item, parent)) break;
      heap[i] = parent;
      parent.heapIndex = i;
      i = parentIndex;
    }
    heap[i] = item;
    item.heapIndex = i;
  }

  private siftDown(i: number, item: Due): void {
    const heap = this.heap;
    const n = heap.length;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && before(heap[right], heap[child])) child = right;
      const c = heap[child];
      if (!before(c, item)) break;
      heap[i] = c;
      c.heapIndex = i;
      i = child;
    }
    heap[i] = item;
    item.heapIndex = i;
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

function before(a: Due, b: Due): boolean {
  return a.timeNs < b.timeNs || (a.timeNs === b.timeNs && a.seq < b.seq);
}
