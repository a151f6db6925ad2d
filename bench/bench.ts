/**
 * iosim's speed, measured side by side in one run (`npm run bench`).
 *
 * (a) The hold model: N events are pending; each, when it runs, files itself
 *     again after an exponential delay. The same model runs on SimScheduler
 *     (an RxJS action rescheduling itself with `this.schedule(state, delay)`,
 *     as RxJS operators do), on RxJS's VirtualTimeScheduler, and on a bare
 *     binary-heap loop of plain `{time, seq, fn}` objects written here.
 * (b) 10,000 connections × 10 requests × 3 timed steps (parse on the CPU,
 *     read on the disk, reply on the CPU), once with iosim's operators and
 *     processes and once hand-written on a bare heap with hand-written FIFO
 *     resources; both must finish at the same virtual time.
 *
 * Each figure is the best of a few repetitions (the machine is shared).
 * The last line is `scheduler/bare=<ratio> model/bare=<ratio>`.
 */
import {concatMap, mergeMap, range, VirtualTimeScheduler, type SchedulerAction} from "rxjs";
import {Resource} from "../src/engine/Resource.js";
import {SimScheduler} from "../src/engine/SimScheduler.js";
import {spawn, use} from "../src/engine/process.js";
import {Random} from "../src/engine/random.js";
import {createSim} from "../src/engine/sim.js";
import {timeDefaultReport} from "./reportTime.js";

const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
/** Mean delay of the hold model, ns. */
const MEAN_NS = 1000;
const SEED = 1;

/** Returns the best (smallest) wall time of *repeats* runs of *fn*, ms, and *fn*'s last result. */
function best<T>(fns: Array<() => T>, repeats = REPEATS): Array<{ms: number; result: T}> {
  const out = fns.map(() => ({ms: Infinity, result: undefined as T}));
  // Interleave the contenders so they share the machine's noise.
  for (let r = 0; r < repeats; r++) {
    fns.forEach((fn, i) => {
      const t0 = performance.now();
      const result = fn();
      const ms = performance.now() - t0;
      if (ms < out[i].ms) out[i] = {ms, result};
    });
  }
  return out;
}

// ---------------------------------------------------------------- (a) hold model

/** Hold model on SimScheduler; returns the events run and the final virtual time. */
function holdSim(pending: number, events: number): [number, number] {
  const s = new SimScheduler();
  const random = new Random(SEED);
  let run = 0;
  function work(this: SchedulerAction<number>, state?: number): void {
    if (++run <= events - pending) this.schedule(state, random.exponential(MEAN_NS));
  }
  for (let i = 0; i < pending; i++) s.schedule(work, random.exponential(MEAN_NS), i);
  s.run();
  return [run, s.now()];
}

/** Hold model on RxJS's VirtualTimeScheduler. */
function holdVirtual(pending: number, events: number): [number, number] {
  const s = new VirtualTimeScheduler();
  const random = new Random(SEED);
  let run = 0;
  function work(this: SchedulerAction<number>, state?: number): void {
    if (++run <= events - pending) this.schedule(state, random.exponential(MEAN_NS));
  }
  for (let i = 0; i < pending; i++) s.schedule(work, random.exponential(MEAN_NS), i);
  s.flush();
  return [run, s.now()];
}

/** An event of the bare loop. */
interface BareEvent {
  time: number;
  seq: number;
  fn: () => void;
}

/** A bare binary min-heap on (time, seq). */
class BareHeap {
  heap: BareEvent[] = [];
  now = 0;
  seq = 0;
  push(delay: number, fn: () => void): void {
    const e: BareEvent = {time: this.now + delay, seq: this.seq++, fn};
    const h = this.heap;
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pe = h[p];
      if (pe.time < e.time || (pe.time === e.time && pe.seq < e.seq)) break;
      h[i] = pe;
      i = p;
    }
    h[i] = e;
  }
  pop(): BareEvent {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    const n = h.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= n) break;
        const r = c + 1;
        if (r < n && (h[r].time < h[c].time || (h[r].time === h[c].time && h[r].seq < h[c].seq))) c = r;
        const ce = h[c];
        if (last.time < ce.time || (last.time === ce.time && last.seq < ce.seq)) break;
        h[i] = ce;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
  run(): number {
    const h = this.heap;
    while (h.length > 0) {
      const e = this.pop();
      this.now = e.time;
      e.fn();
    }
    return this.now;
  }
}

/** Hold model on the bare heap. */
function holdBare(pending: number, events: number): [number, number] {
  const heap = new BareHeap();
  const random = new Random(SEED);
  let run = 0;
  const work = (): void => {
    if (++run <= events - pending) heap.push(random.exponential(MEAN_NS), work);
  };
  for (let i = 0; i < pending; i++) heap.push(random.exponential(MEAN_NS), work);
  heap.run();
  return [run, heap.now];
}

const rate = (events: number, ms: number) => (events / ms) * 1000;
const fmt = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : `${(x / 1e3).toFixed(1)} k`);

console.log(`iosim bench — node ${process.version}, best of ${REPEATS}`);
console.log("");
console.log("(a) hold model: N pending events, exponential delays (mean 1 µs) from Random(1)");
console.log("pending   events      SimScheduler   VirtualTime    bare heap      sim/bare  sim/virtual");
let schedulerOverBare10k = 0;
for (const pending of [100, 1_000, 10_000]) {
  const events = 1_000_000;
  // VirtualTimeScheduler sorts its whole action array on every schedule(): fewer events as N grows.
  const virtualEvents = pending >= 10_000 ? 20_000 : pending >= 1_000 ? 100_000 : 300_000;
  const [sim, bare] = best([() => holdSim(pending, events), () => holdBare(pending, events)]);
  const [virtual] = best([() => holdVirtual(pending, virtualEvents)], Math.min(REPEATS, 3));
  if (sim.result[0] !== events || bare.result[0] !== events || virtual.result[0] !== virtualEvents) throw new Error("hold model ran the wrong number of events");
  if (sim.result[1] !== bare.result[1]) throw new Error(`hold model: SimScheduler ended at ${sim.result[1]}, bare heap at ${bare.result[1]}`);
  const simRate = rate(events, sim.ms);
  const bareRate = rate(events, bare.ms);
  const virtualRate = rate(virtualEvents, virtual.ms);
  if (pending === 10_000) schedulerOverBare10k = simRate / bareRate;
  console.log(
    `${String(pending).padEnd(9)} ${`${events / 1e6}M (VT ${virtualEvents / 1e3}k)`.padEnd(11)} ` +
      `${`${fmt(simRate)}ev/s`.padEnd(14)} ${`${fmt(virtualRate)}ev/s`.padEnd(14)} ${`${fmt(bareRate)}ev/s`.padEnd(14)} ` +
      `${(simRate / bareRate).toFixed(2).padEnd(9)} ${(simRate / virtualRate).toFixed(1)}`,
  );
}
console.log("VirtualTimeScheduler runs fewer events (VT column) because each schedule() re-sorts every pending action.");

// ---------------------------------------------------------------- (b) connections model

const CONNECTIONS = 10_000;
const REQUESTS = 10;
const CPU_UNITS = 4;
const DISK_UNITS = 2;

/** Step times, ns, drawn once so both models see the same numbers: [parse, disk, reply] per request. */
function stepTimes(): Float64Array {
  const random = new Random(SEED);
  const t = new Float64Array(CONNECTIONS * REQUESTS * 3);
  for (let i = 0; i < t.length; i += 3) {
    t[i] = random.exponential(2_000);
    t[i + 1] = random.exponential(5_000);
    t[i + 2] = random.exponential(1_000);
  }
  return t;
}
const times = stepTimes();

/**
 * The workload with iosim: each connection is one process (its handler)
 * serving its requests in turn, and `mergeMap` runs all connections at once.
 */
function modelIosim(): number {
  const sim = createSim({seed: SEED, keepEvents: false});
  const cpu = new Resource(sim, "cpu", CPU_UNITS);
  const disk = new Resource(sim, "disk", DISK_UNITS);
  range(0, CONNECTIONS)
    .pipe(
      mergeMap((c) =>
        spawn(sim, c + 1, function* () {
          for (let r = 0; r < REQUESTS; r++) {
            const i = (c * REQUESTS + r) * 3;
            yield use(cpu, times[i], "parse");
            yield use(disk, times[i + 1], "read");
            yield use(cpu, times[i + 2], "reply");
          }
        }),
      ),
    )
    .subscribe();
  return sim.run();
}

/** The same with one process per request: `concatMap` over each connection's requests (more RxJS plumbing per request). */
function modelIosimPerRequest(): number {
  const sim = createSim({seed: SEED, keepEvents: false});
  const cpu = new Resource(sim, "cpu", CPU_UNITS);
  const disk = new Resource(sim, "disk", DISK_UNITS);
  range(0, CONNECTIONS)
    .pipe(
      mergeMap((c) =>
        range(0, REQUESTS).pipe(
          concatMap((r) =>
            spawn(sim, c + 1, function* () {
              const i = (c * REQUESTS + r) * 3;
              yield use(cpu, times[i], "parse");
              yield use(disk, times[i + 1], "read");
              yield use(cpu, times[i + 2], "reply");
            }),
          ),
        ),
      ),
    )
    .subscribe();
  return sim.run();
}

/** A hand-written FIFO resource on the bare heap. */
class BareResource {
  inUse = 0;
  queue: Array<{ns: number; done: () => void}> = [];
  head = 0;
  busyNs = 0;
  constructor(readonly heap: BareHeap, readonly units: number) {}
  submit(ns: number, done: () => void): void {
    if (this.inUse < this.units) this.start(ns, done);
    else this.queue.push({ns, done});
  }
  start(ns: number, done: () => void): void {
    this.inUse++;
    this.heap.push(ns, () => {
      this.inUse--;
      this.busyNs += ns;
      if (this.head < this.queue.length) {
        const next = this.queue[this.head++];
        if (this.head === this.queue.length) {
          this.queue.length = 0;
          this.head = 0;
        }
        this.start(next.ns, next.done);
      }
      done();
    });
  }
}

/** The same workload by hand: each connection a little state machine on the bare heap. */
function modelBare(): number {
  const heap = new BareHeap();
  const cpu = new BareResource(heap, CPU_UNITS);
  const disk = new BareResource(heap, DISK_UNITS);
  for (let c = 0; c < CONNECTIONS; c++) {
    let r = 0;
    const request = (): void => {
      const i = (c * REQUESTS + r) * 3;
      cpu.submit(times[i], () =>
        disk.submit(times[i + 1], () =>
          cpu.submit(times[i + 2], () => {
            if (++r < REQUESTS) request();
          }),
        ),
      );
    };
    request();
  }
  return heap.run();
}

console.log("");
console.log(`(b) ${CONNECTIONS.toLocaleString("en")} connections × ${REQUESTS} requests × 3 steps (parse on ${CPU_UNITS} cores, read on ${DISK_UNITS} disk channels, reply)`);
const [iosim, perRequest, bareModel] = best([modelIosim, modelIosimPerRequest, modelBare]);
if (iosim.result !== bareModel.result || perRequest.result !== bareModel.result)
  throw new Error(`completion times differ: iosim ${iosim.result} ns, per request ${perRequest.result} ns, bare heap ${bareModel.result} ns`);
const steps = CONNECTIONS * REQUESTS * 3;
console.log(`completion time              ${iosim.result.toFixed(3)} ns virtual (identical in all three)`);
console.log(`iosim, process per connection ${iosim.ms.toFixed(1).padStart(7)} ms  ${fmt(rate(steps, iosim.ms))}steps/s  ${(bareModel.ms / iosim.ms).toFixed(2)}× bare`);
console.log(`iosim, process per request    ${perRequest.ms.toFixed(1).padStart(7)} ms  ${fmt(rate(steps, perRequest.ms))}steps/s  ${(bareModel.ms / perRequest.ms).toFixed(2)}× bare`);
console.log(`bare heap                     ${bareModel.ms.toFixed(1).padStart(7)} ms  ${fmt(rate(steps, bareModel.ms))}steps/s`);
const modelOverBare = bareModel.ms / iosim.ms;
console.log("");
const reportSeconds = timeDefaultReport();
console.log(`(c) default report (iosim report, whole process, build excluded): ${reportSeconds.toFixed(1)} s (target < 30 s: ${reportSeconds < 30 ? "met" : "MISSED"})`);
console.log("");
console.log(`targets: scheduler/bare ≥ 0.80 at 10,000 pending: ${schedulerOverBare10k >= 0.8 ? "met" : "MISSED"}; model/bare ≥ 0.35: ${modelOverBare >= 0.35 ? "met" : "MISSED"}`);
console.log(`scheduler/bare=${schedulerOverBare10k.toFixed(2)} model/bare=${modelOverBare.toFixed(2)}`);
