/**
 * The sweep's journal: one line per finished run, appended as runs finish,
 * so an interrupted sweep picks up where it stopped.
 *
 * Like a ship's log kept in ink: each entry is added at the bottom and never
 * rewritten. A line torn by a crash mid-write is the only damage possible,
 * and it is cut off when the journal is reopened; every whole line is a run
 * that need not run again. The final table is written from the journal in
 * one atomic rename, after which the journal is removed.
 *
 * The file is NDJSON beside the output (`results.arrow.partial.ndjson`): a
 * header line naming the sweep (its id, run count and shard), then one row
 * per line. Numbers JSON cannot hold (NaN, ±Infinity, -0) are written as
 * `{"$number": "NaN"}` and read back as numbers, so a resumed row writes the
 * same bytes as one run now.
 */
import {closeSync, existsSync, fsync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync} from "node:fs";
import {InputError} from "../errors.js";
import {sweepFormat} from "./sweepPlan.js";
import type {SweepRow} from "./sweepTable.js";

/** The first line of a journal: which sweep, and which shard of it, the rows belong to. */
export interface JournalHeader {
  format: typeof sweepFormat;
  /** The sweep's id ({@link SweepPlan.id}). */
  id: string;
  /** Runs in the whole sweep. */
  runs: number;
  /** `i/n`, or null for the whole sweep. */
  shard: string | null;
}

/** Options of {@link SweepJournal.open}. */
export interface JournalOptions {
  /** Flush appended rows to disk at most this often, ms; default 200 (0: after every row). */
  fsyncIntervalMs?: number;
  /** Flush at all; default true. */
  fsync?: boolean;
}

/** Returns the journal's path for output *out*. */
export function journalPath(out: string): string {
  return `${out}.partial.ndjson`;
}

/**
 * An append-only journal of finished runs. {@link SweepJournal.open} reads
 * the rows an earlier, interrupted sweep left; {@link SweepJournal.append}
 * adds one row and makes it durable (fsync, grouped: at most one per
 * **fsyncIntervalMs**, so a thousand tiny runs do not wait on a thousand
 * disk flushes; a row written is safe from a crash of the process at once,
 * and from a crash of the machine within that interval plus one flush).
 *
 * The grouped flushes run on libuv's thread pool (`fs.fsync`), not on the
 * main thread: a flush takes milliseconds to tens of milliseconds, and a
 * main thread blocked in it cannot hand the next runs to the workers, which
 * then sit idle (on two cores, a sweep of 1,000 small runs lost a tenth of
 * its wall time that way). {@link SweepJournal.close} flushes synchronously,
 * so every row is on disk when it returns.
 */
export class SweepJournal {
  /** Open file descriptor, appending. */
  private fd: number;
  /** Wall-clock ms of the last fsync. */
  private lastSyncMs = 0;
  /** Rows written since the last fsync. */
  private unsynced = 0;
  /** Whether a background flush is running (then no other starts, and closing the descriptor waits for it). */
  private flushing = false;
  /** Set by {@link close} while a background flush runs: the flush's callback closes the descriptor. */
  private closeAfterFlush = false;
  /** The error of a failed background flush, thrown by the next append or close. */
  private flushError: Error | null = null;

  private constructor(
    readonly path: string,
    fd: number,
    /** Rows found in the journal when it was opened, by run. */
    readonly resumed: Map<number, SweepRow>,
    private readonly options: Required<JournalOptions>,
  ) {
    this.fd = fd;
  }

  /**
   * Opens the journal at *path* for the sweep in *header*: reads the rows
   * of an earlier attempt (cutting off a torn last line), or starts a new
   * journal with the header. Throws an {@link InputError} naming **--out**
   * when the journal belongs to a different sweep or shard.
   */
  static open(path: string, header: JournalHeader, options: JournalOptions = {}): SweepJournal {
    const opts = {fsyncIntervalMs: options.fsyncIntervalMs ?? 200, fsync: options.fsync ?? true};
    const resumed = new Map<number, SweepRow>();
    if (existsSync(path)) {
      const text = readFileSync(path, "utf8");
      let offset = 0;
      let first = true;
      for (;;) {
        const nl = text.indexOf("\n", offset);
        if (nl < 0) break; // a last line without its newline was torn mid-write
        const line = text.slice(offset, nl);
        let value: unknown;
        try {
          value = JSON.parse(line, revive);
        } catch {
          break;
        }
        if (first) {
          const h = value as Partial<JournalHeader>;
          if (h.format !== header.format || h.id !== header.id || h.runs !== header.runs || h.shard !== header.shard) {
            throw new InputError(
              "--out",
              path.replace(/\.partial\.ndjson$/, ""),
              `an output whose journal ${path} is of this sweep (it holds sweep ${String(h.id)}${h.shard ? ` shard ${h.shard}` : ""}, this is ${header.id}${header.shard ? ` shard ${header.shard}` : ""}); delete the journal to start over, or choose another --out`,
            );
          }
          first = false;
        } else {
          const row = value as SweepRow;
          if (typeof row.run === "number") resumed.set(row.run, row);
        }
        offset = nl + 1;
      }
      if (first) {
        // No whole header: another sweep is just starting on this output, or one died in the instant after creating it.
        throw new InputError("--out", path.replace(/\.partial\.ndjson$/, ""), `an output no other iosim sweep is writing (its journal ${path} has no header yet; if no sweep is running, delete the journal)`);
      }
      const fd = openSync(path, "r+");
      // Cut a torn tail so the next row starts on a line of its own.
      if (offset < Buffer.byteLength(text, "utf8")) ftruncateSync(fd, Buffer.byteLength(text.slice(0, offset), "utf8"));
      closeSync(fd);
      return new SweepJournal(path, openSync(path, "a"), resumed, opts);
    }
    let fd: number;
    try {
      // "wx": of two sweeps started at once on the same output, one creates the journal and the other reads its header.
      fd = openSync(path, "wx");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") return SweepJournal.open(path, header, options);
      throw err;
    }
    const journal = new SweepJournal(path, fd, resumed, opts);
    journal.write(JSON.stringify(header) + "\n");
    journal.sync();
    return journal;
  }

  /** Appends *row* as one line; flushes it to disk unless a flush happened within **fsyncIntervalMs**. */
  append(row: SweepRow): void {
    this.throwFlushError();
    this.write(JSON.stringify(row, replace) + "\n");
    this.unsynced++;
    if (performance.now() - this.lastSyncMs >= this.options.fsyncIntervalMs) {
      if (this.options.fsyncIntervalMs === 0) this.sync();
      else this.flushInBackground();
    }
  }

  /** Flushes every appended row to disk, on this thread. */
  sync(): void {
    if (this.fd < 0) return;
    if (this.options.fsync) fsyncSync(this.fd);
    this.unsynced = 0;
    this.lastSyncMs = performance.now();
  }

  /** Starts a flush of the rows appended so far on libuv's thread pool, unless one is running (the next append after it starts another). */
  private flushInBackground(): void {
    if (!this.options.fsync) {
      this.unsynced = 0;
      this.lastSyncMs = performance.now();
      return;
    }
    if (this.flushing) return;
    this.flushing = true;
    this.unsynced = 0;
    this.lastSyncMs = performance.now();
    const fd = this.fd;
    fsync(fd, (err) => {
      this.flushing = false;
      if (err && !this.closeAfterFlush) this.flushError ??= err;
      if (this.closeAfterFlush) closeSync(fd);
    });
  }

  private throwFlushError(): void {
    if (this.flushError) throw this.flushError;
  }

  /** Flushes and closes the journal (idempotent); every row appended is on disk when it returns. */
  close(): void {
    if (this.fd < 0) return;
    if (this.unsynced > 0 || this.flushing) this.sync();
    // A background flush still running holds the descriptor: its callback closes it (never reused under it meanwhile).
    if (this.flushing) this.closeAfterFlush = true;
    else closeSync(this.fd);
    this.fd = -1;
    this.throwFlushError();
  }

  private write(text: string): void {
    const bytes = Buffer.from(text, "utf8");
    let done = 0;
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done);
  }
}

/** JSON replacer: non-finite numbers as `{"$number": "NaN"}`, and -0 as `{"$number": "-0"}` (JSON would write 0). */
function replace(_key: string, value: unknown): unknown {
  if (typeof value !== "number") return value;
  if (!Number.isFinite(value)) return {$number: String(value)};
  return Object.is(value, -0) ? {$number: "-0"} : value;
}

/** JSON reviver: undoes {@link replace}. */
function revive(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    if (typeof o.$number === "string" && Object.keys(o).length === 1) return Number(o.$number);
  }
  return value;
}
