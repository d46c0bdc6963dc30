/**
 * Contracts of the analysis engine: what goes in (per-model predictions aligned by sample id) and
 * what comes out (every table the writers, summary.json and the report are made from).
 * Definitions follow ../shared/DESIGN.md: T_X = samples model X gets right (top-1), F_X the rest.
 */

/** One model's predictions over the aligned samples (index i = samples[i]). */
export interface ModelPredictions {
  name: string;
  /** Top-1 predicted class per sample; -1 where the model produced no prediction (corrupt image). */
  top1: Int32Array;
  /**
   * Optional top-k class ids and probabilities, row-major [sample * k + j]; used by the
   * mean-probability ensemble. Absent for sources without probabilities (timm CSVs).
   */
  topk?: { k: number; ids: Int32Array; probs: Float32Array };
}

/** Input of the engine: samples in one fixed order, the label of each, and each model's predictions. */
export interface AnalysisInput {
  /** Sample ids, unique; every model's arrays are indexed in this order. */
  sampleIds: string[];
  /** Ground-truth class per sample. */
  labels: Int32Array;
  /** Number of classes (class ids are 0 … numClasses-1). */
  numClasses: number;
  /** Class names by id; missing names are rendered as the id. */
  classNames?: string[];
  models: ModelPredictions[];
}

export interface AnalysisOptions {
  /** Largest subset size searched for the best-subset curve. @default min(models, 10) */
  maxSubsetSize?: number;
  /** Exhaustive best-subset search while C(n, k) stays at or below this; greedy beyond. @default 200_000 */
  exactSubsetLimit?: number;
  /** Bootstrap resamples for confidence intervals; 0 disables them. @default 1000 */
  bootstrapResamples?: number;
  /** Seed of the bootstrap's random generator, so reruns give identical intervals. @default 1 */
  seed?: number;
  /** Confidence level of the intervals. @default 0.95 */
  confidence?: number;
  /** Whether to compute all triples (they can be chunked elsewhere for large N). @default true */
  triples?: boolean;
  /**
   * Most Poisson draws the pair intervals may take (pairs × resamples × 4); above it pair intervals
   * are left out and a note says so. Accuracy intervals are always computed. @default 4_000_000
   */
  bootstrapMaxDraws?: number;
}

/** A two-sided interval [low, high]. */
export type Interval = [number, number];

export interface ModelSummary {
  name: string;
  correct: number;
  accuracy: number;
  accuracyCi?: Interval;
}

/** An ordered pair: how much `corrector` fixes `base`. */
export interface PairResult {
  base: string;
  corrector: string;
  /** |F_base|. */
  baseErrors: number;
  /** |F_base ∩ T_corrector|. */
  corrected: number;
  /** corrected / baseErrors (0 when base makes no errors). */
  potentialCorrectionRate: number;
  /** |T_base ∪ T_corrector|. */
  unionCorrect: number;
  /** unionCorrect / samples. */
  virtualAccuracy: number;
  potentialCorrectionRateCi?: Interval;
  virtualAccuracyCi?: Interval;
}

export interface TripleResult {
  models: [string, string, string];
  unionCorrect: number;
  virtualAccuracy: number;
}

/** Best subset of size k by virtual accuracy. */
export interface SubsetResult {
  k: number;
  models: string[];
  unionCorrect: number;
  virtualAccuracy: number;
  /** 'exact' when every subset of size k was scored, 'greedy' when grown one model at a time. */
  method: 'exact' | 'greedy';
}

/** Per (model, class) counts; see DESIGN.md. */
export interface PerClassResult {
  model: string;
  classId: number;
  className: string;
  /** Samples of this class. */
  samples: number;
  /** Samples of this class the model gets right. */
  correct: number;
  /** Σ over other models A of |{x ∈ class : A wrong, model right}|. */
  corrected: number;
  /** Σ over other models B of |{x ∈ class : model wrong, B right}|. */
  gotCorrected: number;
}

export interface TopClass {
  class: number;
  name: string;
  count: number;
}

/** Unordered pair diversity and McNemar's test (a < b in model order). */
export interface DiversityResult {
  a: string;
  b: string;
  /** Both right (n11), a right only (n10), b right only (n01), both wrong (n00). */
  n11: number;
  n10: number;
  n01: number;
  n00: number;
  yulesQ: number;
  disagreement: number;
  doubleFault: number;
  cohensKappa: number;
  /** McNemar's chi-square with continuity correction, and its p-value (exact binomial when n10+n01 < 25). */
  mcnemarStatistic: number;
  mcnemarP: number;
}

export interface EnsembleResult {
  /**
   * 'oracle': right when any model is; 'majority-vote': plurality of top-1; 'mean-probability':
   * argmax of the summed top-k probabilities (models with topk only). Ties in the last two go to the
   * class backed by the most accurate model (then input order); see ./ensembles.ts.
   */
  kind: 'oracle' | 'majority-vote' | 'mean-probability';
  models: string[];
  correct: number;
  accuracy: number;
}

export interface AnalysisResult {
  samples: number;
  numClasses: number;
  classNames: string[];
  models: ModelSummary[];
  /** Every ordered pair, base ≠ corrector, in model order (base major). */
  pairs: PairResult[];
  /** Every unordered triple in lexicographic model-index order (empty when triples are off). */
  triples: TripleResult[];
  subsets: SubsetResult[];
  perClass: PerClassResult[];
  /** Each model's top-5 classes by corrected count; longer than 5 when ties reach the cut-off. */
  topCorrectedClasses: Record<string, TopClass[]>;
  /** Samples no model gets right. */
  noneCorrect: { count: number; sampleIds: string[] };
  diversity: DiversityResult[];
  ensembles: EnsembleResult[];
  /** Timings of the stages in seconds, for the benchmark; not written to outputs. */
  timings: Record<string, number>;
  /** What was left out or approximated, and why (e.g. pair intervals over the draw budget). */
  notes?: string[];
}

/**
 * Packed per-model correctness: bit s of row m is 1 when model m gets sample s right
 * (top-1 == label). Built by correctnessFromPredictions, or generated directly for huge inputs.
 */
export interface CorrectnessMatrix {
  models: number;
  samples: number;
  /** 32-bit words per row: a multiple of 64 (rows padded to 2,048 samples); padding bits are 0. */
  stride: number;
  /** models × stride words, row-major: sample s of model m is bit (s & 31) of word m*stride + (s >>> 5). */
  words: Uint32Array;
}

/** Input of analyzeCorrectness: correctness already packed, predictions only where ensembles need them. */
export interface CorrectnessInput {
  /** Model names in row order of `correctness`. */
  modelNames: string[];
  correctness: CorrectnessMatrix;
  /** Ground-truth class per sample. */
  labels: Int32Array;
  numClasses: number;
  classNames?: string[];
  /** Sample ids; absent means each sample's index as a string. */
  sampleIds?: string[];
  /** Predictions in row order, for the majority-vote and mean-probability ensembles; absent skips them. */
  predictions?: ModelPredictions[];
}
