/**
 * Verifies the converted zoo: runs every `conversion/zoo/models/<name>/` TF.js graph model on the
 * 10,000 Fashion-MNIST test images (decoded from Debian's IDX files, normalised as the card says)
 * with the WASM backend, and compares top-1 accuracy and per-image top-1 with PyTorch's.
 * Writes tfjs-verify.json; exits 1 when a model's accuracy differs by more than 0.1 point.
 *
 *   node --import tsx conversion/zoo/verify-zoo.ts [name ...]
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { parseModelCard } from '../../lib/model-card.js';

const ZOO = dirname(fileURLToPath(import.meta.url));
const DATA = '/usr/share/datasets/fashion-mnist';
/** Largest allowed |tfjs accuracy − PyTorch accuracy|, in accuracy units (0.1 point). */
const TOLERANCE = 0.001;

/** A decoded IDX array of unsigned bytes. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Decodes an IDX file of unsigned bytes (magic 0x00000803 / 0x00000801). */
export function decodeIdx(bytes: Uint8Array, where = 'idx'): IdxArray {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 || view.getUint16(0) !== 0 || bytes[2] !== 0x08) {
    throw new Error(`verify-zoo: ${where} is not an unsigned-byte IDX file`);
  }
  const dims = Array.from({ length: bytes[3]! }, (_, i) => view.getUint32(4 + 4 * i));
  const offset = 4 + 4 * dims.length;
  const size = dims.reduce((a, b) => a * b, 1);
  if (bytes.length - offset !== size) {
    throw new Error(`verify-zoo: ${where} holds ${bytes.length - offset} values, header says ${dims.join('×')}`);
  }
  return { dims, data: bytes.subarray(offset) };
}

/** (x/255 − mean)/std of single-channel images, as a flat NHWC float array. */
export function normalise(pixels: Uint8Array, mean: number, std: number): Float32Array {
  return Float32Array.from(pixels, (p) => (p / 255 - mean) / std);
}

async function readIdxGz(name: string): Promise<IdxArray> {
  return decodeIdx(new Uint8Array(gunzipSync(await readFile(join(DATA, name)))), name);
}

/** Loads a converted graph model from its folder through tf.io.fromMemory. */
export async function loadZooModel(dir: string): Promise<GraphModel> {
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
  const paths: string[] = json.weightsManifest.flatMap((g: { paths: string[] }) => g.paths);
  const shards = await Promise.all(paths.map((p) => readFile(join(dir, p))));
  const all = Buffer.concat(shards);
  return loadGraphModel(tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights),
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
    format: json.format,
  }));
}

/** Top-1 class of every image, in batches of `batch` (default 500). */
export function predictTop1(model: GraphModel, x: Float32Array, n: number, batch = 500): Int32Array {
  const top1 = new Int32Array(n);
  for (let i = 0; i < n; i += batch) {
    const m = Math.min(batch, n - i);
    const ids = tf.tidy(() => {
      const input = tf.tensor4d(x.subarray(i * 784, (i + m) * 784), [m, 28, 28, 1]);
      return tf.argMax(model.execute(input) as tf.Tensor, 1).dataSync();
    });
    top1.set(ids, i);
  }
  return top1;
}

/** The top-1 column of a timm-style predictions CSV (`id,top1,…,top5,target`). */
export async function readTorchTop1(path: string): Promise<Int32Array> {
  const lines = (await readFile(path, 'utf8')).trim().split('\n');
  return Int32Array.from(lines, (l) => Number(l.split(',')[1]));
}

/** Accuracy of one converted model against the labels and PyTorch's predictions. */
export interface ZooVerification {
  name: string;
  tfjsCorrect: number;
  torchCorrect: number;
  /** Images where tfjs top-1 equals PyTorch top-1. */
  sameTop1: number;
  total: number;
  ok: boolean;
}

async function verifyModel(name: string, x: Float32Array, labels: Uint8Array): Promise<ZooVerification> {
  const dir = join(ZOO, 'models', name);
  parseModelCard(JSON.parse(await readFile(join(dir, 'crossfix-model.json'), 'utf8')), `verify-zoo: ${name}`);
  const model = await loadZooModel(dir);
  const top1 = predictTop1(model, x, labels.length);
  model.dispose();
  const torch = await readTorchTop1(join(ZOO, 'pytorch-predictions', `${name}.csv`));
  let tfjsCorrect = 0, torchCorrect = 0, sameTop1 = 0;
  for (let i = 0; i < labels.length; i++) {
    tfjsCorrect += Number(top1[i] === labels[i]);
    torchCorrect += Number(torch[i] === labels[i]);
    sameTop1 += Number(top1[i] === torch[i]);
  }
  const ok = Math.abs(tfjsCorrect - torchCorrect) / labels.length <= TOLERANCE;
  return { name, tfjsCorrect, torchCorrect, sameTop1, total: labels.length, ok };
}

async function main(): Promise<void> {
  await tf.setBackend('wasm');
  const log = JSON.parse(await readFile(join(ZOO, 'training-log.json'), 'utf8'));
  const names: string[] = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(log.models);
  const images = await readIdxGz('t10k-images-idx3-ubyte.gz');
  const labels = (await readIdxGz('t10k-labels-idx1-ubyte.gz')).data;
  const x = normalise(images.data, log.preprocessing.mean[0], log.preprocessing.std[0]);
  const results: ZooVerification[] = [];
  for (const name of names) {
    const r = await verifyModel(name, x, labels);
    console.log(JSON.stringify(r));
    results.push(r);
  }
  await writeFile(join(ZOO, 'tfjs-verify.json'), JSON.stringify({ backend: tf.getBackend(), results }, null, 2) + '\n');
  if (results.some((r) => !r.ok)) process.exitCode = 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
