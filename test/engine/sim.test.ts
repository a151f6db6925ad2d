import {test} from "node:test";
import assert from "node:assert/strict";
import {mergeMap, range} from "rxjs";
import {Resource} from "../../src/engine/Resource.js";
import {sleep, spawn, use} from "../../src/engine/process.js";
import {createSim} from "../../src/engine/sim.js";
import {loadProfile} from "../../src/host/profiles.js";
import {runTransfer} from "../../src/scenarios/transfer.js";

/** A small random model: 30 clients arrive with exponential gaps and use a 2-core CPU and a disk for random times. */
function randomModel(seed: number) {
  const sim = createSim({seed});
  const cpu = new Resource(sim, "cpu", 2);
  const disk = new Resource(sim, "disk", 1);
  const {random} = sim;
  let arrivalNs = 0;
  range(0, 30)
    .pipe(
      mergeMap((i) => {
        arrivalNs += random.exponential(1000);
        const at = arrivalNs;
        const cpuNs = Math.round(random.exponential(300));
        const diskNs = Math.round(random.exponential(800));
        return spawn(sim, i + 1, function* () {
          yield sleep(at - sim.scheduler.now());
          yield use(cpu, cpuNs, "user", "user");
          yield use(disk, diskNs, "io", "device-io", 4096, "disk");
          yield use(cpu, cpuNs, "user", "user");
        });
      }),
    )
    .subscribe();
  sim.run();
  return sim.trace.events;
}

test("createSim({seed}) gives the identical trace for the same seed", () => {
  const a = randomModel(1);
  assert.equal(a.length, 90);
  assert.deepEqual(randomModel(1), a);
});

test("createSim({seed}) gives a different trace for a different seed where the model draws random numbers", () => {
  assert.notDeepEqual(randomModel(2), randomModel(1));
});

test("runTransfer() gives the identical trace for the same seed and parameters", () => {
  const profile = loadProfile("server-2024");
  const run = () => runTransfer({strategy: "read-write", fileBytes: 256 * 1024, chunkBytes: 64 * 1024, cache: "cold", files: 2, seed: 3, profile}).sim.trace.events;
  const a = run();
  assert.ok(a.length > 50);
  assert.deepEqual(run(), a);
});

test("createSim() keeps no state between simulations", () => {
  const a = createSim({seed: 4});
  const first = a.random.next();
  timerLike(a);
  const b = createSim({seed: 4});
  assert.equal(b.random.next(), first);
  assert.equal(b.scheduler.now(), 0);
  assert.equal(b.trace.events.length, 0);
});

function timerLike(sim: ReturnType<typeof createSim>) {
  sim.scheduler.post(100, () => sim.trace.record(sim.scheduler.now(), "user", 1));
  sim.run();
}

test("createSim({keepEvents: false}) keeps counts but no events", () => {
  const sim = createSim({keepEvents: false});
  sim.trace.record(0, "syscall", 1, 10, 0, "read");
  sim.trace.record(5, "cpu-copy", 1, 10, 4096, "a→b");
  assert.equal(sim.trace.count("syscall"), 1);
  assert.equal(sim.trace.bytes("cpu-copy"), 4096);
  assert.equal(sim.trace.events.length, 0);
});

test("createSim({maxEvents}).run() stops a runaway model", () => {
  const sim = createSim({maxEvents: 1000});
  const tick = () => sim.scheduler.post(1, tick);
  tick();
  assert.throws(() => sim.run(), /maxEvents=1000/);
});
