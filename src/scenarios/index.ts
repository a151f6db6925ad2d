/** Every scenario the CLI knows, by name. */
import {backlogScenario} from "./backlog.js";
import {dmaScenario} from "./dma.js";
import {largeFileScenario} from "./largefile.js";
import {pageCacheScenario} from "./pagecache.js";
import type {Scenario} from "./scenario.js";
import {serverScenario} from "./server.js";
import {socketScenario} from "./socket.js";
import {transferScenario} from "./transfer.js";
import {triggerScenario} from "./trigger.js";
import {multiplexScenario} from "./multiplex.js";
import {reactorScenario} from "./reactor.js";

export const scenarios: readonly Scenario[] = [transferScenario, dmaScenario, pageCacheScenario, largeFileScenario, backlogScenario, socketScenario, serverScenario, multiplexScenario, triggerScenario, reactorScenario];

export {
  parseParam,
  resolveParams,
  checkEventBudget,
  extrapolateEvents,
  scenarioSim,
  defaultMaxEvents,
  EventBudgetError,
  type Scenario,
  type ParamSpec,
  type ParamValues,
  type RunContext,
  type ScenarioSimOptions,
} from "./scenario.js";
export {runTransfer, strategies, strategyOperator, type StrategyName, type TransferRunOptions} from "./transfer.js";
export {runDma, type DmaRunOptions} from "./dma.js";
export {runPageCache, pageCacheScenario, checkCacheBytes, type PageCacheRunOptions} from "./pagecache.js";
export {runFileServer, largeFileScenario, largeFileModes, quantile, type LargeFileMode, type FileServerRunOptions} from "./largefile.js";
export {runBacklog, backlogScenario, listedClientsMax, emfileRetryMinNs, type BacklogRunOptions} from "./backlog.js";
export {runSocket, socketScenario, type SocketRunOptions, type SocketDirection} from "./socket.js";
export {runTrigger, triggerScenario, createMultiplexer, checkTriggerOptions, multiplexApis, type MultiplexApi, type TriggerMode, type ReadPolicy, type TriggerRunOptions} from "./trigger.js";
export {runMultiplex, multiplexScenario, checkMultiplexOptions, type MultiplexRunOptions} from "./multiplex.js";
export {runServer, serverScenario, type ServerRunOptions} from "./server.js";
export {runReactor, reactorScenario, type ReactorRunOptions} from "./reactor.js";
