/**
 * Hand-built fixtures for the analysis I/O tests (not a test file itself).
 * Three models a, b, c over six samples; right (R) / wrong (W):
 *   sample label  a b c
 *   s0     0      R R W
 *   s1     1      R W R
 *   s2     2      R W W
 *   s3     0      R W W
 *   s4     1      W R R
 *   s5     2      W W R
 * Every number in `tinyResult` was computed by hand from this table.
 */
import type { AnalysisInput, AnalysisResult, PairResult } from '../analysis/types.js';
import { mulberry32 } from '../lib/random.js';

export const CLASS_NAMES = ['cat', 'dog', 'eel <&> "x"'];

export const tinyInput: AnalysisInput = {
  sampleIds: ['s0', 's1', 's2', 's3', 's4', 's5'],
  labels: Int32Array.from([0, 1, 2, 0, 1, 2]),
  numClasses: 3,
  classNames: CLASS_NAMES,
  models: [
    { name: 'a', top1: Int32Array.from([0, 1, 2, 0, 2, 0]) },
    { name: 'b', top1: Int32Array.from([0, 2, 0, 1, 1, 0]) },
    { name: 'c', top1: Int32Array.from([1, 1, 0, 1, 1, 2]) },
  ],
};

const pair = (
  base: string,
  corrector: string,
  baseErrors: number,
  corrected: number,
  unionCorrect: number,
): PairResult => ({
  base,
  corrector,
  baseErrors,
  corrected,
  potentialCorrectionRate: baseErrors ? corrected / baseErrors : 0,
  unionCorrect,
  virtualAccuracy: unionCorrect / 6,
});

const perClass = (model: string, rows: number[][]) =>
  rows.map(([samples, correct, corrected, gotCorrected], classId) => ({
    model,
    classId,
    className: CLASS_NAMES[classId]!,
    samples: samples!,
    correct: correct!,
    corrected: corrected!,
    gotCorrected: gotCorrected!,
  }));

export const tinyResult: AnalysisResult = {
  samples: 6,
  numClasses: 3,
  classNames: CLASS_NAMES,
  models: [
    { name: 'a', correct: 4, accuracy: 4 / 6, accuracyCi: [0.25, 1] },
    { name: 'b', correct: 2, accuracy: 2 / 6 },
    { name: 'c', correct: 3, accuracy: 3 / 6 },
  ],
  pairs: [
    { ...pair('a', 'b', 2, 1, 5), potentialCorrectionRateCi: [0, 1], virtualAccuracyCi: [0.5, 1] },
    pair('a', 'c', 2, 2, 6),
    pair('b', 'a', 4, 3, 5),
    pair('b', 'c', 4, 2, 4),
    pair('c', 'a', 3, 3, 6),
    pair('c', 'b', 3, 1, 4),
  ],
  triples: [{ models: ['a', 'b', 'c'], unionCorrect: 6, virtualAccuracy: 1 }],
  subsets: [
    { k: 1, models: ['a'], unionCorrect: 4, virtualAccuracy: 4 / 6, method: 'exact' },
    { k: 2, models: ['a', 'c'], unionCorrect: 6, virtualAccuracy: 1, method: 'exact' },
    { k: 3, models: ['a', 'b', 'c'], unionCorrect: 6, virtualAccuracy: 1, method: 'exact' },
  ],
  perClass: [
    ...perClass('a', [
      [2, 2, 3, 0],
      [2, 1, 1, 2],
      [2, 1, 2, 1],
    ]),
    ...perClass('b', [
      [2, 1, 1, 1],
      [2, 1, 1, 2],
      [2, 0, 0, 2],
    ]),
    ...perClass('c', [
      [2, 0, 0, 3],
      [2, 2, 2, 0],
      [2, 1, 2, 1],
    ]),
  ],
  topCorrectedClasses: {
    a: [
      { class: 0, name: 'cat', count: 3 },
      { class: 2, name: CLASS_NAMES[2]!, count: 2 },
      { class: 1, name: 'dog', count: 1 },
    ],
    b: [
      { class: 0, name: 'cat', count: 1 },
      { class: 1, name: 'dog', count: 1 },
      { class: 2, name: CLASS_NAMES[2]!, count: 0 },
    ],
    c: [
      { class: 1, name: 'dog', count: 2 },
      { class: 2, name: CLASS_NAMES[2]!, count: 2 },
      { class: 0, name: 'cat', count: 0 },
    ],
  },
  noneCorrect: { count: 0, sampleIds: [] },
  diversity: [
    {
      a: 'a',
      b: 'b',
      n11: 1,
      n10: 3,
      n01: 1,
      n00: 1,
      yulesQ: -0.5,
      disagreement: 4 / 6,
      doubleFault: 1 / 6,
      cohensKappa: -0.2,
      mcnemarStatistic: 0.25,
      mcnemarP: 0.625,
    },
    {
      a: 'a',
      b: 'c',
      n11: 1,
      n10: 3,
      n01: 2,
      n00: 0,
      yulesQ: -1,
      disagreement: 5 / 6,
      doubleFault: 0,
      cohensKappa: -2 / 3,
      mcnemarStatistic: 0,
      mcnemarP: 1,
    },
    {
      a: 'b',
      b: 'c',
      n11: 1,
      n10: 1,
      n01: 2,
      n00: 2,
      yulesQ: 0,
      disagreement: 0.5,
      doubleFault: 2 / 6,
      cohensKappa: 0,
      mcnemarStatistic: 0,
      mcnemarP: 1,
    },
  ],
  ensembles: [
    { kind: 'oracle', models: ['a', 'b', 'c'], correct: 6, accuracy: 1 },
    { kind: 'majority-vote', models: ['a', 'b', 'c'], correct: 3, accuracy: 0.5 },
  ],
  timings: { total: 0.001 },
};

/** A seeded generator of fractions in [0, 1) (mulberry32). */
export const seeded = mulberry32;

/**
 * Synthetic input for rendering and end-to-end tests: `models` models over `samples` samples and
 * `classes` classes; model i is right with probability 0.6 + 0.3 * i / models.
 */
export function syntheticInput(models: number, samples: number, classes: number, seed = 7): AnalysisInput {
  const random = seeded(seed);
  const labels = Int32Array.from({ length: samples }, () => Math.floor(random() * classes));
  const names = Array.from(
    { length: models },
    (_, i) => `model_${String(i).padStart(2, '0')}${i % 5 === 0 ? '_with_a_long<name>&more' : ''}`,
  );
  return {
    sampleIds: Array.from({ length: samples }, (_, i) => `img_${String(i).padStart(6, '0')}`),
    labels,
    numClasses: classes,
    classNames: Array.from({ length: classes }, (_, c) => `class ${c}${c === 1 ? ' <b>&amp;' : ''}`),
    models: names.map((name, i) => ({
      name,
      top1: Int32Array.from(labels, (l) =>
        random() < 0.6 + (0.3 * i) / models ? l : (l + 1 + Math.floor(random() * (classes - 1))) % classes,
      ),
    })),
  };
}
