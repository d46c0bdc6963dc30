/**
 * The analysis engine: from per-model correctness on the same samples to every table of the
 * study (see ../shared/DESIGN.md and ./types.ts). analyze() takes predictions; analyzeCorrectness()
 * takes correctness already packed, for inputs too large to hold as top-1 arrays. Pure module:
 * no I/O and no logging; stage timings are returned in `timings`.
 */
import { correctnessFromPredictions } from './bitset.js';
import { accuracyInterval, pairIntervals, type BootstrapOptions } from './bootstrap.js';
import { diversityResults } from './diversity.js';
import { majorityVoteCorrect, meanProbabilityCorrect, tieBreakOrder } from './ensembles.js';
import { pairIntersectionsOn, pairResults } from './pairs.js';
import { classTallies, perClassResults, topCorrectedClasses, type ClassTallies } from './per-class.js';
import { bestSubsets } from './subsets.js';
import { tripleCount, tripleRangeOn, tripleResults, tripleUnions } from './triples.js';
import type {
  AnalysisInput, AnalysisOptions, AnalysisResult, CorrectnessInput, EnsembleResult, ModelSummary, PairResult,
} from './types.js';
import { validateCorrectness, validateInput } from './validate.js';
import { loadWorkspace } from './workspace.js';

/** AnalysisOptions with every default filled in. */
export type ResolvedOptions = Required<AnalysisOptions>;

/** Fills in the documented defaults of AnalysisOptions for n models. */
export function resolveOptions(options: AnalysisOptions, n: number): ResolvedOptions {
  return {
    maxSubsetSize: options.maxSubsetSize ?? Math.min(n, 10),
    exactSubsetLimit: options.exactSubsetLimit ?? 200_000,
    bootstrapResamples: options.bootstrapResamples ?? 1000,
    seed: options.seed ?? 1,
    confidence: options.confidence ?? 0.95,
    triples: options.triples ?? true,
    bootstrapMaxDraws: options.bootstrapMaxDraws ?? 4_000_000,
  };
}

/** Analyzes per-model predictions over the same samples. */
export function analyze(input: AnalysisInput, options: AnalysisOptions = {}): AnalysisResult {
  validateInput(input);
  const started = performance.now();
  const correctness = correctnessFromPredictions(input.labels, input.models);
  const packed = (performance.now() - started) / 1000;
  const result = analyzeCorrectness(
    {
      modelNames: input.models.map((m) => m.name), correctness, labels: input.labels, numClasses: input.numClasses,
      classNames: input.classNames, sampleIds: input.sampleIds, predictions: input.models,
    },
    options,
  );
  result.timings.pack = packed;
  result.timings.total = result.timings.total! + packed;
  return result;
}

/**
 * Analyzes packed correctness; ensembles beyond the oracle need `input.predictions`.
 * `tripleIntersections`, when given, are tripleRange(0, C(n, 3)) counts computed elsewhere (workers).
 */
export function analyzeCorrectness(
  input: CorrectnessInput, options: AnalysisOptions = {}, tripleIntersections?: Uint32Array,
): AnalysisResult {
  validateCorrectness(input);
  const expected = tripleCount(input.modelNames.length);
  if (tripleIntersections && tripleIntersections.length !== expected) {
    throw new Error(`analysis: ${tripleIntersections.length} triple counts given for ${expected} triples`);
  }
  const o = resolveOptions(options, input.modelNames.length);
  const names = input.modelNames;
  const samples = input.labels.length;
  const classNames = Array.from({ length: input.numClasses }, (_, c) => input.classNames?.[c] ?? String(c));
  const timings: Record<string, number> = {};
  const notes: string[] = [];
  const time = <T>(stage: string, run: () => T): T => {
    const t0 = performance.now();
    const value = run();
    timings[stage] = (timings[stage] ?? 0) + (performance.now() - t0) / 1000;
    return value;
  };
  const t0 = performance.now();

  const ws = time('load', () => loadWorkspace(input.correctness));
  const gram = time('pairs', () => pairIntersectionsOn(ws));
  const pairs = time('pairs', () => pairResults(names, gram, samples));
  const unions = o.triples
    ? time('triples', () => {
        const intersections = tripleIntersections ?? tripleRangeOn(ws, 0, tripleCount(names.length));
        return tripleUnions(gram, names.length, 0, intersections);
      })
    : undefined;
  const triples = unions ? time('triples', () => tripleResults(names, samples, 0, unions)) : [];
  const subsets = time('subsets', () =>
    bestSubsets(ws, { names, gram, tripleUnions: unions, maxSize: o.maxSubsetSize, exactLimit: o.exactSubsetLimit }),
  );
  const tallies = time('perClass', () => classTallies(ws, input.labels, input.numClasses));
  const perClass = time('perClass', () => perClassResults(names, classNames, tallies));
  const topCorrected = time('perClass', () => topCorrectedClasses(names, classNames, tallies));
  const diversity = time('diversity', () => diversityResults(names, gram, samples));
  const models: ModelSummary[] = names.map((name, m) => {
    const correct = gram[m * names.length + m]!;
    return { name, correct, accuracy: samples === 0 ? 0 : correct / samples };
  });
  const ensembles = time('ensembles', () => ensembleResults(input, models, tallies));
  time('bootstrap', () => addIntervals(models, pairs, gram, samples, o, notes));

  timings.total = (performance.now() - t0) / 1000;
  return {
    samples, numClasses: input.numClasses, classNames, models, pairs, triples, subsets, perClass,
    topCorrectedClasses: topCorrected, noneCorrect: noneCorrect(input, tallies), diversity, ensembles, timings,
    ...(notes.length > 0 ? { notes } : {}),
  };
}

function noneCorrect(input: CorrectnessInput, tallies: ClassTallies): AnalysisResult['noneCorrect'] {
  const sampleIds: string[] = [];
  const counts = tallies.rightCount;
  for (let s = 0; s < counts.length; s++) if (counts[s] === 0) sampleIds.push(input.sampleIds?.[s] ?? String(s));
  return { count: sampleIds.length, sampleIds };
}

/** The oracle over all models, then majority vote and mean probability where predictions allow. */
function ensembleResults(input: CorrectnessInput, models: ModelSummary[], tallies: ClassTallies): EnsembleResult[] {
  const names = models.map((m) => m.name);
  const samples = input.labels.length;
  const entry = (kind: EnsembleResult['kind'], members: string[], correct: number): EnsembleResult => ({
    kind, models: members, correct, accuracy: samples === 0 ? 0 : correct / samples,
  });
  let oracle = 0;
  for (let s = 0; s < samples; s++) if (tallies.rightCount[s]! > 0) oracle++;
  const out = [entry('oracle', names, oracle)];
  const predictions = input.predictions;
  if (!predictions || names.length === 0) return out;
  const order = tieBreakOrder(models.map((m) => m.correct));
  out.push(entry('majority-vote', names, majorityVoteCorrect(input.labels, predictions, order, input.numClasses, tallies.rightCount)));
  const withTopk = order.filter((m) => predictions[m]!.topk !== undefined);
  if (withTopk.length > 0) {
    const correct = meanProbabilityCorrect(input.labels, predictions, withTopk, input.numClasses);
    out.push(entry('mean-probability', [...withTopk].sort((a, b) => a - b).map((m) => names[m]!), correct));
  }
  return out;
}

/** Accuracy intervals always (when resamples > 0); pair intervals within the draw budget. */
function addIntervals(
  models: ModelSummary[], pairs: PairResult[], gram: Uint32Array, samples: number, o: ResolvedOptions, notes: string[],
): void {
  if (o.bootstrapResamples <= 0 || samples === 0) return;
  const b: BootstrapOptions = { resamples: o.bootstrapResamples, seed: o.seed, confidence: o.confidence };
  models.forEach((m, i) => (m.accuracyCi = accuracyInterval(m.correct, samples, i, b)));
  const n = models.length;
  const draws = ((n * (n - 1)) / 2) * o.bootstrapResamples * 4;
  if (draws > o.bootstrapMaxDraws) {
    notes.push(`pair intervals left out: they need ${draws} Poisson draws, bootstrapMaxDraws is ${o.bootstrapMaxDraws}`);
    return;
  }
  for (let a = 0; a < n; a++) {
    for (let c = a + 1; c < n; c++) {
      const ci = pairIntervals(gram, n, samples, a, c, b);
      const ac = pairs[a * (n - 1) + c - 1]!;
      const ca = pairs[c * (n - 1) + a]!;
      [ac.potentialCorrectionRateCi, ac.virtualAccuracyCi] = [ci.bOverA, ci.virtualAccuracy];
      [ca.potentialCorrectionRateCi, ca.virtualAccuracyCi] = [ci.aOverB, ci.virtualAccuracy];
    }
  }
}
