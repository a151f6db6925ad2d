/**
 * mmap + write: share the page cache with the process instead of copying.
 *
 * As programs write it, mmap(2) maps the whole file once; each write(2)
 * then hands the socket a slice of the mapping, and the kernel copies it
 * from the mapped page-cache pages into the socket's send buffer, whose
 * skbs leave by DMA to the NIC (or over loopback). The first touch of a
 * page not yet in the process's page tables is a page fault, taken inside
 * write's copy from user memory; the fault maps the page and its
 * neighbours already in the page cache (fault-around, 16 pages); the copy's
 * first access to each newly mapped page then misses the TLB and walks the
 * page tables (`memory.tlbMissNs`); munmap(2) at the end clears every mapped
 * page's entry and flushes the TLB. Per chunk: two mode switches, one system
 * call, one CPU copy; per file, the mmap and munmap calls, one fault per 16
 * pages, one TLB miss per page, one TLB flush.
 *
 * With **mapping** "chunk" (the seed's model) each chunk is mapped, written
 * and unmapped on its own: mmap, write and munmap per chunk.
 */
import type {OperatorFunction} from "rxjs";
import {use, type ProcessBody} from "../engine/process.js";
import type {Host} from "../host/Host.js";
import {keyword} from "../errors.js";
import {bufferedRead} from "../kernel/bufferedRead.js";
import type {FileRef} from "../mm/pageCache.js";
import {syscall} from "../kernel/syscall.js";
import {transferOperator, type FileRequest, type Transfer, type TransferOptions, type TransferRecipe} from "./internal/transferCore.js";
import type {SocketSink} from "./internal/socketPath.js";

/** How the program maps the file: all of it once (as programs do), or one mapping per chunk (the seed's model). */
export const mmapMappings = ["file", "chunk"] as const;
export type MmapMapping = (typeof mmapMappings)[number];

/**
 * Pages one read fault maps: fault_around_pages = 65536 >> PAGE_SHIFT in
 * mm/memory.c (the default of /sys/kernel/debug/fault_around_bytes, 64 KiB),
 * 16 pages of 4 KiB. do_read_fault() calls do_fault_around() when
 * should_fault_around() allows it (the file's vm_ops has map_pages, as every
 * page-cache file's does: filemap_map_pages), which maps the pages of the
 * aligned 16-page window around the faulting address, clamped to the VMA and
 * the PTE table, that are already in the page cache.
 */
export const faultAroundBytes = 64 * 1024;

/**
 * Most pages flush_tlb_mm_range() invalidates one by one:
 * tlb_single_page_flush_ceiling = 33 in arch/x86/mm/tlb.c; above it the
 * whole TLB is flushed.
 */
export const tlbSinglePageFlushCeiling = 33;

/** Options for the {@link mmapWrite} strategy. */
export interface MmapWriteOptions extends TransferOptions {
  /** "file" (default): one mapping of the whole range; "chunk": map, write and unmap each chunk. */
  mapping?: MmapMapping;
}

/** One mapping of the file range [*firstByte*, *endByte*): which pages it has mapped so far (a sequential writer maps them in order). */
class Mapping {
  /** First file page of the mapping (mmap's offset is page-aligned). */
  readonly firstPage: number;
  /** One past the last file page. */
  readonly endPage: number;
  /** Pages mapped so far: [firstPage, mappedEnd). */
  mappedEnd: number;
  /** Pages mapped in all, for munmap. */
  mappedPages = 0;
  /** Pages the copies have touched so far: [firstPage, touchedEnd). */
  touchedEnd: number;

  constructor(pageBytes: number, firstByte: number, endByte: number) {
    this.firstPage = Math.floor(firstByte / pageBytes);
    this.endPage = Math.ceil(endByte / pageBytes);
    this.mappedEnd = this.firstPage;
    this.touchedEnd = this.firstPage;
  }
}

/** Returns a process body for mmap(2) of [*firstByte*, *endByte*) of *file*: a new VMA, no page mapped yet (the pages are mapped by faults). */
function* mmapCall(host: Host, firstByte: number, endByte: number): ProcessBody<Mapping> {
  yield* syscall(host, "mmap");
  return new Mapping(host.profile.memory.pageBytes, firstByte, endByte);
}

/**
 * Returns a process body, run inside write(2)'s copy from the mapping, that
 * takes the page faults of the bytes [*offsetBytes*, +*bytes*): for each
 * page not yet mapped, one fault (the profile's `memory.pageFaultNs`) that
 * makes the aligned fault-around window resident in the page cache (its
 * look-up, and a disk read on a miss) and maps all of its pages
 * (`memory.faultMapPageNs` each); traced as "page-fault" with the window's
 * bytes and the fault's own CPU time. The mapping is assumed to start on a 64 KiB-aligned address, so
 * windows are aligned on the file's 16-page boundaries from the mapping's
 * first page. Returns the number of faults.
 */
function* faultIn(host: Host, file: FileRef, map: Mapping, offsetBytes: number, bytes: number, pid: number): ProcessBody<number> {
  const mem = host.profile.memory;
  const pageBytes = mem.pageBytes;
  const windowPages = Math.max(1, Math.floor(faultAroundBytes / pageBytes));
  const lastPage = Math.floor((offsetBytes + bytes - 1) / pageBytes);
  let faults = 0;
  while (map.mappedEnd <= lastPage) {
    const p = Math.max(map.mappedEnd, Math.floor(offsetBytes / pageBytes));
    // The window around p: ALIGN_DOWN(pte_off, nr_pages), clamped to the VMA (do_fault_around in mm/memory.c).
    const from = Math.max(map.firstPage, map.firstPage + Math.floor((p - map.firstPage) / windowPages) * windowPages);
    const to = Math.min(map.endPage, from + windowPages);
    const pages = to - from;
    // Traced as it starts, with the fault's own CPU time (the look-up and any disk read are booked apart).
    host.sim.trace.record(host.sim.scheduler.now(), "page-fault", pid, mem.pageFaultNs + pages * mem.faultMapPageNs, pages * pageBytes, "fault-around");
    yield use(host.cpu, mem.pageFaultNs, "page-fault", null, 0, "do_read_fault");
    // The pages must be in the page cache to be mapped: filemap_map_pages looks them up; a missing one is read (filemap_fault).
    const fileEnd = Math.min(file.sizeBytes, to * pageBytes);
    if (fileEnd > from * pageBytes) yield* bufferedRead(host, file, from * pageBytes, fileEnd - from * pageBytes, pid);
    if (mem.faultMapPageNs > 0) yield use(host.cpu, pages * mem.faultMapPageNs, "page-fault", null, 0, "filemap_map_pages");
    map.mappedPages += pages;
    map.mappedEnd = to;
    faults++;
  }
  return faults;
}

/**
 * Returns a process body for munmap(2) of *map*: zap_pte_range clears each
 * mapped page's entry (`memory.unmapPageNs` per page, booked "munmap"), then
 * flush_tlb_mm_range invalidates them on this core, page by page up to
 * {@link tlbSinglePageFlushCeiling} pages (`memory.tlbFlushPageNs` each),
 * else the whole TLB (`memory.tlbFlushAllNs`), booked and traced as
 * "tlb-flush". Shootdown IPIs go only to other cores in the mm's cpumask,
 * cores running other threads of this process: the strategies' processes
 * are single-threaded, so none are sent.
 */
function* munmapCall(host: Host, map: Mapping, pid: number): ProcessBody<void> {
  const mem = host.profile.memory;
  yield* syscall(host, "munmap", function* () {
    const pages = map.mappedPages;
    if (pages === 0) return;
    if (mem.unmapPageNs > 0) yield use(host.cpu, pages * mem.unmapPageNs, "munmap", null, 0, "zap_pte_range");
    const perPage = pages <= tlbSinglePageFlushCeiling;
    const flushNs = perPage ? pages * mem.tlbFlushPageNs : mem.tlbFlushAllNs;
    host.sim.trace.record(host.sim.scheduler.now(), "tlb-flush", pid, flushNs, pages * mem.pageBytes, `${perPage ? `local ${pages} pages` : "local full"}, 0 IPIs`);
    if (flushNs > 0) yield use(host.cpu, flushNs, "tlb-flush", null, 0, "flush_tlb_mm_range");
  });
}

/**
 * Returns a process body that books the TLB misses of a copy reading
 * [*offsetBytes*, +*bytes*) of *map*: each page touched for the first time
 * since it was mapped has no TLB entry (the fault that mapped it, or
 * fault-around, filled a PTE, not the TLB), so the access walks the page
 * tables (`memory.tlbMissNs` per page, booked "tlb-miss"). Pages touched
 * again stay in the TLB (a 64 KiB write touches 16 pages; an L2 TLB holds
 * over a thousand). On a guest with shadow page tables (no EPT/NPT) the
 * miss also exits to the hypervisor to fill the shadow entry, which
 * `iosim calibrate` measures as a much larger number.
 */
function* touchPages(host: Host, map: Mapping, offsetBytes: number, bytes: number): ProcessBody<void> {
  const mem = host.profile.memory;
  const lastPage = Math.floor((offsetBytes + bytes - 1) / mem.pageBytes);
  const from = Math.max(map.touchedEnd, Math.floor(offsetBytes / mem.pageBytes));
  if (lastPage < from) return;
  map.touchedEnd = lastPage + 1;
  const missNs = mem.tlbMissNs ?? 0;
  if (missNs > 0) yield use(host.cpu, (lastPage + 1 - from) * missNs, "tlb-miss", null, 0, "page walk");
}

/** Returns a process body for one write(2) of [*offsetBytes*, +*bytes*) of *map* to *sink*: the faults of its pages and the TLB misses of their first touch, then the copy from the mapped pages into the send buffer. */
function* writeFromMapping(host: Host, file: FileRef, map: Mapping, offsetBytes: number, bytes: number, pid: number, sink: SocketSink): ProcessBody<void> {
  yield* syscall(host, "write", function* () {
    yield* faultIn(host, file, map, offsetBytes, bytes, pid);
    yield* touchPages(host, map, offsetBytes, bytes);
    yield* sink.write(bytes, {copyFrom: "page-cache", fileBytes: file.sizeBytes});
  });
}

/** Returns the transfer recipe of mmap + write with *mapping*; its result is the number of write calls. */
export function mmapWriteRecipe(mapping: MmapMapping = "file"): TransferRecipe {
  return function* (host, file, first, end, chunkBytes, pid, sink): ProcessBody<number> {
    let chunks = 0;
    if (end <= first) return 0;
    if (mapping === "file") {
      const map = yield* mmapCall(host, first, end);
      for (let off = first; off < end; off += chunkBytes) {
        yield* writeFromMapping(host, file, map, off, Math.min(chunkBytes, end - off), pid, sink);
        chunks++;
      }
      yield* munmapCall(host, map, pid);
      return chunks;
    }
    for (let off = first; off < end; off += chunkBytes) {
      const n = Math.min(chunkBytes, end - off);
      const map = yield* mmapCall(host, off, off + n);
      yield* writeFromMapping(host, file, map, off, n, pid, sink);
      yield* munmapCall(host, map, pid);
      chunks++;
    }
    return chunks;
  };
}

/** Returns *mapping* checked: "file" or "chunk" (default "file"); anything else is an InputError naming mmapMapping. */
export function checkMmapMapping(mapping: string = "file"): MmapMapping {
  return keyword("mmapMapping", mapping, mmapMappings);
}

/**
 * Returns an operator that serves each file request with mmap(2) + write(2):
 * one mapping of the whole file (**mapping** "file", the default) or one per
 * chunk ("chunk"), one write of **chunkBytes** (default 64 KiB) at a time,
 * page faults with fault-around as the writes touch the mapping, and
 * munmap(2) with its TLB flush.
 *
 * ```ts
 * requests$.pipe(mmapWrite(host, {mapping: "file"}))
 * ```
 * @see readWrite @see sendfile
 */
export function mmapWrite(host: Host, options: MmapWriteOptions = {}): OperatorFunction<FileRequest, Transfer> {
  return transferOperator(host, options, mmapWriteRecipe(checkMmapMapping(options.mapping)));
}
