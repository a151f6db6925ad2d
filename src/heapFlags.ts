/**
 * The size of V8's young generation that iosim runs with.
 *
 * A big network run keeps many mid-life objects: a request's signal and
 * continuation, packets and jobs in flight, timers. They outlive V8's
 * default 16 MiB semi-space (at 100,000 clients one fills in about 50,000
 * events), so every scavenge copies them again and promotes most of them.
 * A scavenge costs what survives, and the survivors are about the same at
 * any semi-space size (what is in flight at that moment), so a larger one
 * means fewer scavenges for the same work: measured on `iosim run server
 * --set clients=100000` (thread per connection), 330 scavenges and 4.2 s
 * of pauses at 16 MiB, 87 and 2.2 s at 64 MiB; wall time 7–15% lower in
 * alternating runs (`node --trace-gc`). Small runs never grow the young
 * generation that far, so they pay nothing.
 *
 * The flag can only be given when a process starts (V8 sizes its heap
 * then; `v8.setFlagsFromString` later has no effect), so it is given where
 * iosim starts one: the `iosim` command's first line, `npm start` and `npm
 * run bench` in package.json, and every worker thread (`resourceLimits`).
 * A test keeps those in step with the numbers here.
 */

/** V8's `--max-semi-space-size`, MiB. */
export const SEMI_SPACE_MB = 64;

/**
 * A worker thread's `resourceLimits.maxYoungGenerationSizeMb`: V8's young
 * generation is two semi-spaces and a new large-object space of the same
 * size, so three times {@link SEMI_SPACE_MB}.
 */
export const YOUNG_GENERATION_MB = 3 * SEMI_SPACE_MB;

/** The `resourceLimits` every worker thread of iosim is started with. */
export const workerResourceLimits = {maxYoungGenerationSizeMb: YOUNG_GENERATION_MB} as const;
