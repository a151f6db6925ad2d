import {test} from "node:test";
import assert from "node:assert/strict";
import {zeroCopyDefaults, zeroCopyStudy, seedCountsPerChunk} from "../../src/studies/zeroCopy.js";
import type {StudyResult} from "../../src/studies/study.js";
import {InputError} from "../../src/errors.js";
import {GiB, KiB, MiB} from "../../src/units.js";
import {loadProfile} from "../../src/host/profiles.js";
import {runTransfer, type StrategyName} from "../../src/scenarios/transfer.js";
import {assertStudyGolden} from "./golden.js";

/** The default study, run once for every test in this file. */
let cached: StudyResult | null = null;
const study = () => (cached ??= zeroCopyStudy());
/** Returns the rows of table *id* of the default study. */
const rows = (id: string) => study().tables.find((t) => t.id === id)!.table.objects() as Array<Record<string, any>>;

test("zeroCopyStudy() with default parameters matches its golden output", () => {
  assertStudyGolden("zeroCopyStudy", study());
});

test("zeroCopyStudy() sweeps 4 KiB to 1 GiB for four strategies under two profiles", () => {
  const results = rows("results");
  assert.equal(results.length, zeroCopyDefaults.fileSizesBytes.length * 4 * 2);
  assert.equal(Math.min(...results.map((r) => r.fileBytes)), 4 * KiB);
  assert.equal(Math.max(...results.map((r) => r.fileBytes)), 1 * GiB);
  assert.deepEqual([...new Set(results.map((r) => r.profile))], ["server-2024", "desktop-2008"]);
});

test("zeroCopyStudy() sendfile-sg makes no CPU copy at any size", () => {
  for (const r of rows("results").filter((r) => r.strategy === "sendfile-sg")) assert.equal(r.cpuCopies, 0, `${r.profile} ${r.fileBytes}`);
});

test("zeroCopyStudy() counts scale with chunks as the seed's per-chunk table says; sendfile is one call per file, mmap + write maps the file once; DMA copies are per byte", () => {
  for (const r of rows("results")) {
    const seed = seedCountsPerChunk[r.strategy as keyof typeof seedCountsPerChunk];
    assert.equal(r.chunks, Math.ceil(r.fileBytes / zeroCopyDefaults.chunkBytes));
    // sendfile: one call per file; mmap + write: a write per chunk (2 mode switches), mmap and munmap per file (4).
    const contextSwitches = r.strategy.startsWith("sendfile") ? seed.contextSwitches : r.strategy === "mmap-write" ? 2 * r.chunks + 4 : seed.contextSwitches * r.chunks;
    assert.deepEqual(
      {contextSwitches: r.contextSwitches, dmaCopiesPerByte: r.dataDmaBytes / r.fileBytes, cpuCopies: r.cpuCopies},
      {contextSwitches, dmaCopiesPerByte: seed.dmaCopies, cpuCopies: seed.cpuCopies * r.chunks},
      `${r.profile} ${r.strategy} ${r.fileBytes}`,
    );
  }
  // At 1 MiB (16 chunks) read + write matches the seed; sendfile's one call and mmap + write's one mapping for 16 chunks do not.
  assert.deepEqual(rows("counts").map((r) => [r.strategy, r.matchesSeed, r.pageFaults, r.tlbFlushes]), [
    ["read-write", true, 0, 0], ["mmap-write", false, 16, 1], ["sendfile", false, 0, 0], ["sendfile-sg", false, 0, 0],
    ["read-write", true, 0, 0], ["mmap-write", false, 16, 1], ["sendfile", false, 0, 0], ["sendfile-sg", false, 0, 0],
  ]);
  assert.ok(study().notes.some((n) => /sendfile and sendfile-sg make one system call for the whole file/.test(n)));
  assert.ok(study().notes.some((n) => /mmap-write maps the file once, as programs do: 18 system calls for 16 chunks \(mmap, a write per chunk, munmap\), 16 page faults/.test(n)));
});

test("zeroCopyStudy({link: 'loopback'}) says which link it uses and reports the receiver's CPU", () => {
  const r = zeroCopyStudy({link: "loopback", profiles: ["server-2024"], fileSizesBytes: [1 * MiB], shareSizesBytes: [1 * MiB], countsFileBytes: 1 * MiB, warmCheck: false});
  assert.equal(r.params.link, "loopback");
  const results = r.tables.find((t) => t.id === "results")!.table.objects() as Array<Record<string, any>>;
  assert.ok(results.every((x) => x.receiverCpuNs > 0 && x.senderCpuNs > 0));
  assert.ok(r.notes.some((n) => /over link loopback, the sender's CPU is .* and the receiver's /.test(n)));
  assert.ok(r.notes.some((n) => n.startsWith("Per chunk with a cold cache (link loopback)")));
});

test("zeroCopyStudy() sendfile-sg is faster than read-write from 1 MiB up under each profile", () => {
  const results = rows("results");
  for (const r of results.filter((r) => r.strategy === "sendfile-sg" && r.fileBytes >= MiB)) {
    const base = results.find((b) => b.strategy === "read-write" && b.profile === r.profile && b.fileBytes === r.fileBytes)!;
    assert.ok(r.elapsedNs < base.elapsedNs, `${r.profile} ${r.fileBytes}: ${r.elapsedNs} vs ${base.elapsedNs}`);
    assert.ok(r.cpuBusyNs < base.cpuBusyNs);
  }
});

test("zeroCopyStudy() time saved sets each strategy beside read + write run on the same profile and size", () => {
  // Checked against runs made here, outside the study: the study must pair the right runs, and the sign follows the clock.
  const saved = rows("time-saved");
  assert.equal(saved.length, zeroCopyDefaults.fileSizesBytes.length * 3 * 2);
  for (const [profile, strategy, fileBytes] of [["server-2024", "sendfile-sg", 4 * KiB], ["desktop-2008", "mmap-write", 16 * MiB], ["server-2024", "sendfile", 1 * GiB]] as const) {
    const run = (s: StrategyName) => runTransfer({strategy: s, fileBytes, chunkBytes: 64 * KiB, cache: "cold", readaheadBytes: 0, profile: loadProfile(profile), keepEvents: false}).result.elapsedNs;
    const r = saved.find((x) => x.profile === profile && x.strategy === strategy && x.fileBytes === fileBytes)!;
    assert.deepEqual([r.elapsedNs, r.readWriteElapsedNs], [run(strategy), run("read-write")], `${profile} ${strategy} ${fileBytes}`);
    assert.equal(Math.sign(r.timeSavedPct), Math.sign(r.readWriteElapsedNs - r.elapsedNs));
  }
});

test("zeroCopyStudy() CPU shares sum to 1 per run", () => {
  const sums = new Map<string, number>();
  for (const r of rows("cpu-share")) {
    const key = `${r.profile} ${r.strategy} ${r.fileBytes}`;
    sums.set(key, (sums.get(key) ?? 0) + r.share);
  }
  for (const [key, sum] of sums) assert.ok(Math.abs(sum - 1) < 1e-9, key);
});

test("zeroCopyStudy() notes follow the data: with CPU copies at 100 MB/s, zero-copy reaches the seed's 65% at both sizes (a 64 KiB file fits the send buffer an established connection starts with) and the CPU is the busiest", async () => {
  const {writeFileSync} = await import("node:fs");
  const {join} = await import("node:path");
  const {tempDir} = await import("../helpers/files.js");
  const params = {fileSizesBytes: [64 * KiB, 4 * MiB], shareSizesBytes: [64 * KiB], countsFileBytes: 64 * KiB, warmCheck: false};
  const busiest = (notes: string[]) => notes.map((n) => /: the busiest is (the \w+)\.$/.exec(n)?.[1]).filter(Boolean);
  const seed = (notes: string[]) => notes.find((n) => n.startsWith("The seed says"))!;
  const plain = zeroCopyStudy({...params, profiles: ["server-2024"]}).notes;
  assert.deepEqual(busiest(plain), ["the disk"]);
  assert.match(seed(plain), /no run reaches the seed's figure; in the run that comes closest \(4 MiB under server-2024\)/);
  assert.match(plain[0], /: 7\.1% less time \(speed-up ×1\.08\)/);
  // The same machine whose CPU copies memory at 100 MB/s: read + write's two copies per chunk now set the clock.
  const file = join(tempDir("iosim-zc-"), "slow-copy.json");
  writeFileSync(file, JSON.stringify({extends: "server-2024", memory: {copyBytesPerNs: 0.1}}));
  const slow = zeroCopyStudy({...params, profiles: [file]}).notes;
  assert.deepEqual(busiest(slow), ["the CPU"]);
  assert.match(seed(slow), /2 of 6 runs reach the seed's figure: sendfile-sg under server-2024\+profile \S+ at 2 of 2 sizes\.$/);
  assert.match(slow[0], /: 91\.8% less time \(speed-up ×12\.24\)/);
});

test("zeroCopyStudy() time-saved caption follows the data: with CPU copies at 100 MB/s, runs reach the seed's 65%", async () => {
  const {writeFileSync} = await import("node:fs");
  const {join} = await import("node:path");
  const {tempDir} = await import("../helpers/files.js");
  const params = {fileSizesBytes: [64 * KiB, 4 * MiB], shareSizesBytes: [64 * KiB], countsFileBytes: 64 * KiB, warmCheck: false};
  /** The caption's text, its wrapped lines joined. */
  const caption = (r: StudyResult) => {
    const svg = r.charts.find((c) => c.id === "time-saved")!.html;
    const footer = svg.slice(svg.indexOf('aria-label="caption"'));
    return [...footer.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]).join(" ");
  };
  assert.match(
    caption(zeroCopyStudy({...params, profiles: ["server-2024"]})),
    /^The seed claims ~65% for zero-copy; the largest saving here is 7\.\d% \(sendfile-sg, 4 MiB, server-2024\), and none of the 6 runs reaches 65%\.$/,
  );
  const file = join(tempDir("iosim-zc-"), "slow-copy.json");
  writeFileSync(file, JSON.stringify({extends: "server-2024", memory: {copyBytesPerNs: 0.1}}));
  assert.match(caption(zeroCopyStudy({...params, profiles: [file]})), /^The seed claims ~65% for zero-copy; the largest saving here is 91\.8% \(sendfile-sg, 4 MiB, server-2024\+profile \S+\), and 2 of 6 runs reach 65%\.$/);
});

test("zeroCopyStudy() charts carry no NaN and have a title and a legend", () => {
  for (const chart of study().charts) {
    assert.ok(!chart.html.includes("NaN"), chart.id);
    assert.ok(chart.html.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'), chart.id);
    assert.ok(chart.html.includes('aria-label="color legend"'), chart.id);
    assert.ok(chart.data.numRows() > 0, chart.id);
  }
});

test("zeroCopyStudy({profiles, fileSizesBytes}) runs only what it is asked", () => {
  const r = zeroCopyStudy({profiles: ["desktop-2008"], fileSizesBytes: [64 * KiB, 4 * MiB], shareSizesBytes: [64 * KiB], countsFileBytes: 64 * KiB, warmCheck: false});
  const results = r.tables.find((t) => t.id === "results")!.table.objects() as Array<Record<string, unknown>>;
  assert.equal(results.length, 8);
  assert.ok(results.every((x) => x.profile === "desktop-2008"));
});

test("zeroCopyStudy({strategies: ['sendfile']}) is an InputError naming the baseline", () => {
  assert.throws(() => zeroCopyStudy({strategies: ["sendfile"]}), (err: unknown) => err instanceof InputError && /read-write/.test(err.message));
  assert.throws(() => zeroCopyStudy({fileSizesBytes: [0]}), InputError);
  assert.throws(() => zeroCopyStudy({profiles: ["nope"]}), InputError);
});

test("zeroCopyStudy() gives the same bytes twice", () => {
  const small = () => zeroCopyStudy({fileSizesBytes: [4 * KiB, 256 * KiB], shareSizesBytes: [4 * KiB], countsFileBytes: 256 * KiB});
  const a = small();
  const b = small();
  assert.deepEqual(a.charts.map((c) => c.html), b.charts.map((c) => c.html));
  assert.deepEqual(a.tables.map((t) => t.table.toCSV()), b.tables.map((t) => t.table.toCSV()));
  assert.deepEqual(a.notes, b.notes);
});

test("zeroCopyStudy() sets IBM's 2008 table beside runs of the same set-up: IBM's numbers from data/, iosim's from runTransfer", async () => {
  const {ibm2008Table} = await import("../../src/studies/zeroCopy.js");
  const reference = ibm2008Table();
  // The published table, as kept in data/reference (Table 1 of the article).
  assert.equal(reference.rows.length, 8);
  assert.deepEqual(reference.rows[0], {fileMB: 7, traditionalMs: 156, transferToMs: 45});
  assert.deepEqual(reference.rows[7], {fileMB: 1024, traditionalMs: 18399, transferToMs: 8537});
  const ibm = rows("ibm-2008");
  assert.deepEqual(ibm.map((r) => r.fileMB), zeroCopyDefaults.ibm2008FilesMB);
  const profile = loadProfile("desktop-2008");
  for (const r of ibm) {
    const ref = reference.rows.find((x) => x.fileMB === r.fileMB)!;
    assert.equal(r.ibmTraditionalMs, ref.traditionalMs);
    assert.equal(r.ibmTimeSavedPct, (1 - ref.transferToMs / ref.traditionalMs) * 100);
    // iosim's side is the run of IBM's set-up: 4 KiB buffer for read + write (sendfile's rounds are the kernel's 64 KiB
    // pipe), 4 KiB reads at the receiver, warm cache, loopback.
    const run = (strategy: StrategyName) =>
      runTransfer({strategy, fileBytes: r.fileMB * MiB, chunkBytes: strategy === "sendfile" ? 64 * KiB : 4 * KiB, receiveBytes: 4 * KiB, cache: "warm", link: "loopback", seed: 0, profile, keepEvents: false}).result.elapsedNs / 1e6;
    assert.equal(r.iosimReadWriteMs, run("read-write"));
    assert.equal(r.iosimSendfileMs, run("sendfile"));
    assert.equal(r.savedGapPoints, r.iosimTimeSavedPct - r.ibmTimeSavedPct);
  }
  // The chart plots every row of IBM's table and the runs' rows; the notes quote the runs' range.
  const chart = study().charts.find((c) => c.id === "ibm-2008")!;
  assert.equal(chart.data.numRows(), reference.rows.length + ibm.length);
  const saved = ibm.map((r) => r.iosimTimeSavedPct);
  const note = study().notes.find((n) => n.startsWith("IBM measured"))!;
  const [lo, hi] = [Math.min(...saved).toFixed(0), Math.max(...saved).toFixed(0)];
  assert.ok(note.includes(lo === hi ? `gives ${lo}%:` : `gives ${lo}–${hi}%`), note);
});

test("zeroCopyStudy({ibm2008FilesMB}) runs the rows asked for, none with [], and refuses a size IBM did not measure", () => {
  const small = {profiles: ["desktop-2008"], fileSizesBytes: [64 * KiB], shareSizesBytes: [64 * KiB], countsFileBytes: 64 * KiB, warmCheck: false};
  const one = zeroCopyStudy({...small, ibm2008FilesMB: [7]});
  assert.deepEqual((one.tables.find((t) => t.id === "ibm-2008")!.table.objects() as Array<{fileMB: number}>).map((r) => r.fileMB), [7]);
  const none = zeroCopyStudy({...small, ibm2008FilesMB: []});
  assert.equal(none.tables.some((t) => t.id === "ibm-2008"), false);
  assert.equal(none.charts.some((c) => c.id === "ibm-2008"), false);
  assert.throws(() => zeroCopyStudy({...small, ibm2008FilesMB: [8]}), (err: unknown) => err instanceof InputError && /ibm2008FilesMB/.test(err.message) && /7, 21, 63, 98, 200, 350, 700, 1024/.test(err.message));
});
