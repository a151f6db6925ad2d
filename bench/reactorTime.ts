/**
 * The `reactor` scenario at scale for `npm run bench`: main + sub Reactors
 * on 8 cores under 100,000 clients (the scenario's defaults otherwise):
 * wall time and simulated events per second. Run alone with
 * `node dist/bench/reactorTime.js [clients] [variant]`.
 */
import {loadProfile} from "../src/host/profiles.js";
import {runReactor} from "../src/scenarios/reactor.js";
import type {ReactorVariant} from "../src/server/reactor/index.js";

/** What {@link timeReactor} measured. */
export interface ReactorTime {
  clients: number;
  variant: ReactorVariant;
  cores: number;
  wallMs: number;
  events: number;
  eventsPerSec: number;
  requestsServed: number;
  requestsIssued: number;
  simulatedNs: number;
}

/** Runs `iosim run reactor` with *clients* clients of *variant* on *cores* cores and times it. */
export function timeReactor(clients = 100_000, variant: ReactorVariant = "main-sub", cores = 8): ReactorTime {
  const profile = loadProfile("server-2024");
  const t0 = performance.now();
  const {result, sim} = runReactor({profile, variant, cores, clients, fdLimit: 1_048_576, maxEvents: Infinity});
  const wallMs = performance.now() - t0;
  const events = sim.scheduler.eventsRun;
  return {clients, variant, cores, wallMs, events, eventsPerSec: (events / wallMs) * 1e3, requestsServed: result.requestsServed, requestsIssued: result.requestsIssued, simulatedNs: result.elapsedNs};
}

if (process.argv[1]?.endsWith("reactorTime.js")) {
  const r = timeReactor(Number(process.argv[2] ?? 100_000), (process.argv[3] ?? "main-sub") as ReactorVariant);
  console.log(JSON.stringify(r));
}
