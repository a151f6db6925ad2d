/**
 * Commands beyond `list` and `run` (the report, ...), registered here so
 * `--help` and the dispatcher stay in one place.
 */
import type {Args} from "./main.js";
import {reportCommand} from "../report/command.js";

/** A sub-command of `iosim`. */
export interface Command {
  name: string;
  usage: string;
  summary: string;
  run(args: Args): number;
}

/** The extra sub-commands, in `--help` order. */
export const commands: Command[] = [reportCommand];
