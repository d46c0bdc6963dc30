import test from 'ava';

import { analyze } from '../analysis/analyze.js';
import type { AnalysisInput, AnalysisResult, ModelPredictions } from '../analysis/types.js';

/** labels [0,0,0,1,1,1,2,2], class 3 empty; A right on 0,1,3,6, B on 0,2,3,4, C on 3. */
function handInput(): AnalysisInput {
  const pairs = (rows: Array<[number[], number[]]>) => ({
    k: 2,
    ids: Int32Array.from(rows.flatMap((r) => r[0])),
    probs: Float32Array.from(rows.flatMap((r) => r[1])),
  });
  const a: ModelPredictions = {
    name: 'A',
    top1: Int32Array.from([0, 0, 1, 1, 2, 0, 2, 1]),
    topk: pairs([
      [[0, 1], [0.6, 0.3]], [[0, 2], [0.5, 0.4]], [[1, 0], [0.7, 0.2]], [[1, 2], [0.9, 0.05]],
      [[2, 1], [0.5, 0.45]], [[0, 1], [0.6, 0.35]], [[2, 0], [0.5, 0.5]], [[1, 2], [0.55, 0.4]],
    ]),
  };
  const b: ModelPredictions = {
    name: 'B',
    top1: Int32Array.from([0, 2, 0, 1, 1, 2, 0, 1]),
    topk: pairs([
      [[0, 2], [0.7, 0.2]], [[2, 0], [0.6, 0.3]], [[0, 1], [0.6, 0.3]], [[1, 0], [0.8, 0.1]],
      [[1, 2], [0.6, 0.3]], [[2, 1], [0.5, 0.4]], [[0, 2], [0.5, 0.5]], [[1, 2], [0.5, 0.45]],
    ]),
  };
  const c: ModelPredictions = { name: 'C', top1: Int32Array.from([1, 2, 1, 1, 0, 2, -1, 0]) };
  return {
    sampleIds: ['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7'],
    labels: Int32Array.from([0, 0, 0, 1, 1, 1, 2, 2]),
    numClasses: 4,
    classNames: ['cat', 'dog', 'eel'],
    models: [a, b, c],
  };
}

const hand = (): AnalysisResult => analyze(handInput(), { bootstrapResamples: 0 });

test('analyze counts per-model accuracy of the hand example', (t) => {
  t.deepEqual(hand().models, [
    { name: 'A', correct: 4, accuracy: 0.5 },
    { name: 'B', correct: 4, accuracy: 0.5 },
    { name: 'C', correct: 1, accuracy: 0.125 },
  ]);
});

test('analyze computes every ordered pair of the hand example', (t) => {
  const rows = hand().pairs.map((p) => [p.base, p.corrector, p.baseErrors, p.corrected, p.potentialCorrectionRate, p.unionCorrect, p.virtualAccuracy]);
  t.deepEqual(rows, [
    ['A', 'B', 4, 2, 0.5, 6, 0.75],
    ['A', 'C', 4, 0, 0, 4, 0.5],
    ['B', 'A', 4, 2, 0.5, 6, 0.75],
    ['B', 'C', 4, 0, 0, 4, 0.5],
    ['C', 'A', 7, 3, 3 / 7, 4, 0.5],
    ['C', 'B', 7, 3, 3 / 7, 4, 0.5],
  ]);
});

test('analyze computes the triple and best subsets of the hand example', (t) => {
  const r = hand();
  t.deepEqual(r.triples, [{ models: ['A', 'B', 'C'], unionCorrect: 6, virtualAccuracy: 0.75 }]);
  t.deepEqual(r.subsets, [
    { k: 1, models: ['A'], unionCorrect: 4, virtualAccuracy: 0.5, method: 'exact' },
    { k: 2, models: ['A', 'B'], unionCorrect: 6, virtualAccuracy: 0.75, method: 'exact' },
    { k: 3, models: ['A', 'B', 'C'], unionCorrect: 6, virtualAccuracy: 0.75, method: 'exact' },
  ]);
});

test('analyze tallies corrected and got-corrected per class, the empty class as zeros', (t) => {
  const rows = hand().perClass.map((p) => [p.model, p.classId, p.className, p.samples, p.correct, p.corrected, p.gotCorrected]);
  t.deepEqual(rows, [
    ['A', 0, 'cat', 3, 2, 3, 1], ['A', 1, 'dog', 3, 1, 0, 1], ['A', 2, 'eel', 2, 1, 2, 0], ['A', 3, '3', 0, 0, 0, 0],
    ['B', 0, 'cat', 3, 2, 3, 1], ['B', 1, 'dog', 3, 2, 2, 0], ['B', 2, 'eel', 2, 0, 0, 1], ['B', 3, '3', 0, 0, 0, 0],
    ['C', 0, 'cat', 3, 0, 0, 4], ['C', 1, 'dog', 3, 1, 0, 1], ['C', 2, 'eel', 2, 0, 0, 1], ['C', 3, '3', 0, 0, 0, 0],
  ]);
});

test('analyze lists top corrected classes without zero counts, and the samples nobody gets right', (t) => {
  const r = hand();
  t.deepEqual(r.topCorrectedClasses, {
    A: [{ class: 0, name: 'cat', count: 3 }, { class: 2, name: 'eel', count: 2 }],
    B: [{ class: 0, name: 'cat', count: 3 }, { class: 1, name: 'dog', count: 2 }],
    C: [],
  });
  t.deepEqual(r.noneCorrect, { count: 2, sampleIds: ['s5', 's7'] });
});

test('analyze computes diversity and McNemar of the hand example', (t) => {
  const rows = hand().diversity.map((d) => [
    d.a, d.b, d.n11, d.n10, d.n01, d.n00, d.yulesQ, d.disagreement, d.doubleFault, d.cohensKappa, d.mcnemarStatistic, d.mcnemarP,
  ]);
  t.deepEqual(rows, [
    ['A', 'B', 2, 2, 2, 2, 0, 0.5, 0.25, 0, 0, 1],
    ['A', 'C', 1, 3, 0, 4, 1, 0.375, 0.5, 0.25, 4 / 3, 0.25],
    ['B', 'C', 1, 3, 0, 4, 1, 0.375, 0.5, 0.25, 4 / 3, 0.25],
  ]);
});

test('analyze scores the oracle, majority vote and mean probability with the documented tie-break', (t) => {
  t.deepEqual(hand().ensembles, [
    { kind: 'oracle', models: ['A', 'B', 'C'], correct: 6, accuracy: 0.75 },
    { kind: 'majority-vote', models: ['A', 'B', 'C'], correct: 3, accuracy: 0.375 },
    { kind: 'mean-probability', models: ['A', 'B'], correct: 5, accuracy: 0.625 },
  ]);
});

test('analyze gives seeded, reproducible bootstrap intervals that contain the estimate', (t) => {
  const first = analyze(handInput(), { seed: 7, bootstrapResamples: 200 });
  const again = analyze(handInput(), { seed: 7, bootstrapResamples: 200 });
  t.deepEqual(first.models, again.models);
  t.deepEqual(first.pairs, again.pairs);
  for (const m of first.models) t.true(m.accuracyCi![0] <= m.accuracy && m.accuracy <= m.accuracyCi![1]);
  for (const p of first.pairs) {
    t.true(p.virtualAccuracyCi![0] <= p.virtualAccuracy && p.virtualAccuracy <= p.virtualAccuracyCi![1]);
    t.true(p.potentialCorrectionRateCi![0] <= p.potentialCorrectionRateCi![1]);
  }
  t.notDeepEqual(analyze(handInput(), { seed: 8, bootstrapResamples: 200 }).models, first.models);
});

test('analyze rejects inputs whose arrays disagree, naming the model and the values', (t) => {
  const input = handInput();
  input.models[1]!.top1 = new Int32Array(7);
  t.throws(() => analyze(input), { message: 'analysis: model B has 7 top1 values, expected 8' });
  const labels = handInput();
  labels.labels[2] = 4;
  t.throws(() => analyze(labels), { message: 'analysis: label 4 of sample 2 is outside 0…3' });
  const twice = handInput();
  twice.models[2]!.name = 'A';
  t.throws(() => analyze(twice), { message: 'analysis: model name A appears twice' });
});
