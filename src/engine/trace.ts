/**
 * The trace: what happened, when, to whom.
 *
 * Like a flight recorder: every mode switch, system call, copy, interrupt,
 * cache hit and device transfer the model performs appends one typed event
 * at the virtual time it happened. Every count iosim reports (context
 * switches, copies, system calls, wake-ups...) is a count of these events;
 * nothing is read from a table typed in by hand.
 */

/** What kind of thing happened. */
export type TraceKind =
  /** One user↔kernel mode transition (the seed's "上下文切换"). */
  | "mode-switch"
  /** Entry into a system call; `detail` names it. */
  | "syscall"
  /** A DMA transfer between a device and memory (or device to device); `detail` says from→to. */
  | "dma-copy"
  /** A CPU copy between two memory buffers; `detail` says from→to. */
  | "cpu-copy"
  /** The CPU moving a device buffer word by word (programmed I/O, no DMA). */
  | "pio-copy"
  /** An interrupt handled by a CPU core; `detail` names the device. */
  | "irq"
  /** A switch between processes or threads (far costlier than a mode switch). */
  | "task-switch"
  /** A request served by a device (disk seek+transfer, NIC send). */
  | "device-io"
  /** Page-cache pages found (`bytes` = pages × page size). */
  | "cache-hit"
  /** Page-cache pages missing. */
  | "cache-miss"
  /** A network packet crossing the NIC; `detail` "tx"/"rx" (data) or "tx-ack"/"rx-ack", `bytes` its TCP payload; over loopback "lo" (data) or "lo-ack". */
  | "packet"
  /** A protocol header pushed onto or pulled off an sk_buff (skb_push/skb_pull: no payload moves); `detail` e.g. "push tcp". */
  | "header"
  /** A page fault on a file mapping; `bytes` = the pages it mapped (fault-around) × page size, `detail` e.g. "fault-around". */
  | "page-fault"
  /** A TLB flush after pages were unmapped; `bytes` = the pages flushed × page size, `detail` says how ("local 16 pages, 0 IPIs"). */
  | "tlb-flush"
  /** A wake-up of a blocked task. */
  | "wakeup"
  /**
   * A wake-up IPI, `durationNs` its CPU time: `detail` "taken" on the core the woken task `pid` starts on (in front of
   * it), "sent" on the waking core (`pid` the task running there, or that last ran there; 0 if none).
   */
  | "ipi"
  /** Useful application work on a CPU. */
  | "user"
  /** A request or transfer finished; `durationNs` is its latency. */
  | "done";

/** One thing that happened. */
export interface TraceEvent {
  /** Virtual time the event began, ns. */
  timeNs: number;
  /** What happened. */
  kind: TraceKind;
  /** Simulated process or thread it happened to (0 = kernel/device). */
  pid: number;
  /** How long it took, ns (0 for instants). */
  durationNs: number;
  /** Bytes moved or concerned (0 when none). */
  bytes: number;
  /** A short free-form qualifier: a syscall name, "disk→page-cache"... */
  detail: string;
}

/**
 * Receives every event as it is recorded, as {@link Trace.record}'s
 * arguments (no event object is allocated): a streaming consumer such as a
 * trace file writer or a progress display.
 */
export type TraceListener = (timeNs: number, kind: TraceKind, pid: number, durationNs: number, bytes: number, detail: string) => void;

/**
 * Returns an append-only event log with per-kind counters.
 *
 * With `keepEvents: false` only the counters are kept (large sweeps, the
 * CLI, benchmarks): memory then stays flat however long the run, and counts
 * are still the number of events recorded. Listeners
 * ({@link Trace.listen}) see every event either way, so a run can stream
 * its full trace to disk without holding it.
 */
export class Trace {
  /** Events in the order they were recorded (which is time order). */
  readonly events: TraceEvent[] = [];
  /** Index of each kind seen so far in `counts` and `byteTotals`. */
  private readonly kindSlot = new Map<TraceKind, number>();
  /**
   * Events recorded and bytes recorded, per kind (by `kindSlot`). Typed
   * arrays, not Map values: a running sum past 2^30 stored in a Map is a new
   * heap number per event, and the busiest kinds pass that in seconds.
   */
  private counts = new Float64Array(32);
  private byteTotals = new Float64Array(32);
  /** Who sees each event as it is recorded. */
  private listeners: TraceListener[] = [];

  constructor(readonly keepEvents = true) {}

  /**
   * Whether anything reads an event's `detail` (the events are kept, or
   * someone listens): a detail built per event (a task switch's "12→7")
   * can be left out when not.
   */
  get detailed(): boolean {
    return this.keepEvents || this.listeners.length > 0;
  }

  /** Appends one event. */
  record(timeNs: number, kind: TraceKind, pid: number, durationNs = 0, bytes = 0, detail = ""): void {
    const slot = this.kindSlot.get(kind) ?? this.newSlot(kind);
    this.counts[slot]++;
    if (bytes !== 0) this.byteTotals[slot] += bytes;
    if (this.keepEvents) this.events.push({timeNs, kind, pid, durationNs, bytes, detail});
    const listeners = this.listeners;
    for (let i = 0; i < listeners.length; i++) listeners[i](timeNs, kind, pid, durationNs, bytes, detail);
  }

  /** Gives *kind* its slot in the tallies (growing them if every slot is taken). */
  private newSlot(kind: TraceKind): number {
    const slot = this.kindSlot.size;
    if (slot === this.counts.length) {
      const counts = new Float64Array(slot * 2);
      counts.set(this.counts);
      this.counts = counts;
      const bytes = new Float64Array(slot * 2);
      bytes.set(this.byteTotals);
      this.byteTotals = bytes;
    }
    this.kindSlot.set(kind, slot);
    return slot;
  }

  /**
   * Calls *listener* with every event recorded from now on, in order;
   * returns a function that stops it.
   *
   * ```ts
   * const stop = sim.trace.listen((timeNs, kind) => kind === "irq" && irqs++);
   * ```
   */
  listen(listener: TraceListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** Returns how many events of *kind* were recorded. */
  count(kind: TraceKind): number {
    const slot = this.kindSlot.get(kind);
    return slot === undefined ? 0 : this.counts[slot];
  }

  /** Returns the bytes recorded on events of *kind*. */
  bytes(kind: TraceKind): number {
    const slot = this.kindSlot.get(kind);
    return slot === undefined ? 0 : this.byteTotals[slot];
  }

  /** Returns the recorded events of *kind* (needs `keepEvents`). */
  filter(kind: TraceKind): TraceEvent[] {
    return this.events.filter((e) => e.kind === kind);
  }
}
