/**
 * `iosim validate`: the simulator's predictions beside what `iosim
 * calibrate` measured on the same machine, quantity by quantity.
 *
 * A weather service keeps score: each forecast is written down before the
 * day and set against the thermometer after it, and a forecast that was
 * read off the thermometer does not count. Here every prediction comes from
 * a simulation run with the calibrated profile (the same experiment as the
 * probe: same sizes, same buffer, same warm or cold cache), and each row
 * says whether the quantity was itself measured into the profile
 * (`calibrated`: its agreement is by construction, shown only as a check of
 * the plumbing) or is a true prediction.
 *
 * Bands (issue 9): ratios and bandwidths within ±25% of the measured
 * median, the share of elapsed time sendfile saves within ±10 percentage
 * points.
 */
import {createSim} from "../engine/sim.js";
import {Signal, spawn, wait, type ProcessBody} from "../engine/process.js";
import {Host} from "../host/Host.js";
import {fromMemory, type Profile} from "../host/profiles.js";
import {nullSyscall, syscall} from "../kernel/syscall.js";
import {IoUring} from "../uring/IoUring.js";
import {KiB, MiB} from "../units.js";
import {threadClockExcludesIrq, type Calibration, type Measurement} from "./calibrate.js";
import {copyCurveSizes, pageCopyRows} from "./calibratedProfile.js";
import {defaultReadaheadBytes, predictRead, readaheadFoliosOf, readSampleBytes} from "./fileRead.js";
import {loopbackFitBytes, predictTcp, tcpSizeName, tcpStrategies} from "./loopback.js";

/** How far a prediction may be from the measurement and still agree. */
export type Band = {kind: "relative"; within: number} | {kind: "points"; within: number};

/** ±25% of the measured value. */
export const relativeBand: Band = {kind: "relative", within: 0.25};
/** ±10 percentage points (for shares such as the elapsed time saved). */
export const pointsBand: Band = {kind: "points", within: 0.1};

/** One quantity: measured on the machine, predicted by the simulator. */
export interface ValidationRow {
  /** The measurement's row, `probe/case`. */
  quantity: string;
  unit: string;
  /** Median of the calibration's runs; undefined when the machine could not measure it. */
  measured?: number;
  /** Lowest and highest run median. */
  measuredLow?: number;
  measuredHigh?: number;
  /** The simulator's value for the same experiment. */
  predicted: number;
  /** predicted ÷ measured (relative bands), or predicted − measured (points). */
  error?: number;
  /** The band's kind and width. */
  band: Band;
  /** Whether the prediction is inside the band; undefined when nothing was measured. */
  within?: boolean;
  /** The profile took this number from this very measurement, so agreement is by construction. */
  calibrated: boolean;
  /** Why there is no comparison (the machine could not measure it). */
  unsupported?: string;
  /** What the simulation ran. */
  how: string;
}

/** Rows whose measurement a calibrated profile copies into a field (see calibratedProfile.ts). */
const calibratedRows = new Set([
  "syscall/mode switch (null / 2)",
  "syscall/null",
  "taskswitch/task switch",
  // memory.copyCurve takes every memcpy size the probe measures.
  ...copyCurveSizes.map((size) => `memcpy/${size}`),
  "memcpy/from memory into 1MiB",
  "uring/per SQE",
]);

/** Returns the elapsed virtual time of *body* run alone on a fresh host of *profile*, with the host for its counters. */
function simulate(profile: Profile, body: (host: Host) => ProcessBody<void>, hostOptions: ConstructorParameters<typeof Host>[2] = {}): {elapsedNs: number; host: Host} {
  const sim = createSim({seed: 0});
  const host = new Host(sim, profile, hostOptions);
  spawn(sim, 1, () => body(host)).subscribe();
  return {elapsedNs: sim.run(), host};
}

/** Predicted time of one null system call, ns. */
export function predictNullSyscall(profile: Profile): number {
  const calls = 1000;
  const {elapsedNs} = simulate(profile, function* (host) {
    for (let i = 0; i < calls; i++) yield* nullSyscall(host);
  });
  return elapsedNs / calls;
}

/** Predicted rate of one copy of *bytes* from memory into a user buffer (read(2)'s page-cache→user copy), bytes per ns. */
export function predictCopyFromMemory(profile: Profile, bytes: number): number {
  const {elapsedNs} = simulate(profile, function* (host) {
    yield host.cpuCopy(bytes, "page-cache→user", fromMemory);
  });
  return bytes / elapsedNs;
}

/** Predicted rate of a copy of *bytes* out of the warm page-cache pages of a file of *fileBytes* into a user buffer, bytes per ns. */
export function predictPageCacheCopy(profile: Profile, bytes: number, fileBytes: number): number {
  const {elapsedNs} = simulate(profile, function* (host) {
    yield host.pageCacheCopy(bytes, "page-cache→user", fileBytes);
  });
  return bytes / elapsedNs;
}

/** Predicted memory-copy rate for *bytes* in one copy, bytes per ns. */
export function predictCopy(profile: Profile, bytes: number): number {
  const {elapsedNs} = simulate(profile, function* (host) {
    yield host.cpuCopy(bytes, "user→user");
  });
  return bytes / elapsedNs;
}

/** Predicted time of one io_uring_enter that submits *nops* NOPs and waits for their completions, ns (the probe's 200 calls in a row). */
export function predictUringEnter(profile: Profile, nops: number): number {
  const calls = 200;
  const {elapsedNs} = simulate(profile, function* (host) {
    const ring = new IoUring(host, {entries: 64});
    for (let i = 0; i < calls; i++) {
      for (let j = 0; j < nops; j++) ring.prep({op: "nop"});
      yield* ring.enter(nops);
      ring.reap();
    }
  });
  return elapsedNs / calls;
}

/** A pipe of one-byte messages between two simulated processes: a read blocks until a byte is there; a write wakes the blocked reader. */
class BytePipe {
  private bytes = 0;
  private readable: Signal<void> | null = null;

  constructor(private readonly host: Host) {}

  /** The kernel work of write(2) of one byte (pipe_write: copy it in, wake the reader). */
  *write(): ProcessBody<void> {
    yield this.host.cpuCopy(1, "user→pipe");
    this.bytes++;
    const readable = this.readable;
    this.readable = null;
    readable?.fire();
  }

  /** The kernel work of read(2) of one byte (pipe_read: sleep until there is one, copy it out). */
  *read(): ProcessBody<void> {
    while (this.bytes === 0) yield wait((this.readable ??= new Signal<void>()));
    this.bytes--;
    yield this.host.cpuCopy(1, "pipe→user");
  }
}

/** Trips of the ping-pong probe per sample (iosim-probe.c: TRIPS). */
const PING_PONG_TRIPS = 200;

/** The ping-pong probe's parent: write a byte to the child, read its answer, *trips* times. */
function* pingParent(host: Host, toChild: BytePipe, toParent: BytePipe, trips: number): ProcessBody<void> {
  for (let i = 0; i < trips; i++) {
    yield* syscall(host, "write", toChild.write());
    yield* syscall(host, "read", toParent.read());
  }
}

/** The ping-pong probe's child: read a byte, write it back, *trips* times. */
function* pongChild(host: Host, toChild: BytePipe, toParent: BytePipe, trips: number): ProcessBody<void> {
  for (let i = 0; i < trips; i++) {
    yield* syscall(host, "read", toChild.read());
    yield* syscall(host, "write", toParent.write());
  }
}

/**
 * Predicted round trip of the ping-pong probe with its two processes on two
 * CPUs, ns: a byte written through a pipe wakes the other process on the
 * other core (each keeps its own core: nothing switches), which takes the
 * profile's wake-up IPI unless idle cores poll (`cpu.ipiNs`,
 * `cpu.idlePolls`; see Resource.scheduleTasks). What the model leaves out
 * shows here: a halted virtual CPU's wake-up through the hypervisor.
 */
export function predictPingPongTwoCpus(profile: Profile): number {
  const sim = createSim({seed: 0});
  const host = new Host(sim, profile, {cores: 2});
  const toChild = new BytePipe(host);
  const toParent = new BytePipe(host);
  spawn(sim, 2, () => pongChild(host, toChild, toParent, PING_PONG_TRIPS)).subscribe();
  spawn(sim, 1, () => pingParent(host, toChild, toParent, PING_PONG_TRIPS)).subscribe();
  return sim.run() / PING_PONG_TRIPS;
}

/** Returns whether iosim calibrate fitted *profile*'s field at *path* to its probes (its source says so). */
function fitted(profile: Profile, path: string): boolean {
  return /^Fitted, not timed alone/.test(profile.sources?.[path] ?? "");
}

/** Returns whether *profile*'s network costs were fitted to the loopback probe by iosim calibrate. */
function profileFittedLoopback(profile: Profile): boolean {
  return fitted(profile, "net.txSegmentNs") || fitted(profile, "net.pageRefNs");
}

/**
 * Returns the file-read rows that *profile*'s fitted fields were fitted to
 * (see fitFileRead): the direct 4 KiB and 1 MiB rows when the disk was
 * fitted, the warm 4 KiB and 64 KiB rows when the read path was.
 */
function fittedFileReadRows(profile: Profile): Set<string> {
  const rows = new Set<string>();
  if (fitted(profile, "disks.ssd.latencyNs")) rows.add("fileread/direct 4KiB").add("fileread/direct 1MiB");
  if (fitted(profile, "memory.pageLookupNs")) rows.add("fileread/buffered warm 4KiB").add("fileread/buffered warm 64KiB");
  return rows;
}

/** Returns *size* (`4KiB`, `64MiB`, `300B`) in bytes, or undefined. */
function sizeOf(text: string): number | undefined {
  const m = /^(\d+)(B|KiB|MiB|GiB)$/.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * {B: 1, KiB, MiB, GiB: 1024 * MiB}[m[2] as "B" | "KiB" | "MiB" | "GiB"];
}

/** Returns the comparison of *measured* with *predicted* in *band*. */
function compare(m: Measurement | undefined, quantity: string, unit: string, predicted: number, band: Band, how: string, calibrated = calibratedRows.has(quantity)): ValidationRow {
  const row: ValidationRow = {quantity, unit, predicted, band, calibrated, how};
  if (!m || m.median === undefined) {
    row.unsupported = m?.unsupported ?? "not measured";
    return row;
  }
  row.measured = m.median;
  row.measuredLow = m.low;
  row.measuredHigh = m.high;
  if (band.kind === "relative") {
    row.error = m.median > 0 ? predicted / m.median : undefined;
    row.within = row.error !== undefined && Math.abs(row.error - 1) <= band.within;
  } else {
    row.error = predicted - m.median;
    row.within = Math.abs(row.error) <= band.within;
  }
  return row;
}

/**
 * Returns every quantity of *cal* the model can predict, each set against
 * a simulation of the same experiment on *profile* (normally the profile
 * `iosim calibrate` wrote from *cal*): null system call, memory copy at
 * each size, the ping-pong round trip between two CPUs, an io_uring_enter of 1 and of 32 NOPs, buffered (warm and cold) and direct read bandwidth at 4 KiB,
 * 64 KiB and 1 MiB, and for each file size sent over loopback TCP the
 * sender CPU ratios read + write : sendfile and read + write : mmap + write
 * and the share of elapsed time sendfile saves, and for each method the
 * mechanism's counts per MiB: data segments, the reader's ACKs, the
 * reader's sleeps (each a wake-up).
 *
 * ```ts
 * const rows = validate(JSON.parse(readFileSync("mine.measurements.json", "utf8")), loadProfile("mine.json"));
 * rows.filter((r) => r.within === false) // what the model gets wrong on this machine
 * ```
 */
export function validate(cal: Calibration, profile: Profile): ValidationRow[] {
  const byRow = new Map(cal.measured.map((m) => [`${m.probe}/${m.case}`, m]));
  const rows: ValidationRow[] = [];
  rows.push(compare(byRow.get("syscall/null"), "syscall/null", "ns", predictNullSyscall(profile), relativeBand, "1000 system calls with no work, back to back"));
  for (const size of copyCurveSizes) {
    const bytes = sizeOf(size)!;
    rows.push(compare(byRow.get(`memcpy/${size}`), `memcpy/${size}`, "bytes/ns", predictCopy(profile, bytes), relativeBand, `one CPU copy of ${size}`));
  }
  rows.push(
    compare(
      byRow.get("memcpy/from memory into 1MiB"),
      "memcpy/from memory into 1MiB",
      "bytes/ns",
      predictCopyFromMemory(profile, MiB),
      relativeBand,
      "one CPU copy of 1 MiB of page-cache pages into a user buffer (read(2)'s copy)",
    ),
  );
  // memory.pageCacheCopyCurve takes a point from each file size whose pages' copy was measured (by the file-read probe or the TCP probe).
  for (const {m, fileBytes} of pageCopyRows(cal.measured)) {
    const quantity = `${m.probe}/${m.case}`;
    const how = `one CPU copy of 64 KiB out of the warm pages of a ${tcpSizeName(fileBytes)} file into a user buffer`;
    rows.push(compare(m, quantity, "bytes/ns", predictPageCacheCopy(profile, 64 * KiB, fileBytes), relativeBand, how, profile.memory.pageCacheCopyCurve !== undefined));
  }
  rows.push(
    compare(
      byRow.get("taskswitch/pingpong round trip, two CPUs"),
      "taskswitch/pingpong round trip, two CPUs",
      "ns",
      predictPingPongTwoCpus(profile),
      relativeBand,
      `${PING_PONG_TRIPS} round trips of one byte through two pipes between two processes on two cores: each hand-over a cross-core wake-up (an IPI unless idle cores poll)`,
    ),
  );
  for (const nops of [1, 32]) {
    const quantity = `uring/enter with ${nops} nop${nops > 1 ? "s" : ""}`;
    rows.push(compare(byRow.get(quantity), quantity, "ns/call", predictUringEnter(profile, nops), relativeBand, `200 io_uring_enter calls, each submitting and waiting for ${nops} NOP${nops > 1 ? "s" : ""}`));
  }
  const fileBytes = Number(cal.info.fileBytes) > 0 ? Number(cal.info.fileBytes) : cal.settings.fileBytes;
  // The device's readahead maximum as the probe's machine had it (sysfs read_ahead_kb), else Linux's default.
  const readAheadKb = Number(cal.info.readAheadKb);
  const readaheadBytes = Number.isSafeInteger(readAheadKb) && readAheadKb > 0 ? readAheadKb * KiB : defaultReadaheadBytes;
  const folios = readaheadFoliosOf(cal);
  const fitted = fittedFileReadRows(profile);
  for (const size of ["4KiB", "64KiB", "1MiB"]) {
    const chunk = sizeOf(size)!;
    for (const mode of ["buffered warm", "buffered cold", "direct"] as const) {
      const quantity = `fileread/${mode} ${size}`;
      const how =
        `sequential ${mode} read(2)s of ${size} (${readSampleBytes(chunk, fileBytes, mode === "direct") / KiB} KiB per sample` +
        (mode === "buffered cold" ? `, the pages dropped before each and the reader going on where it was; readahead up to ${readaheadBytes / KiB} KiB${folios ? ", its windows cut to large folios' orders" : ""})` : ")");
      rows.push(compare(byRow.get(quantity), quantity, "bytes/ns", predictRead(profile, mode, chunk, fileBytes, readaheadBytes, folios), relativeBand, how, fitted.has(quantity) || calibratedRows.has(quantity)));
    }
  }
  const fitBytes = loopbackFitBytes(cal);
  const irqExcluded = threadClockExcludesIrq(cal.info);
  for (const bytes of cal.settings.tcpBytes) {
    const size = tcpSizeName(bytes);
    const tcp = Object.fromEntries(Object.keys(tcpStrategies).map((method) => [method, predictTcp(profile, method, bytes, irqExcluded)]));
    const how =
      `a warm ${size} file sent once by each method over loopback to a reader that discards, the sender and the reader pinned to two CPUs, 64 KiB buffers` +
      (cal.info.tcpCongestion !== undefined ? `, the sender under ${cal.info.tcpCongestion} (the machine's default ${cal.info.tcpCongestionDefault ?? "unread"})` : "") +
      (irqExcluded ? `; CPU as this kernel's thread clocks count it, without interrupt context (CONFIG_IRQ_TIME_ACCOUNTING)` : "");
    // The calibrated profile's network costs were fitted to these very runs (sender and receiver CPU together): the ratio of the
    // sender's shares is not an independent check, so it counts as calibrated; the larger sizes stay predictions.
    const fitted = bytes === fitBytes && profileFittedLoopback(profile);
    rows.push(
      compare(byRow.get(`tcp/sender CPU read+write : sendfile ${size}`), `tcp/sender CPU read+write : sendfile ${size}`, "ratio", tcp["read+write"].senderCpuNs / tcp.sendfile.senderCpuNs, relativeBand, how, fitted),
      compare(byRow.get(`tcp/sender CPU read+write : mmap+write ${size}`), `tcp/sender CPU read+write : mmap+write ${size}`, "ratio", tcp["read+write"].senderCpuNs / tcp["mmap+write"].senderCpuNs, relativeBand, how),
      compare(byRow.get(`tcp/elapsed saved by sendfile ${size}`), `tcp/elapsed saved by sendfile ${size}`, "ratio", 1 - tcp.sendfile.elapsedNs / tcp["read+write"].elapsedNs, pointsBand, how),
    );
    // The mechanism itself, counted on both sides: how many segments crossed lo, how many ACKs the reader sent (Linux's
    // once-per-two-segments rule, and from which side they leave), how often the reader slept and had to be woken.
    // Per MiB, so that sizes compare; a count that is off says which mechanism the CPU rows above lean on.
    const mib = bytes / MiB;
    const counted = [
      ["data segments", "segments"],
      ["ACKs", "acks"],
      ["reader sleeps", "readerSleeps"],
    ] as const;
    for (const method of Object.keys(tcpStrategies))
      for (const [name, field] of counted) {
        const quantity = `tcp/${method} ${name} ${size}`;
        const m = byRow.get(quantity);
        const perMiB = m?.median === undefined ? m : {...m, median: m.median / mib, low: m.low === undefined ? undefined : m.low / mib, high: m.high === undefined ? undefined : m.high / mib};
        rows.push(compare(perMiB, `tcp/${method} ${name} per MiB ${size}`, "per MiB", tcp[method][field] / mib, relativeBand, `${how}; counted by the reader: ${countHow[name]}`));
      }
  }
  return rows;
}

/** How the probe counts each of the loopback transfer's mechanism counts. */
const countHow: Record<string, string> = {
  "data segments": "tcpi_segs_in of its socket less the handshake's two",
  ACKs: "tcpi_segs_out of its socket less the SYN-ACK and the FIN's ACK",
  "reader sleeps": "its voluntary context switches (getrusage RUSAGE_THREAD)",
};

/** Returns how many rows were compared and how many of those are within their band, true predictions and calibrated ones apart. */
export function validationSummary(rows: readonly ValidationRow[]): {compared: number; within: number; predictedCompared: number; predictedWithin: number} {
  const compared = rows.filter((r) => r.within !== undefined);
  const predicted = compared.filter((r) => !r.calibrated);
  return {
    compared: compared.length,
    within: compared.filter((r) => r.within).length,
    predictedCompared: predicted.length,
    predictedWithin: predicted.filter((r) => r.within).length,
  };
}
