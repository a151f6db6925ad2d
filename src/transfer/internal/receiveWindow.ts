/**
 * The loopback receiver's window as Linux 6.18 keeps it: the receive
 * buffer (sk_rcvbuf) that Dynamic Right-Sizing grows from what the reader
 * copies per round trip, the window clamp that follows it, rcv_ssthresh
 * that each arriving segment may raise, and the window each ACK offers.
 *
 * Why it matters: over loopback the window is what decides who transmits.
 * A sender held back by the window has its data sent from the reader's
 * context, as the reader's ACK runs tcp_ack → tcp_data_snd_check on the
 * sender's socket; traced on the development VM (2026-12-03, CUBIC),
 * sendfile of a warm 256 MiB file kept its receive buffer at 131 → 301 KB
 * (four tcp:tcp_rcvbuf_grow events; rcv_rtt 8–14 µs) and had 190 of its
 * first 224 segments sent from the reader's CPU, while read + write grew
 * it to 2.26 MB within 250 µs (rcv_rtt 31 µs). A fixed window as large as
 * tcp_rmem[2] left every transmit to the sender.
 *
 * Sources, net/ipv4/tcp_input.c and tcp_output.c (Linux 6.18), and the
 * rule for the buffer's growth checked event by event against this VM's
 * tcp:tcp_rcvbuf_grow tracepoint:
 * - tcp_select_initial_window(): the first window is tcp_full_space()
 *   rounded down to the MSS (65,483 bytes on lo, read as tcpi_rcv_ssthresh
 *   right after accept), the window scale ilog2(tcp_rmem[2]) − 15 = 10.
 * - tcp_init_buffer_space(): rcvq_space.space = min(rcv_ssthresh, rcv_wnd,
 *   10 × advmss); window_clamp = tcp_full_space().
 * - tcp_measure_rcv_mss(): scaling_ratio = len × 256 / truesize when the
 *   receive MSS changes, and the window clamp follows the buffer at the
 *   new ratio (tcp_set_window_clamp()).
 * - tcp_rcv_rtt_measure(): the time for rcv_nxt to pass the right edge of
 *   the window offered when the last sample started, the minimum kept.
 *   (The timestamp-based sample, tcp_rcv_rtt_measure_ts(), ticks in ms on
 *   lo and, since Linux 6.16 keeps the minimum, never lowers it.)
 * - tcp_grow_window(): each data segment of 128 bytes or more raises
 *   rcv_ssthresh by max(2 × advmss, 2 × len), up to the room left below
 *   min(window_clamp, tcp_space()).
 * - tcp_rcv_space_adjust() / tcp_rcvbuf_grow(): at each read, once an RTT
 *   has passed, copied = bytes read since the last measure less what is
 *   still queued; if more than rcvq_space.space, the window wanted is
 *   2 × copied plus twice its growth (rcvwin × (copied − old) / old), the
 *   buffer tcp_space_from_win() of it (capped at tcp_rmem[2]) if larger,
 *   the clamp tcp_win_from_space() of the buffer; space = copied.
 * - __tcp_select_window() and tcp_select_window(): the free space
 *   (tcp_space()), no more than rcv_ssthresh, aligned to the window scale;
 *   0 when less than half the full space is free and that is below
 *   1/16 of it or below the MSS; never less than what the last ACK
 *   offered and the sender has not used (no shrinking: tcp_shrink_window
 *   is 0).
 * Not modelled: memory pressure (tcp_adjust_rcv_ssthresh), out-of-order
 * data, tcp_clamp_window's pruning.
 *
 * Kernels before Linux 6.6 (profile `net.advWinScale`): the window a
 * buffer allows is space − space / 2^tcp_adv_win_scale (the old
 * tcp_win_from_space()), with no scaling ratio; the buffer DRS asks for
 * is whole segments of one MSS at a truesize that window leaves room for
 * (Linux 4.x–6.5's tcp_rcv_space_adjust(): rcvmem = the MSS's truesize,
 * raised by 128 until tcp_win_from_space(rcvmem) ≥ MSS; rcvbuf = rcvwin /
 * MSS × rcvmem). Still 6.18's there: the window DRS asks for (2.6 asked
 * for 2 × copied, without the growth term) and the receiver's clock (2.6
 * measured its RTT in jiffies, so grew the buffer at most once a tick).
 */

/** A loopback skb's truesize beyond its payload, bytes: SKB_TRUESIZE of tcp_stream_alloc_skb()'s head (a kmalloc-1k data area holding MAX_TCP_HEADER and skb_shared_info: 704 + sizeof(struct sk_buff) 256 + skb_shared_info 320). It makes scaling_ratio 251 for a 65,483-byte segment, as this VM's tcp:tcp_rcvbuf_grow trace shows (251–252). */
export const skbTruesizeOverheadBytes = 1280;

/** TCP_DEFAULT_SCALING_RATIO (include/net/tcp.h): the ratio before any data, of 256. */
const defaultScalingRatio = 128;

/** TCP_INIT_CWND (include/net/tcp.h). */
const initCwnd = 10;

export class ReceiveWindow {
  /** sk_rcvbuf, bytes. */
  rcvbufBytes: number;
  /** window_clamp, bytes. */
  windowClamp: number;
  /** rcv_ssthresh, bytes. */
  rcvSsthresh: number;
  /** scaling_ratio, of 256. */
  scalingRatio = defaultScalingRatio;
  /** The window the last ACK offered (rcv_wnd) and rcv_nxt then (rcv_wup), bytes. */
  rcvWnd: number;
  rcvWup = 0;
  /** rcv_rtt_est: the estimate ×8 in µs (0: none yet), and the sample under way (its end sequence, its start ns; -1: none). */
  private rttUs8 = 0;
  private rttSeq = 0;
  private rttStartNs = -1;
  /** rcvq_space: the bytes of the last grown round trip, and where and when the current measure started. */
  spaceBytes: number;
  private spaceSeq = 0;
  private spaceStartNs: number;
  /** Times the buffer grew (tcp_rcvbuf_grow raised sk_rcvbuf). */
  grows = 0;

  constructor(
    /** tcp_rmem[1], the new socket's buffer, bytes. */
    rmemBytes: number,
    /** tcp_rmem[2], the most DRS may give it, bytes. */
    private readonly rmemMaxBytes: number,
    /** The connection's MSS (advmss), bytes. */
    private readonly mss: number,
    /** The window scale (rcv_wscale). */
    private readonly wscale: number,
    startNs: number,
    /** tcp_adv_win_scale of a kernel before Linux 6.6, or undefined for the scaling ratio. */
    private readonly advWinScale?: number,
  ) {
    this.rcvbufBytes = rmemBytes;
    const full = this.winFromSpace(rmemBytes);
    this.rcvWnd = full > mss ? Math.floor(full / mss) * mss : full;
    this.rcvSsthresh = this.rcvWnd;
    this.windowClamp = full;
    this.spaceBytes = Math.min(this.rcvSsthresh, this.rcvWnd, initCwnd * mss);
    this.spaceStartNs = startNs;
  }

  /** tcp_win_from_space(). */
  winFromSpace(bytes: number): number {
    if (this.advWinScale !== undefined) return bytes - Math.floor(bytes / 2 ** this.advWinScale);
    return Math.floor((bytes * this.scalingRatio) / 256);
  }

  /** tcp_space(): the window the free part of the buffer would allow, *rmemBytes* (queued skbs' and the backlog's truesize) charged. */
  space(rmemBytes: number): number {
    return this.winFromSpace(this.rcvbufBytes - rmemBytes);
  }

  /**
   * A data segment of *len* bytes was queued at *nowNs* (tcp_event_data_recv):
   * the receive MSS's scaling ratio, the RTT sample, the window's growth.
   * *rcvNxt* is the sequence after it, *rmemBytes* the memory charged now
   * (it included). Returns whether rcv_ssthresh grew (tcp_grow_window sets
   * icsk_ack.quick |= 1: one quick ACK).
   */
  onData(len: number, rcvMss: number, rcvNxt: number, rmemBytes: number, nowNs: number): boolean {
    if (len >= rcvMss && this.advWinScale === undefined) {
      const ratio = Math.max(1, Math.floor((len * 256) / (len + skbTruesizeOverheadBytes)));
      if (ratio !== this.scalingRatio) {
        this.scalingRatio = ratio;
        // tcp_set_window_clamp(): the clamp follows the buffer at the new ratio; rcv_ssthresh no higher than it.
        this.windowClamp = this.winFromSpace(this.rcvbufBytes);
        this.rcvSsthresh = Math.min(this.rcvSsthresh, this.windowClamp);
        if (this.windowClamp < this.spaceBytes) this.spaceBytes = this.windowClamp;
      }
    }
    this.measureRtt(rcvNxt, nowNs);
    if (len < 128) return false;
    const room = Math.min(this.windowClamp, this.space(rmemBytes)) - this.rcvSsthresh;
    if (room <= 0) return false;
    // truesize_adjust(): lo's skbs carry their payload in fragments, so the head's truesize is left out: win_from_space(len) ≤ len.
    this.rcvSsthresh += Math.min(room, Math.max(2 * this.mss, 2 * len));
    return true;
  }

  /** tcp_rcv_rtt_measure(): a sample when rcv_nxt passes the window's right edge as it was when the sample began; the minimum is kept. */
  private measureRtt(rcvNxt: number, nowNs: number): void {
    if (this.rttStartNs >= 0) {
      if (rcvNxt < this.rttSeq) return;
      const us = Math.max(1, Math.floor((nowNs - this.rttStartNs) / 1000));
      this.rttUs8 = this.rttUs8 === 0 ? us * 8 : Math.min(this.rttUs8, us * 8);
    }
    this.rttSeq = rcvNxt + this.rcvWnd;
    this.rttStartNs = nowNs;
  }

  /** The receiver's RTT estimate, µs (0: none yet). */
  get rcvRttUs(): number {
    return this.rttUs8 >> 3;
  }

  /** tcp_rcv_space_adjust() after a read at *nowNs*: *copiedSeq* bytes read in all, *rcvNxt* received. */
  onRead(copiedSeq: number, rcvNxt: number, nowNs: number): void {
    const rttUs = this.rttUs8 >> 3;
    const us = Math.floor((nowNs - this.spaceStartNs) / 1000);
    if (us < rttUs || this.rttUs8 === 0) return;
    const copied = copiedSeq - this.spaceSeq - (rcvNxt - copiedSeq);
    if (copied > this.spaceBytes) this.grow(copied);
    this.spaceSeq = copiedSeq;
    this.spaceStartNs = nowNs;
  }

  /** tcp_rcvbuf_grow(sk, newval). */
  private grow(newval: number): void {
    const old = this.spaceBytes;
    this.spaceBytes = newval;
    let rcvwin = 2 * newval;
    rcvwin += 2 * Math.floor((rcvwin * (newval - old)) / old);
    const rcvbuf = Math.min(this.spaceFromWin(rcvwin), this.rmemMaxBytes);
    if (rcvbuf > this.rcvbufBytes) {
      this.rcvbufBytes = rcvbuf;
      this.windowClamp = this.winFromSpace(rcvbuf);
      this.grows++;
    }
  }

  /** The buffer a window of *rcvwin* bytes needs: tcp_space_from_win(); before Linux 6.6, whole MSS-sized skbs at their truesize (see the class's note). */
  private spaceFromWin(rcvwin: number): number {
    if (this.advWinScale === undefined) return Math.floor((rcvwin * 256) / this.scalingRatio);
    let rcvmem = this.mss + skbTruesizeOverheadBytes;
    while (this.winFromSpace(rcvmem) < this.mss) rcvmem += 128;
    return Math.floor(rcvwin / this.mss) * rcvmem;
  }

  /** __tcp_select_window(): the window the free space allows now, *rmemBytes* charged, for a receive MSS of *rcvMss*. */
  private freeWindow(rmemBytes: number, rcvMss: number): number {
    let free = Math.max(0, this.space(rmemBytes));
    const allowed = this.winFromSpace(this.rcvbufBytes);
    const full = Math.min(this.windowClamp, allowed);
    let mss = rcvMss;
    if (mss > full) {
      mss = full;
      if (mss <= 0) return 0;
    }
    const unit = 2 ** this.wscale;
    if (free < full / 2) {
      free = Math.floor(free / unit) * unit;
      if (free < allowed / 16 || free < mss) return 0;
    }
    if (free > this.rcvSsthresh) free = this.rcvSsthresh;
    return Math.ceil(free / unit) * unit;
  }

  /** tcp_receive_window(): what is left at *rcvNxt* of the window the last ACK offered, bytes. */
  remaining(rcvNxt: number): number {
    return Math.max(0, this.rcvWup + this.rcvWnd - rcvNxt);
  }

  /** The window the receiver's next ACK offers (tcp_select_window()), at *rcvNxt*; it becomes rcv_wnd, and rcvNxt rcv_wup. */
  select(rmemBytes: number, rcvMss: number, rcvNxt: number): number {
    const unit = 2 ** this.wscale;
    const current = this.remaining(rcvNxt);
    let win = this.freeWindow(rmemBytes, rcvMss);
    if (win < current) win = Math.ceil(current / unit) * unit;
    this.rcvWnd = win;
    this.rcvWup = rcvNxt;
    return win;
  }

  /** What __tcp_select_window() would offer now, without committing it (tcp_cleanup_rbuf's window-update test). */
  peek(rmemBytes: number, rcvMss: number): number {
    return this.freeWindow(rmemBytes, rcvMss);
  }
}
