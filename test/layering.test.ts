import {test} from "node:test";
import assert from "node:assert/strict";
import {execFileSync} from "node:child_process";
import {readdirSync, readFileSync, statSync} from "node:fs";
import {dirname, join, relative, resolve, sep} from "node:path";
import {fileURLToPath} from "node:url";

/** The repository root (this file runs from dist/test/). */
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const srcDir = join(root, "src");

/** The layers, lowest first: a folder may import only from folders listed before it (and top-level files). */
const layers = ["params", "engine", "mm", "host", "kernel", "net", "multiplex", "uring", "transfer", "workload", "server", "analysis", "scenarios", "charts", "studies", "export", "sweep", "report", "calibrate", "cli"];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith(".ts") ? [p] : [];
    });
}

/** Every relative import (static or dynamic) of *file*, resolved to a path under src/. */
function imports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1]);
  return specs.map((s) => relative(srcDir, resolve(dirname(file), s)));
}

/** The top folder of a path under src/ ("" for top-level files such as units.ts). */
function folderOf(path: string): string {
  const parts = path.split(sep);
  return parts.length > 1 ? parts[0] : "";
}

test("src/: each layer imports only from layers below it (no cycles between folders)", () => {
  const violations: string[] = [];
  for (const file of sourceFiles(srcDir)) {
    const from = relative(srcDir, file);
    const fromFolder = folderOf(from);
    if (fromFolder === "") continue; // index.ts re-exports everything; units.ts and errors.ts import only errors.ts
    const rank = layers.indexOf(fromFolder);
    assert.ok(rank >= 0, `${from}: folder ${fromFolder} is not in the layer list`);
    for (const target of imports(file)) {
      const toFolder = folderOf(target);
      if (toFolder === "" || toFolder === fromFolder) continue;
      if (layers.indexOf(toFolder) > rank) violations.push(`${from} imports ${target}`);
    }
  }
  assert.deepEqual(violations, []);
});

test("src/: nothing imports another folder's internal/", () => {
  const violations: string[] = [];
  for (const file of sourceFiles(srcDir)) {
    const from = relative(srcDir, file);
    for (const target of imports(file)) {
      const parts = target.split(sep);
      const i = parts.indexOf("internal");
      if (i > 0 && parts[0] !== folderOf(from)) violations.push(`${from} imports ${target}`);
    }
  }
  assert.deepEqual(violations, []);
});

test("src/units.ts and src/errors.ts import nothing but each other", () => {
  for (const name of ["units.ts", "errors.ts"]) {
    const targets = imports(join(srcDir, name));
    assert.deepEqual(targets.filter((t) => t !== "errors.js"), [], name);
  }
});

test('import "iosim/engine" loads neither jsdom, Plot nor arquero', () => {
  // A resolve hook in the child process throws if the engine reaches any of them.
  const hook = `export async function resolve(specifier, context, next) {
    const r = await next(specifier, context);
    if (/node_modules\\/(jsdom|@observablehq|arquero)\\//.test(r.url)) throw new Error("engine loaded " + r.url);
    return r;
  }`;
  const program = `import {register} from "node:module";
    register("data:text/javascript," + encodeURIComponent(${JSON.stringify(hook)}));
    const m = await import("iosim/engine");
    console.log(Object.keys(m).sort().join(","));`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", program], {cwd: root, encoding: "utf8"});
  const names = out.trim().split(",");
  assert.ok(names.includes("createSim") && names.includes("spawn") && names.includes("Resource"), out);
  assert.ok(!names.includes("Job"), "Job is internal");
});

test('import "iosim/report" does load jsdom (the hook above can fail)', () => {
  const hook = `export async function resolve(specifier, context, next) {
    const r = await next(specifier, context);
    if (/node_modules\\/(jsdom|@observablehq|arquero)\\//.test(r.url)) throw new Error("loaded " + r.url);
    return r;
  }`;
  const program = `import {register} from "node:module";
    register("data:text/javascript," + encodeURIComponent(${JSON.stringify(hook)}));
    await import("iosim/report");`;
  assert.throws(() => execFileSync(process.execPath, ["--input-type=module", "-e", program], {cwd: root, encoding: "utf8", stdio: "pipe"}), /loaded .*node_modules/);
});
