/**
 * The socket buffer: one object carries a message's bytes through every
 * layer of the stack, and the layers only move a pointer.
 *
 * Like a parcel with an empty band left around it: each layer on the way out
 * writes its label in the band in front of the previous one (skb_push moves
 * `data` back), and each layer on the way in tears its label off (skb_pull
 * moves `data` forward). Nobody repacks the contents. Linux's
 * include/linux/skbuff.h keeps head ≤ data ≤ tail ≤ end; iosim keeps the two
 * numbers that matter: the headroom (data − head) and the length (tail −
 * data), of which the last `payloadBytes` are the payload. The payload is
 * copied only where Linux copies it: from user memory in tcp_sendmsg and to
 * user memory in tcp_recvmsg (see socketCalls.ts).
 */
import type {Trace} from "../engine/trace.js";
import {headerBytes} from "./dataPath.js";

/**
 * SKB_TRUESIZE(0): what an skb costs beyond its data, the sk_buff itself
 * and the skb_shared_info at the end of its head, each rounded to a cache
 * line by SKB_DATA_ALIGN (Linux 6.1.192 include/linux/skbuff.h lines
 * 261 and 278–280), bytes. struct sk_buff is 224 or 232 bytes on x86-64
 * depending on the config (pahole in the netdev threads that shrank it),
 * 256 once aligned; struct skb_shared_info (lines 581–606) is 48 bytes of
 * fields plus MAX_SKB_FRAGS = 65536 / 4096 + 1 = 17 frags of 16 bytes:
 * 320. So 256 + 320 = 576.
 */
export const skbOverheadBytes = 576;
/** SKB_DATA_ALIGN(sizeof(struct sk_buff)), bytes: the first part of {@link skbOverheadBytes}. */
export const skbStructBytes = 256;
/** SKB_DATA_ALIGN(sizeof(struct skb_shared_info)), bytes: the second part of {@link skbOverheadBytes}. */
export const sharedInfoBytes = skbOverheadBytes - skbStructBytes;

/**
 * The truesize of the head of an skb tcp_sendmsg allocates, bytes, before
 * any payload: tcp_stream_alloc_skb() asks alloc_skb_fclone() for
 * MAX_TCP_HEADER (320) bytes and sets truesize = SKB_TRUESIZE(skb_end_offset)
 * (6.1.192 net/ipv4/tcp.c lines 868–877). kmalloc_reserve() wants
 * SKB_HEAD_ALIGN(320) = 320 + 320 = 640 bytes. Since Linux 6.3 a head that
 * small comes from skb_small_head_cache, whose objects are
 * SKB_SMALL_HEAD_SIZE = SKB_HEAD_ALIGN(max(MAX_TCP_HEADER, GRO_MAX_HEAD_PAD))
 * bytes, and *size* becomes that (net/core/skbuff.c kmalloc_reserve();
 * GRO_MAX_HEAD_PAD = GRO_MAX_HEAD + NET_SKB_PAD + NET_IP_ALIGN since Paolo
 * Abeni's "net: allow small head cache usage with large MAX_SKB_FRAGS
 * values", netdev, February 2025, in 6.14): GRO_MAX_HEAD = MAX_HEADER + 128
 * = 304, + 64 + 0 on x86-64 = 368; SKB_DATA_ALIGN(368) + 320 = 704, not a
 * power of two, so the cache's size. The head keeps all but the shared
 * info: end offset 704 − 320 = 384, truesize 384 + 576 = 960. (6.1 rounds
 * 640 up to kmalloc-1k instead: 1280.) The payload goes to page frags,
 * each copied byte charged on top (skb_copy_to_page_nocache(), 6.1.192
 * include/net/sock.h lines 2398–2414).
 */
export const txSkbHeadTruesizeBytes = 960;

/** The trace details of a push and a pull of each layer's header, made once (not a string built per packet). */
const pushDetail: Record<string, string> = {};
const pullDetail: Record<string, string> = {};

/** An sk_buff: its headroom, its length, its payload, and where it is in the stream. */
export class SkBuff {
  /** Bytes free in front of the data (skb_headroom). */
  headroom: number;
  /** Bytes from data to tail: headers pushed so far plus the payload (skb->len). */
  len: number;
  /** Payload bytes (the TCP data), never moved by a push or a pull. */
  payloadBytes: number;
  /** Wire segments it stands for: more than one for a TSO/GSO super-segment or a GRO-merged skb (gso_segs). */
  segs = 1;
  /** Sequence number of its first payload byte. */
  seq: number;
  /** Bytes charged to the receiving socket for it (skb->truesize once skb_set_owner_r() ran), 0 when uncharged. */
  truesize = 0;
  /** The next skb of its socket's retransmit queue (sent, not yet acknowledged), or null. */
  next: SkBuff | null = null;

  constructor(headroom: number, payloadBytes: number, seq: number) {
    this.headroom = headroom;
    this.len = payloadBytes;
    this.payloadBytes = payloadBytes;
    this.seq = seq;
  }

  /**
   * skb_push(): a layer prepends its *bytes*-long header in the headroom
   * (net/core/skbuff.c; data −= len, len += len); less headroom than that is
   * Linux's skb_under_panic, here a RangeError. Traced as a "header" event
   * with no payload moved.
   */
  push(bytes: number, layer: string, trace: Trace, timeNs: number): void {
    if (bytes > this.headroom) throw new RangeError(`skb_under_panic: push of ${bytes} bytes (${layer}) with ${this.headroom} bytes of headroom`);
    this.headroom -= bytes;
    this.len += bytes;
    trace.record(timeNs, "header", 0, 0, bytes, (pushDetail[layer] ??= `push ${layer}`));
  }

  /** skb_pull(): a layer strips its *bytes*-long header (data += len, len −= len); more than the headers is a RangeError. */
  pull(bytes: number, layer: string, trace: Trace, timeNs: number): void {
    if (bytes > this.len - this.payloadBytes) throw new RangeError(`skb_pull of ${bytes} bytes (${layer}) would eat into the payload`);
    this.headroom += bytes;
    this.len -= bytes;
    trace.record(timeNs, "header", 0, 0, bytes, (pullDetail[layer] ??= `pull ${layer}`));
  }

  /** Bytes of headers in front of the payload now. */
  get headerBytes(): number {
    return this.len - this.payloadBytes;
  }
}

/**
 * Returns the truesize of a received skb, bytes: SKB_TRUESIZE() of the
 * frames it holds (payload and wire headers of each of its `segs`
 * segments), the minimum Linux charges for them (6.1.192 include/linux/skbuff.h
 * line 277, "minimum truesize of one skb containing X bytes of data").
 * Drivers that receive into fixed 2 KiB or 4 KiB buffers charge the whole
 * buffer: that rounding is not modelled.
 */
export function rxTruesize(skb: SkBuff): number {
  return skbOverheadBytes + skb.payloadBytes + skb.segs * headerBytes;
}
