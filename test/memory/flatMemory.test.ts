import {test} from "node:test";
import assert from "node:assert/strict";
import {execFile} from "node:child_process";
import {fileURLToPath} from "node:url";
import {promisify} from "node:util";

const child = fileURLToPath(new URL("./heapPeakChild.js", import.meta.url));

/** Returns the scheduler events and the peak live heap (after full GCs) of `iosim run <scenario> --set ...sets`, in a fresh process. */
async function peakHeap(scenario: string, ...sets: string[]): Promise<{events: number; peakHeapBytes: number}> {
  const {stdout} = await promisify(execFile)(process.execPath, ["--expose-gc", child, scenario, ...sets], {encoding: "utf8"});
  return JSON.parse(stdout);
}

function assertFlat(small: {events: number; peakHeapBytes: number}, large: {events: number; peakHeapBytes: number}) {
  const ratio = large.peakHeapBytes / small.peakHeapBytes;
  assert.ok(ratio <= 1.2 && ratio >= 1 / 1.2, `peak heap ${large.peakHeapBytes} B at ${large.events} events vs ${small.peakHeapBytes} B at ${small.events} events (×${ratio.toFixed(3)})`);
}

test("dma: a run of 10^7 events peaks within 20% of the live heap of a run of 10^5", async () => {
  // A 10 ns background quantum makes cheap events (a few per quantum) for as long as the read lasts.
  const [small, large] = await Promise.all([peakHeap("dma", "quantumNs=10", "transferBytes=3584KiB"), peakHeap("dma", "quantumNs=10", "transferBytes=350MiB")]);
  assert.ok(small.events >= 1e5 && small.events < 2e5, `small run: ${small.events} events`);
  assert.ok(large.events >= 1e7 && large.events < 2e7, `large run: ${large.events} events`);
  assertFlat(small, large);
});

test("pagecache: reading a file 64 bytes at a time keeps no offset per read (10^5 and 1.6·10^6 events, same peak heap within 20%)", async () => {
  const [small, large] = await Promise.all([
    peakHeap("pagecache", "readBytes=64", "cacheBytes=1MiB", "fileBytes=2MiB"),
    peakHeap("pagecache", "readBytes=64", "cacheBytes=1MiB", "fileBytes=24MiB"),
  ]);
  assert.ok(small.events >= 1e5, `small run: ${small.events} events`);
  assert.ok(large.events >= 1.5e6, `large run: ${large.events} events`);
  assertFlat(small, large);
});

test("largefile: 100× the simulated time peaks within 20% of the live heap (no list of served requests)", async () => {
  const [small, large] = await Promise.all([peakHeap("largefile", "durationNs=5000000"), peakHeap("largefile", "durationNs=500000000")]);
  assert.ok(large.events >= 100 * small.events * 0.5, `events ${small.events} → ${large.events}`);
  assertFlat(small, large);
});
