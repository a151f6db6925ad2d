import {test} from "node:test";
import assert from "node:assert/strict";
import {bufferTime, catchError, config, delay, interval, map, of, take, throttleTime, timer, type Observable, type SchedulerAction} from "rxjs";
import {TestScheduler} from "rxjs/testing";
import {SimScheduler, SimulationLimitError} from "../../src/engine/SimScheduler.js";

/** Subscribes to *source$* on *scheduler*, runs it, and returns [virtual time, notification] pairs as RxJS marble frames. */
function frames<T>(scheduler: SimScheduler, source$: Observable<T>) {
  const out: Array<{frame: number; notification: {kind: string; value: unknown; error: unknown}}> = [];
  source$.subscribe({
    next: (value) => out.push({frame: scheduler.now(), notification: {kind: "N", value, error: undefined}}),
    error: (error) => out.push({frame: scheduler.now(), notification: {kind: "E", value: undefined, error}}),
    complete: () => out.push({frame: scheduler.now(), notification: {kind: "C", value: undefined, error: undefined}}),
  });
  scheduler.run();
  return out;
}

/** Returns the frames of marble diagram *diagram*, one character = 1 ns. */
function marbles(diagram: string, values?: Record<string, unknown>) {
  // parseMarbles counts TestScheduler.frameTimeFactor (10) per character outside TestScheduler.run().
  return TestScheduler.parseMarbles(diagram, values, undefined, undefined, true).map(({frame, notification}) => ({
    frame: frame / TestScheduler.frameTimeFactor,
    notification: {kind: notification.kind, value: (notification as {value?: unknown}).value, error: (notification as {error?: unknown}).error},
  }));
}

test("SimScheduler.schedule() runs delays 0,100,0,500,0,100 as [1,3,5,2,6,4] (RxJS's own case)", () => {
  const s = new SimScheduler();
  const invoked: number[] = [];
  const invoke = (state?: number) => void invoked.push(state!);
  s.schedule(invoke, 0, 1);
  s.schedule(invoke, 100, 2);
  s.schedule(invoke, 0, 3);
  s.schedule(invoke, 500, 4);
  s.schedule(invoke, 0, 5);
  s.schedule(invoke, 100, 6);
  s.flush();
  assert.deepEqual(invoked, [1, 3, 5, 2, 6, 4]);
});

test("SimScheduler.schedule() runs each action at now + delay", () => {
  const s = new SimScheduler();
  const times: number[] = [];
  for (const d of [30, 10, 20]) s.schedule(() => void times.push(s.now()), d);
  s.run();
  assert.deepEqual(times, [10, 20, 30]);
});

test("SimScheduler.schedule() treats negative and NaN delays as 0, as RxJS does", () => {
  const s = new SimScheduler();
  const order: string[] = [];
  s.schedule(() => void order.push("ten"), 10);
  s.schedule(() => void order.push("negative"), -5);
  s.schedule(() => void order.push("nan"), NaN);
  s.run();
  assert.deepEqual(order, ["negative", "nan", "ten"]);
});

test("SimScheduler.schedule() lets work schedule more work at the current time after what is already due", () => {
  const s = new SimScheduler();
  const order: string[] = [];
  s.schedule(() => {
    order.push("a");
    s.schedule(() => void order.push("c"), 0);
  }, 0);
  s.schedule(() => void order.push("b"), 0);
  s.run();
  assert.deepEqual(order, ["a", "b", "c"]);
});

test("SchedulerAction.schedule() inside the work reschedules the same action (RxJS operators' pattern)", () => {
  const s = new SimScheduler();
  const log: Array<[number, number]> = [];
  s.schedule(
    function (this: SchedulerAction<number>, n?: number) {
      log.push([s.now(), n!]);
      if (n! < 3) this.schedule(n! + 1, 10);
    },
    5,
    0,
  );
  s.run();
  assert.deepEqual(log, [[5, 0], [15, 1], [25, 2], [35, 3]]);
  assert.equal(s.pending, 0);
});

test("SchedulerAction.schedule() on a pending action moves it instead of running it twice", () => {
  const s = new SimScheduler();
  const messages: string[] = [];
  const action = s.schedule((m?: string) => void messages.push(`${m} at ${s.now()}`), 10, "first message") as unknown as SchedulerAction<string>;
  action.schedule("second message", 20);
  assert.equal(s.pending, 1);
  s.run();
  assert.deepEqual(messages, ["second message at 20"]);
});

test("Subscription.unsubscribe() of a pending action keeps it from running and leaves the heap", () => {
  const s = new SimScheduler();
  const ran: number[] = [];
  const subs = [10, 20, 30, 40, 50].map((d) => s.schedule(() => void ran.push(d), d));
  subs[1].unsubscribe();
  subs[3].unsubscribe();
  subs[3].unsubscribe(); // twice is harmless
  assert.equal(s.pending, 3);
  s.run();
  assert.deepEqual(ran, [10, 30, 50]);
});

test("Subscription.unsubscribe() inside the work stops a self-rescheduling action", () => {
  const s = new SimScheduler();
  let runs = 0;
  s.schedule(function (this: SchedulerAction<void>) {
    runs++;
    this.schedule(undefined, 1);
    if (runs === 3) this.unsubscribe();
  }, 0);
  s.run();
  assert.equal(runs, 3);
  assert.equal(s.pending, 0);
});

test("SimScheduler.post() interleaves with schedule() by (time, insertion order)", () => {
  const s = new SimScheduler();
  const order: string[] = [];
  s.post(10, () => order.push("post 10"));
  s.schedule(() => void order.push("schedule 10"), 10);
  s.post(0, () => order.push("post 0"));
  s.schedule(() => void order.push("schedule 5"), 5);
  s.run();
  assert.deepEqual(order, ["post 0", "schedule 5", "post 10", "schedule 10"]);
});

test("SimScheduler.run(untilNs) stops before later work and sets the clock to untilNs", () => {
  const s = new SimScheduler();
  const ran: number[] = [];
  for (const d of [5, 10, 15]) s.post(d, () => ran.push(d));
  assert.equal(s.run(12), 12);
  assert.equal(s.now(), 12);
  assert.deepEqual(ran, [5, 10]);
  assert.equal(s.pending, 1);
  assert.equal(s.run(), 15);
  assert.deepEqual(ran, [5, 10, 15]);
});

test("SimScheduler.run(untilNs) never moves the clock backwards: run(150) then run(50) stays at 150", () => {
  const s = new SimScheduler();
  const ran: number[] = [];
  for (const d of [100, 200]) s.post(d, () => ran.push(s.now()));
  assert.equal(s.run(150), 150);
  assert.equal(s.run(50), 150);
  assert.equal(s.now(), 150);
  assert.deepEqual(ran, [100]);
  // Work filed now is due after 150, not after 50.
  s.post(10, () => ran.push(s.now()));
  s.run();
  assert.deepEqual(ran, [100, 160, 200]);
});

test("SimScheduler.run(untilNs) advances the clock to untilNs when the heap empties earlier", () => {
  const s = new SimScheduler();
  s.post(40, () => {});
  assert.equal(s.run(100), 100);
  assert.equal(s.now(), 100);
  // Empty from the start: the same.
  assert.equal(s.run(250), 250);
  assert.equal(s.now(), 250);
});

test("SimScheduler.run(untilNs) runs work due exactly at untilNs", () => {
  const s = new SimScheduler();
  const ran: number[] = [];
  s.post(100, () => ran.push(s.now()));
  s.post(101, () => ran.push(s.now()));
  assert.equal(s.run(100), 100);
  assert.deepEqual(ran, [100]);
});

test("SimScheduler.run() with no untilNs leaves the clock at the last work that ran", () => {
  const s = new SimScheduler();
  s.post(70, () => {});
  assert.equal(s.run(), 70);
  assert.equal(s.run(), 70);
});

test("SimScheduler.run(NaN) is a RangeError naming untilNs", () => {
  assert.throws(() => new SimScheduler().run(NaN), {name: "RangeError", message: /untilNs: NaN/});
});

test("SimScheduler.run(Infinity, maxEvents) throws SimulationLimitError on a runaway model", () => {
  const s = new SimScheduler();
  const tick = () => s.post(1, tick);
  tick();
  assert.throws(() => s.run(Infinity, 100), SimulationLimitError);
});

test("SimScheduler.run() after a SimulationLimitError resumes with no event lost or run twice", () => {
  const s = new SimScheduler();
  const ran: number[] = [];
  for (let i = 0; i < 10; i++) s.post(i, () => ran.push(i));
  assert.throws(() => s.run(Infinity, 3), SimulationLimitError);
  assert.deepEqual(ran, [0, 1, 2]);
  assert.equal(s.pending, 7);
  assert.equal(s.now(), 2);
  assert.throws(() => s.run(Infinity, 4), SimulationLimitError);
  assert.deepEqual(ran, [0, 1, 2, 3, 4, 5, 6]);
  assert.equal(s.run(), 9);
  assert.deepEqual(ran, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(s.eventsRun, 10);
});

test("SimScheduler.run(Infinity, n) with exactly n events pending runs them all without an error", () => {
  const s = new SimScheduler();
  const ran: number[] = [];
  for (let i = 0; i < 3; i++) s.post(i, () => ran.push(i));
  assert.equal(s.run(Infinity, 3), 2);
  assert.deepEqual(ran, [0, 1, 2]);
});

test("SimScheduler.post(delayNs) rejects a negative, NaN or infinite delay with a RangeError naming it", () => {
  const s = new SimScheduler();
  for (const bad of [-1, NaN, Infinity])
    assert.throws(() => s.post(bad, () => {}), {name: "RangeError", message: `invalid delayNs: ${bad}; expected a finite number of ns ≥ 0`});
  assert.equal(s.pending, 0);
});

test("SimScheduler.run() throws an error that nothing downstream handles, when it happens, not later from a timer", () => {
  const s = new SimScheduler();
  const ran: number[] = [];
  s.post(5, () => ran.push(5));
  timer(10, s)
    .pipe(map(() => {
      throw new Error("bad tick");
    }))
    .subscribe(); // no error callback
  s.post(20, () => ran.push(20));
  assert.throws(() => s.run(), /bad tick/);
  assert.equal(s.now(), 10);
  assert.deepEqual(ran, [5]);
  // The rest is still pending and runs on the next call.
  assert.equal(s.run(), 20);
  assert.deepEqual(ran, [5, 20]);
});

test("SimScheduler.run() leaves an error handled downstream to its handler", () => {
  const s = new SimScheduler();
  let caught: unknown = null;
  timer(10, s)
    .pipe(map(() => {
      throw new Error("bad tick");
    }), catchError((err) => {
      caught = err;
      return of(0);
    }))
    .subscribe();
  assert.equal(s.run(), 10);
  assert.match(String(caught), /bad tick/);
});

test("SimScheduler.run() routes unhandled errors to RxJS's config.onUnhandledError when the user set one", () => {
  const s = new SimScheduler();
  const seen: unknown[] = [];
  const previous = config.onUnhandledError;
  config.onUnhandledError = (err) => seen.push(err);
  try {
    timer(3, s).pipe(map(() => {
      throw new Error("reported");
    })).subscribe();
    assert.equal(s.run(), 3);
  } finally {
    config.onUnhandledError = previous;
  }
  assert.equal(seen.length, 1);
});

test("SimScheduler.run() keeps (time, insertion) order over thousands of random delays", () => {
  const s = new SimScheduler();
  const seen: Array<[number, number]> = [];
  let x = 12345;
  for (let i = 0; i < 5000; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const d = x % 50;
    s.post(d, () => seen.push([s.now(), i]));
  }
  s.run();
  for (let k = 1; k < seen.length; k++) {
    const [t0, i0] = seen[k - 1];
    const [t1, i1] = seen[k];
    assert.ok(t0 < t1 || (t0 === t1 && i0 < i1), `out of order at ${k}`);
  }
  assert.equal(seen.length, 5000);
});

test("work filed on both sides of the near/far split runs in exact (time, insertion) order, ties across the split included", () => {
  // Delays on both sides of the scheduler's near horizon (1 ms) and exactly on it, so that work due at one instant
  // sits in both heaps; each piece of work files more. A reference run picks the smallest (time, seq) by a scan.
  const delays = [0, 1, 250_000, 999_999, 1_000_000, 1_000_001, 1_500_000, 2_000_000, 750_000];
  const children = (id: number) => (id < 1500 ? [(id * 7) % delays.length, (id * 13 + 5) % delays.length] : []);
  const s = new SimScheduler();
  const ran: Array<[number, number]> = [];
  let nextId = 0;
  const file = (delayNs: number): void => {
    const id = nextId++;
    s.post(delayNs, () => {
      ran.push([s.now(), id]);
      for (const k of children(id)) file(delays[k]);
    });
  };
  for (let i = 0; i < 6; i++) file(delays[(i * 5) % delays.length]);
  s.run();
  // Reference: a plain list of pending (time, seq, id).
  const pending: Array<{timeNs: number; seq: number; id: number}> = [];
  const expected: Array<[number, number]> = [];
  let seq = 0;
  let now = 0;
  let id = 0;
  const fileRef = (delayNs: number) => pending.push({timeNs: now + delayNs, seq: seq++, id: id++});
  for (let i = 0; i < 6; i++) fileRef(delays[(i * 5) % delays.length]);
  while (pending.length > 0) {
    let m = 0;
    for (let k = 1; k < pending.length; k++) {
      const a = pending[k];
      const b = pending[m];
      if (a.timeNs < b.timeNs || (a.timeNs === b.timeNs && a.seq < b.seq)) m = k;
    }
    const [e] = pending.splice(m, 1);
    now = e.timeNs;
    expected.push([now, e.id]);
    for (const k of children(e.id)) fileRef(delays[k]);
  }
  assert.equal(ran.length, expected.length);
  assert.ok(expected.length > 3000, `${expected.length} pieces of work`);
  assert.deepEqual(ran, expected);
  // Ties across the split did happen: some instant ran work filed near and work filed far.
  const times = new Map<number, number>();
  for (const [t] of ran) times.set(t, (times.get(t) ?? 0) + 1);
  assert.ok([...times.values()].some((n) => n > 1));
});

test("a pending action re-filed across the near/far split runs once, at its new time", () => {
  const s = new SimScheduler();
  const ran: Array<[string, number]> = [];
  const far = s.schedule(() => void ran.push(["far→near", s.now()]), 5_000_000);
  const near = s.schedule(() => void ran.push(["near→far", s.now()]), 10);
  (far as unknown as SchedulerAction<number>).schedule(undefined, 20);
  (near as unknown as SchedulerAction<number>).schedule(undefined, 3_000_000);
  s.post(3_000_000, () => void ran.push(["post", s.now()]));
  s.run();
  assert.deepEqual(ran, [["far→near", 20], ["near→far", 3_000_000], ["post", 3_000_000]]);
  assert.equal(s.pending, 0);
});

test("SimScheduler.remove() of random pending actions keeps the rest in order", () => {
  const s = new SimScheduler();
  const ran: number[] = [];
  const subs = [];
  for (let i = 0; i < 1000; i++) subs.push(s.schedule(() => void ran.push(i), (i * 7919) % 1000));
  const removed = new Set<number>();
  for (let i = 0; i < 1000; i += 3) {
    subs[i].unsubscribe();
    removed.add(i);
  }
  s.run();
  const expected = [...Array(1000).keys()].filter((i) => !removed.has(i)).sort((a, b) => ((a * 7919) % 1000) - ((b * 7919) % 1000) || a - b);
  assert.deepEqual(ran, expected);
});

test("SimScheduler.remove() of most of 20,000 pending actions, and re-filing others, keeps the rest in order and pending exact", () => {
  const s = new SimScheduler();
  const ran: number[] = [];
  const n = 20_000;
  const delay = (i: number) => (i * 7919) % 5000;
  const subs = [];
  for (let i = 0; i < n; i++) subs.push(s.schedule(() => void ran.push(i), delay(i)));
  // Removing most of them leaves stale entries that outnumber live ones: the heap is rebuilt on the way.
  const removed = new Set<number>();
  for (let i = 0; i < n; i++)
    if (i % 5 !== 0) {
      subs[i].unsubscribe();
      removed.add(i);
    }
  assert.equal(s.pending, n / 5);
  // Re-filing a pending action moves it (its old entry turns stale).
  const moved = s.schedule(() => void ran.push(-1), 10_000);
  (moved as unknown as SchedulerAction<number>).schedule(undefined, 2500);
  assert.equal(s.pending, n / 5 + 1);
  s.run();
  const expected = [...Array(n).keys()].filter((i) => !removed.has(i));
  const key = (i: number) => (i === -1 ? 2500 : delay(i));
  expected.push(-1);
  // Ties at 2500: the moved action was filed last, so it runs after the others due then.
  expected.sort((a, b) => key(a) - key(b) || (a === -1 ? 1 : b === -1 ? -1 : a - b));
  assert.deepEqual(ran, expected);
  assert.equal(s.pending, 0);
});

test("work that re-files itself while it runs keeps (time, insertion) order with everything filed around it", () => {
  // The running work stays the heap's top until it re-files itself or ends (run()'s re-key in place):
  // what it files before and after re-filing itself, at the same and later times, keeps SimPy's order.
  const s = new SimScheduler();
  const ran: string[] = [];
  let rounds = 0;
  function work(this: SchedulerAction<number>): void {
    ran.push(`w${rounds}@${s.now()}`);
    const r = ++rounds;
    if (r > 3) return;
    s.post(0, () => void ran.push(`a${r}@${s.now()}`)); // filed before it re-files itself: runs first at this time
    this.schedule(undefined, r % 2 === 0 ? 0 : 10);
    s.post(0, () => void ran.push(`b${r}@${s.now()}`)); // filed after: runs after it when it re-filed itself at delay 0
  }
  s.schedule(work, 5);
  s.post(15, () => void ran.push("p@15"));
  s.run();
  // p was filed before w re-filed itself for 15, so p runs first then.
  assert.deepEqual(ran, ["w0@5", "a1@5", "b1@5", "p@15", "w1@15", "a2@15", "w2@15", "b2@15", "a3@15", "b3@15", "w3@25"]);
  assert.equal(s.pending, 0);
});

test("work that re-files itself and then cancels itself while it runs does not run again", () => {
  const s = new SimScheduler();
  let runs = 0;
  const sub = s.schedule(function (this: SchedulerAction<void>) {
    runs++;
    this.schedule(undefined, 10);
    sub.unsubscribe();
  }, 1);
  s.post(20, () => {});
  s.run();
  assert.equal(runs, 1);
  assert.equal(s.now(), 20);
  assert.equal(s.pending, 0);
});

test("work that throws while it runs is not run again by the next run(), and the rest keeps its order", () => {
  const s = new SimScheduler();
  const ran: number[] = [];
  s.post(1, () => {
    ran.push(1);
    s.post(1, () => void ran.push(3));
    throw new Error("boom");
  });
  s.post(1, () => void ran.push(2));
  assert.throws(() => s.run(), /boom/);
  s.run();
  assert.deepEqual(ran, [1, 2, 3]);
  assert.equal(s.pending, 0);
});

test("cancelling most pending work from inside running work (a heap rebuild meanwhile) keeps the rest in order", () => {
  const s = new SimScheduler();
  const ran: number[] = [];
  const n = 5000;
  const subs: Array<{unsubscribe(): void}> = [];
  s.post(0, () => {
    for (let i = 0; i < n; i++) if (i % 4 !== 0) subs[i].unsubscribe();
    s.post(0, () => void ran.push(-1));
  });
  for (let i = 0; i < n; i++) subs.push(s.schedule(() => void ran.push(i), 1 + ((i * 7919) % 1000)));
  s.run();
  const expected = [-1, ...[...Array(n).keys()].filter((i) => i % 4 === 0).sort((a, b) => ((a * 7919) % 1000) - ((b * 7919) % 1000) || a - b)];
  assert.deepEqual(ran, expected);
  assert.equal(s.pending, 0);
});

test("run() called from inside running work runs what is due and leaves the outer run consistent", () => {
  const s = new SimScheduler();
  const ran: string[] = [];
  s.post(1, () => {
    ran.push("outer");
    s.post(2, () => void ran.push("inner-due"));
    s.run(3);
    ran.push(`back@${s.now()}`);
  });
  s.post(5, () => void ran.push("later"));
  s.run();
  assert.deepEqual(ran, ["outer", "inner-due", "back@3", "later"]);
  assert.equal(s.pending, 0);
});

test("timer(dueNs, scheduler) emits at dueNs in virtual time", () => {
  const s = new SimScheduler();
  assert.deepEqual(frames(s, timer(5, s)), marbles("-----(a|)", {a: 0}));
});

test("timer(dueNs, periodNs, scheduler) emits periodically in virtual time", () => {
  const s = new SimScheduler();
  assert.deepEqual(frames(s, timer(2, 3, s).pipe(take(3))), marbles("--a--b--(c|)", {a: 0, b: 1, c: 2}));
});

test("timer(1e9, scheduler) fires at one virtual second in one event, without waiting", () => {
  const s = new SimScheduler();
  let at = -1;
  timer(1e9, s).subscribe(() => (at = s.now()));
  s.run();
  assert.equal(at, 1e9);
  // One heap event, no polling: virtual time jumps straight to the due time.
  assert.equal(s.eventsRun, 1);
});

test("delay(ns, scheduler) shifts every value by ns of virtual time", () => {
  const s = new SimScheduler();
  const source$ = interval(2, s).pipe(take(3)); // 2, 4, 6
  assert.deepEqual(frames(s, source$.pipe(delay(3, s))), marbles("-----a-b-(c|)", {a: 0, b: 1, c: 2}));
});

test("bufferTime(spanNs, scheduler) groups values by virtual time windows", () => {
  const s = new SimScheduler();
  const source$ = interval(3, s).pipe(take(5)); // 3, 6, 9, 12, 15
  const out: Array<[number, number[]]> = [];
  source$.pipe(bufferTime(10, s)).subscribe((b) => out.push([s.now(), b]));
  s.run();
  assert.deepEqual(out, [[10, [0, 1, 2]], [15, [3, 4]]]);
});

test("throttleTime(ns, scheduler) drops values inside the window in virtual time", () => {
  const s = new SimScheduler();
  const source$ = interval(1, s).pipe(take(7)); // 1, 2, ..., 7
  // The window's end (filed first) runs before the tick due at the same nanosecond.
  assert.deepEqual(frames(s, source$.pipe(throttleTime(3, s))), marbles("-a--b--(c|)", {a: 0, b: 3, c: 6}));
});

test("SimScheduler.post(delay, fn, a, b) calls fn(a, b) at now + delay, in order with closures posted alongside", () => {
  const s = new SimScheduler();
  const log: string[] = [];
  const fn = (who: string, n: number) => log.push(`${who}${n}@${s.now()}`);
  s.post(20, fn, "b", 2);
  s.post(10, () => log.push(`closure@${s.now()}`));
  s.post(10, fn, "a", 1);
  s.post(5, (who: string) => log.push(`${who}@${s.now()}`), "one-arg");
  s.run();
  assert.deepEqual(log, ["one-arg@5", "closure@10", "a1@10", "b2@20"]);
  assert.throws(() => s.post(-1, fn, "x", 0), /invalid delayNs: -1/);
});
