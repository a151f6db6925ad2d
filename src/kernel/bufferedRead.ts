/**
 * The buffered read path: what happens in the kernel between "read(fd, ...)"
 * and data sitting in the page cache.
 */
import {wait, type ProcessBody} from "../engine/process.js";
import type {Host} from "../host/Host.js";
import type {CacheReadPlan, FileRef} from "./pageCache.js";

/**
 * Returns a process body that makes [*offsetBytes*, +*bytes*) of *file*
 * resident in the host's page cache: it looks the pages up, records the hits
 * and misses in the trace, starts one disk→page-cache DMA per missing run
 * (readahead included) and waits for their interrupts. Its result is the
 * cache's plan. Copies out of the cache are the caller's business.
 */
export function* bufferedRead(host: Host, file: FileRef, offsetBytes: number, bytes: number, pid = 0): ProcessBody<CacheReadPlan> {
  const cache = host.pageCache;
  const plan = cache.read(file, offsetBytes, bytes);
  const {trace, scheduler} = host.sim;
  const pageBytes = cache.pageBytes;
  if (plan.hitPages > 0) trace.record(scheduler.now(), "cache-hit", pid, 0, plan.hitPages * pageBytes, file.id);
  if (plan.missPages > 0) trace.record(scheduler.now(), "cache-miss", pid, 0, plan.missPages * pageBytes, file.id);
  const signals = plan.diskRuns.map((run) => {
    const start = run.firstPage * pageBytes;
    const runBytes = Math.min(run.pages * pageBytes, file.sizeBytes - start);
    return host.diskDma(file.id, start, runBytes, "disk→page-cache", pid);
  });
  for (const s of signals) yield wait(s);
  return plan;
}
