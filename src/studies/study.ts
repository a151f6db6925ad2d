/**
 * Studies: the questions iosim answers, as plain functions.
 *
 * A study takes parameters and returns `{tables, charts, notes}`. Notebooks
 * and `iosim report` call the same studies, so the report works without
 * Jupyter and a notebook is a thin, readable page over a study.
 */
import type {ColumnTable} from "arquero";

/** One table of a study: an Arquero table with a title. */
export interface StudyTable {
  /** File-safe id, unique within the study ("counts"). */
  id: string;
  title: string;
  table: ColumnTable;
}

/** One chart of a study: rendered markup plus the data behind it. */
export interface StudyChart {
  /** File-safe id, unique within the study ("throughput"). */
  id: string;
  title: string;
  /** Rendered chart: one self-contained `<svg>` (title and legend drawn inside it). */
  html: string;
  /** The rows the chart plots, exported as CSV, JSON and Arrow. */
  data: ColumnTable;
}

/** What a study returns. */
export interface StudyResult {
  /** File-safe id ("zero-copy"). */
  id: string;
  title: string;
  /** The question it answers, one or two sentences. */
  question: string;
  /** The parameters it ran with (seed and profiles included). */
  params: Record<string, unknown>;
  tables: StudyTable[];
  charts: StudyChart[];
  /** Findings in plain sentences, computed from the results. */
  notes: string[];
}
