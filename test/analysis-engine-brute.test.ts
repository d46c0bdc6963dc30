import test from 'ava';

import { analyze } from '../analysis/analyze.js';
import { correctnessFromPredictions } from '../analysis/bitset.js';
import { pairIntersections } from '../analysis/pairs.js';
import { bestSubsets } from '../analysis/subsets.js';
import { loadWorkspace } from '../analysis/workspace.js';
import { tripleAt, tripleCount, tripleIndex, tripleRange, tripleUnions } from '../analysis/triples.js';
import type { AnalysisInput, ModelPredictions } from '../analysis/types.js';

function rng(seed: number): () => number {
  let x = seed * 2654435761 + 1;
  return () => {
    x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0;
    x ^= x >>> 12;
    return (x >>> 0) / 4294967296;
  };
}

/** Random predictions: some models always right or always wrong, class numClasses-1 often empty. */
function randomInput(seed: number, n: number, samples: number): AnalysisInput {
  const r = rng(seed);
  const numClasses = 1 + Math.floor(r() * 6);
  const used = numClasses > 1 && r() < 0.5 ? numClasses - 1 : numClasses;
  const labels = Int32Array.from({ length: samples }, () => Math.floor(r() * used));
  const models: ModelPredictions[] = Array.from({ length: n }, (_, m) => {
    const p = [0, 1, 0.3, 0.6, 0.8][Math.floor(r() * 5)]!;
    const top1 = labels.map((l) => (r() < p ? l : r() < 0.2 ? -1 : Math.floor(r() * numClasses)));
    const model: ModelPredictions = { name: `m${m}`, top1 };
    if (r() < 0.7) {
      const k = 1 + Math.floor(r() * 3);
      const ids = new Int32Array(samples * k).map((_, i) => (i % k === 0 ? top1[Math.floor(i / k)]! : Math.floor(r() * numClasses)));
      const probs = new Float32Array(samples * k).map(() => [0.125, 0.25, 0.5][Math.floor(r() * 3)]!);
      model.topk = { k, ids, probs };
    }
    return model;
  });
  return { sampleIds: Array.from({ length: samples }, (_, s) => `id${s}`), labels, numClasses, models };
}

const union = (sets: Set<number>[]): Set<number> => new Set(sets.flatMap((s) => [...s]));

function combinations(n: number, k: number): number[][] {
  if (k === 0) return [[]];
  const out: number[][] = [];
  for (let first = 0; first < n; first++) {
    for (const rest of combinations(n - first - 1, k - 1)) out.push([first, ...rest.map((x) => x + first + 1)]);
  }
  return out;
}

function bruteWinner(order: number[], ballots: Array<Array<[number, number]>>, numClasses: number): number {
  const scores = new Map<number, number>();
  for (const m of order) for (const [cls, w] of ballots[m]!) if (cls >= 0 && cls < numClasses && w > 0) scores.set(cls, (scores.get(cls) ?? 0) + w);
  const top = Math.max(0, ...scores.values());
  if (top === 0) return -1;
  for (const m of order) for (const [cls] of ballots[m]!) if (scores.get(cls) === top) return cls;
  return -1;
}

function brute(input: AnalysisInput) {
  const N = input.labels.length;
  const n = input.models.length;
  const T = input.models.map((m) => new Set([...m.top1.keys()].filter((s) => m.top1[s] === input.labels[s])));
  const inClass = (c: number) => [...input.labels.keys()].filter((s) => input.labels[s] === c);
  const pairs = [];
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      if (a === b) continue;
      const corrected = [...T[b]!].filter((s) => !T[a]!.has(s)).length;
      const baseErrors = N - T[a]!.size;
      const u = union([T[a]!, T[b]!]).size;
      pairs.push([baseErrors, corrected, baseErrors ? corrected / baseErrors : 0, u, N ? u / N : 0]);
    }
  }
  const triples = combinations(n, 3).map((c) => union(c.map((m) => T[m]!)).size);
  const subsets = [];
  for (let k = 1; k <= Math.min(n, 10); k++) {
    let best = { models: [] as number[], u: -1 };
    for (const c of combinations(n, k)) {
      const u = union(c.map((m) => T[m]!)).size;
      if (u > best.u) best = { models: c, u };
    }
    subsets.push([k, best.models.map((m) => `m${m}`), best.u]);
  }
  const perClass = [];
  for (let m = 0; m < n; m++) {
    for (let c = 0; c < input.numClasses; c++) {
      const xs = inClass(c);
      let corrected = 0;
      let got = 0;
      for (let o = 0; o < n; o++) {
        if (o === m) continue;
        corrected += xs.filter((x) => T[m]!.has(x) && !T[o]!.has(x)).length;
        got += xs.filter((x) => !T[m]!.has(x) && T[o]!.has(x)).length;
      }
      perClass.push([m, c, xs.length, xs.filter((x) => T[m]!.has(x)).length, corrected, got]);
    }
  }
  const none = [...input.labels.keys()].filter((s) => T.every((t) => !t.has(s))).map((s) => `id${s}`);
  const order = [...Array(n).keys()].sort((a, b) => T[b]!.size - T[a]!.size || a - b);
  let vote = 0;
  let mean = 0;
  const withTopk = order.filter((m) => input.models[m]!.topk);
  for (let s = 0; s < N; s++) {
    const votes = input.models.map((m) => [[m.top1[s]!, 1]] as Array<[number, number]>);
    if (bruteWinner(order, votes, input.numClasses) === input.labels[s]) vote++;
    const probs = input.models.map((m) => {
      if (!m.topk) return [];
      return [...Array(m.topk.k).keys()].map((j) => [m.topk!.ids[s * m.topk!.k + j]!, m.topk!.probs[s * m.topk!.k + j]!] as [number, number]);
    });
    if (bruteWinner(withTopk, probs, input.numClasses) === input.labels[s]) mean++;
  }
  const ensembles = [union(T).size, vote, ...(withTopk.length ? [mean] : [])];
  return { correct: T.map((t) => t.size), pairs, triples, subsets, perClass, none, ensembles, T };
}

function mcnemarBrute(b: number, c: number): [number, number] {
  const m = b + c;
  if (m === 0) return [0, 1];
  const stat = Math.max(Math.abs(b - c) - 1, 0) ** 2 / m;
  if (m >= 25) return [stat, NaN];
  let tail = 0;
  for (let i = 0; i <= Math.min(b, c); i++) {
    let coefficient = 1;
    for (let j = 0; j < i; j++) coefficient = (coefficient * (m - j)) / (j + 1);
    tail += coefficient / 2 ** m;
  }
  return [stat, Math.min(1, 2 * tail)];
}

const shapes: Array<[number, number]> = [
  [1, 10], [2, 1], [2, 37], [3, 8], [4, 300], [5, 2049], [6, 999], [8, 500], [8, 4100], [3, 0], [7, 64], [4, 70_000],
];

for (const [i, [n, samples]] of shapes.entries()) {
  for (const seed of [1, 2, 3, 4]) {
    test(`analyze matches a brute-force Set implementation: ${n} models, ${samples} samples, seed ${seed}`, (t) => {
      const input = randomInput(seed * 100 + i, n, samples);
      const r = analyze(input, { bootstrapResamples: 0 });
      const e = brute(input);
      t.deepEqual(r.models.map((m) => m.correct), e.correct);
      t.deepEqual(r.pairs.map((p) => [p.baseErrors, p.corrected, p.potentialCorrectionRate, p.unionCorrect, p.virtualAccuracy]), e.pairs);
      t.deepEqual(r.triples.map((x) => x.unionCorrect), e.triples);
      t.deepEqual(r.subsets.map((s) => [s.k, s.models, s.unionCorrect]), e.subsets);
      t.true(r.subsets.every((s) => s.method === 'exact'));
      t.deepEqual(r.perClass.map((p, j) => [Math.floor(j / input.numClasses), p.classId, p.samples, p.correct, p.corrected, p.gotCorrected]), e.perClass);
      t.deepEqual(r.noneCorrect, { count: e.none.length, sampleIds: e.none });
      t.deepEqual(r.ensembles.map((x) => x.correct), e.ensembles);
      for (const d of r.diversity) {
        const [a, b] = [Number(d.a.slice(1)), Number(d.b.slice(1))];
        const n11 = [...e.T[a]!].filter((s) => e.T[b]!.has(s)).length;
        t.deepEqual([d.n11, d.n10, d.n01, d.n00], [n11, e.T[a]!.size - n11, e.T[b]!.size - n11, samples - e.T[a]!.size - e.T[b]!.size + n11]);
        const [stat, p] = mcnemarBrute(d.n10, d.n01);
        t.is(d.mcnemarStatistic, stat);
        if (!Number.isNaN(p)) t.true(Math.abs(d.mcnemarP - p) < 1e-12);
        const po = samples ? (d.n11 + d.n00) / samples : 1;
        const pa = samples ? (d.n11 + d.n10) / samples : 0;
        const pb = samples ? (d.n11 + d.n01) / samples : 0;
        const pe = pa * pb + (1 - pa) * (1 - pb);
        t.true(Math.abs(d.cohensKappa - (pe === 1 ? 1 : (po - pe) / (1 - pe))) < 1e-9);
      }
      for (const [m, top] of Object.entries(r.topCorrectedClasses)) {
        const counts = r.perClass.filter((p) => p.model === m && p.corrected > 0).map((p) => p.corrected).sort((x, y) => y - x);
        const cut = counts[4];
        t.is(top.length, cut === undefined ? counts.length : counts.filter((c) => c >= cut).length);
      }
    });
  }
}

test('greedy subsets grow the best smaller subset by the model adding most', (t) => {
  const input = randomInput(77, 7, 400);
  const r = analyze(input, { bootstrapResamples: 0, exactSubsetLimit: 7 });
  const T = brute(input).T;
  t.deepEqual(r.subsets.map((s) => s.method), ['exact', 'greedy', 'greedy', 'greedy', 'greedy', 'exact', 'exact']);
  let chosen = [r.subsets[0]!.models.map((m) => Number(m.slice(1)))[0]!];
  for (const s of r.subsets.slice(1, 5)) {
    const gains = [...Array(7).keys()].filter((m) => !chosen.includes(m)).map((m) => [m, union([...chosen, m].map((x) => T[x]!)).size]);
    const best = gains.reduce((x, y) => (y[1]! > x[1]! ? y : x));
    chosen = [...chosen, best[0]!].sort((a, b) => a - b);
    t.deepEqual(s.models, chosen.map((m) => `m${m}`));
    t.is(s.unionCorrect, best[1]!);
  }
});

test('tripleRange chunks reproduce the full triple counts, and triple indices round-trip', (t) => {
  const input = randomInput(5, 9, 3000);
  const matrix = correctnessFromPredictions(input.labels, input.models);
  const total = tripleCount(9);
  const full = tripleRange(matrix, 0, total);
  const parts = [tripleRange(matrix, 0, 17), tripleRange(matrix, 17, 18), tripleRange(matrix, 18, 61), tripleRange(matrix, 61, total)];
  t.deepEqual(Uint32Array.from(parts.flatMap((p) => [...p])), full);
  const gram = pairIntersections(matrix);
  t.deepEqual([...tripleUnions(gram, 9, 18, parts[2]!)], [...tripleUnions(gram, 9, 0, full)].slice(18, 61));
  for (let i = 0; i < total; i++) t.is(tripleIndex(9, ...tripleAt(9, i)), i);
  t.throws(() => tripleRange(matrix, 5, total + 1), { message: `analysis: triple range 5…${total + 1} is outside 0…${total} for 9 models` });
});

test('branch and bound finds the same best subsets as the 2^n union table', (t) => {
  for (const seed of [11, 12, 13, 14, 15, 16]) {
    const input = randomInput(seed, 9, 1500);
    const matrix = correctnessFromPredictions(input.labels, input.models);
    const ws = loadWorkspace(matrix);
    const search = { names: input.models.map((m) => m.name), gram: pairIntersections(matrix), maxSize: 9, exactLimit: 1000 };
    const table = bestSubsets(ws, search);
    t.deepEqual(bestSubsets(ws, { ...search, tableMaxModels: 0 }), table);
    t.deepEqual(table.map((s) => s.unionCorrect), brute(input).subsets.map((s) => s[2]));
  }
});
