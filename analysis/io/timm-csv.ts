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

/** The first file: its rows in line order and the row of each filename. */
interface Reference {
  path: string;
  ids: string[];
  row: Map<string, number>;
  lines: number[];
  targets: number[];
}

/** One model's parsed file: top-1 per reference row, and the line each reference row came from. */
interface ModelRows {
  path: string;
  model: string;
  top1: Int32Array;
  lineOf: Int32Array;
  maxClass: number;
}

/** Model name of a CSV file: its base name without the extension. */
export function modelNameOf(path: string): string {
  const base = basename(path);
  return base.slice(0, base.length - extname(base).length);
}

/**
 * Parses and aligns timm CSVs into an AnalysisInput with sample ids (filenames) sorted. The first
 * file is the reference: every other file must hold exactly its filenames, with the same targets.
 */
export function parseTimmCsv(files: TimmCsvFile[], options: TimmCsvOptions = {}): AnalysisInput {
  if (files.length === 0) throw new Error('timm-csv: no CSV files given');
  checkDistinctModels(files.map((f) => f.path));
  const reference: Reference = { path: files[0]!.path, ids: [], row: new Map(), lines: [], targets: [] };
  const parsed = files.map((f, i) => parseFile(f, reference, i === 0));
  const numClasses = checkClassCount(parsed, options.classNames);
  const order = Int32Array.from(reference.ids.keys()).sort((a, b) =>
    compareCodeUnits(reference.ids[a]!, reference.ids[b]!),
  );
  const models: ModelPredictions[] = parsed.map((p) => ({ name: p.model, top1: order.map((r) => p.top1[r]!) }));
  return {
    sampleIds: Array.from(order, (r) => reference.ids[r]!),
    labels: order.map((r) => reference.targets[r]!),
    numClasses,
    models,
    ...(options.classNames ? { classNames: options.classNames } : {}),
  };
}

/** Reads CSV files from disk and parses them with `parseTimmCsv`. */
export async function readTimmCsv(paths: string[], options: TimmCsvOptions = {}): Promise<AnalysisInput> {
  const files = await Promise.all(paths.map(async (path) => ({ path, text: await readFile(path, 'utf8') })));
  return parseTimmCsv(files, options);
}

/** Parses one file; the first one fills `reference`, later ones are checked against it. */
function parseFile(file: TimmCsvFile, reference: Reference, first: boolean): ModelRows {
  const lines = file.text.replace(/^\uFEFF/, '').split('\n');
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  if (lines.length === 0) throw new Error(`timm-csv: ${file.path} is empty`);
  const size = first ? lines.length : reference.ids.length;
  const out: ModelRows = {
    path: file.path,
    model: modelNameOf(file.path),
    top1: new Int32Array(size),
    lineOf: new Int32Array(size),
    maxClass: -1,
  };
  let columns = 0;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!;
    const cells = (text.endsWith('\r') ? text.slice(0, -1) : text).split(',');
    if (i === 0) columns = checkFirstColumns(file.path, cells.length);
    else if (cells.length !== columns) {
      throw new Error(`timm-csv: ${file.path} line ${i + 1} has ${cells.length} columns, line 1 has ${columns}`);
    }
    addRow(out, reference, first, cells, i + 1);
  }
  if (!first) checkNoneMissing(out, reference);
  return out;
}

function checkFirstColumns(path: string, count: number): number {
  if (count < 3) {
    throw new Error(
      `timm-csv: ${path} line 1 has ${count} columns, expected filename,top1[,…,topk],target (at least 3)`,
    );
  }
  return count;
}

function addRow(out: ModelRows, reference: Reference, first: boolean, cells: string[], line: number): void {
  const filename = cells[0]!;
  if (filename === '') throw new Error(`timm-csv: ${out.path} line ${line} has an empty filename`);
  let target = -1;
  for (let c = 1; c < cells.length; c++) {
    target = classId(out.path, line, c, cells[c]!);
    if (target > out.maxClass) out.maxClass = target;
  }
  const r = first ? addReferenceRow(reference, filename, line, target) : reference.row.get(filename);
  if (r === undefined)
    throw new Error(
      `timm-csv: ${reference.path} has no row for ${JSON.stringify(filename)} (${out.path} line ${line})`,
    );
  if (out.lineOf[r] !== 0) {
    throw new Error(
      `timm-csv: ${out.path} line ${line} repeats filename ${JSON.stringify(filename)} (first on line ${out.lineOf[r]})`,
    );
  }
  if (reference.targets[r] !== target) {
    throw new Error(
      `timm-csv: ${out.path} line ${line} gives target ${target} for ${JSON.stringify(filename)}, ${reference.path} line ${reference.lines[r]} gives ${reference.targets[r]}`,
    );
  }
  out.lineOf[r] = line;
  out.top1[r] = classId(out.path, line, 1, cells[1]!);
}

/** Adds a filename of the first file; a repeat returns the earlier row, so the caller reports it. */
function addReferenceRow(reference: Reference, filename: string, line: number, target: number): number {
  const prior = reference.row.get(filename);
  if (prior !== undefined) return prior;
  reference.row.set(filename, reference.ids.length);
  reference.ids.push(filename);
  reference.lines.push(line);
  reference.targets.push(target);
  return reference.ids.length - 1;
}

/** A later file must cover every filename of the reference. */
function checkNoneMissing(out: ModelRows, reference: Reference): void {
  const r = out.lineOf.indexOf(0);
  if (r >= 0) {
    throw new Error(
      `timm-csv: ${out.path} has no row for ${JSON.stringify(reference.ids[r])} (${reference.path} line ${reference.lines[r]})`,
    );
  }
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

function checkDistinctModels(paths: string[]): void {
  const seen = new Map<string, string>();
  for (const path of paths) {
    const model = modelNameOf(path);
    const prior = seen.get(model);
    if (prior !== undefined) throw new Error(`timm-csv: ${prior} and ${path} both name model ${JSON.stringify(model)}`);
    seen.set(model, path);
  }
}

function checkClassCount(parsed: ModelRows[], classNames: string[] | undefined): number {
  const maxClass = Math.max(...parsed.map((p) => p.maxClass));
  if (!classNames) return maxClass + 1;
  const worst = parsed.find((p) => p.maxClass >= classNames.length);
  if (worst) {
    throw new Error(
      `timm-csv: ${worst.path} has class id ${worst.maxClass}, but the class names list ${classNames.length} classes`,
    );
  }
  return classNames.length;
}

/** Orders strings by UTF-16 code units, independent of locale. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
