/**
 * `iosim/net`: sockets and connections at connection level: a listening
 * socket's SYN and accept queues under Linux's rules, clients that connect
 * and retry over a link, file-descriptor tables with RLIMIT_NOFILE, and the
 * kernel memory each connection holds; the data path of a connected socket
 * (sk_buffs, send and receive buffers, TSO/GRO, NAPI, send/recv) with
 * readiness streams.
 */
export {Listener, type ListenerOptions, type ListenerCounters, type ClientEnd} from "./Listener.js";
export {ClientPopulation, defaultLinkLatencyNs, type ClientPopulationOptions, type ClientCounters} from "./ClientPopulation.js";
export {Connection, type ClientState, type ServerState, type ConnectFailure} from "./Connection.js";
export {FdTable, EmfileError, defaultNofileLimit} from "./FdTable.js";
export {KernelMemory, type KernelMemoryKind} from "./KernelMemory.js";
export {listenCall, acceptCall, closeCall, sendCall, recvCall, EagainError, type SocketIoOptions} from "./socketCalls.js";
export {NetStack, type NetStackOptions, type NetCounters, type Packet} from "./NetStack.js";
export {TcpSocket, type SocketCounters} from "./TcpSocket.js";
export {SkBuff, rxTruesize, skbOverheadBytes, txSkbHeadTruesizeBytes} from "./SkBuff.js";
export {
  dataPathSettings,
  linuxDataPathDefaults,
  mssOf,
  sizeGoalOf,
  headerBytes,
  tcpHeaderBytes,
  ipHeaderBytes,
  ethHeaderBytes,
  maxTcpHeaderBytes,
  type DataPathSettings,
} from "./dataPath.js";
export {tcpSettings, linuxTcpDefaults, effectiveBacklog, synSchedule, type TcpSettings} from "./tcpSettings.js";
