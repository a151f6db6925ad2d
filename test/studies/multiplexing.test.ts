import {test} from "node:test";
import assert from "node:assert/strict";
import {multiplexingStudy, selectMaxFds} from "../../src/studies/multiplexing.js";
import {studies} from "../../src/studies/index.js";
import {InputError} from "../../src/errors.js";
import {FD_SETSIZE} from "../../src/multiplex/select.js";
import {runTrigger} from "../../src/scenarios/trigger.js";
import {loadProfile} from "../../src/host/profiles.js";
import {fdsLineChart} from "../../src/charts/multiplexing.js";
import {assertStudyGolden} from "./golden.js";

const KiB = 1024;

/** A small study that still runs every part: select below, at and past its limit, two active counts, two no-idle sizes. */
const small = {fdCounts: [10, 100, 2000], activeCounts: [1, 10], noIdleFds: [10, 50], requests: 3, shareFds: 100, messageBytes: 256 * KiB};

type Row = {api: string; fds: number; active: number; ran: boolean; refusal: string; timeToServeNs: number | null; perCallNs: number | null; bytesCopiedPerCall: number | null};
const rows = (r: ReturnType<typeof multiplexingStudy>, id: string) => r.tables.find((t) => t.id === id)!.table.objects() as Row[];
const note = (notes: string[], start: string) => notes.find((n) => n.startsWith(start)) ?? assert.fail(`no note starts with ${start}:\n${notes.join("\n")}`);

test("multiplexingStudy() with default parameters matches its golden output", () => {
  assertStudyGolden("multiplexingStudy", multiplexingStudy());
});

test("multiplexingStudy(small) returns its tables, titled SVG charts and computed notes", () => {
  const r = multiplexingStudy(small);
  assert.equal(r.id, "multiplexing");
  assert.deepEqual(r.tables.map((t) => t.id), ["sweep", "no-idle", "cpu-share", "trigger"]);
  assert.deepEqual(r.charts.map((c) => c.id), ["time-to-serve", "per-call", "no-idle", "cpu-share", "trigger-wakeups", "trigger-unread"]);
  for (const c of r.charts) {
    assert.match(c.html, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.ok(c.html.includes(`<title>${c.title}</title>`), c.id);
  }
  // Per active count: select at 10, 100, its limit and refused at 2000 (1 active; 10 active starts at 10); poll and epoll at each size.
  const sweep = rows(r, "sweep");
  assert.equal(sweep.length, 2 * (4 + 3 + 3));
  assert.equal(r.tables.find((t) => t.id === "trigger")!.table.numRows(), 4);
  assert.equal(rows(r, "no-idle").length, 2 * 3);
});

test("multiplexingStudy: select runs up to its FD_SETSIZE limit and the refusal past it is recorded, never plotted", () => {
  const r = multiplexingStudy(small);
  const sweep = rows(r, "sweep");
  const select = sweep.filter((x) => x.api === "select");
  const refused = select.filter((x) => !x.ran);
  assert.deepEqual(refused.map((x) => [x.fds, x.active]), [[2000, 1], [2000, 10]]);
  for (const x of refused) {
    assert.equal(x.timeToServeNs, null);
    assert.match(x.refusal, /invalid fds: 2000; expected at most 1021 with api=select/);
  }
  assert.equal(selectMaxFds, FD_SETSIZE - 3);
  assert.deepEqual(select.filter((x) => x.ran && x.active === 1).map((x) => x.fds), [10, 100, selectMaxFds]);
  // The chart's data has no select point past the limit, and the limit is drawn.
  const plotted = r.charts.find((c) => c.id === "time-to-serve")!.data.objects() as Array<{api: string; fds: number}>;
  assert.equal(Math.max(...plotted.filter((x) => x.api === "select").map((x) => x.fds)), selectMaxFds);
  assert.ok(plotted.some((x) => x.api === "poll" && x.fds === 2000));
  assert.ok(r.charts[0].html.includes(`select stops: ${selectMaxFds.toLocaleString("en-US")}`));
  assert.match(note(r.notes, "select stops at"), /^select stops at 1,021 connections; at 2,000 the scenario refuses it: "invalid fds: 2000; expected at most 1021/);
});

test("multiplexingStudy: poll's CPU per call grows with the descriptors watched, epoll's stays flat (1 active)", () => {
  const sweep = rows(multiplexingStudy(small), "sweep").filter((x) => x.ran && x.active === 1);
  const poll = sweep.filter((x) => x.api === "poll");
  const ep = sweep.filter((x) => x.api === "epoll");
  for (let i = 1; i < poll.length; i++) {
    assert.ok(poll[i].perCallNs! > poll[i - 1].perCallNs!, JSON.stringify(poll));
    assert.ok(poll[i].bytesCopiedPerCall! > poll[i - 1].bytesCopiedPerCall!);
  }
  // From 100 to 2000 descriptors (×20), poll's per-call CPU grows at least ×10; epoll's within 5%.
  assert.ok(poll[2].perCallNs! / poll[1].perCallNs! > 10, `${poll[1].perCallNs} → ${poll[2].perCallNs}`);
  assert.ok(Math.abs(ep[2].perCallNs! / ep[0].perCallNs! - 1) < 0.05, `${ep[0].perCallNs} → ${ep[2].perCallNs}`);
  assert.ok(ep[2].timeToServeNs! < poll[2].timeToServeNs!);
});

test("multiplexingStudy: with no idle connection the three serve them in about the same time, and the note says so from the rows", () => {
  const r = multiplexingStudy(small);
  for (const fds of small.noIdleFds) {
    const tts = rows(r, "no-idle").filter((x) => x.fds === fds).map((x) => x.timeToServeNs!);
    const spread = Math.max(...tts) / Math.min(...tts) - 1;
    assert.ok(spread < 0.2, `${fds}: ${tts}`);
    const text = note(r.notes, `With all ${fds} connections active`);
    if (spread < 0.1) assert.match(text, new RegExp(`within ${(spread * 100).toFixed(1)}% of one another, about equal`));
    else assert.match(text, /% slower than /);
  }
});

test("multiplexingStudy: the trigger notes follow the runs' wake-ups and unread bytes", () => {
  const r = multiplexingStudy(small);
  const trig = r.tables.find((t) => t.id === "trigger")!.table.objects() as Array<{trigger: string; reads: string; wakeups: number; bytesUnread: number; bytesRead: number; stalled: boolean}>;
  const t = (trigger: string, reads: string) => trig.find((x) => x.trigger === trigger && x.reads === reads)!;
  // The table holds what the scenario measures.
  const direct = runTrigger({profile: loadProfile("server-2024"), seed: 0, keepEvents: false, trigger: "edge", reads: "once", messageBytes: small.messageBytes, readBytes: 4 * KiB}).result;
  assert.equal(t("edge", "once").wakeups, direct.wakeups);
  assert.equal(t("edge", "once").bytesUnread, direct.bytesUnread);
  assert.equal(t("edge", "once").stalled, true);
  assert.equal(t("edge", "until-eagain").bytesUnread, 0);
  assert.match(note(r.notes, "Level-triggered"), new RegExp(`woken ${t("level", "once").wakeups} times for the 256 KiB message \\(⌈message ÷ read⌉ = 64\\)`));
  assert.match(note(r.notes, "Edge-triggered with one read"), /the reader stalls: woken \d+ times/);
  // Reads of 512 KiB take everything queued at each wake-up: edge-triggered no longer stalls, and the note says so.
  const big = multiplexingStudy({...small, fdCounts: [10], activeCounts: [1], noIdleFds: [10], shareFds: 10, readBytes: 512 * KiB});
  const edge = note(big.notes, "Edge-triggered with one read");
  assert.match(edge, /^Edge-triggered with one read per wake-up, the reader does not stall here: .* it leaves 0 B unread\.$/);
  assert.match(note(big.notes, "Level-triggered"), /\(⌈message ÷ read⌉ = 1\)/);
});

test("multiplexingStudy is deterministic", () => {
  const p = {...small, fdCounts: [10, 100], activeCounts: [1], noIdleFds: [10]};
  const a = multiplexingStudy(p);
  const b = multiplexingStudy(p);
  assert.deepEqual(a.notes, b.notes);
  assert.deepEqual(a.charts.map((c) => c.html), b.charts.map((c) => c.html));
});

test("multiplexingStudy: bad parameters are InputErrors naming the parameter", () => {
  const names = (params: Record<string, unknown>) => {
    try {
      multiplexingStudy(params);
    } catch (e) {
      if (e instanceof InputError) return e.param;
      throw e;
    }
    return null;
  };
  assert.equal(names({fdCounts: []}), "fdCounts");
  assert.equal(names({fdCounts: [0, 10]}), "fdCounts");
  assert.equal(names({activeCounts: [1, 200], fdCounts: [10, 100]}), "activeCounts");
  assert.equal(names({shareFds: 2000}), "shareFds");
  assert.equal(names({readBytes: 0}), "readBytes");
  assert.equal(names({latencyNs: -1}), "latencyNs");
  assert.equal(names({seed: 1.5}), "seed");
});

test("studies lists multiplexing for the report", () => {
  assert.ok(studies.some((s) => s.id === "multiplexing"));
});

test("fdsLineChart leaves out non-positive values and draws the limit rule only when given", () => {
  const rows = [
    {panel: "1 active", series: "poll", fds: 10, value: 5},
    {panel: "1 active", series: "poll", fds: 100, value: 0},
    {panel: "1 active", series: "epoll", fds: 10, value: Number.NaN},
  ];
  const without = fdsLineChart(rows, {title: "t", yLabel: "y", seriesLabel: "API"});
  const withLimit = fdsLineChart(rows, {title: "t", yLabel: "y", seriesLabel: "API", limit: {fds: 50, label: "select stops: 50"}});
  assert.ok(!without.includes("select stops"));
  assert.ok(withLimit.includes("select stops: 50"));
  assert.ok(!without.includes(">epoll<"), "a series with no finite point has no legend entry");
});
