/** The server models by name, for scenarios and studies. */
import type {OperatorFunction} from "rxjs";
import type {Connection} from "../../net/Connection.js";
import type {Server} from "../Server.js";
import type {Served} from "../serveConnection.js";
import {iterative} from "./iterative.js";
import {processPerConnection} from "./processPerConnection.js";
import {threadPerConnection} from "./threadPerConnection.js";
import {threadPool} from "./threadPool.js";
import type {MultiplexApi} from "../../multiplex/api.js";
import {singleReactor} from "../reactor/single.js";
import type {ReactorRuntime} from "../reactor/internal.js";

/**
 * The models' names, as the CLI spells them. event-loop is the single
 * Reactor of src/server/reactor (one thread waiting with select, poll or
 * epoll), listed here so the C10K comparison runs it on the same clients.
 */
export const serverModels = ["iterative", "process", "thread", "pool", "event-loop"] as const;
export type ServerModelName = (typeof serverModels)[number];

/** Options of every model, each read by the models it concerns. */
export interface ServerModelOptions {
  /** process: the parent reaps its children (default true). */
  reap?: boolean;
  /** pool: worker threads (default one per core). */
  threads?: number;
  /** event-loop: what the loop waits with; default epoll. */
  api?: MultiplexApi;
  /** event-loop: called with the Reactor's run state when subscribed (its multiplexer's counters). */
  onRuntime?: (rt: ReactorRuntime) => void;
}

/**
 * Returns the operator of model *name* on *server*.
 *
 * ```ts
 * server.queued$.pipe(serverModel("pool", server, {threads: 32})).subscribe();
 * ```
 */
export function serverModel(name: ServerModelName, server: Server, options: ServerModelOptions = {}): OperatorFunction<Connection, Served> {
  switch (name) {
    case "iterative":
      return iterative(server);
    case "process":
      return processPerConnection(server, {reap: options.reap});
    case "thread":
      return threadPerConnection(server);
    case "pool":
      return threadPool(server, {threads: options.threads});
    case "event-loop":
      return singleReactor(server, {api: options.api, onRuntime: options.onRuntime});
  }
}
