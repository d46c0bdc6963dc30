/**
 * Per-class tallies. With k(x) the number of models right on sample x, a model M that is right on x
 * corrects the n − k(x) models that are wrong there, and a model that is wrong on x is corrected by
 * the k(x) that are right; so per (model, class) it is enough to sum 1 and k(x) over M's correct
 * samples of the class. Pure module.
 */
import type { CorrectnessMatrix, PerClassResult, TopClass } from './types.js';

/** Model-major (model * numClasses + class) tallies, plus the per-sample correct-model count. */
export interface ClassTallies {
  numClasses: number;
  /** Samples per class. */
  samples: Float64Array;
  correct: Float64Array;
  corrected: Float64Array;
  gotCorrected: Float64Array;
  /** k(x): how many models get sample x right. */
  rightCount: Uint16Array;
}

/** k(x) for every sample: how many rows have bit x set. */
export function countCorrectModels(matrix: CorrectnessMatrix): Uint16Array {
  const counts = new Uint16Array(matrix.samples);
  const { words, stride } = matrix;
  for (let m = 0; m < matrix.models; m++) {
    const row = m * stride;
    for (let w = 0; w < stride; w++) {
      let x = words[row + w]!;
      const base = w << 5;
      while (x !== 0) {
        const s = base + 31 - Math.clz32(x & -x);
        counts[s] = counts[s]! + 1;
        x &= x - 1;
      }
    }
  }
  return counts;
}

/** Per (model, class) correct, corrected and gotCorrected counts. */
export function classTallies(matrix: CorrectnessMatrix, labels: Int32Array, numClasses: number): ClassTallies {
  const n = matrix.models;
  const rightCount = countCorrectModels(matrix);
  const samples = new Float64Array(numClasses);
  const rightSum = new Float64Array(numClasses);
  for (let s = 0; s < labels.length; s++) {
    const c = labels[s]!;
    samples[c] = samples[c]! + 1;
    rightSum[c] = rightSum[c]! + rightCount[s]!;
  }
  const correct = new Float64Array(n * numClasses);
  const weighted = new Float64Array(n * numClasses);
  for (let m = 0; m < n; m++) sumCorrect(matrix, m, labels, rightCount, correct, weighted, m * numClasses);
  const corrected = new Float64Array(n * numClasses);
  const gotCorrected = new Float64Array(n * numClasses);
  for (let i = 0; i < n * numClasses; i++) {
    corrected[i] = n * correct[i]! - weighted[i]!;
    gotCorrected[i] = rightSum[i % numClasses]! - weighted[i]!;
  }
  return { numClasses, samples, correct, corrected, gotCorrected, rightCount };
}

/** Over model m's correct samples: count per class, and the sum of k(x) per class. */
function sumCorrect(
  matrix: CorrectnessMatrix, m: number, labels: Int32Array, rightCount: Uint16Array,
  correct: Float64Array, weighted: Float64Array, offset: number,
): void {
  const { words, stride } = matrix;
  const row = m * stride;
  for (let w = 0; w < stride; w++) {
    let x = words[row + w]!;
    const base = w << 5;
    while (x !== 0) {
      const s = base + 31 - Math.clz32(x & -x);
      const at = offset + labels[s]!;
      correct[at] = correct[at]! + 1;
      weighted[at] = weighted[at]! + rightCount[s]!;
      x &= x - 1;
    }
  }
}

/** One row per (model, class), model major, every class included (empty ones as zeros). */
export function perClassResults(names: string[], classNames: string[], t: ClassTallies): PerClassResult[] {
  const out: PerClassResult[] = [];
  names.forEach((model, m) => {
    for (let c = 0; c < t.numClasses; c++) {
      const i = m * t.numClasses + c;
      out.push({
        model, classId: c, className: classNames[c]!, samples: t.samples[c]!,
        correct: t.correct[i]!, corrected: t.corrected[i]!, gotCorrected: t.gotCorrected[i]!,
      });
    }
  });
  return out;
}

/**
 * Each model's top `limit` classes by corrected count (descending, then class id), extended by the
 * classes tied with the last one kept; classes the model corrects nowhere (count 0) are left out.
 */
export function topCorrectedClasses(
  names: string[], classNames: string[], t: ClassTallies, limit = 5,
): Record<string, TopClass[]> {
  const out: Record<string, TopClass[]> = {};
  names.forEach((model, m) => {
    const ranked: TopClass[] = [];
    for (let c = 0; c < t.numClasses; c++) {
      const count = t.corrected[m * t.numClasses + c]!;
      if (count > 0) ranked.push({ class: c, name: classNames[c]!, count });
    }
    ranked.sort((x, y) => y.count - x.count || x.class - y.class);
    const cut = ranked[limit - 1]?.count;
    out[model] = cut === undefined ? ranked : ranked.filter((r, i) => i < limit || r.count === cut);
  });
  return out;
}
