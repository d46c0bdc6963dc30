/**
 * ONNX → TF.js graph model conversion: the pure `convertOnnx` and the CLI's `convertCommand`,
 * which writes model.json, the weight shards and crossfix-model.json into a folder.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseModelCard, type ModelCard } from '../lib/model-card.js';
import { checkParity, randomInput, type ParityInput, type ParityResult } from './check.js';
import { toArtifacts, type GraphModelArtifacts } from './onnx/artifacts.js';
import { convertGraph } from './onnx/convert-graph.js';
import { decodeOnnx } from './onnx/decode.js';
import { isSym } from './onnx/tensor.js';

export { UnsupportedOpError } from './onnx/context.js';
export type { GraphModelArtifacts } from './onnx/artifacts.js';

/** A converted model with what the card needs to know about its tensors. */
export interface ConvertedModel extends GraphModelArtifacts {
  /** ONNX input shape without the batch: [channels, height, width] for images. */
  inputShape: number[];
  /** Number of output classes (last output dimension). */
  numClasses: number;
  opset: number;
}

/** Converts ONNX model bytes to TF.js graph-model artifacts (NHWC image input). */
export function convertOnnx(onnxBytes: Uint8Array): ConvertedModel {
  const graph = decodeOnnx(onnxBytes);
  const converted = convertGraph(graph);
  const inputShape = converted.input.onnxShape.slice(1).map((d) => (isSym(d) ? -1 : d));
  const numClasses = converted.output.shape[converted.output.shape.length - 1] ?? 1;
  return { ...toArtifacts(converted, `onnx opset ${graph.opset}`), inputShape, numClasses, opset: graph.opset };
}

/** The card for a converted model: the given card (if any) with input, classes and format filled in. */
export function cardFor(model: ConvertedModel, name: string, given?: unknown): ModelCard {
  const [channels, height, width] = model.inputShape;
  if (model.inputShape.length !== 3 || [channels, height, width].some((d) => !d || d < 1)) {
    throw new Error(`convert: expected an image input [N, C, H, W] with static C, H, W, got [N, ${model.inputShape.join(', ')}]`);
  }
  const base = (given ?? {
    format: 'crossfix-model/1', name, family: 'unknown', source: 'onnx',
    preprocessing: { interpolation: 'bilinear', cropFraction: 1, cropMode: 'center', mean: new Array(channels).fill(0), std: new Array(channels).fill(1) },
    output: 'logits',
  }) as Record<string, unknown>;
  const card = parseModelCard({
    ...base,
    input: { height: height!, width: width!, channels: channels!, layout: 'NHWC' },
    numClasses: model.numClasses,
    modelFormat: 'graph',
  }, 'convert: model card');
  const declared = (given as { numClasses?: unknown } | undefined)?.numClasses;
  if (declared !== undefined && declared !== model.numClasses) {
    throw new Error(`convert: the card says numClasses ${declared}, the model outputs ${model.numClasses}`);
  }
  return card;
}

/** Options of the `crossfix convert` command. */
export interface ConvertCommandOptions {
  /** Path of the ONNX model. */
  onnx: string;
  /** Output folder; created when missing. */
  out: string;
  /** Path of a crossfix model card (as written by export_timm.py). @default a card with mean 0, std 1 */
  card?: string;
  /** Compare against onnxruntime on random inputs. @default false */
  check?: boolean;
  /** Random samples for the check. @default 8 */
  checkSamples?: number;
  /** Image files also compared in the check, preprocessed as the card says (timm's eval transform). @default none */
  images?: string[];
}

/** What `convertCommand` wrote and measured. */
export interface ConvertCommandResult {
  out: string;
  files: string[];
  card: ModelCard;
  parity?: ParityResult;
}

/** Converts an ONNX file and writes model.json, the weight shards and crossfix-model.json into `out`. */
export async function convertCommand(opts: ConvertCommandOptions): Promise<ConvertCommandResult> {
  const bytes = new Uint8Array(await readFile(opts.onnx));
  const model = convertOnnx(bytes);
  const given = opts.card ? JSON.parse(await readFile(opts.card, 'utf8')) : undefined;
  const name = basename(opts.onnx).replace(/\.onnx$/i, '').toLowerCase().replace(/[^a-z0-9._-]/g, '-');
  const card = cardFor(model, name, given);
  await mkdir(opts.out, { recursive: true });
  await writeFile(join(opts.out, 'model.json'), JSON.stringify(model.modelJson));
  for (const s of model.shards) await writeFile(join(opts.out, s.name), s.data);
  await writeFile(join(opts.out, 'crossfix-model.json'), JSON.stringify(card, null, 2) + '\n');
  const files = ['model.json', ...model.shards.map((s) => s.name), 'crossfix-model.json'];
  if (!opts.check) return { out: opts.out, files, card };
  const inputs = [randomInput([opts.checkSamples ?? 8, ...model.inputShape], 7)];
  if (opts.images?.length) inputs.push(await imageInput(opts.images, card));
  return { out: opts.out, files, card, parity: await checkParity(bytes, model, inputs) };
}

/** Image files as one NCHW batch (the ONNX model's layout), preprocessed per the card. */
async function imageInput(paths: string[], card: ModelCard): Promise<ParityInput> {
  const { preprocessBatch } = await import('./preprocess.js');
  const { height, width, channels } = card.input;
  const data = new Float32Array(paths.length * channels * height * width);
  const images = await Promise.all(paths.map((p) => readFile(p)));
  const errors = await preprocessBatch(images, { ...card, input: { ...card.input, layout: 'NCHW' } }, data);
  const bad = errors.findIndex((e) => e !== null);
  if (bad >= 0) throw new Error(`convert: check image ${paths[bad]} cannot be used (${errors[bad]!.message})`);
  return { data, shape: [paths.length, channels, height, width] };
}
