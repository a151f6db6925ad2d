/**
 * Host profiles: the costs of one machine, as data.
 *
 * A profile is a spec sheet: how many cores, how long a mode switch or an
 * interrupt takes, how fast memory copies, what the disks and the NIC do.
 * The shipped ones live in `data/profiles/*.json`, each number with its
 * source in the `sources` map beside it. A profile file may start from a
 * shipped one with `"extends": "server-2024"` and override a few numbers.
 * Every profile is validated when loaded against {@link profileSchema}: an
 * unknown key or a bad value is an {@link InputError} naming the field. The
 * same schema is exported as `data/profiles/profile.schema.json`, so an
 * editor checks a profile file as it is written.
 */
import {existsSync, readdirSync, readFileSync} from "node:fs";
import {fileURLToPath} from "node:url";
import * as z from "zod";
import {InputError} from "../errors.js";
import {parseInput} from "../params/parseInput.js";

/** A leaf of the profile schema: its check, with what was expected as the message, and its meaning. */
const leaf = {
  positive: (doc: string) => z.number({error: "a number > 0"}).gt(0, {error: "a number > 0"}).describe(doc),
  nonNegative: (doc: string) => z.number({error: "a number ≥ 0"}).min(0, {error: "a number ≥ 0"}).describe(doc),
  positiveInteger: (doc: string) => z.number({error: "an integer > 0"}).int({error: "an integer > 0"}).gt(0, {error: "an integer > 0"}).describe(doc),
  boolean: (doc: string) => z.boolean({error: "true or false"}).describe(doc),
  string: (doc: string) => z.string({error: "a string"}).describe(doc),
};

/** Returns a curve of the profile: at least one *pair* (`[x, y]`), in increasing *x*, named *along* in the error (`size`, `idle time`). */
function curve(x: z.ZodNumber, y: z.ZodNumber, pair: string, along: string) {
  return z
    .array(z.tuple([x, y], {error: `one ${pair} pair`}), {error: `an array of ${pair} pairs`})
    .min(1, {error: `at least one ${pair} pair`})
    .refine((pts) => pts.every((pt, i) => i === 0 || pt[0] > pts[i - 1][0]), {error: `${pair} pairs in increasing ${along}`});
}

/** Returns a section of the profile: every key required, or (in a file that `extends` a shipped profile) every key optional, at every depth. */
function section<T extends z.ZodRawShape>(shape: T, partial: boolean, doc?: string) {
  const fields = partial ? Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, (v as z.ZodType).optional()])) : shape;
  const obj = z.strictObject(fields, {error: "an object"});
  return (doc ? obj.describe(doc) : obj) as z.ZodObject<T, z.core.$strict>;
}

/** Returns the shape of a profile; *partial*: the overrides of a file that extends a shipped one. */
function profileShape(partial: boolean) {
  const disk = () =>
    section(
      {
        latencyNs: leaf.nonNegative("Time to first byte of a request (rotational latency or flash read), ns."),
        bytesPerNs: leaf.positive("Sustained transfer rate, bytes per ns (= GB/s)."),
        seekNs: leaf.nonNegative("Added when a request does not continue where the previous one ended, ns."),
        controllerBufferBytes: leaf.positiveInteger("Controller buffer drained by the CPU per interrupt under programmed I/O, bytes."),
        pioBytesPerNs: leaf.positive("Rate at which the CPU moves data word by word under programmed I/O, bytes per ns."),
        parallelism: leaf.positiveInteger("Requests the medium serves at once (flash channels and dies; 1 for a disk's single head assembly)."),
        queueDepth: leaf.positiveInteger("Requests the host may have outstanding on the device (NVMe queue entries, SATA NCQ tags)."),
        maxRequestBytes: leaf
          .positiveInteger(
            "Largest request the block layer sends the device, bytes (the queue's max_sectors_kb): a longer page-cache read (a big readahead window) is split into requests of at most this, each completing on its own. Absent: never split.",
          )
          .optional(),
      },
      partial,
      "One disk: a fixed latency, a transfer rate and, for spinning disks, a seek; how many requests it serves at once.",
    );
  return {
    name: leaf.string("The profile's name, shown in results."),
    description: leaf.string("What machine it describes."),
    cpu: section(
      {
        cores: leaf.positiveInteger("CPU cores."),
        modeSwitchNs: leaf.nonNegative("One user↔kernel transition, ns."),
        syscallNs: leaf.nonNegative("Kernel work to enter and dispatch a system call, excluding copies, ns."),
        irqNs: leaf.nonNegative("Handling one interrupt, ns."),
        taskSwitchNs: leaf.nonNegative("Switching a core from one process or thread to another, ns."),
        ipiNs: leaf.nonNegative("A core taking the inter-processor interrupt of a wake-up sent from another core (reschedule or call-function IPI: entry, handler, exit), ns."),
        ipiSendNs: leaf
          .nonNegative("The waking core sending that IPI: try_to_wake_up()'s remote path and the APIC write (on most virtual machines a VM exit), ns. Absent: 0.")
          .optional(),
        idlePolls: leaf.boolean("Whether an idle core watches its need-resched flag (mwait or poll idle, TIF_POLLING_NRFLAG set), so that waking a task onto it needs no IPI; false when idle is HLT (most virtual machines)."),
        idleExitNs: leaf
          .nonNegative("Time an idle core takes to leave its idle state before it runs what arrived (the state's exit latency: a C-state, or HLT through the hypervisor on a virtual machine), ns; not busy time. Absent: 0.")
          .optional(),
        idleExitCurve: curve(leaf.positive("How long the core was idle, ns."), leaf.nonNegative("Its exit latency after that long, ns."), "[idleNs, exitNs]", "idle time")
          .optional()
          .describe(
            "Idle exit latency against how long the core was idle: [idleNs, exitNs] points in increasing idle time, interpolated linearly in log2(idle) between points and flat beyond the ends; when present it replaces idleExitNs (a virtual machine's halted vCPU comes back faster after a short halt, which the host still polls, than after a long one). Absent: idleExitNs for every idle.",
          ),
        idleResidencyNs: leaf
          .nonNegative("How long a core must have been idle to be in that state (its target residency; shorter idles poll and pay no exit), ns. Absent: 0.")
          .optional(),
        baseSliceNs: leaf.positive("The scheduler's base time slice before Linux scales it by the number of CPUs, ns (see timeSliceNs)."),
      },
      partial,
    ),
    memory: section(
      {
        copyBytesPerNs: leaf.positive("CPU memcpy rate of a copy that streams from memory, bytes per ns: copies out of the page cache and into or out of socket buffers, and every copy when the profile has no copyCurve (see copyNs)."),
        copyFromMemoryBytesPerNs: leaf
          .positive(
            "CPU copy rate between memory and a buffer that stays in a cache, bytes per ns: read(2) copying page-cache pages into a reused user buffer, recv(2) copying socket-buffer pages into one (copies into socket buffers stream at copyBytesPerNs). Only one side streams from memory (the kernel copies page by page, with rep movsb on x86-64), so it is faster than copyBytesPerNs, where both do; a copy larger than the caches gets no more than copyCurve's rate at its size. Absent: copyBytesPerNs (see copyNs).",
          )
          .optional(),
        copyCurve: curve(leaf.positive("Copy size, bytes."), leaf.positive("memcpy rate at that size, bytes per ns."), "[bytes, bytesPerNs]", "size")
          .optional()
          .describe(
            "memcpy rate against the copy's size: [bytes, bytesPerNs] points in increasing size (in-cache sizes fast, sizes beyond the last cache at memory speed); a copy's rate is interpolated linearly in log2(size) between points and flat beyond the ends (see copyNs).",
          ),
        pageCacheCopyCurve: curve(leaf.positive("The file's size, bytes."), leaf.positive("Rate of a copy out of its warm page-cache pages into a cached buffer, bytes per ns."), "[fileBytes, bytesPerNs]", "file size")
          .optional()
          .describe(
            "One-sided copy rate out of a warm file's page-cache pages against the file's size: [fileBytes, bytesPerNs] points in increasing size. A file read pass after pass that fits in the caches is still there from its last pass; a larger one streams from memory. Used for every copy out of page-cache pages (read(2), mmap + write's and non-SG sendfile's copy into a loopback socket, a loopback reader's copy of sendfile's page fragments), interpolated linearly in log2(size) between points and flat beyond the ends; iosim calibrate measures it at each file size its probes use. Absent: copyFromMemoryBytesPerNs at every size (see pageCacheCopyBytesPerNs).",
          ),
        pageBytes: leaf.positiveInteger("Page size, bytes."),
        pageCacheBytes: leaf.positiveInteger("Memory available to the page cache, bytes."),
        fileReadCallNs: leaf
          .nonNegative(
            "Kernel work of one read(2) of a regular file through the page cache beyond a short descriptor call's entry (cpu.syscallNs) and the per-page look-ups: filemap_read's set-up and exit, the file position lock, file_accessed and fsnotify_access, per call, ns. Absent: 0 (iosim calibrate measures it).",
          )
          .optional(),
        pageLookupNs: leaf.nonNegative("Finding one page in the page cache (filemap_get_read_batch's xarray walk and folio reference, per page), CPU time, ns."),
        splicePageNs: leaf
          .nonNegative(
            "Per page that splice (sendfile's internal pipe) takes from the page cache: filemap_splice_read()'s batched folio look-up and the pipe buffer with its page reference, taken and dropped, CPU time, ns; iosim calibrate times it as sendfile(2) of a warm file to /dev/null. Absent: memory.pageLookupNs.",
          )
          .optional(),
        pageFaultNs: leaf.nonNegative("One page fault on a file mapping beyond the pages it maps: exception entry and exit, handle_mm_fault's walk to the PTE table, do_read_fault, ns."),
        faultMapPageNs: leaf.nonNegative("Mapping one page-cache page in a fault (filemap_map_pages: folio reference, rmap, set_pte), per page, ns."),
        unmapPageNs: leaf.nonNegative("Unmapping one mapped page in munmap (zap_pte_range: clear the PTE, rmap, drop the reference), per page, ns."),
        tlbMissNs: leaf
          .nonNegative(
            "The first access to a page after it was mapped into a process (an mmap'd file's page touched by write's copy): a TLB miss and the hardware page walk, per page, ns; on a guest with shadow page tables it includes the exit to the hypervisor that fills the shadow entry. Absent: 0.",
          )
          .optional(),
        tlbFlushPageNs: leaf.nonNegative("Invalidating one page's TLB entry on the local core (invlpg), ns; flush_tlb_mm_range flushes page by page up to 33 pages."),
        tlbFlushAllNs: leaf.nonNegative("Flushing the local core's whole TLB (CR3 reload), ns; used when a flush covers more than 33 pages."),
      },
      partial,
    ),
    dma: section(
      {
        setupNs: leaf.nonNegative("The driver programming one device request (descriptor + doorbell), CPU time on a core, ns."),
        bytesPerNs: leaf.positive("DMA engine (bus) rate, bytes per ns."),
      },
      partial,
    ),
    disks: section({ssd: disk(), hdd: disk()}, partial),
    nic: section(
      {
        bytesPerNs: leaf.positive("Line rate, bytes per ns."),
        scatterGather: leaf.boolean("Whether the NIC can gather from several buffers in one DMA (SG-DMA)."),
        checksumOffload: leaf.boolean("Whether the NIC computes TCP/IP checksums on transmit (NETIF_F_HW_CSUM / NETIF_F_IP_CSUM); without it the CPU sums every byte sent."),
      },
      partial,
    ),
    net: section(
      {
        synNs: leaf.nonNegative("Softirq CPU time to process one SYN on a listening socket (tcp_v4_rcv → tcp_conn_request: look-up, request sock, SYN-ACK), ns."),
        ackNs: leaf.nonNegative("Softirq CPU time to process the handshake's final ACK (tcp_check_req → tcp_v4_syn_recv_sock: clone the child socket, hash it, queue it), ns."),
        acceptNs: leaf.nonNegative("Kernel work of accept(2) beyond the system-call entry (fd allocation, inet_csk_accept, the socket's file), ns."),
        requestSockBytes: leaf.positiveInteger("Kernel memory of one half-open request (struct tcp_request_sock), bytes."),
        socketBytes: leaf.positiveInteger("Kernel memory of one connected socket's objects (struct tcp_sock, socket inode, file, dentry), bytes."),
        rmemBytes: leaf.positiveInteger("Default receive buffer of a TCP socket, net.ipv4.tcp_rmem[1], bytes."),
        wmemBytes: leaf.positiveInteger("Default send buffer of a TCP socket, net.ipv4.tcp_wmem[1], bytes."),
        rmemMaxBytes: leaf
          .positiveInteger("Largest receive buffer the receiver's autotuning (DRS, tcp_rcv_space_adjust) may reach, net.ipv4.tcp_rmem[2], bytes; it also sets the window scale. Absent: 32 MiB, Linux 6.18's on a machine with enough memory.")
          .optional(),
        advWinScale: leaf
          .positiveInteger(
            "net.ipv4.tcp_adv_win_scale of a kernel before Linux 6.6: a receive buffer of b bytes allows a window of b − b / 2^advWinScale (tcp_win_from_space()), the rest reserved for the skbs' overhead (2 until Linux 3.4, then 1). Absent: Linux 6.6's rule, b × scaling_ratio / 256 with the ratio measured from the received skbs' truesize.",
          )
          .optional(),
        txSegmentNs: leaf.nonNegative("Transmit protocol work per skb handed to the device (tcp_transmit_skb → ip_queue_xmit → dev_queue_xmit), excluding the copy and the driver's descriptor, ns."),
        rxPacketNs: leaf.nonNegative("Receive work per wire packet in the NAPI poll (driver skb build, eth_type_trans, GRO), ns."),
        rxSegmentNs: leaf.nonNegative("Receive protocol work per skb after GRO (ip_rcv → tcp_v4_rcv), also per incoming ACK, ns."),
        wmemMaxBytes: leaf.positiveInteger("Largest send buffer autotuning may reach, net.ipv4.tcp_wmem[2], bytes."),
        sndbufInitSegments: leaf
          .positiveInteger("Worst-case skbs of one MSS each the send buffer is sized for when a connection is established (tcp_init_buffer_space → tcp_sndbuf_expand: the congestion control's factor × max(TCP_INIT_CWND, cwnd)); the buffer becomes that many times one skb's worst-case truesize, between tcp_wmem[1] and tcp_wmem[2]. Absent: the buffer starts at tcp_wmem[1].")
          .optional(),
        sendFragReuse: leaf
          .boolean(
            "Whether tcp_sendmsg writes into a page frag that starts over once every skb on it is freed (skb_page_frag_refill(), Linux 3.7 and later), so that over loopback, where the reader frees the skbs as it copies out, the sender's copies cycle through its send buffer and stay cached (see loopbackSendCopyBytesPerNs). False: a fresh page for each page filled (Linux 2.6's sk_stream_alloc_page()), so those copies stream. Absent: true.",
          )
          .optional(),
        skbAllocNs: leaf.nonNegative("Allocating one skb for sending (tcp_stream_alloc_skb → alloc_skb_fclone, memory accounting) and freeing it once acknowledged, CPU time, ns."),
        pageRefNs: leaf.nonNegative("One page fragment of a zero-copy skb: the page reference taken when splice hands it to TCP (skb_splice_from_iter → get_page) and dropped when the ACK frees the skb (put_page), with the fragment's set-up, ns."),
        checksumBytesPerNs: leaf.positive("Software checksum rate (csum_partial) when the NIC does not offload checksums, bytes per ns."),
      },
      partial,
      "The TCP stack's costs: CPU time per handshake step, kernel memory per connection.",
    ),
    multiplex: section(
      {
        pollFdNs: leaf.nonNegative("Kernel work per watched descriptor in one pass of select or poll (fdget, vfs_poll → tcp_poll, fdput), ns."),
        pollWaitNs: leaf.nonNegative("Registering and later removing a wait-queue entry on one descriptor when select or poll sleeps (__pollwait, poll_freewait), ns."),
        userFdNs: leaf.nonNegative("User-space work per descriptor per pass over the application's set or array (FD_SET, FD_ISSET, a revents test), ns."),
        epollCtlNs: leaf.nonNegative("Kernel work of one epoll_ctl beyond system-call entry and the tree walk (epitem, wait-queue hook), ns."),
        epollTreeLevelNs: leaf.nonNegative("One level of epoll's red-black tree of registered descriptors, ns (a call walks ⌈log2(n + 1)⌉ levels)."),
        epollCallbackNs: leaf.nonNegative("ep_poll_callback: a readiness change putting an item on the ready list, in softirq, ns."),
        epollEventNs: leaf.nonNegative("ep_send_events per item taken off the ready list (re-poll, event written out, LT re-queue), ns."),
      },
      partial,
      "I/O multiplexing: what select(2), poll(2) and epoll cost per descriptor, per call and per event (see src/multiplex).",
    ),
    uring: section(
      {
        sqeNs: leaf.nonNegative("Kernel work per submission-queue entry: reading the SQE, preparing and issuing the request, posting its CQE (what a NOP costs), ns."),
        pollArmNs: leaf.nonNegative("Arming the internal poll of a request that would block on a socket or pipe (io_arm_poll_handler) and its firing when the file becomes ready, ns."),
      },
      partial,
      "io_uring's costs beyond the io_uring_enter system call and each operation's own work (copies, device).",
    ),
    process: section(
      {
        forkNs: leaf.nonNegative("fork(2) in the parent: copy_process with copy-on-write page tables, ns."),
        exitNs: leaf.nonNegative("exit(2) of a forked child: tearing down its mm, files and signals, ns."),
        waitNs: leaf.nonNegative("wait4(2) reaping one zombie, beyond system-call entry, ns."),
        threadCreateNs: leaf.nonNegative("pthread_create(3) in the creating thread (stack mapping, clone), ns."),
        threadExitNs: leaf.nonNegative("A detached thread's exit, ns."),
        processRssBytes: leaf.positiveInteger("Private resident memory of one forked child (pages it dirties), bytes."),
        processKernelBytes: leaf.positiveInteger("Kernel memory of one process (task_struct, kernel stack, mm, page tables...), bytes."),
        threadKernelBytes: leaf.positiveInteger("Kernel memory of one thread (task_struct and kernel stack), bytes."),
        zombieKernelBytes: leaf.positiveInteger("Kernel memory a zombie keeps until its parent waits for it, bytes."),
        stackVirtualBytes: leaf.positiveInteger("Virtual size of a thread's stack (RLIMIT_STACK's default), bytes."),
        stackRssBytes: leaf.positiveInteger("Resident part of a thread's stack (pages touched), bytes."),
        mutexNs: leaf.nonNegative("Uncontended mutex lock + unlock, ns."),
        mutexSpinNs: leaf.nonNegative("How long a contended lock spins on its core before sleeping, ns."),
        futexNs: leaf.nonNegative("Kernel work of one futex(2) wait or wake beyond system-call entry, ns."),
      },
      partial,
      "Processes and threads: creation and exit costs, memory per task, locks (the server models' prices).",
    ),
    sources: z.record(z.string(), z.string(), {error: "an object of strings"}).describe("Where each number comes from, keyed by dotted path (cpu.cores)."),
  };
}

/**
 * The schema of a profile, the one place its fields, their checks and their
 * meaning are written: {@link parseProfile} validates with it, the
 * {@link Profile} type is inferred from it, and
 * `data/profiles/profile.schema.json` is generated from it
 * ({@link profileJsonSchema}).
 */
export const profileSchema = z.strictObject(profileShape(false), {error: "a JSON object"});

/** A machine's costs (inferred from {@link profileSchema}). */
export type Profile = z.output<typeof profileSchema>;

/** One disk of a {@link Profile}. */
export type DiskProfile = Profile["disks"]["ssd"];

/** Returns the schema of a profile *file*: a whole profile, or `extends` a shipped one and overrides any fields; either may name its JSON Schema in `$schema`. */
export function profileFileSchema() {
  const $schema = z.string().optional().describe("The JSON Schema of this file, for editors (data/profiles/profile.schema.json).");
  const names = profileNames() as [string, ...string[]];
  const whole = z.strictObject({$schema, ...profileShape(false)}).describe("A whole profile: every field given.");
  const overrides = z
    .strictObject({
      $schema,
      extends: z.enum(names).describe("The shipped profile this file starts from; the fields below override its numbers."),
      ...Object.fromEntries(Object.entries(profileShape(true)).map(([k, v]) => [k, (v as z.ZodType).optional()])),
    })
    .describe("A profile that extends a shipped one and overrides a few fields.");
  return z.union([overrides, whole]).meta({
    title: "iosim host profile",
    description:
      "The costs of one machine for iosim (the shipped ones are data/profiles/*.json): cores, mode switches, interrupts, copies, disks, NIC, TCP stack. Each number's source goes in sources under its dotted path.",
  });
}

/**
 * Returns the JSON Schema (draft 7, which editors read) of a profile file,
 * generated from {@link profileSchema}; `data/profiles/profile.schema.json`
 * is this text, and a test checks that the committed file is current.
 */
export function profileJsonSchemaText(): string {
  const schema = z.toJSONSchema(profileFileSchema(), {target: "draft-7"});
  return JSON.stringify(schema, null, 2) + "\n";
}

/** Folder of the shipped profiles. */
export const profilesDir = fileURLToPath(new URL("../../../data/profiles/", import.meta.url));

/** Returns the names of the shipped profiles. */
export function profileNames(): string[] {
  return readdirSync(profilesDir)
    .filter((f) => f.endsWith(".json") && !f.endsWith(".schema.json"))
    .map((f) => f.slice(0, -5))
    .sort();
}

/** The profile used when none is named. */
export const defaultProfileName = "server-2024";

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {...base};
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      v && typeof v === "object" && !Array.isArray(v) && b && typeof b === "object" && !Array.isArray(b)
        ? deepMerge(b as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/**
 * Returns a validated profile from a plain object; *where* names it in errors.
 * An `extends` key starts from that shipped profile.
 */
export function parseProfile(raw: unknown, where = "profile"): Profile {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new InputError(where, JSON.stringify(raw) ?? String(raw), "a JSON object");
  let obj = raw as Record<string, unknown>;
  if ("extends" in obj) {
    const {extends: parent, ...rest} = obj;
    if (typeof parent !== "string" || !profileNames().includes(parent))
      throw new InputError(`${where} extends`, JSON.stringify(parent), `one of ${profileNames().join(", ")}`);
    const base = JSON.parse(readFileSync(`${profilesDir}${parent}.json`, "utf8")) as Record<string, unknown>;
    obj = deepMerge(base, {sources: {}, ...rest});
    // A file that sets the streaming copy rate but no curve means copies at that rate: the parent's curve would silently override it.
    const memory = rest.memory as Record<string, unknown> | undefined;
    if (memory && "copyBytesPerNs" in memory && !("copyCurve" in memory)) delete (obj.memory as Record<string, unknown>).copyCurve;
    // Likewise its rate from memory into a cached buffer, which would otherwise cap copies the file made faster.
    if (memory && "copyBytesPerNs" in memory && !("copyFromMemoryBytesPerNs" in memory)) delete (obj.memory as Record<string, unknown>).copyFromMemoryBytesPerNs;
    // And a rate out of page-cache pages set without a curve by file size: the parent's curve would take its place.
    if (memory && ("copyBytesPerNs" in memory || "copyFromMemoryBytesPerNs" in memory) && !("pageCacheCopyCurve" in memory)) delete (obj.memory as Record<string, unknown>).pageCacheCopyCurve;
    if (!("name" in rest)) obj.name = `${parent}+${where}`;
  }
  // $schema only points editors at the JSON Schema: not part of the profile.
  if ("$schema" in obj) {
    const {$schema: _ignored, ...rest} = obj;
    obj = rest;
  }
  // A source that is not a string: name the map, as the numbers are checked against it.
  const sources = obj.sources;
  if (sources !== null && typeof sources === "object" && !Array.isArray(sources) && Object.values(sources).some((v) => typeof v !== "string"))
    throw new InputError(`${where} sources`, JSON.stringify(sources), "an object of strings");
  parseInput(profileSchema, obj, {where, quoteStrings: true});
  // The object as written, not zod's copy: the same key order as before, so a sweep's id (a hash of its profile) does not change.
  return obj as Profile;
}

/**
 * Returns the profile called *nameOrFile*: a shipped name (`server-2024`,
 * `desktop-2008`) or the path of a JSON file.
 */
export function loadProfile(nameOrFile: string = defaultProfileName): Profile {
  const names = profileNames();
  if (names.includes(nameOrFile)) return parseProfile(JSON.parse(readFileSync(`${profilesDir}${nameOrFile}.json`, "utf8")), `profile ${nameOrFile}`);
  if (!/[\\/.]/.test(nameOrFile) || !existsSync(nameOrFile))
    throw new InputError("profile", nameOrFile, `one of ${names.join(", ")} or the path of a profile JSON file`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(nameOrFile, "utf8"));
  } catch (err) {
    throw new InputError("profile", nameOrFile, `a readable JSON file (${(err as Error).message.split("\n")[0]})`);
  }
  return parseProfile(raw, `profile ${nameOrFile}`);
}

/**
 * Returns the time slice of a task on *cores* CPUs, ns: the profile's base
 * slice times Linux's CPU-count factor 1 + ilog2(min(cores, 8)) (the default
 * SCHED_TUNABLESCALING_LOG of get_update_sysctl_factor() in
 * kernel/sched/fair.c, applied by update_sysctl()).
 */
export function timeSliceNs(profile: Profile, cores: number): number {
  return profile.cpu.baseSliceNs * (1 + Math.floor(Math.log2(Math.min(cores, 8))));
}

/**
 * Returns the CPU time of one memcpy of *bytes*, ns, on *profile*: from its
 * `memory.copyCurve` at the size of the memory the copy streams through,
 * max(*bytes*, *streamBytes*) (the rate interpolated linearly in log2(size)
 * between the two points around it, flat before the first point and after
 * the last), or at `memory.copyBytesPerNs` when the profile has no curve. A
 * copy that fits in a cache is faster than one that streams from memory.
 * When *streamBytes* is {@link fromMemory} (one side streams from memory,
 * the other is a buffer of *bytes*), at {@link fromMemoryBytesPerNs}; when
 * it is {@link intoSocketBuffer}, at `memory.copyBytesPerNs`.
 *
 * ```ts
 * copyNs(profile, 64 * 1024) // a 64 KiB buffer copied at the curve's rate for 64 KiB
 * copyNs(profile, 64 * 1024, fromMemory) // 64 KiB out of the page cache into a 64 KiB user buffer
 * ```
 */
export function copyNs(profile: Profile, bytes: number, streamBytes = bytes): number {
  if (!(bytes > 0)) return 0;
  return bytes / (streamBytes === fromMemory ? fromMemoryBytesPerNs(profile, bytes) : copyBytesPerNsAt(profile, Math.max(bytes, streamBytes)));
}

/**
 * The *streamBytes* of a copy out of memory not in this core's caches into
 * a buffer that stays cached (see {@link copyNs}): a file's pages in the
 * page cache, read once, or socket-buffer pages that another core wrote,
 * copied into a user buffer. Such a copy runs at
 * {@link fromMemoryBytesPerNs}.
 */
export const fromMemory = Number.POSITIVE_INFINITY;

/**
 * The *streamBytes* of a copy into socket-buffer pages (see {@link copyNs}):
 * fresh pages, written here and read next by the NIC or another core, so
 * the writes allocate lines and send them back to memory; such a copy runs
 * at `memory.copyBytesPerNs`, the streaming rate, whatever its size.
 */
export const intoSocketBuffer = Number.MAX_VALUE;

/**
 * Returns the rate of tcp_sendmsg's copy into a loopback socket's skbs,
 * bytes per ns. It copies into the task's page frag with ordinary cached
 * stores: skb_copy_to_page_nocache() copies without caching only on a
 * device with NETIF_F_NOCACHE_COPY, which register_netdevice() never offers
 * lo (net/core/dev.c: `if (!(dev->flags & IFF_LOOPBACK)) dev->hw_features
 * |= NETIF_F_NOCACHE_COPY`); and skb_page_frag_refill() (net/core/sock.c)
 * starts the frag's page over once every skb on it is freed
 * (page_ref_count() == 1), which over loopback the reader does as it copies
 * out. So the sender's copies cycle through memory no larger than its send
 * buffer, *sndbufBytes*, and stay cached as far as that fits: from a user
 * buffer, both sides cached, the curve's rate at *sndbufBytes*; from
 * page-cache pages of a file of *fileBytes* (mmap + write, sendfile
 * without scatter-gather), {@link pageCacheCopyBytesPerNs} at that size
 * (*fileBytes* absent: a file larger than any of the curve's points).
 * (Over a NIC the pages wait for the device's DMA and its completion
 * before they are freed; that copy stays at `memory.copyBytesPerNs`.) A
 * kernel without the frag's reuse (`net.sendFragReuse` false: Linux 2.6
 * took a fresh page for each page filled) streams: `memory.copyBytesPerNs`.
 */
export function loopbackSendCopyBytesPerNs(profile: Profile, from: "user" | "page-cache", sndbufBytes: number, fileBytes = Number.POSITIVE_INFINITY): number {
  if (profile.net.sendFragReuse === false) return profile.memory.copyBytesPerNs;
  return from === "user" ? copyBytesPerNsAt(profile, sndbufBytes) : pageCacheCopyBytesPerNs(profile, sndbufBytes, fileBytes);
}

/**
 * Returns the rate of a copy of *bytes* between memory and a buffer of that
 * size, bytes per ns: `memory.copyFromMemoryBytesPerNs` (only one side
 * streams: x86-64's copy_user_generic() copies each page with `rep movsb`,
 * arch/x86/include/asm/uaccess_64.h, and a reused user buffer stays
 * cached), but no faster than the curve at *bytes* (a buffer too big for
 * the caches streams too); `memory.copyBytesPerNs` when the profile does
 * not give the first.
 */
export function fromMemoryBytesPerNs(profile: Profile, bytes: number): number {
  const oneSided = profile.memory.copyFromMemoryBytesPerNs;
  if (oneSided === undefined) return profile.memory.copyBytesPerNs;
  return Math.min(oneSided, copyBytesPerNsAt(profile, bytes));
}

/** Returns the memcpy rate of a copy of *bytes* on *profile*, bytes per ns (see {@link copyNs}). */
export function copyBytesPerNsAt(profile: Profile, bytes: number): number {
  const curve = profile.memory.copyCurve;
  if (!curve || curve.length === 0 || bytes >= intoSocketBuffer) return profile.memory.copyBytesPerNs;
  return curveAt(curve, bytes);
}

/**
 * Returns the rate of a copy of *bytes* out of the warm page-cache pages of
 * a file of *fileBytes* into a buffer of *bytes* that stays cached, bytes
 * per ns: `memory.pageCacheCopyCurve` at *fileBytes* (a file read pass after
 * pass that fits in the caches is still there from its last pass; beyond
 * them its pages stream from memory), or `memory.copyFromMemoryBytesPerNs`
 * where the profile has no such curve; no faster than copyCurve's rate at
 * *bytes* (a buffer too big for the caches streams too). Without either,
 * `memory.copyBytesPerNs`.
 *
 * ```ts
 * pageCacheCopyBytesPerNs(profile, 64 * 1024, 1024 ** 3) // read(2) of 64 KiB of a warm 1 GiB file
 * ```
 */
export function pageCacheCopyBytesPerNs(profile: Profile, bytes: number, fileBytes: number): number {
  const byFile = profile.memory.pageCacheCopyCurve;
  if (!byFile || byFile.length === 0) return fromMemoryBytesPerNs(profile, bytes);
  return Math.min(curveAt(byFile, fileBytes), copyBytesPerNsAt(profile, bytes));
}

/** Returns *curve*'s value at *x*: interpolated linearly in log2(x) between the two points around it, flat before the first and after the last. */
function curveAt(curve: readonly (readonly [number, number])[], x: number): number {
  if (x <= curve[0][0]) return curve[0][1];
  for (let i = 1; i < curve.length; i++) {
    const [b1, r1] = curve[i];
    if (x <= b1) {
      const [b0, r0] = curve[i - 1];
      const t = (Math.log2(x) - Math.log2(b0)) / (Math.log2(b1) - Math.log2(b0));
      return r0 + t * (r1 - r0);
    }
  }
  return curve[curve.length - 1][1];
}
