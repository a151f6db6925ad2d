/**
 * `iosim/server`: server models as RxJS operators over one request handler
 * ({@link serveConnection}): iterative, process per connection, thread per
 * connection and a thread pool, with their task, memory and lock costs.
 */
export {Server, defaultMemoryLimitBytes, defaultEmfileBackoffNs, mainPid, type ServerOptions, type ServerCounters, type RequestHandler, type RefusalReason} from "./Server.js";
export {serveConnection, type Served} from "./serveConnection.js";
export {iterative} from "./models/iterative.js";
export {processPerConnection, type ProcessPerConnectionOptions} from "./models/processPerConnection.js";
export {threadPerConnection} from "./models/threadPerConnection.js";
export {threadPool, type ThreadPoolOptions} from "./models/threadPool.js";
export {serverModels, serverModel, type ServerModelName, type ServerModelOptions} from "./models/index.js";
