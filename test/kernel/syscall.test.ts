import {test} from "node:test";
import assert from "node:assert/strict";
import {createSim} from "../../src/engine/sim.js";
import {sleep, spawn, type ProcessBody} from "../../src/engine/process.js";
import {Host} from "../../src/host/Host.js";
import {loadProfile} from "../../src/host/profiles.js";
import {nullSyscall, sleepOn, syscall} from "../../src/kernel/syscall.js";
import {Signal} from "../../src/engine/process.js";

const profile = loadProfile("server-2024");

/** The body of a call: 1 µs asleep, then its result. */
function* work(result: number): ProcessBody<number> {
  yield sleep(1_000);
  return result;
}

/** Runs syscall(host, "read", body) as one process; returns its result, the virtual time it ended and the trace's kinds in order. */
function run(body: (() => ProcessBody<number>) | ProcessBody<number>) {
  const sim = createSim();
  const host = new Host(sim, profile);
  let result = -1;
  spawn(sim, 1, () => syscall(host, "read", body)).subscribe((r) => (result = r));
  sim.run();
  return {result, endNs: sim.scheduler.now(), kinds: sim.trace.events.map((e) => `${e.kind}:${e.detail}`)};
}

test("syscall() runs a body given as a generator exactly as one given as a function: mode switch, entry, the body, mode switch back", () => {
  const thunk = run(() => work(42));
  const generator = run(work(42));
  assert.deepEqual(generator, thunk);
  assert.equal(thunk.result, 42);
  assert.deepEqual(thunk.kinds, ["mode-switch:user→kernel", "syscall:read", "mode-switch:kernel→user"]);
  assert.equal(thunk.endNs, 2 * profile.cpu.modeSwitchNs + profile.cpu.syscallNs + 1_000);
});

test("syscall() does not start a body given as a generator before the call's entry work", () => {
  const sim = createSim();
  const host = new Host(sim, profile);
  let startedNs = -1;
  function* body(): ProcessBody<void> {
    startedNs = sim.scheduler.now();
  }
  spawn(sim, 1, () => syscall(host, "getpid", body())).subscribe();
  sim.run();
  assert.equal(startedNs, profile.cpu.modeSwitchNs + profile.cpu.syscallNs);
});

test("sleepOn(signal) inside syscall() sleeps until the signal fires and returns its value", () => {
  const sim = createSim();
  const host = new Host(sim, profile);
  const bell = new Signal<string>();
  let got = "";
  spawn(sim, 1, () => syscall(host, "futex", sleepOn(bell))).subscribe((v) => (got = v));
  sim.scheduler.post(50_000, () => bell.fire("rung"));
  sim.run();
  assert.equal(got, "rung");
  assert.equal(sim.scheduler.now(), 50_000 + profile.cpu.modeSwitchNs);
});

test("nullSyscall() is the two mode switches and no entry work (getppid: no descriptor, no arguments to check)", () => {
  const sim = createSim();
  const host = new Host(sim, profile);
  spawn(sim, 1, () => nullSyscall(host)).subscribe();
  sim.run();
  assert.deepEqual(
    sim.trace.events.map((e) => `${e.kind}:${e.detail}`),
    ["mode-switch:user→kernel", "mode-switch:kernel→user"],
  );
  assert.equal(sim.scheduler.now(), 2 * profile.cpu.modeSwitchNs);
});
