/**
 * The `server` scenario at scale for `npm run bench`: wall time, simulated
 * events per second, and the peak of the live heap per simulated client.
 *
 * Two runs of the same simulation: one timed, untouched; one whose live
 * heap is sampled every {@link SAMPLE_EVENTS} scheduler events after a full
 * garbage collection (`--expose-gc` set at run time), so the peak counts
 * what the model holds, not garbage not yet collected. Run alone with
 * `node dist/bench/serverTime.js [clients] [model]`.
 */
import {setFlagsFromString} from "node:v8";
import {runInNewContext} from "node:vm";
import {loadProfile} from "../src/host/profiles.js";
import {runServer} from "../src/scenarios/server.js";
import type {ServerModelName} from "../src/server/models/index.js";

/** Scheduler events between two heap samples. */
const SAMPLE_EVENTS = 250_000;

/** What {@link timeServer} measured. */
export interface ServerTime {
  clients: number;
  model: ServerModelName;
  /** Wall time of the timed run, ms. */
  wallMs: number;
  /** Scheduler events the run took. */
  events: number;
  eventsPerSec: number;
  /** Most live heap above the heap before the run, bytes, over the clients. */
  peakHeapBytesPerClient: number;
  requestsServed: number;
  requestsIssued: number;
  simulatedNs: number;
}

/** Returns a function that runs a full garbage collection. */
function gcFunction(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

/**
 * Runs `iosim run server` with *clients* clients (the scenario's defaults
 * otherwise) and measures it; without *sampleHeap*, only the timed run
 * (`peakHeapBytesPerClient` is then NaN: not measured).
 */
export function timeServer(clients = 100_000, model: ServerModelName = "thread", sampleHeap = true): ServerTime {
  const gc = gcFunction();
  const profile = loadProfile("server-2024");
  gc();
  const t0 = performance.now();
  const {result, sim} = runServer({profile, model, clients, maxEvents: Infinity});
  const wallMs = performance.now() - t0;
  const events = sim.scheduler.eventsRun;
  const timed = {clients, model, wallMs, events, eventsPerSec: (events / wallMs) * 1e3, requestsServed: result.requestsServed, requestsIssued: result.requestsIssued, simulatedNs: result.elapsedNs};
  if (!sampleHeap) return {...timed, peakHeapBytesPerClient: NaN};
  gc();
  const baseHeap = process.memoryUsage().heapUsed;
  let peakHeap = baseHeap;
  const sampled = runServer({
    profile,
    model,
    clients,
    maxEvents: Infinity,
    onSim: (s) => {
      let next = SAMPLE_EVENTS;
      s.trace.listen(() => {
        if (s.scheduler.eventsRun < next) return;
        next = s.scheduler.eventsRun + SAMPLE_EVENTS;
        gc();
        peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
      });
    },
  });
  if (sampled.sim.scheduler.eventsRun !== events) throw new Error(`the sampled run took ${sampled.sim.scheduler.eventsRun} events, the timed one ${events}`);
  return {...timed, peakHeapBytesPerClient: (peakHeap - baseHeap) / clients};
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const t = timeServer(Number(process.argv[2] ?? 100_000), (process.argv[3] ?? "thread") as ServerModelName);
  console.log(JSON.stringify(t));
}
