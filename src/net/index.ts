/**
 * `iosim/net`: sockets and connections at connection level: a listening
 * socket's SYN and accept queues under Linux's rules, clients that connect
 * and retry over a link, file-descriptor tables with RLIMIT_NOFILE, and the
 * kernel memory each connection holds.
 */
export {Listener, type ListenerOptions, type ListenerCounters, type ClientEnd} from "./Listener.js";
export {ClientPopulation, defaultLinkLatencyNs, type ClientPopulationOptions, type ClientCounters} from "./ClientPopulation.js";
export {Connection, type ClientState, type ServerState, type ConnectFailure} from "./Connection.js";
export {FdTable, EmfileError, defaultNofileLimit} from "./FdTable.js";
export {KernelMemory, type KernelMemoryKind} from "./KernelMemory.js";
export {listenCall, acceptCall, closeCall} from "./socketCalls.js";
export {tcpSettings, linuxTcpDefaults, effectiveBacklog, synSchedule, type TcpSettings} from "./tcpSettings.js";
