import {test} from "node:test";
import assert from "node:assert/strict";
import {exitAfterIdle, Job, Resource, TASK_SWITCH} from "../../src/engine/Resource.js";
import {createSim} from "../../src/engine/sim.js";
import {Signal, sleep, spawn, use, wait, type ProcessBody} from "../../src/engine/process.js";

const SWITCH = 2_500;
const SLICE = 100_000;

/** Spawns task 1: *beforeNs* on the CPU, blocked until *bell* rings, *afterNs* more; logs `t1 done@<time>`. */
function bellTask(sim: ReturnType<typeof createSim>, cpu: Resource, bell: Signal<void>, log: string[], beforeNs: number, afterNs: number): void {
  spawn(sim, 1, function* (): ProcessBody<void> {
    yield use(cpu, beforeNs, "user");
    yield wait(bell);
    yield use(cpu, afterNs, "user");
    log.push(`t1 done@${sim.scheduler.now()}`);
  }).subscribe();
}

/** Returns a sim with a CPU of *cores* that schedules tasks (switch 2.5 µs, slice 100 µs). */
function cpuSim(cores = 1) {
  const sim = createSim({keepEvents: true});
  const cpu = new Resource(sim, "cpu", cores);
  cpu.scheduleTasks({switchNs: SWITCH, sliceNs: SLICE});
  return {sim, cpu};
}

test("a core that goes idle and resumes the same task does not switch; an interrupt in between does not either", () => {
  const {sim, cpu} = cpuSim();
  const bell = new Signal<number>();
  spawn(sim, 7, function* (): ProcessBody<void> {
    yield use(cpu, 1_000, "syscall");
    yield wait(bell); // blocks: the core goes idle
    yield use(cpu, 1_000, "user");
    yield sleep(5_000);
    yield use(cpu, 1_000, "user");
  }).subscribe();
  sim.scheduler.post(10_000, () => cpu.submit(new Job(cpu, 1_500, "irq", () => bell.fire(0), "irq"), true));
  sim.run();
  assert.equal(cpu.taskSwitches, 0);
  assert.equal(sim.trace.count(TASK_SWITCH), 0);
  assert.equal(cpu.busyNsByTag.get(TASK_SWITCH), undefined);
  assert.equal(cpu.busyNs, 4_500);
});

test("two tasks that block in turn on one core switch each time the other runs, and each switch costs switchNs", () => {
  const {sim, cpu} = cpuSim();
  const log: string[] = [];
  const pingPong = (pid: number, startNs: number) =>
    spawn(sim, pid, function* (): ProcessBody<void> {
      yield sleep(startNs);
      for (let i = 0; i < 3; i++) {
        yield use(cpu, 10_000, "user");
        log.push(`${pid}@${sim.scheduler.now()}`);
        yield sleep(1_000); // blocks while the other runs
      }
    });
  pingPong(1, 0).subscribe();
  pingPong(2, 5_000).subscribe();
  sim.run();
  // 1 runs 0–10 µs; 2 (waiting since 5 µs) gets the core: switch; 1 wakes at 11 µs and waits; and so on.
  assert.deepEqual(log, ["1@10000", "2@22500", "1@35000", "2@47500", "1@60000", "2@72500"]);
  assert.equal(cpu.taskSwitches, 5);
  assert.equal(sim.trace.count(TASK_SWITCH), 5);
  assert.equal(cpu.busyNsByTag.get(TASK_SWITCH), 5 * SWITCH);
  assert.equal(cpu.busyNs, 6 * 10_000 + 5 * SWITCH);
  const first = sim.trace.events.find((e) => e.kind === TASK_SWITCH)!;
  assert.deepEqual([first.timeNs, first.pid, first.durationNs, first.detail], [10_000, 2, SWITCH, "1→2"]);
});

test("on free cores each task keeps the core it last ran on: no switches with fewer tasks than cores", () => {
  const {sim, cpu} = cpuSim(4);
  for (let pid = 1; pid <= 3; pid++)
    spawn(sim, pid, function* (): ProcessBody<void> {
      for (let i = 0; i < 50; i++) {
        yield use(cpu, 1_000 * pid, "user");
        yield sleep(700 * pid); // blocked at different rhythms: cores free up in every order
      }
    }).subscribe();
  sim.run();
  assert.equal(cpu.taskSwitches, 0);
});

test("a task keeps its core between back-to-back steps, so a new task waits for it to block", () => {
  const {sim, cpu} = cpuSim();
  const done: Array<[number, number]> = [];
  spawn(sim, 1, function* (): ProcessBody<void> {
    for (let i = 0; i < 5; i++) yield use(cpu, 1_000, "syscall"); // one system call's steps
    done.push([1, sim.scheduler.now()]);
  }).subscribe();
  spawn(sim, 2, function* (): ProcessBody<void> {
    yield use(cpu, 1_000, "user");
    done.push([2, sim.scheduler.now()]);
  }).subscribe();
  sim.run();
  assert.deepEqual(done, [[1, 5_000], [2, 5_000 + SWITCH + 1_000]]);
  assert.equal(cpu.taskSwitches, 1);
});

test("a task woken from a block preempts a CPU-bound task at its next step boundary; the preempted one resumes after", () => {
  const {sim, cpu} = cpuSim();
  let hogSteps = 0;
  spawn(sim, 2, function* (): ProcessBody<void> {
    for (let i = 0; i < 100; i++) {
      yield use(cpu, 10_000, "user");
      hogSteps++;
    }
  }).subscribe();
  let readerDone = -1;
  spawn(sim, 1, function* (): ProcessBody<void> {
    yield sleep(25_000); // wakes in the middle of the hog's third step
    yield use(cpu, 1_000, "syscall");
    readerDone = sim.scheduler.now();
  }).subscribe();
  sim.run();
  // The hog's third step ends at 30 µs; the reader switches in, runs 1 µs; the hog switches back.
  assert.equal(readerDone, 30_000 + SWITCH + 1_000);
  assert.equal(cpu.taskSwitches, 2);
  assert.equal(hogSteps, 100);
  assert.equal(sim.scheduler.now(), 100 * 10_000 + 1_000 + 2 * SWITCH);
});

test("CPU-bound tasks on one core take turns by time slice (round robin), one switch per slice", () => {
  const {sim, cpu} = cpuSim();
  const stepNs = 10_000;
  const finished: number[] = [];
  for (const pid of [1, 2])
    spawn(sim, pid, function* (): ProcessBody<void> {
      for (let i = 0; i < 100; i++) yield use(cpu, stepNs, "user"); // 1 ms of work each
      finished.push(pid);
    }).subscribe();
  sim.run();
  // 2 ms of work in 100 µs slices: 20 runs, so 19 switches; the two finish one slice apart.
  assert.equal(cpu.taskSwitches, 19);
  assert.equal(cpu.busyNsByTag.get("user"), 2 * 100 * stepNs);
  assert.deepEqual(finished, [1, 2]);
  assert.equal(sim.scheduler.now(), 2 * 100 * stepNs + 19 * SWITCH);
});

test("an interrupt preempts a task at a step boundary and the task resumes on its core without a switch", () => {
  const {sim, cpu} = cpuSim();
  const order: string[] = [];
  spawn(sim, 1, function* (): ProcessBody<void> {
    for (let i = 0; i < 3; i++) {
      yield use(cpu, 10_000, "user");
      order.push(`step${i}@${sim.scheduler.now()}`);
    }
  }).subscribe();
  sim.scheduler.post(5_000, () => cpu.submit(new Job(cpu, 1_500, "irq", () => order.push(`irq@${sim.scheduler.now()}`)), true));
  sim.run();
  assert.deepEqual(order, ["step0@10000", "irq@11500", "step1@21500", "step2@31500"]);
  assert.equal(cpu.taskSwitches, 0);
});

test("cancelling a task in the middle of its switch books only the switch time it used", () => {
  const {sim, cpu} = cpuSim();
  spawn(sim, 1, function* (): ProcessBody<void> {
    yield use(cpu, 10_000, "user");
  }).subscribe();
  const second = spawn(sim, 2, function* (): ProcessBody<void> {
    yield use(cpu, 10_000, "user");
  }).subscribe();
  sim.scheduler.post(11_000, () => second.unsubscribe()); // 1 µs into the 2.5 µs switch
  sim.run();
  assert.equal(cpu.taskSwitches, 1);
  assert.equal(cpu.cancelled, 1);
  assert.equal(cpu.busyNsByTag.get(TASK_SWITCH), 1_000);
  assert.equal(cpu.busyNsByTag.get("user"), 10_000);
});

test("busyNsSoFar() splits a job in service at the reading, so busy time in any window never exceeds the window", () => {
  const sim = createSim();
  const disk = new Resource(sim, "disk", 1);
  for (let i = 0; i < 10; i++) disk.submit(new Job(disk, 3_000, "read", () => {}));
  let atStart = 0;
  let atEnd = 0;
  sim.scheduler.post(4_000, () => (atStart = disk.busyNsSoFar())); // a job is 1 µs into its service
  sim.scheduler.post(14_000, () => (atEnd = disk.busyNsSoFar()));
  sim.run();
  assert.equal(atStart, 4_000);
  assert.equal(atEnd - atStart, 10_000); // busy throughout the 10 µs window: exactly 100%
  assert.equal(disk.busyNs, 30_000);
});

test("busyNsByTagSoFar() books the served part of a job in service, its task switch first", () => {
  const {sim, cpu} = cpuSim();
  spawn(sim, 1, function* (): ProcessBody<void> {
    yield use(cpu, 10_000, "user");
  }).subscribe();
  spawn(sim, 2, function* (): ProcessBody<void> {
    yield use(cpu, 10_000, "syscall");
  }).subscribe();
  let seen = new Map<string, number>();
  sim.scheduler.post(13_500, () => (seen = cpu.busyNsByTagSoFar())); // 2.5 µs switched, 1 µs of the syscall served
  sim.run();
  assert.deepEqual(Object.fromEntries(seen), {user: 10_000, [TASK_SWITCH]: SWITCH, syscall: 1_000});
});

test("scheduleTasks() refuses a slice that is not a positive finite duration, naming it", () => {
  const sim = createSim();
  const cpu = new Resource(sim, "cpu", 1);
  assert.throws(() => cpu.scheduleTasks({switchNs: 1, sliceNs: 0}), /cpu sliceNs: 0/);
  assert.throws(() => cpu.scheduleTasks({switchNs: -1, sliceNs: 1}), /switchNs/);
});

test("a task an interrupt preempts resumes on its own core after the handler, not on another core that frees first", () => {
  // Linux: an interrupt does not switch tasks; the interrupted task is still its core's current task.
  const {sim, cpu} = cpuSim(2);
  const order: string[] = [];
  spawn(sim, 1, function* (): ProcessBody<void> {
    for (let i = 0; i < 2; i++) {
      yield use(cpu, 10_000, "user");
      order.push(`t1 step${i}@${sim.scheduler.now()}`);
    }
  }).subscribe();
  spawn(sim, 2, function* (): ProcessBody<void> {
    yield use(cpu, 12_000, "user");
    order.push(`t2 blocks@${sim.scheduler.now()}`);
    yield sleep(1e9);
  }).subscribe();
  // Both cores busy at 5 µs: the handler waits, then takes task 1's core at its step boundary (10 µs) for 20 µs.
  sim.scheduler.post(5_000, () => cpu.submit(new Job(cpu, 20_000, "irq", () => order.push(`irq@${sim.scheduler.now()}`)), true));
  sim.run(100_000);
  // Core 2 is free from 12 µs, but task 1 resumes on its own core at 30 µs: no switch.
  assert.deepEqual(order, ["t1 step0@10000", "t2 blocks@12000", "irq@30000", "t1 step1@40000"]);
  assert.equal(cpu.taskSwitches, 0);
});

test("a task woken while its previous core runs an interrupt handler waits for that core rather than switch on another", () => {
  // idle_cpu() counts a core in an interrupt handler over its idle task as idle, and wake_affine_idle() keeps the task there.
  const {sim, cpu} = cpuSim(2);
  const bell = new Signal<void>();
  const order: string[] = [];
  spawn(sim, 2, function* (): ProcessBody<void> {
    yield use(cpu, 5_000, "user"); // core B last ran task 2
    yield sleep(1e9);
  }).subscribe();
  bellTask(sim, cpu, bell, order, 10_000, 10_000);
  // Task 1 blocks at 10 µs; the handler takes its core (freed last) at 11 µs for 20 µs; the bell rings at 12 µs.
  sim.scheduler.post(11_000, () => cpu.submit(new Job(cpu, 20_000, "irq", () => order.push(`irq@${sim.scheduler.now()}`)), true));
  sim.scheduler.post(12_000, () => bell.fire());
  sim.run(100_000);
  assert.deepEqual(order, ["irq@31000", "t1 done@41000"]);
  assert.equal(cpu.taskSwitches, 0);
});

test("a woken task preempts the task on its own previous core, not the first task anywhere to reach a step boundary; the preempted one resumes there", () => {
  // Linux queues the woken task on its CPU's run queue; wake-up preemption happens there, and the preempted task stays put.
  const {sim, cpu} = cpuSim(2);
  const bell = new Signal<void>();
  const log: string[] = [];
  // Task 1 (core A): runs 5 µs, sleeps on the bell. Task 2 (core A after it): CPU-bound in 10 µs steps. Task 3 (core B): 3 µs steps.
  bellTask(sim, cpu, bell, log, 5_000, 4_000);
  spawn(sim, 3, function* (): ProcessBody<void> {
    for (let i = 0; i < 20; i++) yield use(cpu, 3_000, "user");
    log.push(`t3 done@${sim.scheduler.now()}`);
  }).subscribe();
  spawn(sim, 2, function* (): ProcessBody<void> {
    for (let i = 0; i < 6; i++) yield use(cpu, 10_000, "user");
    log.push(`t2 done@${sim.scheduler.now()}`);
  }).subscribe();
  sim.scheduler.post(20_000, () => bell.fire());
  sim.run();
  const switches = sim.trace.events.filter((e) => e.kind === TASK_SWITCH).map((e) => e.detail);
  // Task 1 got core A at 0, task 2 takes it at 5 µs (a switch: its steps end at 17.5 and 27.5 µs); the bell at 20 µs:
  // task 1 waits for task 2's boundary on core A (27.5 µs, then a switch and its 4 µs), task 2 resumes there after it
  // (34 µs, a switch, four steps left): task 3 on core B is never disturbed.
  assert.deepEqual(switches, ["1→2", "2→1", "1→2"]);
  assert.deepEqual(log, [`t1 done@${27_500 + SWITCH + 4_000}`, "t3 done@60000", `t2 done@${34_000 + SWITCH + 40_000}`]);
});

test("idle balance: a woken task waiting for its busy previous core moves to a core that goes idle", () => {
  const {sim, cpu} = cpuSim(2);
  const bell = new Signal<void>();
  const log: string[] = [];
  bellTask(sim, cpu, bell, log, 5_000, 4_000); // core A
  spawn(sim, 3, function* (): ProcessBody<void> {
    yield use(cpu, 30_000, "user"); // core B until 30 µs, then sleeps
    yield sleep(1e9);
  }).subscribe();
  spawn(sim, 2, function* (): ProcessBody<void> {
    yield use(cpu, 100_000, "user"); // core A from 5 µs, one long step
  }).subscribe();
  sim.scheduler.post(20_000, () => bell.fire());
  sim.run(200_000);
  // Waiting behind task 2's long step on core A, task 1 is pulled to core B when it goes idle at 30 µs.
  assert.deepEqual(log, [`t1 done@${30_000 + SWITCH + 4_000}`]);
});

test("a task waiting for its previous core can be cancelled: it leaves that core's line, is never served, and queued returns to 0", () => {
  const {sim, cpu} = cpuSim(2);
  const bell = new Signal<void>();
  const log: string[] = [];
  const task = spawn(sim, 1, function* (): ProcessBody<void> {
    yield use(cpu, 10_000, "user");
    yield wait(bell);
    yield use(cpu, 10_000, "user");
    log.push(`t1 done@${sim.scheduler.now()}`);
  }).subscribe();
  // The handler takes task 1's core at 11 µs for 20 µs; woken at 12 µs, task 1 waits for that core; cancelled at 15 µs.
  sim.scheduler.post(11_000, () => cpu.submit(new Job(cpu, 20_000, "irq", () => log.push(`irq@${sim.scheduler.now()}`)), true));
  sim.scheduler.post(12_000, () => bell.fire());
  let queuedWhileWaiting = -1;
  sim.scheduler.post(14_000, () => (queuedWhileWaiting = cpu.queued));
  sim.scheduler.post(15_000, () => task.unsubscribe());
  sim.run();
  assert.equal(queuedWhileWaiting, 1);
  assert.equal(cpu.queued, 0);
  assert.equal(cpu.withdrawn, 1);
  assert.deepEqual(log, ["irq@31000"]);
  assert.equal(cpu.busyNsByTag.get("user"), 10_000);
});

// ---- Wake-up IPIs (scheduleTasks, "Wake-up IPI")

const IPI = 1_500;

/** Returns a sim with a CPU of *cores* that schedules tasks and prices wake-up IPIs; idle cores poll when *idlePolls*. */
function ipiSim(cores: number, idlePolls: boolean) {
  const sim = createSim({keepEvents: true});
  const cpu = new Resource(sim, "cpu", cores);
  cpu.scheduleTasks({switchNs: SWITCH, sliceNs: SLICE, ipiNs: IPI, idlePolls});
  return {sim, cpu};
}

/** Task 1 runs 1 µs and blocks on *bell* (logging `t1 done@<time>` after 1 µs more); task 2, on the other core, rings it after 5 µs of work and works *afterNs* more. */
function wakeFromOtherCore(sim: ReturnType<typeof createSim>, cpu: Resource, log: string[], afterNs = 5_000): void {
  const bell = new Signal<void>();
  bellTask(sim, cpu, bell, log, 1_000, 1_000);
  spawn(sim, 2, function* (): ProcessBody<void> {
    yield use(cpu, 5_000, "user");
    bell.fire();
    yield use(cpu, afterNs, "user");
  }).subscribe();
}

test("a task woken by a step on another core, onto an idle core that does not poll, takes an IPI there first (ipiNs, booked \"ipi\")", () => {
  const {sim, cpu} = ipiSim(2, false);
  const log: string[] = [];
  wakeFromOtherCore(sim, cpu, log);
  sim.run();
  assert.deepEqual(log, [`t1 done@${5_000 + IPI + 1_000}`]);
  assert.equal(cpu.wakeIpis, 1);
  assert.equal(cpu.busyNsByTag.get("ipi"), IPI);
  // The IPI is not a task switch: the core resumes the task it last ran.
  assert.equal(cpu.taskSwitches, 0);
  assert.equal(cpu.busyNsByTag.get(TASK_SWITCH), undefined);
  assert.equal(cpu.busyNs, 12_000 + IPI);
});

test("the same wake-up onto an idle core that polls (mwait) needs no IPI", () => {
  const {sim, cpu} = ipiSim(2, true);
  const log: string[] = [];
  wakeFromOtherCore(sim, cpu, log);
  sim.run();
  assert.deepEqual(log, ["t1 done@6000"]);
  assert.equal(cpu.wakeIpis, 0);
  assert.equal(cpu.busyNsByTag.get("ipi"), undefined);
});

test("a task woken onto a core running another task preempts it after a resched IPI, even where idle cores poll", () => {
  const {sim, cpu} = ipiSim(2, true);
  const log: string[] = [];
  // Task 1 blocks on core A at 1 µs; task 3 arrives at 2 µs and takes core A (steps of 4 µs); task 2 works on core B.
  wakeFromOtherCore(sim, cpu, log, 20_000);
  spawn(sim, 3, function* (): ProcessBody<void> {
    yield sleep(2_000);
    for (let i = 0; i < 5; i++) yield use(cpu, 4_000, "user");
  }).subscribe();
  sim.run();
  // Task 3 runs 2 → 4.5 µs switching, then steps ending at 8.5 µs: task 1 preempts it there (IPI, switch, 1 µs).
  assert.deepEqual(log, [`t1 done@${8_500 + IPI + SWITCH + 1_000}`]);
  assert.equal(cpu.wakeIpis, 1);
  assert.equal(cpu.busyNsByTag.get("ipi"), IPI);
});

test("a task woken on the waker's own core, or by its own timer, takes no IPI", () => {
  const {sim, cpu} = ipiSim(1, false);
  const bell = new Signal<number>();
  const log: string[] = [];
  bellTask(sim, cpu, bell as unknown as Signal<void>, log, 1_000, 1_000);
  // An interrupt handler on the only core wakes it; then it sleeps and its timer wakes it.
  sim.scheduler.post(3_000, () => cpu.submit(new Job(cpu, 500, "irq", () => bell.fire(0), "irq"), true));
  spawn(sim, 2, function* (): ProcessBody<void> {
    yield sleep(10_000);
    yield use(cpu, 1_000, "user");
  }).subscribe();
  sim.run();
  assert.deepEqual(log, ["t1 done@4500"]);
  assert.equal(cpu.wakeIpis, 0);
  assert.equal(cpu.busyNsByTag.get("ipi"), undefined);
});

const SEND = 700;

/** Returns a sim with a CPU of *cores* whose idle cores halt, pricing both sides of a wake-up IPI, and task 1 (see bellTask) waiting on *bell*. */
function sendSim(cores: number, log: string[]) {
  const sim = createSim({keepEvents: true});
  const cpu = new Resource(sim, "cpu", cores);
  cpu.scheduleTasks({switchNs: SWITCH, sliceNs: SLICE, ipiNs: IPI, ipiSendNs: SEND, idlePolls: false});
  const bell = new Signal<void>();
  bellTask(sim, cpu, bell, log, 1_000, 1_000);
  return {sim, cpu, bell};
}

test("sending the wake-up IPI costs the waker's core ipiSendNs: its step in service ends that much later, booked \"ipi\"", () => {
  const log: string[] = [];
  const {sim, cpu, bell} = sendSim(2, log);
  spawn(sim, 2, function* (): ProcessBody<void> {
    yield use(cpu, 5_000, "user");
    bell.fire();
    yield use(cpu, 5_000, "user");
    log.push(`t2 done@${sim.scheduler.now()}`);
  }).subscribe();
  sim.run();
  // The woken task is not delayed by the send (the model books it after the decision); the waker's next step is.
  assert.deepEqual(log, [`t1 done@${5_000 + IPI + 1_000}`, `t2 done@${10_000 + SEND}`]);
  assert.equal(cpu.wakeIpis, 1);
  assert.equal(cpu.wakeIpiSendNs, SEND);
  assert.equal(cpu.busyNsByTag.get("ipi"), IPI + SEND);
  assert.equal(cpu.busyNs, 12_000 + IPI + SEND);
  assert.deepEqual([...cpu.unitBusyNs].sort((a, b) => a - b), [2_000 + IPI, 10_000 + SEND]);
});

test("a waker whose core is idle by the time the IPI is sent has the send booked at once; a wake-up on its own core sends none", () => {
  const log: string[] = [];
  const {sim, cpu, bell} = sendSim(2, log);
  // Task 2 rings the bell at the end of its only step and exits: its core is idle when task 1 starts on the other.
  spawn(sim, 2, function* (): ProcessBody<void> {
    yield use(cpu, 5_000, "user");
    bell.fire();
  }).subscribe();
  sim.run();
  assert.deepEqual(log, [`t1 done@${5_000 + IPI + 1_000}`]);
  assert.equal(cpu.busyNsByTag.get("ipi"), IPI + SEND);
  assert.equal(cpu.busyNs, 7_000 + IPI + SEND);
  // One core: no IPI, no send.
  const {sim: one, cpu: core, bell: bell1} = sendSim(1, log);
  spawn(one, 2, function* (): ProcessBody<void> {
    yield use(core, 5_000, "user");
    bell1.fire();
  }).subscribe();
  one.run();
  assert.equal(core.wakeIpiSendNs, 0);
  assert.equal(core.busyNsByTag.get("ipi"), undefined);
});

// ---- Idle exit (scheduleTasks, "Idle exit")

const EXIT = 2_000;

/** Returns a sim with a CPU of *cores* whose idle cores poll (no IPIs) and leave an idle state in 2 µs once idle *residencyNs*. */
function idleSim(cores: number, residencyNs: number) {
  const sim = createSim({keepEvents: true});
  const cpu = new Resource(sim, "cpu", cores);
  cpu.scheduleTasks({switchNs: SWITCH, sliceNs: SLICE, ipiNs: IPI, idlePolls: true, idleExitNs: EXIT, idleResidencyNs: residencyNs});
  return {sim, cpu};
}

/** Two cores whose idle exit follows a curve: 0.5 µs after 1 µs of idle, 4.5 µs after 16 µs or more. */
function curveSim() {
  const sim = createSim({keepEvents: true});
  const cpu = new Resource(sim, "cpu", 2);
  cpu.scheduleTasks({switchNs: SWITCH, sliceNs: SLICE, ipiNs: IPI, idlePolls: true, idleExitNs: 99_999, idleExitCurve: [[1_000, 500], [16_000, 4_500]]});
  return {sim, cpu};
}

test("a task woken onto a core idle for at least the residency starts idleExitNs later, and the core is not busy meanwhile", () => {
  const {sim, cpu} = idleSim(2, 1_000);
  const log: string[] = [];
  // Task 1's core idles from 1 µs; the bell rings at 5 µs (4 µs idle): the core leaves its idle state until 7 µs.
  wakeFromOtherCore(sim, cpu, log);
  let busyDuringExit = -1;
  sim.scheduler.post(6_000, () => (busyDuringExit = cpu.busyNsSoFar()));
  sim.run();
  assert.deepEqual(log, [`t1 done@${5_000 + EXIT + 1_000}`]);
  assert.equal(cpu.idleExits, 1);
  assert.equal(cpu.idleExitNs, EXIT);
  // At 6 µs: task 1's first step (1 µs) and task 2's 6 µs so far; nothing for the core still waking.
  assert.equal(busyDuringExit, 1_000 + 6_000);
  assert.equal(cpu.busyNs, 12_000);
  assert.equal(cpu.busyNsByTag.get("ipi"), undefined);
});

test("a core idle for less than the residency polls: the woken task starts at once", () => {
  const {sim, cpu} = idleSim(2, 10_000);
  const log: string[] = [];
  wakeFromOtherCore(sim, cpu, log);
  sim.run();
  assert.deepEqual(log, ["t1 done@6000"]);
  assert.equal(cpu.idleExits, 0);
  assert.equal(cpu.idleExitNs, 0);
});

test("only a wake-up from another core pays the exit: not a task's own timer, an interrupt handler or a new task on an idle core", () => {
  const {sim, cpu} = idleSim(1, 1_000);
  const log: string[] = [];
  spawn(sim, 1, function* (): ProcessBody<void> {
    yield use(cpu, 1_000, "user");
    yield sleep(5_000); // the core idles from 1 to 6 µs; the task's own timer wakes it
    yield use(cpu, 1_000, "user");
    log.push(`t1 done@${sim.scheduler.now()}`);
  }).subscribe();
  spawn(sim, 2, function* (): ProcessBody<void> {
    yield sleep(30_000);
    yield use(cpu, 1_000, "user"); // a new task's first step... after a sleep: its own timer again
    log.push(`t2 done@${sim.scheduler.now()}`);
  }).subscribe();
  sim.scheduler.post(20_000, () => cpu.submit(new Job(cpu, 500, "irq", () => log.push(`irq@${sim.scheduler.now()}`), "irq"), true));
  sim.run();
  // These are wake-ups with no waking core (the model prices the IPI-and-exit path of cross-core wake-ups only).
  assert.deepEqual(log, ["t1 done@7000", "irq@20500", `t2 done@${30_000 + SWITCH + 1_000}`]);
  assert.equal(cpu.idleExits, 0);
});

test("a core no task has run on has been idle since before the run: the first task woken onto it pays the longest idle's exit, however early", () => {
  const {sim, cpu} = curveSim();
  const log: string[] = [];
  const bell = new Signal<void>();
  // Task 1 blocks before it ever runs (a reader waiting in accept or read since before the run); task 2 rings after 2 µs.
  spawn(sim, 1, function* (): ProcessBody<void> {
    yield wait(bell);
    yield use(cpu, 1_000, "user");
    log.push(`${sim.scheduler.now()}`);
  }).subscribe();
  spawn(sim, 2, function* (): ProcessBody<void> {
    yield use(cpu, 2_000, "user");
    bell.fire();
  }).subscribe();
  sim.run();
  // 2 µs since the run began would give 1.25 µs on the curve; the core had idled indefinitely: the curve's last point, 4.5 µs.
  assert.equal(cpu.idleExits, 1);
  assert.equal(cpu.idleExitNs, 4_500);
  assert.deepEqual(log, [`${2_000 + 4_500 + 1_000}`]);
});

test("a woken task cancelled while its core leaves the idle state is never served, and the core is free again", () => {
  const {sim, cpu} = idleSim(2, 1_000);
  const bell = new Signal<void>();
  const log: string[] = [];
  const task = spawn(sim, 1, function* (): ProcessBody<void> {
    yield use(cpu, 1_000, "user");
    yield wait(bell);
    yield use(cpu, 1_000, "user");
    log.push("served");
  }).subscribe();
  spawn(sim, 2, function* (): ProcessBody<void> {
    yield use(cpu, 5_000, "user");
    bell.fire(); // task 1's core idled 1 → 5 µs: it leaves its idle state until 7 µs
  }).subscribe();
  sim.scheduler.post(6_000, () => task.unsubscribe());
  let busyUnitsAfter = -1;
  sim.scheduler.post(6_500, () => (busyUnitsAfter = cpu.busyUnits));
  sim.run();
  assert.deepEqual(log, []);
  assert.equal(cpu.idleExits, 1);
  assert.equal(busyUnitsAfter, 0);
  assert.equal(cpu.busyNs, 6_000);
});

test("exitAfterIdle: the exit latency interpolated in log2 of the idle time between the curve's points, flat beyond its ends", () => {
  const curve = [[5_000, 1_000], [20_000, 5_000], [1_000_000, 20_000]] as const;
  assert.equal(exitAfterIdle(curve, 1_000), 1_000);
  assert.equal(exitAfterIdle(curve, 5_000), 1_000);
  assert.equal(exitAfterIdle(curve, 10_000), 3_000); // halfway in log2 between 5 and 20 µs
  assert.equal(exitAfterIdle(curve, 20_000), 5_000);
  assert.equal(exitAfterIdle(curve, 5e9), 20_000);
});

test("with an idle-exit curve, a task woken onto a core pays the exit of that core's idle time: longer after a longer idle", () => {
  const started = (afterNs: number) => {
    const {sim, cpu} = curveSim();
    const log: string[] = [];
    // Task 1's core idles from 1 µs; the bell rings after *afterNs* of task 2's work.
    const bell = new Signal<void>();
    spawn(sim, 1, function* (): ProcessBody<void> {
      yield use(cpu, 1_000, "user");
      yield wait(bell);
      yield use(cpu, 1_000, "user");
      log.push(`${sim.scheduler.now()}`);
    }).subscribe();
    spawn(sim, 2, function* (): ProcessBody<void> {
      yield use(cpu, afterNs, "user");
      bell.fire();
    }).subscribe();
    sim.run();
    return {done: Number(log[0]), exitNs: cpu.idleExitNs};
  };
  // Rung at 5 µs: 4 µs idle, halfway between 1 and 16 µs in log2, so 2.5 µs; rung at 33 µs: 32 µs idle, past the curve's end: 4.5 µs.
  assert.deepEqual(started(5_000), {done: 5_000 + 2_500 + 1_000, exitNs: 2_500});
  assert.deepEqual(started(33_000), {done: 33_000 + 4_500 + 1_000, exitNs: 4_500});
  assert.throws(() => new Resource(createSim(), "cpu", 1).scheduleTasks({switchNs: 0, sliceNs: SLICE, idleExitCurve: [[2_000, 1], [1_000, 2]]}), /idleExitCurve: idle 1000 ns at point 1; expected finite idle times > 0, increasing/);
});
