/**
 * Commands beyond `list` and `run` (report, sweep, merge, calibrate), registered here so
 * `--help` and the dispatcher stay in one place. Each command's code is
 * loaded only when it runs: the report pulls in jsdom and Plot, about a
 * second of start-up that `iosim run` should not pay. Each command reads the
 * words after its name with its own option declaration (see commandLine.ts).
 */
import {defaultReportDir} from "../report/defaults.js";

/** A sub-command of `iosim`. */
export interface Command {
  name: string;
  usage: string;
  summary: string;
  /** Runs it with the words after its name; resolves to the exit status. */
  runArgv(argv: string[]): Promise<number>;
}

/** The extra sub-commands, in `--help` order. */
export const commands: Command[] = [
  {
    name: "report",
    usage: "iosim report [--out DIR] [--png] [--seed N] [--set STUDY.KEY=VALUE ...] [--study FILE] [--calibration FILE]",
    summary: `Run every study (or only your own, --study my-study.ts; with --calibration mine.json also the validation against that machine) and write a self-contained HTML report with each chart's data as CSV, JSON and Arrow (default ${defaultReportDir}/). --set changes one study's parameter (reactor-proactor.whichClients=10,100,1000,10000,100000).`,
    runArgv: async (argv) => (await import("./reportCommand.js")).runReportCommand(argv),
  },
  {
    name: "sweep",
    usage: "iosim sweep <scenario> --vary key=a,b|a..b:xN ... [--set k=v] [--seeds 0..9] [--jobs N] [--shard i/n|auto] (--out FILE.arrow|.csv|.json | --dry-run)",
    summary: "Run a scenario over the cross product of parameter values and seeds on every core, one row per run (iosim sweep --help).",
    runArgv: async (argv) => (await import("./sweepCommand.js")).runSweepCommand(argv),
  },
  {
    name: "merge",
    usage: "iosim merge <shard files ...> --out FILE.arrow|.csv|.json",
    summary: "Join the shards of a sweep (iosim sweep --shard) into one table, checking no run is missing or repeated.",
    runArgv: async (argv) => (await import("./mergeCommand.js")).runMergeCommand(argv),
  },
  {
    name: "calibrate",
    usage: "iosim calibrate [--out FILE] [--extends PROFILE] [--quick]",
    summary:
      "Measure this Linux machine with small C probes (built with $CC or cc; about a minute and a half, --quick a few seconds) and write a profile " +
      "that extends PROFILE (default server-2024) with the numbers measured, each with its method and spread (default calibrated-profile.json), " +
      "and every measurement to FILE.measurements.json.",
    runArgv: async (argv) => (await import("./calibrateCommand.js")).runCalibrateCommand(argv),
  },
  {
    name: "validate",
    usage: "iosim validate [--profile FILE] [--measurements FILE] [--format table|json|csv] [--out FILE]",
    summary:
      "Simulate what iosim calibrate measured with the calibrated profile (default calibrated-profile.json) and print measured beside predicted, " +
      "flagging what falls outside its band (ratios and bandwidths ±25%, elapsed time saved ±10 pp).",
    runArgv: async (argv) => (await import("./validateCommand.js")).runValidateCommand(argv),
  },
];
