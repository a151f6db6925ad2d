/**
 * The options several commands share (`--seed`, `--profile`, `--max-events`,
 * `--jobs`, `--format`), declared once: their help line, their value's
 * schema (the text given → the value, or the message of what was expected)
 * and their default.
 */
import * as z from "zod";
import {defaultProfileName, profileNames} from "../host/profiles.js";
import {defaultMaxEvents} from "../scenarios/scenario.js";
import type {OptionSpec} from "./commandLine.js";

/** Returns a schema of a number written as text: *valid* decides, *expected* is the message. */
function numberText(expected: string, valid: (text: string, n: number) => boolean) {
  return z.string({error: expected}).transform((text, ctx) => {
    const n = Number(text.trim());
    if (text.trim() === "" || !valid(text, n)) {
      ctx.addIssue({code: "custom", message: expected, input: text});
      return z.NEVER;
    }
    return n;
  });
}

/** `--seed N`: an integer; default 0. */
export const seedOption = numberText("an integer", (text, n) => /^-?\d+$/.test(text.trim()) && Number.isSafeInteger(n)).default(0);

/** `--max-events N`: a positive integer, written plainly or as 1e9; default {@link defaultMaxEvents}. */
export const maxEventsOption = numberText("a positive integer (1e9 is fine)", (_, n) => Number.isSafeInteger(n) && n >= 1).default(defaultMaxEvents);

/** `--jobs N`: worker threads, a positive integer; absent: every core. */
export const jobsOption = numberText("a positive number of worker threads", (_, n) => Number.isSafeInteger(n) && n >= 1).optional();

/** `--format F`: one of *formats*; default the first. */
export function formatOption<const F extends readonly [string, ...string[]]>(formats: F) {
  return z.enum(formats, {error: `one of ${formats.join(", ")}`}).default(formats[0] as F[number] as never);
}

/** `--profile NAME|FILE`: a shipped profile's name or a profile file; checked when loaded. */
export const profileOptionSchema = z.string().default(defaultProfileName);

/** The help line and shape of each shared option. */
export const sharedOptions = {
  seed: {type: "string", value: "N", description: "seed of the simulation, an integer (default 0)"},
  profile: {
    type: "string",
    value: "NAME|FILE",
    get description() {
      return `host profile: ${profileNames().join(", ")} (default ${defaultProfileName}) or a JSON file (data/profiles/profile.schema.json)`;
    },
  },
  "max-events": {type: "string", value: "N", description: `event budget of each run (default ${defaultMaxEvents}; 1e9 is fine)`},
  help: {type: "boolean", short: "h", unlisted: true, description: "print this help"},
} satisfies Record<string, OptionSpec>;
