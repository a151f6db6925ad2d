/**
 * The host's devices: disk and NIC, each a {@link Resource} with the
 * service-time rule of its kind.
 */
import {Resource} from "../engine/Resource.js";
import type {ProcessContext} from "../engine/process.js";
import type {DiskProfile} from "./profiles.js";

/** Which of the profile's disks a simulation uses. */
export type DiskKind = "ssd" | "hdd";
export const diskKinds: readonly DiskKind[] = ["ssd", "hdd"];

/**
 * Returns a disk: one request at a time; each pays the fixed latency and,
 * unless it continues where the previous request on the disk ended, a seek;
 * then bytes at the transfer rate. A spinning disk streaming sequentially
 * pays neither latency nor seek between back-to-back requests.
 */
export class Disk {
  readonly resource: Resource;
  /** File and byte where the last request ended ("head position"). */
  private headFile = "";
  private headByte = -1;
  /** Requests that paid a seek. */
  seeks = 0;

  constructor(sim: ProcessContext, readonly kind: DiskKind, readonly profile: DiskProfile) {
    this.resource = new Resource(sim, `disk-${kind}`, 1);
  }

  /** Returns the service time of reading *bytes* at *offsetBytes* of *fileId*, ns, and moves the head. */
  serviceNs(fileId: string, offsetBytes: number, bytes: number, rateBytesPerNs = this.profile.bytesPerNs): number {
    const continues = fileId === this.headFile && offsetBytes === this.headByte;
    this.headFile = fileId;
    this.headByte = offsetBytes + bytes;
    const transferNs = bytes / Math.min(rateBytesPerNs, this.profile.bytesPerNs);
    if (continues && this.kind === "hdd") return transferNs;
    if (!continues && this.profile.seekNs > 0) this.seeks++;
    return this.profile.latencyNs + (continues ? 0 : this.profile.seekNs) + transferNs;
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
