/**
 * Direct I/O (直接 I/O, O_DIRECT): DMA from the disk straight into the
 * user's buffer, bypassing the page cache.
 *
 * Like ordering straight from the warehouse instead of through the corner
 * shop: nothing is kept on the shop's shelves for the next customer (no
 * caching, so no pollution either), nobody brings the next box "just in
 * case" (no readahead), and every order ships on its own, never bundled with
 * the neighbour's (no merging of adjacent requests). One read, one disk
 * request of exactly the bytes asked for, one DMA, one interrupt.
 *
 * Buffers, offsets and lengths must be aligned to the logical block size
 * (512 bytes here), as Linux requires (EINVAL otherwise); a read that runs
 * past the end of the file is cut at the end of its last block.
 */
import {wait, type ProcessBody, type Signal} from "../engine/process.js";
import type {Host} from "../host/Host.js";
import {InputError} from "../errors.js";
import type {FileRef} from "../mm/pageCache.js";
import {syscall} from "./syscall.js";

/** Alignment O_DIRECT requires of offsets and lengths, bytes (the logical block size). */
export const directAlignBytes = 512;

/** Returns the bytes the disk moves for a direct read of *bytes* at *offsetBytes* of *file*: clipped to the file, rounded up to whole blocks. */
export function directBytes(file: FileRef, offsetBytes: number, bytes: number): number {
  if (offsetBytes % directAlignBytes !== 0)
    throw new InputError("offsetBytes", String(offsetBytes), `a multiple of ${directAlignBytes} (O_DIRECT alignment; Linux returns EINVAL)`);
  if (bytes % directAlignBytes !== 0 && offsetBytes + bytes < file.sizeBytes)
    throw new InputError("bytes", String(bytes), `a multiple of ${directAlignBytes} (O_DIRECT alignment; Linux returns EINVAL)`);
  const n = Math.max(0, Math.min(bytes, file.sizeBytes - offsetBytes));
  return Math.ceil(n / directAlignBytes) * directAlignBytes;
}

/**
 * Returns a process body that starts a direct read: one disk→user DMA of
 * exactly the (aligned) bytes asked for, programmed by the driver on a core;
 * its result is the signal fired once the interrupt is handled. The page
 * cache is neither consulted nor changed.
 */
export function directSubmit(host: Host, file: FileRef, offsetBytes: number, bytes: number, pid = 0): ProcessBody<Signal<number>> {
  return host.diskDma(file.id, offsetBytes, directBytes(file, offsetBytes, bytes), "disk→user", pid);
}

/**
 * Returns a process body for one read(2) on a file opened with O_DIRECT:
 * two mode switches, one disk→user DMA, the interrupt; no page-cache lookup,
 * no readahead, no CPU copy.
 *
 * ```ts
 * yield* directRead(host, file, 0, 512 * KiB, 1);
 * ```
 * @see bufferedRead @see directAio
 */
export function* directRead(host: Host, file: FileRef, offsetBytes: number, bytes: number, pid = 0): ProcessBody<void> {
  yield* syscall(host, "read", function* () {
    // At or past the end of the file read(2) returns 0 without a disk request.
    if (directBytes(file, offsetBytes, bytes) > 0) yield wait(yield* directSubmit(host, file, offsetBytes, bytes, pid));
  });
}
