/**
 * One client's connection as both ends see it: the client's socket state
 * (what connect() reports) and the server's (nothing, a request in the SYN
 * queue, a socket in the accept queue, an accepted descriptor).
 */

import type {TcpSocket} from "./TcpSocket.js";

/** The client's socket: connecting, connected (connect() returned 0), or failed. */
export type ClientState = "closed" | "syn-sent" | "established" | "failed";

/**
 * The server's view: no state; a request sock in the SYN queue (SYN_RECV);
 * a child socket in the accept queue (ESTABLISHED, not yet accepted);
 * accepted (it has a descriptor); closed by the server.
 */
export type ServerState = "none" | "syn-recv" | "queued" | "accepted" | "closed";

/** Why the connection failed: connect()'s SYN retries ran out (ETIMEDOUT), the server reset it (ECONNRESET), or its data was never acknowledged (ETIMEDOUT after tcp_retries2). */
export type ConnectFailure = "" | "timeout" | "reset" | "data-timeout";

/** Returns a connection record for client *id*, not yet started. */
export class Connection {
  /** The client's state. */
  clientState: ClientState = "closed";
  /** The server's state. */
  serverState: ServerState = "none";
  /** Why it failed, when it did. */
  failure: ConnectFailure = "";
  /** When connect() was called, ns (−1 before). */
  startNs = -1;
  /** When connect() returned on the client (its SYN-ACK arrived), ns, or −1. */
  connectedNs = -1;
  /** When the server created the connected socket (accept queue), ns, or −1. */
  establishedNs = -1;
  /** When the server accepted it, ns, or −1. */
  acceptedNs = -1;
  /** When connect() failed, ns, or −1. */
  failedNs = -1;
  /** SYNs the client sent again. */
  synRetransmits = 0;
  /** The server's descriptor for it once accepted, else −1. */
  fd = -1;
  // Client side: the SYN retransmission timer.
  /** Retransmissions so far (icsk_retransmits). */
  retransmits = 0;
  /** Current retransmission timeout, ns (icsk_rto). */
  rtoNs = 0;
  /** Bumped to cancel a pending timer: a timer whose generation is stale does nothing. */
  clientTimer = 0;
  /** Last out-of-window ACK the client sent (tcp_oow_rate_limited), ns. */
  clientLastOowAckNs = -Infinity;
  // Server side: the request sock while in the SYN queue.
  /** Its SYN-ACK timeouts so far (req->num_timeout). */
  numTimeout = 0;
  /** Its final ACK arrived but the accept queue was full (inet_rsk(req)->acked). */
  acked = false;
  /** Bumped to cancel the request's timer. */
  reqTimer = 0;
  /** Last SYN-ACK resent for a retransmitted SYN (tcp_check_req's rate limit), ns. */
  reqLastOowAckNs = -Infinity;
  /** The server answered with a SYN cookie and kept no state; the cookie is still valid. */
  cookie = false;
  /** Its data path (both ends), once it carries data (see NetStack.socket), else null. */
  socket: TcpSocket | null = null;

  constructor(
    /** Client number, 0-based. */
    readonly id: number,
  ) {}
}
