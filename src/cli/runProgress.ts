/**
 * Progress of `iosim run`: a long run says what it is doing.
 *
 * On a terminal (stderr is a TTY), a run that has gone on for about two
 * seconds shows one line on stderr, redrawn in place at most four times a
 * second: the simulated time reached, the scheduler events run, and events
 * per second of wall-clock time. Never on stdout (the results go there) and
 * never when stderr is piped or redirected: a log gets no carriage returns.
 * The line is erased when the run ends, so the terminal shows the results
 * only.
 */
import type {Sim} from "../engine/sim.js";

/** Where progress goes: stderr, or a fake stream in tests. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Options of {@link RunProgress}. */
export interface RunProgressOptions {
  /** Wall-clock milliseconds (default `performance.now`); tests inject a fake clock. */
  nowMs?: () => number;
  /** Quiet for this long after the start, ms; default 2000 (short runs print nothing). */
  delayMs?: number;
  /** At most one redraw per this many ms; default 250. */
  intervalMs?: number;
}

/** Returns *ns* of simulated time as a short text: `850 ns`, `12.3 µs`, `4.56 ms`, `2.35 s`. */
export function formatSimTime(ns: number): string {
  if (ns < 1e3) return `${Math.round(ns)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toPrecision(3)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toPrecision(3)} ms`;
  return `${(ns / 1e9).toPrecision(3)} s`;
}

/** Returns a count as a short text: `950`, `12.3k`, `4.56M`, `1.20G`. */
export function formatCount(n: number): string {
  if (n < 1e3) return String(Math.round(n));
  if (n < 1e6) return `${(n / 1e3).toPrecision(3)}k`;
  if (n < 1e9) return `${(n / 1e6).toPrecision(3)}M`;
  return `${(n / 1e9).toPrecision(3)}G`;
}

/** Returns the progress line: `iosim: simulated 4.56 ms, 12.3M events, 1.20M events/s`. */
export function formatProgress(simNs: number, events: number, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? (events / elapsedMs) * 1000 : 0;
  return `iosim: simulated ${formatSimTime(simNs)}, ${formatCount(events)} events, ${formatCount(rate)} events/s`;
}

/**
 * Returns a throttled progress line on *stream*, silent unless
 * `stream.isTTY`. Call {@link RunProgress.update} as often as you like;
 * it draws only after **delayMs** and then every **intervalMs**.
 *
 * ```ts
 * const progress = new RunProgress(process.stderr);
 * progress.update(sim.scheduler.now(), sim.scheduler.eventsRun);
 * progress.end();
 * ```
 */
export class RunProgress {
  /** Wall clock, ms. */
  private readonly nowMs: () => number;
  private readonly delayMs: number;
  private readonly intervalMs: number;
  /** When the run started, ms. */
  private readonly startMs: number;
  /** When the line was last drawn, ms (-Infinity: never). */
  private lastDrawMs = -Infinity;
  /** Whether a line is on the terminal (to erase at the end). */
  private shown = false;
  /** Whether to draw at all. */
  readonly enabled: boolean;

  constructor(
    private readonly stream: ProgressStream,
    options: RunProgressOptions = {},
  ) {
    this.nowMs = options.nowMs ?? (() => performance.now());
    this.delayMs = options.delayMs ?? 2000;
    this.intervalMs = options.intervalMs ?? 250;
    this.enabled = stream.isTTY === true;
    this.startMs = this.nowMs();
  }

  /** Redraws the line with *simNs* and *events* if the run is long enough and the last redraw old enough. */
  update(simNs: number, events: number): void {
    if (!this.enabled) return;
    const now = this.nowMs();
    const elapsedMs = now - this.startMs;
    if (elapsedMs < this.delayMs || now - this.lastDrawMs < this.intervalMs) return;
    this.lastDrawMs = now;
    this.shown = true;
    // \r back to the start of the line, \x1b[K erase what a longer line left.
    this.stream.write(`\r${formatProgress(simNs, events, elapsedMs)}\x1b[K`);
  }

  /** Erases the line if one was drawn. */
  end(): void {
    if (this.shown) this.stream.write("\r\x1b[K");
    this.shown = false;
  }

  /**
   * Makes *sim* report to this progress line as it runs: every 4096 trace
   * events it offers the simulated time and the scheduler's event count
   * (cheap: the clock is read only then). Returns a function that stops it.
   */
  follow(sim: Sim): () => void {
    if (!this.enabled) return () => {};
    let n = 0;
    return sim.trace.listen(() => {
      if ((++n & 4095) === 0) this.update(sim.scheduler.now(), sim.scheduler.eventsRun);
    });
  }
}
