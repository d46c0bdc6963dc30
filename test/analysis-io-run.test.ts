import test from 'ava';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { SchemaDefinition } from '@dsnp/parquetjs/dist/lib/declare.js';
import { DuckDBInstance } from '@duckdb/node-api';
import { LocalStore } from '../infra/store.js';
import { manifestKey } from '../lib/dataset.js';
import { PREDICTION_SCHEMA_FIELDS, predictionKey, type PredictionRow } from '../lib/predictions.js';
import { analyze } from '../analysis/analyze.js';
import { writeParquetBuffer } from '../analysis/io/parquet-buffer.js';
import { analyzeCommand, openOutputStore } from '../analysis/io/run-analysis.js';
import { createAnalysisActivities } from '../activities/analyze.js';
import { tinyInput, tinyResult } from './analysis-io-fixture.js';

const tempDir = (tag: string) => mkdtemp(join(tmpdir(), `crossfix-${tag}-`));

/** Writes the tiny fixture as timm CSVs (rows shuffled differently per model) and a class-names file. */
async function tinyCsvs(): Promise<{ dir: string; files: string[] }> {
  const dir = await tempDir('csv');
  const files: string[] = [];
  for (const [m, model] of tinyInput.models.entries()) {
    const lines = tinyInput.sampleIds.map(
      (id, i) => `${id}.JPEG,${model.top1[i]},${(model.top1[i]! + 1) % 3},${tinyInput.labels[i]}`,
    );
    const rotated = [...lines.slice(m * 2), ...lines.slice(0, m * 2)];
    files.push(join(dir, `${model.name}.csv`));
    await writeFile(files[files.length - 1]!, rotated.join('\n') + '\n');
  }
  await writeFile(join(dir, 'classes.json'), JSON.stringify(tinyInput.classNames));
  return { dir, files };
}

test('the engine agrees with the hand-computed fixture the writer tests use', (t) => {
  const r = analyze(tinyInput, { bootstrapResamples: 0 });
  t.deepEqual(
    r.models,
    tinyResult.models.map(({ name, correct, accuracy }) => ({ name, correct, accuracy })),
  );
  t.deepEqual(
    r.pairs,
    tinyResult.pairs.map(({ potentialCorrectionRateCi: _p, virtualAccuracyCi: _v, ...p }) => p),
  );
  t.deepEqual(r.triples, tinyResult.triples);
  t.deepEqual(r.perClass, tinyResult.perClass);
  t.deepEqual(
    r.diversity.map(({ a, b, n11, n10, n01, n00 }) => [a, b, n11, n10, n01, n00]),
    [
      ['a', 'b', 1, 3, 1, 1],
      ['a', 'c', 1, 3, 2, 0],
      ['b', 'c', 1, 1, 2, 2],
    ],
  );
});

test('analyzeCommand imports timm CSVs and writes outputs DuckDB reads, byte-identical on rerun', async (t) => {
  const { dir, files } = await tinyCsvs();
  const out = join(dir, 'out');
  const res = await analyzeCommand({
    timmCsv: files,
    out,
    classNames: join(dir, 'classes.json'),
    store: new LocalStore(dir),
  });
  t.deepEqual(
    res.summary.models.map((m) => [m.name, m.correct, m.accuracy]),
    [
      ['a', 4, 4 / 6],
      ['b', 2, 2 / 6],
      ['c', 3, 0.5],
    ],
  );
  t.deepEqual(res.summary.triples, [{ models: ['a', 'b', 'c'], unionCorrect: 6, virtualAccuracy: 1 }]);
  t.is(res.outputs['summary.json'], join(out, 'summary.json'));
  const db = await (await DuckDBInstance.create(':memory:')).connect();
  const rows = (
    await db.runAndReadAll(
      `SELECT base, corrector, potential_correction_rate AS r FROM '${out}/pairs.parquet' WHERE base = 'b'`,
    )
  ).getRowObjectsJson();
  t.deepEqual(rows, [
    { base: 'b', corrector: 'a', r: 0.75 },
    { base: 'b', corrector: 'c', r: 0.5 },
  ]);
  const names = (
    await db.runAndReadAll(`SELECT DISTINCT class_name FROM '${out}/per_class.parquet' ORDER BY class_id`)
  ).getRowObjectsJson();
  t.deepEqual(
    names.map((r) => r.class_name),
    ['cat', 'dog', 'eel <&> "x"'],
  );
  db.closeSync();

  const again = join(dir, 'again');
  await analyzeCommand({
    timmCsv: files,
    out: again,
    classNames: join(dir, 'classes.json'),
    store: new LocalStore(dir),
  });
  for (const file of await readdir(out))
    t.true((await readFile(join(out, file))).equals(await readFile(join(again, file))), file);
});

test('analyzeCommand needs exactly one source, and s3:// outputs need an S3 store', async (t) => {
  const store = new LocalStore(await tempDir('cmd'));
  await t.throwsAsync(analyzeCommand({ out: 'x', store }), {
    message: 'analyze: give exactly one of --run ID or --timm-csv FILE…',
  });
  await t.throwsAsync(analyzeCommand({ out: 'x', run: 'r', timmCsv: ['a.csv'], store }), {
    message: 'analyze: give exactly one of --run ID or --timm-csv FILE…',
  });
  t.throws(() => openOutputStore('s3://bucket/out', store), {
    message: `analyze: --out s3://bucket/out needs an S3 store, but the store is ${store.root}`,
  });
});

const row = (sample_id: string, label: number, top1: number): PredictionRow => ({
  sample_id,
  label,
  top1,
  correct: top1 === label,
  topk_ids: [top1],
  topk_probs: [1],
  status: 'ok',
});

async function runStore(models: Record<string, PredictionRow[]>): Promise<LocalStore> {
  const store = new LocalStore(await tempDir('run'));
  for (const [model, rows] of Object.entries(models)) {
    await store.put(
      predictionKey('r1', model, 0),
      await writeParquetBuffer(PREDICTION_SCHEMA_FIELDS as unknown as SchemaDefinition, rows),
    );
  }
  await store.put('runs/r1/run.json', JSON.stringify({ runId: 'r1', dataset: 'toy', models: Object.keys(models) }));
  await store.put(manifestKey('toy'), JSON.stringify({ name: 'toy', classes: ['zero', 'one'] }));
  return store;
}

test('analyzeRun reads a run and writes under runs/<id>/analysis/ with the dataset class names', async (t) => {
  const store = await runStore({ m1: [row('a', 0, 0), row('b', 1, 0)], m2: [row('b', 1, 1), row('a', 0, 1)] });
  const { analyzeRun } = createAnalysisActivities({ store });
  const out = await analyzeRun({ runId: 'r1', models: ['m2', 'm1'] });
  t.deepEqual(out.models, [
    { name: 'm2', accuracy: 0.5 },
    { name: 'm1', accuracy: 0.5 },
  ]);
  t.is(out.outputs['report.html'], store.url('runs/r1/analysis/report.html'));
  const summary = JSON.parse((await store.get('runs/r1/analysis/summary.json')).toString('utf8'));
  t.deepEqual(
    summary.pairs.map((p: { potentialCorrectionRate: number }) => p.potentialCorrectionRate),
    [1, 1],
  );
  t.deepEqual(summary.topCorrectedClasses.m1[0], { class: 0, name: 'zero', count: 1 });
});

test('analyzeRun fails without retries when models disagree on a label', async (t) => {
  const store = await runStore({ m1: [row('a', 0, 0)], m2: [row('a', 1, 1)] });
  const { analyzeRun } = createAnalysisActivities({ store });
  const err = await t.throwsAsync(analyzeRun({ runId: 'r1', models: ['m1', 'm2'] }), {
    instanceOf: ApplicationFailure,
  });
  t.true(err!.nonRetryable);
  t.is(
    err!.message,
    'predictions: models "m1" and "m2" disagree on the label of sample "a": 0 in runs/r1/predictions/model=m1/shard=00000.parquet, 1 in runs/r1/predictions/model=m2/shard=00000.parquet',
  );
});
