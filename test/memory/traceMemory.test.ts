import {test} from "node:test";
import assert from "node:assert/strict";
import {execFile} from "node:child_process";
import {statSync} from "node:fs";
import {join} from "node:path";
import {fileURLToPath} from "node:url";
import {promisify} from "node:util";
import {tempDir} from "../helpers/files.js";

const child = fileURLToPath(new URL("./heapPeakChild.js", import.meta.url));

interface Peak {
  events: number;
  traceEvents: number;
  peakHeapBytes: number;
  peakLiveBytes: number;
}

/** Returns the trace events and peak live memory (JS heap plus ArrayBuffers, after full GCs) of `iosim run pagecache --set ...sets --trace FILE`, in a fresh process. */
async function peakHeapWithTrace(file: string, ...sets: string[]): Promise<Peak> {
  const {stdout} = await promisify(execFile)(process.execPath, ["--expose-gc", child, "--trace", file, "pagecache", ...sets], {encoding: "utf8"});
  return JSON.parse(stdout);
}

function assertFlat(small: Peak, large: Peak) {
  // The writer's column arrays and UTF-8 buffer are ArrayBuffers, outside the JS heap: count both.
  const ratio = large.peakLiveBytes / small.peakLiveBytes;
  assert.ok(
    ratio <= 1.2 && ratio >= 1 / 1.2,
    `peak heap + ArrayBuffers ${large.peakLiveBytes} B at ${large.traceEvents} trace events vs ${small.peakLiveBytes} B at ${small.traceEvents} (×${ratio.toFixed(3)})`,
  );
}

// 64-byte reads make about five trace events each (mode switches, the call, a cache hit, a copy).
const small = ["readBytes=64", "cacheBytes=1MiB", "fileBytes=1280KiB"];
const large = ["readBytes=64", "cacheBytes=1MiB", "fileBytes=16MiB"];

for (const ext of ["arrow", "csv"]) {
  test(`iosim run --trace out.${ext}: writing 1.3·10^6 events peaks within 20% of the memory of writing 10^5`, async () => {
    const dir = tempDir("iosim-trace-memory-");
    const [s, l] = await Promise.all([peakHeapWithTrace(join(dir, `small.${ext}`), ...small), peakHeapWithTrace(join(dir, `large.${ext}`), ...large)]);
    assert.ok(s.traceEvents >= 1e5 && s.traceEvents < 2e5, `small run: ${s.traceEvents} trace events`);
    assert.ok(l.traceEvents >= 1.3e6, `large run: ${l.traceEvents} trace events`);
    // The file holds them all: at least 20 bytes an event.
    assert.ok(statSync(join(dir, `large.${ext}`)).size >= 20 * l.traceEvents);
    assertFlat(s, l);
  });
}
