/**
 * sendfile: one system call moves a chunk from a file to a socket.
 *
 * Per chunk: sendfile(2) enters the kernel, DMA brings missing pages from
 * disk to the page cache, then either the CPU copies them to the socket
 * buffer and DMA sends that to the NIC (two mode switches, two DMA copies,
 * one CPU copy), or, when the NIC does scatter-gather DMA (SG-DMA), only a
 * descriptor (address, length) goes to the socket buffer and the NIC
 * gathers straight from the page cache: the true zero-copy (零拷贝), with
 * no CPU copy at all.
 */
import type {OperatorFunction} from "rxjs";
import type {ProcessBody} from "../engine/process.js";
import type {Host} from "../host/Host.js";
import {InputError} from "../errors.js";
import {bufferedRead} from "../kernel/bufferedRead.js";
import type {FileRef} from "../mm/pageCache.js";
import {syscall} from "../kernel/syscall.js";
import {nicRoom, transferOperator, type ChunkState, type FileRequest, type Transfer, type TransferOptions} from "./internal/transferCore.js";

/** Options for the {@link sendfile} strategy. */
export interface SendfileOptions extends TransferOptions {
  /** NIC gathers from page-cache pages (SG-DMA); default the NIC's capability. */
  scatterGather?: boolean;
}

/** Returns the chunk recipe of sendfile, with or without SG-DMA. */
export function sendfileChunk(scatterGather: boolean) {
  return function* (host: Host, file: FileRef, offsetBytes: number, bytes: number, pid: number, state: ChunkState): ProcessBody<void> {
    yield* syscall(host, "sendfile", function* () {
      yield* bufferedRead(host, file, offsetBytes, bytes, pid);
      yield* nicRoom(state);
      if (scatterGather) {
        state.inFlight = yield* host.nicDma(bytes, "page-cache→nic", pid);
      } else {
        yield host.cpuCopy(bytes, "page-cache→socket-buffer");
        state.inFlight = yield* host.nicDma(bytes, "socket-buffer→nic", pid);
      }
    });
  };
}

/**
 * Returns an operator that serves each file request with sendfile(2): two
 * mode switches per call, disk→page-cache DMA on a miss, page-cache→NIC DMA
 * (gathered directly with **scatterGather**, else through one CPU copy into
 * the socket buffer). Chunks of **chunkBytes**, default 64 KiB.
 *
 * ```ts
 * requests$.pipe(sendfile(host, {scatterGather: false}))
 * ```
 * @see readWrite @see mmapWrite
 */
export function sendfile(host: Host, options: SendfileOptions = {}): OperatorFunction<FileRequest, Transfer> {
  const scatterGather = options.scatterGather ?? host.nic.scatterGather;
  if (scatterGather && !host.nic.scatterGather)
    throw new InputError("scatterGather", "true", `a NIC with scatter-gather DMA; profile ${host.profile.name}'s NIC has none`);
  return transferOperator(host, options, sendfileChunk(scatterGather));
}
