/**
 * File helpers shared by the tests that write real files: temporary folders
 * removed when the test file ends, and a sorted listing of a folder.
 */
import {after} from "node:test";
import {mkdtempSync, readdirSync, rmSync, statSync} from "node:fs";
import {tmpdir} from "node:os";
import {join, relative} from "node:path";

/** Folders made by {@link tempDir} in this test file. */
const made: string[] = [];
after(() => made.forEach((d) => rmSync(d, {recursive: true, force: true})));

/** Returns a new empty folder under the system's temporary folder, removed after the test file. */
export function tempDir(prefix = "iosim-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Returns every file under *dir*, relative to it, sorted. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}
