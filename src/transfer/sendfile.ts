/**
 * sendfile: one system call moves a whole file to a socket.
 *
 * A server calls sendfile(2) once per file (twice past 2 GiB: do_sendfile()
 * caps one call at MAX_RW_COUNT = INT_MAX & PAGE_MASK, fs/read_write.c
 * lines 1330–1331, include/linux/fs.h line 2836), and the kernel loops
 * inside it: do_sendfile → do_splice_direct (line 1370) →
 * splice_direct_to_actor(), whose `while (len)` loop (fs/splice.c line
 * 1082) reads up to one internal pipe's worth of page-cache pages
 * (PIPE_DEF_BUFFERS = 16 pages, include/linux/pipe_fs_i.h line 5: 64 KiB)
 * and splices them to the socket, round after round. Each round: DMA brings
 * missing pages from disk to the page cache, then either the CPU copies
 * them into the socket's send buffer (no SG-DMA: one CPU copy), or, when the
 * NIC does scatter-gather DMA, the skbs only take references to the
 * page-cache pages and the NIC gathers straight from them: the true
 * zero-copy (零拷贝), with no CPU copy at all. Two mode switches per file.
 */
import type {OperatorFunction} from "rxjs";
import type {ProcessBody} from "../engine/process.js";
import type {Host} from "../host/Host.js";
import {InputError} from "../errors.js";
import {bufferedRead} from "../kernel/bufferedRead.js";
import {syscall} from "../kernel/syscall.js";
import {transferOperator, type FileRequest, type Transfer, type TransferOptions, type TransferRecipe} from "./internal/transferCore.js";

/** Options for the {@link sendfile} strategy. */
export interface SendfileOptions extends TransferOptions {
  /** NIC gathers from page-cache pages (SG-DMA); default the NIC's capability. */
  scatterGather?: boolean;
  /**
   * Most bytes the program asks one sendfile(2) for, as nginx's
   * `sendfile_max_chunk` does; default the kernel's own cap
   * ({@link maxSendfileBytes}): one call per file up to 2 GiB.
   */
  maxCallBytes?: number;
}

/** Most bytes one sendfile(2) moves: MAX_RW_COUNT = INT_MAX & PAGE_MASK (include/linux/fs.h line 2836) with 4 KiB pages. */
export const maxSendfileBytes = 0x7fffffff - 4095;

/**
 * Returns the transfer recipe of sendfile, with or without SG-DMA: one
 * system call per file (per *maxCallBytes*, at most {@link maxSendfileBytes}), and inside it one
 * round per *chunkBytes* (the internal pipe's 64 KiB by default).
 */
export function sendfileRecipe(scatterGather: boolean, maxCallBytes = maxSendfileBytes): TransferRecipe {
  if (!(Number.isSafeInteger(maxCallBytes) && maxCallBytes > 0)) throw new InputError("maxCallBytes", String(maxCallBytes), "a positive integer number of bytes");
  const perCall = Math.min(maxCallBytes, maxSendfileBytes);
  return function* (host, file, first, end, chunkBytes, pid, sink): ProcessBody<number> {
    let rounds = 0;
    for (let callStart = first; callStart < end; callStart += perCall) {
      const callEnd = Math.min(end, callStart + perCall);
      yield* syscall(host, "sendfile", function* () {
        for (let off = callStart; off < callEnd; off += chunkBytes) {
          const n = Math.min(chunkBytes, callEnd - off);
          // The round's pages go into the internal pipe (filemap_splice_read): memory.splicePageNs each where the profile has it.
          yield* bufferedRead(host, file, off, n, pid, host.profile.memory.splicePageNs ?? host.profile.memory.pageLookupNs);
          // MSG_MORE on every round but the call's last (splice_direct_to_actor() signals SPLICE_F_MORE until the request is met).
          yield* sink.write(n, scatterGather ? {pagesAt: off, fileBytes: file.sizeBytes} : {copyFrom: "page-cache", fileBytes: file.sizeBytes}, off + n < callEnd);
          rounds++;
        }
      });
    }
    return rounds;
  };
}

/**
 * Returns an operator that serves each file request with one sendfile(2)
 * per file (or per **maxCallBytes**, nginx's `sendfile_max_chunk`): two mode switches, and inside the call, per round of
 * **chunkBytes** (default 64 KiB, the kernel's internal pipe), disk→page-cache
 * DMA on a miss and the pages into the socket's send buffer (as page
 * references with **scatterGather**, else through one CPU copy), to a
 * socket over **link** (nic or loopback).
 *
 * ```ts
 * requests$.pipe(sendfile(host, {scatterGather: false}))
 * ```
 * @see readWrite @see mmapWrite
 */
export function sendfile(host: Host, options: SendfileOptions = {}): OperatorFunction<FileRequest, Transfer> {
  return transferOperator(host, options, sendfileRecipe(checkScatterGather(host, options.scatterGather), options.maxCallBytes));
}

/** Returns *scatterGather* (default the NIC's capability), checked against the host's NIC: asking for SG-DMA without it is an {@link InputError}. */
export function checkScatterGather(host: Host, scatterGather = host.nic.scatterGather): boolean {
  if (scatterGather && !host.nic.scatterGather)
    throw new InputError("scatterGather", "true", `a NIC with scatter-gather DMA; profile ${host.profile.name}'s NIC has none`);
  return scatterGather;
}
