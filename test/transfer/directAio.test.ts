import {test} from "node:test";
import assert from "node:assert/strict";
import {from} from "rxjs";
import {countEvents} from "../../src/analysis/metrics.js";
import {createSim} from "../../src/engine/sim.js";
import {Host} from "../../src/host/Host.js";
import {loadProfile} from "../../src/host/profiles.js";
import {InputError} from "../../src/errors.js";
import {aioContext, directAio, type AioEvent, type DirectAioOptions} from "../../src/transfer/directAio.js";
import type {Transfer} from "../../src/transfer/internal/transferCore.js";

const profile = loadProfile("server-2024");
const KiB = 1024;

function run(fileBytes: number, options: DirectAioOptions = {}) {
  const sim = createSim({seed: 0});
  const host = new Host(sim, profile);
  const transfers: Transfer[] = [];
  const completions: AioEvent[] = [];
  aioContext(host).completions$.subscribe((e) => completions.push(e));
  from([{file: {id: "big", sizeBytes: fileBytes}, pid: 1}])
    .pipe(directAio(host, options))
    .subscribe((t) => transfers.push(t));
  sim.run();
  return {sim, host, transfers, completions};
}

/** The DMA copies of the data: disk→user transfers, and the payload bytes the NIC put on the wire. */
function dataDmas(sim: ReturnType<typeof createSim>) {
  return {
    diskDmas: sim.trace.filter("dma-copy").filter((e) => e.detail === "disk→user").length,
    wirePayloadBytes: sim.trace.filter("packet").filter((e) => e.detail === "tx").reduce((a, e) => a + e.bytes, 0),
  };
}

test("directAio(host) per chunk: io_submit, io_getevents and write: 6 mode switches, 2 DMA copies, 1 CPU copy, 3 syscalls", () => {
  const {sim, transfers} = run(4 * 64 * KiB);
  const {contextSwitches, cpuCopies, syscalls} = countEvents(sim.trace);
  assert.deepEqual({contextSwitches, cpuCopies, syscalls}, {contextSwitches: 24, cpuCopies: 4, syscalls: 12});
  // One disk DMA per chunk; the NIC's DMAs go per skb, each byte once.
  assert.deepEqual(dataDmas(sim), {diskDmas: 4, wirePayloadBytes: 4 * 64 * KiB});
  assert.deepEqual(transfers.map((t) => [t.bytes, t.chunks]), [[256 * KiB, 4]]);
});

test("directAio(host, {aio: false}) blocks in read(2) on O_DIRECT: 4 mode switches, 2 DMA copies, 1 CPU copy per chunk", () => {
  const {sim} = run(2 * 64 * KiB, {aio: false});
  const {contextSwitches, cpuCopies, syscalls} = countEvents(sim.trace);
  assert.deepEqual({contextSwitches, cpuCopies, syscalls}, {contextSwitches: 8, cpuCopies: 2, syscalls: 4});
  assert.deepEqual(dataDmas(sim), {diskDmas: 2, wirePayloadBytes: 2 * 64 * KiB});
});

test("directAio(host, {userWorkNs}) lets the process work while its read is in flight: user work runs before the disk interrupt", () => {
  const {sim} = run(64 * KiB, {userWorkNs: 20_000});
  const events = sim.trace.events
    .filter((e) => e.kind === "syscall" || e.kind === "user" || e.kind === "irq" || (e.kind === "dma-copy" && e.detail === "disk→user"))
    .map((e) => `${e.timeNs.toFixed(0)} ${e.kind} ${e.detail}`);
  const c = profile.cpu;
  const submitNs = c.modeSwitchNs + c.syscallNs + profile.dma.setupNs; // io_submit's DMA starts once the driver has programmed it
  const userNs = submitNs + c.modeSwitchNs; // back in user space at once
  const dmaNs = profile.disks.ssd.latencyNs + (64 * KiB) / profile.disks.ssd.bytesPerNs;
  assert.deepEqual(events.slice(0, 5), [
    `${c.modeSwitchNs} syscall io_submit`,
    `${submitNs} dma-copy disk→user`,
    `${userNs} user other work`,
    `${(userNs + 20_000 + c.modeSwitchNs).toFixed(0)} syscall io_getevents`,
    `${(submitNs + dmaNs).toFixed(0)} irq disk-ssd`,
  ]);
});

test("directAio(host) without other work: the process blocks in io_getevents until the completion event", () => {
  const {completions, sim} = run(2 * 64 * KiB);
  assert.deepEqual(completions.map((e) => [e.offsetBytes, e.bytes]), [[0, 65536], [65536, 65536]]);
  const getevents = sim.trace.filter("syscall").filter((e) => e.detail === "io_getevents");
  assert.equal(getevents.length, 2);
  assert.ok(completions[0].completedNs > getevents[0].timeNs);
});

test("directAio(host) leaves the page cache empty", () => {
  const {host} = run(1024 * KiB);
  assert.deepEqual({size: host.pageCache.size, hits: host.pageCache.hits, misses: host.pageCache.misses}, {size: 0, hits: 0, misses: 0});
});

test("directAio(host, {chunkBytes: 1000}) is an InputError naming chunkBytes (O_DIRECT alignment)", () => {
  const host = new Host(createSim(), profile);
  assert.throws(() => directAio(host, {chunkBytes: 1000}), (e: unknown) => e instanceof InputError && e.param === "chunkBytes");
});
