import {test} from "node:test";
import assert from "node:assert/strict";
import {createSim} from "../../src/engine/sim.js";
import {spawn, wait} from "../../src/engine/process.js";
import {Host, type DmaCompletion, type Interrupt} from "../../src/host/Host.js";
import {fromMemory, loadProfile} from "../../src/host/profiles.js";

const server = loadProfile("server-2024");
const desktop = loadProfile("desktop-2008");

test("new Host(sim, profile) builds the profile's cores, disk and NIC", () => {
  const host = new Host(createSim(), server);
  assert.equal(host.cpu.units, server.cpu.cores);
  assert.equal(host.disk.kind, "ssd");
  assert.equal(host.nic.scatterGather, true);
  assert.equal(host.pageCache.readaheadBytes, 0);
});

test("new Host(sim, profile, options) overrides cores, disk, scatter-gather and readahead", () => {
  const host = new Host(createSim(), server, {cores: 1, disk: "hdd", scatterGather: false, readaheadBytes: 128 * 1024});
  assert.equal(host.cpu.units, 1);
  assert.equal(host.disk.kind, "hdd");
  assert.equal(host.nic.scatterGather, false);
  assert.equal(host.pageCache.readaheadBytes, 128 * 1024);
});

test("Host.diskDma() programs the disk on a core, records the DMA, then the interrupt on a core, then fires its signal", () => {
  const sim = createSim();
  const host = new Host(sim, server);
  const log: Array<[string, number]> = [];
  const bytes = 65536;
  const setupNs = server.dma.setupNs;
  const deviceNs = server.disks.ssd.latencyNs + bytes / server.disks.ssd.bytesPerNs;
  spawn(sim, 5, function* () {
    const at = (yield wait(yield* host.diskDma("f", 0, bytes, "disk→page-cache", 5))) as number;
    log.push(["signal", at], ["resumed", sim.scheduler.now()]);
  }).subscribe();
  sim.run();
  assert.deepEqual(sim.trace.events, [
    {timeNs: setupNs, kind: "dma-copy", pid: 5, durationNs: deviceNs, bytes, detail: "disk→page-cache"},
    {timeNs: setupNs + deviceNs, kind: "irq", pid: 0, durationNs: server.cpu.irqNs, bytes: 0, detail: "disk-ssd"},
  ]);
  assert.deepEqual(log, [["signal", setupNs + deviceNs], ["resumed", setupNs + deviceNs + server.cpu.irqNs]]);
  // The set-up is CPU time of the driver, not disk time.
  assert.deepEqual(Object.fromEntries(host.cpu.busyNsByTag), {driver: setupNs, irq: server.cpu.irqNs});
  assert.equal(host.disk.resource.busyNs, deviceNs);
});

test("Host.dmaCompletions$ and Host.interrupts$ emit each DMA completion and its handled interrupt", () => {
  const sim = createSim();
  const host = new Host(sim, desktop);
  const completions: Array<Omit<DmaCompletion, "signal">> = [];
  const interrupts: Interrupt[] = [];
  host.dmaCompletions$.subscribe(({signal: _signal, ...c}) => completions.push(c));
  host.interrupts$.subscribe((i) => interrupts.push(i));
  spawn(sim, 1, () => host.nicDma(1250, "socket-buffer→nic")).subscribe();
  sim.run();
  const ns = desktop.dma.setupNs + Math.max(1250 / desktop.nic.bytesPerNs, 1250 / desktop.dma.bytesPerNs);
  assert.deepEqual(completions, [{device: "nic", bytes: 1250, detail: "socket-buffer→nic", timeNs: ns}]);
  assert.deepEqual(interrupts, [{device: "nic", timeNs: ns + desktop.cpu.irqNs}]);
});

test("Host.interrupt() goes ahead of queued CPU work but does not preempt", () => {
  const sim = createSim();
  const host = new Host(sim, server, {cores: 1});
  const log: Array<[string, number]> = [];
  for (const name of ["a", "b"])
    spawn(sim, 1, function* () {
      yield host.cpuWork(10_000, "user");
      log.push([name, sim.scheduler.now()]);
    }).subscribe();
  sim.scheduler.post(1_000, () => host.interrupt("nic", () => log.push(["irq", sim.scheduler.now()])));
  sim.run();
  const irq = server.cpu.irqNs;
  assert.deepEqual(log, [["a", 10_000], ["irq", 10_000 + irq], ["b", 20_000 + irq]]);
});

test("Host.modeSwitch() and Host.cpuCopy() cost the profile's numbers and are traced", () => {
  const sim = createSim();
  const host = new Host(sim, desktop);
  spawn(sim, 2, function* () {
    yield host.modeSwitch("user→kernel");
    yield host.cpuCopy(4096, "page-cache→user");
  }).subscribe();
  sim.run();
  assert.deepEqual(sim.trace.events, [
    {timeNs: 0, kind: "mode-switch", pid: 2, durationNs: desktop.cpu.modeSwitchNs, bytes: 0, detail: "user→kernel"},
    // 4 KiB is the copy curve's first point: in L1, 16 bytes per ns on the 2008 desktop.
    {timeNs: desktop.cpu.modeSwitchNs, kind: "cpu-copy", pid: 2, durationNs: 4096 / 16, bytes: 4096, detail: "page-cache→user"},
  ]);
  assert.deepEqual(desktop.memory.copyCurve![0], [4096, 16]);
});

test("Host.cpuCopy() from memory (fromMemory) runs at the rate from memory into a cached buffer, or the curve's where that is slower", () => {
  const sim = createSim();
  const host = new Host(sim, desktop);
  spawn(sim, 2, function* () {
    yield host.cpuCopy(4096, "page-cache→user", fromMemory);
    // A 64 MiB buffer does not stay cached: both sides stream, at the curve's last point (desktop-2008: 32 MiB, 2.5).
    yield host.cpuCopy(64 * 1048576, "page-cache→user", fromMemory);
  }).subscribe();
  sim.run();
  assert.equal(desktop.memory.copyFromMemoryBytesPerNs, 4.5);
  assert.equal(sim.trace.events[0].durationNs, 4096 / 4.5);
  assert.equal(sim.trace.events[1].durationNs, (64 * 1048576) / 2.5);
});

test("Disk.serviceNs() charges an HDD a seek and latency only when the head moves", () => {
  const host = new Host(createSim(), server, {disk: "hdd"});
  const d = server.disks.hdd;
  const first = host.disk.serviceNs("f", 0, 4096);
  const next = host.disk.serviceNs("f", 4096, 4096);
  const jump = host.disk.serviceNs("f", 1 << 20, 4096);
  assert.equal(first, d.latencyNs + d.seekNs + 4096 / d.bytesPerNs);
  assert.equal(next, 4096 / d.bytesPerNs);
  assert.equal(jump, d.latencyNs + d.seekNs + 4096 / d.bytesPerNs);
  assert.equal(host.disk.seeks, 2);
});

test("Disk.serviceNs() charges an SSD its latency on every request and never a seek", () => {
  const host = new Host(createSim(), server);
  const d = server.disks.ssd;
  assert.equal(host.disk.serviceNs("f", 0, 4096), d.latencyNs + 4096 / d.bytesPerNs);
  assert.equal(host.disk.serviceNs("f", 4096, 4096), d.latencyNs + 4096 / d.bytesPerNs);
  assert.equal(host.disk.seeks, 0);
});
