import {formatSize} from "../units.js";
import {cpuShareChart} from "./cpuShareChart.js";

/** One category of CPU time of one device read. */
export interface DmaCpuShareRow {
  profile: string;
  /** "pio" (CPU-driven) or "dma". */
  mode: string;
  transferBytes: number;
  /** Trace category ("pio-copy", "irq", "user"...). */
  category: string;
  /** Fraction of the CPU's busy time, 0…1. */
  share: number;
}

/** Panel titles of the two modes. */
const modeTitles: Record<string, string> = {pio: "without DMA (CPU-driven, PIO)", dma: "with DMA"};

/**
 * Returns an SVG chart comparing who gets the CPU while a device read runs
 * with and without DMA: one panel per mode (columns) and profile (rows),
 * one stacked bar per transfer size, split by category. Without DMA the
 * CPU's own copying (`pio-copy`) crowds out the background user work
 * (`user`); with DMA the user work keeps nearly all of it.
 *
 * ```ts
 * dmaCpuShareChart(rows, {title: "Who gets the CPU during a disk read"})
 * ```
 * @see cpuShareChart
 */
export function dmaCpuShareChart(rows: readonly DmaCpuShareRow[], options: {title: string; subtitle?: string; caption?: string; widthPx?: number}): string {
  const sizes = [...new Set(rows.map((r) => r.transferBytes))].sort((a, b) => a - b);
  const modes = ["pio", "dma"].filter((m) => rows.some((r) => r.mode === m));
  return cpuShareChart(
    rows.map((r) => ({group: formatSize(r.transferBytes), category: r.category, share: r.share, facetX: modeTitles[r.mode] ?? r.mode, facetY: r.profile})),
    {
      ...options,
      groupLabel: "Transfer size",
      groupOrder: sizes.map(formatSize),
      facetXOrder: modes.map((m) => modeTitles[m] ?? m),
      xLabel: "Share of CPU time (%)",
    },
  );
}
