import {test} from "node:test";
import assert from "node:assert/strict";
import {loadProfile, parseProfile, type Profile} from "../../src/host/profiles.js";
import {busyShareLimit, busyWarning, congestionWarning, calibratedProfile, cpuTicks, otherCpuShare, derivedMeasurements, fitLoopback, loopbackFitBytes, predictTcp, spread, validate, type Calibration, type Measurement} from "../../src/calibrate/index.js";
import {loopbackRunSpread} from "../../src/calibrate/loopback.js";
import {runTransfer, type StrategyName} from "../../src/scenarios/transfer.js";
import {mkdirSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {tempDir} from "../helpers/files.js";

const MiB = 1 << 20;
const base = loadProfile("server-2024");

/** server-2024 with its per-skb costs × *scale* and the given zero-copy page cost: a machine whose "truth" the fit must find. */
function truth(scale: number, pageRefNs: number): Profile {
  const raw = JSON.parse(JSON.stringify(base)) as Profile & {net: Record<string, number>};
  for (const f of ["txSegmentNs", "rxPacketNs", "rxSegmentNs", "skbAllocNs"]) raw.net[f] *= scale;
  raw.net.pageRefNs = pageRefNs;
  return parseProfile(raw, "truth");
}

const row = (probe: string, kase: string, unit: string, runs: number[]): Measurement => ({probe, case: kase, unit, ...spread(runs), runs, samples: 30});

/** CPU time of a method over loopback, ns: the sender's and the reader's. */
interface Cpu {
  tx: number;
  rx: number;
}

/** The model's own CPU times of *method* at 4 MiB on *profile*. */
const cpuOf = (profile: Profile, method: string): Cpu => {
  const p = predictTcp(profile, method, 4 * MiB);
  return {tx: p.senderCpuNs, rx: p.receiverCpuNs};
};

/** A calibration that measured the CPU times of read + write, sendfile and (optionally) mmap + write over loopback at 4 MiB, and *extra*. */
function loopbackCalibration(cpu: {rw: Cpu; sf: Cpu; mmap?: Cpu}, extra: Measurement[] = []): Calibration {
  const rows = (method: string, c: Cpu) => [row("tcp", `${method} sender CPU 4MiB`, "ns", [c.tx, c.tx, c.tx]), row("tcp", `${method} receiver CPU 4MiB`, "ns", [c.rx, c.rx, c.rx])];
  const measured = [...rows("read+write", cpu.rw), ...rows("sendfile", cpu.sf), ...(cpu.mmap ? rows("mmap+write", cpu.mmap) : []), ...extra];
  return {
    date: "2026-12-02T00:00:00Z",
    machine: "Linux test 6.18 #1 x86_64",
    settings: {quick: true, runs: 3, runMs: 10, dir: "/tmp", fileBytes: 4 * MiB, tcpBytes: [4 * MiB], timeoutMs: 1000},
    info: {pageBytes: 4096},
    measured: [...measured, ...derivedMeasurements(measured)],
  };
}

const total = (c: Cpu) => c.tx + c.rx;

test("fitLoopback finds the per-skb factor and the zero-copy page cost of a machine the model itself stands for", () => {
  const machine = truth(3, 500);
  const cal = loopbackCalibration({rw: cpuOf(machine, "read+write"), sf: cpuOf(machine, "sendfile")});
  const fit = fitLoopback(cal, {extends: "server-2024", sources: {}})!;
  assert.equal(fit.fileBytes, 4 * MiB);
  assert.deepEqual(fit.why, []);
  // The simulated CPU time rises with the factor in steps of a few percent about a line (the window's and the ACKs'
  // patterns change with the speeds), and the machine's own CPU time sits on one of them: the fit answers with the line.
  assert.ok(Math.abs(fit.scale! / 3 - 1) < 0.06, `scale ${fit.scale}`);
  assert.ok(Math.abs(fit.perSkb!.txSegmentNs / (fit.scale! * base.net.txSegmentNs) - 1) < 1e-9);
  assert.ok(Math.abs(fit.pageRefNs! / 500 - 1) < 0.1, `pageRefNs ${fit.pageRefNs}`);
  // So the fitted profile spends the CPU time measured to within those steps: the least-squares line through the
  // simulated CPU time at the factor ± 20% crosses the time measured at the factor found.
  const fitted = (k: number) => truth(fit.scale! * k, fit.pageRefNs!);
  const ks = [0.8, 0.9, 1, 1.1, 1.2];
  const ys = ks.map((k) => total(cpuOf(fitted(k), "read+write")));
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const slope = ks.reduce((a, k, i) => a + (k - mean(ks)) * (ys[i] - mean(ys)), 0) / ks.reduce((a, k) => a + (k - mean(ks)) ** 2, 0);
  const onLine = mean(ys) + slope * (1 - mean(ks));
  const measuredRw = total(cpuOf(machine, "read+write"));
  assert.ok(Math.abs(onLine / measuredRw - 1) < 0.01, `read + write on the line ${onLine} against ${measuredRw}`);
  for (const method of ["read+write", "sendfile"]) {
    const ratio = total(cpuOf(fitted(1), method)) / total(cpuOf(machine, method));
    assert.ok(Math.abs(ratio - 1) < 0.05, `${method}: ${ratio}`);
  }
});

test("fitLoopback leaves what it cannot reach unfitted, saying why, and calibratedProfile then keeps the base's network costs", () => {
  // Less CPU than the copies and system calls alone: no per-skb factor can give it.
  const tooCheap = loopbackCalibration({rw: {tx: 500, rx: 500}, sf: {tx: 500, rx: 500}});
  const fit = fitLoopback(tooCheap, {extends: "server-2024", sources: {}})!;
  assert.equal(fit.scale, undefined);
  assert.match(fit.why[0], /read \+ write measured 0\.001 ms, less than the model's copies, system calls and wake-ups alone/);
  const {overrides, notFitted, profile} = calibratedProfile(tooCheap, "server-2024", "m.json");
  // The reason reaches the user: calibrate prints notFitted, and the profile's description carries it.
  assert.ok(notFitted.some((why) => why.startsWith("the network costs (net.*): read + write measured 0.001 ms")), notFitted.join(" | "));
  assert.match(String(profile.description), /Not fitted, server-2024's numbers kept: .*the network costs \(net\.\*\): read \+ write measured 0\.001 ms/);
  assert.deepEqual(
    overrides.filter((o) => o.path.startsWith("net.")).map((o) => o.path),
    ["net.rmemBytes", "net.wmemBytes"].filter((p) => overrides.some((o) => o.path === p)),
  );
  // read + write fitted, but sendfile cheaper than free page references allow: the per-skb costs are written, pageRefNs is not.
  const machine = truth(2, 0);
  const sf = cpuOf(machine, "sendfile");
  const half = calibratedProfile(loopbackCalibration({rw: cpuOf(machine, "read+write"), sf: {tx: sf.tx / 2, rx: sf.rx / 2}}), "server-2024", "m.json");
  const paths = half.overrides.map((o) => o.path);
  assert.ok(paths.includes("net.txSegmentNs") && !paths.includes("net.pageRefNs"), paths.join(", "));
  // No TCP rows at all: no fit.
  assert.equal(fitLoopback({...tooCheap, measured: []}, {extends: "server-2024", sources: {}}), undefined);
});

test("calibratedProfile writes the fitted network costs with their sources; validate counts the fitted ratio as calibrated and mmap + write as a prediction", () => {
  const machine = truth(4, 300);
  const cal = loopbackCalibration({rw: cpuOf(machine, "read+write"), sf: cpuOf(machine, "sendfile"), mmap: cpuOf(machine, "mmap+write")});
  const {profile, overrides} = calibratedProfile(cal, "server-2024", "m.json");
  const value = (path: string) => overrides.find((o) => o.path === path)?.value as number;
  const k = value("net.txSegmentNs") / base.net.txSegmentNs;
  assert.ok(Math.abs(k / 4 - 1) < 0.06, `factor ${k}`);
  assert.ok(Math.abs(value("net.rxSegmentNs") / (k * base.net.rxSegmentNs) - 1) < 0.01);
  // The page cost is fitted with the per-skb costs found: it takes up their error (here the factor comes out about 2% low,
  // and sendfile's 16 skbs per MiB of 16 or 17 pages each move that onto the pages, about 11%), so what it must get right is
  // sendfile's sender CPU time, to the bisection's precision.
  assert.ok(Math.abs(value("net.pageRefNs") / 300 - 1) < 0.15, `pageRefNs ${value("net.pageRefNs")}`);
  const fittedSf = cpuOf(parseProfile(profile, "calibrated"), "sendfile").tx;
  assert.ok(Math.abs(fittedSf / cpuOf(machine, "sendfile").tx - 1) < 0.01, `sendfile's sender ${fittedSf} against ${cpuOf(machine, "sendfile").tx}`);
  const sources = profile.sources as Record<string, string>;
  assert.match(sources["net.txSegmentNs"], /^Fitted, not timed alone: the base profile's estimate × [\d.]+, .*tcp\/read\+write sender CPU 4MiB \+ receiver CPU 4MiB/);
  assert.match(sources["net.pageRefNs"], /^Fitted, not timed alone: .*costs the sender the CPU time measured \(tcp\/sendfile sender CPU 4MiB: median/);
  const measuredRatio = cpuOf(machine, "read+write").tx / cpuOf(machine, "sendfile").tx;
  const cal2 = {...cal, measured: [...cal.measured, row("tcp", "sender CPU read+write : sendfile 4MiB", "ratio", [measuredRatio, measuredRatio, measuredRatio])]};
  cal2.measured.push(row("tcp", "sender CPU read+write : mmap+write 4MiB", "ratio", [1, 1, 1].map(() => cpuOf(machine, "read+write").tx / cpuOf(machine, "mmap+write").tx)));
  const rows = validate(cal2, parseProfile(profile, "calibrated"));
  const ratio = rows.find((r) => r.quantity === "tcp/sender CPU read+write : sendfile 4MiB")!;
  assert.equal(ratio.calibrated, true);
  assert.ok(Math.abs(ratio.error! - 1) < 0.1, `error ${ratio.error}`);
  // mmap + write was not fitted: a true prediction, and here (the machine is the model) it agrees.
  const mmap = rows.find((r) => r.quantity === "tcp/sender CPU read+write : mmap+write 4MiB")!;
  assert.equal(mmap.calibrated, false);
  assert.ok(Math.abs(mmap.error! - 1) < 0.1, `error ${mmap.error}`);
  // The same ratio on the shipped profile is no calibration.
  assert.equal(validate(cal2, base).find((r) => r.quantity === ratio.quantity)!.calibrated, false);
});

test("the network costs are fitted at the size whose runs agree best: not a median of runs split between two regimes", () => {
  const machine = truth(2, 400);
  // Per size, the CPU times of read + write and sendfile run by run, each run scaled by its factor.
  const rowsAt = (bytes: number, rwFactors: number[], sfFactors: number[]) => {
    const size = `${bytes / MiB}MiB`;
    const rw = predictTcp(machine, "read+write", bytes);
    const sf = predictTcp(machine, "sendfile", bytes);
    return [
      row("tcp", `read+write sender CPU ${size}`, "ns", rwFactors.map((f) => rw.senderCpuNs * f)),
      row("tcp", `read+write receiver CPU ${size}`, "ns", rwFactors.map(() => rw.receiverCpuNs)),
      row("tcp", `sendfile sender CPU ${size}`, "ns", sfFactors.map((f) => sf.senderCpuNs * f)),
      row("tcp", `sendfile receiver CPU ${size}`, "ns", sfFactors.map(() => sf.receiverCpuNs)),
    ];
  };
  const settings = {quick: false, runs: 3, runMs: 10, dir: "/tmp", fileBytes: 4 * MiB, tcpBytes: [1 * MiB, 2 * MiB], timeoutMs: 1000};
  // 1 MiB: read + write's runs in two regimes (the sender three times dearer in one); 2 MiB: runs within 2%.
  const measured = [...rowsAt(MiB, [1, 3, 3.1], [1, 1, 1]), ...rowsAt(2 * MiB, [1, 1.01, 1.02], [0.99, 1, 1])];
  const cal: Calibration = {date: "2026-12-03T00:00:00Z", machine: "Linux test", settings, info: {pageBytes: 4096}, measured};
  assert.ok(loopbackRunSpread(cal, "1MiB") > 0.5, `1 MiB spread ${loopbackRunSpread(cal, "1MiB")}`);
  assert.ok(loopbackRunSpread(cal, "2MiB") < 0.03, `2 MiB spread ${loopbackRunSpread(cal, "2MiB")}`);
  assert.equal(loopbackFitBytes(cal), 2 * MiB);
  const fit = fitLoopback(cal, {extends: "server-2024", sources: {}})!;
  assert.equal(fit.fileBytes, 2 * MiB);
  assert.deepEqual(fit.why, []);
  assert.ok(Math.abs(fit.scale! / 2 - 1) < 0.1, `scale ${fit.scale}`);
  const {profile} = calibratedProfile(cal, "server-2024", "m.json");
  const pct = (size: string) => `${Number((loopbackRunSpread(cal, size) * 100).toPrecision(2))}%`;
  assert.ok(
    String((profile.sources as Record<string, string>)["net.txSegmentNs"]).includes(
      `Fitted at 2MiB, the size whose runs agreed best (range ${pct("2MiB")} of the median, read + write's CPU and sendfile's sender's; 1MiB ${pct("1MiB")}).`,
    ),
  );
  // Equal spreads (the same runs at both sizes): the larger file (it runs longer). A size where sendfile went unmeasured
  // cannot be chosen; nothing measured: the smallest.
  const sameRuns = (bytes: number) =>
    ["read+write sender", "read+write receiver", "sendfile sender", "sendfile receiver"].map((c) => row("tcp", `${c} CPU ${bytes / MiB}MiB`, "ns", [1e6, 1.01e6, 1.02e6]));
  const tied = [...sameRuns(MiB), ...sameRuns(2 * MiB)];
  assert.equal(loopbackRunSpread({measured: tied}, "1MiB"), loopbackRunSpread({measured: tied}, "2MiB"));
  assert.equal(loopbackFitBytes({settings, measured: tied}), 2 * MiB);
  const noSendfile = [...rowsAt(MiB, [1, 3, 3.1], [1, 1, 1]), ...rowsAt(2 * MiB, [1, 1, 1], [1, 1, 1]).filter((r) => !r.case.startsWith("sendfile"))];
  assert.equal(loopbackRunSpread({measured: noSendfile}, "2MiB"), Infinity);
  assert.equal(loopbackFitBytes({settings, measured: noSendfile}), MiB);
  assert.equal(loopbackFitBytes({settings, measured: []}), MiB);
  assert.equal(loopbackFitBytes({settings: {...settings, tcpBytes: []}, measured}), undefined);
});

test("derivedMeasurements gives a fault's own cost from the mapping rows run by run; calibratedProfile maps them onto memory fields, a zero fault cost included", () => {
  const mapping = [
    row("mmap", "touch a new mapping, per page", "ns", [200, 210, 190]),
    row("mmap", "touch a populated mapping, per page", "ns", [100, 100, 100]),
    row("mmap", "MAP_POPULATE, per page", "ns", [40, 50, 60]),
    row("mmap", "munmap, per page", "ns", [20, 22, 24]),
  ];
  const fault = (pageBytes: number) => derivedMeasurements(mapping, pageBytes).find((m) => m.case === "fault entry and exit")!;
  // 16 pages per fault-around window with 4 KiB pages: 16 × (200 − 100 − 40), 16 × (210 − 100 − 50), 16 × (190 − 100 − 60).
  assert.deepEqual(fault(4096).runs, [960, 960, 480]);
  // 64 KiB pages: fault-around maps one page.
  assert.deepEqual(fault(65536).runs, [60, 60, 30]);
  const cal = loopbackCalibration({rw: {tx: 0, rx: 0}, sf: {tx: 0, rx: 0}}, mapping);
  cal.measured = [...mapping, ...derivedMeasurements(mapping)];
  const {profile} = calibratedProfile(cal, "server-2024", "m.json");
  const memory = parseProfile(profile, "calibrated").memory;
  assert.deepEqual([memory.tlbMissNs, memory.faultMapPageNs, memory.pageFaultNs, memory.unmapPageNs], [100, 50, 960, 22]);
  // A fault that costs nothing beyond its mapping work is measured as 0, not left at the base's estimate.
  const free = [...mapping.slice(0, 2), row("mmap", "MAP_POPULATE, per page", "ns", [150, 150, 150])];
  cal.measured = [...free, ...derivedMeasurements(free)];
  assert.equal(parseProfile(calibratedProfile(cal, "server-2024", "m.json").profile, "calibrated").memory.pageFaultNs, 0);
});

test("calibratedProfile maps sendfile to /dev/null onto memory.splicePageNs, and sendfile's rounds look their pages up at that cost (read(2) keeps memory.pageLookupNs)", () => {
  const splice = [row("splice", "sendfile to /dev/null, per page", "ns", [60, 58, 66])];
  const cal = loopbackCalibration({rw: {tx: 0, rx: 0}, sf: {tx: 0, rx: 0}}, splice);
  const {profile} = calibratedProfile(cal, "server-2024", "m.json");
  assert.equal(parseProfile(profile, "calibrated").memory.splicePageNs, 60);
  assert.match(String((profile.sources as Record<string, string>)["memory.splicePageNs"]), /sendfile\(2\) of a warm file to \/dev\/null, per page.*Median 60 ns/);
  // In a transfer the page-lookup CPU is one splicePageNs per page for sendfile, one pageLookupNs per page for read + write.
  const lookupNs = (strategy: StrategyName, splicePageNs?: number) => {
    const p = parseProfile({extends: "server-2024", memory: {pageLookupNs: 30, ...(splicePageNs === undefined ? {} : {splicePageNs})}}, "lookup");
    const r = runTransfer({strategy, fileBytes: MiB, chunkBytes: 64 * 1024, cache: "warm", profile: p, link: "loopback"});
    return r.cpuNsByCategory["page-lookup"];
  };
  const pages = MiB / 4096;
  assert.equal(lookupNs("sendfile-sg", 500), pages * 500);
  assert.equal(lookupNs("sendfile-sg"), pages * 30, "absent: memory.pageLookupNs");
  assert.equal(lookupNs("read-write", 500), pages * 30);
});

test("mmap + write pays one TLB miss per page it maps, whether it maps the file once or chunk by chunk; read + write pays none", () => {
  const withMiss = (ns: number) => {
    const raw = JSON.parse(JSON.stringify(base)) as Profile;
    raw.memory.tlbMissNs = ns;
    return parseProfile(raw, "tlb");
  };
  const fileBytes = MiB;
  const pages = fileBytes / 4096;
  for (const mmapMapping of ["file", "chunk"] as const) {
    const run = (profile: Profile) => runTransfer({strategy: "mmap-write", fileBytes, chunkBytes: 64 * 1024, cache: "warm", link: "loopback", mmapMapping, profile, keepEvents: false}).result;
    const a = run(withMiss(0));
    const b = run(withMiss(1000));
    // All the new CPU time is the misses' and, as the slower sender changes when the reader's ACKs leave (it ACKs each
    // backlog it processes once), the protocol work of the ACKs that timing added or removed: each one sent, carried
    // over lo and processed by the sender (txSegmentNs + rxPacketNs + rxSegmentNs). Which side pays an ACK's work moves
    // with timing too, so the sender's share is not compared to the nanosecond. Timing also decides how long a lock_sock()
    // spins while an ACK holds the socket's spinlock ("lock-spin").
    assert.equal(b.segments, a.segments);
    const ackNs = base.net.txSegmentNs + base.net.rxPacketNs + base.net.rxSegmentNs;
    const spinNs = (r: typeof a) => (r.cpuShare["lock-spin"] ?? 0) * r.cpuBusyNs;
    const expected = pages * 1000 + (b.acksReceived - a.acksReceived) * ackNs + spinNs(b) - spinNs(a);
    assert.ok(Math.abs(b.cpuBusyNs - a.cpuBusyNs - expected) < 1e-6, `${mmapMapping}: ${b.cpuBusyNs - a.cpuBusyNs} ns more, expected ${expected}`);
    assert.ok(Math.abs(b.cpuShare["tlb-miss"] * b.cpuBusyNs - pages * 1000) < 1e-6);
  }
  const rw = (profile: Profile) => runTransfer({strategy: "read-write", fileBytes, chunkBytes: 64 * 1024, cache: "warm", link: "loopback", profile, keepEvents: false}).result.senderCpuNs;
  assert.equal(rw(withMiss(1000)), rw(withMiss(0)));
});

test("busyWarning: other work taking a tenth or more of the CPUs' time while the probes ran is a warning; the load average then does not count", () => {
  assert.equal(busyWarning({onlineCpus: 2, otherCpuShare: 0.02, loadAverage1m: 1.15}), null, "a lagging load average after a build is no warning");
  assert.match(busyWarning({onlineCpus: 2, otherCpuShare: 0.37, loadAverage1m: 0})!, /^other work used 37% of the CPUs' time while the probes ran/);
  assert.equal(busyWarning({onlineCpus: 2, otherCpuShare: busyShareLimit - 0.001}), null);
  assert.notEqual(busyWarning({onlineCpus: 2, otherCpuShare: busyShareLimit}), null);
});

test("congestionWarning: a loopback probe that ran under another congestion control than CUBIC, the model's, is a warning in the profile's description", () => {
  assert.equal(congestionWarning({tcpCongestion: "cubic", tcpCongestionDefault: "bbr"}), null);
  assert.equal(congestionWarning({}), null, "an older calibration did not say");
  const w = congestionWarning({tcpCongestion: "bbr", tcpCongestionDefault: "bbr", tcpCongestionWhy: "setting cubic failed: Operation not permitted"})!;
  assert.match(w, /^the loopback TCP probe ran under bbr, not the model's CUBIC \(setting cubic failed: Operation not permitted\)/);
  const machine = truth(2, 400);
  const cal = loopbackCalibration({rw: cpuOf(machine, "read+write"), sf: cpuOf(machine, "sendfile")});
  const described = (info: Record<string, string | number>) => String(calibratedProfile({...cal, info: {...cal.info, ...info}}, "server-2024", "m.json").profile.description);
  assert.match(described({tcpCongestion: "bbr", tcpCongestionWhy: "setting cubic failed: No such file or directory"}), /Warning: the loopback TCP probe ran under bbr/);
  assert.doesNotMatch(described({tcpCongestion: "cubic", tcpCongestionDefault: "bbr"}), /Warning/);
  // validate says which congestion control the sender ran under, and the machine's default.
  const rows = validate({...cal, info: {...cal.info, tcpCongestion: "cubic", tcpCongestionDefault: "bbr"}}, machine);
  assert.match(rows.find((r) => r.quantity === "tcp/sender CPU read+write : sendfile 4MiB")!.how, /the sender under cubic \(the machine's default bbr\)/);
});

test("cpuTicks reads /proc/stat and /proc/self/stat, and otherCpuShare is the busy time not spent by this process and its probes", () => {
  const proc = tempDir("iosim-proc-");
  mkdirSync(join(proc, "self"));
  const write = (cpu: number[], self: number[]) => {
    writeFileSync(join(proc, "stat"), `cpu  ${cpu.join(" ")} 0 0\ncpu0 1 2 3\n`);
    // A command name with a space and a parenthesis; utime, stime, cutime, cstime are fields 14 to 17.
    writeFileSync(join(proc, "self", "stat"), `4242 (node (x) y) S 1 2 3 4 5 6 7 8 9 10 ${self.join(" ")} 20 0 1\n`);
  };
  // user nice system idle iowait irq softirq steal
  write([100, 0, 50, 1000, 10, 5, 5, 0], [30, 10, 5, 5]);
  const before = cpuTicks(proc)!;
  assert.deepEqual(before, {busy: 160, total: 1170, self: 50});
  // 200 ticks pass: 120 busy, of which 80 are ours (the probes' reaped children included).
  write([180, 0, 80, 1070, 20, 5, 15, 0], [50, 20, 40, 20]);
  const after = cpuTicks(proc)!;
  assert.equal(otherCpuShare(before, after), Math.round((40 / 200) * 1000) / 1000);
  assert.equal(otherCpuShare(null, after), undefined);
  assert.equal(otherCpuShare(before, before), undefined, "no time passed");
  assert.equal(cpuTicks(join(proc, "missing")), null);
  // On this machine: readable, and this process's own time is part of the busy time.
  const real = cpuTicks();
  if (real !== null) assert.ok(real.total >= real.busy && real.busy > 0 && real.self >= 0);
});

test("busyWarning: a load average of half the CPUs or more before the probes is a warning, in the profile's description too", () => {
  assert.equal(busyWarning({onlineCpus: 2, loadAverage1m: 0.4}), null);
  assert.equal(busyWarning({onlineCpus: 8}), null);
  const warning = busyWarning({onlineCpus: 2, loadAverage1m: 4.13})!;
  assert.match(warning, /^the machine was busy when the probes started \(load average 4\.13 over the last minute on 2 CPUs\)/);
  const cal = loopbackCalibration({rw: {tx: 0, rx: 0}, sf: {tx: 0, rx: 0}});
  assert.doesNotMatch(String(calibratedProfile(cal, "server-2024", "m.json").profile.description), /Warning/);
  cal.info = {...cal.info, onlineCpus: 2, loadAverage1m: 4.13};
  assert.match(String(calibratedProfile(cal, "server-2024", "m.json").profile.description), /Warning: the machine was busy .*load average 4\.13/);
});

test("kernelConfigFlags() reads CONFIG_IRQ_TIME_ACCOUNTING from /proc/config.gz, else /boot/config-RELEASE; threadClockExcludesIrq() trusts the probe's measurement over it", async () => {
  const {gzipSync} = await import("node:zlib");
  const {kernelConfigFlags, threadClockExcludesIrq} = await import("../../src/calibrate/index.js");
  const root = tempDir("iosim-kconfig-");
  const proc = join(root, "proc");
  const boot = join(root, "boot");
  mkdirSync(proc);
  mkdirSync(boot);
  assert.deepEqual(kernelConfigFlags(proc, boot, "6.1.0"), {});
  writeFileSync(join(boot, "config-6.1.0"), "CONFIG_TICK_CPU_ACCOUNTING=y\n# CONFIG_IRQ_TIME_ACCOUNTING is not set\n");
  assert.deepEqual(kernelConfigFlags(proc, boot, "6.1.0"), {irqTimeAccounting: "not set"});
  writeFileSync(join(proc, "config.gz"), gzipSync("CONFIG_HZ=250\nCONFIG_IRQ_TIME_ACCOUNTING=y\n"));
  assert.deepEqual(kernelConfigFlags(proc, boot, "6.1.0"), {irqTimeAccounting: "y"});
  // A thread busy with loopback UDP clocked at 0.7 of its wall time: interrupt context is left out, whatever the config says.
  assert.equal(threadClockExcludesIrq({threadClockSoftirqShare: "0.700", irqTimeAccounting: "not set"}), true);
  assert.equal(threadClockExcludesIrq({threadClockSoftirqShare: "0.998", irqTimeAccounting: "y"}), false);
  assert.equal(threadClockExcludesIrq({irqTimeAccounting: "y"}), true);
  assert.equal(threadClockExcludesIrq({}), false);
});

test("a loopback transfer measures each side's CPU in interrupt context (its softirq receive path, IPIs), and predictTcp leaves it out where thread clocks do", () => {
  const profile = loadProfile("server-2024");
  const halting: Profile = {...profile, cpu: {...profile.cpu, cores: 2, idlePolls: false}};
  const {result, sim} = runTransfer({strategy: "read-write", fileBytes: 2048 * 1024, chunkBytes: 64 * 1024, receiveBytes: 64 * 1024, cache: "warm", link: "loopback", profile: halting, keepEvents: true});
  const [sender, receiver] = [result.senderIrqNs, result.receiverIrqNs];
  const events = sim.trace.events;
  const ipiNs = (rx: boolean) => events.filter((e) => e.kind === "ipi" && e.pid >= 1_000_000 === rx).reduce((a, e) => a + e.durationNs, 0);
  // Each skb the sender transmits goes through its softirq (rxPacketNs), and through tcp_rcv_established there unless the reader holds the lock.
  const sentSkbs = events.filter((e) => e.kind === "packet" && e.detail === "lo" && e.pid < 1_000_000).length;
  const net = halting.net;
  assert.ok(sentSkbs > 0);
  // The ACKs the receiver's socket sent from that softirq (or the delayed-ACK timer's) are interrupt context too: their
  // transmit and way back through lo, and tcp_ack when the sender does not hold its socket.
  const softirqAcks = events.filter((e) => e.kind === "packet" && e.detail === "lo-ack" && e.pid < 1_000_000).length;
  assert.ok(softirqAcks > 0);
  assert.ok(sender >= sentSkbs * net.rxPacketNs + softirqAcks * (net.txSegmentNs + net.rxPacketNs) + ipiNs(false) - 1e-6, `${sender}`);
  assert.ok(sender <= sentSkbs * (net.rxPacketNs + net.rxSegmentNs) + softirqAcks * (net.txSegmentNs + net.rxPacketNs + net.rxSegmentNs) + ipiNs(false) + 1e-6, `${sender}`);
  // The reader's: the IPIs it took, and the way back through lo of the ACKs it sent (with tcp_ack when the sender did not hold its socket).
  const readerAcks = events.filter((e) => e.kind === "packet" && e.detail === "lo-ack" && e.pid >= 1_000_000).length;
  assert.ok(ipiNs(true) > 0);
  assert.ok(receiver >= ipiNs(true) + readerAcks * net.rxPacketNs - 1e-6 && receiver <= ipiNs(true) + readerAcks * (net.rxPacketNs + net.rxSegmentNs) + 1e-6, `${receiver}`);
  assert.ok(sender < result.senderCpuNs && receiver < result.receiverCpuNs);
  // Over a NIC nothing is tracked.
  const nic = runTransfer({strategy: "read-write", fileBytes: 256 * 1024, chunkBytes: 64 * 1024, cache: "warm", link: "nic", profile}).result;
  assert.deepEqual([nic.senderIrqNs, nic.receiverIrqNs], [0, 0]);
  // The prediction as such a kernel's thread clocks count: the same run, less exactly that.
  const all = predictTcp(halting, "read+write", 2048 * 1024);
  const clocked = predictTcp(halting, "read+write", 2048 * 1024, true);
  assert.equal(all.senderCpuNs, result.senderCpuNs);
  assert.equal(clocked.senderCpuNs, result.senderCpuNs - sender);
  assert.equal(clocked.receiverCpuNs, result.receiverCpuNs - receiver);
  assert.equal(clocked.elapsedNs, all.elapsedNs);
});
