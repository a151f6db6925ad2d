import {describe, test as serialTest} from "node:test";
import assert from "node:assert/strict";
import {mkdirSync, readdirSync, readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {tableFromIPC} from "@uwdata/flechette";
import {scenarios} from "../../src/scenarios/index.js";
import {runTransfer, strategies} from "../../src/scenarios/transfer.js";
import {loadProfile} from "../../src/host/profiles.js";
import {iosimAsync} from "../helpers/cli.js";
import {tempDir} from "../helpers/files.js";

/** Runs `iosim ...args`; resolves to its exit status, stdout and stderr. */
const iosim = (...args: string[]) => iosimAsync(args);

// Each test starts a Node process (the CLI loads the report's modules too): run them side by side.
const tests: Array<[string, () => Promise<void>]> = [];
const test = (name: string, fn: () => Promise<void>) => void tests.push([name, fn]);

/** Asserts `iosim ...args` fails with status 2 and one stderr line naming *param* and *value*. */
async function assertBadInput(args: string[], param: string, value: string) {
  const {status, stdout, stderr} = await iosim(...args);
  assert.equal(status, 2, `status of iosim ${args.join(" ")}; stderr: ${stderr}`);
  assert.equal(stdout, "");
  const lines = stderr.split("\n");
  assert.equal(lines.length, 2, `one line, got: ${JSON.stringify(stderr)}`);
  assert.equal(lines[1], "");
  assert.ok(lines[0].startsWith(`iosim: invalid ${param}: ${value}; expected `), lines[0]);
  assert.doesNotMatch(stderr, /\n\s+at /);
}

const seedCounts = {
  "read-write": {contextSwitches: 4, dmaCopies: 2, cpuCopies: 2, syscalls: 2},
  // One chunk of a file mapped whole: mmap, write and munmap (the seed counts no munmap).
  "mmap-write": {contextSwitches: 6, dmaCopies: 2, cpuCopies: 1, syscalls: 3},
  sendfile: {contextSwitches: 2, dmaCopies: 2, cpuCopies: 1, syscalls: 1},
  "sendfile-sg": {contextSwitches: 2, dmaCopies: 2, cpuCopies: 0, syscalls: 1},
};

for (const strategy of strategies) {
  test(`iosim run transfer --set strategy=${strategy} ... --format json prints the seed's counts, time, throughput and CPU share`, async () => {
    const {status, stdout, stderr} = await iosim("run", "transfer", "--set", `strategy=${strategy}`, "--set", "fileBytes=65536", "--set", "chunkBytes=65536", "--set", "cache=cold", "--format", "json");
    assert.equal(status, 0, stderr);
    assert.equal(stderr, "");
    const r = JSON.parse(stdout);
    const {contextSwitches, cpuCopies, syscalls} = r;
    // DMA copies of each byte: from the disk, and to the NIC (whose DMAs go per skb).
    const dmaCopies = r.dataDmaBytes / r.bytesDelivered;
    assert.deepEqual({contextSwitches, dmaCopies, cpuCopies, syscalls}, seedCounts[strategy]);
    assert.ok(r.elapsedNs > 0);
    assert.equal(r.bytesDelivered, 65536, "bytes that left through the NIC");
    assert.equal(r.link, "nic");
    assert.deepEqual([r.senderCpuNs, r.receiverCpuNs], [r.cpuBusyNs, 0]);
    assert.equal(r.throughputBytesPerSec, (r.bytesDelivered / r.elapsedNs) * 1e9);
    const shares = Object.values(r.cpuShare as Record<string, number>);
    assert.ok(Math.abs(shares.reduce((a, b) => a + b, 0) - 1) <= 1e-9);
  });
}

test("iosim run transfer --set link=loopback reports the receiver's CPU beside the sender's", async () => {
  const {status, stdout, stderr} = await iosim("run", "transfer", "--set", "link=loopback", "--set", "cache=warm", "--format", "json");
  assert.equal(status, 0, stderr);
  const r = JSON.parse(stdout);
  assert.equal(r.link, "loopback");
  assert.ok(r.receiverCpuNs > 0 && r.senderCpuNs > 0);
  assert.equal(r.bytesDelivered, 1024 * 1024);
  assert.equal(r.nicDmas, 0);
});

for (const mode of ["pio", "dma"]) {
  test(`iosim run dma --set mode=${mode} --format json prints counts, time, throughput and CPU share`, async () => {
    const {status, stdout, stderr} = await iosim("run", "dma", "--set", `mode=${mode}`, "--format", "json");
    assert.equal(status, 0, stderr);
    const r = JSON.parse(stdout);
    assert.equal(r.mode, mode);
    for (const key of ["contextSwitches", "dmaCopies", "cpuCopies", "syscalls", "elapsedNs", "throughputBytesPerSec"]) assert.equal(typeof r[key], "number", key);
    assert.equal(r.contextSwitches, 2);
    assert.equal(r.dmaCopies, mode === "dma" ? 1 : 0);
    const shares = Object.values(r.cpuShare as Record<string, number>);
    assert.ok(Math.abs(shares.reduce((a, b) => a + b, 0) - 1) <= 1e-9);
    assert.ok(mode === "pio" ? r.cpuShare["pio-copy"] > 0.1 : !("pio-copy" in r.cpuShare));
  });
}

test("iosim run dma: programmed I/O leaves the background process less CPU than DMA", async () => {
  const share = async (mode: string) => JSON.parse((await iosim("run", "dma", "--set", `mode=${mode}`, "--format", "json")).stdout).backgroundShareOfCapacity;
  assert.ok((await share("pio")) < (await share("dma")));
});

test("iosim run accepts KiB/MiB suffixes for sizes", async () => {
  const a = JSON.parse((await iosim("run", "transfer", "--set", "fileBytes=1MiB", "--set", "chunkBytes=64KiB", "--format", "json")).stdout);
  assert.equal(a.fileBytes, 1048576);
  assert.equal(a.chunkBytes, 65536);
  assert.equal(a.chunks, 16);
});

test("iosim run with the same seed and parameters prints byte-identical output", async () => {
  const args = ["run", "transfer", "--set", "strategy=mmap-write", "--set", "fileBytes=300KiB", "--set", "readaheadBytes=32KiB", "--seed", "7", "--format", "json"];
  const a = await iosim(...args);
  assert.equal(a.status, 0);
  assert.equal((await iosim(...args)).stdout, a.stdout);
});

test("iosim run dma with the same seed prints byte-identical csv", async () => {
  const args = ["run", "dma", "--set", "mode=pio", "--set", "transferBytes=64KiB", "--seed", "3", "--format", "csv"];
  const [a, b] = await Promise.all([iosim(...args), iosim(...args)]);
  assert.equal(a.status, 0);
  assert.equal(a.stdout, b.stdout);
});

test("iosim run --format csv prints a header and one row, nested shares as dotted columns", async () => {
  const {status, stdout} = await iosim("run", "transfer", "--set", "strategy=sendfile", "--format", "csv");
  assert.equal(status, 0);
  const lines = stdout.trimEnd().split("\n");
  assert.equal(lines.length, 2);
  const header = lines[0].split(",");
  const row = lines[1].split(",");
  assert.equal(header.length, row.length);
  const get = (k: string) => row[header.indexOf(k)];
  assert.equal(get("strategy"), "sendfile");
  // One sendfile(2) for the whole file: two mode switches.
  assert.equal(get("contextSwitches"), "2");
  assert.ok(header.includes("cpuShare.cpu-copy"));
  assert.ok(header.includes("throughputBytesPerSec"));
});

test("iosim run --format table prints aligned key/value lines", async () => {
  const {status, stdout} = await iosim("run", "transfer", "--set", "strategy=sendfile-sg");
  assert.equal(status, 0);
  const lines = stdout.trimEnd().split("\n");
  assert.ok(lines.some((l) => /^cpuCopies\s+0$/.test(l)));
  assert.ok(lines.some((l) => /^contextSwitches\s+2$/.test(l)));
  assert.ok(lines.some((l) => /^cpuShare\.irq\s+\S+$/.test(l)));
  const keyWidth = new Set(lines.map((l) => /^\S+\s+/.exec(l)![0].length));
  assert.equal(keyWidth.size, 1, "values start in one column");
});

test("iosim run --format table shows the same keys and values as --format json", async () => {
  const args = ["run", "transfer", "--set", "strategy=mmap-write", "--set", "fileBytes=200KiB"];
  const [table, json] = await Promise.all([iosim(...args), iosim(...args, "--format", "json")]);
  const flat = (o: Record<string, unknown>, prefix = ""): Array<[string, unknown]> =>
    Object.entries(o).flatMap(([k, v]) => (v !== null && typeof v === "object" ? flat(v as Record<string, unknown>, `${prefix}${k}.`) : [[`${prefix}${k}`, v]]));
  const expected = flat(JSON.parse(json.stdout));
  const shown = table.stdout.trimEnd().split("\n").map((l) => /^(\S+)\s+(.*)$/.exec(l)!.slice(1, 3) as [string, string]);
  assert.deepEqual(shown.map(([k]) => k), expected.map(([k]) => k));
  for (const [[key, text], [, value]] of shown.map((s, i) => [s, expected[i]] as const)) {
    if (typeof value === "number") assert.ok(Math.abs(Number(text) - value) <= Math.abs(value) * 1e-5 + 0.05, `${key}: ${text} vs ${value}`);
    else assert.equal(text, String(value), key);
  }
});

test("iosim run --profile desktop-2008 runs that profile's machine, not the default one", async () => {
  const args = ["run", "transfer", "--set", "fileBytes=256KiB", "--format", "json"];
  const [old, current] = await Promise.all([iosim(...args, "--profile", "desktop-2008"), iosim(...args)]);
  const {elapsedNs} = JSON.parse(old.stdout);
  const direct = (name: string) => runTransfer({strategy: "read-write", fileBytes: 256 * 1024, chunkBytes: 64 * 1024, cache: "cold", profile: loadProfile(name)}).result.elapsedNs;
  assert.equal(elapsedNs, direct("desktop-2008"));
  assert.equal(JSON.parse(current.stdout).elapsedNs, direct("server-2024"));
  assert.notEqual(direct("desktop-2008"), direct("server-2024"));
});

test("iosim list names every scenario's parameters with their defaults and units", async () => {
  const {status, stdout} = await iosim("list");
  assert.equal(status, 0);
  const lines = stdout.split("\n");
  for (const s of scenarios) {
    assert.ok(lines.some((l) => l.startsWith(`${s.name}: `)), `scenario ${s.name}`);
    for (const p of s.params) {
      const line = lines.find((l) => new RegExp(`^\\s+${p.name}\\s`).test(l) && l.includes(`default ${p.default === "" ? '""' : p.default} `));
      assert.ok(line, `${s.name} ${p.name} default ${p.default}`);
      if (p.unit) assert.match(line, new RegExp(`\\s${p.unit}\\s`), `${s.name} ${p.name} unit ${p.unit}`);
      if (p.values) for (const v of p.values) assert.ok(line.includes(v), `${s.name} ${p.name} value ${v}`);
    }
  }
  assert.ok(stdout.includes("desktop-2008") && stdout.includes("server-2024"));
});

test("iosim list --format json gives every scenario with its parameters", async () => {
  const r = JSON.parse((await iosim("list", "--format", "json")).stdout);
  assert.deepEqual(r.scenarios.map((s: {name: string}) => s.name), scenarios.map((s) => s.name));
  assert.deepEqual(r.scenarios[0].params, JSON.parse(JSON.stringify(scenarios[0].params)));
});

test("iosim run nope exits 2 naming the scenario", () => assertBadInput(["run", "nope"], "scenario", "nope"));
test("iosim run transfer --set strategy=zero exits 2 naming the strategy", () => assertBadInput(["run", "transfer", "--set", "strategy=zero"], "strategy", "zero"));
test("iosim run transfer --set colour=red exits 2 naming the key", () => assertBadInput(["run", "transfer", "--set", "colour=red"], "key for scenario transfer", "colour"));
test("iosim run transfer --profile nope exits 2 naming the profile", () => assertBadInput(["run", "transfer", "--profile", "nope"], "profile", "nope"));
test("iosim run transfer --format xml exits 2 naming the format", () => assertBadInput(["run", "transfer", "--format", "xml"], "--format", "xml"));
test("iosim run transfer --set fileBytes=-1 exits 2 (negative size)", () => assertBadInput(["run", "transfer", "--set", "fileBytes=-1"], "fileBytes", "-1"));
test("iosim run transfer --set fileBytes=0 exits 2 (zero size)", () => assertBadInput(["run", "transfer", "--set", "fileBytes=0"], "fileBytes", "0"));
test("iosim run transfer --set chunkBytes=0 exits 2 (zero size)", () => assertBadInput(["run", "transfer", "--set", "chunkBytes=0"], "chunkBytes", "0"));
test("iosim run transfer --set fileBytes=abc exits 2 (non-numeric size)", () => assertBadInput(["run", "transfer", "--set", "fileBytes=abc"], "fileBytes", "abc"));
test("iosim run transfer --set fileBytes=12XB exits 2 (unknown unit)", () => assertBadInput(["run", "transfer", "--set", "fileBytes=12XB"], "fileBytes", "12XB"));
test("iosim run transfer --seed 1.5 exits 2 (non-integer seed)", () => assertBadInput(["run", "transfer", "--seed", "1.5"], "--seed", "1.5"));
test("iosim run transfer --seed abc exits 2 (non-numeric seed)", () => assertBadInput(["run", "transfer", "--seed", "abc"], "--seed", "abc"));
test("iosim run dma --set mode=fast exits 2 naming the mode", () => assertBadInput(["run", "dma", "--set", "mode=fast"], "mode", "fast"));
test("iosim run dma --set transferBytes=-5 exits 2 (negative size)", () => assertBadInput(["run", "dma", "--set", "transferBytes=-5"], "transferBytes", "-5"));
/** Asserts `iosim ...args` is refused fast (exit 2, nothing on stdout) with one line naming *param* and --max-events. */
async function assertOverBudget(args: string[], param: string, value: string, direction: "lower" | "raise") {
  const {status, stdout, stderr} = await iosim(...args);
  assert.equal(status, 2, `status of iosim ${args.join(" ")}; stderr: ${stderr}`);
  assert.equal(stdout, "");
  assert.match(stderr, new RegExp(`^iosim: ${param}=${value} makes this run about [0-9.]+e\\+\\d+ events, over the budget of 100000000; ${direction} ${param} or raise the limit with --max-events N\n$`));
}
test("iosim run pagecache --set readBytes=1 --set fileBytes=1TiB is refused before it starts, naming readBytes", () =>
  assertOverBudget(["run", "pagecache", "--set", "readBytes=1", "--set", "fileBytes=1TiB"], "readBytes", "1", "raise"));
test("iosim run transfer --set files=100000000 is refused before it starts, naming files", () =>
  assertOverBudget(["run", "transfer", "--set", "files=100000000"], "files", "100000000", "lower"));
test("iosim run largefile --set durationNs=1e12 is refused, naming durationNs", () =>
  assertOverBudget(["run", "largefile", "--set", "durationNs=1000000000000"], "durationNs", "1000000000000", "lower"));
test("iosim run dma --set quantumNs=1 --set transferBytes=1GiB is refused, naming quantumNs", () =>
  assertOverBudget(["run", "dma", "--set", "quantumNs=1", "--set", "transferBytes=1GiB"], "quantumNs", "1", "raise"));
test("iosim run transfer --max-events raises and lowers the budget", async () => {
  // 20 files of 1 MiB take a few thousand events: refused under 100, run under 1e9.
  const small = await iosim("run", "transfer", "--set", "files=20", "--max-events", "100");
  assert.equal(small.status, 2);
  assert.match(small.stderr, /^iosim: files=20 makes this run about .* over the budget of 100; lower files or raise the limit with --max-events N\n$/);
  const big = await iosim("run", "transfer", "--set", "files=20", "--max-events", "1e9", "--format", "json");
  assert.equal(big.status, 0, big.stderr);
  assert.equal(JSON.parse(big.stdout).files, 20);
});
test("iosim run longer than 2 s, piped, prints its results on stdout and no progress on stderr", async () => {
  // About 3 million events: several seconds, long enough for progress to show at a terminal.
  const {status, stdout, stderr} = await iosim("run", "pagecache", "--set", "readBytes=64", "--set", "cacheBytes=1MiB", "--set", "fileBytes=32MiB", "--format", "json");
  assert.equal(status, 0, stderr);
  assert.equal(stderr, "");
  assert.equal(JSON.parse(stdout).reads, (32 * 1024 * 1024) / 64);
});
test("iosim run transfer --trace t.arrow writes every event of the run; the results on stdout are unchanged", async () => {
  const dir = tempDir("iosim-cli-");
  const args = ["run", "transfer", "--set", "files=3", "--set", "fileBytes=256KiB", "--format", "json"];
  const plain = await iosim(...args);
  const traced = await iosim(...args, "--trace", join(dir, "t.arrow"));
  assert.equal(traced.status, 0, traced.stderr);
  assert.equal(traced.stderr, "");
  assert.equal(traced.stdout, plain.stdout);
  assert.deepEqual(readdirSync(dir), ["t.arrow"]);
  const table = tableFromIPC(readFileSync(join(dir, "t.arrow")));
  assert.deepEqual(
    table.schema.fields.map((f) => f.name),
    ["timeNs", "kind", "pid", "durationNs", "bytes", "detail"],
  );
  // The counts the run prints are counts of the events in the file.
  const kinds = Array.from(table.getChild("kind")) as string[];
  const r = JSON.parse(plain.stdout);
  const count = (kind: string) => kinds.filter((k) => k === kind).length;
  assert.deepEqual(
    {syscalls: count("syscall"), contextSwitches: count("mode-switch"), dmaCopies: count("dma-copy"), cpuCopies: count("cpu-copy")},
    {syscalls: r.syscalls, contextSwitches: r.contextSwitches, dmaCopies: r.dmaCopies, cpuCopies: r.cpuCopies},
  );
  const times = Array.from(table.getChild("timeNs")) as number[];
  assert.ok(times.every((t, i) => i === 0 || t >= times[i - 1]), "events in time order");
});
test("iosim run dma --trace t.csv and --trace t.ndjson write the same events as --trace t.arrow", async () => {
  const dir = tempDir("iosim-cli-");
  for (const name of ["t.arrow", "t.csv", "t.ndjson"]) assert.equal((await iosim("run", "dma", "--trace", join(dir, name))).status, 0);
  const rows = tableFromIPC(readFileSync(join(dir, "t.arrow"))).toArray().map((r) => ({...r}));
  assert.ok(rows.length > 0);
  const ndjson = readFileSync(join(dir, "t.ndjson"), "utf8").trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(ndjson, rows);
  const csv = readFileSync(join(dir, "t.csv"), "utf8").trimEnd().split("\n");
  assert.equal(csv[0], "timeNs,kind,pid,durationNs,bytes,detail");
  assert.deepEqual(csv.slice(1), rows.map((r) => [r.timeNs, r.kind, r.pid, r.durationNs, r.bytes, r.detail].join(",")));
});
test("iosim run transfer --trace t.txt exits 2 naming --trace and the extensions", () => assertBadInput(["run", "transfer", "--trace", "t.txt"], "--trace", "t.txt"));
test("iosim run transfer --trace onto a folder exits 2 before the run", async () => {
  const dir = tempDir("iosim-cli-");
  mkdirSync(join(dir, "t.arrow"));
  await assertBadInput(["run", "transfer", "--trace", join(dir, "t.arrow")], "--trace", join(dir, "t.arrow"));
});
test("iosim run refused by the budget with --trace leaves no trace file", async () => {
  const dir = tempDir("iosim-cli-");
  const {status} = await iosim("run", "transfer", "--set", "files=100000000", "--trace", join(dir, "t.arrow"));
  assert.equal(status, 2);
  assert.deepEqual(readdirSync(dir), []);
});
test("iosim --help describes --trace, --max-events and the progress line", async () => {
  const {status, stdout} = await iosim("--help");
  assert.equal(status, 0);
  assert.match(stdout, /\[--max-events N\] \[--trace FILE\]/);
  assert.match(stdout, /--max-events N is the event budget of a run \(default 100000000/);
  assert.match(stdout, /--trace FILE streams every trace event of the run to FILE while it goes/);
  assert.match(stdout, /\.arrow \(Arrow IPC file.*\.csv, \.json \(one array\) or \.ndjson/s);
  assert.match(stdout, /Progress: when stderr is a terminal, a run that lasts more than about 2 s shows one line on stderr with the\nsimulated time reached, the events run and events per second/);
  assert.match(stdout, /Never on\nstdout, and never when stderr is piped or redirected/);
});
test("iosim run transfer --max-events 0 exits 2 naming --max-events", () => assertBadInput(["run", "transfer", "--max-events", "0"], "--max-events", "0"));
test("iosim run transfer --set files=0 exits 2", () => assertBadInput(["run", "transfer", "--set", "files=0"], "files", "0"));
test("iosim run transfer --set strategy=sendfile-sg on a NIC without SG-DMA exits 2", async () => {
  // A profile file that extends a shipped one, with an old NIC.
  const file = join(tempDir("iosim-cli-"), "no-sg.json");
  writeFileSync(file, JSON.stringify({extends: "desktop-2008", nic: {scatterGather: false}}));
  await assertBadInput(["run", "transfer", "--set", "strategy=sendfile-sg", "--profile", file], "scatterGather", "true");
});
test("iosim run transfer with a bad value in a profile file exits 2 naming the field", async () => {
  const file = join(tempDir("iosim-cli-"), "bad.json");
  writeFileSync(file, JSON.stringify({extends: "desktop-2008", cpu: {cores: 0}}));
  await assertBadInput(["run", "transfer", "--profile", file], `profile ${file} cpu.cores`, "0");
});

describe("iosim", {concurrency: 3}, () => {
  for (const [name, fn] of tests) serialTest(name, fn);
});
