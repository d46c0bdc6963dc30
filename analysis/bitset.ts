/**
 * Packed correctness bits (CorrectnessMatrix): building them from predictions, reading single
 * bits, and scalar popcount for the small jobs the SIMD kernels are not worth calling for.
 * Pure module.
 */
import type { CorrectnessMatrix, ModelPredictions } from './types.js';

/** Rows are padded to a multiple of this many samples, so kernels can run whole 256-byte chunks. */
export const ROW_SAMPLE_ALIGN = 2048;

/** 32-bit words per row for `samples` samples. */
export function rowStride(samples: number): number {
  return Math.max(1, Math.ceil(samples / ROW_SAMPLE_ALIGN)) * (ROW_SAMPLE_ALIGN / 32);
}

/** An all-wrong matrix of `models` rows over `samples` samples. */
export function createCorrectnessMatrix(models: number, samples: number): CorrectnessMatrix {
  const stride = rowStride(samples);
  return { models, samples, stride, words: new Uint32Array(models * stride) };
}

/** Marks sample `sample` correct for model `model`. */
export function setCorrect(matrix: CorrectnessMatrix, model: number, sample: number): void {
  const w = model * matrix.stride + (sample >>> 5);
  matrix.words[w] = (matrix.words[w]! | (1 << (sample & 31))) >>> 0;
}

/** Whether model `model` gets sample `sample` right. */
export function isCorrect(matrix: CorrectnessMatrix, model: number, sample: number): boolean {
  return ((matrix.words[model * matrix.stride + (sample >>> 5)]! >>> (sample & 31)) & 1) === 1;
}

/** Packs top1 == label per model; -1 (no prediction) is wrong. Lengths are checked by the caller. */
export function correctnessFromPredictions(labels: Int32Array, models: ModelPredictions[]): CorrectnessMatrix {
  const matrix = createCorrectnessMatrix(models.length, labels.length);
  models.forEach((model, m) => packRow(labels, model.top1, matrix.words, m * matrix.stride));
  return matrix;
}

function packRow(labels: Int32Array, top1: Int32Array, words: Uint32Array, offset: number): void {
  const n = labels.length;
  for (let w = 0; w * 32 < n; w++) {
    let word = 0;
    const end = Math.min(32, n - w * 32);
    for (let j = 0; j < end; j++) {
      const s = w * 32 + j;
      if (top1[s] === labels[s]) word |= 1 << j;
    }
    words[offset + w] = word >>> 0;
  }
}

/** Number of set bits of a 32-bit word. */
export function popcount32(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}
