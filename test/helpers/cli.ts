/**
 * Runs the real `iosim` command (the compiled dist/src/cli/main.js) in a
 * child process, as a user would: tests of the CLI share these instead of
 * each spawning it its own way.
 */
import {spawn, spawnSync} from "node:child_process";
import {resolve} from "node:path";
import {fileURLToPath} from "node:url";

/** The compiled CLI entry point. */
export const iosimMain = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
/** The repository root (tests run from dist/test/). */
export const repoRoot = resolve(fileURLToPath(new URL("../../..", import.meta.url)));

/** What a run of the CLI left. */
export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `iosim ...args` and waits for it, blocking (for one short run). */
export function iosimSync(...args: string[]): CliRun {
  const r = spawnSync(process.execPath, [iosimMain, ...args], {encoding: "utf8"});
  return {status: r.status, stdout: r.stdout, stderr: r.stderr};
}

/** Runs `iosim ...args` (from *cwd*, default this process's) without blocking, so several runs go side by side. */
export function iosimAsync(args: string[], options: {cwd?: string; env?: NodeJS.ProcessEnv} = {}): Promise<CliRun> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [iosimMain, ...args], {cwd: options.cwd, env: options.env});
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (status) => done({status, stdout, stderr}));
  });
}
