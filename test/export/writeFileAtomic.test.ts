import {test} from "node:test";
import assert from "node:assert/strict";
import {spawn} from "node:child_process";
import {mkdirSync, readdirSync, readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {pathToFileURL} from "node:url";
import {removeStaleTempFiles, writeFileAtomic} from "../../src/export/writeFileAtomic.js";
import {tempDir} from "../helpers/files.js";

test("writeFileAtomic(path, text) creates parent folders and leaves only the target", () => {
  const dir = tempDir("iosim-atomic-");
  const path = join(dir, "a", "b", "file.txt");
  writeFileAtomic(path, "hello\n");
  writeFileAtomic(path, new Uint8Array([104, 105]));
  assert.equal(readFileSync(path, "utf8"), "hi");
  assert.deepEqual(readdirSync(join(dir, "a", "b")), ["file.txt"]);
});

test("writeFileAtomic(path, chunks) that throws mid-way keeps the old file whole and leaves no temporary file", () => {
  const dir = tempDir("iosim-atomic-");
  const path = join(dir, "data.csv");
  writeFileAtomic(path, "old,contents\n");
  function* failing(): Generator<string> {
    yield "new,";
    yield "half";
    throw new Error("disk on fire");
  }
  assert.throws(() => writeFileAtomic(path, failing()), /disk on fire/);
  assert.equal(readFileSync(path, "utf8"), "old,contents\n");
  assert.deepEqual(readdirSync(dir), ["data.csv"]);
});

test("writeFileAtomic(path) onto a folder fails at the rename and leaves no temporary file", () => {
  const dir = tempDir("iosim-atomic-");
  mkdirSync(join(dir, "taken", "inside"), {recursive: true});
  assert.throws(() => writeFileAtomic(join(dir, "taken"), "x"), (err: NodeJS.ErrnoException) => ["EISDIR", "ENOTEMPTY", "EEXIST", "EPERM"].includes(err.code ?? ""));
  assert.deepEqual(readdirSync(dir), ["taken"]);
});

test("writeFileAtomic(path) killed mid-write (SIGKILL) never leaves a half-written target; removeStaleTempFiles() cleans up", async () => {
  const dir = tempDir("iosim-atomic-");
  const path = join(dir, "big.json");
  writeFileSync(path, '{"old": true}\n');
  const moduleUrl = pathToFileURL(join(import.meta.dirname, "../../src/export/writeFileAtomic.js")).href;
  // The child writes a first chunk, says so, then hangs inside the generator until killed.
  const script = `
    import {writeFileAtomic} from ${JSON.stringify(moduleUrl)};
    function* chunks() {
      yield "[" + "1,".repeat(100000);
      process.stdout.write("started\\n");
      for (;;) {}
    }
    writeFileAtomic(${JSON.stringify(path)}, chunks());
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {stdio: ["ignore", "pipe", "inherit"]});
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      if (d.toString().includes("started")) resolve();
    });
    child.on("exit", (code) => reject(new Error(`child exited early with ${code}`)));
  });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  child.kill("SIGKILL");
  await exited;
  assert.equal(readFileSync(path, "utf8"), '{"old": true}\n');
  const litter = readdirSync(dir).filter((n) => n !== "big.json");
  assert.equal(litter.length, 1, "the killed writer's temporary file");
  assert.match(litter[0], /^\.big\.json\.\d+\.\d+\.tmp$/);
  assert.deepEqual(removeStaleTempFiles(dir), litter);
  assert.deepEqual(readdirSync(dir), ["big.json"]);
});

test("removeStaleTempFiles() leaves the temporary files of live processes alone", () => {
  const dir = tempDir("iosim-atomic-");
  const mine = `.x.csv.${process.pid}.99.tmp`;
  writeFileSync(join(dir, mine), "in progress");
  writeFileSync(join(dir, "keep.tmp"), "not ours");
  assert.deepEqual(removeStaleTempFiles(dir), []);
  assert.deepEqual(readdirSync(dir).sort(), [mine, "keep.tmp"].sort());
});
