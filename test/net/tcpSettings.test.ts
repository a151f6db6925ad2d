import {test} from "node:test";
import assert from "node:assert/strict";
import {InputError} from "../../src/errors.js";
import {effectiveBacklog, linuxTcpDefaults, synSchedule, tcpSettings} from "../../src/net/tcpSettings.js";
import {parseDuration} from "../../src/units.js";

const s = 1e9;

test("synSchedule() with tcp_syn_linear_timeouts 0: SYN retries at 1, 3, 7, 15, 31, 63 s, ETIMEDOUT at 127 s", () => {
  // The timeout starts at 1 s and doubles after each retransmission; the 7th expiry finds icsk_retransmits = 6 = tcp_syn_retries.
  assert.deepEqual(synSchedule(tcpSettings({synLinearTimeouts: 0})), {retransmitNs: [1, 3, 7, 15, 31, 63].map((t) => t * s), giveUpNs: 127 * s});
});

test("synSchedule() with Linux 6.18's defaults (4 linear timeouts): retries at 1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s, ETIMEDOUT at 131 s", () => {
  // Five 1 s timeouts (the first four retransmissions keep it, total_rto ≤ 4), then doubling; 6 + 4 = 10 retransmissions.
  assert.deepEqual(synSchedule(tcpSettings()), {retransmitNs: [1, 2, 3, 4, 5, 7, 11, 19, 35, 67].map((t) => t * s), giveUpNs: 131 * s});
});

test("synSchedule() caps the timeout at TCP_RTO_MAX (120 s)", () => {
  const {retransmitNs, giveUpNs} = synSchedule(tcpSettings({synLinearTimeouts: 0, synRetries: 9}));
  // 1, 2, 4, ..., 64, then 120 instead of 128, and 120 instead of 256 before giving up.
  assert.deepEqual(retransmitNs, [1, 3, 7, 15, 31, 63, 127, 247, 367].map((t) => t * s));
  assert.equal(giveUpNs, 487 * s);
});

test("effectiveBacklog() clamps listen()'s backlog to somaxconn, a negative one too (unsigned compare)", () => {
  assert.equal(effectiveBacklog(8, 4096), 8);
  assert.equal(effectiveBacklog(5000, 4096), 4096);
  assert.equal(effectiveBacklog(-1, 4096), 4096);
  assert.equal(linuxTcpDefaults.somaxconn, 4096);
});

test("tcpSettings() rejects out-of-range sysctls with an InputError naming them", () => {
  assert.throws(() => tcpSettings({synRetries: 0}), (e: unknown) => e instanceof InputError && e.param === "synRetries" && e.value === "0");
  assert.throws(() => tcpSettings({synRetries: 128}), (e: unknown) => e instanceof InputError && e.param === "synRetries");
  assert.throws(() => tcpSettings({syncookies: 3 as 0}), (e: unknown) => e instanceof InputError && e.param === "syncookies");
});

test("parseDuration() reads ns, us/µs, ms, s and allowed words; rejects the rest naming the parameter", () => {
  assert.equal(parseDuration("d", "250"), 250);
  assert.equal(parseDuration("d", "250us"), 250_000);
  assert.equal(parseDuration("d", "250µs"), 250_000);
  assert.equal(parseDuration("d", "10ms"), 10_000_000);
  assert.equal(parseDuration("d", "1.5s"), 1_500_000_000);
  assert.equal(parseDuration("d", "never", ["never"]), "never");
  for (const bad of ["-5ms", "soon", "10 parsecs", "", "never"])
    assert.throws(() => parseDuration("acceptDelay", bad), (e: unknown) => e instanceof InputError && e.param === "acceptDelay" && e.value === bad);
});
