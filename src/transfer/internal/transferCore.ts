/**
 * What the four file-transfer strategies share: walk a file chunk by chunk,
 * let the strategy write each chunk into a TCP socket's send buffer (see
 * socketPath.ts: its size, grown by autotuning, decides how far copying
 * the next chunk overlaps sending the previous ones), wait until the last
 * byte has been delivered, and report the transfer.
 *
 * A strategy is then only its per-chunk recipe, the way `mergeMap` and
 * `concatMap` share RxJS's `mergeInternals`.
 */
import {concatMap, type OperatorFunction} from "rxjs";
import {spawn, type ProcessBody} from "../../engine/process.js";
import type {Host} from "../../host/Host.js";
import {InputError} from "../../errors.js";
import type {FileRef} from "../../mm/pageCache.js";
import {KiB} from "../../units.js";
import {SocketPaths, type LinkKind, type LinkOptions, type SocketSink} from "./socketPath.js";

/** A request to send (part of) a file to a socket. */
export interface FileRequest {
  /** The file. */
  file: FileRef;
  /** Process serving it; default 1. */
  pid?: number;
  /** First byte; default 0. */
  offsetBytes?: number;
  /** Bytes to send; default the rest of the file. */
  bytes?: number;
}

/** A finished transfer. */
export interface Transfer {
  fileId: string;
  pid: number;
  /**
   * Bytes delivered: over a NIC, the payload of this transfer's skbs that
   * left through it, summed at each DMA completion; over loopback, the bytes
   * the receiver read (measured, never the request's range).
   */
  bytes: number;
  /** Bytes the request asked for: its range, cut at the end of the file. A strategy that loses bytes has `bytes` < this. */
  requestedBytes: number;
  /** Chunks (system-call rounds) used. */
  chunks: number;
  /** Virtual time the request started and the last byte was delivered, ns. */
  startNs: number;
  endNs: number;
  /** endNs − startNs. */
  latencyNs: number;
  /** The link the bytes took. */
  link: LinkKind;
  /** CPU time of the loopback receiver (its recv calls, the receive protocol, its ACKs), ns; 0 over a NIC. */
  receiverCpuNs: number;
  /** Loopback: the part of the sender's and the receiver's CPU time spent in interrupt context (SocketSink.irqContextNs), ns; zeros over a NIC. */
  irqContextNs: {sender: number; receiver: number};
  /** Loopback: times the receiver blocked in recv for want of data (each ended by a wake-up); 0 over a NIC. */
  receiverSleeps: number;
  /** Loopback: data skbs the receiver coalesced into the one before them in its queue (Linux's TcpExtTCPRcvCoalesce); 0 over a NIC. */
  receiverCoalesced: number;
}

/** One strategy's way of moving one chunk: *bytes* at *offsetBytes*, written into *sink*'s send buffer. */
export type ChunkRecipe = (host: Host, file: FileRef, offsetBytes: number, bytes: number, pid: number, sink: SocketSink) => ProcessBody<void>;

/**
 * One strategy's way of moving the range [*first*, *end*) of a file in
 * rounds of at most *chunkBytes*; its result is the number of rounds. A
 * per-chunk strategy is {@link chunked}; sendfile makes one system call for
 * the whole range and loops inside the kernel.
 */
export type TransferRecipe = (host: Host, file: FileRef, first: number, end: number, chunkBytes: number, pid: number, sink: SocketSink) => ProcessBody<number>;

/** Returns the transfer recipe that runs *recipe* once per chunk (one round of system calls each). */
export function chunked(recipe: ChunkRecipe): TransferRecipe {
  return function* (host, file, first, end, chunkBytes, pid, sink) {
    let chunks = 0;
    for (let off = first; off < end; off += chunkBytes) {
      yield* recipe(host, file, off, Math.min(chunkBytes, end - off), pid, sink);
      chunks++;
    }
    return chunks;
  };
}

/** Options every strategy takes: the chunk size, and where the bytes go. */
export interface TransferOptions extends LinkOptions {
  /** Bytes per system-call round; default 64 KiB. */
  chunkBytes?: number;
}

/**
 * Returns the process body of one whole transfer by *recipe* on a new
 * connection of *paths*: the strategy writes into the socket's send buffer,
 * and the transfer ends when its last byte has been delivered (left
 * through the NIC, or been read by the loopback receiver).
 */
export function* transferBody(host: Host, req: FileRequest, chunkBytes: number, recipe: TransferRecipe, paths: SocketPaths): ProcessBody<Transfer> {
  const {scheduler, trace} = host.sim;
  const pid = req.pid ?? 1;
  const startNs = scheduler.now();
  const first = req.offsetBytes ?? 0;
  const end = Math.min(req.file.sizeBytes, first + (req.bytes ?? req.file.sizeBytes - first));
  const sink = paths.open(pid);
  const chunks = yield* recipe(host, req.file, first, end, chunkBytes, pid, sink);
  yield* sink.finish();
  const endNs = scheduler.now();
  // What was delivered, not what was asked for: a recipe that loses bytes shows here.
  const bytes = sink.deliveredBytes;
  trace.record(endNs, "done", pid, endNs - startNs, bytes, req.file.id);
  return {
    fileId: req.file.id,
    pid,
    bytes,
    requestedBytes: Math.max(0, end - first),
    chunks,
    startNs,
    endNs,
    latencyNs: endNs - startNs,
    link: sink.link,
    receiverCpuNs: sink.receiverCpuNs,
    irqContextNs: sink.irqContextNs,
    receiverSleeps: sink.receiverSleeps,
    receiverCoalesced: sink.rcvCoalesced,
  };
}

/** Returns *chunkBytes* checked: a positive integer. */
export function checkChunkBytes(chunkBytes: number): number {
  if (!(Number.isSafeInteger(chunkBytes) && chunkBytes > 0)) throw new InputError("chunkBytes", String(chunkBytes), "a positive integer number of bytes");
  return chunkBytes;
}

/** Returns the operator that serves each request in turn with *recipe*, each on its own connection. */
export function transferOperator(host: Host, options: TransferOptions, recipe: TransferRecipe): OperatorFunction<FileRequest, Transfer> {
  const chunkBytes = checkChunkBytes(options.chunkBytes ?? 64 * KiB);
  const paths = new SocketPaths(host, options);
  return concatMap((req) => spawn(host.sim, req.pid ?? 1, () => transferBody(host, req, chunkBytes, recipe, paths)));
}
