import {test} from "node:test";
import assert from "node:assert/strict";
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
