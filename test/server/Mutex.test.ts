import {test} from "node:test";
import assert from "node:assert/strict";
import {sleep, spawn, type ProcessBody} from "../../src/engine/process.js";
import {createSim} from "../../src/engine/sim.js";
import {Host} from "../../src/host/Host.js";
import {loadProfile} from "../../src/host/profiles.js";
import {ClientPopulation} from "../../src/net/ClientPopulation.js";
import {Listener} from "../../src/net/Listener.js";
import {NetStack} from "../../src/net/NetStack.js";
import {tcpSettings} from "../../src/net/tcpSettings.js";
import {Mutex} from "../../src/server/internal/tasks.js";
import {Server} from "../../src/server/Server.js";

const profile = loadProfile("server-2024");
const {mutexNs, mutexSpinNs, futexNs} = profile.process;
const {modeSwitchNs, syscallNs, idleExitNs = 0} = profile.cpu;

function server(cores: number) {
  const sim = createSim();
  const host = new Host(sim, profile, {cores});
  const listener = new Listener(host, {backlog: 8, settings: tcpSettings()});
  const stack = new NetStack(host);
  const clients = new ClientPopulation(listener, {clients: 0, stack});
  return {sim, host, server: new Server(host, {listener, stack, clients, handler: {requestBytes: 1, cpuNs: 0, responseBytes: 1}})};
}

test("Mutex: a task that finds the lock held spins mutexSpinNs, enters futex_wait (both booked lock-wait), sleeps, and gets the lock from the unlock", () => {
  const {sim, host, server: s} = server(2);
  const m = new Mutex(s);
  const acquiredNs: number[] = [];
  function* holder(): ProcessBody<void> {
    yield* m.lock(2);
    acquiredNs.push(sim.scheduler.now());
    yield sleep(10_000);
    yield* m.unlock();
  }
  function* waiter(): ProcessBody<void> {
    yield sleep(1_000);
    yield* m.lock(3);
    acquiredNs.push(sim.scheduler.now());
    yield* m.unlock();
  }
  spawn(sim, 2, holder).subscribe();
  spawn(sim, 3, waiter).subscribe();
  sim.run();
  // The holder unlocks at mutexNs + 10 µs and wakes the sleeper with a futex_wake system call; the sleeper's core, idle
  // since it slept, leaves its idle state (no IPI: idle cores poll here); the sleeper leaves the kernel and runs the atomic.
  assert.ok(idleExitNs > 0 && profile.cpu.idlePolls);
  const unlockNs = mutexNs + 10_000;
  const wokenNs = unlockNs + 2 * modeSwitchNs + syscallNs + futexNs + idleExitNs;
  assert.deepEqual(acquiredNs, [mutexNs, wokenNs + modeSwitchNs + mutexNs]);
  assert.equal(s.counters.lockContentions, 1);
  assert.equal(s.counters.lockWaitNs, wokenNs + modeSwitchNs - 1_000);
  assert.equal(host.cpu.busyNsByTag.get("lock-wait"), mutexSpinNs + futexNs);
  assert.equal(m.holder, 0);
});

test("Mutex: with no contention nothing is booked as lock-wait", () => {
  const {sim, host, server: s} = server(2);
  const m = new Mutex(s);
  function* user(pid: number, atNs: number): ProcessBody<void> {
    yield sleep(atNs);
    yield* m.lock(pid);
    yield* m.unlock();
  }
  spawn(sim, 2, () => user(2, 0)).subscribe();
  spawn(sim, 3, () => user(3, 1_000)).subscribe();
  sim.run();
  assert.equal(s.counters.lockContentions, 0);
  assert.equal(host.cpu.busyNsByTag.get("lock-wait"), undefined);
  assert.equal(host.cpu.busyNsByTag.get("user"), 2 * mutexNs);
});
