/**
 * An event loop: one process on a core that waits on a multiplexer and
 * hands each ready descriptor to a handler, round after round.
 *
 * Like a waiter with a pager: wait for it to buzz, serve every table it
 * names, wait again. The multiplexer decides what a buzz costs (select and
 * poll: the whole room walked and the list read; epoll: only the tables
 * that called).
 */
import {Observable} from "rxjs";
import {spawn, type ProcessBody} from "../engine/process.js";
import type {Multiplexer, ReadyEvent} from "./internal/readinessLoop.js";

/** Options of {@link eventLoop}. */
export interface EventLoopOptions {
  /** The loop's process id; default 1. */
  pid?: number;
  /** Most events per wait (epoll_wait's maxevents; select and poll return all); default epoll's. */
  maxEvents?: number;
  /** Checked after each round: the loop ends when it returns true; default never. */
  until?: () => boolean;
}

/**
 * Returns an Observable that, on subscription, runs an event loop on *mux*
 * as a process: each round one wait call, then *handle* for each ready
 * event in the order returned; it emits each round's events after they have
 * been handled and completes when **until** says so.
 *
 * ```ts
 * eventLoop(ep, (ev) => drain(host, ev.sock), {until: () => served === total}).subscribe();
 * ```
 * @see select @see poll @see epoll
 */
export function eventLoop(mux: Multiplexer, handle: (ev: ReadyEvent) => ProcessBody<void>, options: EventLoopOptions = {}): Observable<ReadyEvent[]> {
  const {pid = 1, maxEvents, until = () => false} = options;
  return new Observable<ReadyEvent[]>((subscriber) => {
    function* loop(): ProcessBody<void> {
      while (!until()) {
        const events = yield* mux.wait(maxEvents, pid);
        for (let i = 0; i < events.length; i++) yield* handle(events[i]);
        subscriber.next(events);
      }
    }
    return spawn(mux.host.sim, pid, loop).subscribe({complete: () => subscriber.complete(), error: (e) => subscriber.error(e)});
  });
}
