import test from 'ava';

import { analyze, analyzeCorrectness } from '../analysis/analyze.js';
import { correctnessFromPredictions, createCorrectnessMatrix, setCorrect } from '../analysis/bitset.js';
import { diversityOf } from '../analysis/diversity.js';
import { chiSquare1Tail, erfc, exactBinomialTwoSided, mcnemar, percentileInterval, poisson, randomStream } from '../analysis/stats.js';
import type { AnalysisInput } from '../analysis/types.js';

test('erfc and the chi-square tail match reference values', (t) => {
  const close = (x: number, y: number) => t.true(Math.abs(x - y) <= 1e-12 * Math.max(1, Math.abs(y)), `${x} vs ${y}`);
  close(erfc(0.5), 0.4795001221869535);
  close(erfc(2) / 0.004677734981047266, 1);
  close(erfc(3) / 2.209049699858544e-5, 1);
  close(erfc(5) / 1.5374597944280349e-12, 1);
  close(chiSquare1Tail(3.841458820694124), 0.05);
  close(chiSquare1Tail(6.6348966010212145), 0.01);
  t.is(chiSquare1Tail(0), 1);
});

test('mcnemar uses the exact binomial below 25 discordant samples and the corrected chi-square above', (t) => {
  t.deepEqual(mcnemar(10, 3), { statistic: 36 / 13, p: (2 * (1 + 13 + 78 + 286)) / 8192 });
  t.deepEqual(mcnemar(0, 0), { statistic: 0, p: 1 });
  t.deepEqual(mcnemar(5, 5), { statistic: 0, p: 1 });
  const big = mcnemar(30, 12);
  t.is(big.statistic, 289 / 42);
  t.true(Math.abs(big.p - chiSquare1Tail(289 / 42)) < 1e-15);
  t.is(exactBinomialTwoSided(0, 3), 0.25);
});

test('poisson draws have the requested mean and variance on both sides of the method switch', (t) => {
  for (const lambda of [0.5, 4, 10, 250, 1e6]) {
    const random = randomStream(3, lambda);
    let sum = 0;
    let squares = 0;
    const draws = 40_000;
    for (let i = 0; i < draws; i++) {
      const k = poisson(lambda, random);
      sum += k;
      squares += k * k;
    }
    const mean = sum / draws;
    const sd = Math.sqrt(lambda / draws);
    t.true(Math.abs(mean - lambda) < 5 * sd, `mean ${mean} for ${lambda}`);
    t.true(Math.abs(squares / draws - mean * mean - lambda) < 0.05 * lambda, `variance for ${lambda}`);
  }
  t.is(poisson(0, randomStream(1, 1)), 0);
});

test('randomStream is reproducible per (seed, stream) and differs across streams', (t) => {
  const a = randomStream(5, 9);
  const b = randomStream(5, 9);
  const c = randomStream(5, 10);
  const first = [a(), a(), a()];
  t.deepEqual(first, [b(), b(), b()]);
  t.notDeepEqual(first, [c(), c(), c()]);
});

test('percentileInterval takes symmetric order statistics', (t) => {
  const values = Float64Array.from({ length: 1000 }, (_, i) => (i * 7919) % 1000);
  t.deepEqual(percentileInterval(values, 0.95), [25, 974]);
  t.deepEqual(percentileInterval(Float64Array.from([3, 1, 2]), 0.9), [1, 3]);
  t.deepEqual(percentileInterval(Float64Array.from([3, 1, 2]), 0.5), [2, 2]);
});

test('degenerate tables: no base errors gives PCR 0, constant models give Q 0 and kappa 1', (t) => {
  const allRight = diversityOf('a', 'b', { n11: 5, n10: 0, n01: 0, n00: 0 });
  t.is(allRight.yulesQ, 0);
  t.is(allRight.cohensKappa, 1);
  t.is(allRight.disagreement, 0);
  const input: AnalysisInput = {
    sampleIds: ['x', 'y', 'z'], labels: Int32Array.from([0, 1, 1]), numClasses: 2,
    models: [{ name: 'perfect', top1: Int32Array.from([0, 1, 1]) }, { name: 'never', top1: Int32Array.from([1, 0, -1]) }],
  };
  const r = analyze(input, { bootstrapResamples: 50 });
  t.deepEqual(r.pairs.map((p) => [p.base, p.baseErrors, p.corrected, p.potentialCorrectionRate, p.unionCorrect]), [
    ['perfect', 0, 0, 0, 3],
    ['never', 3, 3, 1, 3],
  ]);
  t.deepEqual(r.pairs[0]!.potentialCorrectionRateCi, [0, 0]);
  t.deepEqual(r.models.map((m) => m.accuracyCi), [[1, 1], [0, 0]]);
  t.deepEqual(r.noneCorrect, { count: 0, sampleIds: [] });
  t.deepEqual(r.topCorrectedClasses, { perfect: [{ class: 1, name: '1', count: 2 }, { class: 0, name: '0', count: 1 }], never: [] });
});

test('analyzeCorrectness on packed bits agrees with analyze, minus the prediction ensembles', (t) => {
  const input: AnalysisInput = {
    sampleIds: ['a', 'b', 'c', 'd'], labels: Int32Array.from([0, 1, 2, 2]), numClasses: 3,
    models: [{ name: 'p', top1: Int32Array.from([0, 0, 2, 1]) }, { name: 'q', top1: Int32Array.from([1, 1, 2, 2]) }],
  };
  const full = analyze(input, { seed: 3 });
  const packed = analyzeCorrectness(
    { modelNames: ['p', 'q'], correctness: correctnessFromPredictions(input.labels, input.models), labels: input.labels, numClasses: 3 },
    { seed: 3 },
  );
  t.deepEqual(packed.pairs, full.pairs);
  t.deepEqual(packed.models, full.models);
  t.deepEqual(packed.perClass, full.perClass);
  t.deepEqual(packed.ensembles, full.ensembles.slice(0, 1));
  t.deepEqual(packed.noneCorrect, { count: 0, sampleIds: [] });
});

test('analyzeCorrectness rejects bits set past the last sample and mismatched shapes', (t) => {
  const matrix = createCorrectnessMatrix(2, 5);
  setCorrect(matrix, 1, 5);
  const input = { modelNames: ['p', 'q'], correctness: matrix, labels: new Int32Array(5), numClasses: 1 };
  t.throws(() => analyzeCorrectness(input), { message: 'analysis: correctness row of model q has bits set past sample 4' });
  t.throws(() => analyzeCorrectness({ ...input, modelNames: ['p'] }), { message: 'analysis: correctness has 2 rows for 1 model names' });
  t.throws(() => analyzeCorrectness({ ...input, labels: new Int32Array(6) }), { message: 'analysis: correctness covers 5 samples, labels 6' });
  const ok = { ...input, correctness: createCorrectnessMatrix(2, 5) };
  const predictions = [{ name: 'q', top1: new Int32Array(5) }, { name: 'p', top1: new Int32Array(5) }];
  t.throws(() => analyzeCorrectness({ ...ok, predictions }), { message: 'analysis: predictions are for models q, p, correctness rows for p, q' });
});

test('pair intervals are left out with a note when they exceed the draw budget', (t) => {
  const input: AnalysisInput = {
    sampleIds: ['a', 'b'], labels: Int32Array.from([0, 1]), numClasses: 2,
    models: ['p', 'q', 'r'].map((name) => ({ name, top1: Int32Array.from([0, 0]) })),
  };
  const r = analyze(input, { bootstrapResamples: 100, bootstrapMaxDraws: 1000 });
  t.deepEqual(r.notes, ['pair intervals left out: they need 1200 Poisson draws, bootstrapMaxDraws is 1000']);
  t.is(r.pairs[0]!.virtualAccuracyCi, undefined);
  t.truthy(r.models[0]!.accuracyCi);
});
