/**
 * Bootstrap intervals by the Poisson bootstrap: every sample gets an independent Poisson(1)
 * weight, so the resampled count of any cell of a 2×2 table is Poisson(cell count), independent of
 * the other cells. Drawing those few cells directly gives, per statistic, exactly the distribution
 * that weighting every sample would, at a cost independent of the sample count. An empty resample
 * (all weights 0, likely only for a handful of samples) is drawn again; a resample without base
 * errors gives PCR 0, the same convention as the estimate. Every statistic
 * draws from its own seeded stream, so intervals do not depend on which others are computed.
 * Pure module.
 */
import { pairTable } from './diversity.js';
import { percentileInterval, poissonSampler, randomStream, type Random } from './stats.js';
import type { Interval } from './types.js';

/** Resamples, seed and confidence of a bootstrap. */
export interface BootstrapOptions {
  resamples: number;
  seed: number;
  confidence: number;
}

type Sampler = (random: Random) => number;

const ratio = (num: number, den: number): number => (den === 0 ? 0 : num / den);

/** Interval of accuracy = correct / samples; stream = model index. */
export function accuracyInterval(correct: number, samples: number, stream: number, o: BootstrapOptions): Interval {
  const random = randomStream(o.seed, stream);
  const [drawRight, drawWrong] = [poissonSampler(correct), poissonSampler(samples - correct)];
  const values = new Float64Array(o.resamples);
  for (let r = 0; r < o.resamples; ) {
    const right = drawRight(random);
    const total = right + drawWrong(random);
    if (total > 0) values[r++] = right / total;
  }
  return percentileInterval(values, o.confidence);
}

/** Intervals of an unordered pair a < b: virtual accuracy, PCR of b over a, PCR of a over b. */
export interface PairIntervals {
  virtualAccuracy: Interval;
  bOverA: Interval;
  aOverB: Interval;
}

/** Pair intervals from one shared resampling of the pair's 2×2 table; stream = 2^20 + a * n + b. */
export function pairIntervals(
  gram: Uint32Array, n: number, samples: number, a: number, b: number, o: BootstrapOptions,
): PairIntervals {
  const t = pairTable(gram, n, samples, a, b);
  const random = randomStream(o.seed, (1 << 20) + a * n + b);
  const va = new Float64Array(o.resamples);
  const bOverA = new Float64Array(o.resamples);
  const aOverB = new Float64Array(o.resamples);
  const draw = [t.n11, t.n10, t.n01, t.n00].map(poissonSampler) as [Sampler, Sampler, Sampler, Sampler];
  for (let r = 0; r < o.resamples; ) {
    const n11 = draw[0](random);
    const n10 = draw[1](random);
    const n01 = draw[2](random);
    const n00 = draw[3](random);
    if (n11 + n10 + n01 + n00 === 0) continue;
    va[r] = (n11 + n10 + n01) / (n11 + n10 + n01 + n00);
    bOverA[r] = ratio(n01, n01 + n00);
    aOverB[r++] = ratio(n10, n10 + n00);
  }
  const c = o.confidence;
  return { virtualAccuracy: percentileInterval(va, c), bOverA: percentileInterval(bOverA, c), aOverB: percentileInterval(aOverB, c) };
}
