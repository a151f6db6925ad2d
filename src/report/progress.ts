/**
 * Progress of `iosim report`, on stderr so stdout stays clean for the
 * report's path. At a terminal a bar (cli-progress) redraws in place; in a
 * log (CI, a pipe, a file) each study gets one short line instead, because
 * a redrawn bar turns into pages of carriage returns there.
 */
import cliProgress from "cli-progress";

/** Where progress goes: a writable stream; `isTTY` chooses bar or lines. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Receives the report's progress: one step per study. */
export interface ReportProgress {
  /** The report starts *total* studies. */
  begin(total: number): void;
  /** Study *index* (0-based) with id *id* starts. */
  start(index: number, id: string): void;
  /** Study *index* finished (run, exported, drawn) after *seconds* of wall-clock time; with worker threads, in the order studies finish. */
  done(index: number, id: string, seconds: number, charts: number): void;
  /** The report is written. */
  end(): void;
}

/** Returns a progress sink that writes nothing. */
export function silentProgress(): ReportProgress {
  return {begin() {}, start() {}, done() {}, end() {}};
}

/**
 * Returns a progress sink on *stream*: a cli-progress bar when
 * `stream.isTTY`, else one line per study as it finishes
 * (`iosim report: 1/2 dma: 0.41 s, 2 charts`, counting the studies done, so
 * studies running at once on worker threads still count 1, 2, 3…).
 */
export function streamProgress(stream: ProgressStream): ReportProgress {
  if (stream.isTTY) return barProgress(stream);
  let total = 0;
  let finished = 0;
  return {
    begin(n) {
      total = n;
      finished = 0;
    },
    start() {},
    done(_index, id, seconds, charts) {
      finished++;
      stream.write(`iosim report: ${finished}/${total} ${id}: ${seconds.toFixed(2)} s, ${charts} ${charts === 1 ? "chart" : "charts"}\n`);
    },
    end() {},
  };
}

function barProgress(stream: ProgressStream): ReportProgress {
  const bar = new cliProgress.SingleBar(
    {
      stream: stream as NodeJS.WritableStream,
      format: "iosim report [{bar}] {value}/{total} studies | {label}",
      hideCursor: true,
      clearOnComplete: false,
      // Redraw on every update rather than on a timer (a serial report keeps this thread busy between updates).
      synchronousUpdate: true,
      noTTYOutput: false,
    },
    cliProgress.Presets.shades_classic,
  );
  // The bar counts studies done; the label names those running (several, on worker threads).
  let finished = 0;
  const running: string[] = [];
  const label = (last?: string) => [...(last ? [last] : []), ...(running.length > 0 ? [`running ${running.join(", ")}`] : [])].join("; ") || "starting";
  return {
    begin(total) {
      finished = 0;
      running.length = 0;
      bar.start(total, 0, {label: "starting"});
    },
    start(_index, id) {
      running.push(id);
      bar.update(finished, {label: label()});
      bar.render();
    },
    done(_index, id, seconds) {
      finished++;
      const at = running.indexOf(id);
      if (at >= 0) running.splice(at, 1);
      bar.update(finished, {label: label(`${id} ${seconds.toFixed(1)} s`)});
      bar.render();
    },
    end() {
      bar.update({label: "done"});
      bar.stop();
    },
  };
}
