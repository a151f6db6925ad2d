import {test} from "node:test";
import assert from "node:assert/strict";
import {iosimSync} from "../helpers/cli.js";
import {loadProfile} from "../../src/host/profiles.js";
import {pageCacheScenario, runPageCache} from "../../src/scenarios/pagecache.js";
import {resolveParams} from "../../src/scenarios/scenario.js";

const profile = loadProfile("server-2024");
const KiB = 1024;
const MiB = 1024 * KiB;

const iosim = iosimSync;

test("iosim run pagecache --set pattern=random --set readaheadBytes=128KiB --format json prints the scenario's measured result", () => {
  const sets: Array<[string, string]> = [["pattern", "random"], ["readaheadBytes", "128KiB"], ["fileBytes", "16MiB"], ["reads", "256"]];
  const {status, stdout, stderr} = iosim("run", "pagecache", ...sets.flatMap(([k, v]) => ["--set", `${k}=${v}`]), "--format", "json");
  assert.equal(status, 0, stderr);
  const r = JSON.parse(stdout) as Record<string, number>;
  assert.deepEqual(r, JSON.parse(JSON.stringify(pageCacheScenario.run(resolveParams(pageCacheScenario, sets), {seed: 0, profile}))));
  assert.ok(r.prefetchedPagesUnused > 0.5 * r.prefetchedPages, `random reads waste most of the fixed readahead: ${r.prefetchedPagesUnused} of ${r.prefetchedPages} pages`);
});

for (const [args, param] of [
  [["--set", "cacheBytes=1000"], "cacheBytes"],
  [["--set", "readaheadBytes=-1"], "readaheadBytes"],
  [["--set", "pattern=zigzag"], "pattern"],
] as const) {
  test(`iosim run pagecache ${args.join(" ")} exits 2 naming ${param}`, () => {
    const {status, stderr} = iosim("run", "pagecache", ...args);
    assert.equal(status, 2, stderr);
    assert.match(stderr, new RegExp(`invalid ${param}:`));
  });
}

test("runPageCache: readahead raises a sequential reader's throughput and wastes nothing; a random reader wastes most of it", () => {
  const common = {fileBytes: 32 * MiB, readBytes: 32 * KiB, cacheBytes: 16 * MiB, reads: 512, profile, keepEvents: false};
  const seqOff = runPageCache({...common, pattern: "sequential", readaheadBytes: 0}).result;
  const seqOn = runPageCache({...common, pattern: "sequential", readaheadBytes: 128 * KiB}).result;
  const rndOn = runPageCache({...common, pattern: "random", readaheadBytes: 128 * KiB}).result;
  const rndAdaptive = runPageCache({...common, pattern: "random", readaheadBytes: 128 * KiB, window: "adaptive"}).result;
  assert.ok(seqOn.throughputBytesPerSec > 2 * seqOff.throughputBytesPerSec);
  assert.equal(seqOn.prefetchedPagesUnused, 0);
  assert.ok(rndOn.prefetchedPagesUnused > 0.8 * rndOn.prefetchedPages);
  assert.equal(rndAdaptive.prefetchedPagesUnused, 0);
});

test("runPageCache() reports the bytes that reached the user buffer, counted from the copies made, with keepEvents off", () => {
  const common = {fileBytes: 8 * MiB + 5000, readBytes: 32 * KiB, cacheBytes: 16 * MiB, readaheadBytes: 128 * KiB, profile, keepEvents: false};
  const seq = runPageCache({...common, pattern: "sequential"}).result;
  assert.equal(seq.bytesRead, 8 * MiB + 5000, "the last read(2) returns only the 5000 bytes left");
  assert.equal(seq.throughputBytesPerSec, (seq.bytesRead / seq.elapsedNs) * 1e9);
  const rnd = runPageCache({...common, fileBytes: 8 * MiB, pattern: "random", reads: 100}).result;
  assert.equal(rnd.bytesRead, 100 * 32 * KiB);
});
