/**
 * The TCP sysctls that decide what happens to a connection in its first
 * seconds: how many can wait to be accepted, how often a client retries its
 * SYN and the server its SYN-ACK, when each gives up.
 *
 * They are the knobs of a switchboard operator: how many callers may hold
 * (the backlog), how often a caller redials when nobody picks up (the SYN
 * retry timer), and how often the operator rings a caller back before
 * hanging up on them (the SYN-ACK retries). Defaults are Linux's, read in the
 * kernel source (Linux 6.18.19; file, function and line cited per field).
 */
import {InputError} from "../errors.js";

/** Linux's TCP settings that shape connection set-up. */
export interface TcpSettings {
  /**
   * net.core.somaxconn: listen() clamps its backlog to it. Default SOMAXCONN
   * = 4096 (include/linux/socket.h line 313; net/core/net_namespace.c line
   * 391; 128 before Linux 5.4); the clamp is in __sys_listen_socket()
   * (net/socket.c lines 1922–1924).
   */
  somaxconn: number;
  /**
   * net.ipv4.tcp_max_syn_backlog: only without syncookies, the last quarter
   * of it is kept for peers already proven alive (tcp_conn_request(),
   * net/ipv4/tcp_input.c lines 7491–7508). Linux sets it to max(128,
   * ehash_entries / 128) (tcp_sk_init(), net/ipv4/tcp_ipv4.c line 3573), so
   * it depends on the machine's memory; iosim's default 1024 is a mid-size
   * server's; read yours in /proc/sys/net/ipv4/tcp_max_syn_backlog.
   */
  maxSynBacklog: number;
  /**
   * net.ipv4.tcp_syncookies: 0 never, 1 when the SYN queue is full, 2
   * always. Default 1 (tcp_sk_init(), net/ipv4/tcp_ipv4.c line 3595).
   */
  syncookies: 0 | 1 | 2;
  /** net.ipv4.tcp_syn_retries: default TCP_SYN_RETRIES = 6 (include/net/tcp.h line 126; tcp_ipv4.c line 3593). */
  synRetries: number;
  /** net.ipv4.tcp_synack_retries: default TCP_SYNACK_RETRIES = 5 (include/net/tcp.h line 135; tcp_ipv4.c line 3594). */
  synackRetries: number;
  /**
   * net.ipv4.tcp_syn_linear_timeouts (Linux 6.5+): the first N SYN
   * retransmissions keep the initial timeout instead of doubling it, and
   * the client gets N more of them before it gives up. Default 4
   * (tcp_sk_init(), tcp_ipv4.c line 3674); 0 gives the classic 1, 3, 7, 15,
   * 31, 63 s retries and failure at 127 s.
   */
  synLinearTimeouts: number;
  /**
   * net.ipv4.tcp_abort_on_overflow: when the accept queue is full, reset
   * the connection instead of ignoring its final ACK. Default 0
   * (tcp_check_req(), net/ipv4/tcp_minisocks.c lines 937–940).
   */
  abortOnOverflow: boolean;
  /** TCP_TIMEOUT_INIT, the first SYN and SYN-ACK timeout: 1 s (include/net/tcp.h line 169, RFC 6298 2.1), ns. */
  timeoutInitNs: number;
  /** TCP_RTO_MAX, the largest retransmission timeout: 120 s (include/net/tcp.h lines 162–163), ns. */
  rtoMaxNs: number;
  /** TCP_RTO_MIN, the smallest retransmission timeout of an established connection: HZ/5 = 200 ms (include/net/tcp.h line 164), ns. */
  rtoMinNs: number;
  /**
   * net.ipv4.tcp_retries2: how many times an established connection's data
   * is retransmitted before it fails with ETIMEDOUT; default TCP_RETR2 = 15
   * (include/net/tcp.h line 119), which retransmits_timed_out()
   * (net/ipv4/tcp_timer.c lines 213 and 269) turns into a time budget as if
   * the timeout had doubled from TCP_RTO_MIN up to TCP_RTO_MAX: 924.6 s.
   */
  retries2: number;
  /**
   * net.ipv4.tcp_invalid_ratelimit: at most one out-of-window ACK (a
   * challenge ACK to a retransmitted SYN-ACK, a SYN-ACK to a retransmitted
   * SYN) per this interval per socket; default HZ/2 = 500 ms (tcp_ipv4.c
   * line 3638; __tcp_oow_rate_limited(), tcp_input.c line 3785), ns.
   */
  invalidRatelimitNs: number;
}

/** Linux 6.18's defaults (see each field of {@link TcpSettings}). */
export const linuxTcpDefaults: Readonly<TcpSettings> = Object.freeze({
  somaxconn: 4096,
  maxSynBacklog: 1024,
  syncookies: 1,
  synRetries: 6,
  synackRetries: 5,
  synLinearTimeouts: 4,
  abortOnOverflow: false,
  timeoutInitNs: 1e9,
  rtoMaxNs: 120e9,
  rtoMinNs: 200e6,
  retries2: 15,
  invalidRatelimitNs: 500e6,
});

/** Returns *overrides* over Linux's defaults, checked: a bad value is an {@link InputError} naming the field. */
export function tcpSettings(overrides: Partial<TcpSettings> = {}): TcpSettings {
  const s = {...linuxTcpDefaults, ...overrides};
  // The retry counts are u8 sysctls (tcp_syn_retries and tcp_syn_linear_timeouts are capped at MAX_TCP_SYNCNT = 127, include/net/tcp.h line 187, net/ipv4/sysctl_net_ipv4.c lines 37–38); the backlogs are ints.
  const ints: Array<[keyof TcpSettings, number, number]> = [
    ["somaxconn", 0, 2 ** 31 - 1],
    ["maxSynBacklog", 1, 2 ** 31 - 1],
    ["synRetries", 1, 127],
    ["synackRetries", 1, 255],
    ["synLinearTimeouts", 0, 127],
    ["retries2", 1, 2 ** 31 - 1],
  ];
  for (const [key, min, max] of ints) {
    const v = s[key] as number;
    if (!Number.isSafeInteger(v) || v < min || v > max) throw new InputError(key, String(v), `an integer from ${min} to ${max}`);
  }
  if (![0, 1, 2].includes(s.syncookies)) throw new InputError("syncookies", String(s.syncookies), "0, 1 or 2");
  for (const key of ["timeoutInitNs", "rtoMaxNs", "rtoMinNs", "invalidRatelimitNs"] as const)
    if (!(Number.isFinite(s[key]) && s[key] > 0)) throw new InputError(key, String(s[key]), "a duration > 0 ns");
  return s;
}

/**
 * Returns the backlog a listening socket gets from listen(*backlog*):
 * clamped to somaxconn, compared as unsigned, so a negative backlog also
 * becomes somaxconn (__sys_listen_socket(), net/socket.c lines 1922–1924);
 * __inet_listen_sk() stores it as sk_max_ack_backlog (net/ipv4/af_inet.c
 * line 201).
 */
export function effectiveBacklog(backlog: number, somaxconn: number): number {
  return backlog < 0 || backlog > somaxconn ? somaxconn : backlog;
}

/**
 * Returns the times, after its first SYN, at which a client that hears
 * nothing retransmits its SYN, and when connect() fails with ETIMEDOUT, ns.
 * The retransmission timer starts at TCP_TIMEOUT_INIT; each expiry first
 * checks tcp_write_timeout() (net/ipv4/tcp_timer.c lines 249–260: give up
 * once icsk_retransmits ≥ tcp_syn_retries + tcp_syn_linear_timeouts), then
 * retransmits and doubles the timeout (capped at TCP_RTO_MAX) unless this
 * was one of the first tcp_syn_linear_timeouts (tcp_retransmit_timer(),
 * lines 671–679, with total_rto counted in tcp_update_rto_stats(), line 448).
 *
 * ```ts
 * synSchedule(tcpSettings({synLinearTimeouts: 0})) // retransmits at 1, 3, 7, 15, 31, 63 s; fails at 127 s
 * ```
 */
export function synSchedule(s: TcpSettings): {retransmitNs: number[]; giveUpNs: number} {
  const retransmitNs: number[] = [];
  let t = 0;
  let rto = s.timeoutInitNs;
  const max = s.synRetries + s.synLinearTimeouts;
  for (let retransmits = 0; ; ) {
    t += rto;
    if (retransmits >= max) return {retransmitNs, giveUpNs: t};
    retransmitNs.push(t);
    retransmits++;
    if (retransmits > s.synLinearTimeouts) rto = Math.min(rto * 2, s.rtoMaxNs);
  }
}
