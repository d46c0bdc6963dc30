/**
 * Ingest: turns a labeled image set into `datasets/<name>/shards/shard-NNNNN.parquet` plus
 * `datasets/<name>/manifest.json` in an object store. Sources: an IDX pair (Fashion-MNIST), a
 * class-folder tree (ImageNet train layout) or a flat folder with a labels file (ImageNet val).
 *
 * Samples are written in sample-id order, `shardSize` to a shard, one shard in memory at a time.
 * The manifest is written last, and an existing one is removed first, so a failed or interrupted
 * ingest publishes nothing. The same input always gives byte-identical shards and manifest.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DATASET_NAME_RE, datasetPrefix, manifestKey, shardKey } from '../lib/dataset.js';
import type { DatasetManifest, ShardEntry, ShardRow } from '../lib/dataset.js';
import { putJson, sha256 } from '../infra/store.js';
import type { ObjectStore } from '../infra/store.js';
import { IngestError, failOnBad } from './ingest-error.js';
import type { BadSample, SkipEntry } from './ingest-error.js';
import { encodeShard } from './shard-writer.js';
import { loadManifest } from './shard-reader.js';
import { planFlat } from './source-flat.js';
import type { FlatSource } from './source-flat.js';
import { planIdx } from './source-idx.js';
import type { IdxSource } from './source-idx.js';
import { isImageFile } from './image-codec.js';
import { isDirectoryEntry, listDir, planTree, readClassIndex } from './source-tree.js';
import type { TreeSource } from './source-tree.js';
import type { SampleRef, SourcePlan } from './source.js';

export { IngestError } from './ingest-error.js';
export type { SkipEntry } from './ingest-error.js';
export type { IdxSource } from './source-idx.js';
export type { TreeSource } from './source-tree.js';
export type { FlatSource } from './source-flat.js';

/** Where the images and labels come from. */
export type IngestSource = IdxSource | TreeSource | FlatSource;

export interface IngestOptions {
  /** Dataset name: lower-case letters, digits, `.`, `_`, `-` (DATASET_NAME_RE). */
  name: string;
  store: ObjectStore;
  /** Samples per shard. @default 1000 */
  shardSize?: number;
  /** Record bad samples in `datasets/<name>/skipped.json` instead of failing. @default false */
  skipBad?: boolean;
  /** Called as samples are processed (skipped ones count as done). @default none */
  onProgress?: (done: number, total: number) => void;
}

/** Images decoded or encoded concurrently; bounds memory to one shard plus this many images. */
const WINDOW = 64;

/** Ingests a source into the store and returns the published manifest. */
export async function ingest(source: IngestSource, opts: IngestOptions): Promise<DatasetManifest> {
  const shardSize = checkOptions(opts);
  const skips: SkipEntry[] = [];
  const bad: BadSample = opts.skipBad ? (entry) => void skips.push(entry) : failOnBad;
  const plan = await planSource(source, bad);

  await opts.store.deletePrefix(manifestKey(opts.name));
  const shards = await writeShards(plan, opts, shardSize, bad);
  if (shards.length === 0) {
    throw new IngestError(`ingest: every sample of ${sourcePath(source)} was skipped (${skips.length}); nothing to publish`);
  }
  await removeStaleShards(opts.store, opts.name, shards.length);

  const skippedKey = `${datasetPrefix(opts.name)}/skipped.json`;
  if (opts.skipBad) await putJson(opts.store, skippedKey, skips);
  else await opts.store.deletePrefix(skippedKey);
  const manifest: DatasetManifest = {
    format: 'crossfix-dataset/1',
    name: opts.name,
    samples: shards.reduce((n, s) => n + s.rows, 0),
    classes: plan.classes,
    shards,
    source: plan.description,
    ...(opts.skipBad ? { skipped: skips.length } : {}),
  };
  await putJson(opts.store, manifestKey(opts.name), manifest);
  return manifest;
}

function checkOptions(opts: IngestOptions): number {
  if (!DATASET_NAME_RE.test(opts.name)) {
    throw new IngestError(`ingest: dataset name ${JSON.stringify(opts.name)} is not valid (lower-case letters, digits, '.', '_', '-'; at most 128)`);
  }
  const shardSize = opts.shardSize ?? 1000;
  if (!Number.isSafeInteger(shardSize) || shardSize < 1) {
    throw new IngestError(`ingest: shard size ${String(opts.shardSize)} is not a positive integer`);
  }
  return shardSize;
}

function planSource(source: IngestSource, bad: BadSample): Promise<SourcePlan> {
  switch (source.kind) {
    case 'idx':
      return planIdx(source, bad);
    case 'tree':
      return planTree(source, bad);
    case 'flat':
      return planFlat(source, bad);
  }
}

function sourcePath(source: IngestSource): string {
  return source.kind === 'idx' ? source.images : source.root;
}

/** Loads samples a window at a time and writes a shard whenever `shardSize` rows are ready. */
async function writeShards(plan: SourcePlan, opts: IngestOptions, shardSize: number, bad: BadSample): Promise<ShardEntry[]> {
  const shards: ShardEntry[] = [];
  let rows: ShardRow[] = [];
  const total = plan.samples.length;
  opts.onProgress?.(0, total);
  for (let start = 0; start < total; start += WINDOW) {
    const loaded = await plan.load(plan.samples.slice(start, start + WINDOW));
    for (const item of loaded) {
      if ('error' in item) reportLoadError(item.ref, item.error, bad);
      else rows.push({ sample_id: item.ref.id, label: item.ref.label, image: item.image });
      if (rows.length === shardSize) {
        shards.push(await putShard(opts, shards.length, rows));
        rows = [];
      }
    }
    opts.onProgress?.(Math.min(start + WINDOW, total), total);
  }
  if (rows.length > 0) shards.push(await putShard(opts, shards.length, rows));
  return shards;
}

function reportLoadError(ref: SampleRef, error: Error, bad: BadSample): void {
  if (!(error instanceof IngestError)) throw error;
  bad({ sample_id: ref.id, file: ref.file, reason: error.message });
}

async function putShard(opts: IngestOptions, index: number, rows: ShardRow[]): Promise<ShardEntry> {
  const bytes = await encodeShard(rows);
  const key = shardKey(opts.name, index);
  await opts.store.put(key, bytes, 'application/vnd.apache.parquet');
  return { index, key, rows: rows.length, sha256: sha256(bytes), bytes: bytes.length };
}

/** Deletes shards left by an earlier, larger ingest under the same name. */
async function removeStaleShards(store: ObjectStore, name: string, count: number): Promise<void> {
  const keep = new Set(Array.from({ length: count }, (_, i) => shardKey(name, i)));
  for (const o of await store.list(`${datasetPrefix(name)}/shards/`)) {
    if (!keep.has(o.key)) await store.deletePrefix(o.key);
  }
}

/** The dataset's manifest, or undefined when none is published under that name. */
export async function loadManifestIfPresent(store: ObjectStore, name: string): Promise<DatasetManifest | undefined> {
  if ((await store.head(manifestKey(name))) === undefined) return undefined;
  return loadManifest(store, name);
}

/** Debian's `dataset-fashion-mnist` package puts the IDX files here. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Files that name the classes: --class-index, or --class-names (same forms, see class-index.ts). */
export interface DetectOptions {
  /** Labels file; makes a folder a flat source. @default none */
  labels?: string;
  /** Class-index file. @default none */
  classIndex?: string;
  /** Class-names file, an alias of classIndex. @default none */
  classNames?: string;
}

/**
 * Works out the source kind from a CLI path: `fashion-mnist[:test|:train]` (default split test),
 * an IDX images file (labels from opts.labels or the `labels-idx1` sibling), a folder with
 * opts.labels (flat), or a folder of class folders (tree).
 */
export async function detectSource(path: string, opts: DetectOptions = {}): Promise<IngestSource> {
  const fm = /^fashion-mnist(?::(test|train))?$/.exec(path);
  if (fm) {
    const prefix = fm[1] === 'train' ? 'train' : 't10k';
    const file = (what: string): string => `${FASHION_MNIST_DIR}/${prefix}-${what}-ubyte.gz`;
    return { kind: 'idx', images: file('images-idx3'), labels: file('labels-idx1'), split: fm[1] ?? 'test' };
  }
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new IngestError(`ingest: source ${path} does not exist`);
  const classFile = opts.classIndex ?? opts.classNames;
  if (info.isFile() && /images-idx3-ubyte(\.gz)?$/.test(path)) {
    const labels = opts.labels ?? join(dirname(path), basename(path).replace('images-idx3', 'labels-idx1'));
    return { kind: 'idx', images: path, labels, ...(classFile ? { classNames: await readClassIndex(classFile) } : {}) };
  }
  if (!info.isDirectory()) {
    throw new IngestError(`ingest: source ${path} is neither a folder, an IDX images file nor fashion-mnist[:test|:train]`);
  }
  if (opts.labels) {
    return { kind: 'flat', root: path, labels: opts.labels, ...(classFile ? { classNames: await readClassIndex(classFile) } : {}) };
  }
  const entries = await listDir(path);
  const dirs = await Promise.all(entries.map((e) => isDirectoryEntry(path, e)));
  if (!dirs.some(Boolean) && entries.some((e) => isImageFile(e.name))) {
    throw new IngestError(`ingest: ${path} holds images but no class folders; give a labels file for a flat folder`);
  }
  return { kind: 'tree', root: path, ...(classFile ? { classIndex: classFile } : {}) };
}

/** Arguments of `crossfix ingest SOURCE`. */
export interface IngestCommandArgs extends DetectOptions, IngestOptions {
  /** Path or `fashion-mnist[:test|:train]`, see detectSource. */
  source: string;
}

/** `crossfix ingest`: detects the source, ingests it, returns the manifest. */
export async function ingestCommand(args: IngestCommandArgs): Promise<DatasetManifest> {
  const source = await detectSource(args.source, args);
  return ingest(source, args);
}
