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
