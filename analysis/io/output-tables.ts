/**
 * The Parquet tables of an analysis: one parquetjs field spec and one row mapping per table, all
 * columns snake_case (documented in ./README.md). Pure module: returns data only.
 */
import type { SchemaDefinition } from '@dsnp/parquetjs/dist/lib/declare.js';
import type { AnalysisResult, Interval } from '../types.js';

/** One output table: its file name, column spec and rows. */
export interface OutputTable {
  file: string;
  fields: SchemaDefinition;
  rows: Array<Record<string, unknown>>;
}

const text = { type: 'UTF8' } as const;
const int = { type: 'INT32' } as const;
const real = { type: 'DOUBLE' } as const;
const optionalReal = { type: 'DOUBLE', optional: true } as const;

/** Low and high end of an optional interval as two nullable columns. */
function ci(prefix: string, interval: Interval | undefined): Record<string, number | null> {
  return { [`${prefix}_ci_low`]: interval?.[0] ?? null, [`${prefix}_ci_high`]: interval?.[1] ?? null };
}

/** models.parquet: one row per model, in model order. */
export function modelsTable(r: AnalysisResult): OutputTable {
  const fields = { model: text, model_index: int, samples: int, correct: int, accuracy: real };
  const rows = r.models.map((m, i) => ({
    model: m.name,
    model_index: i,
    samples: r.samples,
    correct: m.correct,
    accuracy: m.accuracy,
    ...ci('accuracy', m.accuracyCi),
  }));
  return {
    file: 'models.parquet',
    fields: { ...fields, accuracy_ci_low: optionalReal, accuracy_ci_high: optionalReal },
    rows,
  };
}

/** pairs.parquet: one row per ordered pair (base ≠ corrector), base major. */
export function pairsTable(r: AnalysisResult): OutputTable {
  const fields = {
    base: text,
    corrector: text,
    base_errors: int,
    corrected: int,
    potential_correction_rate: real,
    union_correct: int,
    virtual_accuracy: real,
    potential_correction_rate_ci_low: optionalReal,
    potential_correction_rate_ci_high: optionalReal,
    virtual_accuracy_ci_low: optionalReal,
    virtual_accuracy_ci_high: optionalReal,
  };
  const rows = r.pairs.map((p) => ({
    base: p.base,
    corrector: p.corrector,
    base_errors: p.baseErrors,
    corrected: p.corrected,
    potential_correction_rate: p.potentialCorrectionRate,
    union_correct: p.unionCorrect,
    virtual_accuracy: p.virtualAccuracy,
    ...ci('potential_correction_rate', p.potentialCorrectionRateCi),
    ...ci('virtual_accuracy', p.virtualAccuracyCi),
  }));
  return { file: 'pairs.parquet', fields, rows };
}

/** triples.parquet: one row per unordered triple, in the engine's order. */
export function triplesTable(r: AnalysisResult): OutputTable {
  const fields = { model_a: text, model_b: text, model_c: text, union_correct: int, virtual_accuracy: real };
  const rows = r.triples.map((t) => ({
    model_a: t.models[0],
    model_b: t.models[1],
    model_c: t.models[2],
    union_correct: t.unionCorrect,
    virtual_accuracy: t.virtualAccuracy,
  }));
  return { file: 'triples.parquet', fields, rows };
}

/** subsets.parquet: the best subset of each size k. */
export function subsetsTable(r: AnalysisResult): OutputTable {
  const fields = {
    k: int,
    models: { type: 'UTF8', repeated: true },
    union_correct: int,
    virtual_accuracy: real,
    method: text,
  } as const;
  const rows = r.subsets.map((s) => ({
    k: s.k,
    models: s.models,
    union_correct: s.unionCorrect,
    virtual_accuracy: s.virtualAccuracy,
    method: s.method,
  }));
  return { file: 'subsets.parquet', fields, rows };
}

/** per_class.parquet: one row per (model, class). */
export function perClassTable(r: AnalysisResult): OutputTable {
  const fields = {
    model: text,
    class_id: int,
    class_name: text,
    samples: int,
    correct: int,
    corrected: int,
    got_corrected: int,
  };
  const rows = r.perClass.map((p) => ({
    model: p.model,
    class_id: p.classId,
    class_name: p.className,
    samples: p.samples,
    correct: p.correct,
    corrected: p.corrected,
    got_corrected: p.gotCorrected,
  }));
  return { file: 'per_class.parquet', fields, rows };
}

/** diversity.parquet: one row per unordered pair (model_a before model_b in model order). */
export function diversityTable(r: AnalysisResult): OutputTable {
  const fields = {
    model_a: text,
    model_b: text,
    n11: int,
    n10: int,
    n01: int,
    n00: int,
    yules_q: real,
    disagreement: real,
    double_fault: real,
    cohens_kappa: real,
    mcnemar_statistic: real,
    mcnemar_p: real,
  };
  const rows = r.diversity.map((d) => ({
    model_a: d.a,
    model_b: d.b,
    n11: d.n11,
    n10: d.n10,
    n01: d.n01,
    n00: d.n00,
    yules_q: d.yulesQ,
    disagreement: d.disagreement,
    double_fault: d.doubleFault,
    cohens_kappa: d.cohensKappa,
    mcnemar_statistic: d.mcnemarStatistic,
    mcnemar_p: d.mcnemarP,
  }));
  return { file: 'diversity.parquet', fields, rows };
}

/** none_correct.parquet: the samples no model gets right, one sample_id per row. */
export function noneCorrectTable(r: AnalysisResult): OutputTable {
  return {
    file: 'none_correct.parquet',
    fields: { sample_id: text },
    rows: r.noneCorrect.sampleIds.map((id) => ({ sample_id: id })),
  };
}

/** Every Parquet table of an analysis, in a fixed order. */
export function outputTables(r: AnalysisResult): OutputTable[] {
  return [modelsTable, pairsTable, triplesTable, subsetsTable, perClassTable, diversityTable, noneCorrectTable].map(
    (f) => f(r),
  );
}
