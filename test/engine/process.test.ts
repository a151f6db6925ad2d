import {test} from "node:test";
import assert from "node:assert/strict";
import {concatMap, from, mergeMap, take} from "rxjs";
import {Resource} from "../../src/engine/Resource.js";
import {Signal, sleep, spawn, use, wait, type ProcessBody} from "../../src/engine/process.js";
import {createSim} from "../../src/engine/sim.js";

test("spawn() runs processes that use, sleep and wait, with every event at its exact time", () => {
  const sim = createSim();
  const cpu = new Resource(sim, "cpu", 1);
  const bell = new Signal<string>();
  const log: Array<[string, number]> = [];
  const now = () => sim.scheduler.now();
  spawn(sim, 1, function* (): ProcessBody<string> {
    log.push(["a starts", now()]);
    yield use(cpu, 30, "user");
    log.push(["a used cpu", now()]);
    const v = yield wait(bell);
    log.push([`a heard ${v}`, now()]);
    yield sleep(5);
    log.push(["a slept", now()]);
    return "a done";
  }).subscribe((r) => log.push([r, now()]));
  spawn(sim, 2, function* (): ProcessBody<void> {
    log.push(["b starts", now()]);
    yield use(cpu, 20, "user"); // waits behind a: 30..50
    log.push(["b used cpu", now()]);
    yield sleep(100);
    log.push(["b rings", now()]);
    bell.fire("ding");
    log.push(["b rang", now()]);
  }).subscribe();
  assert.equal(sim.run(), 155);
  assert.deepEqual(log, [
    ["a starts", 0],
    ["b starts", 0],
    ["a used cpu", 30],
    ["b used cpu", 50],
    ["b rings", 150],
    ["a heard ding", 150],
    ["b rang", 150],
    ["a slept", 155],
    ["a done", 155],
  ]);
});

test("spawn() charges use() trace events to the process's pid at service start", () => {
  const sim = createSim();
  const disk = new Resource(sim, "disk", 1);
  spawn(sim, 7, function* () {
    yield use(disk, 10, "dma", "dma-copy", 4096, "disk→page-cache");
  }).subscribe();
  spawn(sim, 8, function* () {
    yield sleep(3);
    yield use(disk, 4, "dma", "dma-copy", 512, "disk→memory");
  }).subscribe();
  sim.run();
  assert.deepEqual(sim.trace.events, [
    {timeNs: 0, kind: "dma-copy", pid: 7, durationNs: 10, bytes: 4096, detail: "disk→page-cache"},
    {timeNs: 10, kind: "dma-copy", pid: 8, durationNs: 4, bytes: 512, detail: "disk→memory"},
  ]);
});

test("spawn() does nothing until subscribed (cold)", () => {
  const sim = createSim();
  let started = false;
  const p$ = spawn(sim, 1, function* () {
    started = true;
    yield sleep(10);
  });
  sim.run();
  assert.equal(started, false);
  p$.subscribe();
  assert.equal(started, true);
  assert.equal(sim.run(), 10);
});

test("spawn() emits the body's return value once, then completes", () => {
  const sim = createSim();
  const log: string[] = [];
  spawn(sim, 1, function* () {
    yield sleep(1);
    return 42;
  }).subscribe({next: (v) => log.push(`next ${v}`), complete: () => log.push("complete")});
  sim.run();
  assert.deepEqual(log, ["next 42", "complete"]);
});

test("spawn() errors the Observable when the body throws", () => {
  const sim = createSim();
  let caught: unknown = null;
  spawn(sim, 1, function* () {
    yield sleep(1);
    throw new Error("boom");
  }).subscribe({error: (e) => (caught = e)});
  sim.run();
  assert.equal((caught as Error).message, "boom");
});

test("Subscription.unsubscribe() of a spawned process cancels its sleep and runs its finally block", () => {
  const sim = createSim();
  const log: string[] = [];
  const sub = spawn(sim, 1, function* () {
    try {
      yield sleep(100);
      log.push("woke");
    } finally {
      log.push(`finally at ${sim.scheduler.now()}`);
    }
  }).subscribe();
  sim.scheduler.post(10, () => sub.unsubscribe());
  sim.run();
  assert.deepEqual(log, ["finally at 10"]);
  assert.equal(sim.scheduler.now(), 10);
});

test("take(1) over a spawned process closes it after its result", () => {
  const sim = createSim();
  const log: number[] = [];
  spawn(sim, 1, function* () {
    yield sleep(5);
    return 1;
  })
    .pipe(take(1))
    .subscribe((v) => log.push(v));
  sim.run();
  assert.deepEqual(log, [1]);
});

test("concatMap() over spawned processes runs them one after another", () => {
  const sim = createSim();
  const ends: Array<[number, number]> = [];
  from([10, 20, 30])
    .pipe(concatMap((ns) => spawn(sim, ns, function* () {
      yield sleep(ns);
      return ns;
    })))
    .subscribe((ns) => ends.push([ns, sim.scheduler.now()]));
  sim.run();
  assert.deepEqual(ends, [[10, 10], [20, 30], [30, 60]]);
});

test("mergeMap(f, 2) over spawned processes is a pool of two workers", () => {
  const sim = createSim();
  const ends: Array<[number, number]> = [];
  from([1, 2, 3, 4])
    .pipe(mergeMap((id) => spawn(sim, id, function* () {
      yield sleep(10);
      return id;
    }), 2))
    .subscribe((id) => ends.push([id, sim.scheduler.now()]));
  sim.run();
  assert.deepEqual(ends, [[1, 10], [2, 10], [3, 20], [4, 20]]);
});

test("Signal.fire() wakes waiters in the order they waited, with the value", () => {
  const sim = createSim();
  const s = new Signal<number>();
  const log: string[] = [];
  for (const name of ["x", "y", "z"])
    spawn(sim, 1, function* () {
      const v = yield wait(s);
      log.push(`${name}:${v}`);
    }).subscribe();
  sim.scheduler.post(7, () => s.fire(99));
  sim.run();
  assert.deepEqual(log, ["x:99", "y:99", "z:99"]);
});

test("Signal.fire() fires once; a later wait() resumes at once with the first value", () => {
  const sim = createSim();
  const s = new Signal<string>();
  s.fire("first");
  s.fire("second");
  const log: Array<[string, number]> = [];
  spawn(sim, 1, function* () {
    yield sleep(3);
    const v = (yield wait(s)) as string;
    log.push([v, sim.scheduler.now()]);
  }).subscribe();
  sim.run();
  assert.deepEqual(log, [["first", 3]]);
  assert.equal(s.value, "first");
});

test("sleep(0) resumes at the same time after work already due", () => {
  const sim = createSim();
  const log: string[] = [];
  sim.scheduler.post(0, () => log.push("posted"));
  spawn(sim, 1, function* () {
    yield sleep(0);
    log.push("slept");
  }).subscribe();
  sim.run();
  assert.deepEqual(log, ["posted", "slept"]);
});

test("spawn() drives a body that is not a native generator, or whose next is overridden, through its own next", () => {
  const sim = createSim();
  const cpu = new Resource(sim, "cpu", 1);
  const log: string[] = [];
  // A hand-written iterator: no generator prototype at all.
  const commands = [use(cpu, 10, "user"), sleep(5)];
  let k = 0;
  const handWritten = {
    next: (): IteratorResult<ReturnType<typeof use> | ReturnType<typeof sleep>, string> =>
      k < commands.length ? {done: false, value: commands[k++]} : {done: true, value: `hand at ${sim.scheduler.now()}`},
    return: (v: string): IteratorResult<never, string> => ({done: true, value: v}),
    throw: (e: unknown): never => {
      throw e;
    },
    [Symbol.iterator]() {
      return this;
    },
  } as unknown as ProcessBody<string>;
  spawn(sim, 1, () => handWritten).subscribe((r) => log.push(r));
  // A native generator whose own next wraps the builtin.
  const wrapped = (function* (): ProcessBody<string> {
    yield sleep(1);
    return `wrapped at ${sim.scheduler.now()}`;
  })();
  const builtinNext = wrapped.next;
  wrapped.next = function (this: typeof wrapped, value?: unknown) {
    log.push("wrapped next");
    return builtinNext.call(this, value);
  };
  spawn(sim, 2, () => wrapped).subscribe((r) => log.push(r));
  sim.run();
  assert.deepEqual(log, ["wrapped next", "wrapped next", "wrapped at 1", "hand at 15"]);
});
