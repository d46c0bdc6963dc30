/**
 * The inference activity: one (model, shard) pair → one predictions Parquet file.
 *
 * Output keys are pure functions of their inputs: the prediction cache entry
 * `cacheKey(modelDigest, shardDigest, topK)` and the run's `predictionKey(runId, model, shard)`.
 * A cache entry that exists and verifies is copied without inferring. Progress is heartbeated
 * after every batch; a retried attempt resumes after the last heartbeated batch, taking the
 * finished rows from a scratch file under cacheDir when the retry lands on the same host, and
 * recomputing them otherwise. Batches are cut at the same rows either way, so a resumed shard
 * writes the same bytes as an uninterrupted one.
 */
import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Context, log } from '@temporalio/activity';
import * as tf from '@tensorflow/tfjs-core';
import { badInput } from './bad-input.js';
import { ImageDecodeError, preprocessBatch } from '../conversion/preprocess.js';
import { readShard, verifyShard } from '../datasets/shard-reader.js';
import { NotFoundError, sha256 } from '../infra/store.js';
import type { ObjectStore } from '../infra/store.js';
import type { ShardEntry, ShardRow } from '../lib/dataset.js';
import { DEFAULT_TOP_K, cacheKey, predictionKey } from '../lib/predictions.js';
import type { PredictionRow } from '../lib/predictions.js';
import type { SelectedBackend } from '../worker/backend.js';
import { ModelCardError } from '../lib/model-card.js';
import { ModelStoreError, acquireModel, runModel } from './model-store.js';
import type { LoadedModel } from './model-store.js';
import { encodePredictions, readPredictions } from './write-predictions.js';

export interface InferShardInput {
  runId: string;
  dataset: string;
  shard: ShardEntry;
  /** Registered model name. */
  model: string;
  /** Digest the run was planned with; a different registered digest fails the activity. */
  modelDigest: string;
  /** Classes kept per row. @default DEFAULT_TOP_K (5) */
  topK?: number;
  /** Images per forward pass. @default the activities' batchSize (32) */
  batchSize?: number;
}

export interface InferShardOutput {
  /** Key of the run's prediction file. */
  key: string;
  /** Rows written (the shard's rows, corrupt ones included). */
  rows: number;
  /** Rows whose top-1 equals the label. */
  correct: number;
  /** Rows whose image could not be decoded. */
  corrupt: number;
  /** True when the predictions came from the cache and nothing was inferred. */
  cached: boolean;
  /** Wall time of the activity in milliseconds. */
  ms: number;
  /** Images inferred per second of activity time; 0 when cached. */
  imagesPerSecond: number;
  /** TF.js backend of this worker. */
  backend: string;
}

/** What inferShard heartbeats after each batch. */
export interface InferShardProgress {
  /** Rows finished, from the start of the shard; always a whole number of batches. */
  rowsDone: number;
  /** Zero-based number of the batch just finished. */
  batch: number;
}

export interface InferenceActivityOptions {
  store: ObjectStore;
  backend: SelectedBackend;
  /** Folder for per-shard scratch files used to resume after a retry. @default `<os tmpdir>/crossfix-scratch` */
  cacheDir?: string;
  /** Images per forward pass when the input names none. @default 32 */
  batchSize?: number;
}

/** Options of inferRows. */
export interface InferRowsOptions {
  /** Classes kept per row. @default DEFAULT_TOP_K (5) */
  topK?: number;
  /** Images per forward pass. @default 32 */
  batchSize?: number;
  /** Predictions of the first rows, already computed (a resumed attempt); a whole number of batches. @default [] */
  done?: PredictionRow[];
  /** Called after each batch with the progress and that batch's rows. @default none */
  onBatch?: (progress: InferShardProgress, rows: PredictionRow[]) => Promise<void>;
}

const DEFAULT_BATCH_SIZE = 32;

/** Builds the inference activities around a worker's store and TF.js backend. */
export function createInferenceActivities(opts: InferenceActivityOptions) {
  const cacheDir = opts.cacheDir ?? join(tmpdir(), 'crossfix-scratch');
  return {
    /** Infers one shard with one model and writes its predictions; see the file comment. */
    async inferShard(input: InferShardInput): Promise<InferShardOutput> {
      const batchSize = input.batchSize ?? opts.batchSize ?? DEFAULT_BATCH_SIZE;
      return inferShard(input, { ...opts, cacheDir, batchSize });
    },
  };
}

type ResolvedOptions = InferenceActivityOptions & { cacheDir: string; batchSize: number };

async function inferShard(input: InferShardInput, opts: ResolvedOptions): Promise<InferShardOutput> {
  const started = performance.now();
  const topK = input.topK ?? DEFAULT_TOP_K;
  checkCount('topK', topK);
  checkCount('batchSize', opts.batchSize);
  const key = predictionKey(input.runId, input.model, input.shard.index);
  const cache = cacheKey(input.modelDigest, input.shard.sha256, topK);
  const result = (rows: PredictionRow[], cached: boolean): InferShardOutput =>
    summarize(key, rows, cached, performance.now() - started, opts.backend.name);

  // served from the cache: copy, do not infer
  const hit = await readCache(opts.store, cache, input.shard.rows);
  if (hit) {
    await opts.store.put(key, hit.bytes);
    logInfo('Shard served from cache', { model: input.model, shard: input.shard.index, cache });
    return result(hit.rows, true);
  }

  // fetch, verify and decode the shard; load the model
  const rows = await fetchShard(opts.store, input.shard);
  const { loaded, release } = await acquirePlannedModel(opts.store, input.model, input.modelDigest);

  // infer, resuming after the last heartbeated batch of a previous attempt
  const scratch = join(opts.cacheDir, `${sha256(key).slice(0, 32)}.jsonl`);
  let predictions: PredictionRow[];
  try {
    const done = await resumeFrom(scratch, rows, opts.batchSize);
    predictions = await onDevice(() => inferRows(loaded, rows, {
      topK, batchSize: opts.batchSize, done, onBatch: (progress, batch) => recordBatch(scratch, progress, batch),
    }), { rowsDone: done.length, batch: done.length / opts.batchSize - 1 });
  } finally {
    release();
  }

  // write the cache entry (then its sidecar), then the run's copy
  const bytes = await encodePredictions(predictions);
  await opts.store.put(cache, bytes);
  await opts.store.put(`${cache}.json`, JSON.stringify({ sha256: sha256(bytes), rows: predictions.length }) + '\n');
  await opts.store.put(key, bytes);
  await rm(scratch, { force: true });
  const out = result(predictions, false);
  logInfo('Shard inferred', { model: input.model, shard: input.shard.index, images: out.rows, ms: Math.round(out.ms) });
  return out;
}

function summarize(key: string, rows: PredictionRow[], cached: boolean, ms: number, backend: string): InferShardOutput {
  const correct = rows.filter((r) => r.correct).length;
  const corrupt = rows.filter((r) => r.status === 'corrupt').length;
  const imagesPerSecond = cached ? 0 : (rows.length - corrupt) / Math.max(ms / 1000, 1e-6);
  return { key, rows: rows.length, correct, corrupt, cached, ms, imagesPerSecond, backend };
}

function checkCount(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw badInput(`infer: ${name} must be a positive integer, got ${value}`);
}

/** The cache entry's bytes and rows when it exists, matches its sidecar and has `rows` rows. */
async function readCache(store: ObjectStore, key: string, rows: number) {
  const bytes = await store.tryGet(key);
  if (!bytes) return undefined;
  const sidecar = await store.tryGet(`${key}.json`);
  try {
    const expected = sidecar ? (JSON.parse(sidecar.toString('utf8')) as { sha256?: string }).sha256 : sha256(bytes);
    if (expected !== sha256(bytes)) return undefined;
    const predictions = await readPredictions(bytes, key);
    return predictions.length === rows ? { bytes, rows: predictions } : undefined;
  } catch {
    return undefined;
  }
}

/** Fetches a shard, checks it against its manifest entry and decodes its rows. */
async function fetchShard(store: ObjectStore, shard: ShardEntry): Promise<ShardRow[]> {
  let bytes: Buffer;
  try {
    bytes = await store.get(shard.key);
  } catch (err) {
    if (err instanceof NotFoundError) throw badInput(`infer: shard ${store.url(shard.key)} does not exist`, err);
    throw err;
  }
  try {
    verifyShard(bytes, shard);
    return await readShard(bytes, shard.key);
  } catch (err) {
    throw badInput((err as Error).message, err);
  }
}

/**
 * Loads (or takes from the worker's cache) the registered model, held against eviction until `release`, and checks
 * that it is the one the run was planned with.
 */
async function acquirePlannedModel(store: ObjectStore, name: string, digest: string) {
  let held: Awaited<ReturnType<typeof acquireModel>>;
  try {
    held = await acquireModel(store, name);
  } catch (err) {
    if (err instanceof ModelStoreError || err instanceof ModelCardError) throw badInput(err.message, err);
    throw err;
  }
  if (held.loaded.digest !== digest) {
    held.release();
    throw badInput(`infer: model ${name} has digest ${held.loaded.digest}, the run expects ${digest}`);
  }
  return held;
}

// ---------------------------------------------------------------------------------------------
// resuming

/**
 * Rows finished by a previous attempt: the heartbeated row count, capped by the complete rows in
 * the scratch file (whole batches only). A fresh attempt, or a retry on another host, starts at 0.
 */
async function resumeFrom(scratch: string, rows: ShardRow[], batchSize: number): Promise<PredictionRow[]> {
  const details = activityContext()?.info.heartbeatDetails as Partial<InferShardProgress> | undefined;
  const claimed = Number.isInteger(details?.rowsDone) ? details!.rowsDone! : 0;
  const saved = claimed > 0 ? await readScratch(scratch, rows) : [];
  const usable = Math.floor(Math.min(claimed, saved.length) / batchSize) * batchSize;
  const done = saved.slice(0, usable);
  await mkdir(dirname(scratch), { recursive: true });
  await writeFile(scratch, done.map((r) => JSON.stringify(r) + '\n').join(''));
  if (claimed > 0) logInfo('Resuming shard', { rowsDone: claimed, fromScratch: usable });
  return done;
}

/** Complete, matching rows at the start of a scratch file (a torn last line is ignored). */
async function readScratch(scratch: string, rows: ShardRow[]): Promise<PredictionRow[]> {
  let text: string;
  try {
    text = await readFile(scratch, 'utf8');
  } catch {
    return [];
  }
  const out: PredictionRow[] = [];
  for (const line of text.split('\n')) {
    try {
      const row = JSON.parse(line) as PredictionRow;
      if (row.sample_id !== rows[out.length]?.sample_id) break;
      out.push(row);
    } catch {
      break;
    }
  }
  return out;
}

/** Appends a finished batch to the scratch file, then heartbeats its progress. */
async function recordBatch(scratch: string, progress: InferShardProgress, batch: PredictionRow[]): Promise<void> {
  await appendFile(scratch, batch.map((r) => JSON.stringify(r) + '\n').join(''));
  const ctx = activityContext();
  if (!ctx) return;
  ctx.heartbeat(progress);
  if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
}

let deviceQueue: Promise<unknown> = Promise.resolve();
const DEVICE_WAIT_HEARTBEAT_MS = 20_000;

/**
 * Runs `fn` when no other inference of this process is on the device: a worker may run two activities at once
 * so that one fetches, verifies and writes while the other infers, but inference itself stays one at a time.
 * While waiting it heartbeats `progress`, so a long queue does not look like a dead worker.
 */
async function onDevice<T>(fn: () => Promise<T>, progress: InferShardProgress): Promise<T> {
  const turn = deviceQueue;
  let release!: () => void;
  deviceQueue = new Promise<void>((r) => (release = r));
  const beat = setInterval(() => activityContext()?.heartbeat(progress), DEVICE_WAIT_HEARTBEAT_MS);
  try {
    await turn;
    clearInterval(beat);
    return await fn();
  } finally {
    clearInterval(beat);
    release();
  }
}

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

function logInfo(message: string, attrs: Record<string, unknown>): void {
  if (activityContext()) log.info(message, attrs);
}

// ---------------------------------------------------------------------------------------------
// inference

/**
 * Infers `rows` with a loaded model, in shard order, on the active TF.js backend. Usable outside
 * an activity (the benchmark's in-process baseline). Rows [0, done.length) are taken from `done`;
 * batches are cut at multiples of batchSize from row 0, so results do not depend on where a
 * previous attempt stopped. Undecodable images give 'corrupt' rows (top1 -1, empty top-k).
 */
export async function inferRows(
  loaded: LoadedModel, rows: ShardRow[], opts: InferRowsOptions = {},
): Promise<PredictionRow[]> {
  const topK = opts.topK ?? DEFAULT_TOP_K;
  const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  const out = [...(opts.done ?? [])];
  if (out.length % batchSize !== 0 && out.length !== rows.length) {
    throw new RangeError(`infer: resumed rows (${out.length}) are not a whole number of batches of ${batchSize}`);
  }
  const prepare = (start: number) => prepareBatch(loaded, rows.slice(start, start + batchSize));
  let next = out.length < rows.length ? prepare(out.length) : undefined;
  for (let start = out.length; next; start += batchSize) {
    const batch = await next;
    // decode the next batch (libvips threads) while this one runs on the backend
    next = start + batchSize < rows.length ? prepare(start + batchSize) : undefined;
    next?.catch(() => undefined);
    const predicted = await predictBatch(loaded, batch, topK);
    out.push(...predicted);
    await opts.onBatch?.({ rowsDone: out.length, batch: start / batchSize }, predicted);
  }
  return out;
}

interface PreparedBatch {
  rows: ShardRow[];
  /** Preprocessed pixels of the decodable images only, in row order, in the card's layout. */
  pixels: Float32Array;
  /** Per row: whether its image decoded. */
  ok: boolean[];
}

async function prepareBatch(loaded: LoadedModel, rows: ShardRow[]): Promise<PreparedBatch> {
  const { height, width, channels } = loaded.card.input;
  const size = height * width * channels;
  const all = new Float32Array(rows.length * size);
  const errors = await preprocessConcurrently(rows, loaded, all, size);
  for (const err of errors) if (err && !(err instanceof ImageDecodeError)) throw err;
  const ok = errors.map((e) => e === null);
  if (ok.every(Boolean)) return { rows, pixels: all, ok };
  const pixels = new Float32Array(ok.filter(Boolean).length * size);
  let at = 0;
  ok.forEach((good, i) => {
    if (!good) return;
    pixels.set(all.subarray(i * size, (i + 1) * size), at * size);
    at += 1;
  });
  return { rows, pixels, ok };
}

/** Images decoded at once per batch: sharp decodes on libuv's threads, so lanes overlap. */
const DECODE_LANES = 4;

/** preprocessBatch over DECODE_LANES slices of the batch at once, each into its part of `out`. */
async function preprocessConcurrently(rows: ShardRow[], loaded: LoadedModel, out: Float32Array, size: number) {
  const per = Math.ceil(rows.length / DECODE_LANES);
  const lanes = [];
  for (let start = 0; start < rows.length; start += per) {
    const images = rows.slice(start, start + per).map((r) => r.image);
    lanes.push(preprocessBatch(images, loaded.card, out.subarray(start * size, (start + images.length) * size)));
  }
  return (await Promise.all(lanes)).flat();
}

/** Runs one batch and turns its class probabilities into prediction rows. */
async function predictBatch(loaded: LoadedModel, batch: PreparedBatch, topK: number): Promise<PredictionRow[]> {
  const n = batch.ok.filter(Boolean).length;
  const probs = n > 0 ? await classProbabilities(loaded, batch.pixels, n) : new Float32Array(0);
  const classes = loaded.card.numClasses;
  let at = 0;
  return batch.rows.map((row, i) => {
    if (!batch.ok[i]) return corruptRow(row);
    const p = probs.subarray(at * classes, (at + 1) * classes);
    at += 1;
    return predictionRow(row, p, topK, loaded.card.classIndex);
  });
}

/** Forward pass (softmax applied for logits models); returns n × numClasses probabilities. */
async function classProbabilities(loaded: LoadedModel, pixels: Float32Array, n: number): Promise<Float32Array> {
  const { height: h, width: w, channels: c, layout } = loaded.card.input;
  const probs = tf.tidy(() => {
    const x = tf.tensor4d(pixels, layout === 'NHWC' ? [n, h, w, c] : [n, c, h, w]);
    const y = runModel(loaded.model, x);
    return loaded.card.output === 'logits' ? tf.softmax(y) : y;
  });
  try {
    return (await probs.data()) as Float32Array;
  } finally {
    probs.dispose();
  }
}

/** The row of one decodable image: top-k by probability (ties: lower output index first). */
export function predictionRow(row: ShardRow, probs: Float32Array, topK: number, classIndex?: number[]): PredictionRow {
  const order = Array.from(probs.keys()).sort((a, b) => probs[b]! - probs[a]! || a - b).slice(0, topK);
  const topk_ids = order.map((i) => classIndex?.[i] ?? i);
  const top1 = topk_ids[0] ?? -1;
  return {
    sample_id: row.sample_id, label: row.label, top1, correct: top1 === row.label,
    topk_ids, topk_probs: order.map((i) => probs[i]!), status: 'ok',
  };
}

function corruptRow(row: ShardRow): PredictionRow {
  const { sample_id, label } = row;
  return { sample_id, label, top1: -1, correct: false, topk_ids: [], topk_probs: [], status: 'corrupt' };
}
