/**
 * A process's file-descriptor table, bounded by RLIMIT_NOFILE.
 *
 * Like numbered coat-check tickets: each new file or socket gets the lowest
 * free number, and when the numbers run up to the limit the next customer is
 * turned away (EMFILE) even if the cloakroom has room.
 */

/** accept(2) and open(2) fail with EMFILE: the process has RLIMIT_NOFILE descriptors open. */
export class EmfileError extends Error {
  constructor(readonly limit: number) {
    super(`EMFILE: too many open files (RLIMIT_NOFILE ${limit})`);
    this.name = "EmfileError";
  }
}

/** The default soft RLIMIT_NOFILE: INR_OPEN_CUR = 1024 (include/uapi/linux/fs.h line 37; include/asm-generic/resource.h line 20). */
export const defaultNofileLimit = 1024;

/**
 * Returns an fd table holding descriptors 0 … *limit* − 1, with the first
 * *initiallyOpen* in use (stdin, stdout, stderr, and a server's listening
 * socket). Like Linux's alloc_fd() (fs/file.c lines 570–595), a new
 * descriptor is the lowest free number, and one ≥ RLIMIT_NOFILE is EMFILE.
 */
export class FdTable {
  /** Descriptors in use. */
  open = 0;
  /** Most descriptors in use at once. */
  peakOpen = 0;
  /** Calls refused with EMFILE. */
  emfileErrors = 0;
  /** Lowest number never handed out yet. */
  private next = 0;
  /** Closed numbers below `next`, as a binary min-heap. */
  private readonly free: number[] = [];

  constructor(
    /** RLIMIT_NOFILE (soft). */
    readonly limit: number = defaultNofileLimit,
    initiallyOpen = 3,
  ) {
    for (let i = 0; i < initiallyOpen; i++) this.allocate();
  }

  /** Returns the lowest free descriptor, or −1 (and counts an EMFILE) when it would be ≥ the limit. */
  allocate(): number {
    let fd: number;
    if (this.free.length > 0 && this.free[0] < this.limit) fd = this.popFree();
    else if (this.next < this.limit) fd = this.next++;
    else {
      this.emfileErrors++;
      return -1;
    }
    this.open++;
    if (this.open > this.peakOpen) this.peakOpen = this.open;
    return fd;
  }

  /** Frees descriptor *fd*. */
  close(fd: number): void {
    if (!(fd >= 0 && fd < this.next)) throw new RangeError(`close of fd ${fd}, never opened`);
    this.open--;
    const h = this.free;
    let i = h.push(fd) - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p] <= fd) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = fd;
  }

  private popFree(): number {
    const h = this.free;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const c = l + 1 < h.length && h[l + 1] < h[l] ? l + 1 : l;
        if (h[c] >= last) break;
        h[i] = h[c];
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
