/**
 * Per-class tallies. With k(x) the number of models right on sample x, a model M that is right on x
 * corrects the n − k(x) models that are wrong there, and a model that is wrong on x is corrected by
 * the k(x) that are right; so per (model, class) it is enough to sum 1 and k(x) over M's correct
 * samples of the class. Both passes run in the kernels (bit loops with ctz); the per-class sums are
 * u32 halves of one u64, which holds while a class has under 2^32 / models samples. Pure module.
 */
import type { PerClassResult, TopClass } from './types.js';
import { release, reserve, type Workspace } from './workspace.js';

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

/** Per (model, class) correct, corrected and gotCorrected counts, from the rows in `ws`. */
export function classTallies(ws: Workspace, labels: Int32Array, numClasses: number): ClassTallies {
  const n = ws.matrix.models;
  const mark = ws.top;
  const labelsPtr = reserve(ws, labels.length * 4);
  new Int32Array(ws.kernel.memory.buffer, labelsPtr, labels.length).set(labels);
  const countsPtr = reserve(ws, labels.length * 2);
  for (let m = 0; m < n; m++) ws.kernel.countBits(m * ws.rowBytes, ws.matrix.stride, countsPtr);
  const rightCount = new Uint16Array(ws.kernel.memory.buffer, countsPtr, labels.length).slice();
  const correct = new Float64Array(n * numClasses);
  const weighted = new Float64Array(n * numClasses);
  const acc = reserve(ws, numClasses * 8);
  for (let m = 0; m < n; m++) {
    const view = new Uint32Array(ws.kernel.memory.buffer, acc, numClasses * 2);
    view.fill(0);
    ws.kernel.tallyBits(m * ws.rowBytes, ws.matrix.stride, labelsPtr, countsPtr, acc);
    for (let c = 0; c < numClasses; c++) {
      correct[m * numClasses + c] = view[2 * c]!;
      weighted[m * numClasses + c] = view[2 * c + 1]!;
    }
  }
  release(ws, mark);
  return finishTallies(n, labels, numClasses, rightCount, correct, weighted);
}

/** corrected = n·correct − Σk, gotCorrected = Σ_class k − Σk, with Σk over the model's correct samples. */
function finishTallies(
  n: number, labels: Int32Array, numClasses: number, rightCount: Uint16Array, correct: Float64Array, weighted: Float64Array,
): ClassTallies {
  const samples = new Float64Array(numClasses);
  const rightSum = new Float64Array(numClasses);
  for (let s = 0; s < labels.length; s++) {
    const c = labels[s]!;
    samples[c] = samples[c]! + 1;
    rightSum[c] = rightSum[c]! + rightCount[s]!;
  }
  const corrected = new Float64Array(n * numClasses);
  const gotCorrected = new Float64Array(n * numClasses);
  for (let i = 0; i < n * numClasses; i++) {
    corrected[i] = n * correct[i]! - weighted[i]!;
    gotCorrected[i] = rightSum[i % numClasses]! - weighted[i]!;
  }
  return { numClasses, samples, correct, corrected, gotCorrected, rightCount };
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
    const counts = t.corrected.subarray(m * t.numClasses, (m + 1) * t.numClasses);
    const cut = Math.max(cutoff(counts, limit), Number.MIN_VALUE);
    const kept: TopClass[] = [];
    for (let c = 0; c < t.numClasses; c++) {
      if (counts[c]! >= cut) kept.push({ class: c, name: classNames[c]!, count: counts[c]! });
    }
    out[model] = kept.sort((x, y) => y.count - x.count || x.class - y.class);
  });
  return out;
}

/** The `limit`-th largest value (the smallest value when there are fewer). */
function cutoff(counts: Float64Array, limit: number): number {
  const sorted = counts.slice().sort();
  return sorted[Math.max(0, sorted.length - limit)] ?? 0;
}
