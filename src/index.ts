/**
 * iosim: the whole public API, grouped by layer, lowest first. Each group is
 * also its own entry point (`iosim/engine`, `iosim/host`, ...), so a script
 * that only simulates need not load the charts (jsdom, Plot).
 */

/* Units and input errors */
export * from "./units.js";
export * from "./errors.js";

/* Engine: virtual time, processes, resources, trace */
export * from "./engine/index.js";

/* Memory management: the page cache and readahead */
export * from "./mm/index.js";

/* Host: cores, DMA, disk, NIC; profiles */
export * from "./host/index.js";

/* Kernel: system calls and read paths */
export * from "./kernel/index.js";

/* Net: sockets, the SYN and accept queues, connecting clients, fd tables */
export * from "./net/index.js";

/* Multiplex: select, poll and epoll, level- and edge-triggered; the event loop */
export * from "./multiplex/index.js";

/* io_uring: the Proactor's rings */
export * from "./uring/index.js";

/* Transfer: the file-transfer strategies */
export * from "./transfer/index.js";

/* Workloads */
export * from "./workload/index.js";

/* Server models: iterative, process and thread per connection, thread pool */
export * from "./server/index.js";

/* Analysis */
export * from "./analysis/index.js";

/* Scenarios (what `iosim run` runs) */
export * from "./scenarios/index.js";

/* Studies (what notebooks and the report show) */
export * from "./studies/index.js";

/* Charts */
export * from "./charts/index.js";

/* Sweeps: cross products of parameters and seeds, on every core or a cluster's shards */
export * from "./sweep/index.js";

/* Report and exports */
export * from "./report/index.js";
export * from "./export/index.js";

/* Calibration (runs C probes on this machine) */
export * from "./calibrate/index.js";
