import {test} from "node:test";
import assert from "node:assert/strict";
import {InputError} from "../../src/errors.js";
import {optionsHelp, optionValue, parseCommandLine, setPairs, type OptionSpecs} from "../../src/cli/commandLine.js";
import {formatOption, jobsOption, maxEventsOption, seedOption} from "../../src/cli/options.js";
import {defaultMaxEvents} from "../../src/scenarios/scenario.js";

const options = {
  set: {type: "string", multiple: true, expects: "key=value", description: "a parameter"},
  seed: {type: "string", value: "N", description: "the seed"},
  out: {type: "string", once: true, value: "FILE", description: "the output"},
  quick: {type: "boolean", description: "fewer runs"},
  help: {type: "boolean", short: "h", description: "help"},
} satisfies OptionSpecs;

/** Asserts that *fn* throws an InputError whose message is *message*. */
const assertMessage = (fn: () => unknown, message: string) => assert.throws(fn, (e: unknown) => e instanceof InputError && e.message === message);

test("parseCommandLine() reads --flag value, --flag=value, repeats, flags, -h and positionals in order", () => {
  const line = parseCommandLine(["transfer", "--set", "a=1", "--seed=7", "--set=b=2", "-h", "--quick", "extra"], options, "run");
  assert.deepEqual(line.positional, ["transfer", "extra"]);
  assert.deepEqual({...line.values}, {set: ["a=1", "b=2"], seed: "7", help: true, quick: true});
  assert.deepEqual(setPairs(line), [["a", "1"], ["b", "2"]]);
});

test("parseCommandLine() takes a value that starts with a dash as the value (--seed -3), and -- ends the options", () => {
  const line = parseCommandLine(["--seed", "-3", "--", "--quick"], options);
  assert.equal(line.values.seed, "-3");
  assert.deepEqual(line.positional, ["--quick"]);
  assert.equal(line.values.quick, undefined);
});

test("parseCommandLine() names an unknown option, a missing value, a value given to a flag and a repeated once-only option", () => {
  assertMessage(() => parseCommandLine(["--bogus"], options, "sweep"), "invalid option for sweep: --bogus; expected one of --set, --seed, --out, --quick, --help");
  assertMessage(() => parseCommandLine(["-x"], options), "invalid option: -x; expected one of --set, --seed, --out, --quick, --help");
  assertMessage(() => parseCommandLine(["--seed"], options), "invalid --seed: (nothing); expected a value after it");
  assertMessage(() => parseCommandLine(["--set"], options), "invalid --set: (nothing); expected key=value");
  assertMessage(() => parseCommandLine(["--quick=yes"], options), "invalid --quick: --quick=yes; expected no value (it is a flag)");
  assertMessage(() => parseCommandLine(["--out", "a", "--out", "b"], options), "invalid --out: b; expected --out once");
  assertMessage(() => setPairs(parseCommandLine(["--set", "novalue"], options)), "invalid --set: novalue; expected key=value");
});

test("optionValue() parses each shared option by its schema, with its default and its message", () => {
  const line = (...argv: string[]) => parseCommandLine(argv, {seed: options.seed, "max-events": {type: "string", description: ""}, jobs: {type: "string", description: ""}, format: {type: "string", description: ""}});
  assert.equal(optionValue(line(), "seed", seedOption), 0);
  assert.equal(optionValue(line("--seed", "-3"), "seed", seedOption), -3);
  assertMessage(() => optionValue(line("--seed", "1.5"), "seed", seedOption), "invalid --seed: 1.5; expected an integer");
  assert.equal(optionValue(line(), "max-events", maxEventsOption), defaultMaxEvents);
  assert.equal(optionValue(line("--max-events", "1e9"), "max-events", maxEventsOption), 1e9);
  assertMessage(() => optionValue(line("--max-events", "0"), "max-events", maxEventsOption), "invalid --max-events: 0; expected a positive integer (1e9 is fine)");
  assert.equal(optionValue(line(), "jobs", jobsOption), undefined);
  assertMessage(() => optionValue(line("--jobs", "two"), "jobs", jobsOption), "invalid --jobs: two; expected a positive number of worker threads");
  assert.equal(optionValue(line(), "format", formatOption(["table", "json"])), "table");
  assertMessage(() => optionValue(line("--format", "xml"), "format", formatOption(["table", "json"])), "invalid --format: xml; expected one of table, json");
});

test("optionsHelp() prints one aligned line per declared option", () => {
  const lines = optionsHelp(options).trimEnd().split("\n");
  assert.deepEqual(lines.map((l) => l.trim().split(/\s{2,}/)), [
    ["--set VALUE", "a parameter"],
    ["--seed N", "the seed"],
    ["--out FILE", "the output"],
    ["--quick", "fewer runs"],
    ["-h, --help", "help"],
  ]);
  const descriptions = ["a parameter", "the seed", "the output", "fewer runs", "help"];
  assert.equal(new Set(lines.map((l, i) => l.lastIndexOf(descriptions[i]))).size, 1, "descriptions start in one column");
});
