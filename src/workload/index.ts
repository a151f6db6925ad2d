/** `iosim/workload`: request and reader generators. */
export {sequentialOffsets, randomOffsets, readerOffsets, readerCount, readPatterns, type ReadPattern} from "./readers.js";
export {
  fileServerWorkload,
  startClients,
  type FileServerWorkload,
  type FileServerWorkloadOptions,
  type RequestKind,
  type ServedRequest,
} from "./fileServer.js";
export {ServerClients, arrivalProcesses, type ArrivalProcess, type ServerClientsOptions, type ServerClientCounters} from "./serverClients.js";
