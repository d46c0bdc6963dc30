/**
 * Inference throughput of converted models on the TF.js WASM backend: every zoo model
 * (conversion/zoo/models/<name>/, 28×28×1) at batch 32 on random input, plus the timm resnet
 * fixture from .cache/convert-fixtures at its exported input size when present.
 * Prints one line per model and, last, one JSON object.
 *
 *   node --import tsx bench/models.ts [--convert] [--batch 32] [--seconds 3] [--only name,name] [--dir DIR]
 *
 * --dir benchmarks one converted model folder instead (model.json + crossfix-model.json), e.g. a timm ResNet-50
 * from `conversion/export_timm.py resnet50 … && crossfix convert …`, at the input size its card gives.
 *
 * --convert converts the zoo's ONNX files (.cache/zoo-onnx) with the current converter instead of
 * loading the committed models, so converter changes can be measured before reconverting.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import type { ModelJSON } from '@tensorflow/tfjs-core/dist/io/types.js';
import { convertOnnx } from '../conversion/convert.js';
import { randomInput } from '../conversion/check.js';
import { parseModelCard } from '../lib/model-card.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');
const ZOO = join(ROOT, 'conversion', 'zoo', 'models');
const FIXTURES = join(ROOT, '.cache', 'convert-fixtures');

/** One measured model. */
export interface ModelRate {
  name: string;
  /** NHWC input shape without the batch. */
  input: number[];
  batch: number;
  imagesPerS: number;
  /** Graph nodes in model.json. */
  nodes: number;
}

/** Model JSON and weight bytes, from a folder or from an in-memory conversion. */
interface Artifacts {
  json: ModelJSON;
  weights: Uint8Array;
}

async function fromFolder(dir: string): Promise<Artifacts> {
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as ModelJSON;
  const paths = json.weightsManifest.flatMap((g) => g.paths);
  const weights = Buffer.concat(await Promise.all(paths.map((p) => readFile(join(dir, p)))));
  return { json, weights };
}

async function fromOnnx(path: string): Promise<Artifacts> {
  const m = convertOnnx(new Uint8Array(await readFile(path)));
  return { json: m.modelJson as unknown as ModelJSON, weights: m.weightData };
}

async function load(a: Artifacts): Promise<GraphModel> {
  const w = a.weights;
  return loadGraphModel(tf.io.fromMemory({
    modelTopology: a.json.modelTopology,
    weightSpecs: a.json.weightsManifest.flatMap((g) => g.weights),
    weightData: w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) as ArrayBuffer,
  }));
}

/** Images per second of `model` on batches of random input, timed for at least `seconds`. */
async function rate(model: GraphModel, shape: number[], batch: number, seconds: number): Promise<number> {
  const x = tf.tensor(randomInput([batch, ...shape], 7).data, [batch, ...shape]);
  const step = async () => {
    const y = model.execute(x) as tf.Tensor;
    await y.data();
    y.dispose();
  };
  await step();
  await step();
  let runs = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000 || runs < 3) {
    await step();
    runs++;
  }
  const elapsed = (performance.now() - t0) / 1000;
  x.dispose();
  return (runs * batch) / elapsed;
}

/** The benchmarked models: zoo names (folder or ONNX) and the timm resnet fixture if cached. */
async function sources(convert: boolean): Promise<{ name: string; input: number[]; get: () => Promise<Artifacts> }[]> {
  const zoo = (await readdir(ZOO)).sort();
  const out = zoo.map((name) => ({
    name, input: [28, 28, 1],
    get: () => (convert ? fromOnnx(join(ROOT, '.cache', 'zoo-onnx', `${name}.onnx`)) : fromFolder(join(ZOO, name))),
  }));
  const dirs = await readdir(FIXTURES).catch(() => [] as string[]);
  const timm = dirs.filter((d) => d.startsWith('timm-')).map((d) => join(FIXTURES, d, 'timm-resnet.onnx'));
  for (const path of timm.slice(0, 1)) {
    const index = JSON.parse(await readFile(join(path, '..', 'index.json'), 'utf8').catch(() => '{}')) as Record<string, { input: number[] }>;
    const chw = index['timm-resnet']?.input;
    if (chw) out.push({ name: 'timm-resnet', input: [chw[1]!, chw[2]!, chw[0]!], get: () => fromOnnx(path) });
  }
  return out;
}

/** One converted model folder, at its card's input size. */
async function folderSource(dir: string): Promise<{ name: string; input: number[]; get: () => Promise<Artifacts> }> {
  const card = parseModelCard(JSON.parse(await readFile(join(dir, 'crossfix-model.json'), 'utf8')), dir);
  return { name: card.name, input: [card.input.height, card.input.width, card.input.channels], get: () => fromFolder(dir) };
}

function flag(argv: string[], name: string, dflt: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : dflt;
}

/** Runs the benchmark; see the file comment for flags. */
export async function main(argv: string[]): Promise<void> {
  const batch = Number(flag(argv, 'batch', '32'));
  const seconds = Number(flag(argv, 'seconds', '3'));
  const only = flag(argv, 'only', '').split(',').filter(Boolean);
  const convert = argv.includes('--convert');
  await tf.setBackend('wasm');
  await tf.ready();
  const rows: ModelRate[] = [];
  const dir = flag(argv, 'dir', '');
  for (const s of dir ? [await folderSource(dir)] : await sources(convert)) {
    if (only.length && !only.includes(s.name)) continue;
    const a = await s.get();
    const model = await load(a);
    const imagesPerS = await rate(model, s.input, batch, seconds);
    model.dispose();
    const row = { name: s.name, input: s.input, batch, imagesPerS, nodes: a.json.modelTopology ? (a.json.modelTopology as { node: unknown[] }).node.length : 0 };
    console.log(`${s.name.padEnd(16)} ${s.input.join('×').padEnd(10)} batch ${batch}: ${imagesPerS.toFixed(imagesPerS < 100 ? 1 : 0).padStart(7)} img/s (${row.nodes} nodes)`);
    rows.push(row);
  }
  const noLarge = 'no 224² resnet18-size timm fixture in .cache/convert-fixtures; timm-resnet is benched at its exported size';
  const source = dir ? 'dir' : convert ? 'onnx' : 'zoo';
  console.log(JSON.stringify({ bench: 'models', backend: tf.getBackend(), source, threads: 'default', ...(dir ? {} : { note: noLarge }), rows }));
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2));
