/**
 * summary.json of an analysis: the headline numbers in one small JSON document, with a fixed key
 * order so that equal results give equal bytes. Rates are unrounded fractions in [0, 1].
 * Pure module.
 */
import type { AnalysisResult, EnsembleResult, Interval, PairResult, SubsetResult, TopClass } from '../types.js';

/** Version tag of the summary layout. */
export const SUMMARY_FORMAT = 'crossfix-analysis-summary/1';

export interface SummaryModel {
  name: string;
  correct: number;
  accuracy: number;
  accuracyCi?: Interval;
}

/** A pair as summary.json writes it: the engine's PairResult, intervals omitted when not computed. */
export type SummaryPair = PairResult;

export interface Summary {
  format: typeof SUMMARY_FORMAT;
  samples: number;
  numClasses: number;
  models: SummaryModel[];
  /** Every ordered pair, base ≠ corrector, base major. */
  pairs: SummaryPair[];
  triples: Array<{ models: [string, string, string]; unionCorrect: number; virtualAccuracy: number }>;
  /** Best subset of each size. */
  subsets: SubsetResult[];
  topCorrectedClasses: Record<string, TopClass[]>;
  /** How many samples no model gets right (their ids are in none_correct.parquet). */
  noneCorrect: number;
  ensembles: EnsembleResult[];
  /** Output file names written beside this summary. */
  files: string[];
  /** What the engine left out and why (e.g. pair intervals over the draw budget); absent when nothing was. */
  notes?: string[];
}

/** Builds the summary of a result; `files` lists the outputs written beside it. */
export function buildSummary(r: AnalysisResult, files: string[]): Summary {
  return {
    format: SUMMARY_FORMAT,
    samples: r.samples,
    numClasses: r.numClasses,
    models: r.models.map((m) => ({
      name: m.name,
      correct: m.correct,
      accuracy: m.accuracy,
      ...optional('accuracyCi', m.accuracyCi),
    })),
    pairs: r.pairs.map((p) => ({
      base: p.base,
      corrector: p.corrector,
      baseErrors: p.baseErrors,
      corrected: p.corrected,
      potentialCorrectionRate: p.potentialCorrectionRate,
      unionCorrect: p.unionCorrect,
      virtualAccuracy: p.virtualAccuracy,
      ...optional('potentialCorrectionRateCi', p.potentialCorrectionRateCi),
      ...optional('virtualAccuracyCi', p.virtualAccuracyCi),
    })),
    triples: r.triples.map((t) => ({
      models: t.models,
      unionCorrect: t.unionCorrect,
      virtualAccuracy: t.virtualAccuracy,
    })),
    subsets: r.subsets.map((s) => ({
      k: s.k,
      models: s.models,
      unionCorrect: s.unionCorrect,
      virtualAccuracy: s.virtualAccuracy,
      method: s.method,
    })),
    topCorrectedClasses: topClasses(r),
    noneCorrect: r.noneCorrect.count,
    ensembles: r.ensembles.map((e) => ({ kind: e.kind, models: e.models, correct: e.correct, accuracy: e.accuracy })),
    files,
    ...(r.notes && r.notes.length > 0 ? { notes: r.notes } : {}),
  };
}

/** Serializes a summary: two-space indented JSON and a final newline. */
export function summaryJson(summary: Summary): string {
  return JSON.stringify(summary, null, 2) + '\n';
}

function optional<K extends string>(key: K, value: Interval | undefined): Partial<Record<K, Interval>> {
  return value ? ({ [key]: value } as Record<K, Interval>) : {};
}

/** Top classes per model, in model order, with a fixed key order inside each entry. */
function topClasses(r: AnalysisResult): Record<string, TopClass[]> {
  const out: Record<string, TopClass[]> = {};
  for (const m of r.models) {
    out[m.name] = (r.topCorrectedClasses[m.name] ?? []).map((c) => ({ class: c.class, name: c.name, count: c.count }));
  }
  return out;
}
