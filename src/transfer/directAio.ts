/**
 * Asynchronous + direct I/O (异步 I/O + 直接 I/O), then write: the seed's
 * path for large files (大文件传输).
 *
 * Like dropping film off at a lab: you hand it in (io_submit returns at
 * once), go about your errands (the process does other work), and collect
 * the prints when the lab calls (a completion arrives as an event; the
 * process reaps it with io_getevents). With direct I/O the lab delivers
 * straight into your own album (the user buffer): the page cache is never
 * touched, so nothing else gets pushed out of it, but there is no readahead
 * and no merging either: each chunk is its own disk request.
 *
 * Per chunk, in steady state: io_submit (the next chunk's read), a disk→user
 * DMA and its interrupt, io_getevents, then write(2): a CPU copy
 * user→socket-buffer and a socket-buffer→NIC DMA. Six mode switches, two
 * DMA copies, one CPU copy, three system calls. With **aio** off the read is
 * a plain blocking read(2) on an O_DIRECT file: four mode switches.
 */
import {concatMap, Subject, type OperatorFunction} from "rxjs";
import {Signal, spawn, wait, type ProcessBody} from "../engine/process.js";
import type {Host} from "../host/Host.js";
import {InputError} from "../errors.js";
import {directRead, directSubmit} from "../kernel/directIo.js";
import type {FileRef} from "../mm/pageCache.js";
import {syscall} from "../kernel/syscall.js";
import {KiB} from "../units.js";
import {checkChunkBytes, type FileRequest, type Transfer} from "./internal/transferCore.js";
import {SocketPaths, type LinkOptions} from "./internal/socketPath.js";

/** One completed asynchronous read, as io_getevents reports it. */
export interface AioEvent {
  fileId: string;
  pid: number;
  offsetBytes: number;
  bytes: number;
  /** Virtual time io_submit handed it to the disk, ns. */
  submittedNs: number;
  /** Virtual time its interrupt was handled, ns. */
  completedNs: number;
}

/**
 * Returns a host's asynchronous-I/O context (Linux's `io_setup`): reads are
 * submitted without blocking and every completion is emitted on
 * **completions$**, the stream a Proactor would dispatch from.
 *
 * ```ts
 * const aio = aioContext(host);
 * aio.completions$.subscribe((e) => console.log(e.completedNs));
 * ```
 */
export class AioContext {
  /** Every completed read, when its interrupt has been handled. */
  readonly completions$ = new Subject<AioEvent>();
  /** Reads submitted. */
  submitted = 0;
  /** Reads completed. */
  completed = 0;

  constructor(readonly host: Host) {}

  /**
   * Returns a process body for io_submit(2) of one direct read: two mode
   * switches, the DMA started, and back to the caller at once. Its result is
   * a signal fired with the completion.
   */
  *submit(file: FileRef, offsetBytes: number, bytes: number, pid: number): ProcessBody<Signal<AioEvent>> {
    const done = new Signal<AioEvent>();
    yield* syscall(this.host, "io_submit", () => this.start(file, offsetBytes, bytes, pid, done));
    return done;
  }

  private *start(file: FileRef, offsetBytes: number, bytes: number, pid: number, done: Signal<AioEvent>): ProcessBody<void> {
    const submittedNs = this.host.sim.scheduler.now();
    this.submitted++;
    (yield* directSubmit(this.host, file, offsetBytes, bytes, pid)).then((completedNs) => {
      const event: AioEvent = {fileId: file.id, pid, offsetBytes, bytes, submittedNs, completedNs};
      this.completed++;
      this.completions$.next(event);
      done.fire(event);
    });
  }

  /** Returns a process body for io_getevents(2) on *completion*: blocks (inside the call) until it has fired. */
  *getEvents(completion: Signal<AioEvent>): ProcessBody<AioEvent> {
    yield* syscall(this.host, "io_getevents", function* () {
      if (!completion.fired) yield wait(completion);
    });
    return completion.value as AioEvent;
  }
}

const contexts = new WeakMap<Host, AioContext>();

/** Returns *host*'s {@link AioContext}, created on first use. */
export function aioContext(host: Host): AioContext {
  let ctx = contexts.get(host);
  if (!ctx) contexts.set(host, (ctx = new AioContext(host)));
  return ctx;
}

/** Options for the {@link directAio} strategy. */
export interface DirectAioOptions extends LinkOptions {
  /** Bytes per read and per write; default 64 KiB; a multiple of 512 (O_DIRECT). */
  chunkBytes?: number;
  /** Asynchronous reads (io_submit/io_getevents); default true. False: blocking read(2) on O_DIRECT. */
  aio?: boolean;
  /** Reads kept in flight (queue depth); default 2 (double buffering). */
  depth?: number;
  /** Other user work the process does per chunk while its read is in flight, ns; default 0. */
  userWorkNs?: number;
}

/** Returns *o* with defaults filled in, checked. */
export function directAioDefaults(o: DirectAioOptions = {}): Required<Omit<DirectAioOptions, keyof LinkOptions>> {
  const chunkBytes = checkChunkBytes(o.chunkBytes ?? 64 * KiB);
  if (chunkBytes % 512 !== 0) throw new InputError("chunkBytes", String(chunkBytes), "a multiple of 512 bytes (O_DIRECT alignment)");
  const depth = o.depth ?? 2;
  if (!(Number.isSafeInteger(depth) && depth >= 1)) throw new InputError("depth", String(depth), "an integer ≥ 1");
  const userWorkNs = o.userWorkNs ?? 0;
  if (!(Number.isFinite(userWorkNs) && userWorkNs >= 0)) throw new InputError("userWorkNs", String(userWorkNs), "a number of ns ≥ 0");
  return {chunkBytes, aio: o.aio ?? true, depth, userWorkNs};
}

/** Returns the process body of one whole transfer by (asynchronous) direct reads and write(2). */
export function* directAioBody(host: Host, req: FileRequest, options: ReturnType<typeof directAioDefaults>, paths: SocketPaths): ProcessBody<Transfer> {
  const {scheduler, trace} = host.sim;
  const {chunkBytes, aio, depth, userWorkNs} = options;
  const ctx = aioContext(host);
  const pid = req.pid ?? 1;
  const file = req.file;
  const startNs = scheduler.now();
  const first = req.offsetBytes ?? 0;
  const end = Math.min(file.sizeBytes, first + (req.bytes ?? file.sizeBytes - first));
  const offsets: number[] = [];
  for (let off = first; off < end; off += chunkBytes) offsets.push(off);
  const sink = paths.open(pid);
  /** Completions of submitted reads, by chunk index. */
  const reads: Array<Signal<AioEvent>> = [];
  const submitNext = function* (): ProcessBody<void> {
    const i = reads.length;
    reads.push(yield* ctx.submit(file, offsets[i], Math.min(chunkBytes, end - offsets[i]), pid));
  };
  for (let i = 0; i < offsets.length; i++) {
    const n = Math.min(chunkBytes, end - offsets[i]);
    if (aio) {
      while (reads.length < Math.min(offsets.length, i + depth)) yield* submitNext();
      if (userWorkNs > 0) yield host.cpuWork(userWorkNs, "user", "user", 0, "other work");
      yield* ctx.getEvents(reads[i]);
    } else {
      if (userWorkNs > 0) yield host.cpuWork(userWorkNs, "user", "user", 0, "other work");
      yield* directRead(host, file, offsets[i], n, pid);
    }
    yield* syscall(host, "write", () => sink.write(n, {copyFrom: "user"}));
  }
  yield* sink.finish();
  const endNs = scheduler.now();
  // What was delivered (see SocketSink), not the request's range.
  const bytes = sink.deliveredBytes;
  trace.record(endNs, "done", pid, endNs - startNs, bytes, file.id);
  return {
    fileId: file.id,
    pid,
    bytes,
    requestedBytes: Math.max(0, end - first),
    chunks: offsets.length,
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

/**
 * Returns an operator that serves each file request with asynchronous
 * direct reads (io_submit / io_getevents, **depth** reads in flight) and
 * write(2), one chunk of **chunkBytes** (default 64 KiB) at a time; the page
 * cache is left untouched. With **aio** false, blocking O_DIRECT reads.
 * **userWorkNs** is other work the process does while each read is in flight.
 *
 * ```ts
 * requests$.pipe(directAio(host, {chunkBytes: 512 * KiB}))
 * ```
 * @see sendfile @see nginxPolicy
 */
export function directAio(host: Host, options: DirectAioOptions = {}): OperatorFunction<FileRequest, Transfer> {
  const o = directAioDefaults(options);
  const paths = new SocketPaths(host, options);
  return concatMap((req) => spawn(host.sim, req.pid ?? 1, () => directAioBody(host, req, o, paths)));
}
