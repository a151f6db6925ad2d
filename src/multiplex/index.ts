/**
 * `iosim/multiplex`: socket readiness through select, poll and epoll
 * (level- and edge-triggered), and an event loop that waits on them.
 */
export {select, FD_SETSIZE, FdSetOverflowError, fdsBytes} from "./select.js";
export {poll, pollfdBytes} from "./poll.js";
export {epoll, Epoll, EPOLLET, epollEventBytes, defaultEpollMaxEvents} from "./epoll.js";
export {eventLoop, type EventLoopOptions} from "./eventLoop.js";
export {EPOLLIN, EPOLLOUT, EPOLLRDHUP, type Multiplexer, type MultiplexCounters, type ReadyEvent} from "./internal/readinessLoop.js";
export {multiplexApis, multiplexer, type MultiplexApi} from "./api.js";
export type {SourceMultiplexer} from "./internal/readinessLoop.js";
