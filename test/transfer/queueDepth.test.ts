import {test} from "node:test";
import assert from "node:assert/strict";
import {from} from "rxjs";
import {createSim} from "../../src/engine/sim.js";
import {Host} from "../../src/host/Host.js";
import type {DiskKind} from "../../src/host/devices.js";
import {loadProfile, parseProfile, type Profile} from "../../src/host/profiles.js";
import {runPageCache} from "../../src/scenarios/pagecache.js";
import {directAio} from "../../src/transfer/directAio.js";
import type {Transfer} from "../../src/transfer/internal/transferCore.js";

const server = loadProfile("server-2024");
/** The same server with a one-deep device queue (as AHCI without NCQ), so only the queue depth differs. */
const oneDeep = parseProfile({extends: "server-2024", disks: {ssd: {queueDepth: 1}, hdd: {queueDepth: 1}}}, "one-deep");
const KiB = 1024;
const MiB = 1024 * KiB;

/** Streams one file by asynchronous direct I/O with *depth* reads in flight; returns the measured transfer and the host. */
function streamDirect(profile: Profile, disk: DiskKind, depth: number, fileBytes: number, chunkBytes = 64 * KiB) {
  const sim = createSim({seed: 0});
  const host = new Host(sim, profile, {disk});
  const transfers: Transfer[] = [];
  from([{file: {id: "big", sizeBytes: fileBytes}, pid: 1}])
    // The client is next to the host and the send buffer never fills, so the socket adds no waiting of its own: only the disk's queue differs.
    .pipe(directAio(host, {depth, chunkBytes, latencyNs: 0, dataPath: {sndbufBytes: 4 * MiB}}))
    .subscribe((t) => transfers.push(t));
  sim.run();
  assert.equal(transfers.length, 1);
  const t = transfers[0];
  // Throughput from the run: bytes that left through the NIC over the transfer's measured time.
  return {bytesPerSec: (t.bytes / t.latencyNs) * 1e9, transfer: t, host};
}

test("directAio(host, {depth: 32}) on an NVMe SSD beats depth 1 by more than 3×: 32 reads in service at once", (t) => {
  const d1 = streamDirect(server, "ssd", 1, 32 * MiB);
  const d32 = streamDirect(server, "ssd", 32, 32 * MiB);
  assert.equal(d1.transfer.bytes, 32 * MiB);
  assert.equal(d32.transfer.bytes, 32 * MiB);
  const ratio = d32.bytesPerSec / d1.bytesPerSec;
  t.diagnostic(`ssd 64 KiB: depth 1 ${(d1.bytesPerSec / 1e6).toFixed(1)} MB/s, depth 32 ${(d32.bytesPerSec / 1e6).toFixed(1)} MB/s, ratio ${ratio.toFixed(3)}`);
  assert.ok(ratio > 3, `depth 32 / depth 1 = ${ratio.toFixed(3)}`);
  assert.equal(d1.host.disk.maxInService, 1);
  assert.equal(d32.host.disk.maxInService, 32);
});

test("directAio(host, {depth: 32}, chunkBytes 4 KiB) on an NVMe SSD: latency-bound small reads gain more than 20×", (t) => {
  const d1 = streamDirect(server, "ssd", 1, 4 * MiB, 4 * KiB);
  const d32 = streamDirect(server, "ssd", 32, 4 * MiB, 4 * KiB);
  const ratio = d32.bytesPerSec / d1.bytesPerSec;
  t.diagnostic(`ssd 4 KiB: depth 1 ${(d1.bytesPerSec / 1e6).toFixed(1)} MB/s, depth 32 ${(d32.bytesPerSec / 1e6).toFixed(1)} MB/s, ratio ${ratio.toFixed(3)}`);
  assert.ok(ratio > 20, `depth 32 / depth 1 = ${ratio.toFixed(3)}`);
});

test("directAio(host, {depth: 32}) on an SSD with a one-deep device queue gains nothing over depth 2", () => {
  const d2 = streamDirect(oneDeep, "ssd", 2, 32 * MiB);
  const d32 = streamDirect(oneDeep, "ssd", 32, 32 * MiB);
  assert.equal(d32.bytesPerSec, d2.bytesPerSec);
  assert.equal(d32.host.disk.maxInService, 1);
});

test("directAio(host, {depth: 32}) on an HDD: one request at a time, no seek saved; it only fills the disk's idle gaps of depth 1", (t) => {
  const d1 = streamDirect(server, "hdd", 1, 8 * MiB);
  const d2 = streamDirect(server, "hdd", 2, 8 * MiB);
  const d32 = streamDirect(server, "hdd", 32, 8 * MiB);
  assert.equal(d32.host.disk.maxInService, 1);
  assert.equal(d32.host.disk.seeks, d1.host.disk.seeks);
  // From depth 2 on the disk is never idle while the stream lasts, so more depth changes nothing.
  assert.equal(d32.bytesPerSec, d2.bytesPerSec);
  // Depth 32 cannot beat the disk's own time for the bytes (its busy time at depth 1) ...
  const diskBoundBytesPerSec = (d1.transfer.bytes / d1.host.disk.resource.busyNs) * 1e9;
  assert.ok(d32.bytesPerSec <= diskBoundBytesPerSec, `${d32.bytesPerSec} > ${diskBoundBytesPerSec}`);
  // ... so it gains only a few percent, where the SSD gains several-fold.
  const ratio = d32.bytesPerSec / d1.bytesPerSec;
  t.diagnostic(`hdd 64 KiB: depth 1 ${(d1.bytesPerSec / 1e6).toFixed(1)} MB/s, depth 32 ${(d32.bytesPerSec / 1e6).toFixed(1)} MB/s, ratio ${ratio.toFixed(3)}`);
  assert.ok(ratio >= 1 && ratio < 1.05, `HDD depth 32 / depth 1 = ${ratio.toFixed(3)}`);
});

test("runPageCache on an NVMe SSD: adaptive readahead beats no readahead more than 5×, and the device queue gives 1.5× of it", (t) => {
  const run = (profile: Profile, readaheadBytes: number) =>
    runPageCache({pattern: "sequential", readaheadBytes, window: "adaptive", fileBytes: 16 * MiB, profile, seed: 0});
  const none = run(server, 0);
  const ahead = run(server, 128 * KiB);
  const aheadOneDeep = run(oneDeep, 128 * KiB);
  for (const r of [none, ahead, aheadOneDeep]) assert.equal(r.result.bytesRead, 16 * MiB);
  const gain = ahead.result.throughputBytesPerSec / none.result.throughputBytesPerSec;
  t.diagnostic(`ssd sequential 32 KiB reads: no readahead ${(none.result.throughputBytesPerSec / 1e6).toFixed(1)} MB/s, adaptive 128 KiB ${(ahead.result.throughputBytesPerSec / 1e6).toFixed(1)} MB/s, ratio ${gain.toFixed(3)}`);
  assert.ok(gain > 5, `readahead / none = ${gain.toFixed(3)}`);
  // Linux's window reads ahead asynchronously while the reader consumes: two reads in service at once.
  assert.equal(ahead.host.disk.maxInService, 2);
  const fromQueue = ahead.result.throughputBytesPerSec / aheadOneDeep.result.throughputBytesPerSec;
  assert.ok(fromQueue > 1.5, `queue depth 1023 / 1 with readahead = ${fromQueue.toFixed(3)}`);
});
