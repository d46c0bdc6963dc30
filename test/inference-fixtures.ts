/**
 * Fixtures for the inference tests: a small seeded CNN saved as a TF.js layers model folder, a
 * hand-written TF.js graph model, and a Parquet shard of PNG images with one corrupt image.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { WriteStream } from 'node:fs';
import parquet from '@dsnp/parquetjs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import sharp from 'sharp';
import { SHARD_SCHEMA_FIELDS, shardKey } from '../lib/dataset.js';
import type { ShardEntry, ShardRow } from '../lib/dataset.js';
import type { ModelCard } from '../lib/model-card.js';
import { LocalStore, sha256 } from '../infra/store.js';

/** A fresh temporary folder. */
export function tempDir(prefix = 'crossfix-inference-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** A LocalStore over a fresh temporary folder. */
export async function tempStore(): Promise<LocalStore> {
  return new LocalStore(await tempDir('crossfix-store-'));
}

/** The card of the test CNN (28×28×1 grey images, 10 classes, logits). */
export function tinyCard(overrides: Partial<ModelCard> = {}): ModelCard {
  return {
    format: 'crossfix-model/1',
    name: 'tiny-cnn',
    family: 'cnn',
    source: 'crossfix-test',
    input: { height: 28, width: 28, channels: 1, layout: 'NHWC' },
    preprocessing: { interpolation: 'bilinear', cropFraction: 1, cropMode: 'center', mean: [0.5], std: [0.5] },
    numClasses: 10,
    output: 'logits',
    modelFormat: 'layers',
    ...overrides,
  };
}

/** conv 3×3×4 → max-pool 2 → flatten → dense 10, weights from fixed seeds. */
export function tinyCnn(): tfl.LayersModel {
  const model = tfl.sequential();
  model.add(tfl.layers.conv2d({
    inputShape: [28, 28, 1], filters: 4, kernelSize: 3, activation: 'relu',
    kernelInitializer: tfl.initializers.glorotUniform({ seed: 7 }), biasInitializer: 'zeros',
  }));
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dense({ units: 10, kernelInitializer: tfl.initializers.glorotUniform({ seed: 11 }) }));
  return model;
}

/**
 * Saves a layers model to `dir` as model.json plus two weight files (the weights split at an
 * odd byte, so loading must concatenate them) and writes the card beside it.
 */
export async function saveLayersModel(model: tfl.LayersModel, dir: string, card: unknown): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const data = Buffer.from(tf.io.concatenateArrayBuffers(artifacts.weightData as ArrayBuffer));
    const cut = Math.floor(data.length / 2) + 1;
    const paths = ['group1-shard1of2.bin', 'group1-shard2of2.bin'];
    await writeFile(join(dir, paths[0]!), data.subarray(0, cut));
    await writeFile(join(dir, paths[1]!), data.subarray(cut));
    const json = {
      format: 'layers-model', generatedBy: 'crossfix-test', convertedBy: null,
      modelTopology: artifacts.modelTopology, weightsManifest: [{ paths, weights: artifacts.weightSpecs }],
    };
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
  }));
  await writeFile(join(dir, 'crossfix-model.json'), JSON.stringify(card, null, 2));
}

/** Writes the test CNN and its card (with overrides) to a fresh folder; returns the folder. */
export async function tinyModelDir(model: tfl.LayersModel, card: unknown = tinyCard()): Promise<string> {
  const dir = join(await tempDir(), 'model');
  await saveLayersModel(model, dir, card);
  return dir;
}

const dim = (...sizes: number[]) => ({ dim: sizes.map((s) => ({ size: String(s) })) });
const float = { type: 'DT_FLOAT' };

/**
 * Writes a TF.js graph model by hand: flatten 28×28×1 → MatMul W[784,10] → BiasAdd b, with W and
 * b from a seeded generator. Returns the folder and the weights for checking.
 */
export async function graphModelDir(card: unknown): Promise<{ dir: string; w: Float32Array; b: Float32Array }> {
  const dir = join(await tempDir(), 'graph');
  await mkdir(dir, { recursive: true });
  const rand = lcg(3);
  const w = Float32Array.from({ length: 784 * 10 }, () => rand() - 0.5);
  const b = Float32Array.from({ length: 10 }, () => rand() - 0.5);
  const shape = Int32Array.from([-1, 784]);
  const node = [
    { name: 'input', op: 'Placeholder', attr: { dtype: float, shape: { shape: dim(-1, 28, 28, 1) } } },
    { name: 'W', op: 'Const', attr: { dtype: float, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dim(784, 10) } } } },
    { name: 'b', op: 'Const', attr: { dtype: float, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dim(10) } } } },
    { name: 'shape', op: 'Const', attr: { dtype: { type: 'DT_INT32' }, value: { tensor: { dtype: 'DT_INT32', tensorShape: dim(2) } } } },
    { name: 'flat', op: 'Reshape', input: ['input', 'shape'], attr: { T: float, Tshape: { type: 'DT_INT32' } } },
    { name: 'mm', op: 'MatMul', input: ['flat', 'W'], attr: { T: float, transpose_a: { b: false }, transpose_b: { b: false } } },
    { name: 'logits', op: 'BiasAdd', input: ['mm', 'b'], attr: { T: float, data_format: { s: 'TkhXQw==' } } },
  ];
  const weights = [
    { name: 'W', shape: [784, 10], dtype: 'float32' },
    { name: 'b', shape: [10], dtype: 'float32' },
    { name: 'shape', shape: [2], dtype: 'int32' },
  ];
  const json = {
    format: 'graph-model', generatedBy: 'crossfix-test', convertedBy: null,
    modelTopology: { node, versions: { producer: 1 } }, weightsManifest: [{ paths: ['weights.bin'], weights }],
  };
  await writeFile(join(dir, 'model.json'), JSON.stringify(json));
  await writeFile(join(dir, 'weights.bin'), Buffer.concat([bytesOf(w), bytesOf(b), bytesOf(shape)]));
  await writeFile(join(dir, 'crossfix-model.json'), JSON.stringify(card, null, 2));
  return { dir, w, b };
}

function bytesOf(a: Float32Array | Int32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** A small deterministic generator in [0, 1). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Bytes that no image decoder accepts. */
export const CORRUPT_IMAGE = Buffer.from('this is not an image');

/**
 * `count` rows of seeded 28×28 grey PNGs (label = index mod 10); the row at `corruptAt` holds
 * CORRUPT_IMAGE instead.
 */
export async function shardRows(count: number, corruptAt = -1): Promise<ShardRow[]> {
  const rand = lcg(42);
  const rows: ShardRow[] = [];
  for (let i = 0; i < count; i++) {
    const pixels = Buffer.from(Array.from({ length: 28 * 28 }, () => Math.floor(rand() * 256)));
    const png = await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer();
    const id = `test-${String(i).padStart(5, '0')}`;
    rows.push({ sample_id: id, label: i % 10, image: i === corruptAt ? CORRUPT_IMAGE : png });
  }
  return rows;
}

/** Encodes rows as a dataset shard (Parquet, SHARD_SCHEMA_FIELDS). */
export async function encodeShard(rows: ShardRow[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _e, done) => (chunks.push(Buffer.from(chunk)), done()) });
  const schema = new parquet.ParquetSchema(SHARD_SCHEMA_FIELDS as never);
  const writer = await parquet.ParquetWriter.openStream(schema, sink as unknown as WriteStream);
  for (const row of rows) await writer.appendRow({ ...row });
  await writer.close();
  return Buffer.concat(chunks);
}

/** Stores rows as shard 0 of `dataset`; returns its manifest entry. */
export async function putShard(store: LocalStore, dataset: string, rows: ShardRow[]): Promise<ShardEntry> {
  const bytes = await encodeShard(rows);
  const key = shardKey(dataset, 0);
  await store.put(key, bytes);
  return { index: 0, key, rows: rows.length, sha256: sha256(bytes), bytes: bytes.length };
}
