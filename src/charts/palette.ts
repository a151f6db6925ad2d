/**
 * Colours and axes shared by every iosim chart, so "sendfile" or "cpu-copy"
 * has the same colour in every figure of the report and the notebooks.
 */
import {formatSize} from "../units.js";

/** An ordinal colour scale: the categories in legend order and their colours. */
export interface Palette {
  domain: string[];
  range: string[];
}

/** Colour of each file-transfer strategy. */
export const strategyColors: Record<string, string> = {
  "read-write": "#e15759",
  "mmap-write": "#f28e2b",
  sendfile: "#4e79a7",
  "sendfile-sg": "#59a14f",
};

/** Colour of each CPU category (trace tag), in stacking order: work the user wants last. */
export const categoryColors: Record<string, string> = {
  "cpu-copy": "#e15759",
  "pio-copy": "#f28e2b",
  irq: "#4e79a7",
  ipi: "#d4a6c8",
  driver: "#d37295",
  syscall: "#76b7b2",
  "mode-switch": "#b07aa1",
  "task-switch": "#9c755f",
  user: "#59a14f",
};

/** Colour of each device-read mode. */
export const modeColors: Record<string, string> = {
  pio: "#e15759",
  dma: "#4e79a7",
};

/** Colours for categories no table above knows (Tableau 10, cycled). */
const spare = ["#edc948", "#ff9da7", "#bab0ac", "#17becf", "#bcbd22", "#7f7f7f"];

/**
 * Returns the ordinal colour scale for the *values* present: known values
 * in the order of *known* with their fixed colours, then unknown ones in
 * alphabetical order with spare colours that no known value has (a new
 * category once took lock-wait's colour in the servers' CPU chart).
 */
export function paletteFor(values: Iterable<string>, known: Record<string, string>): Palette {
  const present = new Set(values);
  const domain = Object.keys(known).filter((k) => present.has(k));
  const extra = [...present].filter((v) => !(v in known)).sort();
  const taken = new Set(Object.values(known));
  const free = spare.filter((c) => !taken.has(c));
  const pool = free.length > 0 ? free : spare;
  return {
    domain: [...domain, ...extra],
    range: [...domain.map((k) => known[k]), ...extra.map((_, i) => pool[i % pool.length])],
  };
}

/**
 * Returns at most *max* tick values for a log axis of sizes: the distinct
 * *sizesBytes*, thinned evenly so their labels ("4 KiB", "1 MiB") do not collide.
 */
export function sizeTicks(sizesBytes: Iterable<number>, max = 6): number[] {
  const sorted = [...new Set(sizesBytes)].sort((a, b) => a - b);
  if (sorted.length <= max) return sorted;
  const step = Math.ceil((sorted.length - 1) / (max - 1));
  return sorted.filter((_, i) => i % step === 0);
}

/** Formats a byte count as a tick label ("64 KiB"). */
export const sizeTickFormat = (bytes: number): string => formatSize(bytes);
