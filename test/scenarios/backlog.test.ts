import {test} from "node:test";
import assert from "node:assert/strict";
import {iosimSync} from "../helpers/cli.js";
import fc from "fast-check";
import {loadProfile} from "../../src/host/profiles.js";
import {backlogScenario, runBacklog} from "../../src/scenarios/backlog.js";
import {resolveParams} from "../../src/scenarios/scenario.js";

const profile = loadProfile("server-2024");
const {synNs, ackNs, socketBytes, requestSockBytes} = profile.net;

const iosim = iosimSync;

test("iosim run backlog --set backlog=8 --set clients=100 --format json: 9 established, the 91 cookie clients connected but unknown to the server", () => {
  const {status, stdout, stderr} = iosim("run", "backlog", "--set", "backlog=8", "--set", "clients=100", "--format", "json");
  assert.equal(status, 0, stderr);
  const r = JSON.parse(stdout);
  assert.deepEqual(r, JSON.parse(JSON.stringify(backlogScenario.run(resolveParams(backlogScenario, [["backlog", "8"], ["clients", "100"]]), {seed: 0, profile}))));
  // The SYN queue takes backlog + 1 = 9 requests (qlen > 8 is full); the other 91 get SYN cookies; the accept queue takes 9,
  // and tcp_v4_syn_recv_sock refuses the 91 cookie ACKs. No SYN was dropped, so nobody retries.
  const {established, synSent, failed, halfOpen, clientOnly, synRetries, acceptQueueDrops, syncookiesSent} = r;
  assert.deepEqual({established, synSent, failed, halfOpen, clientOnly, synRetries, acceptQueueDrops, syncookiesSent}, {established: 9, synSent: 0, failed: 0, halfOpen: 0, clientOnly: 91, synRetries: 0, acceptQueueDrops: 91, syncookiesSent: 91});
  // The 100 SYNs arrive together and queue for the 16 cores' softirq: client i's verdict comes after ⌊i/16⌋ + 1 SYNs' work.
  const cores = profile.cpu.cores;
  assert.deepEqual(r.connectTimesNs, Array.from({length: 100}, (_, i) => 2 * 250_000 + synNs * (Math.floor(i / cores) + 1)));
  // The first 9 ACKs (clients 0..8, all in the first batch) arrive together, each on its own core.
  assert.deepEqual(r.establishedTimesNs, [...Array(9).fill(3 * 250_000 + synNs + ackNs), ...Array(91).fill(null)]);
  assert.equal(r.peakKernelMemoryBytes, 9 * socketBytes);
  assert.ok(Math.abs(Object.values(r.cpuShare as Record<string, number>).reduce((a, b) => a + b, 0) - 1) < 1e-9);
});

test("iosim run backlog with syncookies=0 and acceptDelay=10ms: retry rounds of backlog + 1 at 1, 2, 3, 4, 5, 7, 11... s", () => {
  const {status, stdout, stderr} = iosim("run", "backlog", "--set", "syncookies=0", "--set", "acceptDelay=10ms", "--format", "json");
  assert.equal(status, 0, stderr);
  const r = JSON.parse(stdout);
  const rounds = [0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67];
  // At each SYN round the 9 first of those still retrying get a request (the SYN queue holds 9), all others are dropped;
  // the server (an accept every 10 ms) has drained the accept queue long before the next round.
  const expected = rounds.flatMap((t) => Array(9).fill(t * 1e9 + 2 * 250_000 + synNs));
  assert.deepEqual(r.connectTimesNs.filter((t: number | null) => t !== null), expected);
  assert.equal(r.established, 99);
  assert.equal(r.failed, 1);
  assert.equal(r.synRetries, rounds.slice(1).reduce((sum, _, i) => sum + (100 - 9 * (i + 1)), 0));
});

test("runBacklog: stopped at 10 s, the clients dropped at the SYN queue are still retrying (synSent), after their retries at 1, 2, 3, 4, 5, 7 s", () => {
  const {result: r} = runBacklog({profile, backlog: 8, clients: 100, durationNs: 10e9, tcp: {syncookies: 0}});
  assert.equal(r.established, 9);
  assert.equal(r.synSent, 91);
  assert.equal(r.failed, 0);
  assert.equal(r.synRetries, 91 * 6);
  assert.equal(r.synDropsAcceptQueueFull, 91 * 6, "every retry met the full accept queue");
  assert.equal(r.synQueueDrops, 91, "the first SYNs met the full SYN queue");
});

for (const [args, param, value] of [
  [["--set", "backlog=0"], "backlog", "0"],
  [["--set", "clients=-1"], "clients", "-1"],
  [["--set", "acceptDelay=soon"], "acceptDelay", "soon"],
  [["--set", "acceptDelay=-5ms"], "acceptDelay", "-5ms"],
  [["--set", "latency=never"], "latency", "never"],
  [["--set", "fdLimit=3"], "fdLimit", "3"],
  [["--set", "synRetries=200"], "synRetries", "200"],
  [["--set", "duration=later"], "duration", "later"],
] as const) {
  test(`iosim run backlog ${args.join(" ")} exits 2 with one line naming ${param}`, () => {
    const {status, stdout, stderr} = iosim("run", "backlog", ...args);
    assert.equal(status, 2, stderr);
    assert.equal(stdout, "");
    assert.match(stderr, new RegExp(`^iosim: invalid ${param}: ${value}; expected .+\\n$`));
  });
}

test("runBacklog: above 200 clients the connect times are a bounded summary", () => {
  const {result} = runBacklog({profile, backlog: 8, clients: 300});
  // Client i connects at 2 latencies + ⌊i/16⌋ + 1 SYNs' softirq work (16 cores); quantile q is the ⌈q·300⌉-th time.
  const at = (i: number) => 500_000 + synNs * (Math.floor(i / profile.cpu.cores) + 1);
  assert.deepEqual(result.connectTimesNs, {count: 300, never: 0, minNs: at(0), p50Ns: at(149), p90Ns: at(269), p99Ns: at(296), maxNs: at(299)});
});

test("runBacklog: accept() hits EMFILE exactly at fdLimit; the rest stay queued and every later call fails", () => {
  const {result, fds} = runBacklog({profile, backlog: 20, clients: 10, acceptDelayNs: 1_000_000, fdLimit: 8});
  assert.equal(result.accepted, 8 - 4, "fds 4..7 (0..3: stdio and the listener)");
  assert.equal(result.queued, 6);
  assert.equal(result.peakOpenFds, 8);
  assert.ok(result.emfileErrors > 0);
  assert.equal(result.emfileErrors, result.acceptCalls - 4, "every call after the fourth failed");
  assert.equal(fds.open, 8);
});

test("runBacklog: with hold, every accepted connection is closed and kernel memory returns to its baseline (0)", () => {
  const {result, fds} = runBacklog({profile, backlog: 4, clients: 50, acceptDelayNs: 100_000, holdNs: 5_000_000, intervalNs: 50_000});
  assert.equal(result.established, result.closed);
  assert.ok(result.peakKernelMemoryBytes >= socketBytes);
  assert.equal(result.kernelMemoryBytesAtEnd, 0);
  // Stdio, the listener, and the descriptor the server's accept() reserved before blocking on the empty queue
  // (get_unused_fd_flags comes before inet_csk_accept's wait, net/socket.c __sys_accept4_file).
  assert.equal(fds.open, 5);
});

const params = fc.record({
  backlog: fc.integer({min: 1, max: 6}),
  clients: fc.integer({min: 0, max: 40}),
  syncookies: fc.constantFrom(0 as const, 1 as const, 2 as const),
  synLinearTimeouts: fc.integer({min: 0, max: 4}),
  synRetries: fc.integer({min: 1, max: 6}),
  synackRetries: fc.integer({min: 1, max: 5}),
  abortOnOverflow: fc.boolean(),
  acceptDelayNs: fc.oneof(fc.constant("never" as const), fc.integer({min: 0, max: 300_000_000})),
  holdNs: fc.oneof(fc.constant("forever" as const), fc.integer({min: 0, max: 2_000_000_000})),
  intervalNs: fc.integer({min: 0, max: 2_000_000}),
  latencyNs: fc.integer({min: 1_000, max: 400_000_000}),
  fdLimit: fc.integer({min: 4, max: 40}),
  durationNs: fc.oneof(fc.constant("settled" as const), fc.integer({min: 0, max: 200_000_000_000})),
});

test("runBacklog: conservation: every client is established, half-open, known only to itself, still retrying or failed; the ledgers match the states", () => {
  fc.assert(
    fc.property(params, (p) => {
      const {result: r, listener, clients, fds, memory} = runBacklog({
        profile,
        backlog: p.backlog,
        clients: p.clients,
        acceptDelayNs: p.acceptDelayNs,
        holdNs: p.holdNs,
        intervalNs: p.intervalNs,
        latencyNs: p.latencyNs,
        fdLimit: p.fdLimit,
        durationNs: p.durationNs,
        tcp: {syncookies: p.syncookies, synLinearTimeouts: p.synLinearTimeouts, synRetries: p.synRetries, synackRetries: p.synackRetries, abortOnOverflow: p.abortOnOverflow},
      });
      if (p.durationNs === "settled") assert.equal(r.synSent + r.notStarted, 0, "a settled run leaves nobody connecting");
      assert.equal(r.established + r.halfOpen + r.clientOnly + r.synSent + r.failed + r.notStarted, p.clients);
      assert.equal(r.established, r.accepted + r.queued);
      assert.equal(r.failed, r.failedTimeout + r.failedReset);
      const conns = clients.connections;
      assert.equal(r.synRetries, conns.reduce((n, c) => n + c.synRetransmits, 0));
      const inSynQueue = conns.filter((c) => c.serverState === "syn-recv").length;
      assert.equal(listener.synQueueLength, inSynQueue);
      const open = conns.filter((c) => c.serverState === "queued" || c.serverState === "accepted").length;
      assert.equal(memory.bytes, inSynQueue * requestSockBytes + open * socketBytes);
      // Plus one descriptor reserved by an accept() blocked on an empty queue.
      const reserved = fds.open - 4 - conns.filter((c) => c.serverState === "accepted").length;
      assert.ok(reserved === 0 || (reserved === 1 && p.acceptDelayNs !== "never"), `reserved ${reserved}`);
      assert.ok(listener.acceptQueueLength <= listener.maxAckBacklog + 1, "the accept queue never holds more than backlog + 1");
      assert.ok(r.peakAcceptQueue <= p.backlog + 1);
      assert.ok(r.peakSynQueue <= p.backlog + 1);
      // A client that failed by timeout sent exactly tcp_syn_retries + tcp_syn_linear_timeouts retransmissions.
      for (const c of conns) if (c.failure === "timeout") assert.equal(c.synRetransmits, p.synRetries + p.synLinearTimeouts);
    }),
    {numRuns: 40, seed: 10},
  );
});
