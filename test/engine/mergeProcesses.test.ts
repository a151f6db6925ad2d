import {test} from "node:test";
import assert from "node:assert/strict";
import {from, mergeMap, of, range, Subject, take, throwError, type Observable} from "rxjs";
import {mergeProcesses} from "../../src/engine/mergeProcesses.js";
import {Resource} from "../../src/engine/Resource.js";
import {sleep, spawn, use, type ProcessBody} from "../../src/engine/process.js";
import {createSim, type Sim} from "../../src/engine/sim.js";

/** A process that sleeps *ns* then returns *id*, logging its start and end. */
function sleeper(sim: Sim, id: number, ns: number, log: string[]): Observable<number> {
  return spawn(sim, id, function* (): ProcessBody<number> {
    log.push(`start ${id} at ${sim.scheduler.now()}`);
    yield sleep(ns);
    return id;
  });
}

test("mergeProcesses(project) runs every inner at once and emits results in virtual-time order", () => {
  const sim = createSim();
  const log: string[] = [];
  const out: Array<[number, number]> = [];
  let completedAt = -1;
  from([30, 10, 20])
    .pipe(mergeProcesses((ns, i) => sleeper(sim, i, ns, log)))
    .subscribe({next: (id) => out.push([id, sim.scheduler.now()]), complete: () => (completedAt = sim.scheduler.now())});
  sim.run();
  assert.deepEqual(log, ["start 0 at 0", "start 1 at 0", "start 2 at 0"]);
  assert.deepEqual(out, [[1, 10], [2, 20], [0, 30]]);
  assert.equal(completedAt, 30);
});

test("mergeProcesses(project, 2) runs at most two inners, starting waiting ones in arrival order", () => {
  const sim = createSim();
  const log: string[] = [];
  const out: Array<[number, number]> = [];
  from([10, 5, 10, 1, 1])
    .pipe(mergeProcesses((ns, i) => sleeper(sim, i, ns, log), 2))
    .subscribe((id) => out.push([id, sim.scheduler.now()]));
  sim.run();
  assert.deepEqual(log, ["start 0 at 0", "start 1 at 0", "start 2 at 5", "start 3 at 10", "start 4 at 11"]);
  assert.deepEqual(out, [[1, 5], [0, 10], [3, 11], [4, 12], [2, 15]]);
});

test("mergeProcesses() emits exactly what mergeMap() emits, in the same order, over 2,000 contending processes", () => {
  const run = (merge: typeof mergeMap) => {
    const sim = createSim({seed: 3});
    const cpu = new Resource(sim, "cpu", 3);
    const out: Array<[number, number]> = [];
    range(0, 2000)
      .pipe(
        merge(
          (c: number) =>
            spawn(sim, c, function* (): ProcessBody<number> {
              yield sleep(sim.random.int(50));
              yield use(cpu, 1 + sim.random.int(20), "user");
              return c;
            }),
          7,
        ),
      )
      .subscribe((c) => out.push([c, sim.scheduler.now()]));
    sim.run();
    return out;
  };
  const viaMergeMap = run(mergeMap);
  assert.equal(viaMergeMap.length, 2000);
  assert.deepEqual(run(mergeProcesses as unknown as typeof mergeMap), viaMergeMap);
});

test("mergeProcesses() completes synchronous inners without nesting calls (100,000 of them, limit 1)", () => {
  let n = 0;
  range(0, 100_000)
    .pipe(mergeProcesses((i) => of(i), 1))
    .subscribe(() => n++);
  assert.equal(n, 100_000);
});

test("mergeProcesses(): an inner's error cancels every other inner (releasing its unit) and reaches the subscriber", () => {
  const sim = createSim();
  const disk = new Resource(sim, "disk", 2);
  const finallies: string[] = [];
  let caught: unknown = null;
  from([0, 1, 2])
    .pipe(
      mergeProcesses((i) =>
        spawn(sim, i, function* (): ProcessBody<number> {
          try {
            if (i === 1) {
              yield sleep(5);
              throw new Error("inner 1 failed");
            }
            yield use(disk, 100, "read");
            return i;
          } finally {
            finallies.push(`${i} at ${sim.scheduler.now()}`);
          }
        }),
      ),
    )
    .subscribe({error: (e) => (caught = e)});
  assert.equal(disk.queued, 0);
  assert.equal(sim.run(), 5);
  assert.equal((caught as Error).message, "inner 1 failed");
  assert.deepEqual(finallies, ["1 at 5", "0 at 5", "2 at 5"]);
  assert.equal(disk.busyUnits, 0);
  assert.equal(disk.busyNs, 10);
  assert.equal(disk.cancelled, 2);
});

test("mergeProcesses(): an error from project or from the source errors the result", () => {
  let caught: unknown = null;
  of(1, 2)
    .pipe(mergeProcesses((i) => {
      if (i === 2) throw new Error("project failed");
      return of(i);
    }))
    .subscribe({error: (e) => (caught = e)});
  assert.equal((caught as Error).message, "project failed");
  caught = null;
  throwError(() => new Error("source failed"))
    .pipe(mergeProcesses((i) => of(i)))
    .subscribe({error: (e) => (caught = e)});
  assert.equal((caught as Error).message, "source failed");
});

test("mergeProcesses(): a process whose body factory throws errors the result and cancels the others, as when subscribed", () => {
  const run = (merge: typeof mergeMap) => {
    const sim = createSim();
    const disk = new Resource(sim, "disk", 1);
    const boom = new Error("body factory failed");
    let caught: unknown = null;
    range(0, 2)
      .pipe(
        merge((i: number) =>
          spawn(
            sim,
            i + 1,
            i === 0
              ? function* (): ProcessBody<number> {
                  yield use(disk, 100, "read");
                  return 0;
                }
              : () => {
                  throw boom;
                },
          ),
        ),
      )
      .subscribe({error: (e) => (caught = e)});
    assert.equal(caught, boom);
    assert.equal(disk.busyUnits, 0);
    sim.run();
    return [disk.completed, disk.cancelled, sim.scheduler.now()];
  };
  assert.deepEqual(run(mergeProcesses as unknown as typeof mergeMap), [0, 1, 0]);
  assert.deepEqual(run(mergeProcesses as unknown as typeof mergeMap), run(mergeMap));
});

test("mergeProcesses(): a process whose first step unsubscribes the result is cancelled once that step is done, as when subscribed", () => {
  const run = (merge: typeof mergeMap) => {
    const sim = createSim();
    const cpu = new Resource(sim, "cpu", 1);
    const log: string[] = [];
    const source = new Subject<number>();
    const subscription = source
      .pipe(
        merge((i: number) =>
          spawn(sim, i + 1, function* (): ProcessBody<void> {
            if (i === 1) subscription.unsubscribe();
            try {
              yield use(cpu, 10, "user");
              log.push(`${i} done`);
            } finally {
              log.push(`${i} left`);
            }
          }),
        ),
      )
      .subscribe();
    source.next(0);
    source.next(1);
    sim.run();
    return {log, busy: cpu.busyUnits, completed: cpu.completed, cancelled: cpu.cancelled};
  };
  const viaMergeProcesses = run(mergeProcesses as unknown as typeof mergeMap);
  assert.deepEqual(viaMergeProcesses, {log: ["0 left", "1 left"], busy: 0, completed: 0, cancelled: 2});
  assert.deepEqual(viaMergeProcesses, run(mergeMap));
});

test("mergeProcesses(): an inner error with no handler downstream makes sim.run() throw it", () => {
  const sim = createSim();
  range(0, 3)
    .pipe(mergeProcesses((i) => spawn(sim, i, function* () {
      yield sleep(i);
      if (i === 1) throw new Error("unhandled inner");
    })))
    .subscribe();
  assert.throws(() => sim.run(), /unhandled inner/);
  assert.equal(sim.scheduler.now(), 1);
});

test("mergeProcesses(): unsubscribing cancels the source and every running and waiting inner", () => {
  const sim = createSim();
  const cpu = new Resource(sim, "cpu", 1);
  const source = new Subject<number>();
  const finallies: number[] = [];
  const sub = source
    .pipe(mergeProcesses((i) => spawn(sim, i, function* () {
      try {
        yield use(cpu, 50, "user");
      } finally {
        finallies.push(i);
      }
    }), 3))
    .subscribe();
  for (let i = 0; i < 5; i++) source.next(i);
  assert.equal(cpu.queued, 2); // three running: one in service, two in line; two waiting in the operator
  sim.scheduler.post(20, () => sub.unsubscribe());
  assert.equal(sim.run(), 20);
  assert.deepEqual(finallies, [0, 1, 2]);
  assert.equal(cpu.queued, 0);
  assert.equal(cpu.busyUnits, 0);
  assert.equal(cpu.busyNs, 20);
  assert.equal(source.observed, false);
});

test("mergeProcesses(): take(n) downstream stops every inner once n results came", () => {
  const sim = createSim();
  const out: number[] = [];
  range(0, 10_000)
    .pipe(mergeProcesses((i) => spawn(sim, i, function* (): ProcessBody<number> {
      yield sleep(10_000 - i);
      return i;
    })), take(3))
    .subscribe((i) => out.push(i));
  assert.equal(sim.run(), 3);
  assert.deepEqual(out, [9999, 9998, 9997]);
  assert.equal(sim.scheduler.pending, 0);
});

test("mergeProcesses(project, concurrent) rejects a concurrency that is not a positive integer or Infinity", () => {
  for (const bad of [0, -1, 1.5, NaN])
    assert.throws(() => mergeProcesses(() => of(1), bad), {name: "RangeError", message: `invalid concurrent: ${bad}; expected a positive integer or Infinity`});
});
