/**
 * Readers: the order in which a process reads a file.
 *
 * A sequential reader is someone reading a novel cover to cover; a random
 * reader is someone looking words up in a dictionary. Readahead bets on the
 * first kind and loses on the second: the offsets these functions return
 * are what the page cache's bet is tested against.
 *
 * The offsets are generated lazily (generators), one read at a time, so a
 * reader of a 1 TiB file one byte at a time holds no array of 2^40 offsets:
 * memory does not grow with the number of reads.
 */
import type {Random} from "../engine/random.js";
import {InputError, keyword} from "../errors.js";

/** How a reader walks a file. */
export type ReadPattern = "sequential" | "random";
/** The read patterns, for parameter checks. */
export const readPatterns: readonly ReadPattern[] = ["sequential", "random"];

function checkSizes(fileBytes: number, readBytes: number): void {
  if (!(Number.isSafeInteger(fileBytes) && fileBytes > 0)) throw new InputError("fileBytes", String(fileBytes), "a positive integer number of bytes");
  if (!(Number.isSafeInteger(readBytes) && readBytes > 0)) throw new InputError("readBytes", String(readBytes), "a positive integer number of bytes");
}

/**
 * Returns the offsets of a sequential reader, lazily: 0, *readBytes*,
 * 2×*readBytes*... up to the end of a file of *fileBytes* (*passes* times
 * over). Sizes are checked at the call, not at the first read.
 *
 * ```ts
 * [...sequentialOffsets(128 * KiB, 32 * KiB)]; // [0, 32768, 65536, 98304]
 * ```
 * @see randomOffsets
 */
export function sequentialOffsets(fileBytes: number, readBytes: number, passes = 1): Iterable<number> {
  checkSizes(fileBytes, readBytes);
  return (function* () {
    for (let pass = 0; pass < passes; pass++) for (let off = 0; off < fileBytes; off += readBytes) yield off;
  })();
}

/**
 * Returns *count* offsets of a random reader, lazily: each a uniform draw
 * among the *readBytes*-aligned blocks of a file of *fileBytes* (like a
 * database reading pages of an index), from *random*, drawn when the reader
 * asks for it (the same sequence as drawing them all up front, since
 * *random* serves nobody else).
 *
 * ```ts
 * randomOffsets(sim.random.fork(), 64 * MiB, 32 * KiB, 2048);
 * ```
 * @see sequentialOffsets
 */
export function randomOffsets(random: Random, fileBytes: number, readBytes: number, count: number): Iterable<number> {
  checkSizes(fileBytes, readBytes);
  if (!(Number.isSafeInteger(count) && count >= 0)) throw new InputError("reads", String(count), "an integer ≥ 0");
  const blocks = Math.ceil(fileBytes / readBytes);
  return (function* () {
    for (let i = 0; i < count; i++) yield random.int(blocks) * readBytes;
  })();
}

/** Returns how many reads *pattern* makes over a file: every block once (sequential) or *count* (random; default every block). */
export function readerCount(pattern: ReadPattern, fileBytes: number, readBytes: number, count?: number): number {
  const blocks = Math.ceil(fileBytes / readBytes);
  return keyword("pattern", pattern, readPatterns) === "sequential" ? blocks : (count ?? blocks);
}

/** Returns the offsets of *pattern* over a file, lazily: every block once (sequential) or *count* random blocks (default as many as the file has). */
export function readerOffsets(pattern: ReadPattern, random: Random, fileBytes: number, readBytes: number, count?: number): Iterable<number> {
  const blocks = Math.ceil(fileBytes / readBytes);
  return keyword("pattern", pattern, readPatterns) === "sequential"
    ? sequentialOffsets(fileBytes, readBytes)
    : randomOffsets(random, fileBytes, readBytes, count ?? blocks);
}
