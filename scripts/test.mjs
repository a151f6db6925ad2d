// Runs every compiled test file (dist/test/**/*.test.js) with Node's built-in
// test runner. Node 20's --test neither expands globs nor finds files by
// itself, so the files are listed here. Pass paths or substrings to filter:
//   node scripts/test.mjs transfer engine
import {readdirSync, statSync} from "node:fs";
import {join} from "node:path";
import {spawnSync} from "node:child_process";

function walk(dir) {
  let out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(walk(p));
    else if (name.endsWith(".test.js")) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = walk("dist/test").filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
const r = spawnSync(process.execPath, ["--test", "--test-concurrency=2", ...files], {stdio: "inherit"});
process.exit(r.status ?? 1);
