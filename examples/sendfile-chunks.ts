/**
 * Your own scenario: sendfile (with a scatter-gather NIC) with two limits on
 * the bytes per call (nginx's `sendfile_max_chunk`), side by side on the
 * same file, machine and seed. Without a limit a program makes one call
 * per file and the kernel loops inside it.
 *
 *   iosim run examples/sendfile-chunks.ts --set fileBytes=64MiB --set chunkA=64KiB --set chunkB=1MiB --format json
 *
 * A scenario is an object with a name, a description, its parameters (each
 * with a kind, a default and a meaning, so `--set` is checked and errors
 * name the parameter) and a `run` that returns what it measured. Every
 * number below is read off the two runs; nothing is computed from the
 * parameters.
 */
import {runTransfer, type ParamValues, type RunContext, type Scenario} from "iosim/scenarios";

function sendfileRun(v: ParamValues, ctx: RunContext, callBytes: number) {
  const {result} = runTransfer({
    strategy: "sendfile-sg",
    fileBytes: v.fileBytes as number,
    chunkBytes: 64 * 1024,
    sendfileCallBytes: callBytes,
    cache: v.cache as "cold" | "warm",
    seed: ctx.seed,
    profile: ctx.profile,
    maxEvents: ctx.maxEvents,
  });
  return result;
}

const scenario: Scenario = {
  name: "sendfile-chunks",
  description: "sendfile with an SG-DMA NIC at two limits of bytes per call (nginx's sendfile_max_chunk) on the same file: time, CPU and system calls of each.",
  params: [
    {name: "fileBytes", kind: "size", default: "16MiB", unit: "bytes", description: "size of the file sent"},
    {name: "chunkA", kind: "size", default: "64KiB", unit: "bytes", description: "first limit of bytes per sendfile call"},
    {name: "chunkB", kind: "size", default: "1MiB", unit: "bytes", description: "second limit of bytes per sendfile call"},
    {name: "cache", kind: "enum", values: ["cold", "warm"], default: "cold", description: "file in the page cache before the run or not"},
  ],
  run(v, ctx) {
    const a = sendfileRun(v, ctx, v.chunkA as number);
    const b = sendfileRun(v, ctx, v.chunkB as number);
    return {
      scenario: "sendfile-chunks",
      profile: ctx.profile.name,
      seed: ctx.seed,
      fileBytes: v.fileBytes,
      chunkA: v.chunkA,
      chunkB: v.chunkB,
      bytesDeliveredA: a.bytesDelivered,
      bytesDeliveredB: b.bytesDelivered,
      elapsedNsA: a.elapsedNs,
      elapsedNsB: b.elapsedNs,
      syscallsA: a.syscalls,
      syscallsB: b.syscalls,
      cpuBusyNsA: a.cpuBusyNs,
      cpuBusyNsB: b.cpuBusyNs,
      /** How many times faster B is than A (above 1: B is faster). */
      speedupBOverA: b.elapsedNs > 0 ? a.elapsedNs / b.elapsedNs : 0,
    };
  },
};

export default scenario;
