import {test} from "node:test";
import assert from "node:assert/strict";
import {execFileSync} from "node:child_process";
import {readFileSync} from "node:fs";
import {dirname, join, resolve} from "node:path";
import {fileURLToPath} from "node:url";
import {SEMI_SPACE_MB} from "../src/heapFlags.js";

/** The repository root (this file runs from dist/test/). */
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const flag = `--max-semi-space-size=${SEMI_SPACE_MB}`;

test("the iosim command starts node with iosim's semi-space, and this node accepts the line", () => {
  const cli = join(root, "dist/src/cli/main.js");
  const first = readFileSync(cli, "utf8").split("\n", 1)[0];
  assert.equal(first, `#!/usr/bin/env -S node ${flag}`);
  // What the kernel runs for `iosim --version`: env splits the line (-S) and starts node with the flag.
  const [envPath, ...args] = first.slice(2).split(" ");
  const version = execFileSync(envPath, [...args, cli, "--version"], {encoding: "utf8"});
  assert.match(version, /\d+\.\d+\.\d+/);
});

test("npm start and npm run bench run node with the same semi-space", () => {
  const scripts = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {scripts: Record<string, string>}).scripts;
  assert.match(scripts.start, new RegExp(`node ${flag} dist/src/cli/main\\.js report`));
  assert.match(scripts.bench, new RegExp(`node ${flag} dist/bench/bench\\.js`));
});
