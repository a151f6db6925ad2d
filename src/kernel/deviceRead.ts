/**
 * Reading from a device with and without DMA (DMA 技术).
 *
 * Without DMA (programmed I/O): the CPU tells the disk controller what to
 * read and returns; the controller fills its small internal buffer and
 * raises an interrupt; the CPU then moves that buffer into memory one word
 * at a time through its registers and can do nothing else meanwhile; repeat
 * until done. With DMA: the CPU programs the DMA controller once; the
 * controller moves everything into memory by itself and raises one
 * interrupt at the end; the CPU is free the whole time.
 */
import {Signal, wait, type ProcessBody} from "../engine/process.js";
import type {Host} from "../host/Host.js";
import {syscall} from "./syscall.js";

/** Returns a process body that reads *bytes* from the disk by programmed I/O, inside a read(2). */
export function* pioRead(host: Host, bytes: number, pid: number, fileId = "device"): ProcessBody<void> {
  const buf = host.disk.profile.controllerBufferBytes;
  const rate = host.disk.profile.pioBytesPerNs;
  yield* syscall(host, "read", function* () {
    // One command to the controller for the whole read (ATA READ MULTIPLE), as a DMA read is programmed once.
    yield* host.driverCommand();
    for (let off = 0; off < bytes; off += buf) {
      const n = Math.min(buf, bytes - off);
      // The controller fills its buffer: the first fill pays latency and seek, the rest stream on; then it
      // raises an interrupt, and the CPU drains the buffer before the next fill.
      const ready = new Signal<number>();
      host.disk.submit({
        fileId,
        offsetBytes: off,
        bytes: n,
        streaming: off !== 0,
        tag: "fill",
        traceKind: "device-io",
        pid,
        detail: "disk→controller-buffer",
        done: () => host.interrupt(host.disk.resource.name, () => ready.fire(host.sim.scheduler.now())),
      });
      yield wait(ready);
      yield host.cpuWork(n / rate, "pio-copy", "pio-copy", n, "controller-buffer→memory");
    }
  });
}

/** Returns a process body that reads *bytes* from the disk by DMA, inside a read(2). */
export function* dmaRead(host: Host, bytes: number, pid: number, fileId = "device"): ProcessBody<void> {
  yield* syscall(host, "read", function* () {
    yield wait(yield* host.diskDma(fileId, 0, bytes, "disk→memory", pid));
  });
}
