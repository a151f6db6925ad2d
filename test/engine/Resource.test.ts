import {test} from "node:test";
import assert from "node:assert/strict";
import {takeUntil, timer} from "rxjs";
import {Job, Resource} from "../../src/engine/Resource.js";
import {createSim} from "../../src/engine/sim.js";

/** Submits jobs named by *names* of *ns* each at the current time; returns the [name, finish time] log. */
function submitAll(resource: Resource, sim: ReturnType<typeof createSim>, names: string[], ns: number, log: Array<[string, number]>, urgent = false) {
  for (const name of names) resource.submit(new Job(resource, ns, "work", () => log.push([name, sim.scheduler.now()])), urgent);
}

test("Resource.submit() serves jobs in FIFO order on one unit", () => {
  const sim = createSim();
  const r = new Resource(sim, "r", 1);
  const log: Array<[string, number]> = [];
  submitAll(r, sim, ["a", "b", "c"], 10, log);
  sim.run();
  assert.deepEqual(log, [["a", 10], ["b", 20], ["c", 30]]);
});

test("Resource.submit() keeps N units busy at once", () => {
  const sim = createSim();
  const r = new Resource(sim, "r", 2);
  const log: Array<[string, number]> = [];
  submitAll(r, sim, ["a", "b", "c", "d", "e"], 10, log);
  assert.equal(r.busyUnits, 2);
  assert.equal(r.queued, 3);
  sim.run();
  assert.deepEqual(log, [["a", 10], ["b", 10], ["c", 20], ["d", 20], ["e", 30]]);
});

test("Resource.submit(job, true) puts an urgent job at the head of the line without preempting", () => {
  const sim = createSim();
  const r = new Resource(sim, "r", 1);
  const log: Array<[string, number]> = [];
  submitAll(r, sim, ["a", "b", "c"], 10, log);
  sim.scheduler.post(5, () => submitAll(r, sim, ["irq"], 1, log, true));
  sim.run();
  assert.deepEqual(log, [["a", 10], ["irq", 11], ["b", 21], ["c", 31]]);
});

test("Resource.submit(job, true) serves urgent jobs ahead of the line, in arrival order", () => {
  const sim = createSim();
  const r = new Resource(sim, "r", 1);
  const log: Array<[string, number]> = [];
  submitAll(r, sim, ["a", "b", "c", "d"], 10, log);
  sim.scheduler.post(15, () => submitAll(r, sim, ["irq1", "irq2"], 1, log, true));
  sim.run();
  // At 15, b is in service and c, d wait; urgent jobs go ahead of them, first come first served.
  assert.deepEqual(log, [["a", 10], ["b", 20], ["irq1", 21], ["irq2", 22], ["c", 32], ["d", 42]]);
});

test("Resource.finish() keeps FIFO order across thousands of queued jobs", () => {
  const sim = createSim();
  const r = new Resource(sim, "r", 1);
  const order: number[] = [];
  for (let i = 0; i < 5000; i++) r.submit(new Job(r, 1, "w", () => order.push(i)));
  sim.run();
  assert.deepEqual(order, [...Array(5000).keys()]);
  assert.equal(sim.scheduler.now(), 5000);
});

test("Resource.busyNsByTag books completed service time per tag", () => {
  const sim = createSim();
  const cpu = new Resource(sim, "cpu", 2);
  cpu.use(100, "user").subscribe();
  cpu.use(30, "irq").subscribe();
  cpu.use(50, "user").subscribe();
  sim.run();
  assert.deepEqual(Object.fromEntries(cpu.busyNsByTag), {user: 150, irq: 30});
  assert.equal(cpu.busyNs, 180);
  assert.equal(cpu.completed, 3);
});

test("Resource.waitNs and maxQueue measure the line", () => {
  const sim = createSim();
  const r = new Resource(sim, "r", 1);
  for (let i = 0; i < 4; i++) r.use(10, "w").subscribe();
  sim.run();
  assert.equal(r.waitNs, 10 + 20 + 30);
  assert.equal(r.maxQueue, 3);
});

test("Resource.use(ns, tag) emits the finish time then completes", () => {
  const sim = createSim();
  const r = new Resource(sim, "r", 1);
  const log: string[] = [];
  r.use(40, "w").subscribe({next: (t) => log.push(`next ${t}`), complete: () => log.push(`complete ${sim.scheduler.now()}`)});
  r.use(2, "w").subscribe({next: (t) => log.push(`next ${t}`)});
  sim.run();
  assert.deepEqual(log, ["next 40", "complete 40", "next 42"]);
});

test("Resource.use(ns, tag) does nothing until subscribed", () => {
  const sim = createSim();
  const r = new Resource(sim, "r", 1);
  r.use(40, "w");
  sim.run();
  assert.equal(r.completed, 0);
  assert.equal(sim.scheduler.now(), 0);
});

test("Resource.start() records the job's trace event when service starts", () => {
  const sim = createSim();
  const r = new Resource(sim, "disk", 1);
  r.submit(new Job(r, 10, "dma", () => {}, "dma-copy", 3, 4096, "disk→page-cache"));
  r.submit(new Job(r, 5, "dma", () => {}, "dma-copy", 4, 512, "disk→memory"));
  r.submit(new Job(r, 5, "dma", () => {})); // no trace kind: not recorded
  sim.run();
  assert.deepEqual(sim.trace.events, [
    {timeNs: 0, kind: "dma-copy", pid: 3, durationNs: 10, bytes: 4096, detail: "disk→page-cache"},
    {timeNs: 10, kind: "dma-copy", pid: 4, durationNs: 5, bytes: 512, detail: "disk→memory"},
  ]);
});

test("new Resource(sim, name, units) rejects units that are not a positive integer", () => {
  const sim = createSim();
  assert.throws(() => new Resource(sim, "cpu", 0), RangeError);
  assert.throws(() => new Resource(sim, "cpu", 1.5), RangeError);
});

test("Resource.use(ns, tag) unsubscribed while queued withdraws the request: never served, queued stays exact", () => {
  const sim = createSim();
  const r = new Resource(sim, "r", 1);
  const log: string[] = [];
  r.use(10, "a").subscribe(() => log.push(`a ${sim.scheduler.now()}`));
  const b = r.use(10, "b").subscribe(() => log.push(`b ${sim.scheduler.now()}`));
  r.use(10, "c").subscribe(() => log.push(`c ${sim.scheduler.now()}`));
  assert.equal(r.queued, 2);
  b.unsubscribe();
  assert.equal(r.queued, 1);
  b.unsubscribe(); // twice: no effect
  assert.equal(r.queued, 1);
  sim.run();
  assert.deepEqual(log, ["a 10", "c 20"]);
  assert.deepEqual([r.completed, r.withdrawn, r.cancelled, r.busyNs, r.queued], [2, 1, 0, 20, 0]);
});

test("Resource.use(ns, tag) under takeUntil frees the unit when cut short and books only the time used", () => {
  const sim = createSim();
  const r = new Resource(sim, "r", 1);
  const log: string[] = [];
  r.use(100, "long").pipe(takeUntil(timer(30, sim.scheduler))).subscribe({complete: () => log.push(`long stopped ${sim.scheduler.now()}`)});
  r.use(5, "next").subscribe(() => log.push(`next ${sim.scheduler.now()}`));
  assert.equal(sim.run(), 35);
  assert.deepEqual(log, ["long stopped 30", "next 35"]);
  assert.deepEqual([...r.busyNsByTag], [["long", 30], ["next", 5]]);
  assert.deepEqual([r.completed, r.cancelled, r.busyNs, r.waitNs], [1, 1, 35, 30]);
});

test("Resource.cancel(job) of urgent and ordinary jobs among thousands keeps FIFO order for the rest", () => {
  const sim = createSim();
  const r = new Resource(sim, "r", 1);
  const order: number[] = [];
  const jobs: Job[] = [];
  for (let i = 0; i < 3000; i++) {
    const job = new Job(r, 1, "w", () => order.push(i));
    jobs.push(job);
    r.submit(job, i % 7 === 0);
  }
  // Cancel every third job early (job 0 is then in service), and another third later, after the line was compacted.
  sim.scheduler.post(0.25, () => {
    for (let i = 0; i < 3000; i += 3) r.cancel(jobs[i]);
  });
  sim.scheduler.post(1500.5, () => {
    for (let i = 1; i < 3000; i += 3) r.cancel(jobs[i]);
  });
  sim.run();
  const kept = (i: number) => i % 3 === 2 || (i % 3 === 1 && order.includes(i));
  const expectedUrgent = [...Array(3000).keys()].filter((i) => i % 7 === 0 && kept(i));
  assert.deepEqual(order.slice(0, expectedUrgent.length), expectedUrgent);
  const rest = order.slice(expectedUrgent.length);
  assert.deepEqual(rest, [...rest].sort((a, b) => a - b));
  assert.equal(r.queued, 0);
  assert.equal(r.completed + r.withdrawn + r.cancelled, 3000);
  assert.equal(r.completed, order.length);
  // The unit never idled while jobs waited: busy time, partial services included, is the whole run.
  assert.equal(r.busyNs, sim.scheduler.now());
  assert.ok(r.withdrawn > 1000 && order.length > 1000, `withdrawn ${r.withdrawn}, served ${order.length}`);
});

test("Resource.submit() rejects a job whose service time is negative, NaN or infinite", () => {
  const sim = createSim();
  const r = new Resource(sim, "disk", 1);
  assert.throws(() => r.submit(new Job(r, NaN, "w", () => {})), {name: "RangeError", message: "invalid disk service ns: NaN; expected a finite number of ns ≥ 0"});
  assert.equal(r.busyUnits, 0);
});

test("Resource: a line that drains and refills in rounds, with jobs withdrawn from the middle and the end, serves each round in FIFO order", () => {
  // The line restarts at the front of its array whenever it empties; withdrawn jobs leave holes that must not resurface.
  const sim = createSim();
  const r = new Resource(sim, "r", 1);
  const order: string[] = [];
  const expected: string[] = [];
  for (let round = 0; round < 5; round++) {
    sim.scheduler.post(round * 10_000, () => {
      const jobs: Job[] = [];
      const size = 1 + round * 700;
      for (let i = 0; i < size; i++) {
        const job = new Job(r, 1, "w", () => order.push(`${round}:${i}`));
        jobs.push(job);
        r.submit(job);
      }
      // Job 0 is in service; withdraw every fourth queued one and the last one.
      for (let i = 4; i < size; i += 4) r.cancel(jobs[i]);
      if (size > 1) r.cancel(jobs[size - 1]);
      for (let i = 0; i < size; i++) if (!(i > 0 && (i % 4 === 0 || i === size - 1))) expected.push(`${round}:${i}`);
    });
  }
  sim.run();
  assert.deepEqual(order, expected);
  assert.equal(r.queued, 0);
  assert.equal(r.completed + r.withdrawn, 1 + 701 + 1401 + 2101 + 2801);
});
