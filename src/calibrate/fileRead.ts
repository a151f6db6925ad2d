/**
 * The file-read experiment in the model, and the disk and read-path costs
 * a calibration fits from it.
 *
 * The probe times sequential read(2)s of 4 KiB, 64 KiB and 1 MiB three
 * ways: from a warm page cache, from a cold one (the file's pages dropped
 * before every sample) and with O_DIRECT. Two lines are fixed from them, as
 * a surveyor fixes a slope from two marks:
 *
 * - **direct reads**: each call is one disk request, so its time is a
 *   fixed part plus the bytes over the disk's rate. The direct 4 KiB and
 *   1 MiB rows fix the profile disk's `latencyNs` and `bytesPerNs` at which
 *   the simulated calls (system call, driver set-up, interrupt and the
 *   request) take the times measured; 64 KiB stays a prediction.
 * - **warm buffered reads**: each call is a system call, a look-up per page
 *   and a copy out of memory (the copy rate is measured by the memcpy
 *   probe). What is left of the 4 KiB and 64 KiB calls fixes the per-page
 *   look-up (`memory.pageLookupNs`) and the call's own work
 *   (`memory.fileReadCallNs`: filemap_read's set-up, the position lock,
 *   atime and fsnotify); 1 MiB stays a prediction.
 *
 * Cold reads are predictions only: they run the model's readahead (Linux's
 * on-demand window, grown to the device's `read_ahead_kb`, which the
 * calibration reads from sysfs) against the fitted disk.
 */
import {createSim} from "../engine/sim.js";
import {spawn, type ProcessBody} from "../engine/process.js";
import {Host} from "../host/Host.js";
import {parseProfile, type Profile} from "../host/profiles.js";
import {readCall} from "../kernel/bufferedRead.js";
import {directRead} from "../kernel/directIo.js";
import {KiB, MiB} from "../units.js";
import type {Calibration} from "./calibrate.js";
import {significant} from "./spread.js";

/** Linux's default readahead window, bytes (VM_READAHEAD_PAGES, 128 KiB, include/linux/mm.h): what a cold read gets when the device's is not known. */
export const defaultReadaheadBytes = 128 * KiB;

/** File systems the test file may be on, by statfs(2) magic number as the probe prints it (include/uapi/linux/magic.h). */
const fileSystems: Readonly<Record<string, string>> = {
  "0xef53": "ext2/3/4",
  "0x58465342": "xfs",
  "0x9123683e": "btrfs",
  "0x1021994": "tmpfs",
  "0x794c7630": "overlayfs",
  "0x2fc12fc1": "zfs",
  "0x6969": "nfs",
  "0xf2f52010": "f2fs",
};

/** Returns the name of the file system with statfs(2) magic *magic* (`0xef53` → `ext2/3/4`), or `unknown (<magic>)`. */
export function fileSystemName(magic: string): string {
  return fileSystems[magic.toLowerCase()] ?? `unknown (${magic})`;
}

/** File systems that cache regular files in large folios on Linux 6.18: ext4 (since 6.16) and XFS (since 5.18). */
const largeFolioFileSystems = new Set(["ext2/3/4", "xfs"]);

/**
 * Returns whether the calibrated machine's cold reads follow large folios'
 * readahead windows (see `nextAsyncWindow` in src/mm/pageCache.ts): a
 * Linux 6.18 or later kernel (where the rule was seen, with the readahead
 * tracepoints) reading from ext4 or XFS. Earlier kernels and other file
 * systems keep the plain window: not verified on them.
 */
export function readaheadFoliosOf(cal: Pick<Calibration, "machine" | "info">): boolean {
  const release = /^Linux \S+ (\d+)\.(\d+)/.exec(cal.machine);
  if (!release) return false;
  const [major, minor] = [Number(release[1]), Number(release[2])];
  return (major > 6 || (major === 6 && minor >= 18)) && largeFolioFileSystems.has(fileSystemName(String(cal.info.fileSystemMagic ?? "")));
}

/** How the probe reads: from a warm page cache, a cold one, or with O_DIRECT. */
export type ReadMode = "buffered warm" | "buffered cold" | "direct";

/** Bytes a read probe reads per sample (iosim-probe.c probe_fileread: 4 MiB, at least one chunk; direct reads 64 chunks at most). */
export function readSampleBytes(chunk: number, fileBytes: number, direct: boolean): number {
  let sample = Math.min(4 * MiB, fileBytes);
  sample = Math.max(sample, chunk);
  return direct ? Math.min(chunk * 64, sample) : sample;
}

/** Cold samples simulated in a row; the last is the prediction (the probe's first sample, the only one with a fresh readahead state, is one of dozens). */
const COLD_SAMPLES = 3;

/**
 * Predicted bandwidth of sequential read(2)s of *chunk* bytes, bytes per
 * ns, as the file-read probe does them on a file of *fileBytes*. A cold
 * read follows the probe: each sample drops the file's pages
 * (posix_fadvise DONTNEED, which leaves the open file's readahead state)
 * and reads on from where the previous sample stopped, so the readahead
 * window (Linux's on-demand window, at most *readaheadBytes*: the device's
 * `read_ahead_kb`) carries over; the prediction is a sample after the first.
 */
export function predictRead(profile: Profile, mode: ReadMode, chunk: number, fileBytes: number, readaheadBytes = defaultReadaheadBytes, readaheadFolios = false): number {
  const bytes = readSampleBytes(chunk, fileBytes, mode === "direct");
  const file = {id: "probe-file", sizeBytes: fileBytes};
  const sim = createSim({seed: 0});
  const host = new Host(sim, profile, mode === "buffered cold" ? {readaheadBytes, readaheadWindow: "adaptive", readaheadFolios} : {});
  let sampleNs = 0;
  function* probe(): ProcessBody<void> {
    if (mode === "buffered warm") host.pageCache.warm(file);
    let pos = 0;
    const samples = mode === "buffered cold" ? COLD_SAMPLES : 1;
    for (let s = 0; s < samples; s++) {
      if (mode === "buffered cold") host.pageCache.drop(file);
      const t0 = sim.scheduler.now();
      for (let done = 0; done < bytes; done += chunk) {
        if (pos + chunk > fileBytes) pos = 0;
        if (mode === "direct") yield* directRead(host, file, pos, chunk, 1);
        else yield* readCall(host, file, pos, chunk, 1);
        pos += chunk;
      }
      sampleNs = sim.scheduler.now() - t0;
    }
  }
  spawn(sim, 1, probe).subscribe();
  sim.run();
  return bytes / sampleNs;
}

/** Returns the measured time of one read(2) of *chunk* bytes in *mode* (from the row's bandwidth), ns, or undefined. */
function measuredCallNs(cal: Calibration, mode: ReadMode, size: string, chunk: number): number | undefined {
  const m = cal.measured.find((r) => r.probe === "fileread" && r.case === `${mode} ${size}`);
  const rate = m?.median;
  return rate !== undefined && Number.isFinite(rate) && rate > 0 ? chunk / rate : undefined;
}

/** Returns the simulated time of one read(2) of *chunk* bytes in *mode* on *profile*, ns. */
function simulatedCallNs(profile: Profile, mode: ReadMode, chunk: number, fileBytes: number): number {
  return chunk / predictRead(profile, mode, chunk, fileBytes);
}

/** The disk and read-path costs fitted to the file-read probe. */
export interface FileReadFit {
  /** The profile's disk fitted (the one the model reads from: `ssd`). */
  disk: "ssd";
  /** Fitted disk latency and rate, when the direct rows allowed. */
  latencyNs?: number;
  bytesPerNs?: number;
  /** Measured times of a direct 4 KiB and 1 MiB call, ns. */
  direct?: {smallNs: number; largeNs: number};
  /** Fitted per-page look-up and per-call work of a buffered read, when the warm rows allowed. */
  pageLookupNs?: number;
  fileReadCallNs?: number;
  /** Measured times of a warm 4 KiB and 64 KiB call, ns. */
  warm?: {smallNs: number; largeNs: number};
  /** Set when the two calls gave a negative per-call part: what the 4 KiB call left, and the 64 KiB call's remainder per page, ns; the fit then takes the per-call part as 0 and the per-page part from the 64 KiB call. */
  callClamped?: {smallRestNs: number; largeRestPerPageNs: number};
  /** Why a part was not fitted. */
  why: string[];
}

const SMALL = 4 * KiB;
const DIRECT_LARGE = MiB;
const WARM_LARGE = 64 * KiB;
/** Rounds of the direct fit (it converges in two: the model's direct call is linear in the request's size). */
const ROUNDS = 4;

/** Returns *draft* with *section*'s *fields* replaced (the disk's under `disks.ssd`). */
function withFields(draft: Record<string, unknown>, section: "memory" | "disks.ssd", fields: Record<string, number>): Record<string, unknown> {
  if (section === "memory") return {...draft, memory: {...((draft.memory as Record<string, unknown> | undefined) ?? {}), ...fields}};
  const disks = (draft.disks as Record<string, Record<string, unknown>> | undefined) ?? {};
  return {...draft, disks: {...disks, ssd: {...(disks.ssd ?? {}), ...fields}}};
}

/**
 * Returns the fit of the disk and the read path to the file-read probe, on
 * the profile *draft* (the calibrated profile's object so far, which
 * `extends` a shipped one; its copy rates and system-call costs already
 * measured). Direct: the disk's latency and rate at which the simulated
 * 4 KiB and 1 MiB O_DIRECT calls take the times measured (the model's call
 * is a fixed part plus the bytes at the disk's rate, so a few rounds of
 * matching the slope, then the intercept, settle). Warm: the per-page
 * look-up and the per-call work that close the gap between the simulated
 * and the measured 4 KiB and 64 KiB calls (two equations, two unknowns);
 * where that would make the per-call part negative (the 4 KiB call left
 * less than one page's share of the 64 KiB call's remainder), the per-call
 * part is 0 and the per-page part the 64 KiB call's (see callClamped). A
 * part whose measurements are missing, or that would need a negative
 * cost otherwise, is left unfitted with the reason.
 */
export function fitFileRead(cal: Calibration, draft: Record<string, unknown>): FileReadFit {
  const fit: FileReadFit = {disk: "ssd", why: []};
  const fileBytes = Number(cal.info.fileBytes ?? cal.settings.fileBytes);
  if (!(fileBytes > 0)) {
    fit.why.push("the probe's file size is unknown");
    return fit;
  }
  const smallNs = measuredCallNs(cal, "direct", "4KiB", SMALL);
  const largeNs = measuredCallNs(cal, "direct", "1MiB", DIRECT_LARGE);
  if (smallNs === undefined || largeNs === undefined) fit.why.push("direct reads of 4 KiB and 1 MiB were not both measured");
  else {
    fit.direct = {smallNs, largeNs};
    const base = parseProfile(draft, "calibrated profile").disks.ssd;
    let latencyNs = base.latencyNs;
    let nsPerByte = 1 / base.bytesPerNs;
    const at = () => parseProfile(withFields(draft, "disks.ssd", {latencyNs, bytesPerNs: 1 / nsPerByte}), "calibrated profile");
    for (let round = 0; round < ROUNDS && Number.isFinite(latencyNs); round++) {
      const p = at();
      const slopeGap = (largeNs - smallNs - (simulatedCallNs(p, "direct", DIRECT_LARGE, fileBytes) - simulatedCallNs(p, "direct", SMALL, fileBytes))) / (DIRECT_LARGE - SMALL);
      nsPerByte += slopeGap;
      if (!(nsPerByte > 0)) break;
      latencyNs += smallNs - simulatedCallNs(at(), "direct", SMALL, fileBytes);
    }
    if (!(nsPerByte > 0)) fit.why.push(`direct reads grow by ${significant((largeNs - smallNs) / (DIRECT_LARGE - SMALL))} ns per byte, less than the model's costs outside the disk`);
    else if (!(latencyNs >= 0)) fit.why.push(`a direct 4 KiB read measured ${significant(smallNs / 1000)} µs, less than the model's costs outside the disk`);
    else {
      fit.latencyNs = latencyNs;
      fit.bytesPerNs = 1 / nsPerByte;
    }
  }
  const warmSmallNs = measuredCallNs(cal, "buffered warm", "4KiB", SMALL);
  const warmLargeNs = measuredCallNs(cal, "buffered warm", "64KiB", WARM_LARGE);
  if (warmSmallNs === undefined || warmLargeNs === undefined) fit.why.push("warm buffered reads of 4 KiB and 64 KiB were not both measured");
  else {
    fit.warm = {smallNs: warmSmallNs, largeNs: warmLargeNs};
    // What the model charges without the two unknowns; the rest is fileReadCallNs + pages × pageLookupNs.
    const bare = parseProfile(withFields(draft, "memory", {pageLookupNs: 0, fileReadCallNs: 0}), "calibrated profile");
    const pageBytes = bare.memory.pageBytes;
    const smallPages = Math.ceil(SMALL / pageBytes);
    const largePages = Math.ceil(WARM_LARGE / pageBytes);
    const smallRest = warmSmallNs - simulatedCallNs(bare, "buffered warm", SMALL, fileBytes);
    const largeRest = warmLargeNs - simulatedCallNs(bare, "buffered warm", WARM_LARGE, fileBytes);
    let lookupNs = (largeRest - smallRest) / (largePages - smallPages);
    let callNs = smallRest - smallPages * lookupNs;
    if (lookupNs >= 0 && callNs < 0 && largeRest >= 0) {
      // The 4 KiB read left less than one page's share of the 64 KiB read's remainder: its copy ran faster than the
      // model's (a 4 KiB buffer stays in L1; the rate out of the file's pages was measured into a 64 KiB one, as the
      // 64 KiB read copies). The per-call part is then 0 and the per-page part the 64 KiB read's.
      fit.callClamped = {smallRestNs: smallRest, largeRestPerPageNs: largeRest / largePages};
      lookupNs = largeRest / largePages;
      callNs = 0;
    }
    if (!(lookupNs >= 0) || !(callNs >= 0))
      fit.why.push(
        `warm reads left ${significant(smallRest)} ns at 4 KiB and ${significant(largeRest)} ns at 64 KiB beyond the model's system call and copy: ` +
          `no look-up and call cost ≥ 0 gives both`,
      );
    else {
      fit.pageLookupNs = lookupNs;
      fit.fileReadCallNs = callNs;
    }
  }
  return fit;
}
