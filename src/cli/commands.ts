/**
 * Commands beyond `list` and `run` (the report, ...), registered here so
 * `--help` and the dispatcher stay in one place. Each command's code is
 * loaded only when it runs: the report pulls in jsdom and Plot, about a
 * second of start-up that `iosim run` should not pay.
 */
import type {Args} from "./main.js";
import {defaultReportDir} from "../report/defaults.js";

/** A sub-command of `iosim`. */
export interface Command {
  name: string;
  usage: string;
  summary: string;
  /** Runs it; resolves to the exit status. */
  run(args: Args): Promise<number>;
}

/** The extra sub-commands, in `--help` order. */
export const commands: Command[] = [
  {
    name: "report",
    usage: "iosim report [--out DIR] [--png] [--seed N] [--study FILE]",
    summary: `Run every study (or only your own, --study my-study.ts) and write a self-contained HTML report with each chart's data as CSV, JSON and Arrow (default ${defaultReportDir}/).`,
    run: async (args) => (await import("./reportCommand.js")).runReportCommand(args),
  },
  {
    name: "calibrate",
    usage: "iosim calibrate [--out FILE] [--extends PROFILE] [--quick]",
    summary:
      "Measure this Linux machine with small C probes (built with $CC or cc; about a minute, --quick a few seconds) and write a profile " +
      "that extends PROFILE (default server-2024) with the numbers measured, each with its method and spread (default calibrated-profile.json), " +
      "and every measurement to FILE.measurements.json.",
    run: async (args) => (await import("./calibrateCommand.js")).runCalibrateCommand(args),
  },
];
