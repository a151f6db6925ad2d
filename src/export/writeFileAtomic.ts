/**
 * Atomic file writes.
 *
 * Think of a shop window: the new display is built in the back room and
 * swapped in whole, so a passer-by sees the old display or the new one, never
 * a half-dressed window. Here the back room is a temporary file in the same
 * directory (so `rename(2)` stays on one file system and is atomic); the swap
 * is the rename. A crash or an error mid-write leaves the previous file, or
 * no file, at the target path, never a truncated one.
 */
import {closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync} from "node:fs";
import {basename, dirname, join} from "node:path";

/** Options for {@link writeFileAtomic}. */
export interface WriteFileAtomicOptions {
  /** Flush the data (and the directory entry) to disk before and after the rename; default true. */
  fsync?: boolean;
  /** File mode of the new file; default 0o644 (less the umask). */
  mode?: number;
}

/** What {@link writeFileAtomic} accepts: text (written as UTF-8), bytes, or a sequence of either. */
export type FileData = string | Uint8Array | Iterable<string | Uint8Array>;

/** Temporary files of this process, numbered so two writes never share a name. */
let tempCounter = 0;

/** A temporary file's name: `.<target>.<pid>.<n>.tmp` (hidden, and ignored by `*.tmp` in .gitignore). */
const tempPattern = /^\.(.+)\.(\d+)\.(\d+)\.tmp$/;

/**
 * Writes *data* to *path* atomically: into a temporary file beside it, then
 * `rename(2)` over the target. Creates the parent directories. On any error
 * the temporary file is removed and the target is left as it was; the error
 * is rethrown. *data* may be an iterable of chunks (a generator), so a large
 * file never has to sit in memory whole; if the iterable throws, nothing
 * reaches *path*.
 *
 * ```ts
 * writeFileAtomic("reports/iosim/index.html", html);
 * ```
 * @see exportStudy
 */
export function writeFileAtomic(path: string, data: FileData, options: WriteFileAtomicOptions = {}): void {
  const file = new AtomicFile(path, options);
  try {
    for (const chunk of chunks(data)) file.write(chunk);
  } catch (err) {
    file.abort();
    throw err;
  }
  file.commit();
}

/**
 * Returns a file being written atomically, chunk by chunk, for data that is
 * produced over time (a trace streamed to disk while the run goes): the
 * bytes go to a temporary file beside *path* as they are written, and only
 * {@link AtomicFile.commit} renames it over *path*. Until then *path* keeps
 * its previous contents (or stays absent); {@link AtomicFile.abort} removes
 * the temporary file. A process killed mid-write leaves a temporary file
 * that {@link removeStaleTempFiles} recognises.
 *
 * ```ts
 * const file = new AtomicFile("trace.csv");
 * try { file.write("a,b\n"); file.commit(); } catch (err) { file.abort(); throw err; }
 * ```
 * @see writeFileAtomic
 */
export class AtomicFile {
  /** Where the bytes go until the commit: `.<target>.<pid>.<n>.tmp` beside the target. */
  readonly tempPath: string;
  /** Bytes written so far. */
  bytesWritten = 0;
  /** Open descriptor of the temporary file (-1 once closed). */
  private fd: number;
  /** Flush before and after the rename. */
  private readonly fsync: boolean;
  /** Whether the rename happened (the temporary file is then the target). */
  private committed = false;

  constructor(
    /** The target path. */
    readonly path: string,
    options: WriteFileAtomicOptions = {},
  ) {
    const {fsync = true, mode = 0o644} = options;
    this.fsync = fsync;
    const dir = dirname(path);
    mkdirSync(dir, {recursive: true});
    this.tempPath = join(dir, `.${basename(path)}.${process.pid}.${++tempCounter}.tmp`);
    // "wx": never follow or reuse an existing file under the temporary name.
    this.fd = openSync(this.tempPath, "wx", mode);
  }

  /** Appends *data* (text is written as UTF-8) to the temporary file. */
  write(data: string | Uint8Array): void {
    if (this.fd < 0) throw new Error(`${this.path}: write after commit or abort`);
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    writeAll(this.fd, bytes);
    this.bytesWritten += bytes.length;
  }

  /** Flushes, closes and renames the temporary file over the target; on failure removes it and rethrows. */
  commit(): void {
    if (this.fd < 0) throw new Error(`${this.path}: commit after commit or abort`);
    try {
      if (this.fsync) fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = -1;
      renameSync(this.tempPath, this.path);
      this.committed = true;
    } catch (err) {
      this.abort();
      throw err;
    }
    // Make the rename itself durable; some file systems refuse to fsync a directory.
    if (this.fsync) syncDirectory(dirname(this.path));
  }

  /** Closes and removes the temporary file, leaving the target as it was; safe to call twice or after a commit. */
  abort(): void {
    if (this.committed) return;
    if (this.fd >= 0) {
      try {
        closeSync(this.fd);
      } catch {
        // Already unusable: removing the file is all that is left to do.
      }
      this.fd = -1;
    }
    rmSync(this.tempPath, {force: true});
  }
}

/**
 * Removes temporary files that {@link writeFileAtomic} left in *dir* when a
 * process died mid-write (its pid no longer runs); returns their names.
 * Files of live processes are left alone. With *target*, only the temporary
 * files of that file name are considered.
 */
export function removeStaleTempFiles(dir: string, target?: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names.sort()) {
    const m = tempPattern.exec(name);
    if (!m || (target !== undefined && m[1] !== target)) continue;
    const pid = Number(m[2]);
    if (pid === process.pid || isAlive(pid)) continue;
    rmSync(join(dir, name), {force: true});
    removed.push(name);
  }
  return removed;
}

function* chunks(data: FileData): Iterable<Uint8Array> {
  if (typeof data === "string") yield Buffer.from(data, "utf8");
  else if (data instanceof Uint8Array) yield data;
  else for (const c of data) yield typeof c === "string" ? Buffer.from(c, "utf8") : c;
}

function writeAll(fd: number, bytes: Uint8Array): void {
  // writeSync may write fewer bytes than asked; loop until all are out.
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}

function syncDirectory(dir: string): void {
  let fd = -1;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // Not supported here (e.g. some network or Windows file systems): the rename is still atomic.
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
