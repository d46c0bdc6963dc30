import test from 'ava';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SchemaDefinition } from '@dsnp/parquetjs/dist/lib/declare.js';
import { LocalStore } from '../infra/store.js';
import { PREDICTION_SCHEMA_FIELDS, predictionKey, type PredictionRow } from '../lib/predictions.js';
import { writeParquetBuffer } from '../analysis/io/parquet-buffer.js';
import { listPredictionFiles, loadRunPredictions } from '../analysis/io/predictions.js';

const row = (sample_id: string, label: number, top1: number, k = 2): PredictionRow => ({
  sample_id,
  label,
  top1,
  correct: top1 === label,
  topk_ids: top1 < 0 ? [] : [top1, (top1 + 1) % 3].slice(0, k),
  topk_probs: top1 < 0 ? [] : [0.75, 0.25].slice(0, k),
  status: top1 < 0 ? 'corrupt' : 'ok',
});

async function storeWith(files: Record<string, PredictionRow[]>): Promise<LocalStore> {
  const store = new LocalStore(await mkdtemp(join(tmpdir(), 'crossfix-pred-')));
  for (const [spec, rows] of Object.entries(files)) {
    const [model, shard] = spec.split('/');
    const bytes = await writeParquetBuffer(PREDICTION_SCHEMA_FIELDS as unknown as SchemaDefinition, rows);
    await store.put(predictionKey('r1', model!, Number(shard)), bytes);
  }
  return store;
}

test('loadRunPredictions aligns models by sample id across shards', async (t) => {
  const store = await storeWith({
    'beta/0': [row('s2', 1, 1), row('s0', 0, 2)],
    'beta/1': [row('s1', 2, -1)],
    'alpha/0': [row('s0', 0, 0), row('s1', 2, 2), row('s2', 1, 0)],
  });
  t.deepEqual([...(await listPredictionFiles(store, 'r1')).keys()], ['alpha', 'beta']);
  const input = await loadRunPredictions(store, 'r1', { classNames: ['a', 'b', 'c'] });
  t.deepEqual(input.sampleIds, ['s0', 's1', 's2']);
  t.deepEqual([...input.labels], [0, 2, 1]);
  t.is(input.numClasses, 3);
  t.deepEqual(input.classNames, ['a', 'b', 'c']);
  t.deepEqual(
    input.models.map((m) => [m.name, [...m.top1]]),
    [
      ['alpha', [0, 2, 0]],
      ['beta', [2, -1, 1]],
    ],
  );
  const beta = input.models[1]!.topk!;
  t.is(beta.k, 2);
  t.deepEqual([...beta.ids], [2, 0, -1, -1, 1, 2]);
  t.deepEqual([...beta.probs], [0.75, 0.25, 0, 0, 0.75, 0.25]);
});

test('loadRunPredictions loads only the chosen models, in the given order', async (t) => {
  const store = await storeWith({ 'a/0': [row('x', 0, 0)], 'b/0': [row('x', 0, 1)], 'c/0': [row('x', 0, 4)] });
  const input = await loadRunPredictions(store, 'r1', { models: ['c', 'a'] });
  t.deepEqual(
    input.models.map((m) => m.name),
    ['c', 'a'],
  );
  t.is(input.numClasses, 5);
});

test('loadRunPredictions rejects models that cover different samples', async (t) => {
  const store = await storeWith({ 'a/0': [row('x', 0, 0), row('y', 1, 1)], 'b/0': [row('x', 0, 1)] });
  await t.throwsAsync(loadRunPredictions(store, 'r1'), {
    message:
      'predictions: model "b" has no prediction for sample "y" (model "a" has, in runs/r1/predictions/model=a/shard=00000.parquet)',
  });
});

test('loadRunPredictions rejects models that disagree on a label', async (t) => {
  const store = await storeWith({ 'a/0': [row('x', 0, 0)], 'b/3': [row('x', 2, 1)] });
  await t.throwsAsync(loadRunPredictions(store, 'r1'), {
    message:
      'predictions: models "a" and "b" disagree on the label of sample "x": 0 in runs/r1/predictions/model=a/shard=00000.parquet, 2 in runs/r1/predictions/model=b/shard=00003.parquet',
  });
});

test('loadRunPredictions rejects a sample repeated across shards, a missing model and an empty run', async (t) => {
  const store = await storeWith({ 'a/0': [row('x', 0, 0)], 'a/1': [row('x', 0, 0)] });
  await t.throwsAsync(loadRunPredictions(store, 'r1'), {
    message:
      'predictions: model "a" has sample "x" twice, in runs/r1/predictions/model=a/shard=00000.parquet and runs/r1/predictions/model=a/shard=00001.parquet',
  });
  await t.throwsAsync(loadRunPredictions(store, 'r1', { models: ['zz'] }), {
    message: 'predictions: run r1 has no prediction files for model "zz"',
  });
  await t.throwsAsync(loadRunPredictions(store, 'r2'), {
    message: `predictions: run r2 has no prediction files under ${store.url('runs/r2/predictions/')}`,
  });
});
