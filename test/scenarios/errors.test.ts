import {test} from "node:test";
import assert from "node:assert/strict";
import {loadProfile} from "../../src/host/profiles.js";
import {resolveParams, scenarios} from "../../src/scenarios/index.js";

// A profile that passed no validation (built in code, not loaded): a NaN system-call cost. Every scenario's
// processes then fail on their first system call, and every scenario must report that the same way: its
// run() throws the process's error (it used to return NaN busy times, or results cut short).
const broken = structuredClone(loadProfile("server-2024"));
broken.cpu.syscallNs = NaN;

for (const scenario of scenarios) {
  test(`scenario ${scenario.name}: an error inside a process makes run() throw it`, () => {
    const values = resolveParams(scenario, scenario.name === "largefile" ? [["durationNs", "2000000"]] : []);
    assert.throws(() => scenario.run(values, {seed: 0, profile: broken}), {name: "RangeError", message: "invalid ns: NaN; expected a finite number of ns ≥ 0"});
  });
}
