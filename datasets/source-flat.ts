/**
 * Source (c): a flat folder of images plus a labels file, the ImageNet validation layout
 * (`ILSVRC2012_val_00000001.JPEG` …). Image bytes are kept as they are, after a full decode
 * check. Sample ids are the file names. Labels file forms: see labels-file.ts.
 *
 * Not read directly: the devkit's `ILSVRC2012_validation_ground_truth.txt`, whose labels are
 * 1-based ILSVRC2012_IDs (1…1000) in the devkit's own class order, not the sorted-WordNet-id
 * order models use; with a 1000-class index its label 1000 fails as out of range. Use Caffe's
 * `val.txt`, Kaggle's `LOC_val_solution.csv` or TensorFlow's synset labels instead.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isImageFile, loadImageFiles } from './image-codec.js';
import { IngestError, errText } from './ingest-error.js';
import type { BadSample } from './ingest-error.js';
import { parseLabelsFile, resolveLabels } from './labels-file.js';
import type { LabelLine } from './labels-file.js';
import { byId } from './source.js';
import type { SampleRef, SourcePlan } from './source.js';
import { listDir } from './source-tree.js';

/** A folder of images and a labels file. */
export interface FlatSource {
  kind: 'flat';
  root: string;
  /** Path of the labels file. */
  labels: string;
  /** Class names by index; label words may be indices or these names. @default derived from the labels (labels-file.ts) */
  classNames?: string[];
}

/** Matches label lines to image files and resolves labels; unmatched or bad lines are bad samples. */
export async function planFlat(src: FlatSource, bad: BadSample): Promise<SourcePlan> {
  const files = (await listDir(src.root)).filter((e) => !e.isDirectory() && isImageFile(e.name)).map((e) => e.name).sort();
  if (files.length === 0) throw new IngestError(`ingest: ${src.root} holds no images`);
  const text = await readFile(src.labels, 'utf8').catch((err: unknown) => {
    throw new IngestError(`ingest: labels file ${src.labels} cannot be read (${errText(err)})`, { cause: err });
  });
  const lines = parseLabelsFile(text, src.labels);
  const named = lines[0]?.file !== undefined ? matchFiles(lines, files, src, bad) : inFileOrder(lines, files, src);
  const { classes, labels } = resolveLabels(named.map((n) => n.line), src.labels, src.classNames);
  const samples: SampleRef[] = [];
  named.forEach(({ name }, i) => {
    const label = labels[i]!;
    if (typeof label === 'number') samples.push({ id: name, label, file: join(src.root, name) });
    else bad({ sample_id: name, file: src.labels, reason: label });
  });
  return {
    classes,
    description: { kind: 'flat', root: src.root, labels: src.labels },
    samples: samples.sort(byId),
    load: loadImageFiles,
  };
}

interface Named {
  name: string;
  line: LabelLine;
}

function inFileOrder(lines: LabelLine[], files: string[], src: FlatSource): Named[] {
  if (lines.length !== files.length) {
    throw new IngestError(`ingest: ${src.labels} has ${lines.length} labels for ${files.length} images in ${src.root}`);
  }
  return files.map((name, i) => ({ name, line: lines[i]! }));
}

/** Pairs `<file> <label>` lines with files (exact name or name without extension). */
function matchFiles(lines: LabelLine[], files: string[], src: FlatSource, bad: BadSample): Named[] {
  const byName = new Map(files.map((f) => [f, f]));
  for (const f of files) if (!byName.has(stem(f))) byName.set(stem(f), f);
  const firstLine = new Map<string, number>();
  const dropped = new Set<string>();
  const out: Named[] = [];
  for (const line of lines) {
    const name = byName.get(line.file!);
    const at = `ingest: ${src.labels} line ${line.line}:`;
    if (name === undefined) {
      bad({ sample_id: line.file!, file: src.labels, reason: `${at} image ${line.file} is not in ${src.root}` });
    } else if (firstLine.has(name)) {
      bad({ sample_id: name, file: src.labels, reason: `${at} sample id ${name} already has a label on line ${firstLine.get(name)}` });
      dropped.add(name);
    } else {
      firstLine.set(name, line.line);
      out.push({ name, line });
    }
  }
  for (const f of files) {
    if (!firstLine.has(f)) bad({ sample_id: f, file: src.labels, reason: `ingest: ${src.labels} has no label for ${join(src.root, f)}` });
  }
  return out.filter((n) => !dropped.has(n.name));
}

function stem(file: string): string {
  const dot = file.lastIndexOf('.');
  return dot > 0 ? file.slice(0, dot) : file;
}
