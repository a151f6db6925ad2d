/**
 * Study: how much does zero-copy (零拷贝) save when sending a file to a socket?
 *
 * Think of moving boxes from a warehouse (the disk) to a lorry (the NIC).
 * read + write unloads every box onto your own desk (the user buffer) and
 * loads it back again; mmap + write lets you look at the boxes where they
 * stand but still carries them to the loading bay; sendfile tells the
 * warehouse to carry them itself; and with a scatter-gather NIC (SG-DMA)
 * the lorry picks them up straight from the shelves. The seed counts the
 * trips; this study times them, on two machines, for files of 4 KiB to 1 GiB.
 */
import * as aq from "arquero";
import {readFileSync} from "node:fs";
import {fileURLToPath} from "node:url";
import {countsChart, type CountsRow} from "../charts/countsChart.js";
import {cpuShareChart, type CpuShareRow} from "../charts/cpuShareChart.js";
import {strategyColors} from "../charts/palette.js";
import {sizeLineChart, throughputChart} from "../charts/throughputChart.js";
import {diskKinds, type DiskKind} from "../host/devices.js";
import {loadProfile, type Profile} from "../host/profiles.js";
import * as z from "zod";
import {fields} from "../params/fields.js";
import {parseInput} from "../params/parseInput.js";
import {runTransfer, strategies, type StrategyName} from "../scenarios/transfer.js";
import {linkKinds, type LinkKind} from "../transfer/index.js";
import {formatNs, formatSize, GiB, KiB, MiB} from "../units.js";
import type {StudyResult} from "./study.js";

/** Returns 4 KiB × 4^k for every k up to *maxBytes*. */
function powersOf4(minBytes: number, maxBytes: number): number[] {
  const out: number[] = [];
  for (let b = minBytes; b <= maxBytes; b *= 4) out.push(b);
  return out;
}

/** One row of IBM's 2008 table: a file size and the two measured run times. */
export interface Ibm2008Row {
  fileMB: number;
  traditionalMs: number;
  transferToMs: number;
}

const ibm2008Schema = z.object({
  url: z.string(),
  published: z.string(),
  rows: z.array(z.object({fileMB: z.number().positive(), traditionalMs: z.number().positive(), transferToMs: z.number().positive()})).min(1),
});

/** Where IBM's published table is kept, with its source and what the article leaves unsaid. */
export const ibm2008File = fileURLToPath(new URL("../../../data/reference/ibm-2008-zero-copy.json", import.meta.url));

/**
 * Returns IBM's 2008 zero-copy table (Palaniappan and Nagaraja, "Efficient
 * data transfer through zero copy", IBM developerWorks, Table 1), read from
 * {@link ibm2008File}: run times of a Java client sending a file 4 KiB at a
 * time (read + send) or with transferTo() (sendfile), Linux 2.6.
 */
export function ibm2008Table(): {url: string; published: string; rows: Ibm2008Row[]} {
  return ibm2008Schema.parse(JSON.parse(readFileSync(ibm2008File, "utf8")));
}

/** The file sizes of IBM's table, MB as printed. */
const ibm2008Sizes = ibm2008Table().rows.map((r) => r.fileMB);

/**
 * The parameters of {@link zeroCopyStudy}, declared once: each one's check,
 * its default and its meaning. {@link zeroCopyDefaults}, the
 * {@link ZeroCopyParams} type and the study's validation all come from it.
 * Sizes take bytes or a size text (`"1MiB"`).
 */
export const zeroCopyParamsSchema = z.strictObject({
  fileSizesBytes: fields.sizeList().default(powersOf4(4 * KiB, 1 * GiB)).describe("File sizes swept, bytes; default 4 KiB, 16 KiB, … 1 GiB (powers of 4)."),
  strategies: fields
    .listOf("strategy", strategies)
    // In the order of the strategy list, whatever the order given.
    .transform((list) => strategies.filter((s) => list.includes(s)))
    .refine((list) => list.includes("read-write"), {error: "a list that includes read-write (the baseline of the time saved)"})
    .default([...strategies])
    .describe("Strategies compared; read-write must be among them (the baseline)."),
  profiles: fields.names("a non-empty list of profile names").default(["server-2024", "desktop-2008"]).describe("Host profiles (shipped names or JSON paths); default a current server and a 2008 desktop."),
  chunkBytes: fields.size().default(64 * KiB).describe("Bytes per system-call round (buffer size); default 64 KiB."),
  disk: fields.oneOf(diskKinds).default("ssd").describe("Which of the profile's disks holds the file; default ssd."),
  readaheadBytes: fields.size({allowZero: true}).default(0).describe("Readahead window, bytes; default 0, as the seed's per-chunk counts assume."),
  shareSizesBytes: fields.sizeList().default([4 * KiB, 1 * MiB, 1 * GiB]).describe("File sizes shown in the CPU-share chart; default 4 KiB, 1 MiB, 1 GiB."),
  countsFileBytes: fields.size().default(1 * MiB).describe("File size whose counts the counts table and chart show; default 1 MiB (16 chunks)."),
  warmCheck: z.boolean({error: "true or false"}).default(true).describe("Also time read + write and the best zero-copy strategy with a warm cache at the largest size, for the notes; default true."),
  link: fields.oneOf(linkKinds).default("nic").describe("Where the bytes go: nic (default), to a client on another machine, or loopback, to a reader on the same host."),
  ibm2008FilesMB: z
    .array(z.number(), {error: `a list of IBM's file sizes: ${ibm2008Sizes.join(", ")} (MB)`})
    .refine((list) => list.every((mb) => ibm2008Sizes.includes(mb)), {error: `a list of IBM's file sizes: ${ibm2008Sizes.join(", ")} (MB)`})
    .transform((list) => [...new Set(list)].sort((a, b) => a - b))
    .default([7, 21, 63])
    .describe(
      "Rows of IBM's 2008 table (data/reference/ibm-2008-zero-copy.json) to reproduce: read + write with a 4 KiB buffer against one sendfile of the whole file (Java's transferTo; the kernel's 64 KiB rounds), warm cache, over loopback to a local reader that reads 4 KiB per recv (as IBM's server), under ibm2008Profile; MB read as MiB. Default 7, 21, 63 (the larger rows cost seconds each: 4 KiB rounds); [] for none.",
    ),
  ibm2008Profile: z.string({error: "a profile name or JSON path"}).default("desktop-2008").describe("Host profile of the IBM 2008 reproduction; default desktop-2008."),
  seed: fields.seed().default(0).describe("Seed of the simulation."),
});

/** Parameters of {@link zeroCopyStudy} (see {@link zeroCopyParamsSchema}). */
export type ZeroCopyParams = z.output<typeof zeroCopyParamsSchema>;

/** Default parameters of {@link zeroCopyStudy}: cold cache, 64 KiB chunks, ssd, seed 0 (read from {@link zeroCopyParamsSchema}). */
export const zeroCopyDefaults: Readonly<ZeroCopyParams> = Object.freeze(zeroCopyParamsSchema.parse({}));

/** The seed's table of per-chunk counts with a cold cache, as the claim to check. */
export const seedCountsPerChunk: Record<StrategyName, {contextSwitches: number; dmaCopies: number; cpuCopies: number}> = {
  "read-write": {contextSwitches: 4, dmaCopies: 2, cpuCopies: 2},
  "mmap-write": {contextSwitches: 4, dmaCopies: 2, cpuCopies: 1},
  sendfile: {contextSwitches: 2, dmaCopies: 2, cpuCopies: 1},
  "sendfile-sg": {contextSwitches: 2, dmaCopies: 2, cpuCopies: 0},
};

/** The seed's claim: zero-copy saves about this fraction of the time. */
const seedClaimedSaving = 0.65;

/** One run of the sweep. */
interface Run {
  profile: string;
  strategy: StrategyName;
  fileBytes: number;
  chunks: number;
  elapsedNs: number;
  latencyNs: number;
  throughputBytesPerSec: number;
  cpuBusyNs: number;
  cpuUtilization: number;
  diskBusyShare: number;
  nicBusyShare: number;
  contextSwitches: number;
  dmaCopies: number;
  /** Bytes of the file's data moved by DMA (disk→memory, and the wire packets' payload). */
  dataDmaBytes: number;
  cpuCopies: number;
  syscalls: number;
  interrupts: number;
  /** mmap-write: page faults on the mapping and munmap's TLB flushes (0 for the others). */
  pageFaults: number;
  tlbFlushes: number;
  senderCpuNs: number;
  receiverCpuNs: number;
  cpuShare: Record<string, number>;
}

/** Returns *params* over the defaults, checked by {@link zeroCopyParamsSchema}: errors name the parameter. */
function resolve(params: z.input<typeof zeroCopyParamsSchema>): ZeroCopyParams {
  return parseInput(zeroCopyParamsSchema, params, {keyParam: "key for study zero-copy"});
}

/** Runs one cold-cache transfer and returns its row. */
function runOne(p: ZeroCopyParams, profile: Profile, strategy: StrategyName, fileBytes: number): Run {
  const {result, host} = runTransfer({
    strategy,
    fileBytes,
    chunkBytes: p.chunkBytes,
    cache: "cold",
    disk: p.disk,
    readaheadBytes: p.readaheadBytes,
    link: p.link,
    seed: p.seed,
    profile,
    keepEvents: false,
  });
  return {
    profile: profile.name,
    strategy,
    fileBytes,
    chunks: result.chunks,
    elapsedNs: result.elapsedNs,
    latencyNs: result.latencyNs,
    throughputBytesPerSec: result.throughputBytesPerSec,
    cpuBusyNs: result.cpuBusyNs,
    cpuUtilization: result.cpuUtilization,
    diskBusyShare: result.elapsedNs > 0 ? host.disk.resource.busyNs / result.elapsedNs : 0,
    nicBusyShare: result.elapsedNs > 0 ? host.nic.resource.busyNs / result.elapsedNs : 0,
    contextSwitches: result.contextSwitches,
    dmaCopies: result.dmaCopies,
    dataDmaBytes: result.dataDmaBytes,
    cpuCopies: result.cpuCopies,
    syscalls: result.syscalls,
    interrupts: result.interrupts,
    pageFaults: result.pageFaults,
    tlbFlushes: result.tlbFlushes,
    senderCpuNs: result.senderCpuNs,
    receiverCpuNs: result.receiverCpuNs,
    cpuShare: result.cpuShare,
  };
}

/** A warm-cache comparison at the largest size. */
interface WarmCheck {
  profile: string;
  fileBytes: number;
  readWriteNs: number;
  zeroCopyNs: number;
}

/** Returns, per profile, read + write against the best zero-copy strategy with the whole file already in the page cache. */
function warmChecks(p: ZeroCopyParams, profiles: Profile[]): WarmCheck[] {
  const fileBytes = p.fileSizesBytes[p.fileSizesBytes.length - 1];
  const out: WarmCheck[] = [];
  for (const profile of profiles) {
    // The warm file must fit in the page cache, or the "warm" run would read from disk after all.
    if (fileBytes > profile.memory.pageCacheBytes) continue;
    const best: StrategyName = p.strategies.includes("sendfile-sg") && profile.nic.scatterGather ? "sendfile-sg" : p.strategies[p.strategies.length - 1];
    const time = (strategy: StrategyName) =>
      runTransfer({strategy, fileBytes, chunkBytes: p.chunkBytes, cache: "warm", disk: p.disk, readaheadBytes: p.readaheadBytes, link: p.link, seed: p.seed, profile, keepEvents: false}).result.elapsedNs;
    out.push({profile: profile.name, fileBytes, readWriteNs: time("read-write"), zeroCopyNs: time(best)});
  }
  return out;
}

/** Returns "1 CPU copy" or "2 CPU copies". */
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const times = (x: number) => `×${x.toFixed(2)}`;
/** Returns a saving as a signed percentage: "12.3%" or "−4.5%" (more time than read + write). */
const signedPct = (x: number) => (x < 0 ? `−${pct(-x)}` : pct(x));
/** Returns "12.3% less time", "4.5% more time" or "the same time", the direction taken from the sign of *saved* (a fraction). */
const lessOrMore = (saved: number, what: string) => (saved > 0 ? `${pct(saved)} less ${what}` : saved < 0 ? `${pct(-saved)} more ${what}` : `the same ${what}`);
/** Returns 1 − a/b, or NaN when b is 0 (never charted: charts filter NaN). */
const saving = (a: number, b: number) => (b > 0 ? 1 - a / b : NaN);

/**
 * Returns the zero-copy study: every strategy sends one file of each size
 * from a cold page cache to a socket, under each host profile; tables of
 * throughput, latency, CPU time by category, the seed's counts and the time
 * saved against read + write; charts of each; and notes that state what
 * the model gives, set beside the seed's claim of ~65% saved.
 *
 * ```ts
 * const {tables, charts, notes} = zeroCopyStudy({profiles: ["server-2024"], fileSizesBytes: [MiB, GiB]});
 * ```
 * @see dmaStudy
 */
export function zeroCopyStudy(params: z.input<typeof zeroCopyParamsSchema> = {}): StudyResult {
  const p = resolve(params);
  const profiles = p.profiles.map((name) => loadProfile(name));
  const skipped: string[] = [];
  const runs: Run[] = [];
  const sizes = [...new Set([...p.fileSizesBytes, ...p.shareSizesBytes, p.countsFileBytes])].sort((a, b) => a - b);
  for (const profile of profiles) {
    for (const strategy of p.strategies) {
      if (strategy === "sendfile-sg" && !profile.nic.scatterGather) {
        skipped.push(`sendfile-sg was skipped under ${profile.name}: its NIC has no scatter-gather DMA.`);
        continue;
      }
      for (const fileBytes of sizes) runs.push(runOne(p, profile, strategy, fileBytes));
    }
  }
  const find = (profile: string, strategy: string, fileBytes: number) => runs.find((r) => r.profile === profile && r.strategy === strategy && r.fileBytes === fileBytes);
  const swept = runs.filter((r) => p.fileSizesBytes.includes(r.fileBytes));

  // The results table: one row per profile × strategy × size, with the saving against read + write.
  const resultRows = swept.map(({cpuShare: _share, ...r}) => {
    const base = find(r.profile, "read-write", r.fileBytes)!;
    return {
      ...r,
      timeSavedVsReadWrite: saving(r.elapsedNs, base.elapsedNs),
      speedupVsReadWrite: r.elapsedNs > 0 ? base.elapsedNs / r.elapsedNs : NaN,
      cpuTimeSavedVsReadWrite: saving(r.cpuBusyNs, base.cpuBusyNs),
    };
  });
  const results = aq.from(resultRows);

  const shareRows = runs
    .filter((r) => p.fileSizesBytes.includes(r.fileBytes) || p.shareSizesBytes.includes(r.fileBytes))
    .flatMap((r) => Object.entries(r.cpuShare).map(([category, share]) => ({profile: r.profile, strategy: r.strategy, fileBytes: r.fileBytes, category, share, cpuNs: share * r.cpuBusyNs})));
  const cpuShareTable = aq.from(shareRows);

  // The counts at one file size, per chunk, beside the seed's table.
  const countRows = runs
    .filter((r) => r.fileBytes === p.countsFileBytes)
    .map((r) => {
      const seed = seedCountsPerChunk[r.strategy];
      const per = (n: number) => (r.chunks > 0 ? n / r.chunks : NaN);
      // The NIC's DMAs go per skb, not per chunk: the DMA copies a chunk went through are its data's DMA bytes over its bytes.
      const dmaCopiesPerChunk = r.fileBytes > 0 ? r.dataDmaBytes / r.fileBytes : NaN;
      return {
        profile: r.profile,
        strategy: r.strategy,
        fileBytes: r.fileBytes,
        chunks: r.chunks,
        contextSwitches: r.contextSwitches,
        dmaCopies: r.dmaCopies,
        cpuCopies: r.cpuCopies,
        syscalls: r.syscalls,
        contextSwitchesPerChunk: per(r.contextSwitches),
        dmaCopiesPerChunk,
        cpuCopiesPerChunk: per(r.cpuCopies),
        seedContextSwitchesPerChunk: seed.contextSwitches,
        seedDmaCopiesPerChunk: seed.dmaCopies,
        seedCpuCopiesPerChunk: seed.cpuCopies,
        callsPerFile: r.syscalls,
        pageFaults: r.pageFaults,
        tlbFlushes: r.tlbFlushes,
        matchesSeed: per(r.contextSwitches) === seed.contextSwitches && dmaCopiesPerChunk === seed.dmaCopies && per(r.cpuCopies) === seed.cpuCopies,
      };
    });
  const counts = aq.from(countRows);

  const savedRows = resultRows
    .filter((r) => r.strategy !== "read-write")
    .map((r) => ({
      profile: r.profile,
      fileBytes: r.fileBytes,
      strategy: r.strategy,
      elapsedNs: r.elapsedNs,
      readWriteElapsedNs: find(r.profile, "read-write", r.fileBytes)!.elapsedNs,
      timeSavedPct: r.timeSavedVsReadWrite * 100,
      speedupVsReadWrite: r.speedupVsReadWrite,
      cpuTimeSavedPct: r.cpuTimeSavedVsReadWrite * 100,
    }));
  const timeSaved = aq.from(savedRows);

  const charts = buildCharts(p, resultRows, shareRows, countRows, savedRows);
  const warm = p.warmCheck ? warmChecks(p, profiles) : [];
  const notes = [...buildNotes(p, profiles, resultRows, countRows, shareRows, warm), ...skipped];
  const ibm = ibm2008Comparison(p);
  if (ibm) {
    charts.push(ibm.chart);
    notes.push(...ibm.notes);
  }

  return {
    id: "zero-copy",
    title: "Zero-copy file transfer: read + write, mmap + write, sendfile, sendfile + SG-DMA",
    question:
      "How much time and CPU does zero-copy (零拷贝) save when a server sends a file to a socket, from 4 KiB to 1 GiB, on a current server and on a 2008 desktop? Does the model reproduce the seed's claim of ~65% less time?",
    params: {...p, cache: "cold"},
    tables: [
      {id: "results", title: "Every run: time, throughput, CPU and counts per profile, strategy and file size (cold cache)", table: results},
      {id: "time-saved", title: "Time and CPU time saved against read + write", table: timeSaved},
      {id: "counts", title: `Counts at ${formatSize(p.countsFileBytes)}, per chunk, beside the seed's table`, table: counts},
      {id: "cpu-share", title: "CPU busy time by category", table: cpuShareTable},
      ...(ibm ? [{id: "ibm-2008", title: `IBM's 2008 table (${ibm.url}) beside iosim in the same set-up`, table: ibm.table}] : []),
    ],
    charts,
    notes,
  };
}

/**
 * Reproduces IBM's 2008 set-up for the rows *p.ibm2008FilesMB*: a 4 KiB
 * buffer, the file already in the page cache, sent over loopback to a local
 * reader, read + write against sendfile (transferTo), under
 * *p.ibm2008Profile*. The 4 KiB buffer is read + write's only: IBM's
 * client calls `transferTo(0, fsize, sc)` once, which Java makes one
 * sendfile(2) of the whole file (FileChannelImpl.transferTo →
 * transferToDirectly), whose rounds inside the kernel are its own (the
 * internal pipe's 64 KiB since 2.6.23; before, per page into TCP's
 * growing skb), not the client's buffer; returns the table (IBM's numbers beside the runs'),
 * the time-saved chart (all of IBM's rows, the runs' rows) and notes
 * computed from both; null when no row is asked for.
 */
function ibm2008Comparison(p: ZeroCopyParams) {
  if (p.ibm2008FilesMB.length === 0) return null;
  const reference = ibm2008Table();
  const profile = loadProfile(p.ibm2008Profile);
  const elapsed = (strategy: StrategyName, fileBytes: number) =>
    runTransfer({strategy, fileBytes, chunkBytes: strategy === "sendfile" ? 64 * KiB : 4 * KiB, receiveBytes: 4 * KiB, cache: "warm", disk: p.disk, readaheadBytes: 0, link: "loopback", seed: p.seed, profile, keepEvents: false}).result.elapsedNs;
  const rows = p.ibm2008FilesMB.map((mb) => {
    const ref = reference.rows.find((r) => r.fileMB === mb)!;
    const fileBytes = mb * MiB;
    const readWriteNs = elapsed("read-write", fileBytes);
    const sendfileNs = elapsed("sendfile", fileBytes);
    const ibmSaved = (1 - ref.transferToMs / ref.traditionalMs) * 100;
    const iosimSaved = saving(sendfileNs, readWriteNs) * 100;
    return {
      fileMB: mb,
      fileBytes,
      ibmTraditionalMs: ref.traditionalMs,
      ibmTransferToMs: ref.transferToMs,
      ibmTimeSavedPct: ibmSaved,
      profile: profile.name,
      iosimReadWriteMs: readWriteNs / 1e6,
      iosimSendfileMs: sendfileNs / 1e6,
      iosimTimeSavedPct: iosimSaved,
      /** iosim's saving minus IBM's, percentage points. */
      savedGapPoints: iosimSaved - ibmSaved,
      /** IBM's read + write time over iosim's: how much slower IBM's Java client on its 2008 machine was. */
      ibmOverIosimReadWrite: ref.traditionalMs / (readWriteNs / 1e6),
    };
  });
  const source = `IBM developerWorks, ${reference.published}`;
  const chartRows = [
    ...reference.rows.map((r) => ({source: `IBM 2008 (measured)`, fileBytes: r.fileMB * MiB, timeSavedPct: (1 - r.transferToMs / r.traditionalMs) * 100})),
    ...rows.map((r) => ({source: `iosim ${profile.name}`, fileBytes: r.fileBytes, timeSavedPct: r.iosimTimeSavedPct})),
  ];
  const chart = {
    id: "ibm-2008",
    title: "Time saved by sendfile: IBM's 2008 measurements beside iosim",
    html: sizeLineChart(
      chartRows.map((r) => ({profile: "4 KiB buffer (read + write), warm cache, loopback", series: r.source, sizeBytes: r.fileBytes, value: r.timeSavedPct})),
      {
        title: "Time saved by sendfile (transferTo) against read + write",
        subtitle: `IBM's Table 1 (${source}; Java, Linux 2.6) and iosim under ${profile.name} in the same set-up; MB read as MiB.`,
        yLabel: "Time saved (%)",
        seriesLabel: "Source",
        colors: {"IBM 2008 (measured)": "#9c755f", [`iosim ${profile.name}`]: strategyColors.sendfile},
      },
    ),
    data: aq.from(chartRows),
  };
  const range = (xs: number[]) => {
    const [lo, hi] = [Math.min(...xs).toFixed(0), Math.max(...xs).toFixed(0)];
    return lo === hi ? `${lo}%` : `${lo}–${hi}%`;
  };
  const sizes = rows.map((r) => `${r.fileMB}`).join(", ");
  const gaps = rows.map((r) => r.savedGapPoints);
  const within = rows.filter((r) => Math.abs(r.savedGapPoints) <= 10).length;
  const slower = rows.map((r) => r.ibmOverIosimReadWrite);
  const notes = [
    `IBM measured ${range(rows.map((r) => r.ibmTimeSavedPct))} less time with transferTo than with 4 KiB read + send at ${sizes} MB (${range(reference.rows.map((r) => (1 - r.transferToMs / r.traditionalMs) * 100))} over its whole table); ` +
      `iosim under ${profile.name} in the same set-up (4 KiB buffer for read + write, one sendfile of the whole file, warm cache, loopback to a local reader reading 4 KiB per recv) gives ${range(rows.map((r) => r.iosimTimeSavedPct))}: ` +
      `${within === rows.length ? "within" : within === 0 ? "outside" : `${within} of ${rows.length} rows within`} ±10 points of IBM's (gaps ${gaps.map((g) => `${g >= 0 ? "+" : "−"}${Math.abs(g).toFixed(0)}`).join(", ")} points).`,
    `IBM's read + send times are ×${Math.min(...slower).toFixed(1)}–×${Math.max(...slower).toFixed(1)} iosim's under ${profile.name}: IBM's client was a Java program on an unnamed 2008 machine, and the article states neither the cache state nor whether client and server shared a host, so the absolute times are not the comparison; the share of time saved is.`,
  ];
  return {url: reference.url, table: aq.from(rows), chart, notes};
}

/**
 * Returns the time-saved chart's caption: the seed's claim beside the largest
 * saving the runs give and how many of them reach the claim.
 */
function seedCaption(savedRows: ReadonlyArray<{profile: string; strategy: string; fileBytes: number; timeSavedPct: number}>): string {
  const claim = `The seed claims ~${seedClaimedSaving * 100}% for zero-copy`;
  const runs = savedRows.filter((r) => Number.isFinite(r.timeSavedPct));
  if (runs.length === 0) return `${claim}; no run here compares with read + write.`;
  const top = runs.reduce((a, b) => (b.timeSavedPct > a.timeSavedPct ? b : a));
  const reaching = runs.filter((r) => r.timeSavedPct >= seedClaimedSaving * 100).length;
  const pctText = (x: number) => (x < 0 ? `−${(-x).toFixed(1)}%` : `${x.toFixed(1)}%`);
  return (
    `${claim}; the largest saving here is ${pctText(top.timeSavedPct)} (${top.strategy}, ${formatSize(top.fileBytes)}, ${top.profile}), ` +
    (reaching ? `and ${reaching} of ${runs.length} runs reach ${seedClaimedSaving * 100}%.` : `and none of the ${runs.length} runs reaches ${seedClaimedSaving * 100}%.`)
  );
}

/** Returns the study's charts, each with the rows it plots. */
function buildCharts(
  p: ZeroCopyParams,
  resultRows: Array<{profile: string; strategy: string; fileBytes: number; throughputBytesPerSec: number; latencyNs: number}>,
  shareRows: Array<{profile: string; strategy: string; fileBytes: number; category: string; share: number}>,
  countRows: Array<{profile: string; strategy: string; contextSwitchesPerChunk: number; dmaCopiesPerChunk: number; cpuCopiesPerChunk: number}>,
  savedRows: Array<{profile: string; strategy: string; fileBytes: number; timeSavedPct: number}>,
): StudyResult["charts"] {
  const params = `link ${p.link}, cold cache, ${formatSize(p.chunkBytes)} chunks, ${p.disk}, readahead ${p.readaheadBytes ? formatSize(p.readaheadBytes) : "off"}, seed ${p.seed}`;
  const throughputData = resultRows.map((r) => ({profile: r.profile, strategy: r.strategy, fileBytes: r.fileBytes, throughputBytesPerSec: r.throughputBytesPerSec}));
  const latencyData = resultRows.map((r) => ({profile: r.profile, strategy: r.strategy, fileBytes: r.fileBytes, latencyNs: r.latencyNs}));
  const savedData = savedRows.map((r) => ({profile: r.profile, strategy: r.strategy, fileBytes: r.fileBytes, timeSavedPct: r.timeSavedPct}));
  const shareData = shareRows.filter((r) => p.shareSizesBytes.includes(r.fileBytes)).map(({profile, strategy, fileBytes, category, share}) => ({profile, strategy, fileBytes, category, share}));
  const countProfile = countRows[0]?.profile;
  const countData: Array<CountsRow & {profile: string}> = countRows
    .filter((r) => r.profile === countProfile)
    .flatMap((r) => [
      {profile: r.profile, strategy: r.strategy, count: "context switches", perChunk: r.contextSwitchesPerChunk},
      {profile: r.profile, strategy: r.strategy, count: "DMA copies", perChunk: r.dmaCopiesPerChunk},
      {profile: r.profile, strategy: r.strategy, count: "CPU copies", perChunk: r.cpuCopiesPerChunk},
    ]);
  const shareChartRows: CpuShareRow[] = shareData.map((r) => ({group: r.strategy, category: r.category, share: r.share, facetX: r.profile, facetY: formatSize(r.fileBytes)}));
  return [
    {
      id: "throughput",
      title: "Throughput against file size",
      html: throughputChart(
        throughputData.map((r) => ({profile: r.profile, series: r.strategy, sizeBytes: r.fileBytes, throughputBytesPerSec: r.throughputBytesPerSec})),
        {title: "Throughput against file size, by strategy", subtitle: `One file sent to a socket; ${params}.`, seriesLabel: "Strategy", colors: strategyColors},
      ),
      data: aq.from(throughputData),
    },
    {
      id: "latency",
      title: "Latency against file size",
      html: sizeLineChart(
        latencyData.map((r) => ({profile: r.profile, series: r.strategy, sizeBytes: r.fileBytes, value: r.latencyNs / 1e6})),
        {title: "Time to send one file, by strategy", subtitle: `From the first system call to the last byte on the wire; ${params}.`, yLabel: "Latency (ms, log scale)", yType: "log", seriesLabel: "Strategy", colors: strategyColors},
      ),
      data: aq.from(latencyData),
    },
    {
      id: "time-saved",
      title: "Time saved against read + write",
      html: sizeLineChart(
        savedData.map((r) => ({profile: r.profile, series: r.strategy, sizeBytes: r.fileBytes, value: r.timeSavedPct})),
        {
          title: "Time saved against read + write",
          subtitle: `(1 − time / read+write time) × 100; ${params}.`,
          caption: seedCaption(savedRows),
          yLabel: "Time saved (%)",
          seriesLabel: "Strategy",
          colors: strategyColors,
        },
      ),
      data: aq.from(savedData),
    },
    {
      id: "cpu-share",
      title: "CPU busy time by category",
      html: cpuShareChart(shareChartRows, {
        title: "What the CPU spends its busy time on, by strategy",
        subtitle: `Panels: profile (columns) × file size (rows); ${params}.`,
        groupLabel: "Strategy",
        groupOrder: p.strategies.filter((s) => shareData.some((r) => r.strategy === s)),
        facetYOrder: p.shareSizesBytes.map(formatSize),
      }),
      data: aq.from(shareData),
    },
    {
      id: "counts",
      title: "Counts per chunk",
      html: countsChart(countData, {
        title: "What one chunk costs: mode switches and copies",
        subtitle: `Counted from the trace at ${formatSize(p.countsFileBytes)} (${formatSize(p.chunkBytes)} chunks), cold cache, profile ${countProfile}.`,
        caption: "Context switch = one user↔kernel mode transition, as in the seed (two per system call).",
        countOrder: ["context switches", "DMA copies", "CPU copies"],
      }),
      data: aq.from(countData),
    },
  ];
}

/** Returns the findings, in sentences, computed from the runs. */
function buildNotes(
  p: ZeroCopyParams,
  profiles: Profile[],
  resultRows: Array<Omit<Run, "cpuShare"> & {timeSavedVsReadWrite: number; speedupVsReadWrite: number; cpuTimeSavedVsReadWrite: number}>,
  countRows: Array<{profile: string; strategy: StrategyName; chunks: number; callsPerFile: number; pageFaults: number; tlbFlushes: number; contextSwitchesPerChunk: number; dmaCopiesPerChunk: number; cpuCopiesPerChunk: number; matchesSeed: boolean}>,
  shareRows: Array<{profile: string; strategy: string; fileBytes: number; category: string; share: number}>,
  warm: WarmCheck[],
): string[] {
  const notes: string[] = [];
  const largest = p.fileSizesBytes[p.fileSizesBytes.length - 1];
  const zeroCopy: StrategyName = p.strategies.includes("sendfile-sg") ? "sendfile-sg" : p.strategies[p.strategies.length - 1];
  const maxSavings: string[] = [];
  /** The run of *zeroCopy* with the largest saving over read + write, all profiles. */
  let bestRun: (typeof resultRows)[number] | null = null;
  for (const profile of profiles) {
    const row = (s: string, b = largest) => resultRows.find((r) => r.profile === profile.name && r.strategy === s && r.fileBytes === b);
    const base = row("read-write");
    const best = row(zeroCopy);
    if (!base || !best) continue;
    const others = p.strategies
      .filter((s) => s !== "read-write" && s !== zeroCopy)
      .map((s) => row(s))
      .filter((r): r is NonNullable<typeof r> => !!r)
      .map((r) => `${r.strategy} ${signedPct(r.timeSavedVsReadWrite)}`);
    notes.push(
      `Under ${profile.name}, sending a ${formatSize(largest)} file with ${zeroCopy} takes ${formatNs(best.elapsedNs)} against ${formatNs(base.elapsedNs)} for read + write: ` +
        `${lessOrMore(best.timeSavedVsReadWrite, "time")} (speed-up ${times(best.speedupVsReadWrite)})` +
        (others.length ? `; the time saved by the others is ${others.join(", ")}.` : "."),
    );
    const runs = resultRows.filter((r) => r.profile === profile.name && r.strategy === zeroCopy && Number.isFinite(r.timeSavedVsReadWrite));
    const savings = runs.map((r) => r.timeSavedVsReadWrite);
    const lo = Math.min(...savings);
    const hi = Math.max(...savings);
    const top = runs.find((r) => r.timeSavedVsReadWrite === hi)!;
    if (!bestRun || hi > bestRun.timeSavedVsReadWrite) bestRun = top;
    maxSavings.push(`${signedPct(hi)} (${times(1 / (1 - hi))}) under ${profile.name}`);
    // Which resource was busiest with read + write: measured busy time over the elapsed time (the CPU's summed over its cores).
    const cpuBusyShare = base.elapsedNs > 0 ? base.cpuBusyNs / base.elapsedNs : 0;
    const busy: Array<[string, number]> = [
      ["the disk", base.diskBusyShare],
      ["the NIC", base.nicBusyShare],
      ["the CPU", cpuBusyShare],
    ];
    const busiest = busy.reduce((a, b) => (b[1] > a[1] ? b : a));
    notes.push(
      `Under ${profile.name}, the time saved by ${zeroCopy} ranges from ${signedPct(lo)} to ${signedPct(hi)} across ${formatSize(p.fileSizesBytes[0])}–${formatSize(largest)}; ` +
        `at ${formatSize(largest)} it uses ${lessOrMore(best.cpuTimeSavedVsReadWrite, "CPU time")} than read + write (${formatNs(best.cpuBusyNs)} of CPU against ${formatNs(base.cpuBusyNs)}). ` +
        `With read + write at ${formatSize(largest)} the disk is busy ${pct(base.diskBusyShare)}, the NIC ${pct(base.nicBusyShare)} and the CPU ${pct(cpuBusyShare)} (summed over its cores) of the elapsed time: the busiest is ${busiest[0]}.`,
    );
  }
  const seedSpeedup = 1 / (1 - seedClaimedSaving);
  const reaching = resultRows.filter((r) => r.strategy !== "read-write" && r.timeSavedVsReadWrite >= seedClaimedSaving);
  notes.push(
    `The seed says zero-copy saves about ${seedClaimedSaving * 100}% of the time (a speed-up of ×${seedSpeedup.toFixed(1)}; "at least double" would be ×2, 50% less time). ` +
      `In this model, with a cold cache, the largest saving of ${zeroCopy} over read + write is ${maxSavings.join(" and ")}; ` +
      (reaching.length
        ? `${reaching.length} of ${resultRows.filter((r) => r.strategy !== "read-write").length} runs reach the seed's figure: ` +
          [...new Set(reaching.map((r) => `${r.strategy} under ${r.profile}`))]
            .map((key) => {
              const of = (rows: typeof resultRows) => rows.filter((r) => `${r.strategy} under ${r.profile}` === key).length;
              return `${key} at ${of(reaching)} of ${of(resultRows)} sizes`;
            })
            .join(", ") +
          "."
        : `no run reaches the seed's figure` +
          (bestRun ? `; in the run that comes closest (${formatSize(bestRun.fileBytes)} under ${bestRun.profile}) the disk is busy ${pct(bestRun.diskBusyShare)} and the NIC ${pct(bestRun.nicBusyShare)} of the time.` : ".")),
  );
  for (const w of warm) {
    const saved = saving(w.zeroCopyNs, w.readWriteNs);
    notes.push(
      `With a warm cache (no disk reads) under ${w.profile}, a ${formatSize(w.fileBytes)} file takes ${formatNs(w.zeroCopyNs)} with ${zeroCopy} against ${formatNs(w.readWriteNs)} with read + write: ` +
        `${lessOrMore(saved, "time")} (speed-up ${times(w.readWriteNs / w.zeroCopyNs)}).`,
    );
  }
  // The seed's counts, checked against the trace.
  const strategiesChecked = [...new Set(countRows.map((r) => r.strategy))];
  const described = strategiesChecked.map((s) => {
    const r = countRows.find((c) => c.strategy === s)!;
    return `${s}: ${plural(r.contextSwitchesPerChunk, "mode switch", "mode switches")}, ${plural(r.dmaCopiesPerChunk, "DMA copy", "DMA copies")}, ${plural(r.cpuCopiesPerChunk, "CPU copy", "CPU copies")}`;
  });
  const mismatched = countRows.filter((r) => !r.matchesSeed);
  // Why a count differs, read off the rows: one system call for the whole file, or DMA copies other than 2 per byte.
  const onePerFile = [...new Set(countRows.filter((r) => r.callsPerFile === 1 && r.chunks > 1).map((r) => r.strategy))];
  const dmaOff = countRows.filter((r) => r.dmaCopiesPerChunk !== seedCountsPerChunk[r.strategy].dmaCopies);
  // A strategy that maps the file (its munmap flushed the TLB) and makes more calls than chunks: mmap and munmap once per file.
  const mapsOnce = countRows.filter((r) => !r.matchesSeed && r.tlbFlushes === 1 && r.chunks > 1 && r.callsPerFile === r.chunks + 2);
  notes.push(
    `Per chunk with a cold cache (link ${p.link}) the trace counts ${described.join("; ")}` +
      (mismatched.length === 0
        ? ` under every profile: the same as the seed's table.`
        : `; these differ from the seed's table for ${[...new Set(mismatched.map((r) => `${r.strategy} (${r.profile})`))].join(", ")}.` +
          (onePerFile.length ? ` ${onePerFile.join(" and ")} make${onePerFile.length === 1 ? "s" : ""} one system call for the whole file (the kernel loops over the chunks inside it), so the call's two mode switches are shared by all ${countRows[0].chunks} chunks.` : "") +
          (mapsOnce.length
            ? ` ${[...new Set(mapsOnce.map((r) => r.strategy))].join(" and ")} map${new Set(mapsOnce.map((r) => r.strategy)).size === 1 ? "s" : ""} the file once, as programs do: ` +
              `${mapsOnce[0].callsPerFile} system calls for ${mapsOnce[0].chunks} chunks (mmap, a write per chunk, munmap), ` +
              `${plural(mapsOnce[0].pageFaults, "page fault", "page faults")} (fault-around maps up to 16 pages each) and one TLB flush at munmap.`
            : "") +
          (dmaOff.length ? ` DMA copies per chunk are the bytes DMA moved over the file's bytes: ${[...new Set(dmaOff.map((r) => `${r.strategy} ${r.dmaCopiesPerChunk}`))].join(", ")}.` : "")),
  );
  // Where the CPU time goes at the largest size.
  for (const profile of profiles) {
    const copyShare = (s: string) => shareRows.find((r) => r.profile === profile.name && r.strategy === s && r.fileBytes === largest && r.category === "cpu-copy")?.share ?? 0;
    if (!p.strategies.includes("read-write")) continue;
    notes.push(
      `Under ${profile.name} at ${formatSize(largest)}, CPU copies take ${pct(copyShare("read-write"))} of the CPU's busy time with read + write and ${pct(copyShare(zeroCopy))} with ${zeroCopy}; ` +
        `the CPU is busy ${pct(resultRows.find((r) => r.profile === profile.name && r.strategy === "read-write" && r.fileBytes === largest)?.cpuUtilization ?? 0)} of its capacity (${profile.cpu.cores} cores) with read + write.`,
    );
  }
  // The sender's CPU (and, over loopback, the receiver's): the quantities a real machine's measurement gives.
  for (const profile of profiles) {
    const row = (st: string) => resultRows.find((r) => r.profile === profile.name && r.strategy === st && r.fileBytes === largest);
    const base = row("read-write");
    if (!base) continue;
    const ratios = p.strategies
      .filter((st) => st !== "read-write")
      .map((st) => row(st))
      .filter((r): r is NonNullable<typeof r> => !!r && r.senderCpuNs > 0)
      .map((r) => `${r.strategy} ×${(base.senderCpuNs / r.senderCpuNs).toFixed(2)}`);
    notes.push(
      `Under ${profile.name} at ${formatSize(largest)} over link ${p.link}, the sender's CPU is ${formatNs(base.senderCpuNs)} with read + write` +
        (p.link === "loopback" ? ` and the receiver's ${formatNs(base.receiverCpuNs)}` : " (the receiver is another machine)") +
        (ratios.length ? `; read + write's sender CPU over each other strategy's: ${ratios.join(", ")}.` : "."),
    );
  }
  return notes;
}
