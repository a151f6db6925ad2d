/**
 * Readers: the order in which a process reads a file.
 *
 * A sequential reader is someone reading a novel cover to cover; a random
 * reader is someone looking words up in a dictionary. Readahead bets on the
 * first kind and loses on the second: the offsets these functions return
 * are what the page cache's bet is tested against.
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
 * Returns the offsets of a sequential reader: 0, *readBytes*, 2×*readBytes*...
 * up to the end of a file of *fileBytes* (*passes* times over).
 *
 * ```ts
 * sequentialOffsets(128 * KiB, 32 * KiB); // [0, 32768, 65536, 98304]
 * ```
 * @see randomOffsets
 */
export function sequentialOffsets(fileBytes: number, readBytes: number, passes = 1): number[] {
  checkSizes(fileBytes, readBytes);
  const out: number[] = [];
  for (let pass = 0; pass < passes; pass++) for (let off = 0; off < fileBytes; off += readBytes) out.push(off);
  return out;
}

/**
 * Returns *count* offsets of a random reader: each a uniform draw among the
 * *readBytes*-aligned blocks of a file of *fileBytes* (like a database
 * reading pages of an index), from *random*.
 *
 * ```ts
 * randomOffsets(sim.random, 64 * MiB, 32 * KiB, 2048);
 * ```
 * @see sequentialOffsets
 */
export function randomOffsets(random: Random, fileBytes: number, readBytes: number, count: number): number[] {
  checkSizes(fileBytes, readBytes);
  if (!(Number.isSafeInteger(count) && count >= 0)) throw new InputError("reads", String(count), "an integer ≥ 0");
  const blocks = Math.ceil(fileBytes / readBytes);
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(random.int(blocks) * readBytes);
  return out;
}

/** Returns the offsets of *pattern* over a file: every block once (sequential, *passes* times) or *count* random blocks. */
export function readerOffsets(pattern: ReadPattern, random: Random, fileBytes: number, readBytes: number, count?: number): number[] {
  const blocks = Math.ceil(fileBytes / readBytes);
  return keyword("pattern", pattern, readPatterns) === "sequential"
    ? sequentialOffsets(fileBytes, readBytes)
    : randomOffsets(random, fileBytes, readBytes, count ?? blocks);
}
