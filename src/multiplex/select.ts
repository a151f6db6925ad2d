/**
 * select(2): three fixed bitmaps of descriptors (read, write, except), copied
 * into the kernel and back on every call, every descriptor up to the
 * highest polled by the kernel and scanned again by user space.
 *
 * Like a paper attendance sheet of 1024 numbered boxes: the teacher ticks
 * the boxes of the pupils to watch, hands over the sheet, the office checks
 * every ticked box and hands back a copy with only the present ones ticked,
 * and the teacher reads the whole sheet again to find them. The sheet has
 * no box 1024: glibc's fd_set is FD_SETSIZE = 1024 bits, and FD_SET of a
 * larger fd writes past it (the fortified build aborts); the model refuses it.
 */
import type {Host} from "../host/Host.js";
import {ScanMultiplexer, type ScanCosts} from "./internal/readinessLoop.js";

/** glibc's FD_SETSIZE: an fd_set holds descriptors 0 … 1023 (misc/sys/select.h: __FD_SETSIZE 1024, bits/typesizes.h). */
export const FD_SETSIZE = 1024;

/** FD_SET of a descriptor ≥ FD_SETSIZE: select cannot watch it. */
export class FdSetOverflowError extends RangeError {
  constructor(readonly fd: number) {
    super(`select cannot watch fd ${fd}: an fd_set holds descriptors 0–${FD_SETSIZE - 1} (FD_SETSIZE ${FD_SETSIZE}); use poll or epoll`);
    this.name = "FdSetOverflowError";
  }
}

/** Bytes of one set the kernel copies for *nfds*: FDS_BYTES(nfds), whole longs (fs/select.c line 381). */
export function fdsBytes(nfds: number): number {
  return Math.ceil(nfds / 64) * 8;
}

/**
 * select's prices: core_sys_select() copies the three sets in (get_fd_set,
 * fs/select.c lines 669–671) and the three results out (set_fd_set, lines
 * 688–690), FDS_BYTES(nfds) each (line 649); the loop rebuilds its sets
 * before each call (FD_SET per watched fd: the kernel overwrote them) and
 * tests every descriptor 0 … maxfd with FD_ISSET after it.
 */
const selectCosts: ScanCosts = {
  name: "select",
  bytesIn: (nfds) => 3 * fdsBytes(nfds),
  bytesOut: (nfds) => 3 * fdsBytes(nfds),
  copyDetail: "fd_set",
  userBefore: (_nfds, watched) => watched,
  userAfter: (nfds) => nfds,
};

/**
 * Returns a select(2) multiplexer on *host*: descriptors are bits of the
 * caller's fd_sets (adding one costs nothing in the kernel), each call is
 * {@link scanWait} with select's copies, and an fd ≥ 1024 is a
 * {@link FdSetOverflowError}.
 *
 * ```ts
 * const mux = select(host);
 * yield* mux.add(fd, sock);
 * const ready = yield* mux.wait();
 * ```
 * @see poll @see epoll
 */
export function select(host: Host): ScanMultiplexer {
  return new ScanMultiplexer(host, "select", selectCosts, (fd) => {
    if (fd >= FD_SETSIZE) throw new FdSetOverflowError(fd);
  });
}
