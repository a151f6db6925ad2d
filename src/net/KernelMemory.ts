/**
 * Kernel memory held by the network stack, by kind, with its peak.
 *
 * A ledger, not an allocator: each request sock, socket and socket buffer
 * budget is written in when the kernel would allocate it and struck out when
 * it would free it, so the peak and the end balance are measured, and a
 * model that leaks shows a balance above its baseline.
 */

/** What the memory is for: network objects, and the tasks (processes, threads, zombies) a server model books. */
export type KernelMemoryKind = "request-sock" | "socket" | "buffers" | "task" | "zombie";

/** Returns an empty ledger of kernel memory. */
export class KernelMemory {
  /** Bytes held now. */
  bytes = 0;
  /** Most bytes held at once. */
  peakBytes = 0;
  /** Bytes held now, by kind. */
  readonly byKind: Record<KernelMemoryKind, number> = {"request-sock": 0, socket: 0, buffers: 0, task: 0, zombie: 0};
  /** Called after each booking (a ledger that sums this one with others keeps its own peak; a free cannot raise one). */
  onChange: (() => void) | null = null;

  /** Books *bytes* of *kind*. */
  add(kind: KernelMemoryKind, bytes: number): void {
    this.byKind[kind] += bytes;
    this.bytes += bytes;
    if (this.bytes > this.peakBytes) this.peakBytes = this.bytes;
    this.onChange?.();
  }

  /** Strikes out *bytes* of *kind*; more than is held is a RangeError (a model's double free). */
  free(kind: KernelMemoryKind, bytes: number): void {
    if (bytes > this.byKind[kind]) throw new RangeError(`freeing ${bytes} bytes of ${kind}, only ${this.byKind[kind]} held`);
    this.byKind[kind] -= bytes;
    this.bytes -= bytes;
  }
}
