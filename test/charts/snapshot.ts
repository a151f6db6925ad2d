/**
 * Snapshot files for tests, as Plot's own tests keep them: the expected
 * output lives in `test/output/<name>.<ext>`; a mismatch writes
 * `<name>-changed.<ext>` beside it and fails. A missing snapshot fails on CI
 * (env `CI` set, as `.ci/run`'s host sets it): there a golden that was never
 * committed would otherwise be created on the fly and "pass" against itself.
 * Locally it is created, with a message on stderr saying so (commit it).
 */
import assert from "node:assert/strict";
import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {fileURLToPath} from "node:url";

/** `test/output/` in the source tree (tests run from `dist/test/`). */
export const outputDir = fileURLToPath(new URL("../../../test/output/", import.meta.url));

/** Returns true when the tests run on CI: env `CI` set to anything but "", "0" or "false". */
export function onCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.CI;
  return v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";
}

/** Where snapshots live and whether a missing one fails; defaults: {@link outputDir} and {@link onCI}. */
export interface SnapshotOptions {
  dir?: string;
  ci?: boolean;
}

/**
 * Returns null when *actual* equals the snapshot `<dir>/<name>.<ext>` byte
 * for byte; otherwise writes `<name>-changed.<ext>` and returns a message
 * saying so. A missing snapshot is a failure message on CI; elsewhere it is
 * created (null, and a line on stderr).
 */
export function checkSnapshot(name: string, actual: string, ext = "svg", options: SnapshotOptions = {}): string | null {
  const dir = options.dir ?? outputDir;
  const ci = options.ci ?? onCI();
  const path = join(dir, `${name}.${ext}`);
  const changed = join(dir, `${name}-changed.${ext}`);
  if (!existsSync(path)) {
    if (ci) return `${name}.${ext} has no snapshot in ${dir}: on CI a missing golden fails (run the tests locally to create it, check it, and commit it)`;
    mkdirSync(dir, {recursive: true});
    writeFileSync(path, actual);
    process.stderr.write(`snapshot ${path} was missing and has been created from this run: check it and commit it\n`);
    return null;
  }
  if (readFileSync(path, "utf8") === actual) {
    rmSync(changed, {force: true});
    return null;
  }
  writeFileSync(changed, actual);
  return `${name}.${ext} differs from its snapshot; the new output is in ${changed} (delete ${path} to accept it)`;
}

/** Asserts that *actual* equals the snapshot `test/output/<name>.<ext>` (see {@link checkSnapshot}). */
export function assertSnapshot(name: string, actual: string, ext = "svg", options: SnapshotOptions = {}): void {
  const message = checkSnapshot(name, actual, ext, options);
  if (message) assert.fail(message);
}
