/**
 * mmap + write: share the page cache with the process instead of copying.
 *
 * Per chunk: mmap(2) maps the file's page-cache pages into the process (DMA
 * brings missing pages from disk), so no copy to a user buffer; write(2)
 * then has the CPU copy from the page cache into the socket's send buffer,
 * whose skbs leave by DMA to the NIC (or over loopback). Four mode switches, two DMA copies, one CPU copy,
 * two system calls. (Mapping one window per chunk follows the seed; a real
 * server maps once and writes per chunk, saving the mmap calls.)
 */
import type {OperatorFunction} from "rxjs";
import type {ProcessBody} from "../engine/process.js";
import type {Host} from "../host/Host.js";
import {bufferedRead} from "../kernel/bufferedRead.js";
import type {FileRef} from "../mm/pageCache.js";
import {syscall} from "../kernel/syscall.js";
import {chunked, transferOperator, type FileRequest, type Transfer, type TransferOptions} from "./internal/transferCore.js";
import type {SocketSink} from "./internal/socketPath.js";

/** One chunk by mmap + write: the write copies the mapped page-cache pages into the socket's send buffer. */
export function* mmapWriteChunk(host: Host, file: FileRef, offsetBytes: number, bytes: number, pid: number, sink: SocketSink): ProcessBody<void> {
  yield* syscall(host, "mmap", () => bufferedRead(host, file, offsetBytes, bytes, pid));
  yield* syscall(host, "write", () => sink.write(bytes, {copyFrom: "page-cache"}));
}

/**
 * Returns an operator that serves each file request with mmap(2) + write(2),
 * one chunk of **chunkBytes** (default 64 KiB) per pair of calls.
 *
 * ```ts
 * requests$.pipe(mmapWrite(host))
 * ```
 * @see readWrite @see sendfile
 */
export function mmapWrite(host: Host, options: TransferOptions = {}): OperatorFunction<FileRequest, Transfer> {
  return transferOperator(host, options, chunked(mmapWriteChunk));
}
