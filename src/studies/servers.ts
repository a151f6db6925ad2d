/**
 * Study: how many clients can one server serve, by which model, and what
 * stops each one (如何服务更多的用户, C10K, 多进程模型, 多线程模型)?
 *
 * Picture a restaurant. The iterative server is a single waiter who seats
 * one party and serves it to the end before looking at the door; the
 * process model hires a new waiter, with a whole new kitchen, for every
 * party (fork); the thread model hires a waiter who shares the kitchen
 * (a thread with its own stack); the pool keeps a fixed crew who take
 * parties from a queue at the door (under a lock); the event loop is one
 * waiter with a pager who serves whichever table buzzes, and how he learns
 * which one buzzed (walking the room with select or poll, or reading the
 * pager with epoll) is its own cost. The door itself (the
 * accept queue) holds only so many people: when it is full, the next ones
 * are turned away and knock again after 1 s, 3 s, 7 s... (the SYN
 * retries). The study runs the `server` and `backlog` scenarios and reads
 * throughput, latency, memory and CPU off the runs.
 */
import * as aq from "arquero";
import * as z from "zod";
import {cpuShareChart} from "../charts/cpuShareChart.js";
import {clientsLineChart, connectStepsChart, serverCategoryColors, type ConnectStepRow} from "../charts/servers.js";
import {loadProfile} from "../host/profiles.js";
import {fields} from "../params/fields.js";
import {parseInput} from "../params/parseInput.js";
import {runBacklog} from "../scenarios/backlog.js";
import {multiplexApis, type MultiplexApi} from "../multiplex/api.js";
import {InputError} from "../errors.js";
import {runServer, selectMaxClients} from "../scenarios/server.js";
import {serverModels, type ServerModelName} from "../server/models/index.js";
import {formatNs, formatSize, GiB} from "../units.js";
import type {StudyResult} from "./study.js";

/** A non-empty list of integers of at least *min*, ascending without repeats. */
const integerList = (min: number, expected: string) =>
  z
    .array(z.number(), {error: expected})
    .refine((list) => list.length > 0 && list.every((n) => Number.isSafeInteger(n) && n >= min), {error: expected})
    .transform((list) => [...new Set(list)].sort((a, b) => a - b));

/**
 * The parameters of {@link serversStudy}, declared once: each one's check,
 * its default and its meaning. {@link serversDefaults}, the
 * {@link ServersParams} type and the study's validation all come from it.
 *
 * Cost: every run simulates each client's connect, so a run of 100,000
 * clients is about half a million events whatever the duration. The
 * defaults keep the whole study well under a minute on a loaded 2-core
 * machine: five client counts (×10 apart, so few points at the large end),
 * 50 ms of simulated time per run, two requests per client.
 */
export const serversParamsSchema = z.strictObject({
  profiles: fields.names("a non-empty list of profile names").default(["server-2024", "desktop-2008"]).describe("Host profiles (shipped names or JSON paths); default a current server and a 2008 desktop."),
  models: fields.listOf("models", serverModels).default([...serverModels]).describe("Server models compared; default all five (event-loop: the single Reactor, one line per api)."),
  apis: fields.listOf("apis", multiplexApis).default(["epoll"]).describe("What the event-loop model waits with, one line each; default epoll (the epoll event loop). Add poll and select to compare them: their scans make a run at 100,000 clients several times dearer, so the report leaves them to notebook 04, which runs them at smaller counts; select runs only up to its FD_SETSIZE limit, past it the refusal is a row of the results table."),
  clients: integerList(1, "a non-empty list of client counts ≥ 1").default([10, 100, 1000, 10_000, 100_000]).describe("Concurrent (closed-loop) clients swept; default 10, 100, 1k, 10k, 100k (×10 steps: few points at the large end)."),
  requests: fields.integer({min: 1}).default(2).describe("Requests per client, all on one keep-alive connection; default 2."),
  rampNs: fields.positive({expected: "a number of ns > 0"}).default(10e6).describe("Clients start at uniform random times within it, ns; default 10 ms."),
  thinkNs: fields.positive({orZero: true, expected: "a number of ns ≥ 0"}).default(1e6).describe("Mean think time between a response and the next request, ns; default 1 ms."),
  durationNs: fields.positive({expected: "a number of ns > 0"}).default(50e6).describe("Simulated time of each run, ns (requests not served by then count as not served); default 50 ms."),
  handlerNs: fields.positive({orZero: true, expected: "a number of ns ≥ 0"}).default(20_000).describe("Business logic per request on a core, ns; default 20 µs."),
  threads: fields.integer({min: 1}).default(32).describe("Worker threads of the pool; default 32."),
  fdLimit: fields.integer({min: 4}).default(1_048_576).describe("RLIMIT_NOFILE of the server; default 1,048,576 (Linux's fs.nr_open), so memory, not descriptors, is the limit."),
  memoryLimitBytes: fields.size().default(2 * GiB).describe("Memory budget of the server, kernel and user, bytes; default 2 GiB (the C10K budget)."),
  budgetClients: fields.integer({min: 1}).default(10_000).describe("Connections the memory budget must hold (the C10K line: budget / 10,000 per connection); default 10,000."),
  workingServedShare: z.number({error: "a number from 0 to 1"}).min(0, {error: "a number from 0 to 1"}).max(1, {error: "a number from 0 to 1"}).default(0.99).describe("A model works at a client count when it served at least this share of clients × requests within the run and no request failed; default 0.99."),
  backlog: fields.integer({min: 1}).default(8).describe("listen() backlog of the accept-queue runs; default 8 (the queue holds one more)."),
  backlogClients: fields.integer({min: 1}).default(64).describe("Clients connecting in a burst in the accept-queue runs; default 64."),
  backlogIntervalNs: fields.positive({orZero: true, expected: "a number of ns ≥ 0"}).default(100e3).describe("Time between two clients' connect() calls in the accept-queue runs, ns; default 100 µs (the queue fills before most SYNs arrive, so they are dropped and retried)."),
  acceptDelaysNs: integerList(0, "a non-empty list of durations in ns ≥ 0").default([100e6, 1e9]).describe("Time the server spends before each accept() in the accept-queue runs, ns; default 100 ms and 1 s."),
  seed: fields.seed().default(0).describe("Seed of every simulation."),
});

/** Parameters of {@link serversStudy} (see {@link serversParamsSchema}). */
export type ServersParams = z.output<typeof serversParamsSchema>;

/** Default parameters of {@link serversStudy} (read from {@link serversParamsSchema}). */
export const serversDefaults: Readonly<ServersParams> = Object.freeze(serversParamsSchema.parse({}));

/** Returns *params* over the defaults, checked by {@link serversParamsSchema}: errors name the parameter. */
function resolve(params: z.input<typeof serversParamsSchema>): ServersParams {
  return parseInput(serversParamsSchema, params, {keyParam: "key for study servers"});
}

/** One run of the sweep. */
interface ServerRow {
  profile: string;
  model: string;
  /** event-loop: what it waits with; null for the other models. */
  api: MultiplexApi | null;
  /** The chart's line: the model, or "<api> event loop". */
  line: string;
  clients: number;
  requestsPerSec: number;
  latencyP50Ns: number;
  latencyP99Ns: number;
  /** Requests the clients would make in all (clients × requests). */
  requestsWanted: number;
  /** Requests the clients sent (a client whose connect never completed counts its first). */
  requestsIssued: number;
  requestsServed: number;
  /** Served / wanted, within the run's duration. */
  servedShare: number;
  requestsFailed: number;
  requestsOpen: number;
  oomFailures: number;
  emfileErrors: number;
  synRetries: number;
  acceptQueueDrops: number;
  peakOpenConnections: number;
  peakSockets: number;
  peakTasks: number;
  taskSwitches: number;
  peakMemoryBytes: number;
  peakKernelBytes: number;
  peakUserBytes: number;
  baselineMemoryBytes: number;
  memoryPerConnectionBytes: number;
  withinMemoryLimit: boolean;
  cpuUtilization: number;
  /** event-loop: mean CPU of one wait call (select, poll or epoll_wait, copies and user-space scan included), ns; null for the other models. */
  waitPerCallNs: number | null;
  /** event-loop: mean bytes copied between user and kernel per wait call; null for the other models. */
  waitBytesPerCall: number | null;
  works: boolean;
  /** False where the run was refused (select past FD_SETSIZE); its measures are then null. */
  ran: boolean;
  /** The refusal, as the scenario states it; "" when it ran. */
  refusal: string;
}

/** The columns of the results table, in order (a refused run's row is built from them). */
const rowTemplate: Record<keyof ServerRow, null> = {
  profile: null, model: null, api: null, line: null, clients: null, requestsPerSec: null, latencyP50Ns: null, latencyP99Ns: null, requestsWanted: null, requestsIssued: null, requestsServed: null,
  servedShare: null, requestsFailed: null, requestsOpen: null, oomFailures: null, emfileErrors: null, synRetries: null, acceptQueueDrops: null, peakOpenConnections: null, peakSockets: null,
  peakTasks: null, taskSwitches: null, peakMemoryBytes: null, peakKernelBytes: null, peakUserBytes: null, baselineMemoryBytes: null, memoryPerConnectionBytes: null, withinMemoryLimit: null,
  cpuUtilization: null, waitPerCallNs: null, waitBytesPerCall: null, works: null, ran: null, refusal: null,
};

/** A refused run: its identity and the refusal, every measure null (a row of the results table, not plotted). */
type RefusedRow = {[K in keyof ServerRow]: ServerRow[K] | null};

/** Returns a fraction as a percentage. */
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
/** Returns a count with thousands separators. */
const count = (n: number) => Math.round(n).toLocaleString("en-US");
const plural = (n: number, word: string) => `${count(n)} ${word}${n === 1 ? "" : "s"}`;

/** Returns why a run did not work, read off its counters. */
function whyNot(r: ServerRow, share: number): string {
  const reasons: string[] = [];
  if (r.oomFailures > 0) reasons.push(`${plural(r.oomFailures, "connection")} reset because no process or thread fit in the memory budget`);
  if (r.requestsFailed > 0) reasons.push(`${plural(r.requestsFailed, "request")} failed`);
  if (r.servedShare < share) reasons.push(`only ${pct(r.servedShare)} of the requests served in the run (p99 of those served ${formatNs(r.latencyP99Ns)}, ${count(r.acceptQueueDrops)} accept-queue drops)`);
  return reasons.join("; ");
}

/**
 * Returns the server-models study: every model under closed-loop clients
 * from 10 to 100,000 on each profile (`runServer`), with throughput, p99
 * latency, peak memory and CPU share per run; the C10K memory budget per
 * model; and the connect times of a burst against a full accept queue
 * (`runBacklog`), where the SYN retries make steps. Notes are computed
 * from the runs.
 *
 * ```ts
 * const {tables, charts, notes} = serversStudy({profiles: ["server-2024"], clients: [10, 1000]});
 * ```
 * @see dmaStudy
 */
export function serversStudy(params: z.input<typeof serversParamsSchema> = {}): StudyResult {
  const p = resolve(params);
  const profiles = p.profiles.map((name) => loadProfile(name));
  const rows: ServerRow[] = [];
  /** Every row of the results table, refused runs included, in sweep order. */
  const tableRows: Array<ServerRow | RefusedRow> = [];
  const shareRows: Array<{profile: string; model: string; clients: number; category: string; share: number}> = [];
  // The lines: each model, the event loop once per api.
  type Line = {model: ServerModelName; api: MultiplexApi | null; line: string};
  const lines = p.models.flatMap((model): Line[] => (model === "event-loop" ? p.apis.map((api) => ({model, api, line: `${api} event loop`})) : [{model, api: null, line: model}]));
  for (const profile of profiles) {
    for (const {model, api, line: lineName} of lines) {
      for (const clients of p.clients) {
        let run: ReturnType<typeof runServer>;
        try {
          run = runServer({
            profile,
            model,
            api: api ?? undefined,
            clients,
            requests: p.requests,
            rampNs: p.rampNs,
            thinkNs: p.thinkNs,
            handlerNs: p.handlerNs,
            threads: p.threads,
            fdLimit: p.fdLimit,
            memoryLimitBytes: p.memoryLimitBytes,
            durationNs: p.durationNs,
            seed: p.seed,
            keepEvents: false,
          });
        } catch (e) {
          // select past FD_SETSIZE: the refusal is recorded, not plotted.
          if (!(e instanceof InputError && e.param === "api")) throw e;
          const refused = Object.fromEntries(Object.keys(rowTemplate).map((k) => [k, null])) as RefusedRow;
          tableRows.push({...refused, profile: profile.name, model, api, line: lineName, clients, requestsWanted: clients * p.requests, works: false, ran: false, refusal: e.message});
          continue;
        }
        const r = run.result;
        const wanted = clients * p.requests;
        const failed = r.requestsFailed.connectTimeout + r.requestsFailed.dataTimeout + r.requestsFailed.reset;
        const row: ServerRow = {
          profile: profile.name,
          model,
          api,
          line: lineName,
          clients,
          requestsPerSec: r.requestsPerSec,
          latencyP50Ns: r.latencyP50Ns,
          latencyP99Ns: r.latencyP99Ns,
          requestsWanted: wanted,
          requestsIssued: r.requestsIssued,
          requestsServed: r.requestsServed,
          servedShare: r.requestsServed / wanted,
          requestsFailed: failed,
          requestsOpen: r.requestsOpen,
          oomFailures: r.oomFailures,
          emfileErrors: r.emfileErrors,
          synRetries: r.synRetries,
          acceptQueueDrops: r.acceptQueueDrops,
          peakOpenConnections: r.peakOpenConnections,
          peakSockets: r.peakSockets,
          peakTasks: r.peakTasks,
          taskSwitches: r.taskSwitches,
          peakMemoryBytes: r.peakMemoryBytes.total,
          peakKernelBytes: r.peakMemoryBytes.kernel,
          peakUserBytes: r.peakMemoryBytes.user,
          baselineMemoryBytes: r.baselineMemoryBytes,
          memoryPerConnectionBytes: r.memoryPerConnectionBytes,
          withinMemoryLimit: r.withinMemoryLimit,
          cpuUtilization: r.cpuUtilization,
          waitPerCallNs: r.multiplexer?.perCallNs ?? null,
          waitBytesPerCall: r.multiplexer?.bytesCopiedPerCall ?? null,
          works: false,
          ran: true,
          refusal: "",
        };
        row.works = row.servedShare >= p.workingServedShare && failed === 0 && r.oomFailures === 0;
        rows.push(row);
        tableRows.push(row);
        for (const [category, share] of Object.entries(r.cpuShare)) shareRows.push({profile: profile.name, model: lineName, clients, category, share});
      }
    }
  }

  // The C10K budget per profile and model: memory per connection measured in the largest run where the model worked
  // (every connection accepted and served, so a queued socket does not stand in for a served one), else in the run that held the most sockets.
  const budgetPerConn = p.memoryLimitBytes / p.budgetClients;
  const budgetRows = profiles.flatMap((profile) =>
    lines.filter(({line: l}) => rows.some((r) => r.profile === profile.name && r.line === l)).map(({line: model}) => {
      const runs = rows.filter((r) => r.profile === profile.name && r.line === model);
      const lastWorking = runs.filter((r) => r.works).at(-1) ?? null;
      // The first client count that failed or was refused (select past FD_SETSIZE).
      const all = tableRows.filter((r) => r.profile === profile.name && r.line === model);
      const firstFailing = all.find((r) => !r.works) ?? null;
      const widest = lastWorking ?? runs.reduce((a, b) => (b.peakSockets > a.peakSockets ? b : a));
      const perConn = widest.memoryPerConnectionBytes;
      return {
        profile: profile.name,
        model,
        memoryPerConnectionBytes: perConn,
        measuredAtClients: widest.clients,
        peakSockets: widest.peakSockets,
        budgetPerConnectionBytes: budgetPerConn,
        withinBudget: perConn > 0 && perConn <= budgetPerConn,
        /** Connections the budget holds at the measured memory per connection, above the server's own baseline. */
        connectionsInBudget: perConn > 0 ? Math.floor((p.memoryLimitBytes - widest.baselineMemoryBytes) / perConn) : null,
        worksUpToClients: lastWorking?.clients ?? null,
        stopsAtClients: firstFailing?.clients ?? null,
        stopReason: firstFailing === null ? null : firstFailing.ran ? whyNot(firstFailing as ServerRow, p.workingServedShare) : `refused: ${firstFailing.refusal}`,
      };
    }),
  );

  // What a full accept queue does to connect latency: a burst against a slow accept() loop.
  const backlogRows: Array<{acceptDelayNs: number; client: number; connectNs: number | null}> = [];
  const stepRows: ConnectStepRow[] = [];
  const backlogSummary: Array<{acceptDelayNs: number; established: number; failed: number; clientSideOnly: number; synRetries: number; acceptQueueDrops: number; effectiveBacklog: number; steps: Array<{atNs: number; clients: number}>}> = [];
  for (const acceptDelayNs of p.acceptDelaysNs) {
    const {result: b} = runBacklog({profile: profiles[0], backlog: p.backlog, clients: p.backlogClients, intervalNs: p.backlogIntervalNs, acceptDelayNs, seed: p.seed, keepEvents: false});
    const times = Array.isArray(b.connectTimesNs) ? b.connectTimesNs : [];
    times.forEach((t, i) => backlogRows.push({acceptDelayNs, client: i, connectNs: t}));
    const sorted = times.filter((t): t is number => t !== null).sort((x, y) => x - y);
    const series = `accept every ${formatNs(acceptDelayNs)}`;
    stepRows.push({series, timeS: 0, connected: 0});
    sorted.forEach((t, i) => stepRows.push({series, timeS: t / 1e9, connected: i + 1}));
    // Steps: runs of connect times with no gap above 100 link round trips between neighbours (the retries are seconds apart).
    const gapNs = 200 * b.latencyNs;
    const steps: Array<{atNs: number; clients: number}> = [];
    sorted.forEach((t, i) => {
      if (i > 0 && t - sorted[i - 1] <= gapNs) steps[steps.length - 1].clients++;
      else steps.push({atNs: t, clients: 1});
    });
    backlogSummary.push({acceptDelayNs, established: b.established, failed: b.failed, clientSideOnly: b.halfOpen + b.clientOnly, synRetries: b.synRetries, acceptQueueDrops: b.acceptQueueDrops, effectiveBacklog: b.effectiveBacklog, steps});
  }

  const setting = `${p.requests} requests per client (keep-alive, think ${formatNs(p.thinkNs)}), clients starting within ${formatNs(p.rampNs)}, ${formatNs(p.durationNs)} simulated, handler ${formatNs(p.handlerNs)}, pool of ${p.threads}, seed ${p.seed}`;
  const line = (pick: (r: ServerRow) => number) => rows.map((r) => ({profile: r.profile, model: r.line, clients: r.clients, value: pick(r)}));
  const throughputData = line((r) => r.requestsPerSec);
  const p99Data = line((r) => r.latencyP99Ns / 1e6);
  const memoryData = line((r) => r.peakMemoryBytes / 1e6);
  const servedData = line((r) => r.servedShare * 100);
  const budgetData = budgetRows.map((r) => ({profile: r.profile, model: r.model, panel: r.profile, value: r.memoryPerConnectionBytes / 1e3}));
  const selectRefused = tableRows.some((r) => !r.ran);
  const loopsCaption = rows.some((r) => r.api !== null) ? ` The event loops' lines lie on one another where a wait call costs little beside the ${formatNs(p.handlerNs)} handler.` : "";
  const refusedCaption = selectRefused ? ` select has no point past its limit: an fd_set holds descriptors 0–1023 (FD_SETSIZE), so the select event loop refuses more than ${count(selectMaxClients)} clients (a row of the results table).` : "";
  const cpuData = shareRows.map((r) => ({group: `${r.model} ${r.clients.toLocaleString("en-US")}`, category: r.category, share: r.share, facetX: r.profile}));
  const charts: StudyResult["charts"] = [
    {
      id: "throughput",
      title: "Requests served per second against concurrent clients",
      html: clientsLineChart(throughputData, {title: "Requests served per second against concurrent clients", subtitle: setting + ".", caption: (refusedCaption + loopsCaption).trim() || undefined, yLabel: "Requests per second (log scale)", yType: "log"}),
      data: aq.from(throughputData),
    },
    {
      id: "latency-p99",
      title: "p99 latency against concurrent clients",
      html: clientsLineChart(p99Data, {
        title: "p99 latency of the requests served against concurrent clients",
        subtitle: setting + ".",
        caption: "Requests not served within the run are not in the percentile; the served share is in the results table." + refusedCaption,
        yLabel: "p99 latency (ms, log scale)",
        yType: "log",
      }),
      data: aq.from(p99Data),
    },
    {
      id: "served-share",
      title: "Share of the requests served within the run",
      html: clientsLineChart(servedData, {title: "Share of the clients' requests served within the run", subtitle: setting + ".", yLabel: "Served (%)", limit: {value: p.workingServedShare * 100, label: `works: ≥ ${pct(p.workingServedShare)}`}}),
      data: aq.from(servedData),
    },
    {
      id: "memory",
      title: "Peak memory against concurrent clients, with the budget",
      html: clientsLineChart(memoryData, {
        title: "Peak memory (kernel + user) against concurrent clients",
        subtitle: setting + ".",
        caption: "Socket objects and the skbs they hold (in whole pages), tasks, process pages and thread stacks; dashed: the memory budget.",
        yLabel: "Peak memory (MB, log scale)",
        yType: "log",
        limit: {value: p.memoryLimitBytes / 1e6, label: `budget ${formatSize(p.memoryLimitBytes)}`},
      }),
      data: aq.from(memoryData),
    },
    {
      id: "c10k-budget",
      title: "Memory per connection against the C10K budget",
      html: clientsLineChart(
        budgetRows.map((r) => ({profile: r.profile, model: r.model, clients: r.measuredAtClients, value: r.memoryPerConnectionBytes / 1e3})),
        {
          title: `Memory per connection against the C10K budget (${formatSize(p.memoryLimitBytes)} / ${count(p.budgetClients)})`,
          subtitle: `(peak − baseline) / sockets held at once, in each model's largest run that worked (x: its clients); ${setting}.`,
          yLabel: "Memory per connection (KB)",
          limit: {value: budgetPerConn / 1e3, label: `budget ${(budgetPerConn / 1e3).toFixed(0)} KB per connection`},
        },
      ),
      data: aq.from(budgetData),
    },
    {
      id: "cpu-share",
      title: "CPU busy time by category per model and client count",
      html: cpuShareChart(cpuData, {
        title: "What the CPU does, per model and client count",
        subtitle: setting + ".",
        caption:
          "process: fork, exit and thread creation; task-switch: a core changing task; ipi: a core interrupted to run a task woken from another; lock-wait: the pool's queue lock; softirq/irq: the network stack; " +
          "poll-scan, poll-wait, fd-copy, user-scan: the select and poll loops' passes over every watched descriptor; epoll-ctl, epoll-wait, epoll-callback: epoll's registrations, ready events and wake-ups.",
        groupLabel: "Model and clients",
        colors: serverCategoryColors,
        // Room for the longest bar label ("select event loop 1,000") at ~6.5 px per character.
        marginLeftPx: Math.max(90, Math.ceil(20 + 6.5 * Math.max(...cpuData.map((d) => d.group.length)))),
      }),
      data: aq.from(cpuData),
    },
    {
      id: "connect-steps",
      title: "Connect times of a burst against a full accept queue",
      html: connectStepsChart(stepRows, {
        title: "Connect times of a burst against a full accept queue (SYN retries)",
        subtitle: `${p.backlogClients} clients connect ${formatNs(p.backlogIntervalNs)} apart; listen(${p.backlog}); the server accepts one connection per delay; ${profiles[0].name}, seed ${p.seed}.`,
        caption: "A client whose SYN (or final ACK) is dropped because the accept queue is full retries its SYN after 1 s, then 3 s, 7 s... (tcp_syn_retries).",
      }),
      data: aq.from(stepRows),
    },
  ];

  // Notes: every figure and verdict comes from the runs above.
  const notes: string[] = [];
  for (const profile of profiles) {
    const works = budgetRows.filter((b) => b.profile === profile.name);
    notes.push(
      `Under ${profile.name} (${setting}): ` +
        works
          .map((b) => `${b.model} works up to ${b.worksUpToClients === null ? "none of the counts" : `${count(b.worksUpToClients)} clients`}` + (b.stopsAtClients === null ? " (every count swept)" : ` and stops at ${count(b.stopsAtClients)}: ${b.stopReason}`))
          .join("; ") +
        ".",
    );
    // The most clients at which every model still worked, and who served most there.
    const at = (clients: number) => rows.filter((r) => r.profile === profile.name && r.clients === clients);
    // The largest count that ran (select alone is refused past FD_SETSIZE: its largest counts have no run, and the refusal note says why).
    const largest = [...p.clients].reverse().find((c) => at(c).length > 0);
    if (largest !== undefined) {
      const top = at(largest).reduce((a, b) => (b.requestsPerSec > a.requestsPerSec ? b : a));
      const bottom = at(largest).reduce((a, b) => (b.requestsPerSec < a.requestsPerSec ? b : a));
      if (top.requestsPerSec === bottom.requestsPerSec)
        notes.push(`At ${count(largest)} clients under ${profile.name}, every model swept serves ${count(top.requestsPerSec)} requests/s (${pct(top.servedShare)} of the requests within the run).`);
      else
        notes.push(
          `At ${count(largest)} clients under ${profile.name}, ${top.model} serves the most, ${count(top.requestsPerSec)} requests/s (${pct(top.servedShare)} of the requests, p99 ${formatNs(top.latencyP99Ns)}, peak memory ${formatSize(top.peakMemoryBytes)}), ` +
            `${bottom.model} the fewest, ${count(bottom.requestsPerSec)} requests/s (${pct(bottom.servedShare)}).`,
        );
    }
    for (const b of works) {
      notes.push(
        `C10K budget under ${profile.name}: ${b.model} holds ${formatSize(b.memoryPerConnectionBytes)} per connection (measured at ${count(b.measuredAtClients)} clients, ${count(b.peakSockets)} sockets at once), ` +
          `${b.withinBudget ? "within" : "over"} the ${formatSize(budgetPerConn)} a ${formatSize(p.memoryLimitBytes)} budget allows each of ${count(p.budgetClients)} connections` +
          (b.connectionsInBudget !== null ? `; the budget holds about ${count(b.connectionsInBudget)} such connections.` : "."),
      );
    }
  }
  // The event loop: what one wait call costs with each API, from the runs' own wait calls.
  const loopRows = rows.filter((r) => r.api !== null && r.waitPerCallNs !== null);
  for (const profile of profiles) {
    const mine = loopRows.filter((r) => r.profile === profile.name);
    const apis = [...new Set(mine.map((r) => r.api!))];
    if (apis.length === 0) continue;
    // The largest client count every API ran at, so the comparison is on the same workload.
    const common = p.clients.filter((c) => apis.every((a) => mine.some((r) => r.api === a && r.clients === c))).at(-1);
    if (common === undefined) continue;
    const at = apis.map((a) => mine.find((r) => r.api === a && r.clients === common)!);
    const smallest = p.clients.find((c) => apis.every((a) => mine.some((r) => r.api === a && r.clients === c)))!;
    const growth = (a: MultiplexApi) => {
      const lo = mine.find((r) => r.api === a && r.clients === smallest)!.waitPerCallNs!;
      const hi = mine.find((r) => r.api === a && r.clients === common)!.waitPerCallNs!;
      return lo > 0 ? hi / lo : 0;
    };
    notes.push(
      `The event loop under ${profile.name} at ${count(common)} clients: one wait call costs ` +
        at.map((r) => `${formatNs(r.waitPerCallNs!)} with ${r.api} (${count(r.waitBytesPerCall!)} bytes copied, ${count(r.requestsPerSec)} requests/s)`).join(", ") +
        (smallest < common ? `; from ${count(smallest)} to ${count(common)} clients it grows ${apis.map((a) => `${growth(a).toFixed(1)}× with ${a}`).join(", ")}.` : "."),
    );
  }
  const refusedRows = tableRows.filter((r) => !r.ran);
  if (refusedRows.length > 0) {
    const first = refusedRows.reduce((a, b) => (b.clients! < a.clients! ? b : a));
    notes.push(`The select event loop is refused at ${[...new Set(refusedRows.map((r) => count(r.clients!)))].join(" and ")} clients (rows of the results table, not plotted): "${first.refusal}".`);
  }
  for (const s of backlogSummary) {
    const stepText = s.steps.map((st) => `${count(st.clients)} at ${formatNs(st.atNs)}`).join(", ");
    notes.push(
      `A burst of ${p.backlogClients} clients ${formatNs(p.backlogIntervalNs)} apart against listen(${p.backlog}) (an accept queue of ${s.effectiveBacklog + 1}) with one accept() every ${formatNs(s.acceptDelayNs)}: ` +
        `${s.established} connect, ${s.failed} fail` + (s.clientSideOnly ? `, ${s.clientSideOnly} connected on the client's side only (their final ACK dropped, the server still retrying its SYN-ACK)` : "") + `, in ${plural(s.steps.length, "step")} (${stepText}); ${(s.synRetries === 1 ? "1 SYN retry" : `${count(s.synRetries)} SYN retries`)} and ${plural(s.acceptQueueDrops, "accept-queue drop")}.`,
    );
  }

  return {
    id: "servers",
    title: "Server models to C10K: iterative, process, thread, pool and the event loop",
    question:
      "How many concurrent clients can an iterative server, a process per connection (多进程模型), a thread per connection (多线程模型), a thread pool and a single-threaded event loop waiting with select, poll or epoll (I/O 多路复用) serve, how fast, at what memory per connection against the C10K budget (2 GB for 10,000 connections), and what does a full accept queue do to connect latency?",
    params: {...p},
    tables: [
      {id: "results", title: "Every run: throughput, latency, served share, failures, memory, task switches and the event loop's wait calls per profile, model (event loop: per api) and client count; refused runs (select past FD_SETSIZE) with their reason", table: aq.from(tableRows)},
      {id: "c10k-budget", title: "The C10K budget: memory per connection per model and where each model stops working", table: aq.from(budgetRows)},
      {id: "cpu-share", title: "CPU busy time by category", table: aq.from(shareRows)},
      {id: "connect-steps", title: "Steps of the accept-queue burst: clients connecting in each group of connect times", table: aq.from(backlogSummary.flatMap((s) => s.steps.map((st, step) => ({acceptDelayNs: s.acceptDelayNs, step, atNs: st.atNs, clients: st.clients}))))},
      {id: "connect-times", title: "Connect time of each client of the accept-queue burst (null: never connected)", table: aq.from(backlogRows)},
    ],
    charts,
    notes,
  };
}
