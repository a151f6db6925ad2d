/** `iosim/report`: the HTML report (loads jsdom, Plot and resvg). */
export {writeReport, defaultReportDir, type ReportOptions, type ReportSummary, type ReportStudy} from "./report.js";
export {reportHtml, type ReportPageInfo} from "./html.js";
export {chartToPng, chartSvg, type PngOptions} from "./png.js";
