/**
 * Units. Time is nanoseconds, sizes are bytes, bandwidth is bytes per ns
 * (= GB/s). Sizes written by people accept plain bytes, binary suffixes
 * (KiB, MiB, GiB, TiB), nginx-style k/m/g (binary, as nginx reads them) and
 * SI KB/MB/GB (decimal).
 */
import {InputError} from "./errors.js";

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

const sizeUnits: Record<string, number> = {
  "": 1, b: 1,
  kib: KiB, mib: MiB, gib: GiB, tib: 1024 * GiB,
  k: KiB, m: MiB, g: GiB,
  kb: 1e3, mb: 1e6, gb: 1e9,
};

/**
 * Returns the byte count written in *text* ("65536", "64KiB", "4m", "1.5 GiB");
 * throws an {@link InputError} naming *param* for a malformed, unknown-unit,
 * negative or (unless *allowZero*) zero size.
 */
export function parseSize(param: string, text: string | number, allowZero = false): number {
  const expected = `a ${allowZero ? "non-negative" : "positive"} size in bytes, optionally with a unit KiB, MiB, GiB, TiB, k, m, g, KB, MB or GB`;
  const m = /^\s*(-?\d+(?:\.\d+)?(?:e\d+)?)\s*([a-zA-Z]*)\s*$/.exec(String(text));
  if (!m) throw new InputError(param, String(text), expected);
  const unit = sizeUnits[m[2].toLowerCase()];
  if (unit === undefined) throw new InputError(param, String(text), `a known unit (KiB, MiB, GiB, TiB, k, m, g, KB, MB, GB), not "${m[2]}"`);
  const bytes = Math.round(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes) || bytes < 0 || (bytes === 0 && !allowZero)) throw new InputError(param, String(text), expected);
  return bytes;
}

/** Returns *bytes* in the largest binary unit that keeps it ≥ 1 ("64 KiB", "1.5 GiB"). */
export function formatSize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

/** Returns *ns* in a readable unit ("85 µs", "1.20 s"). */
export function formatNs(ns: number): string {
  const a = Math.abs(ns);
  if (a >= 1e9) return `${(ns / 1e9).toFixed(2)} s`;
  if (a >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (a >= 1e3) return `${(ns / 1e3).toFixed(1)} µs`;
  return `${ns.toFixed(0)} ns`;
}

const durationUnits: Record<string, number> = {"": 1, ns: 1, us: 1e3, "µs": 1e3, ms: 1e6, s: 1e9};

/**
 * Returns the nanoseconds written in *text* ("250us", "10ms", "1.5s", "0"; a
 * bare number is ns), or *text* itself when it is one of *words* (such as
 * "never"); throws an {@link InputError} naming *param* for anything else,
 * negative durations included.
 */
export function parseDuration<W extends string>(param: string, text: string | number, words: readonly W[] = []): number | W {
  const s = String(text).trim();
  if ((words as readonly string[]).includes(s)) return s as W;
  const expected = `a duration ≥ 0 (ns, or a number with a unit ns, us, µs, ms or s)${words.length ? ` or ${words.join(" or ")}` : ""}`;
  const m = /^(\d+(?:\.\d+)?(?:e\d+)?)\s*(ns|us|µs|ms|s)?$/.exec(s);
  if (!m) throw new InputError(param, String(text), expected);
  const ns = Number(m[1]) * durationUnits[m[2] ?? ""];
  if (!Number.isFinite(ns)) throw new InputError(param, String(text), expected);
  return Math.round(ns);
}
