/** `iosim/report`: the HTML report (loads jsdom, Plot and resvg). */
export {writeReport, writeReportParallel, defaultReportDir, type ReportOptions, type ParallelReportOptions, type ReportSummary, type ReportStudy} from "./report.js";
export {reportHtml, reportPage, reportSection, type ReportPageInfo, type ReportSection} from "./html.js";
export {chartToPng, chartSvg, type PngOptions} from "./png.js";
