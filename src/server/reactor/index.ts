/**
 * The event-driven server architectures as operators over the listening
 * socket's readiness ({@link Server.queued$}): Reactors on epoll (single
 * thread, single with a worker pool, main + sub, nginx's workers) and a
 * Proactor on io_uring.
 */
import type {OperatorFunction} from "rxjs";
import type {Connection} from "../../net/Connection.js";
import type {Server} from "../Server.js";
import type {Served} from "../serveConnection.js";
import {mainSubReactors} from "./mainSub.js";
import {nginxWorkers, type AcceptBalancing} from "./nginx.js";
import {proactorUring} from "./proactor.js";
import {singleReactor} from "./single.js";
import {singleReactorPool} from "./singlePool.js";
import type {ReactorOptions} from "./internal.js";

export {singleReactor} from "./single.js";
export {singleReactorPool, type SingleReactorPoolOptions} from "./singlePool.js";
export {mainSubReactors, type MainSubReactorsOptions} from "./mainSub.js";
export {nginxWorkers, acceptBalancings, type AcceptBalancing, type NginxWorkersOptions} from "./nginx.js";
export {proactorUring, checkProactorApi, type ProactorApi, type ProactorUringOptions} from "./proactor.js";
export {ReactorRuntime, type ReactorCounters, type ReactorOptions} from "./internal.js";

/** The architectures by name. */
export type ReactorVariant = "single" | "single-pool" | "main-sub" | "nginx" | "proactor-uring";
export const reactorVariants: readonly ReactorVariant[] = ["single", "single-pool", "main-sub", "nginx", "proactor-uring"];

/** Options of {@link reactorVariant}, each read by the variants it concerns. */
export interface ReactorVariantOptions extends ReactorOptions {
  /** single-pool: workers; main-sub: sub-Reactors; nginx: worker processes; proactor-uring: threads. Default one per core. */
  threads?: number;
  /** nginx: how the workers share the listening socket. */
  balancing?: AcceptBalancing;
  /** proactor-uring: SQEs per io_uring_enter. */
  batch?: number;
}

/** The variants that can wait with select or poll as well as epoll (**api**); nginx's balancing and the Proactor are epoll's and io_uring's own. */
export const reactorVariantsAnyApi: readonly ReactorVariant[] = ["single", "single-pool", "main-sub"];

/** Returns the operator of architecture *name* on *server*. */
export function reactorVariant(name: ReactorVariant, server: Server, o: ReactorVariantOptions = {}): OperatorFunction<Connection, Served> {
  if ((o.api ?? "epoll") !== "epoll" && !reactorVariantsAnyApi.includes(name)) throw new RangeError(`invalid api: ${o.api}; expected epoll with variant ${name}`);
  switch (name) {
    case "single":
      return singleReactor(server, o);
    case "single-pool":
      return singleReactorPool(server, {...o, workers: o.threads});
    case "main-sub":
      return mainSubReactors(server, {...o, subReactors: o.threads});
    case "nginx":
      return nginxWorkers(server, {...o, workers: o.threads});
    case "proactor-uring":
      return proactorUring(server, {...o, threads: o.threads, batch: o.batch});
  }
}
