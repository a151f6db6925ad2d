/**
 * Charts: Observable Plot rendered in Node into self-contained SVG strings.
 */
export {renderChart, finiteRows, normalizeIds, roundNumbers, type ChartSpec} from "./renderChart.js";
export {sizeLineChart, throughputChart, type SizeSeriesRow, type SizeLineOptions, type ThroughputRow} from "./throughputChart.js";
export {cpuShareChart, type CpuShareRow, type CpuShareOptions} from "./cpuShareChart.js";
export {dmaCpuShareChart, type DmaCpuShareRow} from "./dmaCpuShareChart.js";
export {countsChart, type CountsRow} from "./countsChart.js";
export {strategyColors, categoryColors, modeColors, paletteFor, sizeTicks, sizeTickFormat, type Palette} from "./palette.js";
export {hitRatioChart, groupedBarChart, thresholdChart, pageCacheColors, type HitRatioRow, type BarRow, type ThresholdRow} from "./pageCache.js";
export {validationChart, type ValidationChartRow} from "./validationChart.js";
export {fdsLineChart, multiplexColors, multiplexCategoryColors, type FdsSeriesRow, type FdsLineOptions} from "./multiplexing.js";
export {clientsLineChart, connectStepsChart, serverModelColors, type ClientsRow, type ConnectStepRow} from "./servers.js";
export {seriesLineChart, architectureColors, type SeriesRow, type SeriesLineOptions} from "./reactorProactor.js";
