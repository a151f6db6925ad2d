/** Every scenario the CLI knows, by name. */
import {dmaScenario} from "./dma.js";
import {largeFileScenario} from "./largefile.js";
import {pageCacheScenario} from "./pagecache.js";
import type {Scenario} from "./scenario.js";
import {transferScenario} from "./transfer.js";

export const scenarios: readonly Scenario[] = [transferScenario, dmaScenario, pageCacheScenario, largeFileScenario];
