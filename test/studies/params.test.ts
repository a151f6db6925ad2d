import {test} from "node:test";
import assert from "node:assert/strict";
import {InputError} from "../../src/errors.js";
import {dmaParamsSchema, dmaStudy} from "../../src/studies/dma.js";
import {pageCacheParamsSchema, pageCacheStudy} from "../../src/studies/pageCache.js";
import {serversParamsSchema, serversStudy} from "../../src/studies/servers.js";
import {zeroCopyParamsSchema, zeroCopyStudy} from "../../src/studies/zeroCopy.js";

test("a study's parameters: an unknown key is an InputError naming the study and listing the keys", () => {
  for (const [run, id, first] of [
    [() => dmaStudy({colour: 1} as never), "dma", "transferSizesBytes"],
    [() => zeroCopyStudy({colour: 1} as never), "zero-copy", "fileSizesBytes"],
    [() => pageCacheStudy({colour: 1} as never), "page-cache", "profile"],
    [() => serversStudy({colour: 1} as never), "servers", "profiles"],
  ] as const) {
    assert.throws(run, (e: unknown) => e instanceof InputError && e.param === `key for study ${id}` && e.value === "colour" && e.expected.startsWith(`one of ${first}, `));
  }
});

test("dmaStudy() takes sizes as text (64KiB) and runs exactly as with bytes", () => {
  const a = dmaStudy({profiles: ["desktop-2008"], transferSizesBytes: ["64KiB"]});
  const b = dmaStudy({profiles: ["desktop-2008"], transferSizesBytes: [65536]});
  assert.deepEqual(a.params.transferSizesBytes, [65536]);
  assert.deepEqual(a.notes, b.notes);
});

test("zeroCopyStudy() puts the strategies in the strategy list's order, read-write first", () => {
  const r = zeroCopyStudy({profiles: ["desktop-2008"], strategies: ["sendfile-sg", "read-write"], fileSizesBytes: [4096], shareSizesBytes: [4096], countsFileBytes: 4096, warmCheck: false});
  assert.deepEqual(r.params.strategies, ["read-write", "sendfile-sg"]);
});

test("every study parameter carries its meaning in the schema (description), so listings and JSON Schema can show it", () => {
  for (const schema of [dmaParamsSchema, zeroCopyParamsSchema, pageCacheParamsSchema, serversParamsSchema]) {
    const missing = Object.entries(schema.shape).filter(([, field]) => !(typeof field.description === "string" && field.description.length > 10)).map(([k]) => k);
    assert.deepEqual(missing, []);
  }
});
