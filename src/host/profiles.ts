/**
 * Host profiles: the costs of one machine, as data.
 *
 * A profile is a spec sheet: how many cores, how long a mode switch or an
 * interrupt takes, how fast memory copies, what the disks and the NIC do.
 * The shipped ones live in `data/profiles/*.json`, each number with its
 * source in the `sources` map beside it. A profile file may start from a
 * shipped one with `"extends": "server-2024"` and override a few numbers.
 * Every profile is validated when loaded: an unknown key or a bad value is
 * an {@link InputError} naming the field.
 */
import {existsSync, readdirSync, readFileSync} from "node:fs";
import {fileURLToPath} from "node:url";
import {InputError} from "../errors.js";

/** One disk: a fixed latency, a transfer rate and, for spinning disks, a seek; how many requests it serves at once. */
export interface DiskProfile {
  /** Time to first byte of a request (rotational latency or flash read), ns. */
  latencyNs: number;
  /** Sustained transfer rate, bytes per ns (= GB/s). */
  bytesPerNs: number;
  /** Added when a request does not continue where the previous one ended, ns. */
  seekNs: number;
  /** Controller buffer drained by the CPU per interrupt under programmed I/O, bytes. */
  controllerBufferBytes: number;
  /** Rate at which the CPU moves data word by word under programmed I/O, bytes per ns. */
  pioBytesPerNs: number;
  /** Requests the medium serves at once (flash channels and dies; 1 for a disk's single head assembly). */
  parallelism: number;
  /** Requests the host may have outstanding on the device (NVMe queue entries, SATA NCQ tags). */
  queueDepth: number;
}

/** A machine's costs. */
export interface Profile {
  name: string;
  description: string;
  cpu: {
    /** CPU cores. */
    cores: number;
    /** One user↔kernel transition, ns. */
    modeSwitchNs: number;
    /** Kernel work to enter and dispatch a system call, excluding copies, ns. */
    syscallNs: number;
    /** Handling one interrupt, ns. */
    irqNs: number;
    /** Switching a core from one process or thread to another, ns. */
    taskSwitchNs: number;
    /** The scheduler's base time slice before Linux scales it by the number of CPUs, ns (see {@link timeSliceNs}). */
    baseSliceNs: number;
  };
  memory: {
    /** CPU memcpy rate, bytes per ns. */
    copyBytesPerNs: number;
    /** Page size, bytes. */
    pageBytes: number;
    /** Memory available to the page cache, bytes. */
    pageCacheBytes: number;
  };
  dma: {
    /** The driver programming one device request (descriptor + doorbell), CPU time on a core, ns. */
    setupNs: number;
    /** DMA engine (bus) rate, bytes per ns. */
    bytesPerNs: number;
  };
  disks: {ssd: DiskProfile; hdd: DiskProfile};
  nic: {
    /** Line rate, bytes per ns. */
    bytesPerNs: number;
    /** Whether the NIC can gather from several buffers in one DMA (SG-DMA). */
    scatterGather: boolean;
    /** Whether the NIC computes TCP/IP checksums on transmit (NETIF_F_HW_CSUM / NETIF_F_IP_CSUM); without it the CPU sums every byte sent. */
    checksumOffload: boolean;
  };
  /** The TCP stack's costs: CPU time per handshake step, kernel memory per connection. */
  net: {
    /** Softirq CPU time to process one SYN on a listening socket (tcp_v4_rcv → tcp_conn_request: look-up, request sock, SYN-ACK), ns. */
    synNs: number;
    /** Softirq CPU time to process the handshake's final ACK (tcp_check_req → tcp_v4_syn_recv_sock: clone the child socket, hash it, queue it), ns. */
    ackNs: number;
    /** Kernel work of accept(2) beyond the system-call entry (fd allocation, inet_csk_accept, the socket's file), ns. */
    acceptNs: number;
    /** Kernel memory of one half-open request (struct tcp_request_sock), bytes. */
    requestSockBytes: number;
    /** Kernel memory of one connected socket's objects (struct tcp_sock, socket inode, file, dentry), bytes. */
    socketBytes: number;
    /** Default receive buffer of a TCP socket, net.ipv4.tcp_rmem[1], bytes. */
    rmemBytes: number;
    /** Default send buffer of a TCP socket, net.ipv4.tcp_wmem[1], bytes. */
    wmemBytes: number;
    /** Transmit protocol work per skb handed to the device (tcp_transmit_skb → ip_queue_xmit → dev_queue_xmit), excluding the copy and the driver's descriptor, ns. */
    txSegmentNs: number;
    /** Receive work per wire packet in the NAPI poll (driver skb build, eth_type_trans, GRO), ns. */
    rxPacketNs: number;
    /** Receive protocol work per skb after GRO (ip_rcv → tcp_v4_rcv), also per incoming ACK, ns. */
    rxSegmentNs: number;
    /** Largest send buffer autotuning may reach, net.ipv4.tcp_wmem[2], bytes. */
    wmemMaxBytes: number;
    /** Allocating one skb for sending (tcp_stream_alloc_skb → alloc_skb_fclone, memory accounting) and freeing it once acknowledged, CPU time, ns. */
    skbAllocNs: number;
    /** One page fragment of a zero-copy skb: the page reference taken when splice hands it to TCP (skb_splice_from_iter → get_page) and dropped when the ACK frees the skb (put_page), with the fragment's set-up, ns. */
    pageRefNs: number;
    /** Software checksum rate (csum_partial) when the NIC does not offload checksums, bytes per ns. */
    checksumBytesPerNs: number;
  };
  /** Where each number comes from, keyed by dotted path. */
  sources: Record<string, string>;
}

type Rule = "positive" | "nonNegative" | "positiveInteger" | "boolean" | "string" | {[key: string]: Rule} | "sources";

const diskRules: Rule = {
  latencyNs: "nonNegative",
  bytesPerNs: "positive",
  seekNs: "nonNegative",
  controllerBufferBytes: "positiveInteger",
  pioBytesPerNs: "positive",
  parallelism: "positiveInteger",
  queueDepth: "positiveInteger",
};

/** The schema a profile is checked against. */
const profileRules: {[key: string]: Rule} = {
  name: "string",
  description: "string",
  cpu: {cores: "positiveInteger", modeSwitchNs: "nonNegative", syscallNs: "nonNegative", irqNs: "nonNegative", taskSwitchNs: "nonNegative", baseSliceNs: "positive"},
  memory: {copyBytesPerNs: "positive", pageBytes: "positiveInteger", pageCacheBytes: "positiveInteger"},
  dma: {setupNs: "nonNegative", bytesPerNs: "positive"},
  disks: {ssd: diskRules, hdd: diskRules},
  nic: {bytesPerNs: "positive", scatterGather: "boolean", checksumOffload: "boolean"},
  net: {
    synNs: "nonNegative",
    ackNs: "nonNegative",
    acceptNs: "nonNegative",
    requestSockBytes: "positiveInteger",
    socketBytes: "positiveInteger",
    rmemBytes: "positiveInteger",
    wmemBytes: "positiveInteger",
    txSegmentNs: "nonNegative",
    rxPacketNs: "nonNegative",
    rxSegmentNs: "nonNegative",
    wmemMaxBytes: "positiveInteger",
    skbAllocNs: "nonNegative",
    pageRefNs: "nonNegative",
    checksumBytesPerNs: "positive",
  },
  sources: "sources",
};

const expectations: Record<string, string> = {
  positive: "a number > 0",
  nonNegative: "a number ≥ 0",
  positiveInteger: "an integer > 0",
  boolean: "true or false",
  string: "a string",
  sources: "an object of strings",
};

function check(where: string, path: string, value: unknown, rule: Rule): void {
  const param = `${where} ${path}`;
  const shown = JSON.stringify(value) ?? String(value);
  if (typeof rule === "object") {
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw new InputError(param, shown, "an object");
    const obj = value as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      if (!(key in rule)) throw new InputError(`${where} key`, path ? `${path}.${key}` : key, `one of ${Object.keys(rule).map((k) => (path ? `${path}.${k}` : k)).join(", ")}`);
    }
    for (const [key, sub] of Object.entries(rule)) {
      const subPath = path ? `${path}.${key}` : key;
      if (!(key in obj)) throw new InputError(`${where} ${subPath}`, "missing", expectations[typeof sub === "string" ? sub : ""] ?? "an object");
      check(where, subPath, obj[key], sub);
    }
    return;
  }
  const ok =
    rule === "positive" ? typeof value === "number" && Number.isFinite(value) && value > 0
    : rule === "nonNegative" ? typeof value === "number" && Number.isFinite(value) && value >= 0
    : rule === "positiveInteger" ? typeof value === "number" && Number.isSafeInteger(value) && value > 0
    : rule === "boolean" ? typeof value === "boolean"
    : rule === "string" ? typeof value === "string"
    : value !== null && typeof value === "object" && !Array.isArray(value) && Object.values(value).every((v) => typeof v === "string");
  if (!ok) throw new InputError(param, shown, expectations[rule]);
}

/** Folder of the shipped profiles. */
export const profilesDir = fileURLToPath(new URL("../../../data/profiles/", import.meta.url));

/** Returns the names of the shipped profiles. */
export function profileNames(): string[] {
  return readdirSync(profilesDir)
    .filter((f) => f.endsWith(".json"))
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
    if (!("name" in rest)) obj.name = `${parent}+${where}`;
  }
  check(where, "", obj, profileRules);
  return obj as unknown as Profile;
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
