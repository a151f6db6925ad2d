import {test} from "node:test";
import assert from "node:assert/strict";
import {createSim} from "../../src/engine/sim.js";
import {Disk, type DiskKind} from "../../src/host/devices.js";
import {loadProfile, parseProfile, type Profile} from "../../src/host/profiles.js";

const server = loadProfile("server-2024");
const KiB = 1024;

/** Submits *offsets* (reads of *bytes* of one file) to a fresh disk at time 0; returns each completion time, ns, and the disk. */
function readAll(profile: Profile, kind: DiskKind, offsets: number[], bytes: number) {
  const sim = createSim();
  const disk = new Disk(sim, kind, profile.disks[kind]);
  const doneNs: number[] = [];
  for (const offsetBytes of offsets) disk.submit({fileId: "f", offsetBytes, bytes, done: (t) => doneNs.push(t)});
  sim.run();
  return {doneNs, disk};
}

/** Asserts *actual* equals *expected* element by element to 1e-6 ns (sums of floats). */
function assertTimes(actual: number[], expected: number[]) {
  assert.equal(actual.length, expected.length);
  actual.forEach((t, i) => assert.ok(Math.abs(t - expected[i]) < 1e-6, `request ${i}: ${t} ≠ ${expected[i]}`));
}

test("new Disk(sim, kind, profile) has min(parallelism, queueDepth) channels", () => {
  const sim = createSim();
  assert.equal(new Disk(sim, "ssd", server.disks.ssd).resource.units, 32);
  assert.equal(new Disk(sim, "hdd", server.disks.hdd).resource.units, 1);
  assert.equal(new Disk(sim, "ssd", {...server.disks.ssd, queueDepth: 4}).resource.units, 4);
});

test("Disk.submit() on an SSD overlaps the latencies and shares the link: 3 × 64 KiB finish at L+T, L+2T, L+3T", () => {
  const d = server.disks.ssd;
  const T = (64 * KiB) / d.bytesPerNs;
  const {doneNs, disk} = readAll(server, "ssd", [0, 64 * KiB, 128 * KiB], 64 * KiB);
  assertTimes(doneNs, [d.latencyNs + T, d.latencyNs + 2 * T, d.latencyNs + 3 * T]);
  assert.equal(disk.maxInService, 3);
  // The link moved 3 T; the second request held its channel T waiting for it, the third 2 T.
  assert.ok(Math.abs(disk.linkBusyNs - 3 * T) < 1e-6);
  assert.ok(Math.abs(disk.linkWaitNs - 3 * T) < 1e-6);
});

test("Disk.submit() on an SSD with queueDepth 1 serves one request at a time: 3 × 64 KiB finish at k(L+T)", () => {
  const oneDeep = parseProfile({extends: "server-2024", disks: {ssd: {queueDepth: 1}}}, "one-deep");
  const d = oneDeep.disks.ssd;
  const each = d.latencyNs + (64 * KiB) / d.bytesPerNs;
  const {doneNs, disk} = readAll(oneDeep, "ssd", [0, 64 * KiB, 128 * KiB], 64 * KiB);
  assertTimes(doneNs, [each, 2 * each, 3 * each]);
  assert.equal(disk.maxInService, 1);
  assert.equal(disk.linkWaitNs, 0);
});

test("Disk.submit() on an SSD: the 33rd of 33 small reads waits for a channel, the first 32 only for the link", () => {
  const d = server.disks.ssd;
  const T = (4 * KiB) / d.bytesPerNs;
  const offsets = Array.from({length: 33}, (_, i) => i * 4 * KiB);
  const {doneNs} = readAll(server, "ssd", offsets, 4 * KiB);
  const expected = offsets.slice(0, 32).map((_, i) => d.latencyNs + (i + 1) * T);
  // The first channel frees at L+T; the 33rd then positions (L) and finds the link free.
  expected.push(d.latencyNs + T + d.latencyNs + T);
  assertTimes(doneNs, expected);
});

test("Disk.submit() on an HDD serves one request at a time, exactly as Disk.serviceNs() prices it alone", () => {
  const d = server.disks.hdd;
  const T = (64 * KiB) / d.bytesPerNs;
  // Two sequential reads, then a jump: seek + rotation again.
  const {doneNs, disk} = readAll(server, "hdd", [0, 64 * KiB, 1 << 30], 64 * KiB);
  const first = d.latencyNs + d.seekNs + T;
  assert.deepEqual(doneNs, [first, first + T, first + T + (d.latencyNs + d.seekNs + T)]);
  assert.equal(disk.maxInService, 1);
  assert.equal(disk.linkWaitNs, 0);
  assert.equal(disk.seeks, 2);
});
