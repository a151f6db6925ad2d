/**
 * Golden output of a study, as SimPy keeps a `.out` beside each example:
 * every table as CSV, every chart as SVG, and the rest (id, question,
 * parameters, notes, table and chart ids) as JSON, all under `test/output/`.
 */
import type {StudyResult} from "../../src/studies/study.js";
import assert from "node:assert/strict";
import {checkSnapshot} from "../charts/snapshot.js";

/** Returns the JSON part of a study's golden output. */
export function studySummary(result: StudyResult): string {
  const summary = {
    id: result.id,
    title: result.title,
    question: result.question,
    params: result.params,
    tables: result.tables.map((t) => ({id: t.id, title: t.title, rows: t.table.numRows(), columns: t.table.columnNames()})),
    charts: result.charts.map((c) => ({id: c.id, title: c.title, rows: c.data.numRows(), columns: c.data.columnNames()})),
    notes: result.notes,
  };
  return JSON.stringify(summary, null, 2) + "\n";
}

/** Asserts every part of *result* against `test/output/<name>…` (a missing part fails on CI, is created locally; see checkSnapshot), listing every part that changed. */
export function assertStudyGolden(name: string, result: StudyResult): void {
  const messages = [
    checkSnapshot(name, studySummary(result), "json"),
    ...result.tables.map((t) => checkSnapshot(`${name}-${t.id}`, t.table.toCSV() + "\n", "csv")),
    ...result.charts.map((c) => checkSnapshot(`${name}-${c.id}`, c.html, "svg")),
  ].filter((m): m is string => m !== null);
  if (messages.length) assert.fail(messages.join("\n"));
}
