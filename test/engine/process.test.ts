import {test} from "node:test";
import assert from "node:assert/strict";
import {concatMap, from, mergeMap, take, timeout} from "rxjs";
import {Resource} from "../../src/engine/Resource.js";
import {launch, Signal, sleep, spawn, use, wait, type ProcessBody} from "../../src/engine/process.js";
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
    ["b rang", 150], // the firer finishes its step; the waiter resumes after it, at the same time
    ["a heard ding", 150],
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

test("Signal.fire() schedules its waiters: a chain of 100,000 processes, each woken by the previous one, runs", () => {
  const sim = createSim();
  const n = 100_000;
  const signals = Array.from({length: n + 1}, () => new Signal<number>());
  let last = -1;
  for (let i = 0; i < n; i++)
    spawn(sim, i + 1, function* () {
      const v = (yield wait(signals[i])) as number;
      last = v;
      signals[i + 1].fire(v + 1);
    }).subscribe();
  signals[0].fire(0);
  assert.equal(sim.run(), 0);
  assert.equal(last, n - 1);
  assert.equal(signals[n].value, n);
});

test("Signal.fire() runs no waiting process inside the firer's step; they resume at the same time, in the order they waited", () => {
  const sim = createSim();
  const s = new Signal<string>();
  const log: string[] = [];
  for (const name of ["x", "y"])
    spawn(sim, 1, function* () {
      log.push(`${name} waits`);
      log.push(`${name} got ${(yield wait(s)) as string} at ${sim.scheduler.now()}`);
    }).subscribe();
  s.then((v) => log.push(`callback ${v}`));
  sim.scheduler.post(4, () => {
    s.fire("v");
    log.push("fired");
  });
  sim.run();
  assert.deepEqual(log, ["x waits", "y waits", "callback v", "fired", "x got v at 4", "y got v at 4"]);
});

test("Subscription.unsubscribe() of a process waiting on a signal removes it from the waiter list", () => {
  const sim = createSim();
  const s = new Signal<number>();
  const log: string[] = [];
  const subs = ["a", "b", "c"].map((name) =>
    spawn(sim, 1, function* () {
      try {
        yield wait(s);
        log.push(`${name} woke`);
      } finally {
        log.push(`${name} finally`);
      }
    }).subscribe(),
  );
  assert.equal(s.waiting, 3);
  subs[1].unsubscribe();
  assert.equal(s.waiting, 2);
  s.fire(1);
  sim.run();
  assert.deepEqual(log, ["b finally", "a woke", "a finally", "c woke", "c finally"]);
  subs[0].unsubscribe();
  subs[2].unsubscribe();
  assert.equal(s.waiting, 0);
});

test("Subscription.unsubscribe() of a woken process not yet resumed keeps it from resuming", () => {
  const sim = createSim();
  const s = new Signal<number>();
  const log: string[] = [];
  const sub = spawn(sim, 1, function* () {
    yield wait(s);
    log.push("woke");
  }).subscribe();
  sim.scheduler.post(2, () => {
    s.fire(1);
    sub.unsubscribe(); // in the firer's step: the wake-up is on the heap, not yet run
  });
  sim.run();
  assert.deepEqual(log, []);
  assert.equal(sim.scheduler.pending, 0);
});

test("Subscription.unsubscribe() of a process queued on a resource withdraws its request", () => {
  const sim = createSim();
  const cpu = new Resource(sim, "cpu", 1);
  const log: Array<[string, number]> = [];
  for (const name of ["a", "b", "c"]) {
    const sub = spawn(sim, 1, function* () {
      yield use(cpu, 10, name);
      log.push([name, sim.scheduler.now()]);
    }).subscribe();
    if (name === "b") sim.scheduler.post(5, () => sub.unsubscribe());
  }
  assert.equal(cpu.queued, 2);
  sim.run();
  assert.deepEqual(log, [["a", 10], ["c", 20]]);
  assert.equal(cpu.queued, 0);
  assert.equal(cpu.withdrawn, 1);
  assert.equal(cpu.completed, 2);
  assert.deepEqual([...cpu.busyNsByTag], [["a", 10], ["c", 10]]);
});

test("Subscription.unsubscribe() of a process in service frees the unit then and books only the time used", () => {
  const sim = createSim();
  const cpu = new Resource(sim, "cpu", 1);
  const log: Array<[string, number]> = [];
  const a = spawn(sim, 1, function* () {
    yield use(cpu, 100, "a");
    log.push(["a", sim.scheduler.now()]);
  }).subscribe();
  spawn(sim, 2, function* () {
    yield use(cpu, 10, "b");
    log.push(["b", sim.scheduler.now()]);
  }).subscribe();
  sim.scheduler.post(30, () => a.unsubscribe());
  assert.equal(sim.run(), 40);
  assert.deepEqual(log, [["b", 40]]);
  assert.equal(cpu.busyNs, 40);
  assert.deepEqual([...cpu.busyNsByTag], [["a", 30], ["b", 10]]);
  assert.equal(cpu.completed, 1);
  assert.equal(cpu.cancelled, 1);
  assert.equal(cpu.waitNs, 30 - 0);
});

test("timeout() over a process in service gives the unit back when it gives up", () => {
  const sim = createSim();
  const disk = new Resource(sim, "disk", 1);
  let error: unknown = null;
  spawn(sim, 1, function* () {
    yield use(disk, 1_000, "read");
  })
    .pipe(timeout({first: 250, scheduler: sim.scheduler}))
    .subscribe({error: (e) => (error = e)});
  assert.equal(sim.run(), 250);
  assert.equal((error as Error).name, "TimeoutError");
  assert.equal(disk.busyUnits, 0);
  assert.equal(disk.busyNs, 250);
  assert.equal(disk.completed, 0);
});

test("spawn(): an error in the body with no error callback downstream makes sim.run() throw it", () => {
  const sim = createSim();
  const log: number[] = [];
  spawn(sim, 1, function* () {
    yield sleep(5);
    throw new Error("disk on fire");
  }).subscribe((v) => log.push(v as never));
  sim.scheduler.post(9, () => log.push(9));
  assert.throws(() => sim.run(), /disk on fire/);
  assert.equal(sim.scheduler.now(), 5);
  assert.deepEqual(log, []);
});

test("spawn(): an error in the first step (on subscription) with no handler is thrown by the next sim.run()", () => {
  const sim = createSim();
  spawn(sim, 1, function* () {
    throw new Error("at once");
  }).subscribe();
  assert.throws(() => sim.run(), /at once/);
  // Thrown once: the next run is clean.
  assert.equal(sim.run(), 0);
});

test("spawn(): an error through mergeMap reaches an error callback and sim.run() returns normally", () => {
  const sim = createSim();
  let caught: unknown = null;
  from([1, 2])
    .pipe(mergeMap((i) => spawn(sim, i, function* () {
      yield sleep(i);
      if (i === 2) throw new Error(`p${i}`);
      return i;
    })))
    .subscribe({error: (e) => (caught = e)});
  assert.equal(sim.run(), 2);
  assert.equal((caught as Error).message, "p2");
});

test("spawn(): a body that yields something other than a command errors that process with a TypeError naming it", () => {
  const yielded: Array<[unknown, RegExp]> = [
    [42, /process 3 yielded 42 \(a number\); expected a command from use\(\), sleep\(\) or wait\(\)/],
    [undefined, /yielded undefined \(undefined\)/],
    [null, /yielded null;/],
    ["sleep", /yielded the string "sleep"/],
    [new Map(), /yielded a Map;/],
    [{op: "jump"}, /yielded an object without a known op \(\{"op":"jump"\}\)/],
  ];
  for (const [value, message] of yielded) {
    const sim = createSim();
    let caught: unknown = null;
    const after: string[] = [];
    spawn(sim, 3, function* () {
      yield sleep(1);
      yield value as never;
      after.push("went on");
    }).subscribe({error: (e) => (caught = e)});
    assert.equal(sim.run(), 1);
    assert.equal((caught as Error).name, "TypeError");
    assert.match((caught as Error).message, message);
    assert.deepEqual(after, []);
  }
});

test("spawn(): the TypeError for a bad yield is thrown into the body, which may catch it and go on", () => {
  const sim = createSim();
  const log: string[] = [];
  spawn(sim, 1, function* () {
    try {
      yield 7 as never;
    } catch (err) {
      log.push((err as Error).name);
    }
    yield sleep(2);
    return "ok";
  }).subscribe((v) => log.push(`${v} at ${sim.scheduler.now()}`));
  sim.run();
  assert.deepEqual(log, ["TypeError", "ok at 2"]);
});

test("use() and sleep() reject a negative, NaN or infinite ns with a RangeError naming it", () => {
  const sim = createSim();
  const cpu = new Resource(sim, "cpu", 1);
  for (const bad of [-5, NaN, Infinity, -Infinity]) {
    assert.throws(() => use(cpu, bad, "user"), {name: "RangeError", message: `invalid ns: ${bad}; expected a finite number of ns ≥ 0`});
    assert.throws(() => sleep(bad), {name: "RangeError", message: `invalid ns: ${bad}; expected a finite number of ns ≥ 0`});
    assert.throws(() => cpu.use(bad, "user"), {name: "RangeError", message: `invalid ns: ${bad}; expected a finite number of ns ≥ 0`});
  }
  assert.equal(cpu.busyNs, 0);
});

test("spawn(): a hand-built command with a NaN duration errors the process, and books nothing", () => {
  const sim = createSim();
  const cpu = new Resource(sim, "cpu", 1);
  let caught: unknown = null;
  spawn(sim, 1, function* () {
    yield {op: "use", resource: cpu, ns: NaN, tag: "user", traceKind: null, bytes: 0, detail: "", urgent: false};
  }).subscribe({error: (e) => (caught = e)});
  sim.run();
  assert.match(String(caught), /RangeError: invalid ns: NaN/);
  assert.equal(cpu.busyNs, 0);
  assert.equal(cpu.completed, 0);
});

test("launch() runs a body as a process with nobody listening: its steps happen at their times", () => {
  const sim = createSim();
  const cpu = new Resource(sim, "cpu", 1);
  const log: Array<[string, number]> = [];
  function* body(): ProcessBody<void> {
    yield use(cpu, 30, "user");
    log.push(["used", sim.scheduler.now()]);
    yield sleep(5);
    log.push(["slept", sim.scheduler.now()]);
  }
  launch(sim, 7, body());
  sim.run();
  assert.deepEqual(log, [["used", 30], ["slept", 35]]);
  assert.equal(cpu.busyNsByTag.get("user"), 30);
});

test("launch(): an error in the body, later or in the first step, is thrown by the next sim.run()", () => {
  const sim = createSim();
  launch(sim, 1, (function* () {
    yield sleep(5);
    throw new Error("late fire");
  })());
  assert.throws(() => sim.run(), /late fire/);
  assert.equal(sim.scheduler.now(), 5);
  launch(sim, 2, (function* (): ProcessBody<void> {
    throw new Error("at once");
  })());
  assert.throws(() => sim.run(), /at once/);
  assert.equal(sim.run(), 5);
});
