/**
 * Simulated processes: generator functions that yield what they wait for.
 *
 * A process is written like a cooking recipe read aloud: "take the stove for
 * 3 minutes; wait for the oven's bell; take the stove again". Each `yield`
 * hands the engine a {@link Command} (occupy a resource for some time, sleep,
 * wait for a {@link Signal}); the engine resumes the generator when that is
 * done, in virtual time. This is SimPy's process model, driven by
 * {@link SimScheduler} and surfaced as an RxJS Observable by {@link spawn},
 * so processes compose with every RxJS operator (`concatMap` runs requests
 * one after another, `mergeMap(f, n)` is a pool of n workers).
 *
 * The hot path allocates no Observable per step: one Observable and one
 * runner (which is also its job) per process, one small command per step,
 * rescheduling on the heap directly.
 */
import {Observable, type Subscriber, type TeardownLogic} from "rxjs";
import {Job, type Resource} from "./Resource.js";
import type {SimScheduler} from "./SimScheduler.js";
import type {Trace, TraceKind} from "./trace.js";

/** Occupy one unit of *resource* for *ns*, booked under *tag*. */
export interface UseCommand {
  readonly op: "use";
  readonly resource: Resource;
  readonly ns: number;
  readonly tag: string;
  /** Trace event recorded when service starts, or null. */
  readonly traceKind: TraceKind | null;
  readonly bytes: number;
  readonly detail: string;
  /** Go to the front of the queue (interrupt handlers). */
  readonly urgent: boolean;
}
/** Let *ns* of virtual time pass without holding anything. */
export interface SleepCommand {
  readonly op: "sleep";
  readonly ns: number;
}
/** Block until *signal* fires; resumes with its value. */
export interface WaitCommand {
  readonly op: "wait";
  readonly signal: Signal<any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- variance: a wait resumes with any value
}
/** What a process can yield. */
export type Command = UseCommand | SleepCommand | WaitCommand;

/** A process body: a generator of commands returning the process's result. */
export type ProcessBody<R> = Generator<Command, R, unknown>;

/** Returns a command to occupy *resource* for *ns*. */
export function use(
  resource: Resource,
  ns: number,
  tag: string,
  traceKind: TraceKind | null = null,
  bytes = 0,
  detail = "",
  urgent = false,
): UseCommand {
  return {op: "use", resource, ns, tag, traceKind, bytes, detail, urgent};
}

/** Returns a command to let *ns* pass. */
export function sleep(ns: number): SleepCommand {
  return {op: "sleep", ns};
}

/** Returns a command to block until *signal* fires. */
export function wait<T>(signal: Signal<T>): WaitCommand {
  return {op: "wait", signal};
}

/**
 * Returns a one-shot event: processes wait on it, someone fires it once
 * (a DMA completion, a socket becoming readable...).
 */
export class Signal<T = void> {
  /** Whether it has fired. */
  fired = false;
  /** The value it fired with. */
  value: T | undefined;
  /** Callbacks waiting for it. */
  private waiters: Array<(value: T) => void> | null = null;

  /** Fires the signal; waiters run now, in the order they started waiting. */
  fire(value: T): void {
    if (this.fired) return;
    this.fired = true;
    this.value = value;
    const waiters = this.waiters;
    this.waiters = null;
    if (waiters) for (const w of waiters) w(value);
  }

  /** Calls *callback* when the signal fires (at once if it has). */
  then(callback: (value: T) => void): void {
    if (this.fired) callback(this.value as T);
    else (this.waiters ??= []).push(callback);
  }
}

/**
 * `Generator.prototype.next`, the builtin every native generator's `next` is.
 * Each evaluation of a `function*` expression makes a closure with its own
 * `prototype`, so 10,000 processes spawned from one inline `function*` have
 * 10,000 hidden classes: `body.next(v)` is then a megamorphic lookup that
 * thrashes V8's stub cache on every step. Calling the builtin directly skips
 * the lookup (a body whose `next` is anything else is called as it is).
 */
const generatorPrototype = (Object.getPrototypeOf(function* () {}) as {prototype: Generator}).prototype;
const generatorNext = generatorPrototype.next;

/**
 * Returns whether *body.next* is {@link generatorNext}, without the
 * megamorphic property lookup itself: *body* must be a native generator
 * whose prototype chain (its function's `prototype`, then
 * %GeneratorPrototype%) defines no other `next`.
 */
function nativeNext(body: object): boolean {
  if (Object.hasOwn(body, "next")) return false;
  const functionPrototype = Object.getPrototypeOf(body) as object | null;
  return (
    functionPrototype !== null &&
    Object.getPrototypeOf(functionPrototype) === generatorPrototype &&
    !Object.hasOwn(functionPrototype, "next") &&
    generatorPrototype.next === generatorNext
  );
}

/** What a process needs of a simulation. */
export interface ProcessContext {
  scheduler: SimScheduler;
  trace: Trace;
}

/**
 * Drives one generator. It is also the process's {@link Job} (a process has
 * at most one step in service, so one Job refilled per `use` serves them
 * all), the heap entry for its sleeps (a process is never sleeping and in
 * service at once) and the teardown its subscriber calls on unsubscribe:
 * one object per process instead of a runner, a job and four closures.
 */
class Runner<R> extends Job {
  /** Set when the subscriber leaves or the body ends; the generator is then closed. */
  closed = false;
  /** Whether the heap entry is a sleep (fire resumes) rather than a service completion (fire finishes the job). */
  sleeping = false;
  /** Bound resume callback for signal waits, created on the first wait. */
  private resume: ((value?: unknown) => void) | null = null;
  /** Whether `body.next` is the builtin {@link generatorNext}. */
  private readonly native: boolean;

  constructor(
    private readonly sim: ProcessContext,
    pid: number,
    private readonly body: ProcessBody<R>,
    private readonly subscriber: Subscriber<R>,
  ) {
    super(null as unknown as Resource, 0, "", resumeAfterService, null, pid);
    this.native = nativeNext(body);
  }

  override fire(): void {
    if (this.sleeping) {
      this.sleeping = false;
      this.step(undefined);
    } else this.resource.finish(this);
  }

  step(value: unknown): void {
    if (this.closed) return;
    let r: IteratorResult<Command, R>;
    try {
      r = this.native ? (generatorNext.call(this.body, value) as IteratorResult<Command, R>) : this.body.next(value);
    } catch (err) {
      this.closed = true;
      this.subscriber.error(err);
      return;
    }
    if (r.done) {
      this.closed = true;
      this.subscriber.next(r.value);
      this.subscriber.complete();
      return;
    }
    const cmd = r.value;
    switch (cmd.op) {
      case "use": {
        // The previous step (if any) has finished (its completion resumed us): refill the job.
        this.resource = cmd.resource;
        this.ns = cmd.ns;
        this.tag = cmd.tag;
        this.traceKind = cmd.traceKind;
        this.bytes = cmd.bytes;
        this.detail = cmd.detail;
        cmd.resource.submit(this, cmd.urgent);
        return;
      }
      case "sleep":
        this.sleeping = true;
        this.sim.scheduler.enqueue(this, cmd.ns);
        return;
      case "wait":
        cmd.signal.then((this.resume ??= (value?: unknown) => this.step(value)));
        return;
    }
  }

  /** Teardown, called when the subscriber unsubscribes. */
  unsubscribe(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.sleeping && this.heapIndex >= 0) this.sim.scheduler.remove(this);
    this.body.return(undefined as R);
  }
}

/** A process's Job completion: resumes its generator with the Job, as a `use` step resumes. */
function resumeAfterService(job: Job): void {
  (job as Runner<unknown>).step(job);
}

/**
 * The Observable {@link spawn} returns: it keeps what a run needs in fields
 * and subscribes with one shared function (RxJS calls it with `this` bound
 * to the Observable), so spawning allocates no closures.
 */
class ProcessObservable<R> extends Observable<R> {
  constructor(
    readonly sim: ProcessContext,
    readonly pid: number,
    readonly body: () => ProcessBody<R>,
  ) {
    super(subscribeProcess);
  }
}

/** Starts a fresh run of the process's body for *subscriber*; the runner is the teardown. */
function subscribeProcess<R>(this: Observable<R>, subscriber: Subscriber<R>): TeardownLogic {
  const p = this as ProcessObservable<R>;
  const runner = new Runner<R>(p.sim, p.pid, p.body(), subscriber);
  runner.step(undefined);
  return runner;
}

/**
 * Returns an Observable that, on subscription, runs *body* as simulated
 * process *pid* and emits its result once, then completes.
 *
 * ```ts
 * spawn(sim, 1, function* () {
 *   yield use(cpu, 2_000, "user");
 *   return sim.scheduler.now();
 * }).subscribe(console.log); // 2000 after sim.scheduler.run()
 * ```
 */
export function spawn<R>(sim: ProcessContext, pid: number, body: () => ProcessBody<R>): Observable<R> {
  return new ProcessObservable<R>(sim, pid, body);
}
