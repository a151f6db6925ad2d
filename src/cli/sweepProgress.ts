/**
 * Progress of `iosim sweep`: a bar with the runs done, the failures, the
 * rate and the time left.
 *
 * As with {@link RunProgress}, only on a terminal (stderr is a TTY), redrawn
 * in place at most four times a second, and erased at the end; never on
 * stdout and never into a log. The rate counts only the runs run now, so a
 * resumed sweep does not promise an ETA its journal earned.
 */
import type {SweepProgressInfo} from "../sweep/runSweep.js";
import type {ProgressStream} from "./runProgress.js";

/** Options of {@link SweepProgress}. */
export interface SweepProgressOptions {
  /** Wall-clock milliseconds (default `performance.now`); tests inject a fake clock. */
  nowMs?: () => number;
  /** At most one redraw per this many ms; default 250. */
  intervalMs?: number;
}

/** Returns *seconds* as a short duration: `45 s`, `12 min`, `3.5 h`. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  if (seconds < 90) return `${Math.ceil(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/**
 * Returns the progress line of a sweep after *elapsedMs*:
 * `iosim sweep [#####·····] 412/1000 runs, 3 failed, 52.3 runs/s, ETA 12 s`.
 */
export function formatSweepProgress(info: SweepProgressInfo, elapsedMs: number): string {
  const width = 20;
  const fraction = info.total === 0 ? 1 : info.done / info.total;
  const filled = Math.floor(fraction * width);
  const ran = info.done - info.resumed;
  const rate = elapsedMs > 0 ? (ran / elapsedMs) * 1000 : 0;
  const eta = rate > 0 ? formatEta((info.total - info.done) / rate) : "?";
  return (
    `iosim sweep [${"#".repeat(filled)}${"·".repeat(width - filled)}] ${info.done}/${info.total} runs` +
    `${info.failed > 0 ? `, ${info.failed} failed` : ""}, ${rate.toPrecision(3)} runs/s, ETA ${eta}`
  );
}

/**
 * A throttled progress line for a sweep on *stream*, silent unless
 * `stream.isTTY`.
 *
 * ```ts
 * const progress = new SweepProgress(process.stderr);
 * await runSweep(plan, {out, onProgress: (info) => progress.update(info)});
 * progress.end();
 * ```
 */
export class SweepProgress {
  /** Wall clock, ms. */
  private readonly nowMs: () => number;
  private readonly intervalMs: number;
  /** When the sweep started, ms. */
  private readonly startMs: number;
  /** When the line was last drawn, ms. */
  private lastDrawMs = -Infinity;
  /** Whether a line is on the terminal (to erase at the end). */
  private shown = false;
  /** Whether to draw at all. */
  readonly enabled: boolean;

  constructor(
    private readonly stream: ProgressStream,
    options: SweepProgressOptions = {},
  ) {
    this.nowMs = options.nowMs ?? (() => performance.now());
    this.intervalMs = options.intervalMs ?? 250;
    this.enabled = stream.isTTY === true;
    this.startMs = this.nowMs();
  }

  /** Redraws the line with *info* unless the last redraw is too recent (the last run always draws). */
  update(info: SweepProgressInfo): void {
    if (!this.enabled) return;
    const now = this.nowMs();
    if (now - this.lastDrawMs < this.intervalMs && info.done < info.total) return;
    this.lastDrawMs = now;
    this.shown = true;
    this.stream.write(`\r${formatSweepProgress(info, now - this.startMs)}\x1b[K`);
  }

  /** Erases the line if one was drawn. */
  end(): void {
    if (this.shown) this.stream.write("\r\x1b[K");
    this.shown = false;
  }
}
