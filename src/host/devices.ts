/**
 * The host's devices: disk and NIC, each a {@link Resource} with the
 * service-time rule of its kind.
 *
 * DESIGN NOTE: how a disk serves several requests at once (device queue
 * depth). Think of a flash drive as a warehouse with several pickers (its
 * channels and dies) and one loading dock (the link to the host): every
 * order waits for a free picker, who walks to the shelf (the latency, and
 * for a spinning disk the seek), then waits for the dock, loads the boxes
 * (the transfer) and only then takes the next order. A hard disk is the same
 * warehouse with a single picker, the one head assembly.
 *
 * The exact rule, request by request, in arrival order (FIFO):
 *
 * - the device has `units = min(parallelism, queueDepth)` channels, the
 *   {@link Disk.resource}: `parallelism` is how many reads the medium serves
 *   at once (profile), `queueDepth` how many requests the host may have
 *   outstanding on it (NVMe queue entries or SATA NCQ tags, profile). Both
 *   waits are first come, first served, so a request waiting for a tag and
 *   one waiting inside the device for a die leave at the same time; only
 *   the smaller number limits;
 * - a request takes the first free channel at time t and holds it for
 *   `positionNs + linkWaitNs + transferNs`: `positionNs` is the latency (plus
 *   a seek unless it continues where the previous request ended; 0 for a
 *   spinning disk that continues: see {@link Disk.serviceNs}; the head moves
 *   when a channel takes the request); `transferNs = bytes / min(disk rate,
 *   DMA engine rate)`;
 * - the transfers share one link at the profile's `bytesPerNs` (the sequential
 *   rate is what all channels together can deliver): a transfer starts at
 *   max(t + positionNs, the end of the link's previous transfer), in the
 *   order requests took a channel, so `linkWaitNs` is that wait. The
 *   channel is held while its data waits for the link (a die keeps the page
 *   in its register until the channel drains it; a head cannot move while
 *   its sector passes under it).
 *
 * Consequences, each tested in test/host/devices.test.ts and
 * test/transfer/queueDepth.test.ts:
 *
 * - one request at a time (queue depth 1, or `parallelism` 1): the link is
 *   always free, so a request costs exactly `positionNs + transferNs` as
 *   before; an HDD (parallelism 1) is unchanged whatever the queue depth;
 * - with N requests outstanding on an SSD the latencies overlap and the
 *   throughput grows about N-fold, until the link saturates at `bytesPerNs`:
 *   small reads are latency-bound and gain most, large ones little;
 * - this model does not reorder: no elevator, no NCQ rotational-position
 *   scheduling, so a deeper queue on an HDD saves no seek; it only keeps the
 *   disk from idling between requests.
 */
import {Job, Resource} from "../engine/Resource.js";
import type {ProcessContext} from "../engine/process.js";
import type {TraceKind} from "../engine/trace.js";
import type {DiskProfile} from "./profiles.js";

/** Which of the profile's disks a simulation uses. */
export type DiskKind = "ssd" | "hdd";
export const diskKinds: readonly DiskKind[] = ["ssd", "hdd"];

/** One request to a {@link Disk}: read *bytes* at *offsetBytes* of *fileId*. */
export interface DiskRequest {
  fileId: string;
  offsetBytes: number;
  bytes: number;
  /** The slowest other stage the bytes cross (the DMA engine), bytes per ns; default none. */
  rateBytesPerNs?: number;
  /** The controller streams on from the previous request (programmed I/O after the first buffer): no positioning, the head stays. */
  streaming?: boolean;
  /** Booking category on the disk; default "dma". */
  tag?: string;
  /** Trace event recorded when a channel takes the request; default none. */
  traceKind?: TraceKind | null;
  /** Process charged in the trace. */
  pid?: number;
  /** Detail of the trace event ("disk→page-cache"...). */
  detail?: string;
  /** Called when the data has left the device, with the time, ns. */
  done: (timeNs: number) => void;
}

/**
 * Returns a disk that serves requests in arrival order on `min(parallelism,
 * queueDepth)` channels sharing one link (see the design note at the top of
 * this file). Each request pays the fixed latency and, unless it continues
 * where the previous request on the disk ended, a seek; then bytes at the
 * transfer rate. A spinning disk streaming sequentially pays neither latency
 * nor seek between back-to-back requests.
 *
 * ```ts
 * host.disk.submit({fileId: "f", offsetBytes: 0, bytes: 64 * KiB, done: (t) => console.log(t)});
 * ```
 */
export class Disk {
  /** The channels: one unit per request in service; busy time is the channels' (latency, link wait, transfer). */
  readonly resource: Resource;
  /** File and byte where the last request ended ("head position"). */
  private headFile = "";
  private headByte = -1;
  /** Requests that paid a seek. */
  seeks = 0;
  /** Requests waiting for a channel (host queue and device queue, FIFO), from `pendingHead` on. */
  private pending: Array<DiskRequest | null> = [];
  private pendingHead = 0;
  /** Virtual time the link's last booked transfer ends, ns. */
  private linkFreeNs = 0;
  /** Time the link spent transferring, ns. */
  linkBusyNs = 0;
  /** Time requests held a channel waiting for the link, ns. */
  linkWaitNs = 0;
  /** Most requests ever in service at once. */
  maxInService = 0;

  constructor(
    private readonly sim: ProcessContext,
    readonly kind: DiskKind,
    readonly profile: DiskProfile,
  ) {
    this.resource = new Resource(sim, `disk-${kind}`, Math.min(profile.parallelism, profile.queueDepth));
  }

  /**
   * Returns the time from a channel taking a read of *bytes* at *offsetBytes*
   * of *fileId* to its first byte, ns (latency, and a seek unless it
   * continues; 0 for a spinning disk that continues), and moves the head.
   */
  positionNs(fileId: string, offsetBytes: number, bytes: number): number {
    const continues = fileId === this.headFile && offsetBytes === this.headByte;
    this.headFile = fileId;
    this.headByte = offsetBytes + bytes;
    if (continues && this.kind === "hdd") return 0;
    if (!continues && this.profile.seekNs > 0) this.seeks++;
    return this.profile.latencyNs + (continues ? 0 : this.profile.seekNs);
  }

  /** Returns the service time of reading *bytes* at *offsetBytes* of *fileId* alone on the disk, ns, and moves the head. */
  serviceNs(fileId: string, offsetBytes: number, bytes: number, rateBytesPerNs = this.profile.bytesPerNs): number {
    return this.positionNs(fileId, offsetBytes, bytes) + bytes / Math.min(rateBytesPerNs, this.profile.bytesPerNs);
  }

  /** Queues *request*; it starts as soon as a channel is free, in arrival order. */
  submit(request: DiskRequest): void {
    this.pending.push(request);
    this.pump();
  }

  /** Requests waiting for a channel. */
  get queued(): number {
    return this.pending.length - this.pendingHead;
  }

  /** Starts waiting requests while channels are free. */
  private pump(): void {
    const resource = this.resource;
    while (this.pendingHead < this.pending.length && resource.busyUnits < resource.units) {
      const request = this.pending[this.pendingHead]!;
      this.pending[this.pendingHead++] = null;
      if (this.pendingHead === this.pending.length) {
        this.pending.length = 0;
        this.pendingHead = 0;
      }
      this.start(request);
    }
  }

  /** A channel takes *r* now: position, wait for the link, transfer (the rule at the top of this file). */
  private start(r: DiskRequest): void {
    const now = this.sim.scheduler.now();
    const positionNs = r.streaming ? 0 : this.positionNs(r.fileId, r.offsetBytes, r.bytes);
    const transferNs = r.bytes / Math.min(r.rateBytesPerNs ?? Infinity, this.profile.bytesPerNs);
    const readyNs = now + positionNs;
    const linkWaitNs = this.linkFreeNs > readyNs ? this.linkFreeNs - readyNs : 0;
    const ns = positionNs + linkWaitNs + transferNs;
    // The scheduler finishes the job at now + ns: the same sum, so a lone request never waits on itself.
    this.linkFreeNs = now + ns;
    this.linkBusyNs += transferNs;
    this.linkWaitNs += linkWaitNs;
    const job = new Job(this.resource, ns, r.tag ?? "dma", () => {
      // The freed channel takes the next request before the completion is announced, as a Resource starts its next job.
      this.pump();
      r.done(this.sim.scheduler.now());
    }, r.traceKind ?? null, r.pid ?? 0, r.bytes, r.detail ?? "");
    this.resource.submit(job);
    if (this.resource.busyUnits > this.maxInService) this.maxInService = this.resource.busyUnits;
  }
}

/** Returns a NIC: one transmit DMA at a time at line rate. */
export class Nic {
  readonly resource: Resource;
  constructor(
    sim: ProcessContext,
    /** Line rate, bytes per ns. */
    readonly bytesPerNs: number,
    /** Whether it can gather from several buffers (SG-DMA). */
    readonly scatterGather: boolean,
  ) {
    this.resource = new Resource(sim, "nic", 1);
  }

  /** Returns the time to put *bytes* on the wire, ns. */
  txNs(bytes: number): number {
    return bytes / this.bytesPerNs;
  }
}
