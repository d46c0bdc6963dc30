/**
 * Labels files of flat image folders (the ImageNet validation layout). Pure module.
 *
 * Line forms, one per file (blank lines and `#` comments are ignored):
 * - `<file> <label>` — Caffe's `val.txt` (`ILSVRC2012_val_00000001.JPEG 65`);
 * - `<file>,<label…>` — CSV, an optional header (`ImageId,PredictionString`, `filename,label`, …);
 *   the label is the first word after the comma, so Kaggle's `LOC_val_solution.csv`
 *   (`ILSVRC2012_val_00008726,n02119789 255 142 454 329`) works; `<file>` may omit the extension;
 * - `<label>` alone — one label per image in sorted file-name order, e.g. TensorFlow's
 *   `imagenet_2012_validation_synset_labels.txt` (`n01751748`).
 * A label is a class index (0-based) or a class name (e.g. a WordNet id `n01440764`).
 */
import { IngestError } from './ingest-error.js';

/** One label line: the 1-based line number, the file it names (absent in list form) and the label word. */
export interface LabelLine {
  line: number;
  file?: string;
  label: string;
}

const HEADER_RE = /^(file|filename|file_name|image|imageid|image_id|id|name|path|sample_id)$/i;

/**
 * Parses a labels file; every line must have the form of the first.
 * @param file path named in error messages
 */
export function parseLabelsFile(text: string, file: string): LabelLine[] {
  const out: LabelLine[] = [];
  let paired: boolean | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const entry = parseLine(line, i + 1);
    if (out.length === 0 && paired === undefined && entry.file !== undefined && HEADER_RE.test(entry.file)) {
      paired = true;
      return;
    }
    paired ??= entry.file !== undefined;
    if (paired !== (entry.file !== undefined)) {
      const form = paired ? '"<file> <label>"' : '"<label>"';
      throw new IngestError(`ingest: ${file} line ${i + 1}: expected ${form} like the lines before, got ${JSON.stringify(line)}`);
    }
    out.push(entry);
  });
  return out;
}

function parseLine(line: string, n: number): LabelLine {
  const comma = line.indexOf(',');
  if (comma >= 0) return { line: n, file: line.slice(0, comma).trim(), label: firstWord(line.slice(comma + 1)) };
  const words = line.split(/\s+/);
  return words.length === 1 ? { line: n, label: words[0]! } : { line: n, file: words[0]!, label: words[1]! };
}

function firstWord(text: string): string {
  return text.trim().split(/\s+/)[0] ?? '';
}

/** Labels resolved to class indices: the class list, and per line an index or an error message. */
export interface ResolvedLabels {
  classes: string[];
  labels: Array<number | string>;
}

/**
 * Turns label words into class indices. With class names, a word is an index into them or one
 * of them. Without, integer words make classes `'0'…'<max>'`, and name words make the sorted
 * distinct names the classes (for WordNet ids that is the usual ImageNet class order).
 */
export function resolveLabels(lines: LabelLine[], file: string, classNames?: string[]): ResolvedLabels {
  const anyInt = lines.some((l) => isInt(l.label));
  const classes = classNames ?? defaultClasses(lines, anyInt);
  const byName = new Map(classes.map((c, i) => [c, i]));
  const labels = lines.map((l) => {
    const at = `ingest: ${file} line ${l.line}: label`;
    if (isInt(l.label)) {
      const v = Number(l.label);
      if (v < 0) return `${at} ${l.label} is negative`;
      return v < classes.length ? v : `${at} ${l.label} is out of range 0…${classes.length - 1}`;
    }
    if (!classNames && anyInt) return `${at} ${JSON.stringify(l.label)} is not a class index (give a class index to use names)`;
    return byName.get(l.label) ?? `${at} ${JSON.stringify(l.label)} is not a class in the class index`;
  });
  return { classes, labels };
}

function isInt(word: string): boolean {
  return /^-?\d+$/.test(word);
}

function defaultClasses(lines: LabelLine[], anyInt: boolean): string[] {
  if (!anyInt) return [...new Set(lines.map((l) => l.label))].sort();
  const max = lines.reduce((m, l) => (isInt(l.label) ? Math.max(m, Number(l.label)) : m), -1);
  return Array.from({ length: max + 1 }, (_, i) => String(i));
}
