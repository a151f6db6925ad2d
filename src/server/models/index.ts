/** The server models by name, for scenarios and studies. */
import type {OperatorFunction} from "rxjs";
import type {Connection} from "../../net/Connection.js";
import type {Server} from "../Server.js";
import type {Served} from "../serveConnection.js";
import {iterative} from "./iterative.js";
import {processPerConnection} from "./processPerConnection.js";
import {threadPerConnection} from "./threadPerConnection.js";
import {threadPool} from "./threadPool.js";

/** The models' names, as the CLI spells them. */
export const serverModels = ["iterative", "process", "thread", "pool"] as const;
export type ServerModelName = (typeof serverModels)[number];

/** Options of every model, each read by the models it concerns. */
export interface ServerModelOptions {
  /** process: the parent reaps its children (default true). */
  reap?: boolean;
  /** pool: worker threads (default one per core). */
  threads?: number;
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
  }
}
