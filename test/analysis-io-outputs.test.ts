import test from 'ava';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { LocalStore } from '../infra/store.js';
import { writeOutputs } from '../analysis/io/write-outputs.js';
import { tinyResult } from './analysis-io-fixture.js';

async function query(sql: string): Promise<Array<Record<string, unknown>>> {
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Array<Record<string, unknown>>;
  } finally {
    connection.closeSync();
  }
}

async function written(prefix = ''): Promise<{ root: string; outputs: Record<string, string> }> {
  const root = await mkdtemp(join(tmpdir(), 'crossfix-out-'));
  const { outputs } = await writeOutputs(tinyResult, new LocalStore(root), { prefix });
  return { root, outputs };
}

test('writeOutputs writes every table, summary.json and report.html under the prefix', async (t) => {
  const { root, outputs } = await written('runs/r1/analysis/');
  const files = [
    'diversity.parquet',
    'models.parquet',
    'none_correct.parquet',
    'pairs.parquet',
    'per_class.parquet',
    'report.html',
    'subsets.parquet',
    'summary.json',
    'triples.parquet',
  ];
  t.deepEqual((await readdir(join(root, 'runs/r1/analysis'))).sort(), files);
  t.deepEqual(Object.keys(outputs).sort(), files);
  t.is(outputs['models.parquet'], join(root, 'runs/r1/analysis/models.parquet'));
});

test('models.parquet and pairs.parquet read back in DuckDB with exact values', async (t) => {
  const { root } = await written();
  t.deepEqual(await query(`SELECT * FROM '${root}/models.parquet' ORDER BY model_index`), [
    { model: 'a', model_index: 0, samples: 6, correct: 4, accuracy: 4 / 6, accuracy_ci_low: 0.25, accuracy_ci_high: 1 },
    {
      model: 'b',
      model_index: 1,
      samples: 6,
      correct: 2,
      accuracy: 2 / 6,
      accuracy_ci_low: null,
      accuracy_ci_high: null,
    },
    {
      model: 'c',
      model_index: 2,
      samples: 6,
      correct: 3,
      accuracy: 0.5,
      accuracy_ci_low: null,
      accuracy_ci_high: null,
    },
  ]);
  const pairs = await query(
    `SELECT base, corrector, base_errors, corrected, potential_correction_rate AS pcr, union_correct, virtual_accuracy AS va,
       potential_correction_rate_ci_low AS pcr_low, virtual_accuracy_ci_high AS va_high FROM '${root}/pairs.parquet'`,
  );
  t.deepEqual(pairs, [
    {
      base: 'a',
      corrector: 'b',
      base_errors: 2,
      corrected: 1,
      pcr: 0.5,
      union_correct: 5,
      va: 5 / 6,
      pcr_low: 0,
      va_high: 1,
    },
    {
      base: 'a',
      corrector: 'c',
      base_errors: 2,
      corrected: 2,
      pcr: 1,
      union_correct: 6,
      va: 1,
      pcr_low: null,
      va_high: null,
    },
    {
      base: 'b',
      corrector: 'a',
      base_errors: 4,
      corrected: 3,
      pcr: 0.75,
      union_correct: 5,
      va: 5 / 6,
      pcr_low: null,
      va_high: null,
    },
    {
      base: 'b',
      corrector: 'c',
      base_errors: 4,
      corrected: 2,
      pcr: 0.5,
      union_correct: 4,
      va: 4 / 6,
      pcr_low: null,
      va_high: null,
    },
    {
      base: 'c',
      corrector: 'a',
      base_errors: 3,
      corrected: 3,
      pcr: 1,
      union_correct: 6,
      va: 1,
      pcr_low: null,
      va_high: null,
    },
    {
      base: 'c',
      corrector: 'b',
      base_errors: 3,
      corrected: 1,
      pcr: 1 / 3,
      union_correct: 4,
      va: 4 / 6,
      pcr_low: null,
      va_high: null,
    },
  ]);
});

test('triples, subsets, per_class, diversity and none_correct read back in DuckDB', async (t) => {
  const { root } = await written();
  t.deepEqual(await query(`SELECT * FROM '${root}/triples.parquet'`), [
    { model_a: 'a', model_b: 'b', model_c: 'c', union_correct: 6, virtual_accuracy: 1 },
  ]);
  t.deepEqual(await query(`SELECT k, models, union_correct, method FROM '${root}/subsets.parquet'`), [
    { k: 1, models: ['a'], union_correct: 4, method: 'exact' },
    { k: 2, models: ['a', 'c'], union_correct: 6, method: 'exact' },
    { k: 3, models: ['a', 'b', 'c'], union_correct: 6, method: 'exact' },
  ]);
  t.deepEqual(await query(`SELECT * FROM '${root}/per_class.parquet' WHERE model = 'a'`), [
    { model: 'a', class_id: 0, class_name: 'cat', samples: 2, correct: 2, corrected: 3, got_corrected: 0 },
    { model: 'a', class_id: 1, class_name: 'dog', samples: 2, correct: 1, corrected: 1, got_corrected: 2 },
    { model: 'a', class_id: 2, class_name: 'eel <&> "x"', samples: 2, correct: 1, corrected: 2, got_corrected: 1 },
  ]);
  t.deepEqual(
    await query(`SELECT sum(corrected)::INT AS c, sum(got_corrected)::INT AS g FROM '${root}/per_class.parquet'`),
    [{ c: 12, g: 12 }],
  );
  t.deepEqual(await query(`SELECT * FROM '${root}/diversity.parquet' WHERE model_a = 'a' AND model_b = 'b'`), [
    {
      model_a: 'a',
      model_b: 'b',
      n11: 1,
      n10: 3,
      n01: 1,
      n00: 1,
      yules_q: -0.5,
      disagreement: 4 / 6,
      double_fault: 1 / 6,
      cohens_kappa: -0.2,
      mcnemar_statistic: 0.25,
      mcnemar_p: 0.625,
    },
  ]);
  t.deepEqual(await query(`SELECT count(*)::INT AS n FROM '${root}/none_correct.parquet'`), [{ n: 0 }]);
});

test('summary.json holds models, every ordered pair, triples and top corrected classes', async (t) => {
  const { root } = await written();
  const summary = JSON.parse(await readFile(join(root, 'summary.json'), 'utf8'));
  t.is(summary.samples, 6);
  t.deepEqual(summary.models[0], { name: 'a', correct: 4, accuracy: 4 / 6, accuracyCi: [0.25, 1] });
  t.deepEqual(summary.models[1], { name: 'b', correct: 2, accuracy: 2 / 6 });
  t.is(summary.pairs.length, 6);
  t.deepEqual(summary.pairs[5], {
    base: 'c',
    corrector: 'b',
    baseErrors: 3,
    corrected: 1,
    potentialCorrectionRate: 1 / 3,
    unionCorrect: 4,
    virtualAccuracy: 4 / 6,
  });
  t.deepEqual(summary.triples, [{ models: ['a', 'b', 'c'], unionCorrect: 6, virtualAccuracy: 1 }]);
  t.deepEqual(summary.topCorrectedClasses.c, [
    { class: 1, name: 'dog', count: 2 },
    { class: 2, name: 'eel <&> "x"', count: 2 },
    { class: 0, name: 'cat', count: 0 },
  ]);
  t.is(summary.noneCorrect, 0);
  t.is(summary.ensembles[1].accuracy, 0.5);
  t.false('timings' in summary);
});

test('writing the same result twice gives byte-identical files', async (t) => {
  const first = await written();
  const second = await written();
  for (const file of Object.keys(first.outputs)) {
    t.true((await readFile(join(first.root, file))).equals(await readFile(join(second.root, file))), file);
  }
});
