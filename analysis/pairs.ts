/**
 * Pair counts: the intersection matrix |T_a ∩ T_b| (the Gram matrix of the correctness bits) and
 * the ordered-pair correction table derived from it. Pure module.
 */
import type { CorrectnessMatrix, PairResult } from './types.js';
import { forEachBlock, loadWorkspace, readU32, release, reserve, type Workspace } from './workspace.js';

/** n×n symmetric matrix of |T_a ∩ T_b|, row-major; the diagonal holds |T_a|. */
export function pairIntersections(matrix: CorrectnessMatrix): Uint32Array {
  return pairIntersectionsOn(loadWorkspace(matrix));
}

/** pairIntersections over a loaded workspace. */
export function pairIntersectionsOn(ws: Workspace): Uint32Array {
  const n = ws.matrix.models;
  const mark = ws.top;
  const out = reserve(ws, n * n * 4);
  forEachBlock(ws, (offset, length) => {
    for (let a = 0; a < n; a++) {
      const row = a * ws.rowBytes + offset;
      ws.kernel.countMany(row, row, ws.rowBytes, n - a, length, out + (a * n + a) * 4);
    }
  });
  const gram = readU32(ws, out, n * n);
  release(ws, mark);
  for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) gram[b * n + a] = gram[a * n + b]!;
  return gram;
}

/** Correction counts of `corrector` over `base`, from the intersection matrix. */
export function pairCounts(gram: Uint32Array, n: number, samples: number, base: number, corrector: number) {
  const baseCorrect = gram[base * n + base]!;
  const both = gram[base * n + corrector]!;
  const baseErrors = samples - baseCorrect;
  const corrected = gram[corrector * n + corrector]! - both;
  return { baseErrors, corrected, unionCorrect: baseCorrect + corrected };
}

/** Every ordered pair (base ≠ corrector), base major; PCR is 0 when the base makes no errors. */
export function pairResults(names: string[], gram: Uint32Array, samples: number): PairResult[] {
  const n = names.length;
  const out: PairResult[] = [];
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      if (a === b) continue;
      const { baseErrors, corrected, unionCorrect } = pairCounts(gram, n, samples, a, b);
      out.push({
        base: names[a]!,
        corrector: names[b]!,
        baseErrors,
        corrected,
        potentialCorrectionRate: baseErrors === 0 ? 0 : corrected / baseErrors,
        unionCorrect,
        virtualAccuracy: samples === 0 ? 0 : unionCorrect / samples,
      });
    }
  }
  return out;
}
