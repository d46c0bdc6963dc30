/**
 * Writes an AnalysisResult to an object store: the Parquet tables (see ./README.md), summary.json
 * and report.html, under one key prefix. Equal results give byte-identical objects.
 */
import type { ObjectStore } from '../../infra/store.js';
import type { AnalysisResult } from '../types.js';
import { outputTables } from './output-tables.js';
import { writeParquetBuffer } from './parquet-buffer.js';
import { renderReport, type ReportOptions } from './report.js';
import { buildSummary, summaryJson, type Summary } from './summary.js';

/** Options of `writeOutputs`. */
export interface WriteOutputsOptions {
  /** Key prefix of every output, e.g. `runs/r1/analysis/`. @default '' (the store root) */
  prefix?: string;
  /** Options of the report page. @default {} */
  report?: ReportOptions;
}

/** What `writeOutputs` wrote: file name → location (`store.url`), and the summary. */
export interface WrittenOutputs {
  outputs: Record<string, string>;
  summary: Summary;
}

/** Writes every output of `result`; tables first, then summary.json, then report.html. */
export async function writeOutputs(
  result: AnalysisResult,
  store: ObjectStore,
  options: WriteOutputsOptions = {},
): Promise<WrittenOutputs> {
  const prefix = options.prefix ?? '';
  const outputs: Record<string, string> = {};
  const put = async (file: string, body: Buffer | string, contentType: string) => {
    await store.put(prefix + file, body, contentType);
    outputs[file] = store.url(prefix + file);
  };
  const tables = outputTables(result);
  for (const t of tables)
    await put(t.file, await writeParquetBuffer(t.fields, t.rows), 'application/vnd.apache.parquet');
  const summary = buildSummary(result, [...tables.map((t) => t.file), 'summary.json', 'report.html']);
  await put('summary.json', summaryJson(summary), 'application/json');
  await put('report.html', renderReport(result, options.report), 'text/html; charset=utf-8');
  return { outputs, summary };
}
