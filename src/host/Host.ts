/**
 * The host: CPU cores, DMA, a disk, a NIC and memory, priced by a
 * {@link Profile}.
 *
 * Think of a small workshop: a few workers (cores) who can do anything but
 * are expensive, and a delivery van per device (its DMA controller) that
 * carries goods between the devices and the storeroom (memory) on its own,
 * then rings a bell (an interrupt) that a worker must answer. Everything the
 * host does books time on a {@link Resource} and appends to the trace.
 *
 * DMA completions and interrupts are RxJS streams: `host.dmaCompletions$`
 * emits each finished DMA transfer; the host's interrupt handler, which is a
 * subscriber of that stream, books the IRQ on a core and emits on
 * `host.interrupts$` before waking whoever waited.
 */
import {Subject} from "rxjs";
import {Job, Resource} from "../engine/Resource.js";
import {Signal, use, type ProcessBody, type UseCommand} from "../engine/process.js";
import type {Sim} from "../engine/sim.js";
import type {TraceKind} from "../engine/trace.js";
import {PageCache, type PageCacheOptions} from "../mm/pageCache.js";
import {Disk, Nic, type DiskKind} from "./devices.js";
import {copyNs, pageCacheCopyBytesPerNs, timeSliceNs, type Profile} from "./profiles.js";

/** A finished DMA transfer. */
export interface DmaCompletion {
  /** Device that did it ("disk-ssd", "nic"). */
  device: string;
  /** Bytes moved. */
  bytes: number;
  /** From→to, e.g. "disk→page-cache". */
  detail: string;
  /** Virtual time it finished, ns. */
  timeNs: number;
  /** Fired once the interrupt for it has been handled. */
  signal: Signal<number>;
}

/** A handled interrupt. */
export interface Interrupt {
  /** Raising device. */
  device: string;
  /** Virtual time the handler finished, ns. */
  timeNs: number;
}

/** Options of {@link Host}. */
export interface HostOptions {
  /** Which of the profile's disks to use; default "ssd". */
  disk?: DiskKind;
  /** Override the profile's core count. */
  cores?: number;
  /** Override the NIC's scatter-gather capability. */
  scatterGather?: boolean;
  /** Page-cache capacity, bytes; default the profile's `memory.pageCacheBytes`. */
  cacheBytes?: number;
  /** Readahead window, bytes; default 0 (the seed's per-chunk counts assume none). */
  readaheadBytes?: number;
  /** Fixed (the seed's, default) or adaptive (Linux's) readahead window. */
  readaheadWindow?: PageCacheOptions["window"];
  /** Plain LRU (default) or Linux's active/inactive lists. */
  cacheLists?: PageCacheOptions["lists"];
  /** Adaptive readahead windows follow large folios' orders (Linux 6.18 on a file system with large folios); default false. */
  readaheadFolios?: boolean;
}

/** Returns a simulated machine built from *profile* inside *sim*. */
export class Host {
  /** CPU cores; busy time booked by category. */
  readonly cpu: Resource;
  readonly disk: Disk;
  readonly nic: Nic;
  /** The kernel's page cache. */
  readonly pageCache: PageCache;
  /** Every DMA transfer as it completes. */
  readonly dmaCompletions$ = new Subject<DmaCompletion>();
  /** Every interrupt once handled. */
  readonly interrupts$ = new Subject<Interrupt>();

  constructor(
    readonly sim: Sim,
    readonly profile: Profile,
    options: HostOptions = {},
  ) {
    this.cpu = new Resource(sim, "cpu", options.cores ?? profile.cpu.cores);
    // Processes are tasks: a core switching between them pays the profile's task switch (see Resource.scheduleTasks).
    this.cpu.scheduleTasks({switchNs: profile.cpu.taskSwitchNs, sliceNs: timeSliceNs(profile, this.cpu.units), ipiNs: profile.cpu.ipiNs, ipiSendNs: profile.cpu.ipiSendNs, idlePolls: profile.cpu.idlePolls, idleExitNs: profile.cpu.idleExitNs, idleExitCurve: profile.cpu.idleExitCurve, idleResidencyNs: profile.cpu.idleResidencyNs});
    const diskKind = options.disk ?? "ssd";
    this.disk = new Disk(sim, diskKind, profile.disks[diskKind]);
    this.nic = new Nic(sim, profile.nic.bytesPerNs, options.scatterGather ?? profile.nic.scatterGather);
    this.pageCache = new PageCache({
      capacityPages: Math.floor((options.cacheBytes ?? profile.memory.pageCacheBytes) / profile.memory.pageBytes),
      pageBytes: profile.memory.pageBytes,
      readaheadBytes: options.readaheadBytes ?? 0,
      window: options.readaheadWindow,
      lists: options.cacheLists,
      folioOrders: options.readaheadFolios,
    });
    // The interrupt handler: every DMA completion costs a core irqNs.
    this.dmaCompletions$.subscribe((c) => this.cpu.submit(irqJob(this, c.device, null, c.signal, c.timeNs), true));
  }

  /** Returns a command to run *ns* of CPU work booked as *category*. */
  cpuWork(ns: number, category: string, traceKind: TraceKind | null = null, bytes = 0, detail = ""): UseCommand {
    return use(this.cpu, ns, category, traceKind, bytes, detail);
  }

  /** Returns a command for one user↔kernel transition. */
  modeSwitch(detail: string): UseCommand {
    return this.cachedCpuWork(this.profile.cpu.modeSwitchNs, "mode-switch", "mode-switch", detail);
  }

  /** Returns the command of a system call's entry work (`cpu.syscallNs`, booked "syscall"), *name* its detail. */
  syscallEntry(name: string): UseCommand {
    return this.cachedCpuWork(this.profile.cpu.syscallNs, "syscall", "syscall", name);
  }

  /**
   * Commands that every system call yields with the same fields (mode
   * switches, syscall entry), by category and detail. A command is
   * immutable (the engine copies its fields when the process yields it), so
   * one object serves every yield: a busy event loop makes millions of these.
   */
  private readonly commandCache = new Map<string, Map<string, UseCommand>>();

  /** Returns a shared command for *ns* of CPU booked as *category*, made once per (category, detail) and remade if *ns* changed. */
  private cachedCpuWork(ns: number, category: string, traceKind: TraceKind, detail: string): UseCommand {
    let byDetail = this.commandCache.get(category);
    if (byDetail === undefined) this.commandCache.set(category, (byDetail = new Map()));
    let cmd = byDetail.get(detail);
    if (cmd === undefined || cmd.ns !== ns) byDetail.set(detail, (cmd = use(this.cpu, ns, category, traceKind, 0, detail)));
    return cmd;
  }

  /**
   * Returns the command of a page-cache read's own per-call work
   * (`memory.fileReadCallNs`, booked "syscall" with detail "filemap_read"),
   * or null when the profile does not price it: what a read(2) of a regular
   * file costs beyond a short descriptor call and its page look-ups.
   */
  fileReadCall(): UseCommand | null {
    const ns = this.profile.memory.fileReadCallNs ?? 0;
    return ns > 0 ? this.cachedCpuWork(ns, "syscall", "syscall", "filemap_read") : null;
  }

  /**
   * Returns a command for a CPU copy of *bytes* between memory buffers
   * (`detail`: from→to), priced by the profile's copy curve at the memory
   * the copy streams through ({@link copyNs}): its own size (a buffer that
   * stays in this core's caches), or *streamBytes*; `fromMemory` for a copy
   * out of the page cache or into or out of socket buffers, which are not in
   * this core's caches.
   */
  cpuCopy(bytes: number, detail: string, streamBytes = bytes): UseCommand {
    return use(this.cpu, copyNs(this.profile, bytes, streamBytes), "cpu-copy", "cpu-copy", bytes, detail);
  }

  /**
   * Returns a command for a CPU copy of *bytes* out of the warm page-cache
   * pages of a file of *fileBytes* into a buffer that stays cached
   * (`detail`: from→to), at {@link pageCacheCopyBytesPerNs}: a file that fits
   * in the caches copies faster than one whose pages stream from memory.
   */
  pageCacheCopy(bytes: number, detail: string, fileBytes: number): UseCommand {
    return use(this.cpu, bytes > 0 ? bytes / pageCacheCopyBytesPerNs(this.profile, bytes, fileBytes) : 0, "cpu-copy", "cpu-copy", bytes, detail);
  }

  /** Raises an interrupt from *device*: a core handles it (ahead of queued work), then *then* runs. */
  interrupt(device: string, then: () => void): void {
    this.cpu.submit(irqJob(this, device, then, null, 0), true);
  }

  /**
   * Returns a process body for the driver programming a device for one
   * request: building the descriptor (an NVMe command and its PRP list, an
   * AHCI command slot, a NIC TX descriptor, or an ATA command's task-file
   * registers under programmed I/O) and ringing the device's doorbell is
   * code on a core, in the context of the process that asked (Linux:
   * nvme_queue_rq → nvme_prep_rq, then nvme_write_sq_db's writel of the tail
   * doorbell, in drivers/nvme/host/pci.c). It costs the profile's
   * `dma.setupNs`, booked under "driver"; the device works on its own after.
   */
  *driverCommand(): ProcessBody<void> {
    const setup = this.driverSetup();
    if (setup !== null) yield setup;
  }

  /** The command of {@link Host.driverCommand}'s work (one shared object), or null when the profile's `dma.setupNs` is 0. */
  driverSetup(): UseCommand | null {
    const ns = this.profile.dma.setupNs;
    if (ns <= 0) return null;
    if (this.driverSetupCmd === null || this.driverSetupCmd.ns !== ns) this.driverSetupCmd = use(this.cpu, ns, "driver");
    return this.driverSetupCmd;
  }
  private driverSetupCmd: UseCommand | null = null;

  /**
   * Hands a programmed transfer of *bytes* to *device*: *deviceNs* of device
   * time (at least the bus time), no CPU until its interrupt; returns a
   * signal fired when that interrupt has been handled.
   */
  private startDma(device: Resource, deviceNs: number, bytes: number, detail: string, pid: number): Signal<number> {
    const signal = new Signal<number>();
    const ns = Math.max(deviceNs, bytes / this.profile.dma.bytesPerNs);
    device.submit(dmaJob(this, device, ns, pid, bytes, detail, signal));
    return signal;
  }

  /**
   * Returns a process body that reads *bytes* at *offsetBytes* of *fileId*
   * from the disk into memory by DMA (*detail*: "disk→page-cache"...): the
   * driver's set-up on a core ({@link Host.driverCommand}), then the disk's
   * service time, several requests overlapping on a disk with parallel
   * channels ({@link Disk.submit}); its result is a signal fired when the interrupt has been
   * handled. The caller goes on at once after the set-up.
   *
   * ```ts
   * yield wait(yield* host.diskDma("f", 0, 64 * KiB, "disk→page-cache", pid));
   * ```
   */
  *diskDma(fileId: string, offsetBytes: number, bytes: number, detail: string, pid = 0): ProcessBody<Signal<number>> {
    yield* this.driverCommand();
    // The request reaches the disk after the set-up; the disk queues it for a channel (see devices.ts), and its
    // head moves when a channel takes it. The bytes cross the slower of the disk's link and the DMA engine.
    const signal = new Signal<number>();
    const device = this.disk.resource.name;
    this.disk.submit({
      fileId,
      offsetBytes,
      bytes,
      rateBytesPerNs: this.profile.dma.bytesPerNs,
      tag: "dma",
      traceKind: "dma-copy",
      pid,
      detail,
      done: (timeNs) => this.dmaCompletions$.next({device, bytes, detail, timeNs, signal}),
    });
    return signal;
  }

  /**
   * Returns a process body that sends *bytes* from memory to the NIC by DMA
   * (*detail*: "socket-buffer→nic"...): the driver's set-up on a core, then
   * the wire time; its result is a signal fired when the interrupt has been
   * handled.
   */
  *nicDma(bytes: number, detail: string, pid = 0): ProcessBody<Signal<number>> {
    yield* this.driverCommand();
    return this.startNicDma(bytes, detail, pid);
  }

  /** The device part of {@link Host.nicDma}, for a caller that has yielded {@link Host.driverSetup} itself (one generator fewer per packet). */
  startNicDma(bytes: number, detail: string, pid = 0): Signal<number> {
    return this.startDma(this.nic.resource, this.nic.txNs(bytes), bytes, detail, pid);
  }
}

/**
 * Returns an interrupt handler's run on a core (`cpu.irqNs`, booked "irq"):
 * when it ends, {@link Host.interrupts$} hears of it, then *then* runs or
 * *signal* fires with *value*. A plain {@link Job} with a `done` function
 * rather than closures or a subclass: a busy NIC raises one per packet.
 */
function irqJob(host: Host, device: string, then: (() => void) | null, signal: Signal<number> | null, value: number): Job {
  const job = new Job(host.cpu, host.profile.cpu.irqNs, "irq", irqEnded, "irq", 0, 0, device);
  job.a = host;
  job.b = then ?? signal;
  job.n = value;
  return job;
}

function irqEnded(job: Job): void {
  const host = job.a as Host;
  // The event object is made only for someone listening.
  if (host.interrupts$.observed) host.interrupts$.next({device: job.detail, timeNs: host.sim.scheduler.now()});
  if (typeof job.b === "function") (job.b as () => void)();
  else (job.b as Signal<number>).fire(job.n);
}

/** Returns a device's DMA transfer (booked "dma", traced "dma-copy"): when it ends, {@link Host.dmaCompletions$} emits its completion. */
function dmaJob(host: Host, device: Resource, ns: number, pid: number, bytes: number, detail: string, signal: Signal<number>): Job {
  const job = new Job(device, ns, "dma", dmaEnded, "dma-copy", pid, bytes, detail);
  job.a = host;
  job.b = signal;
  return job;
}

function dmaEnded(job: Job): void {
  const host = job.a as Host;
  host.dmaCompletions$.next({device: job.resource.name, bytes: job.bytes, detail: job.detail, timeNs: host.sim.scheduler.now(), signal: job.b as Signal<number>});
}
