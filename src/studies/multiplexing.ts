/**
 * Study: what does waiting cost with select, poll and epoll (I/O 多路复用),
 * and what do level- and edge-triggered readiness (水平触发 and 边缘触发)
 * ask of the reader?
 *
 * Picture a receptionist with a board of room numbers. With select and
 * poll she walks every corridor on each round to see who wants something,
 * however few do; with epoll each room has a bell wired to a lamp at the
 * desk, and she only looks at the lit lamps. The study runs the `multiplex`
 * scenario over a grid of watched descriptors (the libevent benchmark's
 * shape: time to serve the active connections against the total), with no
 * idle connections at all, and the `trigger` scenario for each trigger
 * mode and read policy.
 */
import * as aq from "arquero";
import {cpuShareChart} from "../charts/cpuShareChart.js";
import {fdsLineChart, multiplexCategoryColors, multiplexColors} from "../charts/multiplexing.js";
import {groupedBarChart} from "../charts/pageCache.js";
import {InputError} from "../errors.js";
import {loadProfile} from "../host/profiles.js";
import {FD_SETSIZE} from "../multiplex/select.js";
import {runMultiplex} from "../scenarios/multiplex.js";
import {multiplexApis, runTrigger, type MultiplexApi, type ReadPolicy, type TriggerMode} from "../scenarios/trigger.js";
import {formatNs, formatSize, KiB, MiB} from "../units.js";
import type {StudyResult} from "./study.js";

/** Parameters of {@link multiplexingStudy}. */
export interface MultiplexingParams {
  /** Host profile (shipped name or JSON path); default server-2024. */
  profile: string;
  /** Seed of every simulation. */
  seed: number;
  /** Descriptors watched, swept; default 10, 100, 1000, 10,000, 100,000. select runs only up to its limit (and at it). */
  fdCounts: number[];
  /** Active connections of the sweep (the rest idle); default 1 and 100, as in libevent's benchmark. */
  activeCounts: number[];
  /** Sizes of the run with no idle connection (every watched connection active); default 10, 100, 1000. */
  noIdleFds: number[];
  /** Requests each active client sends, one at a time (the rounds of a run); default 10. */
  requests: number;
  /** Bytes of a request and of a response; default 128 each. */
  requestBytes: number;
  responseBytes: number;
  /**
   * One-way link latency, ns; default 50 µs, half a 100 µs round trip inside a data centre. A call that finds a
   * descriptor ready on its first pass skips the sleep and the second pass, so with a link much shorter than a
   * large set's copy-in, per-call costs bend below the line at the largest sizes.
   */
  latencyNs: number;
  /** Descriptors of the CPU-share comparison (one of **fdCounts**, select's limit allowing); default 1000. */
  shareFds: number;
  /** Message of the trigger runs, bytes; default 1 MiB. */
  messageBytes: number;
  /** Bytes asked for by each read of the trigger runs; default 4 KiB. */
  readBytes: number;
}

/** Default parameters of {@link multiplexingStudy}. */
export const multiplexingDefaults: Readonly<MultiplexingParams> = Object.freeze({
  profile: "server-2024",
  seed: 0,
  fdCounts: [10, 100, 1000, 10_000, 100_000],
  activeCounts: [1, 100],
  noIdleFds: [10, 100, 1000],
  requests: 10,
  requestBytes: 128,
  responseBytes: 128,
  latencyNs: 50_000,
  shareFds: 1000,
  messageBytes: MiB,
  readBytes: 4 * KiB,
});

/** The first connection's descriptor in the multiplex scenario (0–2 are stdio), so select watches at most FD_SETSIZE − 3 connections. */
const firstFd = 3;
/** The most connections select can watch: descriptors 3 … FD_SETSIZE − 1. */
export const selectMaxFds = FD_SETSIZE - firstFd;

function intList(name: string, v: unknown, min: number): number[] {
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => Number.isSafeInteger(x) && x >= min))
    throw new InputError(name, JSON.stringify(v), `a non-empty list of integers ≥ ${min}`);
  return [...new Set(v as number[])].sort((a, b) => a - b);
}

function positiveInt(name: string, v: unknown): void {
  if (!(typeof v === "number" && Number.isSafeInteger(v) && v > 0)) throw new InputError(name, JSON.stringify(v), "a positive integer");
}

/** Returns *params* over the defaults, checked: errors name the parameter. */
function resolve(params: Partial<MultiplexingParams>): MultiplexingParams {
  const p = {...multiplexingDefaults, ...params} as MultiplexingParams;
  p.fdCounts = intList("fdCounts", p.fdCounts, 1);
  p.activeCounts = intList("activeCounts", p.activeCounts, 1);
  p.noIdleFds = intList("noIdleFds", p.noIdleFds, 1);
  for (const k of ["requests", "requestBytes", "responseBytes", "messageBytes", "readBytes", "shareFds"] as const) positiveInt(k, p[k]);
  if (p.activeCounts[p.activeCounts.length - 1] > p.fdCounts[p.fdCounts.length - 1])
    throw new InputError("activeCounts", JSON.stringify(p.activeCounts), `counts no larger than the largest of fdCounts (${p.fdCounts[p.fdCounts.length - 1]})`);
  if (p.shareFds > selectMaxFds) throw new InputError("shareFds", String(p.shareFds), `at most ${selectMaxFds} (select compares at it)`);
  if (!(Number.isFinite(p.latencyNs) && p.latencyNs >= 0)) throw new InputError("latencyNs", String(p.latencyNs), "a number of ns ≥ 0");
  if (!Number.isSafeInteger(p.seed)) throw new InputError("seed", String(p.seed), "an integer");
  // The CPU-share comparison runs at a point of the sweep.
  p.fdCounts = [...new Set([...p.fdCounts, p.shareFds])].sort((a, b) => a - b);
  return p;
}

/** One run of the sweep (or select's refusal of it). */
interface SweepRow {
  api: MultiplexApi;
  fds: number;
  active: number;
  /** False where the API refused the descriptors (select past FD_SETSIZE); the measures are then null. */
  ran: boolean;
  /** The refusal, as the scenario states it; "" when it ran. */
  refusal: string;
  /** Time to serve every active connection once: the run's window ÷ its rounds, ns. */
  timeToServeNs: number | null;
  /** CPU time of the wait calls (scans and copies included) per round, ns. */
  waitCpuPerRoundNs: number | null;
  perCallNs: number | null;
  eventsPerCall: number | null;
  eventsPerSec: number | null;
  bytesCopiedPerCall: number | null;
  calls: number | null;
  /** Wait calls that found nothing ready on their first pass and slept. */
  blockedCalls: number | null;
  syscalls: number | null;
  requestsServed: number | null;
}

/** One policy of the trigger runs. */
const policies: Array<{trigger: TriggerMode; reads: ReadPolicy}> = [
  {trigger: "level", reads: "once"},
  {trigger: "level", reads: "until-eagain"},
  {trigger: "edge", reads: "once"},
  {trigger: "edge", reads: "until-eagain"},
];

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const times = (x: number) => `×${x >= 10 ? x.toFixed(0) : x.toFixed(1)}`;
const count = (n: number) => n.toLocaleString("en-US");
/** Returns "select, poll and epoll" style lists. */
const list = (xs: string[]) => (xs.length <= 1 ? xs.join("") : `${xs.slice(0, -1).join(", ")} and ${xs[xs.length - 1]}`);

/**
 * Returns the multiplexing study: an event loop serving 1 and 100 active
 * connections among 10 to 100,000 watched ones with select (up to its
 * FD_SETSIZE limit), poll and epoll (time to serve the active connections,
 * CPU per wait call, bytes copied); the same with no idle connection; CPU
 * share by category per API; and one message read level- and
 * edge-triggered, once per wake-up or until EAGAIN (wake-ups, bytes left
 * unread); with notes computed from the runs.
 *
 * ```ts
 * const {tables, charts, notes} = multiplexingStudy({fdCounts: [10, 1000, 10_000]});
 * ```
 * @see pageCacheStudy
 */
export function multiplexingStudy(params: Partial<MultiplexingParams> = {}): StudyResult {
  const p = resolve(params);
  const profile = loadProfile(p.profile);
  const common = {profile, seed: p.seed, keepEvents: false, requests: p.requests, requestBytes: p.requestBytes, responseBytes: p.responseBytes, latencyNs: p.latencyNs};

  /** CPU share of each run, by category. */
  const shareRows: Array<{api: string; fds: number; active: number; setting: string; category: string; share: number}> = [];
  const setting = (fds: number, active: number) => (active === fds ? `${count(fds)} fds, all active` : `${count(fds)} fds, ${count(active)} active`);
  /** Runs *api* over *fds* with *active* of them active; a refusal (InputError) becomes a row without measures. */
  function measure(api: MultiplexApi, fds: number, active: number): SweepRow {
    try {
      const {result: r} = runMultiplex({...common, api, fds, active});
      for (const [category, share] of Object.entries(r.cpuShare)) shareRows.push({api, fds, active, setting: setting(fds, active), category, share});
      return {
        api,
        fds,
        active,
        ran: true,
        refusal: "",
        timeToServeNs: r.windowNs / p.requests,
        waitCpuPerRoundNs: (r.perCallNs * r.calls) / p.requests,
        perCallNs: r.perCallNs,
        eventsPerCall: r.eventsPerCall,
        eventsPerSec: r.eventsPerSec,
        bytesCopiedPerCall: r.bytesCopiedPerCall,
        calls: r.calls,
        blockedCalls: r.blockedCalls,
        syscalls: r.syscalls,
        requestsServed: r.requestsServed,
      };
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      const none = {timeToServeNs: null, waitCpuPerRoundNs: null, perCallNs: null, eventsPerCall: null, eventsPerSec: null, bytesCopiedPerCall: null, calls: null, blockedCalls: null, syscalls: null, requestsServed: null};
      return {api, fds, active, ran: false, refusal: e.message, ...none};
    }
  }

  // 1. The libevent benchmark's shape: every API over the grid, for each active count. select runs up to its limit, at
  //    its limit, and is refused at the first size past it (the refusal is recorded, not plotted).
  const sweep: SweepRow[] = [];
  for (const active of p.activeCounts) {
    for (const api of multiplexApis) {
      let grid = p.fdCounts.filter((fds) => fds >= active);
      if (api === "select" && grid.some((fds) => fds > selectMaxFds)) {
        const past = grid.find((fds) => fds > selectMaxFds)!;
        grid = [...grid.filter((fds) => fds <= selectMaxFds), ...(active <= selectMaxFds && !grid.includes(selectMaxFds) ? [selectMaxFds] : []), past];
      }
      for (const fds of grid) sweep.push(measure(api, fds, active));
    }
  }
  // 2. No idle connection at all: every watched connection active.
  const noIdle: SweepRow[] = [];
  for (const fds of p.noIdleFds) for (const api of multiplexApis) noIdle.push(measure(api, fds, fds));

  // 3. Level and edge: one message, each read policy.
  const triggerRows = policies.map(({trigger, reads}) => {
    const {result: r} = runTrigger({profile, seed: p.seed, keepEvents: false, api: "epoll", trigger, reads, messageBytes: p.messageBytes, readBytes: p.readBytes});
    return {
      trigger,
      reads,
      messageBytes: r.messageBytes,
      readBytes: r.readBytes,
      wakeups: r.wakeups,
      readCalls: r.readCalls,
      eagainReads: r.eagainReads,
      shortReads: r.shortReads,
      bytesRead: r.bytesRead,
      bytesUnread: r.bytesUnread,
      stalled: r.stalled,
      arrivals: r.arrivals,
      segments: r.segments,
      waitCalls: r.waitCalls,
    };
  });

  const ran = (rows: SweepRow[]) => rows.filter((r) => r.ran);
  const find = (rows: SweepRow[], api: string, fds: number, active: number) => rows.find((r) => r.api === api && r.fds === fds && r.active === active && r.ran);
  const refused = sweep.filter((r) => !r.ran);
  const largest = p.fdCounts[p.fdCounts.length - 1];
  const smallest = (active: number) => p.fdCounts.find((f) => f >= active)!;
  const panel = (active: number) => `${count(active)} active`;
  const selectStops = refused.length > 0 ? {fds: selectMaxFds, label: `select stops: ${count(selectMaxFds)}`} : undefined;
  const link = `${formatSize(p.requestBytes)} requests, ${formatSize(p.responseBytes)} responses, ${p.requests} rounds, one-way latency ${formatNs(p.latencyNs)}; ${profile.name}, seed ${p.seed}`;

  const benchData = ran(sweep).map((r) => ({api: r.api, fds: r.fds, active: r.active, timeToServeUs: r.timeToServeNs! / 1e3}));
  const perCallData = ran(sweep).map((r) => ({api: r.api, fds: r.fds, active: r.active, perCallNs: r.perCallNs!}));
  const noIdleData = ran(noIdle).map((r) => ({api: r.api, fds: r.fds, timeToServeUs: r.timeToServeNs! / 1e3}));
  const shareSettings = [...p.activeCounts.filter((a) => a <= p.shareFds).map((a) => setting(p.shareFds, a)), ...(p.noIdleFds.includes(p.shareFds) ? [setting(p.shareFds, p.shareFds)] : [])];
  const shareData = shareRows.filter((r) => shareSettings.includes(r.setting) && (r.active === r.fds ? noIdle : sweep).some((s) => s.api === r.api && s.fds === r.fds && s.active === r.active));
  const policyName = (t: {trigger: string; reads: string}) => `${t.trigger}-triggered`;
  const wakeData = triggerRows.map((t) => ({panel: policyName(t), bar: t.reads, value: t.wakeups}));
  const unreadData = triggerRows.map((t) => ({panel: policyName(t), bar: t.reads, value: t.bytesUnread / KiB, unit: "KiB"}));
  const triggerSetting = `epoll, one ${formatSize(p.messageBytes)} message, ${formatSize(p.readBytes)} per read; ${profile.name}, seed ${p.seed}`;

  const charts: StudyResult["charts"] = [
    {
      id: "time-to-serve",
      title: "Time to serve the active connections against the descriptors watched",
      html: fdsLineChart(
        benchData.map((r) => ({panel: panel(r.active), series: r.api, fds: r.fds, value: r.timeToServeUs})),
        {
          title: "Time to serve the active connections against the descriptors watched",
          subtitle: `The libevent benchmark's shape: time for the loop to serve every active connection once; ${link}.`,
          caption: "select has no point past its limit: an fd_set holds descriptors 0–1023 and the scenario refuses more (exit status 2 in the CLI). Where select and poll take the same time, select's line lies under poll's.",
          yLabel: "Time per round (µs, log scale)",
          seriesLabel: "API",
          panelOrder: p.activeCounts.map(panel),
          limit: selectStops,
        },
      ),
      data: aq.from(benchData),
    },
    {
      id: "per-call",
      title: "CPU time of one wait call against the descriptors watched",
      html: fdsLineChart(
        perCallData.map((r) => ({panel: panel(r.active), series: r.api, fds: r.fds, value: r.perCallNs})),
        {
          title: "CPU time of one wait call against the descriptors watched",
          subtitle: `Mean CPU of one select, poll or epoll_wait, copies and the user-space scan included; ${link}.`,
          yLabel: "CPU per call (ns, log scale)",
          seriesLabel: "API",
          panelOrder: p.activeCounts.map(panel),
          limit: selectStops,
        },
      ),
      data: aq.from(perCallData),
    },
    {
      id: "no-idle",
      title: "No idle connections: time to serve them all",
      html: fdsLineChart(
        noIdleData.map((r) => ({panel: "all active", series: r.api, fds: r.fds, value: r.timeToServeUs})),
        {
          title: "No idle connections: time to serve them all",
          subtitle: `Every watched connection active; time for the loop to serve each once; ${link}.`,
          caption: "Where select and poll take the same time, select's line lies under poll's.",
          xLabel: "Connections, all active (log scale)",
          yLabel: "Time per round (µs, log scale)",
          seriesLabel: "API",
        },
      ),
      data: aq.from(noIdleData),
    },
    {
      id: "cpu-share",
      title: "Where the CPU goes, by API",
      html: cpuShareChart(
        shareData.map((r) => ({group: r.api, category: r.category, share: r.share, facetY: r.setting})),
        {
          title: "Where the CPU goes, by API",
          subtitle: `Share of the host's CPU busy time by category over the whole run, registration included; ${link}.`,
          caption: "poll-scan: the kernel polling each descriptor; poll-wait: its wait-queue entries; user-scan: the loop's pass over the set; fd-copy: sets, pollfds and events crossing the user/kernel boundary; epoll-ctl: registrations; irq, softirq, driver, net-tx, cpu-copy: the data path.",
          groupLabel: "API",
          groupOrder: [...multiplexApis],
          facetYOrder: shareSettings,
          colors: multiplexCategoryColors,
        },
      ),
      data: aq.from(shareData),
    },
    {
      id: "trigger-wakeups",
      title: "Wake-ups per read policy, level- and edge-triggered",
      html: groupedBarChart(wakeData, {
        title: "Wake-ups per read policy, level- and edge-triggered",
        subtitle: `epoll_wait calls that returned the socket; ${triggerSetting}.`,
        yLabel: "Wake-ups",
        barLabel: "Reads per wake-up",
        barOrder: ["once", "until-eagain"],
        colors: multiplexColors,
        valueLabel: count,
      }),
      data: aq.from(wakeData.map((r) => ({policy: r.panel, reads: r.bar, wakeups: r.value}))),
    },
    {
      id: "trigger-unread",
      title: "Bytes left unread per read policy, level- and edge-triggered",
      html: groupedBarChart(unreadData, {
        title: "Bytes left unread per read policy, level- and edge-triggered",
        subtitle: `Bytes of the message the reader never read (queued when it went back to sleep for good); ${triggerSetting}.`,
        caption: "Edge-triggered with one read per wake-up stalls: the socket still holds data, but no new data arrives to raise another edge.",
        yLabel: "Unread (KiB)",
        barLabel: "Reads per wake-up",
        barOrder: ["once", "until-eagain"],
        colors: multiplexColors,
        valueLabel: (kib) => formatSize(kib * KiB),
      }),
      data: aq.from(unreadData.map((r) => ({policy: r.panel, reads: r.bar, unreadKiB: r.value}))),
    },
  ];

  // Notes: every figure and every comparison comes from the runs above.
  const notes: string[] = [];
  for (const active of p.activeCounts) {
    const lo = smallest(active);
    const parts: string[] = [];
    for (const api of multiplexApis) {
      const runs = ran(sweep).filter((r) => r.api === api && r.active === active);
      if (runs.length < 2) continue;
      const [a, b] = [runs[0], runs[runs.length - 1]];
      parts.push(`${api} from ${formatNs(a.timeToServeNs!)} at ${count(a.fds)} to ${formatNs(b.timeToServeNs!)} at ${count(b.fds)} (${times(b.timeToServeNs! / a.timeToServeNs!)} for ${times(b.fds / a.fds)} the descriptors)`);
    }
    if (parts.length) notes.push(`With ${count(active)} active connection${active === 1 ? "" : "s"}, the time to serve them once goes: ${parts.join("; ")}.`);
    const poll = find(sweep, "poll", largest, active);
    const ep = find(sweep, "epoll", largest, active);
    const pollLo = find(sweep, "poll", lo, active);
    const epLo = find(sweep, "epoll", lo, active);
    if (poll && ep && pollLo && epLo && largest > lo) {
      const pollGrowth = poll.perCallNs! / pollLo.perCallNs!;
      const epGrowth = ep.perCallNs! / epLo.perCallNs!;
      notes.push(
        `One poll call costs ${formatNs(pollLo.perCallNs!)} of CPU at ${count(lo)} descriptors and ${formatNs(poll.perCallNs!)} at ${count(largest)} (${times(pollGrowth)} for ${times(largest / lo)} the descriptors: it grows with every descriptor watched, ${count(Math.round(poll.bytesCopiedPerCall!))} bytes copied per call); ` +
          `one epoll_wait costs ${formatNs(epLo.perCallNs!)} and ${formatNs(ep.perCallNs!)} (${epGrowth === 1 ? "the same" : times(epGrowth)}), with ${count(active)} active. ` +
          `At ${count(largest)}, ${pct(poll.blockedCalls! / poll.calls!)} of the poll calls found nothing ready on their first pass and slept (registering on every descriptor and polling them all again when woken): ${formatNs(poll.perCallNs! / largest)} per descriptor per call on average. ` +
          `At ${count(largest)} descriptors epoll serves the active connections ${times(poll.timeToServeNs! / ep.timeToServeNs!)} faster than poll.`,
      );
    }
  }
  if (refused.length > 0) {
    const lastSelect = ran(sweep).filter((r) => r.api === "select").reduce((m, r) => Math.max(m, r.fds), 0);
    const firstRefused = refused.reduce((m, r) => Math.min(m, r.fds), Infinity);
    notes.push(`select stops at ${count(lastSelect)} connections; at ${count(firstRefused)} the scenario refuses it: "${refused.find((r) => r.fds === firstRefused)!.refusal}".`);
  }
  for (const fds of p.noIdleFds) {
    const runs = multiplexApis.map((api) => find(noIdle, api, fds, fds)).filter((r): r is SweepRow => r !== undefined);
    if (runs.length < 2) continue;
    const tts = runs.map((r) => r.timeToServeNs!);
    const [min, max] = [Math.min(...tts), Math.max(...tts)];
    const fastest = runs[tts.indexOf(min)].api;
    const batch = runs.map((r) => `${r.api} ${r.eventsPerCall!.toFixed(1)}`).join(", ");
    notes.push(
      `With all ${count(fds)} connections active, the three serve them once in ${formatNs(min)} to ${formatNs(max)}: ${max / min - 1 < 0.1 ? `within ${pct(max / min - 1)} of one another, about equal` : `${runs[tts.indexOf(max)].api} ${pct(max / min - 1)} slower than ${fastest}`}. ` +
        `Events returned per call: ${batch}; a scan that finds many descriptors ready spreads its cost over them.`,
    );
  }
  for (const s of shareSettings) {
    const parts = multiplexApis
      .map((api) => {
        const rows = shareData.filter((r) => r.api === api && r.setting === s).sort((a, b) => b.share - a.share);
        return rows.length ? `${api} ${rows[0].category} ${pct(rows[0].share)}` : null;
      })
      .filter((x): x is string => x !== null);
    if (parts.length) notes.push(`At ${s}, the largest CPU category per API: ${parts.join(", ")}.`);
  }
  const t = (trigger: string, reads: string) => triggerRows.find((r) => r.trigger === trigger && r.reads === reads)!;
  const levelOnce = t("level", "once");
  const edgeOnce = t("edge", "once");
  const edgeAll = t("edge", "until-eagain");
  const reads = Math.ceil(p.messageBytes / p.readBytes);
  notes.push(
    `Level-triggered with one ${formatSize(p.readBytes)} read per wake-up, the reader is woken ${count(levelOnce.wakeups)} times for the ${formatSize(p.messageBytes)} message (⌈message ÷ read⌉ = ${count(reads)}) and leaves ${formatSize(levelOnce.bytesUnread)} unread.`,
  );
  notes.push(
    edgeOnce.stalled
      ? `Edge-triggered with one read per wake-up, the reader stalls: woken ${count(edgeOnce.wakeups)} times, once per arrival (${count(edgeOnce.arrivals)} arrivals of ${count(edgeOnce.segments)} segments), it reads ${formatSize(edgeOnce.bytesRead)} and goes back to sleep with ${formatSize(edgeOnce.bytesUnread)} still queued, which no new data comes to announce.`
      : `Edge-triggered with one read per wake-up, the reader does not stall here: woken ${count(edgeOnce.wakeups)} times for ${count(edgeOnce.arrivals)} arrivals, it leaves ${formatSize(edgeOnce.bytesUnread)} unread.`,
  );
  notes.push(
    `Edge-triggered reading until EAGAIN reads all ${formatSize(edgeAll.bytesRead)} with ${count(edgeAll.wakeups)} wake-up${edgeAll.wakeups === 1 ? "" : "s"} and ${count(edgeAll.readCalls)} reads, ${count(edgeAll.eagainReads)} of which returned EAGAIN (${formatSize(edgeAll.bytesUnread)} unread).`,
  );

  return {
    id: "multiplexing",
    title: "I/O multiplexing: select, poll and epoll, level- and edge-triggered",
    question:
      "How does the cost of waiting for socket readiness (I/O 多路复用) grow with the connections watched under select, poll and epoll, where does select stop, does it matter when every connection is active, where does the CPU go, and what do level-triggered (水平触发) and edge-triggered (边缘触发) readiness ask of the reader?",
    params: {...p},
    tables: [
      {id: "sweep", title: "Every run of the sweep: time to serve, CPU per call, bytes copied, per API, descriptors and active connections", table: aq.from(sweep)},
      {id: "no-idle", title: "No idle connections: every watched connection active", table: aq.from(noIdle)},
      {id: "cpu-share", title: "CPU busy time by category, every run", table: aq.from(shareRows)},
      {id: "trigger", title: "One message read level- and edge-triggered, once per wake-up or until EAGAIN", table: aq.from(triggerRows)},
    ],
    charts,
    notes,
  };
}
