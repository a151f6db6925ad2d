/**
 * Study: what does DMA (直接内存访问, Direct Memory Access) free the CPU from?
 *
 * Picture a cook (the CPU) whose groceries arrive by the basketful. Without
 * DMA the cook walks to the door for every basket and carries each item to
 * the shelf by hand, and nothing gets cooked meanwhile; with DMA a porter
 * (the DMA controller) shelves everything and rings a bell once at the end.
 * The study reads from the disk both ways while a CPU-bound process wants
 * the one core, and measures who gets the CPU and how fast the data comes.
 */
import * as aq from "arquero";
import {dmaCpuShareChart} from "../charts/dmaCpuShareChart.js";
import {modeColors} from "../charts/palette.js";
import {sizeLineChart, throughputChart} from "../charts/throughputChart.js";
import {diskKinds} from "../host/devices.js";
import {loadProfile} from "../host/profiles.js";
import * as z from "zod";
import {fields} from "../params/fields.js";
import {parseInput} from "../params/parseInput.js";
import {runDma} from "../scenarios/dma.js";
import {formatNs, formatSize, KiB, MiB} from "../units.js";
import type {StudyResult} from "./study.js";

/**
 * The parameters of {@link dmaStudy}, declared once: each one's check, its
 * default and its meaning. {@link dmaDefaults}, the {@link DmaParams} type
 * and the study's validation all come from it.
 */
export const dmaParamsSchema = z.strictObject({
  transferSizesBytes: fields
    .sizeList()
    .default([4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, 1 * MiB, 4 * MiB, 16 * MiB])
    .describe("Transfer sizes swept, bytes (or size texts such as 64KiB); default 4 KiB, 16 KiB, … 16 MiB (powers of 4)."),
  profiles: fields.names("a non-empty list of profile names").default(["server-2024", "desktop-2008"]).describe("Host profiles (shipped names or JSON paths); default a current server and a 2008 desktop."),
  disk: fields.oneOf(diskKinds).default("ssd").describe("Which of the profile's disks is read; default ssd."),
  cores: fields.integer({min: 1}).default(1).describe("CPU cores; default 1, so the reader and the background process compete for one core."),
  quantumNs: fields.positive({expected: "a number of ns > 0"}).default(10_000).describe("Length of each CPU step of the background process, ns (a woken reader preempts it at the end of one); default 10 µs."),
  seed: fields.seed().default(0).describe("Seed of the simulation."),
});

/** Parameters of {@link dmaStudy} (see {@link dmaParamsSchema}). */
export type DmaParams = z.output<typeof dmaParamsSchema>;

/** Default parameters of {@link dmaStudy}: ssd, one core, a 10 µs background slice, seed 0 (read from {@link dmaParamsSchema}). */
export const dmaDefaults: Readonly<DmaParams> = Object.freeze(dmaParamsSchema.parse({}));

/** The two ways of reading, in display order. */
const modes = ["pio", "dma"] as const;

/** Returns *params* over the defaults, checked by {@link dmaParamsSchema}: errors name the parameter. */
function resolve(params: z.input<typeof dmaParamsSchema>): DmaParams {
  return parseInput(dmaParamsSchema, params, {keyParam: "key for study dma"});
}

/** One read of the sweep. */
interface DmaRow {
  profile: string;
  mode: "pio" | "dma";
  transferBytes: number;
  elapsedNs: number;
  throughputBytesPerSec: number;
  /** CPU time spent on the I/O (copies, interrupts, system call), ns. */
  ioCpuNs: number;
  /** CPU time the background process got until the read finished, ns. */
  backgroundCpuNs: number;
  /** Shares of the CPU's capacity (cores × time) until the read finished. */
  ioCpuShare: number;
  backgroundCpuShare: number;
  interrupts: number;
  pioCopies: number;
  dmaCopies: number;
  contextSwitches: number;
  /** Switches of a core between the reader and the background process (or back), until the end of the run. */
  taskSwitches: number;
  syscalls: number;
}

/** Returns a fraction as a percentage; two decimals near 100% so 99.96% does not read as 100%. */
const pct = (x: number) => `${(x * 100).toFixed(x > 0.999 && x < 1 ? 2 : 1)}%`;
/** Returns a rate in bytes per ns as MB/s. */
const rateMBps = (bytesPerNs: number) => `${Number((bytesPerNs * 1000).toFixed(1))} MB/s`;
const mbps = (bytesPerSec: number) => `${(bytesPerSec / 1e6).toFixed(1)} MB/s`;

/**
 * Returns the DMA study: one device read of each size, by programmed I/O
 * (the CPU moves every word) and by DMA (the CPU only programs the
 * transfer and takes one interrupt), while a CPU-bound process runs on the
 * same core(s), under each profile; tables of time, throughput and CPU time
 * by category; charts of who gets the CPU and of throughput; notes computed
 * from the runs.
 *
 * ```ts
 * const {tables, charts, notes} = dmaStudy({profiles: ["desktop-2008"], transferSizesBytes: [64 * KiB]});
 * ```
 * @see zeroCopyStudy
 */
export function dmaStudy(params: z.input<typeof dmaParamsSchema> = {}): StudyResult {
  const p = resolve(params);
  const profiles = p.profiles.map((name) => loadProfile(name));
  const resultRows: DmaRow[] = [];
  const shareRows: Array<{profile: string; mode: string; transferBytes: number; category: string; share: number}> = [];
  /** CPU time booked for the I/O, by category, per "profile mode bytes" (the notes name what DMA still charges the CPU). */
  const ioCpuByTag = new Map<string, Map<string, number>>();
  for (const profile of profiles) {
    for (const mode of modes) {
      for (const transferBytes of p.transferSizesBytes) {
        const {result} = runDma({mode, transferBytes, disk: p.disk, cores: p.cores, background: true, quantumNs: p.quantumNs, seed: p.seed, profile, keepEvents: false});
        ioCpuByTag.set(`${profile.name} ${mode} ${transferBytes}`, new Map(Object.entries(result.ioCpuNsByCategory)));
        const capacityNs = result.cores * result.elapsedNs;
        resultRows.push({
          profile: profile.name,
          mode,
          transferBytes,
          elapsedNs: result.elapsedNs,
          throughputBytesPerSec: result.throughputBytesPerSec,
          ioCpuNs: result.ioCpuNs,
          backgroundCpuNs: result.backgroundCpuNsDuringRead,
          ioCpuShare: capacityNs > 0 ? result.ioCpuNs / capacityNs : NaN,
          backgroundCpuShare: result.backgroundShareDuringRead,
          interrupts: result.interrupts,
          pioCopies: result.pioCopies,
          dmaCopies: result.dmaCopies,
          contextSwitches: result.contextSwitches,
          taskSwitches: result.taskSwitches,
          syscalls: result.syscalls,
        });
        for (const [category, share] of Object.entries(result.cpuShare)) shareRows.push({profile: profile.name, mode, transferBytes, category, share});
      }
    }
  }
  const row = (profile: string, mode: string, bytes: number) => resultRows.find((r) => r.profile === profile && r.mode === mode && r.transferBytes === bytes)!;

  const setting = `${p.disk}, ${p.cores} core${p.cores === 1 ? "" : "s"}, background slice ${formatNs(p.quantumNs)}, seed ${p.seed}`;
  const throughputData = resultRows.map((r) => ({profile: r.profile, mode: r.mode, transferBytes: r.transferBytes, throughputBytesPerSec: r.throughputBytesPerSec}));
  const backgroundData = resultRows.map((r) => ({profile: r.profile, mode: r.mode, transferBytes: r.transferBytes, backgroundCpuPct: r.backgroundCpuShare * 100}));
  const charts: StudyResult["charts"] = [
    {
      id: "cpu-share",
      title: "Who gets the CPU during a disk read, with and without DMA",
      html: dmaCpuShareChart(shareRows, {
        title: "Who gets the CPU during a disk read, with and without DMA",
        subtitle: `A CPU-bound process (user) shares the core with the read; ${setting}.`,
        caption: "pio-copy: the CPU moving data word by word from the controller's buffer (CPU-driven I/O). user: the background process's own work.",
      }),
      data: aq.from(shareRows),
    },
    {
      id: "background-share",
      title: "CPU left for other work",
      html: sizeLineChart(
        backgroundData.map((r) => ({profile: r.profile, series: r.mode, sizeBytes: r.transferBytes, value: r.backgroundCpuPct})),
        {
          title: "CPU left for other work while the read runs",
          subtitle: `Background process's share of CPU capacity until the read completes; ${setting}.`,
          xLabel: "Transfer size (bytes, log scale)",
          yLabel: "Background work (% of CPU)",
          seriesLabel: "Mode",
          colors: modeColors,
        },
      ),
      data: aq.from(backgroundData),
    },
    {
      id: "throughput",
      title: "Read throughput with and without DMA",
      html: throughputChart(
        throughputData.map((r) => ({profile: r.profile, series: r.mode, sizeBytes: r.transferBytes, throughputBytesPerSec: r.throughputBytesPerSec})),
        {title: "Read throughput with and without DMA", subtitle: `One read(2) from the disk into memory; ${setting}.`, xLabel: "Transfer size (bytes, log scale)", seriesLabel: "Mode", colors: modeColors},
      ),
      data: aq.from(throughputData),
    },
  ];

  // Notes: every figure, comparison and its direction comes from the runs above.
  const notes: string[] = [];
  const largest = p.transferSizesBytes[p.transferSizesBytes.length - 1];
  const smallest = p.transferSizesBytes[0];
  for (const profile of profiles) {
    const pio = row(profile.name, "pio", largest);
    const dma = row(profile.name, "dma", largest);
    const disk = profile.disks[p.disk];
    const pioCopyShare = shareRows.find((r) => r.profile === profile.name && r.mode === "pio" && r.transferBytes === largest && r.category === "pio-copy")?.share ?? 0;
    notes.push(
      `Under ${profile.name}, reading ${formatSize(largest)} without DMA, the CPU spends ${pct(pioCopyShare)} of its time moving data word by word and the background process gets ${pct(pio.backgroundCpuShare)}; ` +
        `with DMA the background process gets ${pct(dma.backgroundCpuShare)}, and the I/O costs the CPU ${formatNs(dma.ioCpuNs)} against ${formatNs(pio.ioCpuNs)} without.`,
    );
    // Which way is faster, and which limit each way ran into, read off the runs and the profile's rates.
    const faster = dma.elapsedNs < pio.elapsedNs ? "DMA" : pio.elapsedNs < dma.elapsedNs ? "programmed I/O" : null;
    const ratio = faster === "DMA" ? pio.elapsedNs / dma.elapsedNs : dma.elapsedNs / pio.elapsedNs;
    // The lower of the two rates a programmed-I/O read can go at, and how close the run came to it.
    const [capName, capBytesPerNs, otherName, otherBytesPerNs] =
      disk.pioBytesPerNs <= disk.bytesPerNs ? ["CPU's copy rate", disk.pioBytesPerNs, "disk's", disk.bytesPerNs] : ["disk's rate", disk.bytesPerNs, "CPU's copy rate", disk.pioBytesPerNs];
    const pioOfCap = pio.throughputBytesPerSec / 1e9 / capBytesPerNs;
    const perBuffer = pio.interrupts === Math.ceil(largest / disk.controllerBufferBytes) ? ` (one per ${formatSize(disk.controllerBufferBytes)} controller buffer)` : "";
    notes.push(
      `Under ${profile.name}, the ${formatSize(largest)} read takes ${formatNs(pio.elapsedNs)} without DMA (${mbps(pio.throughputBytesPerSec)}) and ${formatNs(dma.elapsedNs)} with DMA (${mbps(dma.throughputBytesPerSec)}): ` +
        (faster ? `${faster} is ×${ratio.toFixed(1)} faster. ` : "the same time. ") +
        `Programmed I/O ran at ${pct(pioOfCap)} of the ${capName} (${rateMBps(capBytesPerNs)}; the ${otherName} is ${rateMBps(otherBytesPerNs)}). ` +
        `It raises ${pio.interrupts} interrupt${pio.interrupts === 1 ? "" : "s"}${perBuffer} against ${dma.interrupts} with DMA.`,
    );
    // What the DMA read still cost the CPU at the smallest size, by the categories the CPU booked.
    const small = row(profile.name, "dma", smallest);
    const smallPio = row(profile.name, "pio", smallest);
    const charged = [...(ioCpuByTag.get(`${profile.name} dma ${smallest}`) ?? new Map<string, number>())].filter(([, ns]) => ns > 0);
    const more = small.backgroundCpuShare > smallPio.backgroundCpuShare ? "more" : small.backgroundCpuShare < smallPio.backgroundCpuShare ? "less" : "as much";
    notes.push(
      `At ${formatSize(smallest)} under ${profile.name}, DMA leaves the background process ${more} of the CPU than programmed I/O: ${pct(small.backgroundCpuShare)} against ${pct(smallPio.backgroundCpuShare)}. ` +
        `The DMA read still costs the CPU ${formatNs(small.ioCpuNs)}` +
        (charged.length ? `, booked as ${charged.map(([tag, ns]) => `${tag} ${formatNs(ns)}`).join(", ")}.` : "."),
    );
  }

  return {
    id: "dma",
    title: "DMA against CPU-driven (programmed) I/O",
    question:
      "How much of the CPU does reading from a disk take without DMA (the CPU copies every word, 无 DMA) and with DMA (the CPU only programs the transfer and takes an interrupt), and how fast is each, from 4 KiB to 16 MiB?",
    params: {...p, background: true},
    tables: [
      {id: "results", title: "Every read: time, throughput, CPU time and counts per profile, mode and size", table: aq.from(resultRows)},
      {id: "cpu-share", title: "CPU busy time by category (the background process is `user`)", table: aq.from(shareRows)},
    ],
    charts,
    notes,
  };
}
