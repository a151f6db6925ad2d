/**
 * From measurements to a profile: only the numbers a probe measures
 * directly become profile fields; everything else stays in the sidecar.
 */
import {idleGapsUs, idleWakeRow, busyWarning, congestionWarning, idlePolls, type Calibration, type Measurement} from "./calibrate.js";
import {parseProfile} from "../host/profiles.js";
import {fitFileRead} from "./fileRead.js";
import {fitLoopback, loopbackFitBytes, perSkbFields, tcpSizeName, type LoopbackFit} from "./loopback.js";
import {significant} from "./spread.js";

/** One profile number set from a measurement. */
export interface ProfileOverride {
  /** Dotted path in the profile, e.g. `cpu.modeSwitchNs`. */
  path: string;
  /** The value written: a number, `cpu.idlePolls`'s boolean, or for `memory.copyCurve` and `memory.pageCacheCopyCurve` their [bytes, bytesPerNs] points. */
  value: number | boolean | Array<[number, number]>;
  /** Its `sources` entry: how it was measured, the median and the spread, the date and the machine. */
  source: string;
}

/** How a measured row becomes a profile field. */
interface FieldRule {
  path: string;
  /** The row, `probe/case`. */
  row: string;
  /** What the probe does and why it is this field, for the source entry. */
  how: string;
  /** Whether a median of 0 is a measurement (a cost the machine does not pay), not a failure that keeps the base's number. */
  zeroMeasured?: boolean;
}

/** The profile fields a calibration sets, from which rows. */
const fieldRules: FieldRule[] = [
  {
    path: "cpu.modeSwitchNs",
    row: "syscall/mode switch (null / 2)",
    how:
      "Half of a null system call round trip: syscall(SYS_getppid) in a C loop, 1000 calls per sample. " +
      "A null call is two mode switches (user→kernel, kernel→user) plus the kernel's minimal entry and exit work " +
      "(and any speculation mitigations on that path); all of it is booked here as the two switches",
  },
  {
    path: "cpu.syscallNs",
    row: "syscall/entry work of a short fd call (read1 − null)",
    how:
      "The extra kernel work of a short call that takes a descriptor: read(2) of 1 byte from /dev/zero minus the null call " +
      "(lmbench lat_syscall read vs null), each run's pair measured back to back; the 1-byte copy is included and negligible",
  },
  {
    path: "cpu.taskSwitchNs",
    row: "taskswitch/task switch",
    how:
      "Pipe ping-pong between two processes pinned to one CPU with sched_setaffinity (200 round trips per sample): " +
      "(round trip − 2 × a non-blocking pipe write+read pair measured in the same run) ÷ 2. Includes the wake-up and the " +
      "scheduler's pick, and the cache effects of a small working set",
  },
  {
    path: "memory.copyBytesPerNs",
    row: "memcpy/64MiB",
    how:
      "Single-thread memcpy of a 64 MiB buffer to another (larger than the caches: streaming from memory), one copy per sample; " +
      "the 4 KiB and 256 KiB in-cache rates are in the measurements file",
  },
  {
    path: "memory.copyFromMemoryBytesPerNs",
    row: "memcpy/from memory into 1MiB",
    how:
      "A 64 MiB source read once in 1 MiB chunks, each copied into the same 1 MiB buffer page by page as the kernel's copy_to_user " +
      "copies page-cache pages (rep movsb on x86-64, memcpy elsewhere), one pass per sample: only the source streams from memory",
  },
  {
    path: "memory.tlbMissNs",
    row: "mmap/touch a populated mapping, per page",
    how:
      "A warm file mapped with MAP_POPULATE (every page table entry already set), then one byte read per page, the whole file per sample: " +
      "each page's first access misses the TLB and walks the page tables (on a guest with shadow page tables, an exit to the hypervisor too)",
  },
  {
    path: "memory.faultMapPageNs",
    row: "mmap/MAP_POPULATE, per page",
    how:
      "mmap(2) of a warm file with MAP_POPULATE, per page, the whole file per sample: the kernel maps every page (filemap_map_pages, fault-around " +
      "windows) without a trap, so this is the fault path's work per page mapped; mmapWrite books it per page of each fault's window",
  },
  {
    path: "memory.pageFaultNs",
    row: "mmap/fault entry and exit",
    how:
      "What a fault costs beyond mapping its window: a fresh mapping of a warm file touched one byte per page, less the same touches on a populated " +
      "mapping (the TLB misses) and MAP_POPULATE's mapping work, per page, times the 16 pages of a fault-around window (exception entry and exit, " +
      "the walk to the PTE table), each run's three rows taken together and clamped at 0",
    zeroMeasured: true,
  },
  {
    path: "memory.unmapPageNs",
    row: "mmap/munmap, per page",
    how:
      "munmap(2) of the populated mapping of a warm file, per page, the whole file per sample: zap_pte_range over every page and one full local TLB " +
      "flush (the mapping is far above tlb_single_page_flush_ceiling), the flush a negligible share",
  },
  {
    path: "memory.splicePageNs",
    row: "splice/sendfile to /dev/null, per page",
    how:
      "sendfile(2) of a warm file to /dev/null, per page, the whole file per sample: filemap_splice_read() looks the folios up in batches and puts each " +
      "into the internal pipe with a reference, and the null device's splice_write drops them; no copy and no socket, so what a sendfile round " +
      "pays per page on the page cache's side",
  },
  {
    path: "uring.sqeNs",
    row: "uring/per SQE",
    how:
      "One io_uring_enter submitting and waiting for 32 NOPs against one with 1 NOP, raw system calls on a 64-entry ring, 200 enters per sample: " +
      "(32-NOP enter − 1-NOP enter) ÷ 31, each run's pair measured back to back",
  },
  {
    path: "uring.pollArmNs",
    row: "uring/poll armed and fired",
    how:
      "A round of submit, pipe write, wait and drain with an IORING_OP_POLL_ADD armed on an empty pipe (fired by the write) " +
      "against the same round with a NOP, 200 rounds per sample",
  },
];

/** The memcpy probe's sizes (its rows `memcpy/SIZE`), smallest first: the points of `memory.copyCurve`. */
export const copyCurveSizes = ["4KiB", "64KiB", "256KiB", "8MiB", "64MiB"] as const;

/** Returns the bytes of a probe size name (`4KiB`, `8MiB`). */
function sizeBytes(name: string): number {
  const m = /^(\d+)(B|KiB|MiB)$/.exec(name);
  return m ? Number(m[1]) * (m[2] === "B" ? 1 : m[2] === "KiB" ? 1024 : 1024 * 1024) : NaN;
}

/**
 * Returns the `memory.copyCurve` override from the memcpy rows: one
 * [bytes, bytesPerNs] point per size measured with a finite positive
 * median (at least two, else none), with each point's spread in the source.
 */
function copyCurveOverride(cal: Calibration, where: string): ProfileOverride | null {
  const points: Array<[number, number]> = [];
  const shownPoints: string[] = [];
  let runs = 0;
  for (const size of copyCurveSizes) {
    const m = cal.measured.find((r) => r.probe === "memcpy" && r.case === size);
    if (!m || m.median === undefined || m.low === undefined || m.high === undefined || !Number.isFinite(m.median) || m.median <= 0) continue;
    points.push([sizeBytes(size), significant(m.median)]);
    shownPoints.push(`${size} ${shown(m.median, m.unit)} (${significant(m.low)}–${significant(m.high)})`);
    runs = Math.max(runs, m.runs?.length ?? 0);
  }
  if (points.length < 2) return null;
  return {
    path: "memory.copyCurve",
    value: points,
    source:
      `Single-thread memcpy from one buffer to another at each size, repeated to about 1 MiB per sample (the buffers stay in the cache they fit in; 64 MiB streams from memory): ` +
      `the rate against the copy's size, interpolated linearly in log2(size) between the points. Medians over ${runs} runs, each the median of its samples, ` +
      `with the lowest and highest run medians: ${shownPoints.join(", ")}. ${where}.`,
  };
}

/** The row prefix of a copy out of a warm file's pages; the file-read and TCP probes print one per file size (`… 64MiB`). */
export const pageCopyCase = "copy out of the warm file's pages";

/** Returns the rows of a copy out of a warm file's pages (the file-read probe's and the TCP probe's), each with its file's size. */
export function pageCopyRows(measured: readonly Measurement[]): Array<{m: Measurement; fileBytes: number}> {
  return measured.flatMap((m) => {
    if ((m.probe !== "fileread" && m.probe !== "tcp") || !m.case.startsWith(`${pageCopyCase} `)) return [];
    const fileBytes = sizeBytes(m.case.slice(pageCopyCase.length + 1));
    return fileBytes > 0 ? [{m, fileBytes}] : [];
  });
}

/**
 * Returns the `memory.pageCacheCopyCurve` override: one [fileBytes,
 * bytesPerNs] point per file size whose copy out of its warm pages was
 * measured (the file-read probe's file, each file the TCP probe sent), by
 * size, with each point's spread in the source; null when none was.
 */
function pageCacheCopyOverride(cal: Calibration, where: string): ProfileOverride | null {
  const bySize = new Map<number, Measurement>();
  for (const {m, fileBytes: bytes} of pageCopyRows(cal.measured)) {
    if (m.median === undefined || !Number.isFinite(m.median) || m.median <= 0) continue;
    // Two probes on the same size: the one with more samples.
    const had = bySize.get(bytes);
    if (!had || (m.samples ?? 0) > (had.samples ?? 0)) bySize.set(bytes, m);
  }
  if (bySize.size === 0) return null;
  const sizes = [...bySize.keys()].sort((a, b) => a - b);
  const runs = Math.max(...[...bySize.values()].map((m) => m.runs?.length ?? 0));
  return {
    path: "memory.pageCacheCopyCurve",
    value: sizes.map((b) => [b, significant(bySize.get(b)!.median!)]),
    source:
      `The whole warm file copied out of its page-cache pages (a populated shared mapping of it) page by page with rep movsb, as copy_page_to_iter() copies them, ` +
      `into one 64 KiB buffer, pass after pass: a file that fits in the caches is still there from its last pass, a larger one streams from memory. ` +
      `Medians over ${runs} runs, each the median of its samples, with the lowest and highest run medians: ` +
      `${sizes.map((b) => { const m = bySize.get(b)!; return `${tcpSizeName(b)} ${shown(m.median!, m.unit)} (${significant(m.low ?? m.median!)}–${significant(m.high ?? m.median!)})`; }).join(", ")}. ${where}.`,
  };
}

/** Returns the value with its unit, short: `532 ns`, `5.21 bytes/ns`. */
function shown(x: number, unit: string): string {
  return `${significant(x)} ${unit}`;
}

/**
 * Returns the profile a calibration writes: it `extends` *base* and sets
 * only the fields measured or read directly (`cpu.cores`, `memory.pageBytes`,
 * `net.rmemBytes`, `net.wmemBytes`, `cpu.idlePolls` (and, where idle cores halt, `cpu.ipiSendNs`, `cpu.ipiNs`, `cpu.idleExitNs`,
 * `cpu.idleResidencyNs` and `cpu.idleExitCurve`), `cpu.modeSwitchNs`, `cpu.syscallNs`,
 * `cpu.taskSwitchNs`, `memory.copyBytesPerNs`,
 * `memory.copyFromMemoryBytesPerNs`, `memory.copyCurve` (the memcpy rate at each size measured),
 * `memory.pageCacheCopyCurve` (a copy out of a warm file's pages at each file size the probes used),
 * `memory.tlbMissNs`, `memory.faultMapPageNs`, `memory.pageFaultNs`, `memory.unmapPageNs` (a mapping of a warm file),
 * `memory.splicePageNs` (sendfile of a warm file to /dev/null),
 * `net.txSegmentNs`, `net.rxPacketNs`, `net.rxSegmentNs`, `net.skbAllocNs` and `net.pageRefNs` (fitted to the
 * loopback probe at the size whose runs agreed best, see {@link fitLoopback}),
 * `uring.sqeNs`, `uring.pollArmNs`), each with a `sources` entry giving the method,
 * the median, the spread of the runs, the date and the machine. A quantity
 * that came out unsupported, zero or not finite leaves the base's number.
 * Where idle cores do not poll, every idle halts: `cpu.idleResidencyNs`
 * is then 0, `cpu.idleExitNs` the idle wake-up row less the IPI, and
 * `cpu.idleExitCurve` the same after each idle time the probe waited (see
 * haltedWakeOverrides). Where they poll, that row (a wake-up onto a CPU
 * idle ~50 µs) stays in the sidecar: one exit latency cannot stand for a
 * machine whose short idles poll and whose long ones sleep deep, so
 * `cpu.idleExitNs` keeps the base's number.
 * *sidecar* names the file that holds every measurement, for the
 * description.
 *
 * ```ts
 * const {profile, overrides} = calibratedProfile(await calibrate(), "server-2024", "mine.measurements.json");
 * ```
 * @see calibrate
 */
export function calibratedProfile(cal: Calibration, base: string, sidecar: string): {profile: Record<string, unknown>; overrides: ProfileOverride[]; notFitted: string[]} {
  // Timed numbers were measured; the CPU count, page size and sysctls were read.
  const when = `iosim calibrate on ${cal.date}, ${cal.machine}`;
  const where = `Measured by ${when}`;
  const read = `Read by ${when}`;
  const overrides: ProfileOverride[] = [];
  const cpus = Number(cal.info.affinityCpus);
  if (Number.isSafeInteger(cpus) && cpus > 0)
    overrides.push({
      path: "cpu.cores",
      value: cpus,
      source: `The CPUs this process may run on, sched_getaffinity(2), as nproc counts them (${cal.info.onlineCpus} online). ${read}.`,
    });
  const page = Number(cal.info.pageBytes);
  if (Number.isSafeInteger(page) && page > 0) overrides.push({path: "memory.pageBytes", value: page, source: `sysconf(_SC_PAGESIZE). ${read}.`});
  // The TCP buffers' defaults are settings of this kernel, read rather than timed.
  for (const [sysctl, path] of [["tcp_rmem", "net.rmemBytes"], ["tcp_wmem", "net.wmemBytes"]] as const) {
    const text = cal.info[sysctl];
    const bytes = typeof text === "string" ? Number(text.split(" ")[1]) : NaN;
    if (Number.isSafeInteger(bytes) && bytes > 0)
      overrides.push({path, value: bytes, source: `net.ipv4.${sysctl}[1], the default buffer of a new socket, read from /proc/sys/net/ipv4/${sysctl} ("${text}": min, default, max). ${read}.`});
  }
  // The largest request of the test file's block device: a setting read, not timed.
  const maxSectorsKb = Number(cal.info.maxSectorsKb);
  if (Number.isSafeInteger(maxSectorsKb) && maxSectorsKb > 0)
    overrides.push({
      path: "disks.ssd.maxRequestBytes",
      value: maxSectorsKb * 1024,
      source: `max_sectors_kb (${maxSectorsKb}) of the block device holding the test file's folder, read from its queue in sysfs: the block layer splits a longer bio there (bio_split_to_limits(), block/blk-merge.c). ${read}.`,
    });
  const idle = idlePolls(cal.info);
  if (idle !== null)
    overrides.push({
      path: "cpu.idlePolls",
      value: idle.polls,
      source: `${idle.polls ? "Idle cores poll" : "Idle cores do not poll"}: ${idle.why} (cpuidle driver ${cal.info.cpuidleDriver ?? "unread"}, idle= ${cal.info.idleParam ?? "not set"}, monitor flag ${cal.info.cpuMonitor ?? "unread"}${cal.info.haltPollNs !== undefined ? `, guest_halt_poll_ns ${cal.info.haltPollNs}` : ""}). ${read}.`,
    });
  if (idle !== null && !idle.polls) overrides.push(...haltedWakeOverrides(cal, base, where));
  for (const rule of fieldRules) {
    const m: Measurement | undefined = cal.measured.find((r) => `${r.probe}/${r.case}` === rule.row);
    if (!m || m.median === undefined || m.low === undefined || m.high === undefined || !Number.isFinite(m.median) || m.median < 0) continue;
    if (m.median === 0 && !rule.zeroMeasured) continue;
    const runs = m.runs?.length ?? 0;
    overrides.push({
      path: rule.path,
      value: significant(m.median),
      source:
        `${rule.how}. Median ${shown(m.median, m.unit)} over ${runs} runs, each the median of its samples ` +
        `(run medians ${shown(m.low, m.unit)} to ${shown(m.high, m.unit)}). ${where}.`,
    });
  }
  const curve = copyCurveOverride(cal, where);
  if (curve) overrides.push(curve);
  const byFile = pageCacheCopyOverride(cal, where);
  if (byFile) overrides.push(byFile);
  const warnings = [busyWarning(cal.info), congestionWarning(cal.info)].filter((w): w is string => w !== null);
  const profile: Record<string, unknown> = {
    extends: base,
    name: `calibrated-${cal.machine.split(" ")[1] ?? "host"}`,
    description:
      `${base} with the CPU, memory, mapping, network-stack, TCP buffer and io_uring numbers measured on this machine by iosim calibrate (${cal.date}); every other number is ${base}'s. ` +
      `All the measurements, with their spread, are in ${sidecar}.` +
      warnings.map((w) => ` Warning: ${w}.`).join(""),
  };
  applyOverrides(profile, overrides);
  // The disk and the read path next, fitted by simulating the file-read probe on the profile measured so far (its copy rates and system calls).
  // What a fit could not set, and why: the profile's description and calibrate's output say so (the base's numbers stay).
  const notFitted: string[] = [];
  const reads = fileReadOverrides(cal, profile, where, notFitted);
  applyOverrides(profile, reads);
  overrides.push(...reads);
  // The network stack's costs last: they are fitted by simulating the loopback probe on the profile measured so far (read + write's reads included).
  const net = loopbackOverrides(cal, profile, where, notFitted);
  applyOverrides(profile, net);
  overrides.push(...net);
  if (notFitted.length > 0) profile.description = `${String(profile.description)} Not fitted, ${base}'s numbers kept: ${notFitted.join("; ")}.`;
  return {profile, overrides, notFitted};
}

/**
 * Returns `cpu.ipiSendNs`, `cpu.ipiNs`, `cpu.idleExitNs` and
 * `cpu.idleResidencyNs` for a machine whose idle cores do not poll: every
 * idle halts (residency 0), and a wake-up onto a halted core takes an IPI.
 * The probe's idle wake-up gives each side's CPU time of it (thread CPU
 * clocks around the writer's write and the reader's blocking read, less the
 * same calls with nothing to wake or wait for): the waker's is
 * `cpu.ipiSendNs`, the woken task's `cpu.ipiNs` (either absent: the base's).
 * The exit latency is what the one-way time (less a pipe write and read on
 * one CPU) leaves beyond the woken side's CPU: the model starts the woken
 * task after `idleExitNs`, then charges it `ipiNs`, while the waker's send
 * runs on its own core meanwhile. On a virtual machine all three are the
 * hypervisor's (a VM exit to send, the halted vCPU's wake): µs, not the
 * nominal 1 µs its cpuidle state reports. Where idle cores poll, these rows
 * stay in the sidecar: no IPI was sent, and an idle of ~50 µs may have
 * reached a deeper state than the short idles between a busy server's
 * requests.
 */
function haltedWakeOverrides(cal: Calibration, base: string, where: string): ProfileOverride[] {
  const row = (kase: string) => {
    const m = cal.measured.find((r) => r.probe === "taskswitch" && r.case === kase);
    return m && m.median !== undefined && Number.isFinite(m.median) && m.median >= 0 ? m : undefined;
  };
  const spreadOf = (m: Measurement) => `median ${shown(m.median!, m.unit)} over ${m.runs?.length ?? 0} runs, ${shown(m.low ?? m.median!, m.unit)} to ${shown(m.high ?? m.median!, m.unit)}`;
  const out: ProfileOverride[] = [];
  // A wake-up inside a loopback transfer, at the size the network costs are fitted at: where measured, it prices both
  // sides rather than the pipe probe's, whose reader had idled ~50 µs alone (see the TCP probe's rows).
  const fitBytes = loopbackFitBytes(cal);
  const inTransfer = (side: string) => {
    if (fitBytes === undefined) return undefined;
    const m = cal.measured.find((r) => r.probe === "tcp" && r.case === `read+write wake-up, ${side} ${tcpSizeName(fitBytes)}`);
    // A difference of two noisy CPU times: one at or below 0 measured nothing (the pipe probe's number stands).
    return m && m.median !== undefined && Number.isFinite(m.median) && m.median > 0 ? m : undefined;
  };
  const send = row("wake-up IPI, waker's side (waker CPU in write − pipe write)");
  const sendInTransfer = inTransfer("sender's side");
  const pipeSend = send ? ` The pipe probe's idle wake-up cost its waker ${shown(send.median!, "ns")} (taskswitch/wake-up IPI, waker's side: ${spreadOf(send)}).` : "";
  if (sendInTransfer)
    out.push({
      path: "cpu.ipiSendNs",
      value: significant(sendInTransfer.median!),
      source:
        `The waker's side of a wake-up inside a loopback transfer: read + write of the ${tcpSizeName(fitBytes!)} file (the size the network costs are fitted at), the sender's CPU time ` +
        `with a reader that blocks in read(2) less its CPU time with a reader that spins on non-blocking reads and never sleeps, per sleep of the first ` +
        `(tcp/${sendInTransfer.case}: ${spreadOf(sendInTransfer)}). It holds try_to_wake_up()'s remote path and the IPI's send, as a transfer pays them.${pipeSend} ${where}.`,
    });
  else if (send)
    out.push({
      path: "cpu.ipiSendNs",
      value: significant(send.median!),
      source:
        `The waker's side of a wake-up IPI: a thread blocked in read(2) on a pipe on a second CPU, idle ~50 µs, woken by a 1-byte write; the writer's CPU time in that write ` +
        `(CLOCK_THREAD_CPUTIME_ID) less a write to a pipe nobody waits on, timed the same way in the same run (taskswitch/wake-up IPI, waker's side: ${spreadOf(send)}). ` +
        `It holds try_to_wake_up()'s remote path and the IPI's send. ${where}.`,
    });
  const pipeWoken = row("wake-up IPI, woken side (woken CPU in read − pipe read)");
  // The woken side is inside the pipe probe's one-way time (the exit latency is what is left of it): one that would
  // leave nothing is no measurement of this machine's wake-up (a noisy, short run), and the pipe probe's stands.
  const oneWay = row("idle wake-up (one way − pipe write+read)");
  const readerSide = inTransfer("reader's side");
  const wokenInTransfer = readerSide && (!oneWay || readerSide.median! < oneWay.median!) ? readerSide : undefined;
  const woken = wokenInTransfer ?? pipeWoken;
  if (wokenInTransfer)
    out.push({
      path: "cpu.ipiNs",
      value: significant(wokenInTransfer.median!),
      source:
        `The woken side of a wake-up inside a loopback transfer: read + write of the ${tcpSizeName(fitBytes!)} file, the reader's thread CPU time in each read(2) that blocked ` +
        `(a voluntary context switch around it) beyond what the reads that found data cost per byte, for the same bytes (tcp/${wokenInTransfer.case}: ${spreadOf(wokenInTransfer)}): ` +
        `the IPI's handling, the switch in and the return as the reader's clock counts them.` +
        (pipeWoken ? ` The pipe probe's idle wake-up cost its reader ${shown(pipeWoken.median!, "ns")} (taskswitch/wake-up IPI, woken side: ${spreadOf(pipeWoken)}).` : "") +
        ` ${where}.`,
    });
  else if (pipeWoken)
    out.push({
      path: "cpu.ipiNs",
      value: significant(pipeWoken.median!),
      source:
        `The woken side of the same wake-up: the reader's CPU time in its blocking read(2) (CLOCK_THREAD_CPUTIME_ID) less a read that finds its byte waiting, ` +
        `timed the same way in the same run (taskswitch/wake-up IPI, woken side: ${spreadOf(pipeWoken)}): the IPI's handling, the switch in from idle and the return ` +
        `as the reader's clock counts them. ${where}.`,
    });
  const m = oneWay;
  if (!m) return out;
  const ipiNs = woken ? significant(woken.median!) : (parseProfile({extends: base}, base).cpu.ipiNs ?? 0);
  const exitNs = Math.max(0, m.median! - ipiNs);
  out.push(
    {
      path: "cpu.idleExitNs",
      value: significant(exitNs),
      source:
        `A wake-up onto a halted core, less the woken side's CPU priced apart (cpu.ipiNs, ${significant(ipiNs)} ns${woken ? ", measured" : `, ${base}'s`}): a thread pinned to a second CPU blocked ` +
        `in read(2) on a pipe, woken after about 50 µs by a write, one way, less a pipe write+read on one CPU (taskswitch/idle wake-up: ${spreadOf(m)}). ` +
        `The waker's send (cpu.ipiSendNs) is inside this time on the machine; the model runs it on the waker's core meanwhile. Idle cores do not poll here (cpu.idlePolls), ` +
        `so every idle core halts and this is what leaving the halt costs. ${where}.`,
    },
    {
      path: "cpu.idleResidencyNs",
      value: 0,
      source: `Idle cores do not poll here (cpu.idlePolls): an idle core halts at once, however short its idle. ${where}.`,
    },
  );
  // The same wake-up after idles of several lengths (the writer spinning, so the reader idles just that long): the exit latency against the idle time.
  const points = idleGapsUs
    .map((us) => [us, row(idleWakeRow(us))] as const)
    .filter((p): p is readonly [(typeof idleGapsUs)[number], Measurement] => p[1] !== undefined)
    .map(([us, g]) => ({us, g, exitNs: significant(Math.max(0, g.median! - ipiNs))}));
  if (points.length >= 2)
    out.push({
      path: "cpu.idleExitCurve",
      value: points.map((p) => [p.us * 1000, p.exitNs]),
      source:
        `The same wake-up after ${points.map((p) => `${p.us} µs`).join(", ")} of idle (the writer never sleeps: it spins until the reader has answered, then the gap, so the reader's core idles just the gap), one way, less a pipe write+read and the woken side's CPU ` +
        `(${significant(ipiNs)} ns): ${points.map((p) => `${shown(p.exitNs, "ns")} (${spreadOf(p.g)})`).join("; ")}. ` +
        `A halted core comes back sooner after a short idle (on a virtual machine the host polls a halted vCPU a while before it deschedules it): the model interpolates between these points. ${where}.`,
    });
  return out;
}

/** Writes *overrides* into *profile* (sections created as needed) and into its `sources`. */
function applyOverrides(profile: Record<string, unknown>, overrides: readonly ProfileOverride[]): void {
  const sources = (profile.sources ??= {}) as Record<string, string>;
  for (const o of overrides) {
    // A path is a section and a key (`cpu.cores`), or deeper (`disks.ssd.latencyNs`).
    const keys = o.path.split(".");
    let obj = profile;
    for (const k of keys.slice(0, -1)) obj = (obj[k] ??= {}) as Record<string, unknown>;
    obj[keys[keys.length - 1]] = o.value;
    sources[o.path] = o.source;
  }
}

/**
 * Returns the disk and read-path fields fitted to the file-read probe (see
 * {@link fitFileRead}): the disk's `latencyNs` and `bytesPerNs` from the
 * direct rows, `memory.pageLookupNs` and `memory.fileReadCallNs` from the
 * warm rows; a part the fit could not make is left to the base profile.
 */
function fileReadOverrides(cal: Calibration, draft: Record<string, unknown>, where: string, notFitted: string[]): ProfileOverride[] {
  const fit = fitFileRead(cal, draft);
  for (const why of fit.why) notFitted.push(`the read path (disk, page-cache look-ups): ${why}`);
  const out: ProfileOverride[] = [];
  if (fit.latencyNs !== undefined && fit.bytesPerNs !== undefined && fit.direct) {
    const rows =
      `(fileread/direct 4KiB: ${significant(fit.direct.smallNs / 1000)} µs a call; fileread/direct 1MiB: ${significant(fit.direct.largeNs / 1000)} µs), ` +
      `with the system call, the driver's set-up and the interrupt priced by the fields measured above; direct 64 KiB and every cold read stay predictions (iosim validate). ${where}.`;
    out.push(
      {
        path: `disks.${fit.disk}.latencyNs`,
        value: significant(fit.latencyNs),
        source: `Fitted, not timed alone: the fixed part of a disk request at which simulated O_DIRECT read(2)s of 4 KiB and 1 MiB take the times measured ${rows}`,
      },
      {
        path: `disks.${fit.disk}.bytesPerNs`,
        value: significant(fit.bytesPerNs),
        source: `Fitted, not timed alone: the disk's rate at which simulated O_DIRECT read(2)s of 4 KiB and 1 MiB take the times measured ${rows}`,
      },
    );
  }
  if (fit.pageLookupNs !== undefined && fit.fileReadCallNs !== undefined && fit.warm) {
    const clamped = fit.callClamped
      ? `; the 4 KiB call left ${significant(fit.callClamped.smallRestNs)} ns, less than the 64 KiB call's ${significant(fit.callClamped.largeRestPerPageNs)} ns a page ` +
        `(its copy into a buffer that stays in L1 beats the rate measured into a 64 KiB one), so the per-call part is taken as 0 and the per-page part from the 64 KiB call`
      : " (two calls, two unknowns)";
    const rows =
      `(fileread/buffered warm 4KiB: ${significant(fit.warm.smallNs)} ns a call; 64KiB: ${significant(fit.warm.largeNs)} ns), beyond the system call ` +
      `and the copy out of the file's pages priced by the fields measured above${clamped}; warm 1 MiB stays a prediction (iosim validate). ${where}.`;
    out.push(
      {
        path: "memory.pageLookupNs",
        value: significant(fit.pageLookupNs),
        source: `Fitted, not timed alone: the per-page part of what warm buffered read(2)s of 4 KiB and 64 KiB cost ${rows}`,
      },
      {
        path: "memory.fileReadCallNs",
        value: significant(fit.fileReadCallNs),
        source: `Fitted, not timed alone: the per-call part of what warm buffered read(2)s of 4 KiB and 64 KiB cost ${rows}`,
      },
    );
  }
  return out;
}

/** Says why the fit used its file size: its runs' spread against the other sizes'. */
function fitSizeWhy(fit: LoopbackFit): string {
  const pct = (x: number) => (Number.isFinite(x) ? `${significant(x * 100, 2)}%` : "not measured");
  const others = Object.entries(fit.runSpreads).filter(([size]) => size !== tcpSizeName(fit.fileBytes));
  const own = pct(fit.runSpreads[tcpSizeName(fit.fileBytes)]);
  return others.length === 0
    ? `The only size sent (its runs' range ${own} of their median).`
    : `Fitted at ${tcpSizeName(fit.fileBytes)}, the size whose runs agreed best (range ${own} of the median, read + write's CPU and sendfile's sender's; ` +
        `${others.map(([size, x]) => `${size} ${pct(x)}`).join(", ")}).`;
}

/**
 * Returns the network-stack fields fitted to the loopback probe (see
 * {@link fitLoopback}): the four per-skb costs scaled by one factor, and
 * `net.pageRefNs`; none when the probe did not run or the fit found no
 * solution in range (the reason is in the measurements file's rows either way).
 */
function loopbackOverrides(cal: Calibration, draft: Record<string, unknown>, where: string, notFitted: string[]): ProfileOverride[] {
  const fit = fitLoopback(cal, draft);
  for (const why of fit?.why ?? []) notFitted.push(`the network costs (net.*): ${why}`);
  if (!fit || fit.scale === undefined || !fit.perSkb) return [];
  const size = tcpSizeName(fit.fileBytes);
  const out: ProfileOverride[] = [];
  const factor = significant(fit.scale);
  for (const field of perSkbFields) {
    out.push({
      path: `net.${field}`,
      value: significant(fit.perSkb[field]),
      source:
        `Fitted, not timed alone: the base profile's estimate × ${factor}, the one factor on the per-skb costs (net.${perSkbFields.join(", net.")}) ` +
        `at which the simulated read + write of a warm ${size} file over loopback (64 KiB buffers, a local reader) costs the CPU time the probe ` +
        `measured, sender and reader together (tcp/read+write sender CPU ${size} + receiver CPU ${size}: median ${significant(fit.readWriteNs / 1e6)} ms), ` +
        `the copies and system calls priced by the fields measured above. ${fitSizeWhy(fit)} The split between the two sides, the other file sizes and mmap + write ` +
        `stay predictions (iosim validate). ${where}.`,
    });
  }
  if (fit.pageRefNs !== undefined)
    out.push({
      path: "net.pageRefNs",
      value: significant(fit.pageRefNs),
      source:
        `Fitted, not timed alone: the cost per page fragment at which the simulated sendfile of the same warm ${size} file over loopback costs the ` +
        `sender the CPU time measured (tcp/sendfile sender CPU ${size}: median ${significant(fit.sendfileNs! / 1e6)} ms), with the per-skb costs fitted ` +
        `to read + write: everything sendfile pays per page beyond the page-cache look-up (the splice pipe's buffer, the fragment's reference taken, ` +
        `the struct page's cache line). The sender takes the references inside sendfile, so its CPU is the measure; the reader's, copying out of the ` +
        `file's pages, stays a prediction. ${where}.`,
    });
  return out;
}
