/**
 * A report's worker thread: receives studies of `src/studies/index.ts` by id,
 * runs each with {@link runReportStudy} (data and PNGs written here, into the
 * study's own folders) and posts back its rendered section and the files it
 * wrote, or its error. One study at a time, in the order received.
 */
import {parentPort} from "node:worker_threads";
import {InputError} from "../errors.js";
import {studies} from "../studies/index.js";
import {runReportStudy, type ReportStudyOptions, type ReportStudyOutput} from "./runReportStudy.js";

/** A study sent to a worker: which one (its index in the report and its id) and how to write it. */
export interface ReportWorkerTask extends ReportStudyOptions {
  index: number;
  id: string;
}

/** A study's error, as plain data: an {@link InputError}'s parts, or any other error's name and message. */
export type ReportWorkerError =
  | {kind: "input"; param: string; value: string; expected: string; stack?: string}
  | {kind: "error"; name: string; message: string; stack?: string};

/** A worker's answer about study *index*: what it wrote, or why it failed. */
export type ReportWorkerReply = {index: number; output: ReportStudyOutput} | {index: number; error: ReportWorkerError};

const port = parentPort!;

port.on("message", (task: ReportWorkerTask) => {
  let reply: ReportWorkerReply;
  try {
    const study = studies.find((s) => s.id === task.id);
    if (!study) throw new Error(`report worker: no shipped study ${task.id}`);
    reply = {index: task.index, output: runReportStudy((p) => study.run(p), task)};
  } catch (err) {
    reply = {index: task.index, error: toPlainError(err)};
  }
  port.postMessage(reply);
});

function toPlainError(err: unknown): ReportWorkerError {
  if (err instanceof InputError) return {kind: "input", param: err.param, value: err.value, expected: err.expected, stack: err.stack};
  if (err instanceof Error) return {kind: "error", name: err.name, message: err.message, stack: err.stack};
  return {kind: "error", name: "Error", message: String(err)};
}
