import {test} from "node:test";
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import {fileURLToPath} from "node:url";
import {loadProfile} from "../../src/host/profiles.js";
import {runFileServer} from "../../src/scenarios/largefile.js";

const main = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const profile = loadProfile("server-2024");
const MiB = 1024 * 1024;

function iosim(...args: string[]) {
  const r = spawnSync(process.execPath, [main, ...args], {encoding: "utf8"});
  return {status: r.status, stdout: r.stdout, stderr: r.stderr};
}

test("runFileServer: streaming GB-size files through an LRU cache lowers the hot set's hit ratio; direct I/O restores it (seed 0)", () => {
  const common = {profile, seed: 0, cacheBytes: 16 * MiB, hotFiles: 1000, durationNs: 30e6};
  const alone = runFileServer({...common, largeStreams: 0}).result;
  const buffered = runFileServer({...common, largeStreams: 2, directio: "off"}).result;
  const direct = runFileServer({...common, largeStreams: 2, directio: "4m"}).result;
  assert.ok(alone.hotHitRatio > 0.99, `alone ${alone.hotHitRatio}`);
  assert.ok(buffered.hotHitRatio < alone.hotHitRatio - 0.1, `buffered ${buffered.hotHitRatio}`);
  assert.ok(direct.hotHitRatio > alone.hotHitRatio - 0.01, `direct ${direct.hotHitRatio}`);
  assert.ok(direct.hotP99LatencyNs < buffered.hotP99LatencyNs / 5, `p99 direct ${direct.hotP99LatencyNs} buffered ${buffered.hotP99LatencyNs}`);
  assert.equal(direct.largeResidentPages, 0);
  assert.ok(buffered.largeResidentPages > 0);
  assert.ok(direct.paths["aio-direct"] > 0 && buffered.paths["aio-direct"] === 0);
});

test("runFileServer is deterministic: same seed, same result", () => {
  const o = {profile, seed: 3, cacheBytes: 8 * MiB, durationNs: 10e6, directio: "off"};
  assert.deepEqual(runFileServer(o).result, runFileServer(o).result);
});

test("iosim run largefile --set largeFiles=direct --format json prints hotHitRatio and hotP99LatencyNs", () => {
  const {status, stdout, stderr} = iosim("run", "largefile", "--set", "largeFiles=direct", "--set", "durationNs=10000000", "--format", "json");
  assert.equal(status, 0, stderr);
  const r = JSON.parse(stdout) as Record<string, unknown>;
  assert.equal(typeof r.hotHitRatio, "number");
  assert.equal(typeof r.hotP99LatencyNs, "number");
  assert.equal(r.largeFiles, "direct");
});

for (const [args, param] of [
  [["--set", "directio=4q"], "directio"],
  [["--set", "cacheBytes=100"], "cacheBytes"],
  [["--set", "readaheadBytes=-4KiB"], "readaheadBytes"],
  [["--set", "largeFiles=maybe"], "largeFiles"],
] as const) {
  test(`iosim run largefile ${args.join(" ")} exits 2 naming ${param}`, () => {
    const {status, stderr} = iosim("run", "largefile", ...args);
    assert.equal(status, 2, stderr);
    assert.match(stderr, new RegExp(`invalid ${param}:`));
  });
}
