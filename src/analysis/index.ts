/** `iosim/analysis`: counts, shares and rates measured from a run. */
export {countEvents, cpuShare, utilization, bytesPerSec, type Counts} from "./metrics.js";
export {LatencyHistogram, subBucketBits} from "./LatencyHistogram.js";
