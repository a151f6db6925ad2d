import {test} from "node:test";
import assert from "node:assert/strict";
import {from} from "rxjs";
import {createSim} from "../../src/engine/sim.js";
import {Host} from "../../src/host/Host.js";
import {loadProfile} from "../../src/host/profiles.js";
import {InputError} from "../../src/errors.js";
import {choosePath, nginxPolicy, nginxServe, parseDirectio, type PolicyTransfer} from "../../src/transfer/policy.js";

const profile = loadProfile("server-2024");
const KiB = 1024;
const MiB = 1024 * KiB;

test("choosePath picks sendfile below the directio threshold and aio + direct at or above it", () => {
  assert.deepEqual([4 * MiB - 1, 4 * MiB, 4 * MiB + 1].map((b) => choosePath(b, 4 * MiB)), ["sendfile", "aio-direct", "aio-direct"]);
  assert.deepEqual([choosePath(1, 4 * MiB, false), choosePath(8 * MiB, 4 * MiB, true, false)], ["read-write", "direct"]);
  assert.equal(choosePath(10 * 1024 * MiB, Infinity), "sendfile");
});

test("parseDirectio reads nginx sizes and off", () => {
  assert.deepEqual([parseDirectio("1024m"), parseDirectio("512k"), parseDirectio("4MiB"), parseDirectio("off"), parseDirectio(4096)], [1024 * MiB, 512 * KiB, 4 * MiB, Infinity, 4096]);
});

test("parseDirectio('4q') is an InputError naming directio", () => {
  assert.throws(() => parseDirectio("4q"), (e: unknown) => e instanceof InputError && e.param === "directio" && /unit/.test(e.message));
});

test("nginxPolicy(host, {directio: '4m'}) serves a small file by sendfile through the cache and a large one by aio + direct around it", () => {
  const sim = createSim({seed: 0});
  const host = new Host(sim, profile);
  const small = {id: "small", sizeBytes: 16 * KiB};
  const large = {id: "large", sizeBytes: 8 * MiB};
  const out: PolicyTransfer[] = [];
  from([{file: small, pid: 1}, {file: large, pid: 2}])
    .pipe(nginxPolicy(host, {directio: "4m"}))
    .subscribe((t) => out.push(t));
  sim.run();
  assert.deepEqual(out.map((t) => [t.fileId, t.path, t.bytes]), [["small", "sendfile", 16 * KiB], ["large", "aio-direct", 8 * MiB]]);
  assert.equal(host.pageCache.residentCount("small"), 4);
  assert.equal(host.pageCache.residentCount("large"), 0);
  // The small file's skbs reference page-cache pages (gathered by the NIC), the large one's hold copies; ACKs come back by DMA.
  assert.deepEqual([...new Set(sim.trace.filter("dma-copy").map((e) => e.detail))].sort(), ["disk→page-cache", "disk→user", "nic→skb", "page-cache→nic", "skb→nic"]);
});

test("nginxPolicy(host, {concurrency: 2}) serves two requests at once", () => {
  const sim = createSim({seed: 0});
  const host = new Host(sim, profile);
  const out: PolicyTransfer[] = [];
  from([{file: {id: "a", sizeBytes: 64 * KiB}, pid: 1}, {file: {id: "b", sizeBytes: 64 * KiB}, pid: 2}])
    .pipe(nginxPolicy(host, {concurrency: 2}))
    .subscribe((t) => out.push(t));
  sim.run();
  assert.equal(out.length, 2);
  assert.ok(out[1].startNs === 0 && out[0].startNs === 0, "both requests started at time 0");
});

test("nginxPolicy(host, {directio: '1x'}) is an InputError naming directio", () => {
  const host = new Host(createSim(), profile);
  assert.throws(() => nginxPolicy(host, {directio: "1x"}), (e: unknown) => e instanceof InputError && e.param === "directio");
});

test("nginxServe(host, {scatterGather: true}) on a NIC without scatter-gather is an InputError naming scatterGather, as sendfile's is", () => {
  const host = new Host(createSim({seed: 0}), profile, {scatterGather: false});
  assert.throws(() => nginxServe(host, {scatterGather: true}), (e: unknown) => e instanceof InputError && e.param === "scatterGather");
  assert.throws(() => nginxPolicy(host, {scatterGather: true}), (e: unknown) => e instanceof InputError && e.param === "scatterGather");
});
