import {test} from "node:test";
import assert from "node:assert/strict";
import {mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {loadProfile, parseProfile, type Profile} from "../../src/host/profiles.js";
import {blockQueueSettings, calibratedProfile, fitFileRead, predictRead, readaheadFoliosOf, spread, validate, type Calibration, type Measurement} from "../../src/calibrate/index.js";

const KiB = 1024;
const MiB = KiB * KiB;
const FILE = 64 * MiB;
const base = loadProfile("server-2024");

/** server-2024 with the given disk and read-path costs: a machine whose "truth" the fit must find. */
function truth(latencyNs: number, bytesPerNs: number, pageLookupNs: number, fileReadCallNs: number): Profile {
  const raw = structuredClone(base) as Profile;
  raw.disks.ssd.latencyNs = latencyNs;
  raw.disks.ssd.bytesPerNs = bytesPerNs;
  raw.memory.pageLookupNs = pageLookupNs;
  raw.memory.fileReadCallNs = fileReadCallNs;
  return parseProfile(raw, "truth");
}

const row = (probe: string, kase: string, unit: string, v: number): Measurement => ({probe, case: kase, unit, ...spread([v, v, v]), runs: [v, v, v], samples: 30});

/** A calibration whose file-read rows are what *machine* gives, with *info*. */
function readCalibration(machine: Profile, info: Record<string, number | string> = {}): Calibration {
  const measured: Measurement[] = [];
  for (const [size, chunk] of [["4KiB", 4 * KiB], ["64KiB", 64 * KiB], ["1MiB", MiB]] as const)
    for (const mode of ["buffered warm", "direct"] as const) measured.push(row("fileread", `${mode} ${size}`, "bytes/ns", predictRead(machine, mode, chunk, FILE)));
  return {
    date: "2026-12-03T00:00:00Z",
    machine: "Linux test 6.18 #1 x86_64",
    settings: {quick: true, runs: 3, runMs: 10, dir: "/tmp", fileBytes: FILE, tcpBytes: [], timeoutMs: 1000},
    info: {pageBytes: 4096, fileBytes: FILE, ...info},
    measured,
  };
}

test("fitFileRead finds the disk's latency and rate and the read path's per-page and per-call costs of a machine the model stands for", () => {
  const machine = truth(65_000, 1.7, 40, 200);
  const fit = fitFileRead(readCalibration(machine), {extends: "server-2024", sources: {}});
  assert.deepEqual(fit.why, []);
  assert.ok(Math.abs(fit.latencyNs! / 65_000 - 1) < 0.01, `latencyNs ${fit.latencyNs}`);
  assert.ok(Math.abs(fit.bytesPerNs! / 1.7 - 1) < 0.01, `bytesPerNs ${fit.bytesPerNs}`);
  assert.ok(Math.abs(fit.pageLookupNs! - 40) < 0.5, `pageLookupNs ${fit.pageLookupNs}`);
  assert.ok(Math.abs(fit.fileReadCallNs! - 200) < 2, `fileReadCallNs ${fit.fileReadCallNs}`);
});

test("fitFileRead takes the per-call part as 0 and the per-page part from the 64 KiB read when the 4 KiB read left less than one page's share of it, and says so", () => {
  // A machine whose 4 KiB read copies faster than the model prices it: 60 ns less than the truth's 150 ns page, no per-call part.
  const machine = truth(65_000, 1.7, 150, 0);
  const cal = readCalibration(machine);
  const small = cal.measured.find((m) => m.case === "buffered warm 4KiB")!;
  const fasterNs = 4 * KiB / small.median! - 60;
  for (const k of ["median", "low", "high"] as const) small[k] = (4 * KiB) / fasterNs;
  small.runs = small.runs!.map(() => (4 * KiB) / fasterNs);
  const fit = fitFileRead(cal, {extends: "server-2024", sources: {}});
  assert.deepEqual(fit.why, []);
  assert.equal(fit.fileReadCallNs, 0);
  assert.ok(Math.abs(fit.pageLookupNs! - 150) < 1, `pageLookupNs ${fit.pageLookupNs}`);
  assert.ok(Math.abs(fit.callClamped!.smallRestNs - 90) < 1 && Math.abs(fit.callClamped!.largeRestPerPageNs - 150) < 1, JSON.stringify(fit.callClamped));
  const {overrides} = calibratedProfile(cal, "server-2024", "m.json");
  assert.match(overrides.find((o) => o.path === "memory.pageLookupNs")!.source, /the 4 KiB call left 9\d ns, less than the 64 KiB call's 1[45]\d ns a page .* per-call part is taken as 0/);
});

test("fitFileRead leaves a part unfitted, with the reason, when it would need a negative cost or its rows are missing", () => {
  // Warm reads faster than the model's system call and copy alone: no cost ≥ 0 explains them.
  const fast = readCalibration(truth(65_000, 1.7, 0, 0));
  for (const m of fast.measured) if (m.case.startsWith("buffered warm")) m.median! *= 4;
  const fit = fitFileRead(fast, {extends: "server-2024", sources: {}});
  assert.equal(fit.pageLookupNs, undefined);
  assert.match(fit.why.join(" "), /warm reads left .* no look-up and call cost ≥ 0 gives both/);
  assert.ok(fit.latencyNs! > 0, "the direct part is still fitted");
  const none = fitFileRead({...fast, measured: []}, {extends: "server-2024", sources: {}});
  assert.equal(none.latencyNs, undefined);
  assert.match(none.why.join(" "), /direct reads of 4 KiB and 1 MiB were not both measured/);
});

test("calibratedProfile writes the fitted disk and read-path fields with their sources, and the device's largest request as read", () => {
  const cal = readCalibration(truth(65_000, 1.7, 40, 200), {maxSectorsKb: 4096});
  const {profile} = calibratedProfile(cal, "server-2024", "m.json");
  const p = parseProfile(profile);
  assert.ok(Math.abs(p.disks.ssd.latencyNs / 65_000 - 1) < 0.01);
  assert.equal(p.disks.ssd.maxRequestBytes, 4096 * KiB);
  assert.match(p.sources["disks.ssd.latencyNs"], /^Fitted, not timed alone/);
  assert.match(p.sources["memory.fileReadCallNs"], /^Fitted, not timed alone/);
  assert.match(p.sources["disks.ssd.maxRequestBytes"], /max_sectors_kb \(4096\)/);
  // validate counts the rows the fit used as calibrated, and the others (direct 64 KiB, warm 1 MiB) as predictions.
  const rows = new Map(validate(cal, p).map((r) => [r.quantity, r]));
  for (const q of ["fileread/direct 4KiB", "fileread/direct 1MiB", "fileread/buffered warm 4KiB", "fileread/buffered warm 64KiB"]) assert.equal(rows.get(q)!.calibrated, true, q);
  for (const q of ["fileread/direct 64KiB", "fileread/buffered warm 1MiB"]) {
    assert.equal(rows.get(q)!.calibrated, false, q);
    assert.equal(rows.get(q)!.within, true, q);
  }
});

test("blockQueueSettings reads read_ahead_kb and max_sectors_kb of the folder's device from sysfs, or of its disk when it is a partition", () => {
  const dir = tmpdir();
  // The folder's device as the kernel lists its mount (/proc/self/mountinfo's third field, major:minor): an account of
  // the device number apart from the stat(2) decoding under test.
  const real = realpathSync(dir);
  const mount = readFileSync("/proc/self/mountinfo", "utf8")
    .trim()
    .split("\n")
    .map((line) => line.split(" "))
    .filter((f) => real === f[4] || real.startsWith(f[4] === "/" ? "/" : `${f[4]}/`))
    // The deepest mount point holding the folder; of two at the same point, the later (it covers the earlier).
    .reduce((best, f) => (f[4].length >= best[4].length ? f : best));
  const [major, minor] = mount[2].split(":");
  const sys = mkdtempSync(join(tmpdir(), "iosim-sys-"));
  try {
    // A whole disk: its own queue.
    mkdirSync(join(sys, "dev/block", `${major}:${minor}`, "queue"), {recursive: true});
    writeFileSync(join(sys, "dev/block", `${major}:${minor}`, "queue/read_ahead_kb"), "8192\n");
    writeFileSync(join(sys, "dev/block", `${major}:${minor}`, "queue/max_sectors_kb"), "4096\n");
    assert.deepEqual(blockQueueSettings(dir, sys), {readAheadKb: 8192, maxSectorsKb: 4096});
    // A partition: no queue of its own, its disk's one level up.
    rmSync(join(sys, "dev/block", `${major}:${minor}`, "queue"), {recursive: true});
    mkdirSync(join(sys, "dev/block", "queue"), {recursive: true});
    writeFileSync(join(sys, "dev/block", "queue/read_ahead_kb"), "128\n");
    assert.deepEqual(blockQueueSettings(dir, sys), {readAheadKb: 128});
    assert.deepEqual(blockQueueSettings(join(sys, "no-such-folder"), sys), {});
  } finally {
    rmSync(sys, {recursive: true, force: true});
  }
});

test("readaheadFoliosOf: cold reads follow large folios' windows on Linux 6.18 and later with ext4 or XFS, not on older kernels or other file systems", () => {
  const cal = (machine: string, fileSystemMagic: string) => ({machine, info: {fileSystemMagic}});
  assert.equal(readaheadFoliosOf(cal("Linux vm 6.18.44-fc #1 SMP PREEMPT_DYNAMIC x86_64", "0xef53")), true);
  assert.equal(readaheadFoliosOf(cal("Linux box 7.0.1 #1 SMP x86_64", "0x58465342")), true);
  assert.equal(readaheadFoliosOf(cal("Linux box 6.1.0-18-amd64 #1 SMP x86_64", "0xef53")), false);
  assert.equal(readaheadFoliosOf(cal("Linux box 6.18.2 #1 SMP x86_64", "0x9123683e")), false); // btrfs
  assert.equal(readaheadFoliosOf(cal("Darwin mac 24.1.0 Darwin Kernel x86_64", "0xef53")), false);
  // The model's cold 4 KiB reader on such a machine fetches less ahead, so it waits less behind its own readahead.
  const profile = loadProfile("server-2024");
  assert.ok(predictRead(profile, "buffered cold", 4096, 64 * MiB, 8 * MiB, true) > predictRead(profile, "buffered cold", 4096, 64 * MiB, 8 * MiB, false));
});
