/**
 * The knobs of a connected socket's data path: segment size, the offloads
 * that make super-segments (TSO/GSO on the way out, GRO on the way in), how
 * the NIC interrupts (one per packet, or NAPI polling with interrupt
 * coalescing), delayed ACKs and the buffers.
 *
 * Think of a post office. Letters are cut to the size a postbag takes (the
 * MSS); a big customer may hand over a whole crate that the sorting machine
 * cuts up at the door (TSO). On the receiving side the clerk is either rung
 * for every letter (an interrupt per packet) or, once rung, keeps emptying
 * the mail slot, up to a bagful at a time, before asking to be rung again
 * (NAPI), and the slot may wait a little before ringing (coalescing).
 * Defaults are Linux 6.18's (the source is cited per field).
 */
import {InputError} from "../errors.js";

/** TCP header with the timestamp option, bytes: sizeof(struct tcphdr) 20 + TCPOLEN_TSTAMP_ALIGNED 12 (include/net/tcp.h line 244). */
export const tcpHeaderBytes = 32;
/** IPv4 header without options, bytes (sizeof(struct iphdr)). */
export const ipHeaderBytes = 20;
/** Ethernet header, bytes (ETH_HLEN, include/uapi/linux/if_ether.h). */
export const ethHeaderBytes = 14;
/** All three: what a pure ACK occupies on the wire (before the preamble and FCS), bytes. */
export const headerBytes = tcpHeaderBytes + ipHeaderBytes + ethHeaderBytes;
/**
 * MAX_TCP_HEADER, the headroom tcp_stream_alloc_skb() reserves in every
 * skb it allocates for sending (net/ipv4/tcp.c lines 916–928): L1_CACHE_ALIGN(128
 * + MAX_HEADER) (include/net/tcp.h line 72), MAX_HEADER = LL_MAX_HEADER 128
 * + 48 on a kernel with IP tunnels (include/linux/netdevice.h lines
 * 164–179), aligned to 64-byte lines: 320 bytes.
 */
export const maxTcpHeaderBytes = 320;
/** GSO_LEGACY_MAX_SIZE / GRO_LEGACY_MAX_SIZE: 65536 bytes (include/linux/netdevice.h lines 2341 and 2427). */
export const legacyMaxSizeBytes = 65536;

/** How a connected socket's data moves; every field has Linux's default. */
export interface DataPathSettings {
  /**
   * Path MTU, bytes: 1500 (Ethernet). The MSS is derived: MTU − IP header
   * − TCP header (__tcp_mtu_to_mss(), net/ipv4/tcp_output.c lines 1911–1934),
   * minus TCPOLEN_TSTAMP_ALIGNED when timestamps are on
   * (tcp_current_mss(), line 2020 on), so 1448 by default.
   */
  mtuBytes: number;
  /** net.ipv4.tcp_timestamps: default 1 (tcp_sk_init(), net/ipv4/tcp_ipv4.c line 3611); each segment then carries 12 bytes of options. */
  timestamps: boolean;
  /**
   * TSO/GSO: tcp_sendmsg builds skbs of up to a size goal of many MSS and
   * the NIC (or GSO just before it) cuts them into wire packets. On by default
   * (every current NIC has NETIF_F_TSO; sk_setup_caps() turns on GSO,
   * net/core/sock.c lines 2640–2654). Off: one MSS per skb.
   */
  tso: boolean;
  /** The device's gso_max_size: GSO_LEGACY_MAX_SIZE = 65536 bytes by default (read through sk_dst_gso_max_size(), net/core/sock.c line 2608). */
  gsoMaxBytes: number;
  /**
   * GRO: in a NAPI poll, consecutive in-order segments of one flow are
   * merged into one skb before the protocol runs, while the merged length
   * stays under gro_max_size = GRO_LEGACY_MAX_SIZE (skb_gro_receive(),
   * net/core/gro.c lines 112–116; dev->gro_max_size, net/core/dev.c line
   * 12115). On by default (NETIF_F_GRO is a software feature on every device).
   */
  gro: boolean;
  /**
   * NAPI: the first packet's interrupt masks the NIC's interrupt and
   * schedules a poll, which takes up to **napiWeight** packets, polls again
   * while it used its whole budget and unmasks the interrupt when it did not
   * (napi_poll(), net/core/dev.c lines 7755–7790). Off: every packet raises
   * its own interrupt (the pre-NAPI netif_rx path), and there is no GRO.
   */
  napi: boolean;
  /** Packets per poll: NAPI_POLL_WEIGHT = 64 (include/linux/netdevice.h line 2802; net.core.dev_weight, weight_p = 64, net/core/dev.c line 4962). */
  napiWeight: number;
  /**
   * Interrupt coalescing (ethtool -C rx-usecs): with the interrupt unmasked,
   * the NIC raises it this long after the first unannounced packet, ns, or
   * sooner when **rxCoalesceFrames** have arrived. Default 16 µs, mlx5's
   * MLX5E_PARAMS_DEFAULT_RX_CQ_MODERATION_USEC 0x10
   * (drivers/net/ethernet/mellanox/mlx5/core/en.h line 136; mlx5 also
   * adapts it at run time, which iosim does not). 0: at once.
   */
  rxCoalesceNs: number;
  /** ethtool -C rx-frames: default 32, MLX5E_PARAMS_DEFAULT_RX_CQ_MODERATION_PKTS 0x20 (en.h line 138). */
  rxCoalesceFrames: number;
  /**
   * The delayed-ACK timer: a receiver that has not got more than one full
   * segment unacknowledged (__tcp_ack_snd_check(), net/ipv4/tcp_input.c
   * line 5907: `rcv_nxt − rcv_wup > rcv_mss` ACKs at once) waits this long
   * before it ACKs, ns: TCP_DELACK_MIN = HZ/25 = 40 ms (include/net/tcp.h
   * line 156). Quick-ACK mode at a connection's start is not modelled.
   */
  delayedAckNs: number;
  /**
   * The send buffer, bytes, or "auto": start at what tcp_sndbuf_expand()
   * gives an established connection (see establishedSndbufBytes in
   * TcpSocket.ts: the profile's `net.sndbufInitSegments` skbs of one MSS,
   * at least tcp_wmem[1]) and grow by autotuning up to tcp_wmem[2] (the
   * profile's `net.wmemMaxBytes`). A number is a fixed buffer, as setsockopt(SO_SNDBUF)
   * makes it (autotuning off, SOCK_SNDBUF_LOCK).
   */
  sndbufBytes: number | "auto";
  /** The receive buffer, bytes; default the profile's tcp_rmem[1] (receive autotuning is not modelled). */
  rcvbufBytes: number | "default";
  /** The far side's receive buffer (its tcp_rmem[1]; it reads at once), bytes: 131072 (net/ipv4/tcp.c line 5306). */
  peerRcvbufBytes: number;
}

/** Linux 6.18's defaults (see each field of {@link DataPathSettings}). */
export const linuxDataPathDefaults: Readonly<DataPathSettings> = Object.freeze({
  mtuBytes: 1500,
  timestamps: true,
  tso: true,
  gsoMaxBytes: legacyMaxSizeBytes,
  gro: true,
  napi: true,
  napiWeight: 64,
  rxCoalesceNs: 16_000,
  rxCoalesceFrames: 32,
  delayedAckNs: 40e6,
  sndbufBytes: "auto",
  rcvbufBytes: "default",
  peerRcvbufBytes: 131072,
});

/** Returns *overrides* over Linux's defaults, checked: a bad value is an {@link InputError} naming the field. */
export function dataPathSettings(overrides: Partial<DataPathSettings> = {}): DataPathSettings {
  const s = {...linuxDataPathDefaults, ...overrides};
  const ints: Array<[keyof DataPathSettings, number]> = [
    ["mtuBytes", 68 + 40 + 12],
    ["gsoMaxBytes", 1],
    ["napiWeight", 1],
    ["rxCoalesceFrames", 1],
    ["peerRcvbufBytes", 1],
  ];
  for (const [key, min] of ints) {
    const v = s[key] as number;
    if (!Number.isSafeInteger(v) || v < min) throw new InputError(key, String(v), `an integer ≥ ${min}`);
  }
  for (const key of ["rxCoalesceNs", "delayedAckNs"] as const)
    if (!(Number.isFinite(s[key]) && s[key] >= 0)) throw new InputError(key, String(s[key]), "a duration ≥ 0 ns");
  for (const key of ["sndbufBytes", "rcvbufBytes"] as const) {
    const v = s[key];
    if (typeof v === "number" ? !(Number.isSafeInteger(v) && v > 0) : v !== (key === "sndbufBytes" ? "auto" : "default"))
      throw new InputError(key, String(v), `an integer > 0 or "${key === "sndbufBytes" ? "auto" : "default"}"`);
  }
  return s;
}

/** The MSS a peer announces in its SYN (rx_opt.mss_clamp): MTU − IP header − TCP header without options, bytes. */
export function mssClampOf(s: DataPathSettings): number {
  return s.mtuBytes - ipHeaderBytes - 20;
}

/** Returns the MSS of *s*: MTU − 20 (IP) − 20 (TCP) − 12 with timestamps: 1448 by default, bytes. */
export function mssOf(s: DataPathSettings): number {
  return s.mtuBytes - ipHeaderBytes - 20 - (s.timestamps ? tcpHeaderBytes - 20 : 0);
}

/**
 * tcp_bound_to_half_wnd() (include/net/tcp.h): *bytes* no larger than half
 * the largest window the peer has offered (the whole of it when that is
 * TCP_MSS_DEFAULT, 536, or less), and no smaller than 68 bytes less the TCP
 * header.
 */
export function boundToHalfWindow(bytes: number, peerMaxWindowBytes: number): number {
  const cutoff = peerMaxWindowBytes > 536 ? peerMaxWindowBytes >> 1 : peerMaxWindowBytes;
  return cutoff > 0 && bytes > cutoff ? Math.max(cutoff, 68 - tcpHeaderBytes) : bytes;
}

/**
 * Returns the MSS a socket sends with now (tcp_sync_mss()'s mss_now, kept
 * in mss_cache): the path's MSS bounded by half the largest window the
 * peer has offered ({@link boundToHalfWindow}). It matters where the MSS is
 * large against the window: over loopback (65,483-byte MSS) a connection
 * starts with a one-MSS window, so its first segments carry half an MSS
 * until the window doubles (tcp_ack_update_window() re-syncs the MSS when
 * max_window grows); a window smaller than the MSS never stalls the sender.
 */
export function mssNowOf(s: DataPathSettings, peerMaxWindowBytes: number): number {
  return boundToHalfWindow(mssOf(s), peerMaxWindowBytes);
}

/**
 * Returns the payload tcp_sendmsg() puts in one skb, bytes: the MSS now
 * ({@link mssNowOf}) without TSO; with it tcp_xmit_size_goal()
 * (net/ipv4/tcp.c lines 942–964): the device's gso_max_size bounded by half
 * the largest window the peer has offered (tcp_bound_to_half_wnd(),
 * include/net/tcp.h line 791), rounded down to whole segments, at least
 * one: 45 × 1448 = 65160 by default.
 */
export function sizeGoalOf(s: DataPathSettings, peerMaxWindowBytes: number): number {
  const mss = mssNowOf(s, peerMaxWindowBytes);
  if (!s.tso) return mss;
  const goal = boundToHalfWindow(s.gsoMaxBytes, peerMaxWindowBytes);
  return Math.max(Math.floor(goal / mss) * mss, mss);
}
