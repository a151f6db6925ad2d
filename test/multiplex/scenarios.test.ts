import {test} from "node:test";
import assert from "node:assert/strict";
import {loadProfile} from "../../src/host/profiles.js";
import {epollEventBytes} from "../../src/multiplex/epoll.js";
import {pollfdBytes} from "../../src/multiplex/poll.js";
import {fdsBytes} from "../../src/multiplex/select.js";
import {runMultiplex, type MultiplexRunOptions} from "../../src/scenarios/multiplex.js";
import {runTrigger, type TriggerRunOptions} from "../../src/scenarios/trigger.js";
import {KiB, MiB} from "../../src/units.js";

const profile = loadProfile("server-2024");

const base: Omit<MultiplexRunOptions, "api" | "fds"> = {profile, active: 10, requests: 10, requestBytes: 128, responseBytes: 128};
const perCall = (api: MultiplexRunOptions["api"], fds: number) => runMultiplex({...base, api, fds}).result;

for (const api of ["select", "poll"] as const) {
  test(`runMultiplex({api: ${api}}): CPU per call grows linearly with fds at a fixed number of active connections`, () => {
    const [a, b, c] = [100, 500, 1000].map((fds) => perCall(api, fds));
    for (const r of [a, b, c]) assert.equal(r.requestsServed, base.active * base.requests);
    // Linear: the cost per watched descriptor is the same at 500 and at 1000 fds (within 25%), and 1000 fds cost several times 100.
    const slope1 = (b.perCallNs - a.perCallNs) / 400;
    const slope2 = (c.perCallNs - b.perCallNs) / 500;
    assert.ok(slope1 > 0 && slope2 > 0);
    assert.ok(Math.abs(slope2 / slope1 - 1) < 0.25, `slopes ${slope1.toFixed(1)} and ${slope2.toFixed(1)} ns per fd`);
    assert.ok(c.perCallNs > 5 * a.perCallNs, `${c.perCallNs} ns at 1000 fds against ${a.perCallNs} ns at 100`);
  });
}

test("runMultiplex({api: epoll}): CPU per call stays flat from 100 to 10,000 fds at a fixed number of active connections", () => {
  const [a, b] = [100, 10_000].map((fds) => perCall("epoll", fds));
  assert.equal(b.requestsServed, base.active * base.requests);
  assert.ok(Math.abs(b.perCallNs / a.perCallNs - 1) < 0.1, `${a.perCallNs} ns at 100 fds, ${b.perCallNs} ns at 10,000`);
  assert.ok(b.ctlCalls === 10_000, "each fd registered once");
});

test("runMultiplex: bytes copied per call are select's 6 × FDS_BYTES(nfds), poll's 8 + 2 bytes per fd, epoll's 12 per event", () => {
  const fds = 1000;
  const s = perCall("select", fds);
  const p = perCall("poll", fds);
  const e = perCall("epoll", fds);
  assert.equal(s.bytesCopiedPerCall, 6 * fdsBytes(fds + 3));
  assert.equal(p.bytesCopiedPerCall, fds * (pollfdBytes + 2));
  assert.equal(e.bytesCopiedPerCall, epollEventBytes * e.eventsPerCall);
});

test("runMultiplex: CPU share shows poll-scan for select and poll, epoll-ctl/epoll-wait/epoll-callback and no poll-scan for epoll", () => {
  const p = perCall("poll", 1000);
  const e = perCall("epoll", 1000);
  for (const k of ["poll-scan", "poll-wait", "fd-copy", "user-scan"]) assert.ok((p.cpuShare as Record<string, number>)[k] > 0, `poll ${k}`);
  for (const k of ["epoll-ctl", "epoll-wait", "epoll-callback", "fd-copy", "user-scan"]) assert.ok((e.cpuShare as Record<string, number>)[k] > 0, `epoll ${k}`);
  assert.equal((e.cpuShare as Record<string, number>)["poll-scan"], undefined);
  assert.ok((p.cpuShare as Record<string, number>)["poll-scan"] > 0.2, "at 1000 fds, scanning is a large part of the CPU");
});

test("runMultiplex({api: epoll, trigger: edge}): every request is served, each ready event read until EAGAIN", () => {
  const r = runMultiplex({...base, api: "epoll", fds: 200, trigger: "edge"}).result;
  assert.equal(r.requestsServed, base.active * base.requests);
  assert.equal(r.eagainReads, r.eventsPerCall * r.calls, "one EAGAIN ends the reads of each event");
});

const msg: Omit<TriggerRunOptions, "trigger" | "reads"> = {profile, api: "epoll", messageBytes: MiB, readBytes: 4 * KiB};
/** A receive buffer that holds the whole message and a reader slower than the link: each read finds readBytes queued. */
const slowReader = {...msg, handleNs: 2_000, dataPath: {rcvbufBytes: 2 * MiB}};

test("runTrigger({trigger: level, reads: once}): wake-ups = ceil(messageBytes / readBytes), one read each, nothing left", () => {
  const r = runTrigger({...slowReader, trigger: "level", reads: "once"}).result;
  assert.equal(r.wakeups, Math.ceil(MiB / (4 * KiB)));
  assert.equal(r.readCalls, r.wakeups);
  assert.equal(r.bytesRead, MiB);
  assert.equal(r.bytesUnread, 0);
  assert.equal(r.stalled, false);
});

test("runTrigger({trigger: level, reads: once}) with Linux's default buffer: a reader that catches up with the network wakes more often, one read each", () => {
  const r = runTrigger({...msg, trigger: "level", reads: "once"}).result;
  assert.equal(r.bytesRead, MiB);
  assert.equal(r.readCalls, r.wakeups);
  assert.ok(r.shortReads > 0);
  assert.ok(r.wakeups > Math.ceil(MiB / (4 * KiB)));
  assert.equal(r.stalled, false);
});

for (const [label, o] of [
  ["a buffer holding the message", slowReader],
  ["Linux's default buffer", msg],
] as const) {
  test(`runTrigger({trigger: edge, reads: once}) with ${label}: bytesUnread = messageBytes − wakeups × readBytes and the reader stalls`, () => {
    const r = runTrigger({...o, trigger: "edge", reads: "once"}).result;
    assert.equal(r.bytesUnread, MiB - r.wakeups * 4 * KiB);
    assert.ok(r.bytesUnread > 0);
    assert.equal(r.stalled, true);
    assert.equal(r.bytesQueued, r.bytesUnread - r.bytesNotSent);
    assert.equal(r.wakeups, r.arrivals, "one wake-up per arrival (edge), each delivered once");
  });

  test(`runTrigger({trigger: edge, reads: until-eagain}) with ${label}: reads everything, one EAGAIN per wake-up`, () => {
    const r = runTrigger({...o, trigger: "edge", reads: "until-eagain"}).result;
    assert.equal(r.bytesRead, MiB);
    assert.equal(r.bytesUnread, 0);
    assert.equal(r.stalled, false);
    assert.equal(r.eagainReads, r.wakeups);
  });
}

test("runTrigger: select and poll read the message level-triggered like epoll", () => {
  for (const api of ["select", "poll"] as const) {
    const r = runTrigger({...slowReader, api, trigger: "level", reads: "once"}).result;
    assert.equal(r.wakeups, Math.ceil(MiB / (4 * KiB)), api);
    assert.equal(r.bytesRead, MiB, api);
  }
});

test("runTrigger is deterministic: same options, same result", () => {
  const a = runTrigger({...msg, trigger: "edge", reads: "once"}).result;
  const b = runTrigger({...msg, trigger: "edge", reads: "once"}).result;
  assert.deepEqual(a, b);
});
