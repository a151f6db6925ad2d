/**
 * poll(2): an array of `struct pollfd` (fd, events, revents: 8 bytes each)
 * copied into the kernel on every call, every entry polled, the revents
 * written back and scanned by user space. No 1024 limit, still O(n).
 *
 * Like select's attendance sheet turned into a list of names: as long as
 * needed, and the answers go in a column of their own so the list need not
 * be rewritten before each round; but the office still checks every name
 * and the teacher still reads every answer.
 */
import type {Host} from "../host/Host.js";
import {ScanMultiplexer, type ScanCosts} from "./internal/readinessLoop.js";

/** sizeof(struct pollfd): int fd, short events, short revents (include/uapi/asm-generic/poll.h). */
export const pollfdBytes = 8;
/** sizeof(pollfd.revents), the only field do_sys_poll writes back. */
const reventsBytes = 2;

/**
 * poll's prices: do_sys_poll() copies the whole array in (copy_from_user of
 * walk->len entries, fs/select.c lines 991–993) and writes back each entry's
 * revents (unsafe_put_user, lines 1018–1022); user space tests every
 * entry's revents after the call and, unlike select, need not rebuild the
 * array before it.
 */
const pollCosts: ScanCosts = {
  name: "poll",
  bytesIn: (_nfds, watched) => watched * pollfdBytes,
  bytesOut: (_nfds, watched) => watched * reventsBytes,
  copyDetail: "pollfd",
  userBefore: () => 0,
  userAfter: (_nfds, watched) => watched,
};

/**
 * Returns a poll(2) multiplexer on *host*: descriptors are entries of the
 * caller's pollfd array (adding one costs nothing in the kernel), each call
 * is {@link scanWait} with poll's copies.
 *
 * ```ts
 * const mux = poll(host);
 * yield* mux.add(fd, sock);
 * const ready = yield* mux.wait();
 * ```
 * @see select @see epoll
 */
export function poll(host: Host): ScanMultiplexer {
  return new ScanMultiplexer(host, "poll", pollCosts);
}
