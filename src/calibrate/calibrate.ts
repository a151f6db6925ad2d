/**
 * `iosim calibrate`'s measurements: every probe run on this machine, with
 * the spread of its runs.
 *
 * A tailor measures the customer, not the catalogue: the shipped profiles
 * are catalogue sizes (a 2024 server, a 2008 desktop), and this module takes
 * the measurements of the machine at hand. Each probe (see
 * `probes/iosim-probe.c`) runs several times; each run keeps the median of
 * many short samples, so a noisy neighbour spoils a sample, not the number.
 */
import {readFileSync, statSync} from "node:fs";
import {gunzipSync} from "node:zlib";
import {hostname, loadavg, machine, release, tmpdir, type as osType, version as osVersion} from "node:os";
import {faultAroundBytes} from "../transfer/mmapWrite.js";
import {compileProbes, runProbe, type ProbeLine, type ProbeSettings} from "./probes.js";
import {spread} from "./spread.js";

/** One measured quantity: its median over runs and their spread, or why it could not be measured. */
export interface Measurement {
  /** The probe (`memcpy`, `syscall`, `taskswitch`, `spawn`, `fileread`, `tcp`, `multiplex`, `uring`). */
  probe: string;
  /** What was measured (`64MiB`, `null`, `sendfile sender CPU`, ...). */
  case: string;
  /** Unit: `ns`, `ns/call`, `bytes/ns`, `ratio` or `count`. */
  unit: string;
  /** Median of the run medians. */
  median?: number;
  /** Lowest run median. */
  low?: number;
  /** Highest run median. */
  high?: number;
  /** The median of each run. */
  runs?: number[];
  /** Samples over all runs. */
  samples?: number;
  /** Why this machine could not measure it. */
  unsupported?: string;
  /** How it was derived from other rows, for computed quantities. */
  derivedFrom?: string;
}

/** Everything one calibration measured, with when, where and how. */
export interface Calibration {
  /** When it ran, ISO 8601 UTC. */
  date: string;
  /** The machine: `uname -a`'s fields (system, host name, release, version, architecture). */
  machine: string;
  /** The probe settings. */
  settings: CalibrationSettings;
  /** Facts the probes read (online and usable CPUs, page size, RAM, the test file's file system, the TCP buffer sysctls, how idle cores idle). */
  info: Record<string, number | string>;
  /** Every quantity measured, in probe order, then the derived ones. */
  measured: Measurement[];
}

/** Options of {@link calibrate}. */
export interface CalibrateOptions {
  /** A few seconds instead of about a minute and a half: 3 short runs, a 4 MiB test file (for tests). */
  quick?: boolean;
  /** Folder of the temporary test file (default the system's temporary folder: its file system is the one measured). */
  dir?: string;
  /** The C compiler (default `$CC`, else `cc`). */
  cc?: string;
  /** Told before each step: steps done, steps in all, what comes next. */
  onProgress?: (done: number, total: number, label: string) => void;
}

/** The probes in the order they run, with what each measures (the TCP probe runs once per size of {@link CalibrationSettings.tcpBytes}). */
export const probeSteps: ReadonlyArray<readonly [name: string, label: string]> = [
  ["info", "machine facts"],
  ["memcpy", "memory copy at 4 KiB, 64 KiB, 256 KiB, 8 MiB and 64 MiB, and from memory into a cached buffer"],
  ["syscall", "null system call"],
  ["taskswitch", "task switch (pipe ping-pong on one CPU), ping-pong on two, a wake-up onto an idle CPU and each side's CPU time of it"],
  ["spawn", "fork and thread creation"],
  ["fileread", "direct and buffered reads, and a copy out of the warm file's pages"],
  ["mmap", "page faults, TLB misses and munmap on a mapping of a warm file"],
  ["tcp", "read+write, mmap+write and sendfile over loopback TCP, read+write's wake-ups, and a copy out of each file's warm pages"],
  ["multiplex", "select, poll and epoll_wait against the number of fds"],
  ["uring", "io_uring: one enter with 1 and 32 NOPs, a poll armed and fired"],
];

const MiB = 1 << 20;

/** Settings of a whole calibration: the probes' settings, and the file sizes sent over loopback TCP. */
export interface CalibrationSettings extends ProbeSettings {
  /** Whether these are the few, short runs of `--quick`. */
  quick: boolean;
  /** File sizes the TCP probe sends, bytes (one probe run each). */
  tcpBytes: number[];
}

/** Returns the settings: about a minute and a half in all (the loopback probe at 16 MiB, 256 MiB and 1 GiB), or a few seconds with *quick*. */
export function probeSettings(quick: boolean, dir: string = tmpdir()): CalibrationSettings {
  return quick
    ? {quick, runs: 3, runMs: 10, dir, fileBytes: 4 * MiB, tcpBytes: [4 * MiB], timeoutMs: 30_000}
    : {quick, runs: 7, runMs: 250, dir, fileBytes: 256 * MiB, tcpBytes: [16 * MiB, 256 * MiB, 1024 * MiB], timeoutMs: 90_000};
}

/** Returns `uname -a`'s fields as Node sees them. */
export function unameText(): string {
  return `${osType()} ${hostname()} ${release()} ${osVersion()} ${machine()}`;
}

/**
 * Returns the TCP buffer sysctls of this machine (`net.ipv4.tcp_rmem` and
 * `tcp_wmem`, each "min default max" in bytes), read from /proc; a missing
 * file (no IPv4, a restricted container) is left out.
 */
export function tcpBufferSysctls(procDir = "/proc/sys/net/ipv4"): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ["tcp_rmem", "tcp_wmem"]) {
    try {
      out[name] = readFileSync(`${procDir}/${name}`, "utf8").trim().split(/\s+/).join(" ");
    } catch {
      // Not readable here: the profile keeps the base's number.
    }
  }
  return out;
}

/**
 * Returns whether the running kernel was built with
 * CONFIG_IRQ_TIME_ACCOUNTING (`irqTimeAccounting`: "y" or "not set"), read
 * from /proc/config.gz or /boot/config-RELEASE; nothing when neither can be
 * read. With it, thread CPU clocks leave out softirq and hardirq time (see
 * the probe's `threadClockSoftirqShare`, which measures the same thing).
 */
export function kernelConfigFlags(procDir = "/proc", bootDir = "/boot", kernelRelease = release()): Record<string, string> {
  let text: string | null = null;
  try {
    text = gunzipSync(readFileSync(`${procDir}/config.gz`)).toString("utf8");
  } catch {
    text = readKernelFile(`${bootDir}/config-${kernelRelease}`);
  }
  if (text === null) return {};
  return {irqTimeAccounting: /^CONFIG_IRQ_TIME_ACCOUNTING=y$/m.test(text) ? "y" : "not set"};
}

/**
 * Returns whether this machine's thread CPU clocks leave out interrupt
 * context (softirq, hardirq), from the probe's measurement
 * (`threadClockSoftirqShare` below 0.9: a thread busy with loopback UDP is
 * clocked clearly less than its wall time), else from the kernel's
 * configuration; false when neither is known.
 */
export function threadClockExcludesIrq(info: Record<string, string | number | undefined>): boolean {
  const share = Number(info.threadClockSoftirqShare);
  if (info.threadClockSoftirqShare !== undefined && Number.isFinite(share)) return share < 0.9;
  return info.irqTimeAccounting === "y";
}

/** Returns the text of the kernel file at *path*, or null when it cannot be read (absent, restricted). */
function readKernelFile(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

/**
 * Returns two settings of the block device under *dir* (where the probe's
 * test file lives), from its queue in sysfs (`/sys/dev/block/MAJ:MIN/queue/`,
 * or the whole disk's when *dir* is on a partition): `readAheadKb`, the
 * queue's `read_ahead_kb`, which sets the bdi's ra_pages that on-demand
 * readahead grows its window to (mm/readahead.c), and `maxSectorsKb`, its
 * `max_sectors_kb`, the largest request the block layer sends the device.
 * What cannot be read is left out (tmpfs, a container without /sys).
 */
export function blockQueueSettings(dir: string, sysDir = "/sys"): Record<string, number> {
  let dev: number;
  try {
    dev = statSync(dir).dev;
  } catch {
    return {};
  }
  // dev_t as glibc encodes it: gnu_dev_major/gnu_dev_minor.
  const major = ((dev >>> 8) & 0xfff) | (Math.floor(dev / 2 ** 32) & ~0xfff);
  const minor = (dev & 0xff) | ((dev >>> 12) & ~0xff & 0xfffff);
  const read = (path: string): number | undefined => {
    const kb = Number(readKernelFile(path)?.trim() ?? NaN);
    return Number.isSafeInteger(kb) && kb >= 0 ? kb : undefined;
  };
  // A partition has no queue of its own: its disk's is one level up.
  for (const queue of [`${sysDir}/dev/block/${major}:${minor}/queue`, `${sysDir}/dev/block/${major}:${minor}/../queue`]) {
    const readAheadKb = read(`${queue}/read_ahead_kb`);
    const maxSectorsKb = read(`${queue}/max_sectors_kb`);
    if (readAheadKb === undefined && maxSectorsKb === undefined) continue;
    return {...(readAheadKb !== undefined ? {readAheadKb} : {}), ...(maxSectorsKb !== undefined && maxSectorsKb > 0 ? {maxSectorsKb} : {})};
  }
  return {};
}

/**
 * Returns how this machine's cores idle, as read from the kernel: the
 * cpuidle driver (`/sys/devices/system/cpu/cpuidle/current_driver`:
 * intel_idle, acpi_idle, haltpoll, or none), an `idle=` boot parameter
 * (`/proc/cmdline`), whether the CPU has MONITOR/MWAIT (`monitor` among
 * `/proc/cpuinfo`'s flags) and, on a KVM guest, the haltpoll governor's
 * longest poll (`/sys/module/haltpoll/parameters/guest_halt_poll_ns`). What
 * cannot be read is left out. See {@link idlePolls}.
 */
export function idleSettings(sysCpuDir = "/sys/devices/system/cpu", procDir = "/proc", sysModuleDir = "/sys/module"): Record<string, string> {
  const out: Record<string, string> = {};
  const driver = readKernelFile(`${sysCpuDir}/cpuidle/current_driver`);
  if (driver !== null) out.cpuidleDriver = driver.trim();
  // The haltpoll governor's longest poll before a vCPU halts (0: never polls).
  const haltPoll = readKernelFile(`${sysModuleDir}/haltpoll/parameters/guest_halt_poll_ns`);
  if (haltPoll !== null) out.haltPollNs = haltPoll.trim();
  const cmdline = readKernelFile(`${procDir}/cmdline`);
  const idle = cmdline === null ? undefined : /(?:^|\s)idle=(\S+)/.exec(cmdline)?.[1];
  if (idle !== undefined) out.idleParam = idle;
  const cpuinfo = readKernelFile(`${procDir}/cpuinfo`);
  const flags = cpuinfo === null ? undefined : /^flags\s*:\s*(.*)$/m.exec(cpuinfo)?.[1];
  if (flags !== undefined) out.cpuMonitor = flags.split(/\s+/).includes("monitor") ? "yes" : "no";
  return out;
}

/**
 * Returns whether idle cores watch their need-resched flag (so a wake-up
 * onto one needs no IPI) from {@link idleSettings}, with why; null when
 * nothing was read. The kernel's rules: `idle=poll` spins in
 * cpu_idle_poll(); mwait idle (intel_idle, acpi_idle's FFH states, x86's
 * mwait_idle when there is no cpuidle driver but the CPU has MWAIT) sets
 * TIF_POLLING_NRFLAG around MWAIT (mwait_idle_with_hints(),
 * arch/x86/include/asm/mwait.h); haltpoll polls before it halts
 * (drivers/cpuidle/cpuidle-haltpoll.c); `idle=halt`, `idle=nomwait` and
 * HLT without a cpuidle driver (default_idle(), most virtual machines) do
 * not poll.
 */
export function idlePolls(info: Record<string, number | string>): {polls: boolean; why: string} | null {
  const param = info.idleParam;
  if (param === "poll") return {polls: true, why: "booted with idle=poll: the idle loop spins in cpu_idle_poll() with TIF_POLLING_NRFLAG set"};
  if (param === "halt" || param === "nomwait") return {polls: false, why: `booted with idle=${param}: idle cores halt (HLT) without polling`};
  const driver = info.cpuidleDriver;
  if (driver === "intel_idle" || driver === "acpi_idle")
    return {polls: true, why: `cpuidle driver ${driver}: its MWAIT states set TIF_POLLING_NRFLAG (mwait_idle_with_hints())`};
  if (driver === "haltpoll") {
    // The haltpoll governor's poll window starts at 0 and grows only for idles up to guest_halt_poll_ns
    // (drivers/cpuidle/governors/haltpoll.c: haltpoll_enable_device() sets poll_limit_ns = 0, adjust_poll_limit() grows it
    // only when block_ns <= guest_halt_poll_ns, and haltpoll_select() returns the halt state while poll_limit_ns == 0).
    if (info.haltPollNs === "0")
      return {
        polls: false,
        why: "cpuidle driver haltpoll with guest_halt_poll_ns 0: the governor's poll window never grows from 0 (adjust_poll_limit()), so haltpoll_select() halts an idle vCPU at once and a wake-up onto it is an IPI through the hypervisor",
      };
    return {polls: true, why: "cpuidle driver haltpoll: an idle vCPU polls (TIF_POLLING_NRFLAG) before it halts, and wake-ups within the poll window need no IPI"};
  }
  if (driver !== "none" && driver !== undefined) return null;
  const noDriver = driver === undefined ? "no cpuidle" : "cpuidle driver none";
  if (info.cpuMonitor === "no") return {polls: false, why: `${noDriver} and no MONITOR/MWAIT in /proc/cpuinfo: idle cores halt (default_idle(), HLT) without polling`};
  if (info.cpuMonitor === "yes") return {polls: true, why: `${noDriver} on a CPU with MONITOR/MWAIT: x86 idles in mwait_idle(), which sets TIF_POLLING_NRFLAG`};
  return null;
}

/** Returns *line* with its spread. */
function summarize(line: ProbeLine): Measurement {
  const {probe, case: kase, unit, runs, samples, unsupported} = line;
  if (!runs) return {probe, case: kase, unit, unsupported: unsupported ?? "the probe printed no runs"};
  const finite = runs.filter((v): v is number => v !== null && Number.isFinite(v));
  if (finite.length < runs.length) return {probe, case: kase, unit, unsupported: `${runs.length - finite.length} of ${runs.length} runs gave no finite number`};
  return {probe, case: kase, unit, ...spread(finite), runs: finite, samples};
}

/** CPU time counters, in clock ticks: every CPU's busy and total time (/proc/stat), and this process's with its waited-for children's (/proc/self/stat). */
export interface CpuTicks {
  busy: number;
  total: number;
  self: number;
}

/**
 * Returns the CPU time counters now, or null where they cannot be read:
 * /proc/stat's first line (user, nice, system, idle, iowait, irq, softirq,
 * steal: busy is all but idle and iowait) and /proc/self/stat's utime,
 * stime, cutime and cstime (this process and the probes it has waited
 * for, their own children included: proc(5)).
 */
export function cpuTicks(procDir = "/proc"): CpuTicks | null {
  try {
    const cpu = readFileSync(`${procDir}/stat`, "utf8").split("\n")[0].trim().split(/\s+/).slice(1, 9).map(Number);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = cpu;
    // The fields after the command name, which may itself hold spaces and parentheses: utime is the 14th field of the line.
    const selfText = readFileSync(`${procDir}/self/stat`, "utf8");
    const after = selfText.slice(selfText.lastIndexOf(")") + 2).split(" ").map(Number);
    const self = after[11] + after[12] + after[13] + after[14];
    const busy = user + nice + system + irq + softirq + steal;
    const total = busy + idle + iowait;
    return [busy, total, self].every(Number.isFinite) ? {busy, total, self} : null;
  } catch {
    return null;
  }
}

/**
 * Returns the share of the machine's CPU time, between two {@link cpuTicks}
 * readings, that went to other work than this process and its probes (0
 * to 1, three decimals), or undefined when either reading is missing or no
 * time passed.
 */
export function otherCpuShare(before: CpuTicks | null, after: CpuTicks | null): number | undefined {
  if (before === null || after === null) return undefined;
  const total = after.total - before.total;
  if (!(total > 0)) return undefined;
  const others = after.busy - before.busy - (after.self - before.self);
  return Math.round((Math.max(0, others) / total) * 1000) / 1000;
}

/** Share of the CPUs' time that other work may take while the probes run before the calibration warns. */
export const busyShareLimit = 0.1;

/**
 * Returns a warning when the loopback probe's sender could not use the
 * model's congestion control, CUBIC (`tcpCongestion` in *info*, set by the
 * probe; see probes/iosim-probe.c `choose_congestion`): another one may
 * pace its sender (BBR: bbr_init() sets SK_PACING_NEEDED and
 * tcp_write_xmit() stops at tcp_pacing_check()), which the model does not,
 * so the loopback rows would compare two mechanisms. Null under CUBIC, or
 * when the probe did not say (an older calibration).
 */
export function congestionWarning(info: Record<string, number | string>): string | null {
  const cc = info.tcpCongestion;
  if (cc === undefined || cc === "cubic") return null;
  return (
    `the loopback TCP probe ran under ${cc}, not the model's CUBIC (${info.tcpCongestionWhy ?? "CUBIC was not available"}): ` +
    `a congestion control that paces (BBR) changes how often the reader is woken and what each side's CPU does, so the loopback rows may not compare like with like`
  );
}

/**
 * Returns a warning when other work competed with the probes: the share of
 * every CPU's time, while the probes ran, that went to other processes
 * (`info.otherCpuShare`, /proc/stat's busy time less the CPU time of
 * calibrate and its probes) of at least {@link busyShareLimit}; where that
 * was not measured (a measurements file from before), a one-minute load
 * average before the first probe (`info.loadAverage1m`) of at least half
 * the CPUs. The probes report medians, but a loaded machine moves whole
 * runs: on the development VM (2 vCPUs) at load 4 the loopback probe's
 * sender did a tenth of the receive work it did when idle, and sendfile's
 * elapsed time tripled. The load average alone lags: right after a build it
 * reads 1 on an idle machine. Null when the machine was quiet or nothing
 * was read.
 */
export function busyWarning(info: Record<string, number | string>): string | null {
  const share = Number(info.otherCpuShare);
  if (info.otherCpuShare !== undefined && Number.isFinite(share)) {
    if (share < busyShareLimit) return null;
    return (
      `other work used ${Math.round(share * 100)}% of the CPUs' time while the probes ran: it competed with them, and the loopback TCP rows move most ` +
      `(which process runs the receive work depends on who is scheduled); calibrate again when the machine is idle`
    );
  }
  const load = Number(info.loadAverage1m);
  const cpus = Number(info.onlineCpus);
  if (!Number.isFinite(load) || !(cpus > 0) || load < cpus / 2) return null;
  return (
    `the machine was busy when the probes started (load average ${load} over the last minute on ${cpus} CPU${cpus === 1 ? "" : "s"}): ` +
    `other work competed with the probes, and the loopback TCP rows move most (which process runs the receive work depends on who is scheduled); ` +
    `calibrate again when it is idle`
  );
}

/**
 * Returns a row computed run by run from rows *a* and *b* of *lines* (so a
 * run's pair saw the same moment of the machine), or undefined if either is
 * missing or unsupported.
 */
function derive(
  lines: Measurement[],
  a: string,
  b: string,
  out: {probe: string; case: string; unit: string; derivedFrom: string},
  f: (x: number, y: number) => number,
): Measurement | undefined {
  return deriveFrom(lines, [a, b], out, ([x, y]) => f(x, y));
}

/** Returns a row computed run by run from *rows* of *lines* (each run's values taken together), or undefined if any is missing or unsupported. */
function deriveFrom(
  lines: Measurement[],
  rows: string[],
  out: {probe: string; case: string; unit: string; derivedFrom: string},
  f: (values: number[]) => number,
): Measurement | undefined {
  const found = rows.map((row) => lines.find((l) => `${l.probe}/${l.case}` === row)?.runs);
  const first = found[0];
  if (!first || found.some((r) => !r || r.length !== first.length)) return undefined;
  const runs = first.map((_, i) => f(found.map((r) => r![i])));
  return {...out, ...spread(runs), runs};
}

/**
 * The idle times, µs, after which the wake-up probe also times a one-way
 * wake-up (besides its ping-pong one): the points of `cpu.idleExitCurve`.
 * The probe's writer spins meanwhile, so the reader's core idles just that
 * long. A transfer's reader idles a few µs between segments (traced on the
 * development VM: 1–9 µs, median 4, between its sleep and the next
 * wake-up), hence the short ones.
 */
export const idleGapsUs = [1, 2, 5, 10, 20, 50, 200, 1000] as const;

/** The derived row of the one-way wake-up after *us* µs of idle, less the pipe pair: what `cpu.idleExitCurve` is made of. */
export function idleWakeRow(us: number): string {
  return `idle wake-up after ${us} µs idle (one way − pipe write+read)`;
}

/** Returns the row *kase* of *probe*: its row *a* less its row *b*, run by run, clamped at 0 (ns), or undefined if either is missing. */
function difference(lines: Measurement[], probe: string, a: string, b: string, kase: string): Measurement | undefined {
  return derive(lines, `${probe}/${a}`, `${probe}/${b}`, {probe, case: kase, unit: "ns", derivedFrom: `${a} − ${b}, clamped at 0`}, (x, y) => Math.max(0, x - y));
}

/** Returns the quantities computed from the measured ones; *pageBytes* (the machine's page size) sets the fault-around window a mapping's faults map. */
export function derivedMeasurements(measured: Measurement[], pageBytes = 4096): Measurement[] {
  const rows = [
    derive(measured, "syscall/null", "syscall/read1", {probe: "syscall", case: "mode switch (null / 2)", unit: "ns", derivedFrom: "syscall/null ÷ 2"}, (n) => n / 2),
    derive(
      measured,
      "syscall/read1",
      "syscall/null",
      {probe: "syscall", case: "entry work of a short fd call (read1 − null)", unit: "ns", derivedFrom: "syscall/read1 − syscall/null, clamped at 0"},
      (r, n) => Math.max(0, r - n),
    ),
    derive(
      measured,
      "taskswitch/pingpong round trip",
      "taskswitch/pipe write+read, no switch",
      {probe: "taskswitch", case: "task switch", unit: "ns", derivedFrom: "(pingpong round trip − 2 × pipe write+read) ÷ 2, clamped at 0"},
      (rt, pair) => Math.max(0, (rt - 2 * pair) / 2),
    ),
    difference(measured, "taskswitch", "wake-up onto an idle CPU, one way", "pipe write+read, no switch", "idle wake-up (one way − pipe write+read)"),
    ...idleGapsUs.map((us) =>
      difference(measured, "taskswitch", `wake-up onto an idle CPU, one way, reader idle ${us} us`, "pipe write+read, no switch", idleWakeRow(us)),
    ),
    // Each side's CPU time of that wake-up beyond the same call with nothing to wake or wait for (thread CPU clocks).
    difference(measured, "taskswitch", "wake-up onto an idle CPU, waker CPU in write", "pipe write, nothing to wake, CPU", "wake-up IPI, waker's side (waker CPU in write − pipe write)"),
    difference(measured, "taskswitch", "wake-up onto an idle CPU, woken CPU in read", "pipe read, data waiting, CPU", "wake-up IPI, woken side (woken CPU in read − pipe read)"),
  ];
  // Direct reads: the time per call, the device's latency at 4 KiB.
  for (const size of ["4KiB", "64KiB", "1MiB"]) {
    const bytes = {"4KiB": 4096, "64KiB": 65536, "1MiB": 1 << 20}[size]!;
    const row = `fileread/direct ${size}`;
    rows.push(derive(measured, row, row, {probe: "fileread", case: `direct ${size} per call`, unit: "ns", derivedFrom: `${bytes} bytes ÷ ${row}`}, (bpn) => bytes / bpn));
  }
  // A mapping of a warm file: what one fault costs beyond mapping its fault-around window and the TLB misses of the window's pages.
  const windowPages = Math.max(1, Math.floor(faultAroundBytes / pageBytes)); // fault_around_pages (mm/memory.c): 16 with 4 KiB pages
  rows.push(
    deriveFrom(
      measured,
      ["mmap/touch a new mapping, per page", "mmap/touch a populated mapping, per page", "mmap/MAP_POPULATE, per page"],
      {
        probe: "mmap",
        case: "fault entry and exit",
        unit: "ns",
        derivedFrom: `${windowPages} × (touch a new mapping − touch a populated mapping − MAP_POPULATE), per page, clamped at 0`,
      },
      ([fresh, populated, populate]) => Math.max(0, windowPages * (fresh - populated - populate)),
    ),
  );
  // Loopback TCP, at each size sent: the sender CPU ratios and the elapsed time sendfile saves.
  const sizes = [...new Set(measured.filter((m) => m.probe === "tcp").map((m) => /(\S+)$/.exec(m.case)?.[1] ?? ""))];
  for (const size of sizes) {
    const tx = (method: string) => `tcp/${method} sender CPU ${size}`;
    rows.push(
      derive(measured, tx("read+write"), tx("sendfile"), {probe: "tcp", case: `sender CPU read+write : sendfile ${size}`, unit: "ratio", derivedFrom: `${tx("read+write")} ÷ ${tx("sendfile")}`}, (a, b) => a / b),
      derive(measured, tx("read+write"), tx("mmap+write"), {probe: "tcp", case: `sender CPU read+write : mmap+write ${size}`, unit: "ratio", derivedFrom: `${tx("read+write")} ÷ ${tx("mmap+write")}`}, (a, b) => a / b),
      derive(
        measured,
        `tcp/sendfile elapsed ${size}`,
        `tcp/read+write elapsed ${size}`,
        {probe: "tcp", case: `elapsed saved by sendfile ${size}`, unit: "ratio", derivedFrom: `1 − tcp/sendfile elapsed ${size} ÷ tcp/read+write elapsed ${size}`},
        (sf, rw) => 1 - sf / rw,
      ),
    );
  }
  // Multiplexing: what each more watched descriptor adds to a call, between 10 and 1000 of them.
  for (const call of ["select", "poll", "epoll_wait"]) {
    rows.push(
      derive(
        measured,
        `multiplex/${call} 1000 fds`,
        `multiplex/${call} 10 fds`,
        {probe: "multiplex", case: `${call} per watched fd`, unit: "ns", derivedFrom: `(${call} 1000 fds − ${call} 10 fds) ÷ 990`},
        (big, small) => (big - small) / 990,
      ),
    );
  }
  // io_uring: what each more SQE adds to one enter, and what arming a poll (and its wake-up) adds to a round trip.
  rows.push(
    derive(
      measured,
      "uring/enter with 32 nops",
      "uring/enter with 1 nop",
      {probe: "uring", case: "per SQE", unit: "ns", derivedFrom: "(uring/enter with 32 nops − uring/enter with 1 nop) ÷ 31, clamped at 0"},
      (n32, n1) => Math.max(0, (n32 - n1) / 31),
    ),
    derive(
      measured,
      "uring/poll round",
      "uring/nop round",
      {probe: "uring", case: "poll armed and fired", unit: "ns", derivedFrom: "uring/poll round − uring/nop round, clamped at 0"},
      (poll, nop) => Math.max(0, poll - nop),
    ),
  );
  return rows.filter((r): r is Measurement => r !== undefined);
}

/**
 * Returns the measurements of this machine: compiles the C probes (an
 * {@link InputError} if there is no compiler or this is not Linux), runs
 * each in turn, summarises every quantity as the median of its run medians
 * with the lowest and highest run, and adds the derived quantities (mode
 * switch, syscall entry work, task switch, the loopback ratios). About a
 * minute; a few seconds with **quick**.
 *
 * ```ts
 * const cal = await calibrate({quick: true});
 * cal.measured.find((m) => m.probe === "syscall" && m.case === "null")?.median // ns per call
 * ```
 * @see calibratedProfile
 */
export async function calibrate(options: CalibrateOptions = {}): Promise<Calibration> {
  const {quick = false, onProgress} = options;
  const settings = probeSettings(quick, options.dir);
  // One step per probe run: the TCP probe once per size.
  const steps = probeSteps.flatMap(([name, label]) =>
    name === "tcp"
      ? settings.tcpBytes.map((bytes) => ({name, label: `${label}, ${bytes / MiB} MiB`, settings: {...settings, fileBytes: bytes}}))
      : [{name, label, settings}],
  );
  const total = steps.length + 1;
  onProgress?.(0, total, "compiling the probes");
  const binary = await compileProbes(options.cc);
  const date = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  // How busy the machine was before the probes added their own load (see busyWarning).
  const info: Record<string, number | string> = {
    ...tcpBufferSysctls(),
    ...kernelConfigFlags(),
    ...idleSettings(),
    ...blockQueueSettings(settings.dir),
    loadAverage1m: Number(loadavg()[0].toFixed(2)),
  };
  const measured: Measurement[] = [];
  const ticksBefore = cpuTicks();
  for (const [i, step] of steps.entries()) {
    onProgress?.(i + 1, total, step.label);
    const out = await runProbe(binary, step.name, step.settings);
    Object.assign(info, out.info);
    measured.push(...out.lines.map(summarize));
  }
  // What else ran meanwhile (see busyWarning).
  const others = otherCpuShare(ticksBefore, cpuTicks());
  if (others !== undefined) info.otherCpuShare = others;
  const pageBytes = Number(info.pageBytes);
  measured.push(...derivedMeasurements(measured, Number.isSafeInteger(pageBytes) && pageBytes > 0 ? pageBytes : 4096));
  return {date, machine: unameText(), settings, info, measured};
}
