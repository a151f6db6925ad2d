/**
 * The epoll event loop's speed (`npm run bench`, part (e)): one loop on
 * epoll over 100,000 connections of which 1% (1,000) exchange requests and
 * responses, the whole `multiplex` scenario run (100,000 epoll_ctl
 * registrations, then the traffic through the data path), counted in
 * scheduler events per wall-clock second, to set against the bare heap's.
 *
 * ```ts
 * const {events, ms} = timeEpollLoop();
 * ```
 */
import {performance} from "node:perf_hooks";
import {loadProfile} from "../src/host/profiles.js";
import {runMultiplex} from "../src/scenarios/multiplex.js";

/** Connections watched, and the active ones among them. */
export const EPOLL_FDS = 100_000;
export const EPOLL_ACTIVE = 1_000;
/** Requests per active connection. */
export const EPOLL_REQUESTS = 20;

/** Runs the loop once; returns its scheduler events, wall time (ms), and what it served. */
export function timeEpollLoop(): {events: number; ms: number; served: number; perCallNs: number} {
  const profile = loadProfile("server-2024");
  const t0 = performance.now();
  const {result, sim} = runMultiplex({profile, api: "epoll", fds: EPOLL_FDS, active: EPOLL_ACTIVE, requests: EPOLL_REQUESTS, requestBytes: 128, responseBytes: 128, maxEvents: Infinity});
  const ms = performance.now() - t0;
  if (result.requestsServed !== EPOLL_ACTIVE * EPOLL_REQUESTS) throw new Error(`epoll loop served ${result.requestsServed} requests of ${EPOLL_ACTIVE * EPOLL_REQUESTS}`);
  return {events: sim.scheduler.eventsRun, ms, served: result.requestsServed, perCallNs: result.perCallNs};
}
