import {test} from "node:test";
import assert from "node:assert/strict";
import {iosimSync} from "../helpers/cli.js";

test("iosim run multiplex --set api=select --set fds=10000 exits 2 with one line naming fds and the 1024 limit", () => {
  const r = iosimSync("run", "multiplex", "--set", "api=select", "--set", "fds=10000");
  assert.equal(r.status, 2);
  assert.equal(r.stdout, "");
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1);
  assert.match(lines[0], /invalid fds: 10000/);
  assert.match(lines[0], /1024/);
});

for (const [args, param] of [
  [["run", "multiplex", "--set", "api=kqueue"], "api"],
  [["run", "multiplex", "--set", "fds=10", "--set", "active=11"], "active"],
  [["run", "trigger", "--set", "trigger=edgy"], "trigger"],
  [["run", "trigger", "--set", "readBytes=0"], "readBytes"],
  [["run", "trigger", "--set", "api=poll", "--set", "trigger=edge"], "trigger"],
] as const) {
  test(`iosim ${args.join(" ")} exits 2 with one line naming ${param}`, () => {
    const r = iosimSync(...args);
    assert.equal(r.status, 2);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1);
    assert.match(lines[0], new RegExp(`invalid ${param}:`));
  });
}

test("iosim run multiplex --format json prints perCallNs, eventsPerSec, bytesCopiedPerCall, syscalls and cpuShare", () => {
  const r = iosimSync("run", "multiplex", "--set", "api=poll", "--set", "fds=2000", "--set", "active=10", "--set", "requests=5", "--format", "json");
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  for (const k of ["perCallNs", "eventsPerSec", "bytesCopiedPerCall", "syscalls"]) assert.ok(typeof out[k] === "number" && out[k] > 0, k);
  assert.ok(out.cpuShare["poll-scan"] > 0);
  assert.equal(out.requestsServed, 50);
});

test("iosim run trigger --set trigger=edge --set reads=once --format json prints the stall", () => {
  const r = iosimSync("run", "trigger", "--set", "trigger=edge", "--set", "reads=once", "--set", "messageBytes=1MiB", "--set", "readBytes=4KiB", "--format", "json");
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  for (const k of ["wakeups", "readCalls", "eagainReads", "bytesRead", "bytesUnread"]) assert.equal(typeof out[k], "number", k);
  assert.equal(out.stalled, true);
  assert.equal(out.bytesUnread, 1024 * 1024 - out.wakeups * 4096);
});

test("iosim list shows the multiplex and trigger scenarios", () => {
  const r = iosimSync("list");
  assert.equal(r.status, 0);
  assert.match(r.stdout, /multiplex/);
  assert.match(r.stdout, /trigger/);
});
