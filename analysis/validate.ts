/**
 * Input checks of the engine: every message names the object and the value. Pure module.
 */
import { rowStride } from './bitset.js';
import type { AnalysisInput, CorrectnessInput, ModelPredictions } from './types.js';

/** Throws on an AnalysisInput whose arrays disagree in length or whose labels are out of range. */
export function validateInput(input: AnalysisInput): void {
  const samples = input.sampleIds.length;
  if (input.labels.length !== samples) {
    throw new Error(`analysis: ${input.labels.length} labels for ${samples} sample ids`);
  }
  checkLabels(input.labels, input.numClasses);
  checkNames(input.models.map((m) => m.name));
  checkPredictions(input.models, samples);
}

/** Throws when a model's top1 or top-k arrays do not cover `samples` samples. */
function checkPredictions(models: ModelPredictions[], samples: number): void {
  for (const model of models) {
    if (model.top1.length !== samples) {
      throw new Error(`analysis: model ${model.name} has ${model.top1.length} top1 values, expected ${samples}`);
    }
    const topk = model.topk;
    if (topk && (topk.ids.length !== topk.k * samples || topk.probs.length !== topk.k * samples)) {
      throw new Error(
        `analysis: model ${model.name} has top-${topk.k} arrays of ${topk.ids.length} ids and ` +
          `${topk.probs.length} probabilities, expected ${topk.k * samples}`,
      );
    }
  }
}

function checkLabels(labels: Int32Array, numClasses: number): void {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new Error(`analysis: numClasses must be a positive integer, got ${numClasses}`);
  }
  for (let s = 0; s < labels.length; s++) {
    const label = labels[s]!;
    if (label < 0 || label >= numClasses) {
      throw new Error(`analysis: label ${label} of sample ${s} is outside 0…${numClasses - 1}`);
    }
  }
}

function checkNames(names: string[]): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new Error(`analysis: model name ${name} appears twice`);
    seen.add(name);
  }
}

/** Throws on a CorrectnessInput whose matrix disagrees with its names and labels, or has padding bits set. */
export function validateCorrectness(input: CorrectnessInput): void {
  const m = input.correctness;
  const samples = input.labels.length;
  if (m.models !== input.modelNames.length) {
    throw new Error(`analysis: correctness has ${m.models} rows for ${input.modelNames.length} model names`);
  }
  if (m.samples !== samples) throw new Error(`analysis: correctness covers ${m.samples} samples, labels ${samples}`);
  if (input.sampleIds && input.sampleIds.length !== samples) {
    throw new Error(`analysis: ${input.sampleIds.length} sample ids for ${samples} labels`);
  }
  if (m.stride % 64 !== 0 || m.stride < rowStride(samples) || m.words.length !== m.models * m.stride) {
    throw new Error(`analysis: correctness stride ${m.stride} with ${m.words.length} words does not fit ${m.models} × ${samples}`);
  }
  checkLabels(input.labels, input.numClasses);
  checkNames(input.modelNames);
  if (input.predictions) {
    const names = input.predictions.map((p) => p.name).join(', ');
    if (names !== input.modelNames.join(', ')) {
      throw new Error(`analysis: predictions are for models ${names}, correctness rows for ${input.modelNames.join(', ')}`);
    }
    checkPredictions(input.predictions, samples);
  }
  for (let row = 0; row < m.models; row++) checkPadding(m.words, row * m.stride, m.stride, samples, input.modelNames[row]!);
}

function checkPadding(words: Uint32Array, offset: number, stride: number, samples: number, name: string): void {
  const full = samples >>> 5;
  const tailMask = samples & 31 ? ~((1 << (samples & 31)) - 1) : -1;
  for (let w = full; w < stride; w++) {
    const mask = w === full ? tailMask : -1;
    if ((words[offset + w]! & mask) !== 0) {
      throw new Error(`analysis: correctness row of model ${name} has bits set past sample ${samples - 1}`);
    }
  }
}
