/**
 * The three waiting APIs by name, for the models that let their user pick
 * one (the multiplex and trigger scenarios, the Reactors' `api`).
 *
 * Like choosing how a receptionist keeps track of the rooms: the paper
 * sheet of 1024 boxes (select), the list of names (poll) or the
 * switchboard (epoll); the work at the desk is the same, the bookkeeping
 * is not.
 */
import type {Host} from "../host/Host.js";
import {Epoll} from "./epoll.js";
import type {SourceMultiplexer} from "./internal/readinessLoop.js";
import {poll} from "./poll.js";
import {select} from "./select.js";

/** The multiplexing APIs. */
export const multiplexApis = ["select", "poll", "epoll"] as const;
export type MultiplexApi = (typeof multiplexApis)[number];

/**
 * Returns a multiplexer of *api* on *host* (select, poll, or a new epoll
 * instance), able to watch listening sockets and eventfds as well as
 * connections.
 *
 * ```ts
 * const mux = multiplexer("poll", host);
 * const {ctl} = mux.addSource(3, () => (listener.acceptQueueLength > 0 ? EPOLLIN : 0));
 * ```
 * @see select @see poll @see epoll
 */
export function multiplexer(api: MultiplexApi, host: Host): SourceMultiplexer {
  return api === "select" ? select(host) : api === "poll" ? poll(host) : new Epoll(host);
}
