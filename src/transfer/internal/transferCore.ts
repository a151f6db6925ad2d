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
  /**
   * Bytes that left through the NIC for this transfer: the sum of its NIC
   * DMA transfers as they completed (measured, not the request's range).
   */
  bytes: number;
  /** Bytes the request asked for: its range, cut at the end of the file. A strategy that loses bytes has `bytes` < this. */
  requestedBytes: number;
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
  /**
   * The NIC send of the previous chunk, still in flight. A recipe assigns
   * the signal of every NIC send here as it starts it (`state.inFlight =
   * host.nicDma(...)`): that is how the transfer knows which of the NIC's
   * DMA completions are its own, so a send never assigned here is not
   * counted as delivered.
   */
  inFlight: Signal<number> | null;
  /** Bytes of this transfer's NIC sends that have completed so far. */
  readonly sentBytes: number;
}

/**
 * The bytes that left through one host's NIC, read off the host's DMA
 * completions as they happen (a running counter, so it needs no kept trace
 * events), and attributed to the transfer whose recipe started each send.
 */
class NicLedger {
  /** Per NIC send, the tally of the transfer that started it (weak: a signal that never completes on the NIC is dropped with it). */
  private readonly owners = new WeakMap<Signal<number>, {bytes: number}>();

  constructor(host: Host) {
    const nic = host.nic.resource.name;
    // Completions are emitted when the device finishes, before the interrupt handler wakes the sender.
    host.dmaCompletions$.subscribe((c) => {
      if (c.device !== nic) return;
      const tally = this.owners.get(c.signal);
      if (tally) tally.bytes += c.bytes;
      this.owners.delete(c.signal);
    });
  }

  /** Counts the bytes of the NIC send completing *signal* into *tally*. */
  own(signal: Signal<number>, tally: {bytes: number}): void {
    this.owners.set(signal, tally);
  }
}

const ledgers = new WeakMap<Host, NicLedger>();

/** Returns *host*'s NIC ledger, created (and subscribed) on first use. */
function nicLedger(host: Host): NicLedger {
  let ledger = ledgers.get(host);
  if (!ledger) ledgers.set(host, (ledger = new NicLedger(host)));
  return ledger;
}

/** Returns a fresh {@link ChunkState} for one transfer on *host*, counting the bytes its NIC sends deliver. */
export function chunkState(host: Host): ChunkState {
  const ledger = nicLedger(host);
  /** This transfer's delivered bytes. */
  const tally = {bytes: 0};
  let inFlight: Signal<number> | null = null;
  return {
    get inFlight() {
      return inFlight;
    },
    set inFlight(signal: Signal<number> | null) {
      if (signal && signal !== inFlight) ledger.own(signal, tally);
      inFlight = signal;
    },
    get sentBytes() {
      return tally.bytes;
    },
  };
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
  const state = chunkState(host);
  let chunks = 0;
  for (let off = first; off < end; off += chunkBytes) {
    yield* recipe(host, req.file, off, Math.min(chunkBytes, end - off), pid, state);
    chunks++;
  }
  if (state.inFlight) yield wait(state.inFlight);
  const endNs = scheduler.now();
  // What left through the NIC, not what was asked for: a recipe that loses bytes shows here.
  const bytes = state.sentBytes;
  trace.record(endNs, "done", pid, endNs - startNs, bytes, req.file.id);
  return {fileId: req.file.id, pid, bytes, requestedBytes: Math.max(0, end - first), chunks, startNs, endNs, latencyNs: endNs - startNs};
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
