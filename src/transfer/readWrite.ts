/**
 * read + write: the traditional transfer (传统的文件传输).
 *
 * Per chunk: read(2) enters the kernel, DMA brings missing pages from disk
 * to the page cache, the CPU copies them to the user buffer, read returns;
 * write(2) enters the kernel, the CPU copies the user buffer into the
 * socket's send buffer (waiting while it is full), write returns; the
 * socket's skbs leave by DMA to the NIC (or over loopback) meanwhile. Four mode switches, two
 * DMA copies (one on a cache hit), two CPU copies, two system calls.
 */
import type {OperatorFunction} from "rxjs";
import type {ProcessBody} from "../engine/process.js";
import type {Host} from "../host/Host.js";
import {readCall} from "../kernel/bufferedRead.js";
import type {FileRef} from "../mm/pageCache.js";
import {syscall} from "../kernel/syscall.js";
import {chunked, transferOperator, type FileRequest, type Transfer, type TransferOptions} from "./internal/transferCore.js";
import type {SocketSink} from "./internal/socketPath.js";

/** One chunk by read + write: the write copies the user buffer into the socket's send buffer, waiting for room. */
export function* readWriteChunk(host: Host, file: FileRef, offsetBytes: number, bytes: number, pid: number, sink: SocketSink): ProcessBody<void> {
  yield* readCall(host, file, offsetBytes, bytes, pid);
  yield* syscall(host, "write", () => sink.write(bytes, {copyFrom: "user"}));
}

/**
 * Returns an operator that serves each file request with read(2) + write(2),
 * one chunk of **chunkBytes** (default 64 KiB, the program's buffer) per
 * pair of calls, to a socket over **link** (nic or loopback).
 *
 * ```ts
 * requests$.pipe(readWrite(host, {chunkBytes: 32 * KiB}))
 * ```
 * @see mmapWrite @see sendfile
 */
export function readWrite(host: Host, options: TransferOptions = {}): OperatorFunction<FileRequest, Transfer> {
  return transferOperator(host, options, chunked(readWriteChunk));
}
