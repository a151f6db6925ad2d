/**
 * Which iosim produced a file: the package version and, when the code runs
 * from a git checkout of iosim itself, the commit. No wall-clock time, so
 * the same code, parameters and seed always write the same bytes.
 */
import {execFileSync} from "node:child_process";
import {existsSync, readFileSync, realpathSync} from "node:fs";
import {dirname, join, resolve} from "node:path";
import {fileURLToPath} from "node:url";

/** The iosim version and git commit recorded in every export and report. */
export interface BuildInfo {
  /** `version` from iosim's package.json ("0.1.0"). */
  version: string;
  /** `git rev-parse HEAD` of the iosim checkout, or null outside one (an npm install, no git). */
  commit: string | null;
}

/** Computed once per process: git is slow next to everything else here. */
let cached: BuildInfo | undefined;

/**
 * Returns iosim's version and git commit. The commit is null when git is
 * missing, fails, or the package is not the top of its own work tree (an
 * iosim installed inside another project's repository must not report that
 * project's commit).
 */
export function buildInfo(): BuildInfo {
  if (cached) return cached;
  const root = packageRoot();
  const version = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {version: string}).version;
  cached = {version, commit: gitCommit(root)};
  return cached;
}

/** Returns the directory holding iosim's package.json (works from src/ and from dist/src/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      const name = (JSON.parse(readFileSync(file, "utf8")) as {name?: string}).name;
      if (name === "iosim") return dir;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error("iosim: cannot find iosim's package.json above " + fileURLToPath(import.meta.url));
    dir = up;
  }
}

function gitCommit(root: string): string | null {
  try {
    const out = execFileSync("git", ["rev-parse", "--show-toplevel", "HEAD"], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 5000,
    });
    const [top, head] = out.trim().split("\n");
    if (!top || !head || !/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(head)) return null;
    return realpathSync(resolve(top)) === realpathSync(root) ? head : null;
  } catch {
    return null;
  }
}
