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
import {reportUnhandledError} from "rxjs/internal/util/reportUnhandledError";
import type {JobStatus, Resource, Servable} from "./Resource.js";
import {checkDurationNs, type SimScheduler} from "./SimScheduler.js";
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

/** Returns a command to occupy *resource* for *ns*; *ns* must be a finite number ≥ 0 (else a RangeError naming it). */
export function use(
  resource: Resource,
  ns: number,
  tag: string,
  traceKind: TraceKind | null = null,
  bytes = 0,
  detail = "",
  urgent = false,
): UseCommand {
  if (!(ns >= 0 && ns !== Infinity)) checkDurationNs("ns", ns);
  return {op: "use", resource, ns, tag, traceKind, bytes, detail, urgent};
}

/** Returns a command to let *ns* pass; *ns* must be a finite number ≥ 0 (else a RangeError naming it). */
export function sleep(ns: number): SleepCommand {
  if (!(ns >= 0 && ns !== Infinity)) checkDurationNs("ns", ns);
  return {op: "sleep", ns};
}

/** Returns a command to block until *signal* fires. */
export function wait<T>(signal: Signal<T>): WaitCommand {
  return {op: "wait", signal};
}

/** A process blocked on a {@link Signal}: woken through the scheduler. */
export interface Sleeper {
  /** Its index in the signal's waiter list while it waits. */
  waitSlot: number;
  /** Files the process's resumption on the heap at the current time. */
  wake(): void;
}

/**
 * Returns a one-shot event: processes wait on it, someone fires it once
 * (a DMA completion, a socket becoming readable...).
 *
 * Firing never runs a waiting process inside the firer's step: each waiting
 * process is filed on the scheduler's heap at the current time, in the order
 * the processes started waiting, and resumes when the run reaches it (after
 * what was already due at that instant). So a chain of processes each woken
 * by the previous one runs in constant stack depth, and the firer finishes
 * its own step before anyone reacts, as in SimPy, where `succeed()` only
 * schedules the event. Callbacks given to {@link Signal.then} are the
 * exception: they are bookkeeping that must hold from the very instant of
 * the event (the page cache marking pages up to date before any woken reader
 * looks), so they run inside `fire()`.
 */
export class Signal<T = void> {
  /** Whether it has fired. */
  fired = false;
  /** The value it fired with. */
  value: T | undefined;
  /** Waiting processes and callbacks in the order they started waiting; a cancelled process leaves null. */
  private waiters: Array<Sleeper | ((value: T) => void) | null> | null = null;
  /** Non-null entries of `waiters`. */
  private live = 0;

  /** Fires the signal: runs its callbacks now and schedules its waiting processes, in the order they started waiting. */
  fire(value: T): void {
    if (this.fired) return;
    this.fired = true;
    this.value = value;
    const waiters = this.waiters;
    this.waiters = null;
    this.live = 0;
    if (waiters === null) return;
    for (let i = 0; i < waiters.length; i++) {
      const w = waiters[i];
      if (w === null) continue;
      if (typeof w === "function") w(value);
      else w.wake();
    }
  }

  /** Calls *callback* when the signal fires, inside `fire()` (at once if it has fired). */
  then(callback: (value: T) => void): void {
    if (this.fired) callback(this.value as T);
    else {
      (this.waiters ??= []).push(callback);
      this.live++;
    }
  }

  /** Number of processes and callbacks waiting. */
  get waiting(): number {
    return this.live;
  }

  /** Adds a waiting process (the signal has not fired); the engine's own entry, used by `wait()`. @internal */
  addSleeper(sleeper: Sleeper): void {
    const waiters = (this.waiters ??= []);
    sleeper.waitSlot = waiters.length;
    waiters.push(sleeper);
    this.live++;
  }

  /** Removes a waiting process that was cancelled, so nothing of it is left behind; the engine's own entry. @internal */
  removeSleeper(sleeper: Sleeper): void {
    const waiters = this.waiters;
    if (waiters === null || waiters[sleeper.waitSlot] !== sleeper) return;
    waiters[sleeper.waitSlot] = null;
    // The last one gone frees the list, holes and all.
    if (--this.live === 0) this.waiters = null;
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

/** What a {@link Runner} is doing: being stepped, or blocked on one of its commands. */
const RUNNING = 0;
/** Its Job is queued on or served by a resource. */
const IN_SERVICE = 1;
/** It is in the heap for a sleep. */
const SLEEPING = 2;
/** It is in a signal's waiter list. */
const WAITING = 3;
/** It is in the heap to resume after its signal fired. */
const WOKEN = 4;

/** Where a {@link Runner} sends its result, completion or error: the subscriber of a spawned process, {@link detachedSink}, or a {@link mergeProcesses} inner. */
export interface ProcessSink<R> {
  next(value: R): void;
  complete(): void;
  error(err: unknown): void;
}

/**
 * Drives one generator. It is also the process's {@link Job} (a process has
 * at most one step in service, so one Job refilled per `use` serves them
 * all), its heap entry for sleeps and wake-ups (a process is never sleeping,
 * woken and in service at once), its entry in a signal's waiter list and the
 * teardown its subscriber calls on unsubscribe: one object per process
 * instead of a runner, a job and four closures.
 */
class Runner<R> implements Servable, Sleeper {
  // Fields in the order a sleep or wake-up touches them, so a step reads as few cache lines as it can.
  /** Heap bookkeeping (see SimScheduler). */
  seq = 0;
  heapIndex = -1;
  /** What it is blocked on (RUNNING, IN_SERVICE, SLEEPING, WAITING or WOKEN). */
  phase = RUNNING;
  /** Set when the subscriber leaves or the body ends; the generator is then closed. */
  closed = false;
  /** Whether `body.next` is the builtin {@link generatorNext}. */
  private readonly native: boolean;
  /** The generator. */
  private readonly body: ProcessBody<R>;
  /** The simulation's scheduler (held directly: one load fewer per step). */
  private readonly scheduler: SimScheduler;
  // Its Job, refilled by each `use` step.
  startNs = 0;
  status: JobStatus = 0;
  line: Servable["line"] = null;
  slot = 0;
  resource: Resource = null as unknown as Resource;
  ns = 0;
  tag = "";
  traceKind: TraceKind | null = null;
  readonly pid: number;
  bytes = 0;
  detail = "";
  unit = -1;
  switchNs = 0;
  lastUnit = -1;
  /** Whether its next `use` step follows a block or sleep (a wake-up), not a step it just finished or its start. */
  woken = false;
  /** The core whose step woke it, −1 when none did (see Servable). */
  wakerUnit = -1;
  ipiNs = 0;
  /** The signal it waits on, or whose value it resumes with. */
  private signal: Signal<unknown> | null = null;
  waitSlot = 0;
  private readonly subscriber: ProcessSink<R>;

  constructor(sim: ProcessContext, pid: number, body: ProcessBody<R>, subscriber: ProcessSink<R>) {
    this.native = nativeNext(body);
    this.body = body;
    this.scheduler = sim.scheduler;
    this.pid = pid;
    this.subscriber = subscriber;
  }

  /** Its service step ran to the end: resume the body with the runner (as a Job, like a `use` step always resumed). */
  serviceEnded(): void {
    this.phase = RUNNING;
    this.woken = false;
    this.step(this);
  }

  fire(): void {
    switch (this.phase) {
      case SLEEPING:
        this.phase = RUNNING;
        this.woken = true;
        this.wakerUnit = -1; // its own timer
        this.step(undefined);
        return;
      case WOKEN: {
        const value = this.signal!.value;
        this.signal = null;
        this.phase = RUNNING;
        this.woken = true;
        this.step(value);
        return;
      }
      default:
        this.resource.finish(this);
    }
  }

  wake(): void {
    this.phase = WOKEN;
    this.wakerUnit = this.scheduler.firingUnit;
    this.scheduler.enqueue(this, 0);
  }

  /**
   * Resumes the body with *value* (or throws *thrown* into it, when
   * `throwing`) and carries out the commands it yields until one blocks. A
   * wait on a signal that has already fired goes on at once, in this loop,
   * without recursion.
   */
  step(value: unknown, throwing = false, thrown: unknown = undefined): void {
    for (;;) {
      if (this.closed) return;
      let r: IteratorResult<Command, R>;
      try {
        if (throwing) {
          throwing = false;
          r = this.body.throw(thrown);
        } else r = this.native ? (generatorNext.call(this.body, value) as IteratorResult<Command, R>) : this.body.next(value);
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
      const cmd = r.value as Command | null | undefined;
      switch (cmd != null && typeof cmd === "object" ? cmd.op : undefined) {
        case "use": {
          const c = cmd as UseCommand;
          if (!(c.ns >= 0 && c.ns !== Infinity)) {
            // A hand-built command: reject it into the body, as use() would have thrown there.
            throwing = true;
            thrown = new RangeError(`invalid ns: ${c.ns}; expected a finite number of ns ≥ 0`);
            continue;
          }
          // The previous step (if any) has finished (its completion resumed us): refill the job.
          this.resource = c.resource;
          this.ns = c.ns;
          this.tag = c.tag;
          this.traceKind = c.traceKind;
          this.bytes = c.bytes;
          this.detail = c.detail;
          this.phase = IN_SERVICE;
          c.resource.submit(this, c.urgent);
          return;
        }
        case "sleep": {
          const ns = (cmd as SleepCommand).ns;
          if (!(ns >= 0 && ns !== Infinity)) {
            throwing = true;
            thrown = new RangeError(`invalid ns: ${ns}; expected a finite number of ns ≥ 0`);
            continue;
          }
          this.phase = SLEEPING;
          this.scheduler.enqueue(this, ns);
          return;
        }
        case "wait": {
          const signal = (cmd as WaitCommand).signal;
          if (signal.fired) {
            value = signal.value;
            continue;
          }
          this.phase = WAITING;
          this.signal = signal;
          signal.addSleeper(this);
          return;
        }
        default:
          // Not a command: the body's mistake, so the error goes into the body (and errors this process), not the engine.
          throwing = true;
          thrown = new TypeError(`process ${this.pid} yielded ${describe(cmd)}; expected a command from use(), sleep() or wait()`);
      }
    }
  }

  /** Teardown, called when the subscriber unsubscribes: releases whatever the process holds or waits for. */
  unsubscribe(): void {
    if (this.closed) return;
    this.closed = true;
    switch (this.phase) {
      case IN_SERVICE:
        this.resource.cancel(this);
        break;
      case SLEEPING:
      case WOKEN:
        this.scheduler.remove(this);
        break;
      case WAITING:
        this.signal!.removeSleeper(this);
        break;
    }
    this.signal = null;
    this.phase = RUNNING;
    this.body.return(undefined as R);
  }
}

/** Returns how an error message names a yielded value that is not a command: `42 (a number)`, `an Observable`. */
function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") {
    const name = (value as object).constructor?.name;
    return name && name !== "Object" ? `a${/^[AEIOU]/.test(name) ? "n" : ""} ${name}` : `an object without a known op (${safeJson(value)})`;
  }
  if (typeof value === "function") return `a function${value.name ? ` (${value.name})` : ""}`;
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  return `${String(value)} (${typeof value === "undefined" ? "undefined" : `a ${typeof value}`})`;
}

/** Returns a short JSON text of *value*, or `?` when it has none. */
function safeJson(value: unknown): string {
  try {
    const text = JSON.stringify(value) ?? "?";
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return "?";
  }
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
  startRunner(runner, p.sim.scheduler);
  return runner;
}

/** Returns whether *input* is an Observable made by {@link spawn}, which {@link runSpawned} can run without subscribing. @internal */
export function isSpawned(input: unknown): input is Observable<unknown> {
  return input instanceof ProcessObservable;
}

/**
 * Runs *process* (made by {@link spawn}) into *sink* as subscribing to it
 * would, without a Subscriber: its result and completion, or its error
 * (one thrown by its body factory too, as RxJS reports that), go to
 * *sink*. Returns what cancels the process (`unsubscribe()`), or null when
 * its body factory threw. {@link mergeProcesses} runs its inners so. @internal
 */
export function runSpawned<R>(process: Observable<R>, sink: ProcessSink<R>): {unsubscribe(): void} | null {
  const p = process as ProcessObservable<R>;
  let body: ProcessBody<R>;
  try {
    body = p.body();
  } catch (err) {
    sink.error(err);
    return null;
  }
  const runner = new Runner<R>(p.sim, p.pid, body, sink);
  startRunner(runner, p.sim.scheduler);
  return runner;
}

/** Takes *runner*'s first step now, often outside any run(): an unhandled error is routed to *scheduler* all the same. */
function startRunner(runner: Runner<unknown>, scheduler: SimScheduler): void {
  if (scheduler.running) runner.step(undefined);
  else scheduler.captureUnhandled(() => runner.step(undefined));
}

/** The sink of a {@link launch}ed process: its result is dropped; its error is reported as RxJS reports one nobody handles. */
const detachedSink: ProcessSink<unknown> = {
  next() {},
  complete() {},
  error: reportUnhandledError,
};

/**
 * Runs *body* as simulated process *pid* from now on, with nobody
 * listening: `spawn(sim, pid, () => body).subscribe()` without the
 * Observable and its subscriber, for the kernel's own short-lived tasks
 * that a busy stack starts by the million (a socket's transmit loop, a
 * NAPI poll). It cannot be cancelled; an error in the body is reported as
 * unhandled (the next `sim.run()` throws it), as with `subscribe()` and no
 * error callback.
 */
export function launch(sim: ProcessContext, pid: number, body: ProcessBody<unknown>): void {
  startRunner(new Runner<unknown>(sim, pid, body, detachedSink), sim.scheduler);
}

/**
 * Returns an Observable that, on subscription, runs *body* as simulated
 * process *pid* and emits its result once, then completes. Unsubscribing
 * cancels the process and releases what it holds (see {@link Resource});
 * an error in the body errors the Observable, and if nothing down the chain
 * handles it, the next `sim.run()` throws it.
 *
 * For many processes, declare the generator function once and pass
 * `() => body(args)`, rather than writing a `function*` inside the loop:
 * each evaluation of a `function*` expression is a new closure with its own
 * prototype and hidden class, which costs memory and time per step once
 * thousands are alive (see `npm run bench`). Run many at once with
 * {@link mergeProcesses}.
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
