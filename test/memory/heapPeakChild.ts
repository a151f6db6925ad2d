/**
 * Child process of the flat-memory test: `node --expose-gc heapPeakChild.js
 * <scenario> key=value...` runs the scenario as `iosim run` does, samples
 * the live heap (after a full GC) every 65,536 trace events, and prints
 * `{events, peakHeapBytes}` as JSON.
 */
import {loadProfile} from "../../src/host/profiles.js";
import {scenarios} from "../../src/scenarios/index.js";
import {resolveParams} from "../../src/scenarios/scenario.js";

const gc = (globalThis as {gc?: () => void}).gc;
if (!gc) throw new Error("run with --expose-gc");
const scenario = scenarios.find((s) => s.name === process.argv[2])!;
const sets = process.argv.slice(3).map((kv) => kv.split("=") as [string, string]);
let peakHeapBytes = 0;
let events = 0;
const sample = () => {
  gc();
  peakHeapBytes = Math.max(peakHeapBytes, process.memoryUsage().heapUsed);
};
scenario.run(resolveParams(scenario, sets), {
  seed: 0,
  profile: loadProfile("server-2024"),
  maxEvents: 1e9,
  onSim: (sim) => {
    sample();
    let n = 0;
    sim.trace.listen(() => {
      if ((++n & 65535) === 0) sample();
    });
    // Read the event count when the run ends (the child's last act).
    process.on("exit", () => {
      events = sim.scheduler.eventsRun;
      process.stdout.write(JSON.stringify({events, peakHeapBytes}) + "\n");
    });
  },
});
sample();
