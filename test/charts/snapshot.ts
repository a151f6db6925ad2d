/**
 * Snapshot files for tests, as Plot's own tests keep them: the expected
 * output lives in `test/output/<name>.<ext>`; a mismatch writes
 * `<name>-changed.<ext>` beside it and fails; a missing snapshot is
 * created and the test passes (commit it).
 */
import assert from "node:assert/strict";
import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {fileURLToPath} from "node:url";

/** `test/output/` in the source tree (tests run from `dist/test/`). */
export const outputDir = fileURLToPath(new URL("../../../test/output/", import.meta.url));

/**
 * Returns null when *actual* equals the snapshot `test/output/<name>.<ext>`
 * byte for byte (creating the snapshot when it is missing); otherwise
 * writes `<name>-changed.<ext>` and returns a message saying so.
 */
export function checkSnapshot(name: string, actual: string, ext = "svg"): string | null {
  mkdirSync(outputDir, {recursive: true});
  const path = join(outputDir, `${name}.${ext}`);
  const changed = join(outputDir, `${name}-changed.${ext}`);
  if (!existsSync(path)) {
    writeFileSync(path, actual);
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
export function assertSnapshot(name: string, actual: string, ext = "svg"): void {
  const message = checkSnapshot(name, actual, ext);
  if (message) assert.fail(message);
}
