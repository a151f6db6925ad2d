/**
 * iosim's speed, measured side by side in one run (`npm run bench`).
 *
 * (a) The hold model: N events are pending; each, when it runs, files itself
 *     again after an exponential delay. The same model runs on SimScheduler
 *     (an RxJS action rescheduling itself with `this.schedule(state, delay)`,
 *     as RxJS operators do), as N iosim processes (`spawn` + `yield sleep`),
 *     on RxJS's VirtualTimeScheduler, and on a bare binary-heap loop written
 *     here. The bare heap is a fair baseline: like SimScheduler it re-files
 *     the same event object each time (allocating one per push would slow it
 *     down and flatter every ratio against it).
 * (b) 10,000 connections × 10 requests × 3 timed steps (parse on the CPU,
 *     read on the disk, reply on the CPU), once with iosim's operators and
 *     processes and once hand-written on the bare heap: each connection one
 *     re-filed state-machine object, FIFO resources, and one trace event
 *     booked per step as iosim's steps book theirs. All must finish at the
 *     same virtual time with the same trace counts.
 *
 * (c) The default report, as a whole process.
 * (d) `iosim sweep` of 1,000 small transfer runs on one worker thread and on
 *     every core (target ≥ 1.7× on 2 cores).
 * (e) An epoll event loop over 100,000 connections, 1% active (the
 *     `multiplex` scenario, registrations included), in scheduler events
 *     per second against the bare heap's hold model at 10,000 pending
 *     (target ≥ 0.3×).
 * (f) `iosim run server` with 100,000 clients (thread per connection, the
 *     scenario's defaults otherwise): wall time, simulated events per second
 *     against the bare heap's at 10,000 pending (each the best of two rounds,
 *     the bare heap timed right before the run in each round), and
 *     the peak live heap per simulated client (targets ≤ 4 KiB, ≥ 0.3× bare).
 * (g) `iosim run reactor` with main + sub Reactors on 8 cores and 100,000
 *     clients: simulated events per second against the bare heap's at
 *     10,000 pending, measured as in (f) (target ≥ 0.3×).
 *
 * Each figure is the best of a few repetitions (the machine is shared).
 * The last line is `scheduler/bare=<ratio> process/bare=<ratio> model/bare=<ratio> sweep/1job=<ratio> epoll/bare=<ratio> server/bare=<ratio> bytesPerConn=<n> reactor/bare=<ratio>`.
 */
import {concatMap, mergeMap, range, VirtualTimeScheduler, type SchedulerAction} from "rxjs";
import {mergeProcesses} from "../src/engine/mergeProcesses.js";
import {Resource} from "../src/engine/Resource.js";
import {SimScheduler} from "../src/engine/SimScheduler.js";
import {sleep, spawn, use, type ProcessBody} from "../src/engine/process.js";
import {Random} from "../src/engine/random.js";
import {createSim} from "../src/engine/sim.js";
import {Trace, type TraceKind} from "../src/engine/trace.js";
import {SEMI_SPACE_MB} from "../src/heapFlags.js";
import {timeDefaultReport} from "./reportTime.js";
import {EPOLL_ACTIVE, EPOLL_FDS, EPOLL_REQUESTS, timeEpollLoop} from "./multiplexTime.js";
import {timeServer} from "./serverTime.js";
import {timeReactor} from "./reactorTime.js";
import {threadScaling, timeSweep} from "./sweepTime.js";

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

/** An event of the bare loop: filed, run, and filed again, never reallocated (as SimScheduler's entries are). */
class BareEvent {
  time = 0;
  seq = 0;
  constructor(readonly fn: (e: BareEvent) => void) {}
}

/** A bare binary min-heap on (time, seq). */
class BareHeap {
  heap: BareEvent[] = [];
  now = 0;
  seq = 0;
  /** Files *e* at now + *delay*. */
  push(e: BareEvent, delay: number): void {
    e.time = this.now + delay;
    e.seq = this.seq++;
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
      e.fn(e);
    }
    return this.now;
  }
}

/** Hold model on the bare heap. */
function holdBare(pending: number, events: number): [number, number] {
  const heap = new BareHeap();
  const random = new Random(SEED);
  let run = 0;
  const work = (e: BareEvent): void => {
    if (++run <= events - pending) heap.push(e, random.exponential(MEAN_NS));
  };
  for (let i = 0; i < pending; i++) heap.push(new BareEvent(work), random.exponential(MEAN_NS));
  heap.run();
  return [run, heap.now];
}

/** What the hold processes share: the random source, the event count and the budget. */
interface HoldState {
  random: Random;
  run: number;
  events: number;
  pending: number;
}

/** A hold process: sleeps an exponential delay per event until the budget is spent. */
function* holder(st: HoldState): ProcessBody<void> {
  yield sleep(st.random.exponential(MEAN_NS));
  while (++st.run <= st.events - st.pending) yield sleep(st.random.exponential(MEAN_NS));
}

/**
 * Hold model as *pending* iosim processes (`spawn` + `yield sleep`), all
 * started through `mergeProcesses`. With *inline*, each process's body is a
 * `function*` evaluated per spawn (its own closure, prototype and hidden
 * class) instead of the module-level {@link holder}.
 */
function holdProcesses(pending: number, events: number, inline = false): [number, number] {
  const sim = createSim({seed: SEED, keepEvents: false, maxEvents: Infinity});
  const st: HoldState = {random: new Random(SEED), run: 0, events, pending};
  range(0, pending)
    .pipe(
      mergeProcesses((i) =>
        inline
          ? spawn(sim, i + 1, function* (): ProcessBody<void> {
              yield sleep(st.random.exponential(MEAN_NS));
              while (++st.run <= st.events - st.pending) yield sleep(st.random.exponential(MEAN_NS));
            })
          : spawn(sim, i + 1, () => holder(st)),
      ),
    )
    .subscribe();
  sim.run();
  return [st.run, sim.scheduler.now()];
}

const rate = (events: number, ms: number) => (events / ms) * 1000;
const fmt = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : `${(x / 1e3).toFixed(1)} k`);

const semiSpaceFlag = `--max-semi-space-size=${SEMI_SPACE_MB}`;
console.log(
  `iosim bench — node ${process.version}, best of ${REPEATS}, ` +
    (process.execArgv.includes(semiSpaceFlag)
      ? `${SEMI_SPACE_MB} MiB semi-space (as iosim runs: src/heapFlags.ts)`
      : `V8's default semi-space: run it as \`npm run bench\` (node ${semiSpaceFlag}) to time what iosim users run`),
);
console.log("");
console.log("(a) hold model: N pending events, exponential delays (mean 1 µs) from Random(1)");
console.log("pending   events      SimScheduler   processes      VirtualTime    bare heap      sim/bare  process/bare  sim/virtual");
let schedulerOverBare10k = 0;
let processOverBare10k = 0;
let inlineOverBare10k = 0;
let bareRate10k = 0;
for (const pending of [100, 1_000, 10_000]) {
  const events = 1_000_000;
  // VirtualTimeScheduler sorts its whole action array on every schedule(): fewer events as N grows.
  const virtualEvents = pending >= 10_000 ? 20_000 : pending >= 1_000 ? 100_000 : 300_000;
  const [sim, proc, bare] = best([() => holdSim(pending, events), () => holdProcesses(pending, events), () => holdBare(pending, events)]);
  const [virtual] = best([() => holdVirtual(pending, virtualEvents)], Math.min(REPEATS, 3));
  if (sim.result[0] !== events || proc.result[0] !== events || bare.result[0] !== events || virtual.result[0] !== virtualEvents) throw new Error("hold model ran the wrong number of events");
  if (sim.result[1] !== bare.result[1] || proc.result[1] !== bare.result[1])
    throw new Error(`hold model: SimScheduler ended at ${sim.result[1]}, processes at ${proc.result[1]}, bare heap at ${bare.result[1]}`);
  const simRate = rate(events, sim.ms);
  const procRate = rate(events, proc.ms);
  const bareRate = rate(events, bare.ms);
  const virtualRate = rate(virtualEvents, virtual.ms);
  if (pending === 10_000) {
    bareRate10k = bareRate;
    schedulerOverBare10k = simRate / bareRate;
    processOverBare10k = procRate / bareRate;
    const [inline, bareAgain] = best([() => holdProcesses(pending, events, true), () => holdBare(pending, events)]);
    if (inline.result[1] !== bareAgain.result[1]) throw new Error(`hold model: inline processes ended at ${inline.result[1]}, bare heap at ${bareAgain.result[1]}`);
    inlineOverBare10k = bareAgain.ms / inline.ms;
  }
  console.log(
    `${String(pending).padEnd(9)} ${`${events / 1e6}M (VT ${virtualEvents / 1e3}k)`.padEnd(11)} ` +
      `${`${fmt(simRate)}ev/s`.padEnd(14)} ${`${fmt(procRate)}ev/s`.padEnd(14)} ${`${fmt(virtualRate)}ev/s`.padEnd(14)} ${`${fmt(bareRate)}ev/s`.padEnd(14)} ` +
      `${(simRate / bareRate).toFixed(2).padEnd(9)} ${(procRate / bareRate).toFixed(2).padEnd(13)} ${(simRate / virtualRate).toFixed(1)}`,
  );
}
console.log("VirtualTimeScheduler runs fewer events (VT column) because each schedule() re-sorts every pending action.");
console.log(`processes: one module-level function*; with an inline function* per process (a closure and hidden class each): process/bare=${inlineOverBare10k.toFixed(2)} at 10,000`);

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

/** Trace kinds booked by the three steps (as a strategy's CPU and device steps book theirs). */
const STEP_KINDS: readonly TraceKind[] = ["user", "device-io", "user"];
const STEP_TAGS = ["parse", "read", "reply"];

/** What a model run reports: completion time and the trace counts it booked. */
type ModelResult = {endNs: number; userEvents: number; deviceEvents: number};

/** One connection's handler: its requests in turn, each step booking a trace event at service start. */
function* connection(cpu: Resource, disk: Resource, c: number): ProcessBody<void> {
  for (let r = 0; r < REQUESTS; r++) {
    const i = (c * REQUESTS + r) * 3;
    yield use(cpu, times[i], "parse", "user");
    yield use(disk, times[i + 1], "read", "device-io");
    yield use(cpu, times[i + 2], "reply", "user");
  }
}

/** The workload with iosim: each connection is one process, all run at once through *merge*. */
function modelIosim(merge: "mergeProcesses" | "mergeMap"): ModelResult {
  const sim = createSim({seed: SEED, keepEvents: false, maxEvents: Infinity});
  const cpu = new Resource(sim, "cpu", CPU_UNITS);
  const disk = new Resource(sim, "disk", DISK_UNITS);
  const start = (c: number) => spawn(sim, c + 1, () => connection(cpu, disk, c));
  range(0, CONNECTIONS)
    .pipe(merge === "mergeProcesses" ? mergeProcesses(start) : mergeMap(start))
    .subscribe();
  const endNs = sim.run();
  return {endNs, userEvents: sim.trace.count("user"), deviceEvents: sim.trace.count("device-io")};
}

/** The same with one process per request: `concatMap` over each connection's requests (more RxJS plumbing per request). */
function modelIosimPerRequest(): ModelResult {
  const sim = createSim({seed: SEED, keepEvents: false, maxEvents: Infinity});
  const cpu = new Resource(sim, "cpu", CPU_UNITS);
  const disk = new Resource(sim, "disk", DISK_UNITS);
  range(0, CONNECTIONS)
    .pipe(
      mergeProcesses((c) =>
        range(0, REQUESTS).pipe(
          concatMap((r) =>
            spawn(sim, c + 1, function* () {
              const i = (c * REQUESTS + r) * 3;
              yield use(cpu, times[i], "parse", "user");
              yield use(disk, times[i + 1], "read", "device-io");
              yield use(cpu, times[i + 2], "reply", "user");
            }),
          ),
        ),
      ),
    )
    .subscribe();
  const endNs = sim.run();
  return {endNs, userEvents: sim.trace.count("user"), deviceEvents: sim.trace.count("device-io")};
}

/** A hand-written connection: a state machine that is its own heap entry and queue entry, re-filed per step. */
class BareConnection extends BareEvent {
  /** Request and step (0 parse, 1 read, 2 reply) it is on. */
  request = 0;
  step = 0;
  /** Service time of the current step, ns. */
  ns = 0;
  constructor(
    readonly c: number,
    readonly model: BareModel,
  ) {
    super(finishStep);
  }
}

/** A hand-written FIFO resource on the bare heap. */
class BareResource {
  inUse = 0;
  queue: BareConnection[] = [];
  head = 0;
  busyNs = 0;
  constructor(
    readonly heap: BareHeap,
    readonly trace: Trace,
    readonly units: number,
  ) {}
  submit(conn: BareConnection): void {
    if (this.inUse < this.units) this.start(conn);
    else this.queue.push(conn);
  }
  start(conn: BareConnection): void {
    this.inUse++;
    this.trace.record(this.heap.now, STEP_KINDS[conn.step], conn.c + 1, conn.ns);
    this.heap.push(conn, conn.ns);
  }
  finish(conn: BareConnection): void {
    this.inUse--;
    this.busyNs += conn.ns;
    if (this.head < this.queue.length) {
      const next = this.queue[this.head++];
      if (this.head === this.queue.length) {
        this.queue.length = 0;
        this.head = 0;
      }
      this.start(next);
    }
  }
}

/** The bare model's shared pieces. */
interface BareModel {
  cpu: BareResource;
  disk: BareResource;
}

/** Submits *conn*'s current step to its resource. */
function submitStep(conn: BareConnection): void {
  conn.ns = times[(conn.c * REQUESTS + conn.request) * 3 + conn.step];
  (conn.step === 1 ? conn.model.disk : conn.model.cpu).submit(conn);
}

/** A step's service ended: free the resource (starting the next in line), then go on to the next step. */
function finishStep(e: BareEvent): void {
  const conn = e as BareConnection;
  (conn.step === 1 ? conn.model.disk : conn.model.cpu).finish(conn);
  if (++conn.step === 3) {
    conn.step = 0;
    if (++conn.request === REQUESTS) return;
  }
  submitStep(conn);
}

/** The same workload by hand on the bare heap. */
function modelBare(): ModelResult {
  const heap = new BareHeap();
  const trace = new Trace(false);
  const model: BareModel = {cpu: new BareResource(heap, trace, CPU_UNITS), disk: new BareResource(heap, trace, DISK_UNITS)};
  for (let c = 0; c < CONNECTIONS; c++) submitStep(new BareConnection(c, model));
  const endNs = heap.run();
  return {endNs, userEvents: trace.count("user"), deviceEvents: trace.count("device-io")};
}

console.log("");
console.log(`(b) ${CONNECTIONS.toLocaleString("en")} connections × ${REQUESTS} requests × 3 steps (parse on ${CPU_UNITS} cores, read on ${DISK_UNITS} disk channels, reply), one trace event per step`);
const [iosim, viaMergeMap, perRequest, bareModel] = best([() => modelIosim("mergeProcesses"), () => modelIosim("mergeMap"), modelIosimPerRequest, modelBare]);
for (const [name, m] of [["mergeMap", viaMergeMap], ["per request", perRequest], ["mergeProcesses", iosim]] as const)
  if (m.result.endNs !== bareModel.result.endNs || m.result.userEvents !== bareModel.result.userEvents || m.result.deviceEvents !== bareModel.result.deviceEvents)
    throw new Error(`${name} model differs from the bare heap: ${JSON.stringify(m.result)} against ${JSON.stringify(bareModel.result)}`);
const steps = CONNECTIONS * REQUESTS * 3;
if (bareModel.result.userEvents + bareModel.result.deviceEvents !== steps) throw new Error(`the bare model booked ${bareModel.result.userEvents + bareModel.result.deviceEvents} trace events for ${steps} steps`);
console.log(`completion time                          ${bareModel.result.endNs.toFixed(3)} ns virtual, ${steps.toLocaleString("en")} trace events (identical in all four)`);
const line = (label: string, ms: number) => console.log(`${label.padEnd(40)} ${ms.toFixed(1).padStart(7)} ms  ${fmt(rate(steps, ms))}steps/s  ${(bareModel.ms / ms).toFixed(2)}× bare`);
line("iosim, process per connection, mergeProcesses", iosim.ms);
line("iosim, process per connection, mergeMap", viaMergeMap.ms);
line("iosim, process per request (concatMap)", perRequest.ms);
console.log(`${"bare heap".padEnd(40)} ${bareModel.ms.toFixed(1).padStart(7)} ms  ${fmt(rate(steps, bareModel.ms))}steps/s`);
const modelOverBare = bareModel.ms / iosim.ms;
console.log("");
const reportSeconds = timeDefaultReport();
console.log(`(c) default report (iosim report, whole process, build excluded): ${reportSeconds.toFixed(1)} s (target < 30 s: ${reportSeconds < 30 ? "met" : "MISSED"})`);
console.log("");
console.log(
  `targets: scheduler/bare ≥ 0.80 at 10,000 pending: ${schedulerOverBare10k >= 0.8 ? "met" : "MISSED"}; ` +
    `process/bare ≥ 0.70 at 10,000 pending: ${processOverBare10k >= 0.7 ? "met" : "MISSED"}; model/bare ≥ 0.35: ${modelOverBare >= 0.35 ? "met" : "MISSED"}`,
);
const sweep = await timeSweep();
const sweepSpeedup = sweep.oneMs / sweep.allMs;
console.log(
  `(d) iosim sweep, ${sweep.runs.toLocaleString("en")} transfer runs: 1 worker ${(sweep.oneMs / 1000).toFixed(2)} s, ${sweep.jobs} workers ${(sweep.allMs / 1000).toFixed(2)} s, ` +
    `speed-up ${sweepSpeedup.toFixed(2)}× (target ≥ 1.7× on 2 cores: ${sweep.jobs < 2 ? "n/a, 1 core" : sweepSpeedup >= 1.7 ? "met" : "MISSED"}); ` +
    `the same runs on ${sweep.jobs} bare threads (no sweep machinery) gain ${(await threadScaling(sweep.jobs)).toFixed(2)}× on this machine now (the ceiling)`,
);
let epollPerCallNs = 0;
const [epollLoop, bareAgain] = best<number>(
  [
    () => {
      const r = timeEpollLoop();
      epollPerCallNs = r.perCallNs;
      return r.events;
    },
    () => holdBare(10_000, 1_000_000)[0],
  ],
  Math.min(REPEATS, 3),
);
const epollRate = rate(epollLoop.result, epollLoop.ms);
const epollOverBare = epollRate / rate(1_000_000, bareAgain.ms);
console.log(
  `(e) epoll event loop, ${EPOLL_FDS.toLocaleString("en")} connections, ${EPOLL_ACTIVE.toLocaleString("en")} active × ${EPOLL_REQUESTS} requests: ` +
    `${epollLoop.result.toLocaleString("en")} events in ${epollLoop.ms.toFixed(0)} ms, ${fmt(epollRate)}ev/s, ${epollOverBare.toFixed(2)}× the bare heap (target ≥ 0.3×: ${epollOverBare >= 0.3 ? "met" : "MISSED"}); ` +
    `simulated epoll_wait ${epollPerCallNs.toFixed(0)} ns per call`,
);
/**
 * A long run and the bare heap, each the best of *rounds* (the bare heap the best of 3 within each round), timed in
 * turn so that both see the machine's load as it drifts; returns the best of each (the same rule as `best`).
 */
function bestAgainstBare<T extends {eventsPerSec: number}>(run: (round: number) => T, rounds: number): {result: T; bareRate: number} {
  let result: T | undefined;
  let bareRate = 0;
  for (let r = 0; r < rounds; r++) {
    const bare = best<number>([() => holdBare(10_000, 1_000_000)[0]], Math.min(REPEATS, 3))[0];
    bareRate = Math.max(bareRate, rate(1_000_000, bare.ms));
    const t = run(r);
    if (result === undefined || t.eventsPerSec > result.eventsPerSec) result = {...t};
  }
  return {result: result!, bareRate};
}
// The server and reactor runs take tens of seconds each: twice, each time right after the bare heap.
const LONG_ROUNDS = Math.min(REPEATS, 2);
let peakHeapBytesPerClient = 0;
const {result: server, bareRate: bareBeforeServer} = bestAgainstBare((r) => {
  // The live heap is sampled in the first round only (a second, slower run).
  const t = timeServer(100_000, "thread", r === 0);
  if (r === 0) peakHeapBytesPerClient = t.peakHeapBytesPerClient;
  return t;
}, LONG_ROUNDS);
server.peakHeapBytesPerClient = peakHeapBytesPerClient;
const serverOverBare = server.eventsPerSec / bareBeforeServer;
const bytesPerConn = Math.round(server.peakHeapBytesPerClient);
console.log(
  `(f) iosim run server, ${server.clients.toLocaleString("en")} clients (${server.model} per connection): ${(server.wallMs / 1000).toFixed(1)} s wall, ` +
    `${server.events.toLocaleString("en")} events (${fmt(server.eventsPerSec)}ev/s, ${serverOverBare.toFixed(3)}× the bare heap's; target ≥ 0.3: ${serverOverBare >= 0.3 ? "met" : "MISSED"}), ` +
    `${server.requestsServed.toLocaleString("en")} of ${server.requestsIssued.toLocaleString("en")} requests served in ${(server.simulatedNs / 1e9).toFixed(1)} s simulated, ` +
    `peak live heap ${bytesPerConn} bytes per client (target ≤ 4096: ${bytesPerConn <= 4096 ? "met" : "MISSED"})`,
);
const {result: reactor, bareRate: bareBeforeReactor} = bestAgainstBare(() => timeReactor(100_000, "main-sub", 8), LONG_ROUNDS);
const reactorOverBare = reactor.eventsPerSec / bareBeforeReactor;
console.log(
  `(g) iosim run reactor, ${reactor.clients.toLocaleString("en")} clients (${reactor.variant}, ${reactor.cores} cores): ${(reactor.wallMs / 1000).toFixed(1)} s wall, ` +
    `${reactor.events.toLocaleString("en")} events (${fmt(reactor.eventsPerSec)}ev/s, ${reactorOverBare.toFixed(3)}× the bare heap's; target ≥ 0.3: ${reactorOverBare >= 0.3 ? "met" : "MISSED"}), ` +
    `${reactor.requestsServed.toLocaleString("en")} of ${reactor.requestsIssued.toLocaleString("en")} requests served in ${(reactor.simulatedNs / 1e9).toFixed(1)} s simulated`,
);
console.log(
  `scheduler/bare=${schedulerOverBare10k.toFixed(2)} process/bare=${processOverBare10k.toFixed(2)} model/bare=${modelOverBare.toFixed(2)} sweep/1job=${sweepSpeedup.toFixed(2)} ` +
    `epoll/bare=${epollOverBare.toFixed(2)} server/bare=${serverOverBare.toFixed(3)} bytesPerConn=${bytesPerConn} reactor/bare=${reactorOverBare.toFixed(3)}`,
);
