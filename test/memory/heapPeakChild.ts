/**
 * Child process of the flat-memory tests: `node --expose-gc heapPeakChild.js
 * [--trace FILE] <scenario> key=value...` runs the scenario as `iosim run`
 * does (with `--trace`, streaming every event to FILE as `iosim run --trace`
 * does), samples the live heap (after a full GC) every 65,536 trace events,
 * and prints `{events, traceEvents, peakHeapBytes, peakLiveBytes}` as JSON:
 * the peak JS heap, and the peak of the heap plus ArrayBuffer memory (typed
 * arrays and Buffers live outside the JS heap; a trace writer uses them).
 */
import {loadProfile} from "../../src/host/profiles.js";
import {scenarios} from "../../src/scenarios/index.js";
import {resolveParams} from "../../src/scenarios/scenario.js";
import {TraceFileWriter} from "../../src/export/TraceFileWriter.js";

const gc = (globalThis as {gc?: () => void}).gc;
if (!gc) throw new Error("run with --expose-gc");
const argv = process.argv.slice(2);
const tracePath = argv[0] === "--trace" ? argv[1] : undefined;
if (tracePath !== undefined) argv.splice(0, 2);
const scenario = scenarios.find((s) => s.name === argv[0])!;
const sets = argv.slice(1).map((kv) => kv.split("=") as [string, string]);
const writer = tracePath === undefined ? undefined : new TraceFileWriter(tracePath, {fsync: false});
let peakHeapBytes = 0;
let peakLiveBytes = 0;
let events = 0;
const sample = () => {
  gc();
  const {heapUsed, arrayBuffers} = process.memoryUsage();
  peakHeapBytes = Math.max(peakHeapBytes, heapUsed);
  peakLiveBytes = Math.max(peakLiveBytes, heapUsed + arrayBuffers);
};
scenario.run(resolveParams(scenario, sets), {
  seed: 0,
  profile: loadProfile("server-2024"),
  maxEvents: 1e9,
  onSim: (sim) => {
    sample();
    let n = 0;
    // Listening before the writer: each sample sees the writer's batch full (65,535 rows), its largest.
    sim.trace.listen(() => {
      if ((++n & 65535) === 0) sample();
    });
    writer?.follow(sim.trace);
    // Read the event count when the run ends (the child's last act).
    process.on("exit", () => {
      events = sim.scheduler.eventsRun;
      process.stdout.write(JSON.stringify({events, traceEvents: n, peakHeapBytes, peakLiveBytes}) + "\n");
    });
  },
});
sample();
writer?.close();
sample();
