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
 * The hot path allocates no Observable per step: one Observable per process,
 * one small command and one job per step, rescheduling on the heap directly.
 */
import {Observable} from "rxjs";
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

/** What a process needs of a simulation. */
export interface ProcessContext {
  scheduler: SimScheduler;
  trace: Trace;
}

/** Drives one generator; also the heap entry for its sleeps. */
class Runner<R> {
  timeNs = 0;
  seq = 0;
  heapIndex = -1;
  /** Set when the subscriber leaves; the generator is then closed. */
  closed = false;
  /** Bound resume callback, created once. */
  readonly resume: (value?: unknown) => void;
  /** The Job reused for every `use` step (one in service at a time). */
  private job: Job | null = null;

  constructor(
    private readonly sim: ProcessContext,
    /** Process id charged for its trace events. */
    private readonly pid: number,
    private readonly body: ProcessBody<R>,
    private readonly onResult: (result: R) => void,
    private readonly onError: (err: unknown) => void,
  ) {
    this.resume = (value?: unknown) => this.step(value);
  }

  fire(): void {
    this.step(undefined);
  }

  step(value: unknown): void {
    if (this.closed) return;
    let r: IteratorResult<Command, R>;
    try {
      r = this.body.next(value);
    } catch (err) {
      this.closed = true;
      this.onError(err);
      return;
    }
    if (r.done) {
      this.closed = true;
      this.onResult(r.value);
      return;
    }
    const cmd = r.value;
    switch (cmd.op) {
      case "use": {
        let job = this.job;
        if (job === null) job = this.job = new Job(cmd.resource, cmd.ns, cmd.tag, this.resume, cmd.traceKind, this.pid, cmd.bytes, cmd.detail);
        else {
          // The previous step's job has finished (its done() resumed us): refill it.
          job.resource = cmd.resource;
          job.ns = cmd.ns;
          job.tag = cmd.tag;
          job.traceKind = cmd.traceKind;
          job.bytes = cmd.bytes;
          job.detail = cmd.detail;
        }
        cmd.resource.submit(job, cmd.urgent);
        return;
      }
      case "sleep":
        this.sim.scheduler.enqueue(this, cmd.ns);
        return;
      case "wait":
        cmd.signal.then(this.resume);
        return;
    }
  }

  stop(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.heapIndex >= 0) this.sim.scheduler.remove(this);
    this.body.return(undefined as R);
  }
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
  return new Observable<R>((subscriber) => {
    const runner = new Runner<R>(
      sim,
      pid,
      body(),
      (result) => {
        subscriber.next(result);
        subscriber.complete();
      },
      (err) => subscriber.error(err),
    );
    runner.step(undefined);
    return () => runner.stop();
  });
}
