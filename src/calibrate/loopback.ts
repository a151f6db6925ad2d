/**
 * The loopback-TCP experiment in the model, and the network costs a
 * calibration fits from it.
 *
 * No probe can time tcp_write_xmit or tcp_v4_rcv on their own, but the
 * loopback probe times whole transfers whose other costs are measured
 * (copies, system calls). So, as a surveyor fixes one unknown distance from
 * a measured baseline and known angles, `iosim calibrate` finds the one
 * factor on the profile's per-skb costs that makes the simulated read +
 * write of one file cost the CPU time measured, then the per-page cost of
 * a zero-copy fragment that makes sendfile's sender cost what it measured.
 * The file is the size whose runs agreed best ({@link loopbackFitBytes}).
 * The per-skb fit uses the sender's and the reader's CPU together: over
 * loopback the same protocol work lands on one core or the other depending
 * on who holds the socket's lock when a segment arrives, so either side
 * alone moves by a few percent with the interleaving (non-monotone in the
 * factor), while their sum is the work done. The page references are
 * taken inside sendfile, by the sender alone, so that fit uses the
 * sender's CPU: the reader's, which copies out of the file's pages, is no
 * measure of them. The other sizes, the split between the two sides, the
 * reader of sendfile and mmap + write at every size stay true predictions
 * for `iosim validate`.
 */
import type {Profile} from "../host/profiles.js";
import {parseProfile} from "../host/profiles.js";
import {runTransfer, type StrategyName} from "../scenarios/transfer.js";
import {KiB, MiB} from "../units.js";
import {threadClockExcludesIrq, type Calibration} from "./calibrate.js";
import {significant, spread} from "./spread.js";

/** The loopback-TCP experiment in the model: one warm file sent by each method, the sender's and the reader's CPU time, the elapsed time, and the mechanism's counts. */
export interface TcpPrediction {
  senderCpuNs: number;
  receiverCpuNs: number;
  elapsedNs: number;
  /** Data segments that crossed lo (the probe: the reader's tcpi_segs_in). */
  segments: number;
  /** ACKs the reader's socket sent (the probe: its tcpi_segs_out). */
  acks: number;
  /** Times the reader blocked waiting for data (the probe: its voluntary context switches). */
  readerSleeps: number;
}

/** The model's strategy for each method the TCP probe times (loopback carries page fragments, so sendfile gathers: SG). */
export const tcpStrategies: Readonly<Record<string, StrategyName>> = {"read+write": "read-write", "mmap+write": "mmap-write", sendfile: "sendfile-sg"};

/**
 * Predicted sender CPU and elapsed time of sending a warm *fileBytes* file
 * by *method* over loopback to a reader on the same host, as the probe
 * (probes/iosim-probe.c, `send_once`) sends it, the sender and the reader
 * on two cores (the probe pins them so; the model's reader has its own
 * core): read + write with a 64 KiB
 * buffer, mmap + write as one mapping written in a single write call (the
 * kernel loops over it), sendfile as one call; the reader reads 64 KiB at a
 * time. The CPU times are as the probe's thread clocks count them: with
 * *irqExcluded* (a kernel with CONFIG_IRQ_TIME_ACCOUNTING, see
 * threadClockExcludesIrq), each side's CPU less its time in interrupt
 * context (the transfer result's `senderIrqNs` and `receiverIrqNs`).
 */
export function predictTcp(profile: Profile, method: string, fileBytes: number, irqExcluded = false): TcpPrediction {
  const strategy = tcpStrategies[method];
  if (!strategy) throw new Error(`no model strategy for TCP method ${method}`);
  // The probe's mmap + write is write(s, p, file_bytes): one call for the whole mapping.
  const chunkBytes = method === "mmap+write" ? fileBytes : 64 * KiB;
  // Over loopback, as the probe sends: the receiver is a process on the same host, so the sender's CPU is its share.
  const {result} = runTransfer({strategy, fileBytes, chunkBytes, receiveBytes: 64 * KiB, cache: "warm", link: "loopback", profile, keepEvents: false});
  // As the probe's clocks count: where they leave interrupt context out, each side's CPU less its part in it.
  const [txIrq, rxIrq] = irqExcluded ? [result.senderIrqNs, result.receiverIrqNs] : [0, 0];
  return {
    senderCpuNs: result.senderCpuNs - txIrq,
    receiverCpuNs: result.receiverCpuNs - rxIrq,
    elapsedNs: result.elapsedNs,
    segments: result.segments,
    acks: result.acksReceived,
    readerSleeps: result.receiverSleeps,
  };
}

/** Returns the name the probe gives a file size (`16MiB`, `300B`). */
export function tcpSizeName(bytes: number): string {
  return bytes % MiB === 0 ? `${bytes / MiB}MiB` : `${bytes}B`;
}

/** The sides whose CPU the fit reproduces: read + write's sender and reader together for the per-skb factor; sendfile's sender for the per-page cost. */
const RW_SIDES = ["sender", "receiver"] as const;
const SF_SIDES = ["sender"] as const;
const FITTED = [
  ["read+write", RW_SIDES],
  ["sendfile", SF_SIDES],
] as const;

/**
 * Returns how far apart the runs of the loopback probe at *size* are: for
 * each quantity the fit reproduces (read + write's CPU, sender and reader
 * summed run by run; sendfile's sender CPU), the range of its runs over
 * their median; the larger of the two, or Infinity when either was not
 * measured.
 */
export function loopbackRunSpread(cal: Pick<Calibration, "measured">, size: string): number {
  let widest = 0;
  for (const [method, sides] of FITTED) {
    const runs = summedRuns(cal, method, size, sides);
    if (!runs) return Infinity;
    const {median, low, high} = spread(runs);
    if (!(median > 0)) return Infinity;
    widest = Math.max(widest, (high - low) / median);
  }
  return widest;
}

/**
 * The file size the network costs are fitted from, or undefined when the
 * TCP probe sent none: of the sizes it sent, the one whose runs agree best
 * ({@link loopbackRunSpread}; a tie goes to the larger file, which runs
 * longer). A short transfer can settle differently from run to run: on
 * the development VM under BBR, a 16 MiB read + write ran either with its
 * reader behind (asleep a few times per MiB, the sender at 0.36 ns per
 * byte) or with it caught up (woken at nearly every write, the sender at
 * 1.0–1.1 ns per byte), while the 256 MiB and 1 GiB runs settled in the
 * second (the runs' range 116% of their median at 16 MiB, 22% and 20% at
 * the larger sizes). A fit to the median of runs split between two regimes
 * fits neither.
 */
export function loopbackFitBytes(cal: Pick<Calibration, "settings" | "measured">): number | undefined {
  const sizes = cal.settings.tcpBytes;
  if (sizes.length === 0) return undefined;
  let best = Math.min(...sizes);
  let bestSpread = Infinity;
  for (const bytes of sizes) {
    const s = loopbackRunSpread(cal, tcpSizeName(bytes));
    if (s < bestSpread || (s === bestSpread && s < Infinity && bytes > best)) [best, bestSpread] = [bytes, s];
  }
  return best;
}

/** The per-skb costs scaled together by the fit: what the transmit and receive paths cost per skb besides copies. */
export const perSkbFields = ["txSegmentNs", "rxPacketNs", "rxSegmentNs", "skbAllocNs"] as const;

/** What {@link fitLoopback} found. */
export interface LoopbackFit {
  /** The file size fitted from, bytes. */
  fileBytes: number;
  /** How far apart the runs were at each size the probe sent ({@link loopbackRunSpread}), by the probe's size name. */
  runSpreads: Record<string, number>;
  /** The factor on the per-skb costs, or undefined when no factor in range reproduces read + write (see *why*). */
  scale?: number;
  /** The per-skb costs it gives, ns. */
  perSkb?: Record<(typeof perSkbFields)[number], number>;
  /** The per-page cost of a zero-copy fragment that reproduces sendfile, ns, or undefined. */
  pageRefNs?: number;
  /** The measured CPU times fitted to: read + write's, sender and reader together; sendfile's sender's; ns. */
  readWriteNs: number;
  sendfileNs?: number;
  /** Why a quantity was not fitted. */
  why: string[];
}

/** The range searched for the per-skb factor: 1/64 to 64 times the base's estimates. */
const SCALE_RANGE: readonly [number, number] = [1 / 64, 64];
/** The range searched for the per-page cost, ns. */
const PAGE_REF_RANGE: readonly [number, number] = [0, 100_000];
/** Bisection steps: the factor to 2^-28 of its log range (5e-7 of it), the page cost to 0.4 ns: far below the probe's spread. */
const STEPS = 28;

/** Returns *draft* with its `net` section's *fields* replaced. */
function withNet(draft: Record<string, unknown>, fields: Record<string, number>): Record<string, unknown> {
  return {...draft, net: {...((draft.net as Record<string, unknown> | undefined) ?? {}), ...fields}};
}

/** Returns the CPU time of *method* at *size* run by run, *sides* (the probe's "sender", "receiver") summed, ns, or undefined when one was not measured. */
function summedRuns(cal: Pick<Calibration, "measured">, method: string, size: string, sides: readonly string[]): number[] | undefined {
  const runs = sides.map((side) => cal.measured.find((r) => r.probe === "tcp" && r.case === `${method} ${side} CPU ${size}`)?.runs);
  const first = runs[0];
  if (!first || first.length === 0 || runs.some((r) => !r || r.length !== first.length)) return undefined;
  return first.map((_, i) => runs.reduce((sum, r) => sum + r![i], 0));
}

/** Returns the measured CPU time of *method* at *size*, *sides* together (summed run by run, the median of the sums), ns, or undefined. */
function measuredCpu(cal: Calibration, method: string, size: string, sides: readonly string[]): number | undefined {
  const runs = summedRuns(cal, method, size, sides);
  if (!runs) return undefined;
  const total = spread(runs).median;
  return Number.isFinite(total) && total > 0 ? total : undefined;
}

/** Returns the simulated CPU time of *method* at *fileBytes* on *profile*, sender and reader together, ns. */
function simulatedCpu(profile: Profile, method: string, fileBytes: number, irqExcluded: boolean): number {
  const p = predictTcp(profile, method, fileBytes, irqExcluded);
  return p.senderCpuNs + p.receiverCpuNs;
}

/**
 * Returns the fit of the network costs to the loopback probe at the file
 * size whose runs agreed best ({@link loopbackFitBytes}), on the profile *draft* (the calibrated profile's
 * object before the network fields, which `extends` a shipped one):
 * first the factor *k* on {@link perSkbFields} (bisection on log k within
 * 1/64–64) at which the simulated read + write costs the CPU time measured
 * (sender and reader together), then with those costs the per-page cost
 * `net.pageRefNs` (0–100 µs) at which sendfile's sender does. The simulated cost
 * rises with each, in steps of a few percent about a line (the window's and
 * the ACKs' patterns change with the speeds), so the bisection finds a
 * crossing and {@link lineCrossing} answers with the line's; a measurement
 * outside what the range can reach is left unfitted, with the reason.
 * Undefined when the probe did not measure read + write at that size.
 */
export function fitLoopback(cal: Calibration, draft: Record<string, unknown>): LoopbackFit | undefined {
  const fileBytes = loopbackFitBytes(cal);
  if (fileBytes === undefined) return undefined;
  const size = tcpSizeName(fileBytes);
  const rw = measuredCpu(cal, "read+write", size, RW_SIDES);
  if (rw === undefined) return undefined;
  const base = parseProfile(draft, "calibrated profile").net;
  const runSpreads = Object.fromEntries(cal.settings.tcpBytes.map((b) => [tcpSizeName(b), loopbackRunSpread(cal, tcpSizeName(b))]));
  const fit: LoopbackFit = {fileBytes, runSpreads, readWriteNs: rw, why: []};
  const scaled = (k: number) => Object.fromEntries(perSkbFields.map((f) => [f, base[f] * k])) as Record<(typeof perSkbFields)[number], number>;
  const irqExcluded = threadClockExcludesIrq(cal.info);
  const rwAt = (k: number) => simulatedCpu(parseProfile(withNet(draft, scaled(k)), "calibrated profile"), "read+write", fileBytes, irqExcluded);
  let [lo, hi] = [Math.log(SCALE_RANGE[0]), Math.log(SCALE_RANGE[1])];
  if (rwAt(Math.exp(lo)) > rw) {
    fit.why.push(`read + write measured ${shownMs(rw)}, less than the model's copies, system calls and wake-ups alone (${shownMs(rwAt(Math.exp(lo)))} at 1/64 of the per-skb costs)`);
    return fit;
  }
  if (rwAt(Math.exp(hi)) < rw) {
    fit.why.push(`read + write measured ${shownMs(rw)}, more than the model reaches at 64 times the per-skb costs`);
    return fit;
  }
  for (let i = 0; i < STEPS; i++) {
    const mid = (lo + hi) / 2;
    if (rwAt(Math.exp(mid)) < rw) lo = mid;
    else hi = mid;
  }
  fit.scale = lineCrossing(rwAt, Math.exp((lo + hi) / 2), rw);
  fit.perSkb = scaled(fit.scale);
  // The per-page cost is the sender's (skb_splice_from_iter takes the references inside sendfile), so its CPU is what it must
  // reproduce; the reader's, copying out of the file's pages, stays a prediction.
  const sf = measuredCpu(cal, "sendfile", size, SF_SIDES);
  if (sf === undefined) {
    fit.why.push(`sendfile's sender CPU time at ${size} was not measured`);
    return fit;
  }
  fit.sendfileNs = sf;
  const sfAt = (pageRefNs: number) => predictTcp(parseProfile(withNet(draft, {...fit.perSkb!, pageRefNs}), "calibrated profile"), "sendfile", fileBytes, irqExcluded).senderCpuNs;
  let [plo, phi] = PAGE_REF_RANGE;
  if (sfAt(plo) > sf) {
    fit.why.push(`sendfile measured ${shownMs(sf)}, less than the model gives with free page references (${shownMs(sfAt(plo))})`);
    return fit;
  }
  if (sfAt(phi) < sf) {
    fit.why.push(`sendfile measured ${shownMs(sf)}, more than the model reaches at ${phi / 1000} µs per page`);
    return fit;
  }
  for (let i = 0; i < STEPS; i++) {
    const mid = (plo + phi) / 2;
    if (sfAt(mid) < sf) plo = mid;
    else phi = mid;
  }
  fit.pageRefNs = lineCrossing(sfAt, (plo + phi) / 2, sf);
  return fit;
}

/** Points each side of a bisection's answer that {@link lineCrossing} simulates, and how far they reach, of the answer. */
const LINE_POINTS = 4;
const LINE_REACH = 0.2;

/**
 * Returns where the least-squares line through *f* at 2 × LINE_POINTS + 1
 * points across *x0* ± 20% crosses *target*, or *x0* when the line does not
 * rise or crosses outside those points (or *x0* is 0).
 *
 * Why: the simulated CPU time rises with a cost the way a line does, but
 * not smoothly. Over loopback the receiver's window (DRS, the window
 * updates) and the ACKs it sends change pattern as the sender's and the
 * reader's speeds change: read + write of 4 MiB on server-2024 with the
 * per-skb costs × 3.4, 3.425, 3.6, 3.8, 4 and 4.2 cost 2.33, 2.37, 2.71,
 * 2.62, 2.74 and 2.84 ms, steps of ±5% about a line. A bisection stops at
 * one of the steps, which can sit 15% from where the line crosses; a
 * measured machine has no such steps (its noise averages over many), so
 * the fit answers with the line.
 */
function lineCrossing(f: (x: number) => number, x0: number, target: number): number {
  if (!(x0 > 0)) return x0;
  const xs: number[] = [];
  for (let i = -LINE_POINTS; i <= LINE_POINTS; i++) xs.push(x0 * (1 + (LINE_REACH * i) / LINE_POINTS));
  const ys = xs.map(f);
  const n = xs.length;
  const mx = xs.reduce((a, x) => a + x, 0) / n;
  const my = ys.reduce((a, y) => a + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  const slope = sxy / sxx;
  if (!(slope > 0)) return x0;
  const x = mx + (target - my) / slope;
  return x >= xs[0] && x <= xs[n - 1] ? x : x0;
}

/** Returns *ns* as milliseconds, short: `7.36 ms`. */
function shownMs(ns: number): string {
  return `${significant(ns / 1e6)} ms`;
}
