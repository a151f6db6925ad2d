import {test} from "node:test";
import assert from "node:assert/strict";
import {mkdirSync, readdirSync, readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {loadProfile, parseProfile} from "../../src/host/profiles.js";
import {calibratedProfile, checkPlatform, derivedMeasurements, idlePolls, idleSettings, spread, tcpBufferSysctls, type Calibration, type Measurement} from "../../src/calibrate/index.js";
import {InputError} from "../../src/errors.js";
import {CalibrateProgress, measurementsPath} from "../../src/cli/calibrateCommand.js";
import {tempDir} from "../helpers/files.js";
import {iosimAsync, type CliRun} from "../helpers/cli.js";

/** Runs `iosim ...args` with *env* added to this process's environment. */
const iosim = (env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliRun> => iosimAsync(args, {env: {...process.env, ...env}});

/** Asserts a run failed with status 2 and printed one line on stderr, nothing on stdout; returns the line. */
function assertOneLineError(r: CliRun): string {
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stdout, "");
  const lines = r.stderr.split("\n");
  assert.equal(lines.length, 2, `one line, got: ${JSON.stringify(r.stderr)}`);
  assert.equal(lines[1], "");
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  return lines[0];
}

test("spread(values) is the median of the run medians with the lowest and highest", () => {
  assert.deepEqual(spread([5.2, 4.9, 5.6]), {median: 5.2, low: 4.9, high: 5.6});
  assert.deepEqual(spread([4, 1, 3, 2]), {median: 2.5, low: 1, high: 4});
  assert.deepEqual(spread([7]), {median: 7, low: 7, high: 7});
});

test("checkPlatform(platform) refuses anything but Linux, saying why", () => {
  assert.doesNotThrow(() => checkPlatform("linux"));
  assert.throws(
    () => checkPlatform("darwin"),
    (err: unknown) => err instanceof InputError && /^invalid platform: darwin; expected Linux: iosim calibrate measures Linux system calls/.test(err.message),
  );
});

test("tcpBufferSysctls(dir) reads tcp_rmem and tcp_wmem, and leaves out what it cannot read", () => {
  const dir = tempDir("iosim-sysctl-");
  writeFileSync(join(dir, "tcp_rmem"), "4096\t131072\t6291456\n");
  assert.deepEqual(tcpBufferSysctls(dir), {tcp_rmem: "4096 131072 6291456"});
});

test("idleSettings(sysDir, procDir) reads the cpuidle driver, an idle= boot parameter and the MONITOR flag, and leaves out what it cannot read", () => {
  const sys = tempDir("iosim-sys-");
  const proc = tempDir("iosim-proc-");
  mkdirSync(join(sys, "cpuidle"));
  writeFileSync(join(sys, "cpuidle", "current_driver"), "intel_idle\n");
  writeFileSync(join(proc, "cmdline"), "ro quiet idle=halt console=ttyS0\n");
  writeFileSync(join(proc, "cpuinfo"), "processor\t: 0\nflags\t\t: fpu vme sse2 monitor ssse3\n\nprocessor\t: 1\n");
  assert.deepEqual(idleSettings(sys, proc, join(sys, "no-modules")), {cpuidleDriver: "intel_idle", idleParam: "halt", cpuMonitor: "yes"});
  assert.deepEqual(idleSettings(join(sys, "absent"), join(proc, "absent"), join(sys, "absent")), {});
});

test("idlePolls(info) follows the kernel: idle= first, then the cpuidle driver, then MWAIT without one; null when nothing was read", () => {
  const polls = (info: Record<string, string>) => idlePolls(info)?.polls ?? null;
  assert.equal(polls({idleParam: "poll", cpuidleDriver: "none", cpuMonitor: "no"}), true);
  assert.equal(polls({idleParam: "halt", cpuidleDriver: "intel_idle", cpuMonitor: "yes"}), false);
  assert.equal(polls({cpuidleDriver: "intel_idle"}), true);
  assert.equal(polls({cpuidleDriver: "acpi_idle"}), true);
  assert.equal(polls({cpuidleDriver: "haltpoll", cpuMonitor: "no"}), true);
  assert.equal(polls({cpuidleDriver: "none", cpuMonitor: "no"}), false);
  assert.equal(polls({cpuidleDriver: "none", cpuMonitor: "yes"}), true);
  assert.equal(polls({cpuMonitor: "no"}), false);
  assert.equal(polls({}), null);
  assert.equal(polls({cpuidleDriver: "teo-something-new"}), null);
  assert.match(idlePolls({cpuidleDriver: "none", cpuMonitor: "no"})!.why, /HLT/);
  // haltpoll polls only up to guest_halt_poll_ns: at 0 its window never opens and an idle vCPU halts at once.
  assert.equal(polls({cpuidleDriver: "haltpoll", haltPollNs: "200000"}), true);
  assert.equal(polls({cpuidleDriver: "haltpoll", haltPollNs: "0"}), false);
  assert.match(idlePolls({cpuidleDriver: "haltpoll", haltPollNs: "0"})!.why, /guest_halt_poll_ns 0.*adjust_poll_limit/);
});

test("idleSettings reads the haltpoll governor's guest_halt_poll_ns beside the cpuidle driver", () => {
  const root = tempDir("iosim-idle-");
  mkdirSync(join(root, "cpu", "cpuidle"), {recursive: true});
  mkdirSync(join(root, "module", "haltpoll", "parameters"), {recursive: true});
  writeFileSync(join(root, "cpu", "cpuidle", "current_driver"), "haltpoll\n");
  writeFileSync(join(root, "module", "haltpoll", "parameters", "guest_halt_poll_ns"), "0\n");
  const info = idleSettings(join(root, "cpu"), join(root, "no-proc"), join(root, "module"));
  assert.deepEqual(info, {cpuidleDriver: "haltpoll", haltPollNs: "0"});
  assert.equal(idlePolls(info)?.polls, false);
});

test("calibratedProfile: where idle cores halt, the idle wake-up less the base's IPI is cpu.idleExitNs and every idle counts (residency 0); where they poll, the base's stay", () => {
  const wake = [row("taskswitch", "wake-up onto an idle CPU, one way", "ns", [42_000, 44_000, 43_000]), row("taskswitch", "pipe write+read, no switch", "ns", [300, 300, 300])];
  const halting = fakeCalibration(wake);
  halting.info = {...halting.info, cpuidleDriver: "haltpoll", haltPollNs: "0"};
  const ipi = loadProfile("server-2024").cpu.ipiNs ?? 0;
  const halted = parseProfile(calibratedProfile(halting, "server-2024", "m.json").profile, "calibrated");
  assert.equal(halted.cpu.idlePolls, false);
  assert.equal(halted.cpu.idleExitNs, 43_000 - 300 - ipi);
  assert.equal(halted.cpu.idleResidencyNs, 0);
  assert.match(halted.sources["cpu.idleExitNs"], /less the woken side's CPU priced apart \(cpu\.ipiNs, 1500 ns, server-2024's\)/);
  // Without the CPU-time rows, the base's IPI costs stay.
  assert.equal(halted.cpu.ipiNs, ipi);
  assert.equal(halted.cpu.ipiSendNs, loadProfile("server-2024").cpu.ipiSendNs);
  const polling = fakeCalibration(wake);
  polling.info = {...polling.info, cpuidleDriver: "intel_idle"};
  const polled = parseProfile(calibratedProfile(polling, "server-2024", "m.json").profile, "calibrated");
  assert.equal(polled.cpu.idleExitNs, loadProfile("server-2024").cpu.idleExitNs);
  assert.equal(polled.sources["cpu.idleExitNs"], loadProfile("server-2024").sources["cpu.idleExitNs"]);
});

/** The pipe probe's idle wake-up on a machine whose idle cores halt: each side's CPU in its call, and the same calls with nothing to wake or wait for. */
const pipeWakeRows = (): Measurement[] => [
    row("taskswitch", "wake-up onto an idle CPU, one way", "ns", [42_000, 44_000, 43_000]),
    row("taskswitch", "pipe write+read, no switch", "ns", [300, 300, 300]),
    row("taskswitch", "wake-up onto an idle CPU, waker CPU in write", "ns", [15_400, 15_600, 15_500]),
    row("taskswitch", "wake-up onto an idle CPU, woken CPU in read", "ns", [11_000, 11_200, 11_100]),
    row("taskswitch", "pipe write, nothing to wake, CPU", "ns", [350, 360, 370]),
    row("taskswitch", "pipe read, data waiting, CPU", "ns", [340, 350, 360]),
];

test("calibratedProfile: where idle cores halt, each side's CPU time of the idle wake-up (less the same call with nothing to wake or wait for) is cpu.ipiSendNs and cpu.ipiNs, and the exit latency is what the one-way time leaves beyond the woken side", () => {
  const rows = pipeWakeRows();
  const cal = fakeCalibration(rows);
  cal.info = {...cal.info, cpuidleDriver: "haltpoll", haltPollNs: "0"};
  // Run by run: 15 400 − 350, 15 600 − 360, 15 500 − 370 → median 15 130; 11 000 − 340, 11 200 − 350, 11 100 − 360 → median 10 740.
  const send = cal.measured.find((m) => m.case === "wake-up IPI, waker's side (waker CPU in write − pipe write)")!;
  assert.deepEqual(send.runs, [15_050, 15_240, 15_130]);
  assert.equal(send.median, 15_130);
  const woken = cal.measured.find((m) => m.case === "wake-up IPI, woken side (woken CPU in read − pipe read)")!;
  assert.equal(woken.median, 10_740);
  const loaded = parseProfile(calibratedProfile(cal, "server-2024", "m.json").profile, "calibrated");
  // A profile keeps three significant figures.
  assert.equal(loaded.cpu.ipiSendNs, 15_100);
  assert.equal(loaded.cpu.ipiNs, 10_700);
  assert.equal(loaded.cpu.idleExitNs, 43_000 - 300 - 10_700);
  assert.match(loaded.sources["cpu.ipiSendNs"], /writer's CPU time in that write/);
  assert.match(loaded.sources["cpu.idleExitNs"], /cpu\.ipiNs, 10700 ns, measured/);
  // Where idle cores poll, no IPI was sent: the base's prices stay.
  const polling = fakeCalibration(rows);
  polling.info = {...polling.info, cpuidleDriver: "intel_idle"};
  const polled = parseProfile(calibratedProfile(polling, "server-2024", "m.json").profile, "calibrated");
  assert.equal(polled.cpu.ipiNs, loadProfile("server-2024").cpu.ipiNs);
  assert.equal(polled.cpu.ipiSendNs, loadProfile("server-2024").cpu.ipiSendNs);
});

test("calibratedProfile: where a loopback transfer measured its own wake-ups (at the size the network costs are fitted at), they price cpu.ipiNs and cpu.ipiSendNs, the pipe probe's idle wake-up only the exit latency", () => {
  const pipe = pipeWakeRows();
  const transfer = [
    row("tcp", "read+write wake-up, reader's side 4MiB", "ns", [4_400, 4_500, 4_600]),
    row("tcp", "read+write wake-up, sender's side 4MiB", "ns", [6_000, 6_300, 6_600]),
    // Another size than the fit's: not used.
    row("tcp", "read+write wake-up, reader's side 16MiB", "ns", [9_000, 9_000, 9_000]),
  ];
  const cal = fakeCalibration([...pipe, ...transfer]);
  cal.info = {...cal.info, cpuidleDriver: "haltpoll", haltPollNs: "0"};
  const loaded = parseProfile(calibratedProfile(cal, "server-2024", "m.json").profile, "calibrated");
  assert.equal(loaded.cpu.ipiNs, 4_500);
  assert.equal(loaded.cpu.ipiSendNs, 6_300);
  // The one-way latency stays the pipe probe's: what the woken side's CPU does not take is the exit.
  assert.equal(loaded.cpu.idleExitNs, 43_000 - 300 - 4_500);
  assert.match(loaded.sources["cpu.ipiNs"], /inside a loopback transfer: read \+ write of the 4MiB file.*The pipe probe's idle wake-up cost its reader 10700 ns/);
  assert.match(loaded.sources["cpu.ipiSendNs"], /spins on non-blocking reads.*The pipe probe's idle wake-up cost its waker 15100 ns/);
  // A sender's side at or below 0 (two noisy CPU times differenced) measured nothing: the pipe probe's number stands.
  const noisy = fakeCalibration([...pipe, transfer[0], row("tcp", "read+write wake-up, sender's side 4MiB", "ns", [-800, -200, 300])]);
  noisy.info = cal.info;
  const fallback = parseProfile(calibratedProfile(noisy, "server-2024", "m.json").profile, "calibrated");
  assert.equal(fallback.cpu.ipiSendNs, 15_100);
  assert.equal(fallback.cpu.ipiNs, 4_500);
  // A reader's side as long as the pipe probe's whole one-way time would leave no exit latency: not a measurement of the wake-up.
  const slow = fakeCalibration([...pipe, row("tcp", "read+write wake-up, reader's side 4MiB", "ns", [50_000, 60_000, 70_000]), transfer[1]]);
  slow.info = cal.info;
  const piped = parseProfile(calibratedProfile(slow, "server-2024", "m.json").profile, "calibrated");
  assert.equal(piped.cpu.ipiNs, 10_700);
  assert.equal(piped.cpu.idleExitNs, 43_000 - 300 - 10_700);
});

test("calibratedProfile(cal, base, sidecar) writes cpu.idlePolls from how idle cores idle, with why", () => {
  const cal = fakeCalibration([]);
  cal.info = {...cal.info, cpuidleDriver: "none", cpuMonitor: "no"};
  const {profile, overrides} = calibratedProfile(cal, "server-2024", "m.json");
  assert.deepEqual(overrides.find((o) => o.path === "cpu.idlePolls")?.value, false);
  assert.match((profile.sources as Record<string, string>)["cpu.idlePolls"], /do not poll: cpuidle driver none and no MONITOR\/MWAIT/);
  assert.equal(parseProfile(profile, "calibrated").cpu.idlePolls, false);
  assert.equal(loadProfile("server-2024").cpu.idlePolls, true);
});

test("measurementsPath(out) puts the measurements beside the profile", () => {
  assert.equal(measurementsPath("mine.json"), "mine.measurements.json");
  assert.equal(measurementsPath("dir/mine"), "dir/mine.measurements.json");
});

/** A calibration as the probes would report it, with round numbers. */
function fakeCalibration(measured: Measurement[]): Calibration {
  return {
    date: "2026-01-02T03:04:05Z",
    machine: "Linux box 6.18.0 #1 SMP x86_64",
    settings: {quick: true, runs: 3, runMs: 10, dir: "/tmp", fileBytes: 4 << 20, tcpBytes: [4 << 20], timeoutMs: 30_000},
    info: {onlineCpus: 8, affinityCpus: 4, pageBytes: 4096, tcp_rmem: "4096 131072 6291456", tcp_wmem: "4096 16384 4194304"},
    measured: [...measured, ...derivedMeasurements(measured)],
  };
}

const row = (probe: string, kase: string, unit: string, runs: number[]): Measurement => ({probe, case: kase, unit, ...spread(runs), runs, samples: 100});

test("derivedMeasurements(rows) computes each derived quantity run by run", () => {
  const derived = derivedMeasurements([
    row("syscall", "null", "ns/call", [100, 120, 110]),
    row("syscall", "read1", "ns/call", [150, 160, 100]),
    row("taskswitch", "pingpong round trip", "ns", [3000, 3400, 3200]),
    row("taskswitch", "pipe write+read, no switch", "ns", [500, 600, 550]),
  ]);
  assert.deepEqual(
    derived.map((d) => [d.case, d.runs, d.median, d.low, d.high]),
    [
      ["mode switch (null / 2)", [50, 60, 55], 55, 50, 60],
      ["entry work of a short fd call (read1 − null)", [50, 40, 0], 40, 0, 50],
      ["task switch", [1000, 1100, 1050], 1050, 1000, 1100],
    ],
  );
});

test("derivedMeasurements(rows) gives io_uring's cost per SQE and of a poll armed and fired, run by run", () => {
  const derived = derivedMeasurements([
    row("uring", "enter with 1 nop", "ns/call", [1000, 1100, 1300]),
    row("uring", "enter with 32 nops", "ns/call", [2550, 2650, 1200]),
    row("uring", "poll round", "ns", [5000, 6000, 7000]),
    row("uring", "nop round", "ns", [4000, 4500, 7500]),
  ]);
  assert.deepEqual(
    derived.map((d) => [d.case, d.runs]),
    [
      // (32-NOP − 1-NOP) ÷ 31; a run where the batch came out cheaper is clamped at 0.
      ["per SQE", [50, 50, 0]],
      ["poll armed and fired", [1000, 1500, 0]],
    ],
  );
});

test("derivedMeasurements(rows) gives the loopback ratios per size, the per-fd cost of a call and the time of a direct read", () => {
  const derived = derivedMeasurements([
    row("fileread", "direct 4KiB", "bytes/ns", [0.5, 0.25, 0.125]),
    row("tcp", "read+write sender CPU 16MiB", "ns", [30, 40, 50]),
    row("tcp", "mmap+write sender CPU 16MiB", "ns", [20, 20, 20]),
    row("tcp", "sendfile sender CPU 16MiB", "ns", [10, 10, 10]),
    row("tcp", "read+write elapsed 16MiB", "ns", [100, 100, 100]),
    row("tcp", "sendfile elapsed 16MiB", "ns", [50, 25, 75]),
    row("multiplex", "poll 10 fds", "ns/call", [1000, 1000, 1000]),
    row("multiplex", "poll 1000 fds", "ns/call", [1990, 2980, 10900]),
  ]);
  assert.deepEqual(
    derived.map((d) => [d.case, d.runs]),
    [
      ["direct 4KiB per call", [8192, 16384, 32768]],
      ["sender CPU read+write : sendfile 16MiB", [3, 4, 5]],
      ["sender CPU read+write : mmap+write 16MiB", [1.5, 2, 2.5]],
      ["elapsed saved by sendfile 16MiB", [0.5, 0.75, 0.25]],
      ["poll per watched fd", [1, 2, 10]],
    ],
  );
});

test("calibratedProfile(cal, base, sidecar) sets only the measured fields, each with a source, and loads", () => {
  const cal = fakeCalibration([
    row("memcpy", "64MiB", "bytes/ns", [9.87654, 10.1234, 9.5]),
    row("syscall", "null", "ns/call", [100, 120, 110]),
    row("syscall", "read1", "ns/call", [90, 100, 100]),
    {probe: "fileread", case: "direct 4KiB", unit: "bytes/ns", unsupported: "O_DIRECT not supported on this file system (open: Invalid argument)"},
  ]);
  const {profile, overrides} = calibratedProfile(cal, "desktop-2008", "mine.measurements.json");
  // syscallNs came out 0 (read1 ≤ null) and the task switch was not measured: both keep desktop-2008's numbers.
  assert.deepEqual(
    overrides.map((o) => [o.path, o.value]),
    [
      ["cpu.cores", 4],
      ["memory.pageBytes", 4096],
      ["net.rmemBytes", 131072],
      ["net.wmemBytes", 16384],
      ["cpu.modeSwitchNs", 55],
      ["memory.copyBytesPerNs", 9.88],
    ],
  );
  assert.deepEqual(Object.keys(profile.sources as object), ["cpu.cores", "memory.pageBytes", "net.rmemBytes", "net.wmemBytes", "cpu.modeSwitchNs", "memory.copyBytesPerNs"]);
  assert.match((profile.sources as Record<string, string>)["cpu.modeSwitchNs"], /Median 55 ns over 3 runs.*run medians 50 ns to 60 ns.*2026-01-02T03:04:05Z, Linux box 6\.18\.0/);
  const loaded = parseProfile(profile, "calibrated");
  const base = loadProfile("desktop-2008");
  assert.equal(loaded.cpu.modeSwitchNs, 55);
  assert.equal(loaded.cpu.syscallNs, base.cpu.syscallNs);
  assert.equal(loaded.cpu.taskSwitchNs, base.cpu.taskSwitchNs);
  assert.equal(loaded.sources["cpu.syscallNs"], base.sources["cpu.syscallNs"]);
});

test("calibratedProfile(cal, base, sidecar) maps the memcpy rows into memory.copyCurve, smallest size first, with each point's spread", () => {
  const cal = fakeCalibration([
    row("memcpy", "64MiB", "bytes/ns", [9, 10, 11]),
    row("memcpy", "4KiB", "bytes/ns", [70, 75, 80]),
    row("memcpy", "256KiB", "bytes/ns", [50, 55, 60]),
    {probe: "memcpy", case: "8MiB", unit: "bytes/ns", unsupported: "not measured"},
  ]);
  const {profile, overrides} = calibratedProfile(cal, "server-2024", "mine.measurements.json");
  const curve = overrides.find((o) => o.path === "memory.copyCurve")!;
  assert.deepEqual(curve.value, [[4096, 75], [262144, 55], [67108864, 10]]);
  assert.match(curve.source, /4KiB 75 bytes\/ns \(70–80\), 256KiB 55 bytes\/ns \(50–60\), 64MiB 10 bytes\/ns \(9–11\)/);
  const loaded = parseProfile(profile, "calibrated");
  assert.deepEqual(loaded.memory.copyCurve, [[4096, 75], [262144, 55], [67108864, 10]]);
  assert.equal(loaded.memory.copyBytesPerNs, 10);
  // One size alone is no curve: the base's curve stays... unless the streaming rate was set, which drops it (see parseProfile).
  const one = calibratedProfile(fakeCalibration([row("memcpy", "64MiB", "bytes/ns", [9, 10, 11])]), "server-2024", "m.json");
  assert.equal(one.overrides.some((o) => o.path === "memory.copyCurve"), false);
  assert.equal(parseProfile(one.profile, "calibrated").memory.copyCurve, undefined);
});

test("calibratedProfile(cal, base, sidecar) maps each file size's copy out of its warm pages into memory.pageCacheCopyCurve, smallest file first, the better-sampled row where two probes used one size", () => {
  const MiB = 1 << 20;
  const cal = fakeCalibration([
    row("tcp", "copy out of the warm file's pages 1024MiB", "bytes/ns", [9, 9.5, 10]),
    row("fileread", "copy out of the warm file's pages 256MiB", "bytes/ns", [10, 11, 12]),
    {...row("tcp", "copy out of the warm file's pages 256MiB", "bytes/ns", [1, 1, 1]), samples: 10},
    row("tcp", "copy out of the warm file's pages 16MiB", "bytes/ns", [26, 28, 29]),
    {probe: "tcp", case: "copy out of the warm file's pages 4MiB", unit: "bytes/ns", unsupported: "mmap of the test file failed"},
  ]);
  const {profile, overrides} = calibratedProfile(cal, "server-2024", "mine.measurements.json");
  const curve = overrides.find((o) => o.path === "memory.pageCacheCopyCurve")!;
  assert.deepEqual(curve.value, [[16 * MiB, 28], [256 * MiB, 11], [1024 * MiB, 9.5]]);
  assert.match(curve.source, /16MiB 28 bytes\/ns \(26–29\), 256MiB 11 bytes\/ns \(10–12\), 1024MiB 9\.5 bytes\/ns \(9–10\)/);
  assert.deepEqual(parseProfile(profile, "calibrated").memory.pageCacheCopyCurve, [[16 * MiB, 28], [256 * MiB, 11], [1024 * MiB, 9.5]]);
  // No such row: no curve, and copies out of the page cache keep the rate from memory.
  const none = calibratedProfile(fakeCalibration([row("memcpy", "64MiB", "bytes/ns", [9, 10, 11])]), "server-2024", "m.json");
  assert.equal(none.overrides.some((o) => o.path === "memory.pageCacheCopyCurve"), false);
});

test("iosim calibrate --quick --out FILE writes a profile that loads and runs, and every measurement beside it", async () => {
  // TMPDIR: the probes' build cache and test files go to a folder of this test, which must end up holding only the cache.
  const tmp = tempDir("iosim-calibrate-");
  const out = join(tempDir("iosim-calibrate-out-"), "mine.json");
  const r = await iosim({TMPDIR: tmp}, "calibrate", "--quick", "--out", out);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, "", "no progress when stderr is not a terminal");
  assert.match(r.stdout, /Profile written: .*mine\.json \(extends server-2024; sets cpu\.cores=\d+/);
  assert.deepEqual(
    readdirSync(tmp).filter((n) => !n.startsWith("iosim-probes-")),
    [],
    "no test file left behind",
  );

  const raw = JSON.parse(readFileSync(out, "utf8")) as Record<string, Record<string, unknown>>;
  assert.equal(raw.extends, "server-2024");
  const profile = loadProfile(out);
  // Every number set, by its path: `cpu.cores`, or deeper for a disk's (`disks.ssd.latencyNs`).
  const leaves = (prefix: string, obj: Record<string, unknown>): Array<readonly [string, unknown]> =>
    Object.entries(obj).flatMap(([key, value]) =>
      value !== null && typeof value === "object" && !Array.isArray(value) ? leaves(`${prefix}.${key}`, value as Record<string, unknown>) : [[`${prefix}.${key}`, value] as const],
    );
  const overridden = Object.entries(raw)
    .filter(([k]) => ["cpu", "memory", "dma", "disks", "nic", "net", "uring"].includes(k))
    .flatMap(([section, obj]) => leaves(section, obj));
  assert.ok(overridden.length >= 4, JSON.stringify(overridden));
  for (const [path, value] of overridden) {
    if (path === "memory.pageCacheCopyCurve") {
      // The copy out of a warm file's pages at each file size measured (--quick: the file-read and TCP probes share one size).
      const points = value as Array<[number, number]>;
      assert.ok(points.length >= 1 && points.every(([b, r], i) => b > 0 && Number.isFinite(r) && r > 0 && (i === 0 || b > points[i - 1][0])), `${path} = ${JSON.stringify(value)}`);
    } else if (path === "memory.copyCurve") {
      // The memcpy rate at each size measured: [bytes, bytesPerNs] points in increasing size.
      const points = value as Array<[number, number]>;
      assert.ok(points.length >= 2 && points.every(([b, r], i) => b > 0 && Number.isFinite(r) && r > 0 && (i === 0 || b > points[i - 1][0])), `${path} = ${JSON.stringify(value)}`);
    } else if (path === "cpu.idleExitCurve") {
      // Where idle cores halt: the exit latency after each idle time the probe waited, [idleNs, exitNs] in increasing idle time (an exit may be 0).
      const points = value as Array<[number, number]>;
      assert.ok(points.length >= 2 && points.every(([i, e], k) => i > 0 && Number.isFinite(e) && e >= 0 && (k === 0 || i > points[k - 1][0])), `${path} = ${JSON.stringify(value)}`);
    } else if (path === "cpu.idlePolls") {
      // Read, not timed: how this machine's idle cores idle.
      assert.equal(typeof value, "boolean", `${path} = ${value}`);
      assert.equal(value, idlePolls(idleSettings())?.polls, `${path} = ${value}`);
    } else if (path === "memory.pageFaultNs" || path === "cpu.idleResidencyNs") {
      // A difference of three rows clamped at 0 (a fault that costs nothing beyond its mapping work), or a halting machine's residency (every idle halts): 0 is a measurement.
      assert.ok(typeof value === "number" && Number.isFinite(value) && value >= 0, `${path} = ${value}`);
    } else assert.ok(typeof value === "number" && Number.isFinite(value) && value > 0, `${path} = ${value}`);
    assert.match(profile.sources[path], /iosim calibrate on \d{4}-\d\d-\d\dT/, `source of ${path}`);
    assert.match((raw.sources as Record<string, string>)[path], /Linux/, `machine in the source of ${path}`);
  }
  assert.deepEqual(Object.keys(raw.sources).sort(), overridden.map(([p]) => p).sort(), "a source for each overridden number, and no other");

  const side = JSON.parse(readFileSync(measurementsPath(out), "utf8")) as {extends: string; measured: Measurement[]};
  assert.equal(side.extends, "server-2024");
  const probes = new Set(side.measured.map((m) => m.probe));
  assert.deepEqual([...probes].sort(), ["fileread", "memcpy", "mmap", "multiplex", "spawn", "splice", "syscall", "taskswitch", "tcp", "uring"]);
  for (const m of side.measured) {
    if (m.unsupported !== undefined) {
      assert.ok(m.unsupported.length > 0);
      continue;
    }
    const {low, median, high} = m as Required<Measurement>;
    assert.ok(low <= median && median <= high, `${m.probe} ${m.case}: ${low} ≤ ${median} ≤ ${high}`);
    assert.ok((m.runs ?? []).length > 0 && (m.runs ?? []).every((v) => Number.isFinite(v)), `${m.probe} ${m.case}`);
  }
  for (const kase of ["fork+exit+wait", "pthread_create+join"]) {
    assert.ok(side.measured.some((m) => m.probe === "spawn" && m.case === kase && (m.median ?? 0) > 0), kase);
  }

  const run = await iosim({}, "run", "transfer", "--profile", out, "--format", "json");
  assert.equal(run.status, 0, run.stderr);
  assert.equal(JSON.parse(run.stdout).profile, profile.name);
});

test("iosim calibrate with CC=/nonexistent exits 2 with one line naming the compiler and what to install", async () => {
  const r = await iosim({CC: "/nonexistent", TMPDIR: tempDir("iosim-calibrate-")}, "calibrate", "--quick", "--out", join(tempDir("iosim-calibrate-out-"), "x.json"));
  const line = assertOneLineError(r);
  assert.match(line, /^iosim: invalid C compiler: \/nonexistent \(not found\); expected .*install gcc or clang/);
});

test("iosim calibrate --extends NAME must name a shipped profile", async () => {
  const line = assertOneLineError(await iosim({}, "calibrate", "--extends", "mainframe-1970"));
  assert.match(line, /^iosim: invalid --extends: mainframe-1970; expected one of desktop-2008, server-2024/);
});

test("iosim calibrate refuses options it does not take", async () => {
  const line = assertOneLineError(await iosim({}, "calibrate", "--seed", "1"));
  assert.match(line, /^iosim: invalid option for calibrate: --seed; expected one of --out, --extends, --quick/);
});

test("CalibrateProgress draws a bar of the steps on a terminal and erases it at the end", () => {
  const written: string[] = [];
  const progress = new CalibrateProgress({isTTY: true, write: (t: string) => written.push(t)}, false);
  progress.update(0, 4, "compiling the probes");
  progress.update(2, 4, "null system call");
  progress.end();
  assert.deepEqual(
    written.map((t) => t.replace(/\d+ s/, "N s")),
    [
      "\riosim calibrate [--------------------] 1/4 compiling the probes… N s\x1b[K",
      "\riosim calibrate [##########----------] 3/4 null system call… N s\x1b[K",
      "\r\x1b[K",
    ],
  );
});

test("CalibrateProgress writes nothing when stderr is not a terminal", () => {
  const written: string[] = [];
  const progress = new CalibrateProgress({isTTY: false, write: (t: string) => written.push(t)}, false);
  progress.update(0, 4, "compiling the probes");
  progress.end();
  assert.deepEqual(written, []);
});

test("calibratedProfile(cal, base, sidecar) derives the idle wake-up run by run and, where idle cores halt (no cpuidle driver, no MWAIT), prices leaving the halt with it", () => {
  const rows = [row("taskswitch", "pipe write+read, no switch", "ns", [2_000, 2_100, 2_200]), row("taskswitch", "wake-up onto an idle CPU, one way", "ns", [12_000, 12_500, 13_000])];
  const cal = fakeCalibration(rows);
  cal.info = {...cal.info, cpuidleDriver: "none", cpuMonitor: "no"};
  const derived = cal.measured.find((m) => m.case === "idle wake-up (one way − pipe write+read)")!;
  assert.deepEqual(derived.runs, [10_000, 10_400, 10_800]);
  const {profile} = calibratedProfile(cal, "server-2024", "m.json");
  const loaded = parseProfile(profile, "calibrated");
  assert.equal(loaded.cpu.idleExitNs, 10_400 - (loadProfile("server-2024").cpu.ipiNs ?? 0));
  assert.equal(loaded.cpu.idleResidencyNs, 0);
});

test("calibratedProfile: where idle cores halt, the one-way wake-ups after 5, 20, 200 and 1000 µs of idle, less the pipe pair and the woken side's CPU, are cpu.idleExitCurve", () => {
  const rows = [
    row("taskswitch", "wake-up onto an idle CPU, one way", "ns", [42_000, 44_000, 43_000]),
    row("taskswitch", "pipe write+read, no switch", "ns", [300, 300, 300]),
    row("taskswitch", "wake-up onto an idle CPU, woken CPU in read", "ns", [11_000, 11_200, 11_100]),
    row("taskswitch", "pipe read, data waiting, CPU", "ns", [340, 350, 360]),
    row("taskswitch", "wake-up onto an idle CPU, one way, reader idle 5 us", "ns", [10_000, 10_500, 11_000]),
    row("taskswitch", "wake-up onto an idle CPU, one way, reader idle 20 us", "ns", [27_000, 27_300, 27_600]),
    row("taskswitch", "wake-up onto an idle CPU, one way, reader idle 1000 us", "ns", [56_000, 56_300, 56_600]),
  ];
  const cal = fakeCalibration(rows);
  cal.info = {...cal.info, cpuidleDriver: "haltpoll", haltPollNs: "0"};
  assert.equal(cal.measured.find((m) => m.case === "idle wake-up after 20 µs idle (one way − pipe write+read)")!.median, 27_000);
  const loaded = parseProfile(calibratedProfile(cal, "server-2024", "m.json").profile, "calibrated");
  // The woken side's CPU (10 740 → 10 700 ns) comes off each; the 5 µs one is below it: no exit. No 200 µs row: three points.
  assert.deepEqual(loaded.cpu.idleExitCurve, [
    [5_000, 0],
    [20_000, 27_000 - 10_700],
    [1_000_000, 56_000 - 10_700],
  ]);
  assert.match(loaded.sources["cpu.idleExitCurve"], /after 5 µs, 20 µs, 1000 µs of idle/);
  // Where idle cores poll, none of it.
  const polling = fakeCalibration(rows);
  polling.info = {...polling.info, cpuidleDriver: "intel_idle"};
  assert.equal(parseProfile(calibratedProfile(polling, "server-2024", "m.json").profile, "calibrated").cpu.idleExitCurve, undefined);
});
