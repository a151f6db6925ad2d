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

  /** Runs *callback* after *delayNs* of virtual time; no Subscription, cannot be cancelled. */
  post(delayNs: number, callback: () => void): void {
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
   * Runs pending work in order until none is left, or until virtual time
   * would pass *untilNs*; returns the virtual time reached.
   */
  run(untilNs = Infinity, maxEvents = Infinity): number {
    const heap = this.heap;
    let budget = maxEvents;
    while (heap.length > 0) {
      const top = heap[0];
      if (top.timeNs > untilNs) {
        this.nowNs = untilNs;
        return untilNs;
      }
      this.pop();
      this.nowNs = top.timeNs;
      if (--budget < 0) throw new SimulationLimitError(maxEvents);
      this.eventsRun++;
      top.fire();
    }
    return this.nowNs;
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

function before(a: Due, b: Due): boolean {
  return a.timeNs < b.timeNs || (a.timeNs === b.timeNs && a.seq < b.seq);
}
