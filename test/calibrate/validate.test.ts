import {test} from "node:test";
import assert from "node:assert/strict";
import {readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {loadProfile, parseProfile, type Profile} from "../../src/host/profiles.js";
import {predictCopy, predictNullSyscall, predictPingPongTwoCpus, predictRead, predictTcp, validate, validationSummary, type Calibration, type Measurement} from "../../src/calibrate/index.js";
import {validationCsv} from "../../src/cli/validateCommand.js";
import {tempDir} from "../helpers/files.js";
import {iosimAsync} from "../helpers/cli.js";

const MiB = 1 << 20;
const base = loadProfile("server-2024");

/** Returns server-2024 with *section*.*key* set to *value*. */
function withField(section: string, key: string, value: number): Profile {
  const raw = JSON.parse(JSON.stringify(base)) as Record<string, Record<string, unknown>>;
  raw[section][key] = value;
  return parseProfile(raw, "test profile");
}

/** A measurement of *value* in every run. */
function row(probe: string, kase: string, unit: string, value: number): Measurement {
  return {probe, case: kase, unit, median: value, low: value * 0.9, high: value * 1.1, runs: [value * 0.9, value, value * 1.1], samples: 30};
}

/** A calibration whose measurements are the model's own predictions on *profile* times *factor* (file reads only, one TCP size). */
function calibrationAt(profile: Profile, factor: number): Calibration {
  const fileBytes = 4 * MiB;
  const measured: Measurement[] = [];
  for (const [size, chunk] of [["4KiB", 4096], ["64KiB", 65536], ["1MiB", MiB]] as const)
    for (const mode of ["buffered warm", "direct"] as const) measured.push(row("fileread", `${mode} ${size}`, "bytes/ns", predictRead(profile, mode, chunk, fileBytes) * factor));
  measured.push({probe: "fileread", case: "buffered cold 4KiB", unit: "bytes/ns", unsupported: "posix_fadvise(DONTNEED) does not drop this file system's pages (tmpfs?)"});
  return {
    date: "2026-12-02T00:00:00Z",
    machine: "Linux test 6.18 #1 x86_64",
    settings: {quick: true, runs: 3, runMs: 10, dir: "/tmp", fileBytes, tcpBytes: [], timeoutMs: 1000},
    info: {fileBytes},
    measured,
  };
}

test("predictions are simulations: they follow the profile's numbers", () => {
  // Twice the copy rate: a copy takes half the time. Without a curve, one rate for every size...
  /** server-2024 with its memory section changed by *change* (parseProfile keeps the object it is given: a fresh copy each time). */
  const withMemory = (change: (m: Profile["memory"]) => void): Profile => {
    const raw = JSON.parse(JSON.stringify(base)) as Profile;
    change(raw.memory);
    return parseProfile(raw, "test profile");
  };
  const flat = withMemory((m) => delete m.copyCurve);
  const flatFast = withMemory((m) => {
    delete m.copyCurve;
    m.copyBytesPerNs *= 2;
  });
  assert.ok(Math.abs(predictCopy(flatFast, 64 * MiB) / predictCopy(flat, 64 * MiB) - 2) < 1e-9);
  assert.equal(predictCopy(flat, 4096), predictCopy(flat, 64 * MiB));
  // ...with one, the rate of the copy's size: twice every point, twice the rate at each size.
  const doubled = withMemory((m) => (m.copyCurve = base.memory.copyCurve!.map(([b, r]) => [b, 2 * r] as [number, number])));
  for (const bytes of [4096, 64 * 1024, MiB, 64 * MiB]) assert.ok(Math.abs(predictCopy(doubled, bytes) / predictCopy(base, bytes) - 2) < 1e-9, `${bytes}`);
  assert.ok(predictCopy(base, 4096) > predictCopy(base, 64 * MiB));
  // A null call is two mode switches and the entry work: 100 ns more per switch is 200 ns more per call.
  const slower = withField("cpu", "modeSwitchNs", base.cpu.modeSwitchNs + 100);
  assert.ok(Math.abs(predictNullSyscall(slower) - predictNullSyscall(base) - 200) < 1e-6);
  // Direct reads pay the device for every call; larger reads amortise its latency.
  assert.ok(predictRead(base, "direct", MiB, 64 * MiB) > predictRead(base, "direct", 4096, 64 * MiB));
  // A warm buffered read never waits for the disk, so it beats a direct read of the same size.
  assert.ok(predictRead(base, "buffered warm", 4096, 64 * MiB) > predictRead(base, "direct", 4096, 64 * MiB));
});

test("predictPingPongTwoCpus: each hand-over wakes the other core, which pays the wake-up IPI only when idle cores do not poll, and its idle exit once it has idled the residency", () => {
  const raw = JSON.parse(JSON.stringify(base)) as Profile;
  raw.cpu.idlePolls = false;
  // The IPI alone first: without idle exits.
  raw.cpu.idleExitNs = 0;
  const halting = parseProfile(raw, "test profile");
  const withExits = parseProfile({...raw, cpu: {...raw.cpu, idleExitNs: 3_000, idleResidencyNs: 0}}, "test profile");
  assert.ok(Math.abs(predictPingPongTwoCpus(withExits) - predictPingPongTwoCpus(halting) - 2 * 3_000) < 1e-6);
  // A residency longer than the other core's idle: it polls, and pays no exit.
  const polled = parseProfile({...raw, cpu: {...raw.cpu, idleExitNs: 3_000, idleResidencyNs: 1e9}}, "test profile");
  assert.equal(predictPingPongTwoCpus(polled), predictPingPongTwoCpus(halting));
  // Two hand-overs per round trip, one IPI each.
  assert.ok(Math.abs(predictPingPongTwoCpus(halting) - predictPingPongTwoCpus(base) - 2 * base.cpu.ipiNs) < 1e-6);
  // Dearer IPIs, slower round trips; with polling idle cores the IPI's price does not matter.
  const dearer = parseProfile({...raw, cpu: {...raw.cpu, ipiNs: 2 * base.cpu.ipiNs}}, "test profile");
  assert.ok(Math.abs(predictPingPongTwoCpus(dearer) - predictPingPongTwoCpus(halting) - 2 * base.cpu.ipiNs) < 1e-6);
  assert.equal(predictPingPongTwoCpus(withField("cpu", "ipiNs", 2 * base.cpu.ipiNs)), predictPingPongTwoCpus(base));
  // Each hand-over waits for a write to enter the kernel and the woken read to leave it: two system calls' worth per round trip.
  assert.ok(predictPingPongTwoCpus(base) >= 2 * (2 * base.cpu.modeSwitchNs + base.cpu.syscallNs));
});

test("predictTcp: read + write costs the sender more CPU than sendfile with gathering", () => {
  const rw = predictTcp(base, "read+write", 4 * MiB);
  const sf = predictTcp(base, "sendfile", 4 * MiB);
  assert.ok(rw.senderCpuNs > sf.senderCpuNs, `${rw.senderCpuNs} vs ${sf.senderCpuNs}`);
  assert.ok(rw.elapsedNs > 0 && sf.elapsedNs > 0);
  assert.throws(() => predictTcp(base, "splice", 4 * MiB), /no model strategy for TCP method splice/);
});

test("validate: within ±25% agrees, beyond it is flagged, and an unsupported measurement is not compared", () => {
  // Predicted ÷ measured of 1.2 and 0.8 are inside ±25%, 1.3 and 0.7 outside.
  for (const [ratio, within] of [[1.2, true], [0.8, true], [1.3, false], [0.7, false]] as const) {
    const factor = 1 / ratio;
    const rows = validate(calibrationAt(base, factor), base).filter((r) => r.quantity.startsWith("fileread/") && r.measured !== undefined);
    assert.equal(rows.length, 6);
    for (const r of rows) {
      assert.equal(r.within, within, `${r.quantity} at ×${ratio}: error ${r.error}`);
      assert.ok(Math.abs(r.error! - ratio) < 1e-9, `${r.quantity}: error ${r.error} is predicted ÷ measured`);
      assert.equal(r.calibrated, false);
    }
  }
  const rows = validate(calibrationAt(base, 1), base);
  const cold = rows.find((r) => r.quantity === "fileread/buffered cold 4KiB")!;
  assert.equal(cold.within, undefined);
  assert.match(cold.unsupported!, /DONTNEED/);
  // Quantities not in the calibration at all are listed as not measured, never as agreeing.
  assert.equal(rows.find((r) => r.quantity === "memcpy/4KiB")!.unsupported, "not measured");
  const s = validationSummary(rows);
  assert.deepEqual(s, {compared: 6, within: 6, predictedCompared: 6, predictedWithin: 6});
});

test("validate: the elapsed time saved is compared in percentage points, and calibrated rows are marked", () => {
  const fileBytes = 4 * MiB;
  const rw = predictTcp(base, "read+write", fileBytes);
  const sf = predictTcp(base, "sendfile", fileBytes);
  const saved = 1 - sf.elapsedNs / rw.elapsedNs;
  const cal: Calibration = {
    ...calibrationAt(base, 1),
    settings: {quick: true, runs: 3, runMs: 10, dir: "/tmp", fileBytes, tcpBytes: [fileBytes], timeoutMs: 1000},
    measured: [row("tcp", "elapsed saved by sendfile 4MiB", "ratio", saved - 0.12), row("memcpy", "64MiB", "bytes/ns", base.memory.copyBytesPerNs)],
  };
  const rows = validate(cal, base);
  const el = rows.find((r) => r.quantity === "tcp/elapsed saved by sendfile 4MiB")!;
  assert.equal(el.band.kind, "points");
  assert.ok(Math.abs(el.error! - 0.12) < 1e-9);
  assert.equal(el.within, false);
  const copy = rows.find((r) => r.quantity === "memcpy/64MiB")!;
  assert.equal(copy.calibrated, true);
  assert.equal(copy.within, true);
  const csv = validationCsv(rows).split("\n");
  assert.equal(csv[0].split(",").length, 13);
  assert.equal(csv.length, rows.length + 2);
});

test("validate: each file size's copy out of its warm pages is compared with the profile's rate for that size, calibrated where the profile has the curve", () => {
  const withCurve = parseProfile({...JSON.parse(JSON.stringify(base)), memory: {...base.memory, pageCacheCopyCurve: [[16 * MiB, 28], [256 * MiB, 10]]}}, "curve");
  const cal: Calibration = {
    ...calibrationAt(base, 1),
    measured: [row("tcp", "copy out of the warm file's pages 16MiB", "bytes/ns", 28), row("fileread", "copy out of the warm file's pages 256MiB", "bytes/ns", 10)],
  };
  const rows = validate(cal, withCurve).filter((r) => r.quantity.includes("copy out of"));
  assert.deepEqual(
    rows.map((r) => [r.quantity, r.predicted, r.calibrated, r.within]),
    [
      ["tcp/copy out of the warm file's pages 16MiB", 28, true, true],
      ["fileread/copy out of the warm file's pages 256MiB", 10, true, true],
    ],
  );
  // Without the curve the rows are true predictions, at the rate from memory for every size: the 16 MiB file's cache is missed.
  const flat = validate(cal, base).filter((r) => r.quantity.includes("copy out of"));
  assert.deepEqual(flat.map((r) => r.calibrated), [false, false]);
  assert.equal(flat[0].predicted, base.memory.copyFromMemoryBytesPerNs);
  assert.equal(flat[0].within, false);
});

test("iosim validate prints the comparison, and refuses what it cannot read with one line", async () => {
  const dir = tempDir("validate");
  const profileFile = join(dir, "mine.json");
  writeFileSync(profileFile, JSON.stringify({extends: "server-2024", name: "mine"}));
  const cal = calibrationAt(base, 1.1);
  writeFileSync(join(dir, "mine.measurements.json"), JSON.stringify({format: "iosim-calibration/1", ...cal}));
  const ok = await iosimAsync(["validate", "--profile", profileFile]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /fileread\/direct 4KiB\s+bytes\/ns\s+\S+\s+\S+\s+×0\.909\s+±25%\s+ok/);
  assert.match(ok.stdout, /6 of 6 predictions within their band/);
  const out = join(dir, "v.json");
  const js = await iosimAsync(["validate", "--profile", profileFile, "--format", "json", "--out", out]);
  assert.equal(js.status, 0, js.stderr);
  assert.equal(JSON.parse(readFileSync(out, "utf8")).summary.predictedWithin, 6);
  const missing = await iosimAsync(["validate", "--profile", profileFile, "--measurements", join(dir, "none.json")]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /^iosim: invalid --measurements: .*none\.json; expected the measurements file iosim calibrate wrote/);
  const fmt = await iosimAsync(["validate", "--profile", profileFile, "--format", "xml"]);
  assert.equal(fmt.status, 2);
  assert.match(fmt.stderr, /^iosim: invalid --format: xml; expected one of table, json, csv/);
  const opt = await iosimAsync(["validate", "--bogus"]);
  assert.equal(opt.status, 2);
  assert.match(opt.stderr, /^iosim: invalid option for validate: --bogus/);
});

test("validate: the loopback transfer's mechanism counts are compared per MiB (data segments, the reader's ACKs and sleeps), from the probe's per-transfer counts", () => {
  const fileBytes = 4 * MiB;
  const rw = predictTcp(base, "read+write", fileBytes);
  // Once per two segments: a 64 KiB write is a full segment and its 52-byte tail, so about one ACK per write (64 writes;
  // the first leaves in three pieces at half the receiver's first window, and quick ACKs go while the window opens).
  assert.equal(rw.segments, 129);
  assert.ok(rw.acks >= 64 && rw.acks <= 68, `${rw.acks}`);
  assert.ok(rw.readerSleeps > 0);
  const cal: Calibration = {
    ...calibrationAt(base, 1),
    settings: {quick: true, runs: 3, runMs: 10, dir: "/tmp", fileBytes, tcpBytes: [fileBytes], timeoutMs: 1000},
    measured: [row("tcp", "read+write data segments 4MiB", "count", rw.segments), row("tcp", "read+write ACKs 4MiB", "count", 2 * rw.acks)],
  };
  const rows = validate(cal, base);
  const segs = rows.find((r) => r.quantity === "tcp/read+write data segments per MiB 4MiB")!;
  assert.equal(segs.unit, "per MiB");
  assert.equal(segs.measured, rw.segments / 4);
  assert.equal(segs.measuredLow, (rw.segments * 0.9) / 4);
  assert.equal(segs.predicted, rw.segments / 4);
  assert.equal(segs.within, true);
  // Twice the ACKs measured (a reader that ACKs every segment): flagged.
  const acks = rows.find((r) => r.quantity === "tcp/read+write ACKs per MiB 4MiB")!;
  assert.equal(acks.error, 0.5);
  assert.equal(acks.within, false);
  // Not measured (an older probe, or a kernel without tcpi_segs_in): listed, not compared.
  assert.equal(rows.find((r) => r.quantity === "tcp/sendfile reader sleeps per MiB 4MiB")!.unsupported, "not measured");
});
