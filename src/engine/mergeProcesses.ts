/**
 * `mergeProcesses`: many concurrent processes with O(1) bookkeeping each.
 *
 * Think of a switchboard operator with a ring binder of open calls: a call
 * that ends is unclipped from wherever it sits in the binder, without leafing
 * through the others. RxJS's `mergeMap` keeps its inner subscriptions in the
 * outer subscriber's finalizer array, and each one that completes is spliced
 * out of it (`arrRemove`): with 10,000 connections open, every completion
 * shifts up to 10,000 entries, and a C10K run spends a third of its time
 * there. Here each inner subscriber is a node of an intrusive doubly linked
 * list, unlinked in O(1); values waiting for a free slot sit in a FIFO with a
 * head index (no `shift()`); and inner subscriptions complete without
 * recursion even when they finish synchronously. A spawned process (the
 * usual inner) is not subscribed to at all: its runner reports to its node
 * directly, which keeps 30% less alive per process.
 */
import {config, from, Observable, Subscriber, UnsubscriptionError, type ObservableInput, type OperatorFunction} from "rxjs";
import {isSpawned, runSpawned, type ProcessSink} from "./process.js";

/**
 * Returns an operator that maps each source value to an inner Observable
 * (typically a {@link spawn}ed process) and runs up to *concurrent* of them
 * at once, emitting their values as they come, like `mergeMap(project,
 * concurrent)` but with O(1) work per inner subscription started or finished.
 *
 * - Values beyond *concurrent* wait in arrival order and start as running
 *   ones finish (default: no limit).
 * - Emission order is deterministic: the order in which the inner
 *   Observables emit (in a simulation, virtual time, then the heap's
 *   insertion order).
 * - The first error, from the source, from *project* or from an inner,
 *   unsubscribes every running inner (releasing what they hold, see
 *   {@link spawn}) and is passed on.
 * - Completes when the source has completed and every inner has.
 * - Unsubscribing cancels the source and every running inner.
 *
 * ```ts
 * range(0, 10_000)
 *   .pipe(mergeProcesses((c) => spawn(sim, 1000 + c, () => client(c))))
 *   .subscribe();
 * sim.run();
 * ```
 * @see spawn
 */
export function mergeProcesses<T, R>(project: (value: T, index: number) => ObservableInput<R>, concurrent = Infinity): OperatorFunction<T, R> {
  if (!(concurrent === Infinity || (Number.isInteger(concurrent) && concurrent > 0)))
    throw new RangeError(`invalid concurrent: ${concurrent}; expected a positive integer or Infinity`);
  return (source) =>
    new Observable<R>((subscriber) => {
      const merge = new Merge<T, R>(subscriber, project, concurrent);
      source.subscribe(merge.outer);
      return merge;
    });
}

/** The state of one subscription to a {@link mergeProcesses} Observable; it is also its teardown. */
class Merge<T, R> implements InnerOwner<R> {
  /** The subscriber to the source. */
  readonly outer: OuterSubscriber<T, R>;
  /** First and last running inner (a doubly linked list through `prevInner`/`nextInner`). */
  private first: Inner<R> | null = null;
  private last: Inner<R> | null = null;
  /** Inner subscriptions running. */
  private active = 0;
  /** Source values waiting for a free slot, from `waitingHead` on. */
  private waiting: Array<T | undefined> = [];
  private waitingHead = 0;
  /** Index handed to *project* next. */
  private index = 0;
  /** Whether the source has completed. */
  private sourceDone = false;
  /** Whether a `drain()` loop is on the stack (an inner finishing inside it only frees its slot). */
  private draining = false;
  /** Set once the result has errored, completed or been unsubscribed. */
  private closed = false;

  constructor(
    private readonly subscriber: Subscriber<R>,
    private readonly project: (value: T, index: number) => ObservableInput<R>,
    private readonly concurrent: number,
  ) {
    this.outer = new OuterSubscriber(this);
  }

  /** A value from the source: start it now, or queue it. */
  push(value: T): void {
    if (this.closed) return;
    this.waiting.push(value);
    this.drain();
  }

  /** The source completed. */
  sourceCompleted(): void {
    this.sourceDone = true;
    this.checkComplete();
  }

  /** Starts waiting values while slots are free. Iterative: an inner that finishes at once never nests a call. */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      while (!this.closed && this.active < this.concurrent && this.waitingHead < this.waiting.length) {
        const value = this.waiting[this.waitingHead] as T;
        this.waiting[this.waitingHead++] = undefined;
        if (this.waitingHead === this.waiting.length) {
          this.waiting.length = 0;
          this.waitingHead = 0;
        } else if (this.waitingHead > 1024 && this.waitingHead * 2 > this.waiting.length) {
          this.waiting = this.waiting.slice(this.waitingHead);
          this.waitingHead = 0;
        }
        this.start(value);
      }
    } finally {
      this.draining = false;
    }
    this.checkComplete();
  }

  private start(value: T): void {
    let input: ObservableInput<R>;
    try {
      input = this.project(value, this.index++);
    } catch (err) {
      this.fail(err);
      return;
    }
    // A spawned process runs into an inner of its own, without an RxJS subscription (see InnerProcess).
    const spawned = isSpawned(input) && !config.useDeprecatedSynchronousErrorHandling;
    const inner = spawned ? new InnerProcess<R>(this) : new InnerSubscriber<R>(this);
    // Linked before subscribing: an inner that completes during subscribe() unlinks itself.
    inner.prevInner = this.last;
    if (this.last === null) this.first = inner;
    else this.last.nextInner = inner;
    this.last = inner;
    this.active++;
    if (spawned) (inner as InnerProcess<R>).run(input as Observable<R>);
    else from(input).subscribe(inner as InnerSubscriber<R>);
  }

  /** An inner value: passed on. */
  emit(value: R): void {
    if (!this.closed) this.subscriber.next(value);
  }

  /** An inner completed: unlink it, free its slot, start the next. */
  innerDone(inner: Inner<R>): void {
    this.unlink(inner);
    this.active--;
    this.drain();
  }

  private unlink(inner: Inner<R>): void {
    const {prevInner, nextInner} = inner;
    if (prevInner === null) this.first = nextInner;
    else prevInner.nextInner = nextInner;
    if (nextInner === null) this.last = prevInner;
    else nextInner.prevInner = prevInner;
    inner.prevInner = inner.nextInner = null;
  }

  private checkComplete(): void {
    if (this.closed || !this.sourceDone || this.active > 0 || this.waitingHead < this.waiting.length || this.draining) return;
    this.closed = true;
    this.subscriber.complete();
  }

  /** The first error, from anywhere: cancel everything, then pass it on. */
  fail(err: unknown): void {
    if (this.closed) return;
    this.unsubscribe();
    this.subscriber.error(err);
  }

  /** Teardown: cancels the source and every running inner, in the order they started. */
  unsubscribe(): void {
    this.closed = true;
    this.outer.unsubscribe();
    let inner = this.first;
    this.first = this.last = null;
    this.active = 0;
    this.waiting = [];
    this.waitingHead = 0;
    while (inner !== null) {
      const next = inner.nextInner;
      inner.prevInner = inner.nextInner = null;
      inner.unsubscribe();
      inner = next;
    }
  }
}

/**
 * The subscriber to the source. A `Subscriber` built with no destination is
 * added to no parent's finalizer list: nothing is spliced when it ends.
 */
class OuterSubscriber<T, R> extends Subscriber<T> {
  constructor(private readonly merge: Merge<T, R>) {
    super();
  }
  protected override _next(value: T): void {
    this.merge.push(value);
  }
  protected override _error(err: unknown): void {
    this.unsubscribe();
    this.merge.fail(err);
  }
  protected override _complete(): void {
    this.unsubscribe();
    this.merge.sourceCompleted();
  }
}

/** What an inner reports to. */
interface InnerOwner<R> {
  emit(value: R): void;
  innerDone(inner: Inner<R>): void;
  fail(err: unknown): void;
}

/** A running inner: a node of the merge's linked list. */
type Inner<R> = InnerSubscriber<R> | InnerProcess<R>;

/** One running inner subscription: a node of the merge's linked list (no parent's finalizer array either). */
class InnerSubscriber<R> extends Subscriber<R> {
  /** Neighbours in the list of running inners. */
  prevInner: InnerSubscriber<R> | null = null;
  nextInner: InnerSubscriber<R> | null = null;
  constructor(private readonly merge: InnerOwner<R>) {
    super();
  }
  protected override _next(value: R): void {
    this.merge.emit(value);
  }
  protected override _error(err: unknown): void {
    this.unsubscribe();
    this.merge.fail(err);
  }
  protected override _complete(): void {
    this.unsubscribe();
    this.merge.innerDone(this);
  }
}

/**
 * One running inner that is a spawned process: the process's runner
 * reports to it directly (see `runSpawned`), so a process costs no
 * Subscriber, finalizer list or subscription closures (with 10,000
 * connections open, 752 → 529 bytes kept alive per process, which every
 * scavenge copies). It does what an {@link InnerSubscriber} subscribed to
 * the process does, in the same order: results are passed on; completion
 * or an error ends it, then reaches the merge; unsubscribing cancels the
 * process (an error from that thrown as an UnsubscriptionError).
 */
class InnerProcess<R> implements ProcessSink<R> {
  /** Neighbours in the list of running inners. */
  prevInner: Inner<R> | null = null;
  nextInner: Inner<R> | null = null;
  /** Set once it has completed, errored or been unsubscribed. */
  private closed = false;
  /** Cancels the process; null before it runs, once it has ended, or when its body factory threw. */
  private runner: {unsubscribe(): void} | null = null;
  constructor(private readonly merge: InnerOwner<R>) {}

  /** Runs *process* (made by spawn) into this inner. */
  run(process: Observable<R>): void {
    const runner = runSpawned(process, this);
    if (runner === null) return;
    // Unsubscribed during its first step, it is cancelled now, as RxJS's add() runs a teardown added to a closed
    // subscription (a process that ended in that step is closed already: a no-op).
    if (this.closed) runner.unsubscribe();
    else this.runner = runner;
  }

  next(value: R): void {
    if (!this.closed) this.merge.emit(value);
  }

  complete(): void {
    if (this.closed) return;
    this.closed = true;
    this.runner = null;
    this.merge.innerDone(this);
  }

  error(err: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.runner = null;
    this.merge.fail(err);
  }

  unsubscribe(): void {
    if (this.closed) return;
    this.closed = true;
    const runner = this.runner;
    this.runner = null;
    if (runner === null) return;
    try {
      runner.unsubscribe();
    } catch (err) {
      // As a Subscriber reports an error from its teardown.
      throw new UnsubscriptionError(err instanceof UnsubscriptionError ? err.errors : [err]);
    }
  }
}
