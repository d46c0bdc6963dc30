/**
 * Importer for per-image predictions written by adaptations of timm's inference script: one CSV per
 * model, no header, lines `filename,top1[,top2,…,topk],target`; the model name is the file stem.
 * Models are aligned by filename, never by row order. `parseTimmCsv` is pure; `readTimmCsv` reads files.
 */
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { AnalysisInput, ModelPredictions } from '../types.js';

/** One CSV file: where it came from (for messages and the model name) and its text. */
export interface TimmCsvFile {
  path: string;
  text: string;
}

export interface TimmCsvOptions {
  /** Class names by id; when given, every class id must be below its length. @default none */
  classNames?: string[];
}

/** One parsed file: filename → row, in line order. */
interface ParsedCsv {
  path: string;
  model: string;
  rows: Map<string, { line: number; top1: number; target: number }>;
  maxClass: number;
}

/** Model name of a CSV file: its base name without the extension. */
export function modelNameOf(path: string): string {
  const base = basename(path);
  return base.slice(0, base.length - extname(base).length);
}

/** Parses and aligns timm CSVs into an AnalysisInput with sample ids (filenames) sorted. */
export function parseTimmCsv(files: TimmCsvFile[], options: TimmCsvOptions = {}): AnalysisInput {
  if (files.length === 0) throw new Error('timm-csv: no CSV files given');
  const parsed = files.map((f) => parseFile(f));
  checkDistinctModels(parsed);
  const reference = parsed[0]!;
  for (const other of parsed.slice(1)) checkSameSamples(reference, other);
  const sampleIds = [...reference.rows.keys()].sort(compareCodeUnits);
  const numClasses = checkClassCount(parsed, options.classNames);
  const labels = Int32Array.from(sampleIds, (id) => reference.rows.get(id)!.target);
  const models: ModelPredictions[] = parsed.map((p) => ({
    name: p.model,
    top1: Int32Array.from(sampleIds, (id) => p.rows.get(id)!.top1),
  }));
  return { sampleIds, labels, numClasses, models, ...(options.classNames ? { classNames: options.classNames } : {}) };
}

/** Reads CSV files from disk and parses them with `parseTimmCsv`. */
export async function readTimmCsv(paths: string[], options: TimmCsvOptions = {}): Promise<AnalysisInput> {
  const files = await Promise.all(paths.map(async (path) => ({ path, text: await readFile(path, 'utf8') })));
  return parseTimmCsv(files, options);
}

function parseFile(file: TimmCsvFile): ParsedCsv {
  const lines = file.text.replace(/^\uFEFF/, '').split('\n');
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  if (lines.length === 0) throw new Error(`timm-csv: ${file.path} is empty`);
  const out: ParsedCsv = { path: file.path, model: modelNameOf(file.path), rows: new Map(), maxClass: -1 };
  let columns = 0;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!;
    const cells = (text.endsWith('\r') ? text.slice(0, -1) : text).split(',');
    if (i === 0) columns = checkFirstColumns(file.path, cells.length);
    else if (cells.length !== columns) {
      throw new Error(`timm-csv: ${file.path} line ${i + 1} has ${cells.length} columns, line 1 has ${columns}`);
    }
    addRow(out, cells, i + 1);
  }
  return out;
}

function checkFirstColumns(path: string, count: number): number {
  if (count < 3) {
    throw new Error(`timm-csv: ${path} line 1 has ${count} columns, expected filename,top1[,…,topk],target (at least 3)`);
  }
  return count;
}

function addRow(out: ParsedCsv, cells: string[], line: number): void {
  const filename = cells[0]!;
  if (filename === '') throw new Error(`timm-csv: ${out.path} line ${line} has an empty filename`);
  const first = out.rows.get(filename);
  if (first) {
    throw new Error(`timm-csv: ${out.path} line ${line} repeats filename ${JSON.stringify(filename)} (first on line ${first.line})`);
  }
  let id = -1;
  for (let c = 1; c < cells.length; c++) {
    id = classId(out.path, line, c, cells[c]!);
    if (id > out.maxClass) out.maxClass = id;
  }
  out.rows.set(filename, { line, top1: classId(out.path, line, 1, cells[1]!), target: id });
}

/** Parses a cell as a class id (digits, optional surrounding spaces); names file, line and value otherwise. */
function classId(path: string, line: number, column: number, cell: string): number {
  let value = 0;
  let digits = 0;
  for (let i = 0; i < cell.length; i++) {
    const code = cell.charCodeAt(i);
    if (code >= 48 && code <= 57 && digits < 9) {
      value = value * 10 + code - 48;
      digits++;
    } else if (code !== 32 || (digits > 0 && i + 1 < cell.length && cell.charCodeAt(i + 1) !== 32)) {
      digits = -1;
      break;
    }
  }
  if (digits > 0) return value;
  throw new Error(
    `timm-csv: ${path} line ${line} column ${column + 1} is ${JSON.stringify(cell)}, expected a non-negative integer class id`,
  );
}

function checkDistinctModels(parsed: ParsedCsv[]): void {
  const seen = new Map<string, string>();
  for (const p of parsed) {
    const prior = seen.get(p.model);
    if (prior !== undefined) throw new Error(`timm-csv: ${prior} and ${p.path} both name model ${JSON.stringify(p.model)}`);
    seen.set(p.model, p.path);
  }
}

/** Every filename in `b` must be in `a` with the same target, and vice versa. */
function checkSameSamples(a: ParsedCsv, b: ParsedCsv): void {
  for (const [filename, row] of b.rows) {
    const ref = a.rows.get(filename);
    if (!ref) throw new Error(`timm-csv: ${a.path} has no row for ${JSON.stringify(filename)} (${b.path} line ${row.line})`);
    if (ref.target !== row.target) {
      throw new Error(
        `timm-csv: ${b.path} line ${row.line} gives target ${row.target} for ${JSON.stringify(filename)}, ${a.path} line ${ref.line} gives ${ref.target}`,
      );
    }
  }
  if (b.rows.size === a.rows.size) return;
  for (const [filename, row] of a.rows) {
    if (!b.rows.has(filename)) {
      throw new Error(`timm-csv: ${b.path} has no row for ${JSON.stringify(filename)} (${a.path} line ${row.line})`);
    }
  }
}

function checkClassCount(parsed: ParsedCsv[], classNames: string[] | undefined): number {
  const maxClass = Math.max(...parsed.map((p) => p.maxClass));
  if (!classNames) return maxClass + 1;
  const worst = parsed.find((p) => p.maxClass >= classNames.length);
  if (worst) {
    throw new Error(`timm-csv: ${worst.path} has class id ${worst.maxClass}, but the class names list ${classNames.length} classes`);
  }
  return classNames.length;
}

/** Orders strings by UTF-16 code units, independent of locale. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
