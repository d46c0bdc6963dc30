/**
 * Pairwise diversity of the correct/wrong oracle outputs (Kuncheva & Whitaker's measures) and
 * McNemar's test, all from the 2×2 table of an unordered pair, read off the intersection matrix.
 * Degenerate tables (a constant model): Yule's Q is 0 when its denominator is 0, and Cohen's kappa
 * is 1 when both outputs are constant and equal (its chance agreement is then 1). Pure module.
 */
import { mcnemar } from './stats.js';
import type { DiversityResult } from './types.js';

/** The 2×2 table of models a and b: both right, a only, b only, both wrong. */
export function pairTable(gram: Uint32Array, n: number, samples: number, a: number, b: number) {
  const n11 = gram[a * n + b]!;
  const n10 = gram[a * n + a]! - n11;
  const n01 = gram[b * n + b]! - n11;
  return { n11, n10, n01, n00: samples - n11 - n10 - n01 };
}

/** Diversity measures and McNemar's test of one 2×2 table. */
export function diversityOf(a: string, b: string, t: { n11: number; n10: number; n01: number; n00: number }) {
  const { n11, n10, n01, n00 } = t;
  const total = n11 + n10 + n01 + n00;
  const qDenominator = n11 * n00 + n01 * n10;
  const kDenominator = (n11 + n10) * (n10 + n00) + (n11 + n01) * (n01 + n00);
  const test = mcnemar(n10, n01);
  const result: DiversityResult = {
    a, b, n11, n10, n01, n00,
    yulesQ: qDenominator === 0 ? 0 : (n11 * n00 - n01 * n10) / qDenominator,
    disagreement: total === 0 ? 0 : (n10 + n01) / total,
    doubleFault: total === 0 ? 0 : n00 / total,
    cohensKappa: kDenominator === 0 ? 1 : (2 * (n11 * n00 - n01 * n10)) / kDenominator,
    mcnemarStatistic: test.statistic,
    mcnemarP: test.p,
  };
  return result;
}

/** Every unordered pair a < b in model order. */
export function diversityResults(names: string[], gram: Uint32Array, samples: number): DiversityResult[] {
  const n = names.length;
  const out: DiversityResult[] = [];
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) out.push(diversityOf(names[a]!, names[b]!, pairTable(gram, n, samples, a, b)));
  }
  return out;
}
