/**
 * Study: does the simulator predict this machine?
 *
 * The scoreboard of {@link validate} as a study (tables, charts, notes), so
 * notebook 07 and `iosim report --calibration FILE` show it like the other
 * studies. It lives beside `iosim calibrate` rather than in `src/studies/`
 * because it needs the calibration's types and the profile it writes.
 */
import {readFileSync} from "node:fs";
import * as aq from "arquero";
import {validationChart, type ValidationChartRow} from "../charts/validationChart.js";
import {InputError} from "../errors.js";
import {defaultProfileName, loadProfile, parseProfile, type Profile} from "../host/profiles.js";
import type {StudyResult} from "../studies/study.js";
import type {Calibration} from "./calibrate.js";
import {calibratedProfile} from "./calibratedProfile.js";
import {relativeBand, validate, validationSummary, type ValidationRow} from "./validate.js";

/** Parameters of {@link validationStudy}. */
export interface ValidationParams {
  /** What `iosim calibrate` measured: the calibration itself, or the path of its `.measurements.json`. */
  calibration: Calibration | string;
  /** The profile to predict with: a shipped name or a JSON path; default the calibrated profile built from *calibration* over its base. */
  profile?: string;
}

/** Returns the calibration in *file* (an `iosim-calibration/1` measurements file), checked enough to be compared. */
export function readCalibrationFile(file: string, param = "calibration"): Calibration & {extends?: string} {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new InputError(param, file, `a readable measurements file written by iosim calibrate (${(err as Error).message.split("\n")[0]})`);
  }
  const cal = raw as Partial<Calibration> & {format?: string; extends?: string};
  if (cal.format !== "iosim-calibration/1" || !Array.isArray(cal.measured) || !cal.settings || !Array.isArray(cal.settings.tcpBytes))
    throw new InputError(param, file, "an iosim-calibration/1 file written by iosim calibrate");
  return cal as Calibration & {extends?: string};
}

/** Returns the verdict of *row* for the chart. */
function verdictOf(row: ValidationRow): string {
  return row.calibrated ? "calibrated" : row.within ? "within" : "outside";
}

/** Returns *x* as a short ratio: `×1.3`, `×0.17`. */
const times = (x: number) => `×${x.toPrecision(2)}`;

/**
 * Returns the validation study: every quantity of the calibration the
 * model predicts, measured beside predicted (table), the ratio per quantity
 * against the ±25% band (chart), and notes computed from the rows: how many
 * true predictions agree, which disagree most and in which direction.
 *
 * ```ts
 * const r = validationStudy({calibration: "mine.measurements.json"});
 * r.notes[0] // "5 of 14 predictions fall within ±25% ..."
 * ```
 */
export function validationStudy(params: ValidationParams): StudyResult {
  const cal = typeof params.calibration === "string" ? readCalibrationFile(params.calibration) : params.calibration;
  if (!cal || !Array.isArray(cal.measured)) throw new InputError("calibration", String(params.calibration), "a calibration or the path of its measurements file");
  const base = (cal as {extends?: string}).extends ?? defaultProfileName;
  const profile: Profile = params.profile !== undefined ? loadProfile(params.profile) : parseProfile(calibratedProfile(cal, base, "(in memory)").profile, "calibrated profile");
  const rows = validate(cal, profile);
  const compared = rows.filter((r) => r.within !== undefined);
  const table = aq.from(
    rows.map((r) => ({
      quantity: r.quantity,
      unit: r.unit,
      measured: r.measured ?? null,
      measuredLow: r.measuredLow ?? null,
      measuredHigh: r.measuredHigh ?? null,
      predicted: r.predicted,
      error: r.error ?? null,
      band: r.band.kind === "relative" ? `±${r.band.within * 100}%` : `±${r.band.within * 100} pp`,
      verdict: r.within === undefined ? `not compared: ${r.unsupported}` : verdictOf(r),
    })),
  );
  const chartRows: ValidationChartRow[] = compared
    .filter((r) => r.band.kind === "relative" && r.error !== undefined)
    .map((r) => ({quantity: r.quantity, ratio: r.error!, verdict: verdictOf(r)}));
  const points = compared.filter((r) => r.band.kind === "points");
  const pointRows = points.map((r) => ({quantity: r.quantity, measured: r.measured!, predicted: r.predicted, differencePoints: r.error! * 100}));

  const s = validationSummary(rows);
  const notes: string[] = [];
  notes.push(
    `${s.predictedWithin} of ${s.predictedCompared} predictions fall within their band (±25% for bandwidths, times and CPU ratios; ±10 percentage points for the share of elapsed time sendfile saves); ` +
      `${s.compared - s.predictedCompared} more quantities were copied into the profile from the same measurement and are not counted.`,
  );
  const outside = compared.filter((r) => !r.calibrated && !r.within && r.band.kind === "relative" && r.error !== undefined);
  if (outside.length > 0) {
    const worst = [...outside].sort((a, b) => Math.abs(Math.log(b.error!)) - Math.abs(Math.log(a.error!)))[0];
    const over = outside.filter((r) => r.error! > 1).map((r) => r.quantity);
    const under = outside.filter((r) => r.error! < 1).map((r) => r.quantity);
    notes.push(`The furthest off is ${worst.quantity}: the model predicts ${times(worst.error!)} the measured value.`);
    if (over.length > 0) notes.push(`Predicted too high: ${over.join(", ")}.`);
    if (under.length > 0) notes.push(`Predicted too low: ${under.join(", ")}.`);
  }
  for (const r of points)
    notes.push(
      `${r.quantity}: measured ${(r.measured! * 100).toFixed(0)}%, predicted ${(r.predicted * 100).toFixed(0)}% (${r.within ? "within" : "outside"} ±10 points).`,
    );
  const unmeasured = rows.filter((r) => r.within === undefined);
  if (unmeasured.length > 0) notes.push(`Not compared (this machine could not measure them): ${unmeasured.map((r) => r.quantity).join(", ")}.`);

  return {
    id: "validation",
    title: "Validation: the model against this machine",
    question: `Run on ${cal.machine} (${cal.date}): does the simulator, with the profile calibrated there, predict what that machine measured for the same experiments?`,
    params: {machine: cal.machine, date: cal.date, profile: profile.name, quick: cal.settings.quick, tcpBytes: cal.settings.tcpBytes},
    tables: [
      {id: "comparison", title: "Measured and predicted, quantity by quantity", table},
      ...(pointRows.length > 0 ? [{id: "elapsed-saved", title: "Share of elapsed time sendfile saves: measured and predicted", table: aq.from(pointRows)}] : []),
    ],
    charts: [
      {
        id: "ratio",
        title: "Predicted ÷ measured, by quantity",
        html: validationChart(chartRows, {
          title: "Predicted ÷ measured, by quantity",
          subtitle: `The shaded zone is ±${relativeBand.within * 100}%: a dot inside it is a prediction that agrees. Purple rows were copied into the profile from that measurement.`,
          caption: `Measured by iosim calibrate on ${cal.machine}, ${cal.date}${cal.settings.quick ? " (--quick: few, short runs)" : ""}.`,
          band: relativeBand.within,
        }),
        data: aq.from(chartRows),
      },
    ],
    notes,
  };
}
