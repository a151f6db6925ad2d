/**
 * What the four file-transfer strategies share: walk a file chunk by chunk,
 * let the strategy move each chunk, keep at most one chunk in flight on the
 * NIC (double buffering), and report the transfer.
 *
 * A strategy is then only its per-chunk recipe, the way `mergeMap` and
 * `concatMap` share RxJS's `mergeInternals`.
 */
import {concatMap, type OperatorFunction} from "rxjs";
import {spawn, wait, type ProcessBody, type Signal} from "../../engine/process.js";
import type {Host} from "../../host/Host.js";
import {InputError} from "../../errors.js";
import type {FileRef} from "../../mm/pageCache.js";
import {KiB} from "../../units.js";

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
  /** Bytes delivered to the NIC. */
  bytes: number;
  /** Chunks (system-call rounds) used. */
  chunks: number;
  /** Virtual time the request started and the last byte left the NIC, ns. */
  startNs: number;
  endNs: number;
  /** endNs − startNs. */
  latencyNs: number;
}

/** State a chunk recipe may keep across chunks of one transfer. */
export interface ChunkState {
  /** The NIC send of the previous chunk, still in flight. */
  inFlight: Signal<number> | null;
}

/** One strategy's way of moving one chunk: *bytes* at *offsetBytes*. */
export type ChunkRecipe = (host: Host, file: FileRef, offsetBytes: number, bytes: number, pid: number, state: ChunkState) => ProcessBody<void>;

/** Options every strategy takes. */
export interface TransferOptions {
  /** Bytes per system-call round; default 64 KiB. */
  chunkBytes?: number;
}

/**
 * Returns a process body that waits until the previous chunk has left the
 * NIC: the socket buffer holds one chunk while the next is being read.
 */
export function* nicRoom(state: ChunkState): ProcessBody<void> {
  if (state.inFlight) yield wait(state.inFlight);
  state.inFlight = null;
}

/** Returns the process body of one whole transfer by *recipe*. */
export function* transferBody(host: Host, req: FileRequest, chunkBytes: number, recipe: ChunkRecipe): ProcessBody<Transfer> {
  const {scheduler, trace} = host.sim;
  const pid = req.pid ?? 1;
  const startNs = scheduler.now();
  const first = req.offsetBytes ?? 0;
  const end = Math.min(req.file.sizeBytes, first + (req.bytes ?? req.file.sizeBytes - first));
  const state: ChunkState = {inFlight: null};
  let chunks = 0;
  for (let off = first; off < end; off += chunkBytes) {
    yield* recipe(host, req.file, off, Math.min(chunkBytes, end - off), pid, state);
    chunks++;
  }
  if (state.inFlight) yield wait(state.inFlight);
  const endNs = scheduler.now();
  const bytes = Math.max(0, end - first);
  trace.record(endNs, "done", pid, endNs - startNs, bytes, req.file.id);
  return {fileId: req.file.id, pid, bytes, chunks, startNs, endNs, latencyNs: endNs - startNs};
}

/** Returns *chunkBytes* checked: a positive integer. */
export function checkChunkBytes(chunkBytes: number): number {
  if (!(Number.isSafeInteger(chunkBytes) && chunkBytes > 0)) throw new InputError("chunkBytes", String(chunkBytes), "a positive integer number of bytes");
  return chunkBytes;
}

/** Returns the operator that serves each request in turn with *recipe*. */
export function transferOperator(host: Host, options: TransferOptions, recipe: ChunkRecipe): OperatorFunction<FileRequest, Transfer> {
  const chunkBytes = checkChunkBytes(options.chunkBytes ?? 64 * KiB);
  return concatMap((req) => spawn(host.sim, req.pid ?? 1, () => transferBody(host, req, chunkBytes, recipe)));
}
