/**
 * Report defaults that the CLI needs before it loads the report code (which
 * pulls in jsdom and Plot, about a second of start-up).
 */
import {join} from "node:path";

/** Where `iosim report` writes when no --out is given. */
export const defaultReportDir = join("reports", "iosim");
