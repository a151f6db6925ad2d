import {test} from "node:test";
import assert from "node:assert/strict";
import {readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {InputError} from "../../src/errors.js";
import {copyBytesPerNsAt, copyNs, fromMemory, fromMemoryBytesPerNs, loadProfile, loopbackSendCopyBytesPerNs, pageCacheCopyBytesPerNs, parseProfile, profileNames, profilesDir} from "../../src/host/profiles.js";
import {runTransfer} from "../../src/scenarios/transfer.js";
import {tempDir} from "../helpers/files.js";

/** Returns a shipped profile as the raw JSON object, deep-copied. */
const raw = (name: string): Record<string, any> => JSON.parse(readFileSync(`${profilesDir}${name}.json`, "utf8")); // eslint-disable-line @typescript-eslint/no-explicit-any

/** Returns the dotted paths of every number, boolean or array (one field, such as memory.copyCurve's points) in *obj*, skipping `sources`. */
function valuePaths(obj: Record<string, unknown>, prefix = ""): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (prefix === "" && k === "sources") continue;
    const path = prefix ? `${prefix}.${k}` : k;
    if (Array.isArray(v)) out.push(path);
    else if (v !== null && typeof v === "object") out.push(...valuePaths(v as Record<string, unknown>, path));
    else if (typeof v === "number" || typeof v === "boolean") out.push(path);
  }
  return out;
}

/** Asserts that *fn* throws an InputError whose param and value are as given. */
function assertInputError(fn: () => unknown, param: string, value: string) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InputError, `expected InputError, got ${err}`);
    assert.equal(err.param, param);
    assert.equal(err.value, value);
    assert.match(err.message, /^invalid .+: .+; expected .+$/);
    return true;
  });
}

test("profileNames() lists the shipped profiles, a current server and a 2008-era machine", () => {
  assert.deepEqual(profileNames(), ["desktop-2008", "server-2024"]);
});

for (const name of profileNames()) {
  test(`loadProfile("${name}") validates and keeps its name`, () => {
    const p = loadProfile(name);
    assert.equal(p.name, name);
    assert.ok(p.cpu.cores >= 1);
  });

  test(`loadProfile("${name}") names a source for every number`, () => {
    const p = raw(name);
    const missing = valuePaths(p).filter((path) => !(typeof p.sources[path] === "string" && p.sources[path].trim().length > 0));
    assert.deepEqual(missing, []);
  });

  test(`loadProfile("${name}") has no source for a field that does not exist`, () => {
    const p = raw(name);
    const paths = new Set(valuePaths(p));
    assert.deepEqual(Object.keys(p.sources).filter((k) => !paths.has(k)), []);
  });
}

test("parseProfile() rejects an unknown top-level key, naming it", () => {
  assertInputError(() => parseProfile({...raw("server-2024"), colour: "red"}), "profile key", "colour");
});

test("parseProfile() rejects an unknown nested key, naming its path", () => {
  const p = raw("server-2024");
  p.cpu.coreCount = 8;
  assertInputError(() => parseProfile(p), "profile key", "cpu.coreCount");
});

test("parseProfile() rejects a negative latency, naming the field and value", () => {
  const p = raw("server-2024");
  p.disks.hdd.latencyNs = -1;
  assertInputError(() => parseProfile(p), "profile disks.hdd.latencyNs", "-1");
});

test("parseProfile() rejects a fractional core count", () => {
  const p = raw("server-2024");
  p.cpu.cores = 2.5;
  assertInputError(() => parseProfile(p), "profile cpu.cores", "2.5");
});

test("parseProfile() rejects a number given as a string", () => {
  const p = raw("server-2024");
  p.memory.copyBytesPerNs = "10";
  assertInputError(() => parseProfile(p), "profile memory.copyBytesPerNs", '"10"');
});

test("parseProfile() rejects a zero bandwidth", () => {
  const p = raw("desktop-2008");
  p.nic.bytesPerNs = 0;
  assertInputError(() => parseProfile(p), "profile nic.bytesPerNs", "0");
});

test("parseProfile() rejects a non-boolean scatterGather", () => {
  const p = raw("desktop-2008");
  p.nic.scatterGather = "yes";
  assertInputError(() => parseProfile(p), "profile nic.scatterGather", '"yes"');
});

test("parseProfile() rejects a missing field, naming it", () => {
  const p = raw("server-2024");
  delete p.memory.pageBytes;
  assertInputError(() => parseProfile(p), "profile memory.pageBytes", "missing");
});

test("parseProfile() rejects a missing section, naming it", () => {
  const p = raw("server-2024");
  delete p.dma;
  assertInputError(() => parseProfile(p), "profile dma", "missing");
});

test("parseProfile() rejects a source that is not a string", () => {
  const p = raw("server-2024");
  p.sources["cpu.cores"] = 16;
  assert.throws(() => parseProfile(p), (err: unknown) => err instanceof InputError && err.param === "profile sources");
});

test("parseProfile() rejects something that is not an object", () => {
  assertInputError(() => parseProfile([1, 2], "mine"), "mine", "[1,2]");
});

test("parseProfile({extends}) starts from the shipped profile and overrides a few numbers", () => {
  const p = parseProfile({extends: "server-2024", cpu: {cores: 4}}, "custom");
  assert.equal(p.cpu.cores, 4);
  assert.equal(p.cpu.modeSwitchNs, raw("server-2024").cpu.modeSwitchNs);
  assert.deepEqual(p.disks, raw("server-2024").disks);
  assert.equal(p.name, "server-2024+custom");
});

test("parseProfile({extends}) rejects an unknown parent, naming it", () => {
  assertInputError(() => parseProfile({extends: "mainframe-1970"}), "profile extends", '"mainframe-1970"');
});

test("parseProfile({extends}) rejects a parent that is not a string", () => {
  assertInputError(() => parseProfile({extends: 3}), "profile extends", "3");
});

test("parseProfile({extends}) still rejects an unknown key in the overrides", () => {
  assertInputError(() => parseProfile({extends: "server-2024", nic: {jumboFrames: true}}), "profile key", "nic.jumboFrames");
});

test("parseProfile({extends}) still rejects a bad value in the overrides", () => {
  assertInputError(() => parseProfile({extends: "desktop-2008", dma: {setupNs: -5}}), "profile dma.setupNs", "-5");
});

test("loadProfile(name) rejects an unknown profile name", () => {
  assertInputError(() => loadProfile("nope"), "profile", "nope");
});

test("loadProfile(file) reads a profile file that extends a shipped one", () => {
  const dir = tempDir("iosim-profile-");
  const file = join(dir, "small.json");
  writeFileSync(file, JSON.stringify({extends: "desktop-2008", name: "small", cpu: {cores: 1}}));
  const p = loadProfile(file);
  assert.equal(p.name, "small");
  assert.equal(p.cpu.cores, 1);
});

test("loadProfile(file) rejects a file that is not JSON, naming it", () => {
  const dir = tempDir("iosim-profile-");
  const file = join(dir, "broken.json");
  writeFileSync(file, "{not json");
  assertInputError(() => loadProfile(file), "profile", file);
});

test("loadProfile(file) names the file and the field of a bad value", () => {
  const dir = tempDir("iosim-profile-");
  const file = join(dir, "bad.json");
  writeFileSync(file, JSON.stringify({extends: "server-2024", cpu: {irqNs: "fast"}}));
  assertInputError(() => loadProfile(file), `profile ${file} cpu.irqNs`, '"fast"');
});

for (const name of profileNames()) {
  test(`loadProfile("${name}") copy curve: in-cache copies faster than streaming ones, its last point the streaming rate copyBytesPerNs`, () => {
    const p = loadProfile(name);
    const curve = p.memory.copyCurve!;
    assert.ok(curve.length >= 3);
    for (let i = 1; i < curve.length; i++) assert.ok(curve[i][0] > curve[i - 1][0] && curve[i][1] < curve[i - 1][1], `${JSON.stringify(curve)}`);
    assert.equal(curve[curve.length - 1][1], p.memory.copyBytesPerNs);
  });
}

test("copyNs() interpolates the copy curve linearly in log2(size), flat beyond its ends; fromMemory takes copyFromMemoryBytesPerNs up to the curve's rate; no curve uses copyBytesPerNs", () => {
  const p = parseProfile({...raw("server-2024"), memory: {...raw("server-2024").memory, copyCurve: [[4096, 64], [262144, 48], [67108864, 16]], copyBytesPerNs: 10, copyFromMemoryBytesPerNs: 20}});
  // 32 KiB is halfway between 4 KiB and 256 KiB in log2 (12, 15, 18): halfway between 64 and 48.
  assert.equal(copyBytesPerNsAt(p, 32768), 56);
  assert.equal(copyBytesPerNsAt(p, 4096), 64);
  assert.equal(copyBytesPerNsAt(p, 1024), 64);
  assert.equal(copyBytesPerNsAt(p, 262144), 48);
  // 4 MiB: log2 22, halfway from 18 to 26: halfway from 48 to 16. 1 MiB: log2 20, a quarter of the way.
  assert.equal(copyBytesPerNsAt(p, 4 * 1048576), 32);
  assert.equal(copyBytesPerNsAt(p, 1048576), 40);
  assert.equal(copyBytesPerNsAt(p, 1 << 30), 16);
  assert.equal(copyNs(p, 32768), 32768 / 56);
  // The memory a copy streams through sets the rate: 64 KiB out of a 64 MiB region copies at the 64 MiB rate.
  assert.equal(copyNs(p, 65536, 67108864), 65536 / 16);
  // From memory into a 64 KiB buffer: one side streams (20); into a 1 GiB one, the curve's 16 there is slower.
  assert.equal(copyNs(p, 65536, fromMemory), 65536 / 20);
  assert.equal(copyNs(p, 1 << 30, fromMemory), (1 << 30) / 16);
  const {copyFromMemoryBytesPerNs: _unset, ...twoSided} = p.memory;
  assert.equal(copyNs({...p, memory: twoSided}, 65536, fromMemory), 65536 / 10);
  assert.equal(copyNs(p, 0), 0);
  const {copyCurve: _dropped, ...memory} = raw("server-2024").memory;
  const flat = parseProfile({...raw("server-2024"), memory});
  assert.equal(copyNs(flat, 4096), 4096 / flat.memory.copyBytesPerNs);
});

test("pageCacheCopyBytesPerNs(): the copy out of a warm file's pages runs at memory.pageCacheCopyCurve's rate for the file's size, no faster than copyCurve at the buffer's; without the curve, at copyFromMemoryBytesPerNs", () => {
  const MiB = 1 << 20;
  const server = raw("server-2024");
  const p = parseProfile({...server, memory: {...server.memory, copyCurve: [[4096, 64], [262144, 48], [67108864, 16]], copyBytesPerNs: 10, copyFromMemoryBytesPerNs: 20, pageCacheCopyCurve: [[16 * MiB, 30], [256 * MiB, 12]]}});
  // A 16 MiB file is still in the caches from its last pass; a 256 MiB one streams; 64 MiB is halfway in log2 (24, 26, 28).
  assert.equal(pageCacheCopyBytesPerNs(p, 65536, 16 * MiB), 30);
  assert.equal(pageCacheCopyBytesPerNs(p, 65536, 4 * MiB), 30);
  assert.equal(pageCacheCopyBytesPerNs(p, 65536, 64 * MiB), 21);
  assert.equal(pageCacheCopyBytesPerNs(p, 65536, 1024 * MiB), 12);
  // Into a buffer too large for the caches, copyCurve's rate there is the ceiling (16 beyond 64 MiB).
  assert.equal(pageCacheCopyBytesPerNs(p, 128 * MiB, 16 * MiB), 16);
  // No curve: the rate from memory, whatever the file's size.
  const {pageCacheCopyCurve: _dropped, ...memory} = p.memory;
  const flat = {...p, memory};
  assert.equal(pageCacheCopyBytesPerNs(flat, 65536, 16 * MiB), fromMemoryBytesPerNs(flat, 65536));
  assert.equal(pageCacheCopyBytesPerNs(flat, 65536, 1024 * MiB), 20);
  // Loopback's copy into skbs from a file's pages takes the same rate at the send buffer's size.
  assert.equal(loopbackSendCopyBytesPerNs(p, "page-cache", 2 * MiB, 256 * MiB), pageCacheCopyBytesPerNs(p, 2 * MiB, 256 * MiB));
  // A profile that sets its rate from memory but no curve means that rate: an inherited curve would override it.
  assert.throws(() => parseProfile({...server, memory: {...server.memory, pageCacheCopyCurve: [[256 * MiB, 12], [16 * MiB, 30]]}}), /pageCacheCopyCurve[\s\S]*increasing file size/);
});

test("a warm file's pages cost more to copy out of when the profile says the file is too big for the caches: read(2), sendfile's loopback reader and mmap + write's sender, per byte", () => {
  const MiB = 1 << 20;
  const server = raw("server-2024");
  const curve = parseProfile({...server, memory: {...server.memory, pageCacheCopyCurve: [[1 * MiB, 40], [8 * MiB, 10]]}});
  const flat = parseProfile({...server, memory: {...server.memory, pageCacheCopyCurve: [[1 * MiB, 10]]}});
  /** The side's CPU time per byte, and the part of it its copies took (the trace's "cpu-copy" events of that side's pids). */
  const perByte = (profile: typeof curve, strategy: "read-write" | "sendfile-sg" | "mmap-write", fileBytes: number, side: "senderCpuNs" | "receiverCpuNs") => {
    const {result, sim} = runTransfer({strategy, fileBytes, chunkBytes: strategy === "mmap-write" ? fileBytes : 65536, receiveBytes: 65536, cache: "warm", link: "loopback", profile, keepEvents: true});
    const reader = side === "receiverCpuNs";
    const copyNs = sim.trace.events.filter((e) => e.kind === "cpu-copy" && e.pid > 0 && e.pid >= 1_000_000 === reader).reduce((a, e) => a + e.durationNs, 0);
    return {all: result[side] / fileBytes, copy: copyNs / fileBytes};
  };
  // The model charges the difference of the two rates per byte where the copy is out of the file's pages, and nothing
  // where it is not. (The rest of the side's time, its share of the protocol's work, moves with the transfer's timing.)
  for (const [strategy, side] of [["read-write", "senderCpuNs"], ["sendfile-sg", "receiverCpuNs"], ["mmap-write", "senderCpuNs"]] as const) {
    const small = perByte(curve, strategy, 1 * MiB, side);
    const big = perByte(curve, strategy, 8 * MiB, side);
    const bigFlat = perByte(flat, strategy, 8 * MiB, side);
    assert.ok(big.copy > small.copy + 0.05 && big.all > small.all, `${strategy} ${side}: ${JSON.stringify(small)} ns/B at 1 MiB, ${JSON.stringify(big)} at 8 MiB`);
    // At 8 MiB both profiles give 10 bytes/ns: the same cost.
    assert.ok(Math.abs(big.all / bigFlat.all - 1) < 1e-9, `${strategy} ${side}: ${big.all} vs ${bigFlat.all}`);
  }
});

test("loopbackSendCopyBytesPerNs(): with the page frag's reuse the copy into skbs runs at the send buffer's size (both sides cached from a user buffer, the file's side streaming from page-cache pages); without it, it streams", () => {
  const p = loadProfile("server-2024");
  assert.equal(p.net.sendFragReuse, true);
  const sndbuf = 2_626_560;
  assert.equal(loopbackSendCopyBytesPerNs(p, "user", sndbuf), copyBytesPerNsAt(p, sndbuf));
  assert.equal(loopbackSendCopyBytesPerNs(p, "page-cache", sndbuf), fromMemoryBytesPerNs(p, sndbuf));
  assert.ok(loopbackSendCopyBytesPerNs(p, "user", sndbuf) > p.memory.copyBytesPerNs);
  const old = loadProfile("desktop-2008");
  assert.equal(old.net.sendFragReuse, false);
  assert.equal(loopbackSendCopyBytesPerNs(old, "user", sndbuf), old.memory.copyBytesPerNs);
  assert.equal(loopbackSendCopyBytesPerNs(old, "page-cache", sndbuf), old.memory.copyBytesPerNs);
  // In a transfer: read + write over loopback copies into the skbs for less without fresh pages; over a NIC the rule does not apply.
  const copyNsOf = (reuse: boolean, link: "loopback" | "nic") => {
    const profile = parseProfile({extends: "server-2024", net: {sendFragReuse: reuse}}, "reuse");
    const {sim} = runTransfer({strategy: "read-write", fileBytes: 1 << 20, chunkBytes: 64 << 10, cache: "warm", profile, link, keepEvents: true});
    return sim.trace.events.filter((e) => e.kind === "cpu-copy" && e.detail === "user→socket-buffer").reduce((a, e) => a + e.durationNs, 0);
  };
  assert.ok(copyNsOf(true, "loopback") < copyNsOf(false, "loopback"));
  assert.equal(copyNsOf(true, "nic"), copyNsOf(false, "nic"));
  assert.ok(Math.abs(copyNsOf(false, "loopback") - (1 << 20) / p.memory.copyBytesPerNs) < 1e-6);
});

test("parseProfile() checks memory.copyCurve: [bytes, bytesPerNs] pairs, positive, in increasing size", () => {
  const withCurve = (copyCurve: unknown) => ({...raw("server-2024"), memory: {...raw("server-2024").memory, copyCurve}});
  assert.throws(() => parseProfile(withCurve([[4096, 64], [4096, 48]])), (e: unknown) => e instanceof InputError && /increasing size/.test(e.message));
  assert.throws(() => parseProfile(withCurve([[4096, -1]])), (e: unknown) => e instanceof InputError && /a number > 0/.test(e.message));
  assert.throws(() => parseProfile(withCurve([])), (e: unknown) => e instanceof InputError && /at least one/.test(e.message));
});

test("parseProfile() checks cpu.idleExitCurve the same way: [idleNs, exitNs] pairs, idle times > 0 increasing, exits ≥ 0", () => {
  const withCurve = (idleExitCurve: unknown) => ({...raw("server-2024"), cpu: {...raw("server-2024").cpu, idleExitCurve}});
  assert.deepEqual(parseProfile(withCurve([[5000, 0], [20_000, 9000]])).cpu.idleExitCurve, [[5000, 0], [20_000, 9000]]);
  assert.throws(() => parseProfile(withCurve([[20_000, 1], [5000, 2]])), (e: unknown) => e instanceof InputError && /cpu\.idleExitCurve/.test(e.message) && /increasing idle time/.test(e.message));
  assert.throws(() => parseProfile(withCurve([[5000, -1]])), (e: unknown) => e instanceof InputError && /a number ≥ 0/.test(e.message));
  assert.throws(() => parseProfile(withCurve([5000])), (e: unknown) => e instanceof InputError && /one \[idleNs, exitNs\] pair/.test(e.message));
});

test("parseProfile() of a file that extends a shipped profile and sets copyBytesPerNs but no curve drops the parent's curve: its copies run at that rate", () => {
  const p = parseProfile({extends: "server-2024", memory: {copyBytesPerNs: 3}, sources: {"memory.copyBytesPerNs": "test"}});
  assert.equal(p.memory.copyCurve, undefined);
  assert.equal(copyNs(p, 4096), 4096 / 3);
  // With a curve of its own, the file keeps it.
  const q = parseProfile({extends: "server-2024", memory: {copyBytesPerNs: 3, copyCurve: [[4096, 30], [1 << 26, 3]]}, sources: {"memory.copyBytesPerNs": "test", "memory.copyCurve": "test"}});
  assert.deepEqual(q.memory.copyCurve, [[4096, 30], [1 << 26, 3]]);
  // Nor does the parent's rate from memory cap it: a copy out of the page cache runs at the file's rate too.
  assert.equal(p.memory.copyFromMemoryBytesPerNs, undefined);
  assert.equal(copyNs(p, 4096, fromMemory), 4096 / 3);
  const r = parseProfile({extends: "server-2024", memory: {copyBytesPerNs: 3, copyFromMemoryBytesPerNs: 5}, sources: {"memory.copyBytesPerNs": "test", "memory.copyFromMemoryBytesPerNs": "test"}});
  assert.equal(copyNs(r, 4096, fromMemory), 4096 / 3);
  assert.equal(r.memory.copyFromMemoryBytesPerNs, 5);
});
