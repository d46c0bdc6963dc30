import test from 'ava';

import { analyzeCorrectness } from '../analysis/analyze.js';
import { createCorrectnessMatrix, setCorrect } from '../analysis/bitset.js';
import { analyzeParallel, splitRange, tripleRangeParallel } from '../analysis/parallel.js';
import { tripleCount, tripleRange } from '../analysis/triples.js';

function matrixOf(models: number, samples: number, seed: number) {
  const matrix = createCorrectnessMatrix(models, samples);
  let x = seed;
  for (let m = 0; m < models; m++) {
    for (let s = 0; s < samples; s++) {
      x = (Math.imul(x, 1103515245) + 12345) | 0;
      if ((x >>> 16) % 100 < 40 + 5 * m) setCorrect(matrix, m, s);
    }
  }
  return matrix;
}

test('splitRange cuts a range into near-equal contiguous parts', (t) => {
  t.deepEqual(splitRange(0, 10, 3), [[0, 3], [3, 6], [6, 10]]);
  t.deepEqual(splitRange(4, 6, 5), [[4, 5], [5, 6]]);
});

test('tripleRangeParallel on worker threads gives the single-thread counts', async (t) => {
  const matrix = matrixOf(11, 40_000, 3);
  const total = tripleCount(11);
  t.deepEqual(await tripleRangeParallel(matrix, 0, total, 3), tripleRange(matrix, 0, total));
  t.deepEqual(await tripleRangeParallel(matrix, 7, 100, 2), tripleRange(matrix, 7, 100));
});

test('analyzeParallel returns what analyzeCorrectness returns, timings aside', async (t) => {
  const matrix = matrixOf(6, 5000, 9);
  const input = {
    modelNames: ['a', 'b', 'c', 'd', 'e', 'f'], correctness: matrix, numClasses: 7,
    labels: Int32Array.from({ length: 5000 }, (_, s) => s % 7),
  };
  const { timings: _p, ...parallel } = await analyzeParallel(input, { bootstrapResamples: 20 });
  const { timings: _s, ...single } = analyzeCorrectness(input, { bootstrapResamples: 20 });
  t.deepEqual(parallel, single);
});
