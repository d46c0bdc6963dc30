import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { preprocessImage } from '../conversion/preprocess.js';
import { sha256 } from '../infra/store.js';
import type { LocalStore } from '../infra/store.js';
import type { ShardEntry, ShardRow } from '../lib/dataset.js';
import { cacheKey, predictionKey } from '../lib/predictions.js';
import type { PredictionRow } from '../lib/predictions.js';
import { addModel } from '../activities/model-store.js';
import { createInferenceActivities } from '../activities/infer-shard.js';
import type { InferShardInput, InferShardOutput, InferShardProgress } from '../activities/infer-shard.js';
import { readPredictions } from '../activities/write-predictions.js';
import { selectBackend } from '../worker/backend.js';
import type { SelectedBackend } from '../worker/backend.js';
import { putShard, shardRows, tempDir, tempStore, tinyCard, tinyCnn, tinyModelDir } from './inference-fixtures.js';

const ROWS = 70;
const CORRUPT_AT = 37;
let model: ReturnType<typeof tinyCnn>;
let backend: SelectedBackend;
let rows: ShardRow[];
let modelDir: string;

test.before(async () => {
  backend = await selectBackend('wasm');
  model = tinyCnn();
  rows = await shardRows(ROWS, CORRUPT_AT);
  modelDir = await tinyModelDir(model);
});

interface Setup {
  store: LocalStore;
  shard: ShardEntry;
  input: InferShardInput;
}

/** A store holding the test shard and the registered test CNN, and an inferShard input for them. */
async function setup(runId = 'run-1'): Promise<Setup> {
  const store = await tempStore();
  const shard = await putShard(store, 'tiny', rows);
  const { digest } = await addModel(store, modelDir);
  return { store, shard, input: { runId, dataset: 'tiny', shard, model: 'tiny-cnn', modelDigest: digest, batchSize: 32 } };
}

/** Predictions computed directly: preprocess, model.predict per 32-row batch, softmax, sort. */
async function directPredictions(): Promise<PredictionRow[]> {
  const out: PredictionRow[] = [];
  for (let start = 0; start < ROWS; start += 32) {
    const batch = rows.slice(start, start + 32);
    const good = batch.filter((_, i) => start + i !== CORRUPT_AT);
    const pixels = await Promise.all(good.map((r) => preprocessImage(r.image, tinyCard())));
    const x = tf.stack(pixels.map((p) => tf.tensor3d(p, [28, 28, 1])));
    const probs = (await tf.softmax(model.predict(x) as tf.Tensor).array()) as number[][];
    let at = 0;
    for (const [i, row] of batch.entries()) {
      if (start + i === CORRUPT_AT) {
        out.push({ ...row, image: undefined, top1: -1, correct: false, topk_ids: [], topk_probs: [], status: 'corrupt' } as never);
        continue;
      }
      const p = probs[at++]!;
      const ids = p.map((_, k) => k).sort((a, b) => p[b]! - p[a]!).slice(0, 5);
      out.push({ sample_id: row.sample_id, label: row.label, top1: ids[0]!, correct: ids[0] === row.label,
        topk_ids: ids, topk_probs: ids.map((k) => p[k]!), status: 'ok' });
    }
  }
  return out.map(({ sample_id, label, top1, correct, topk_ids, topk_probs, status }) =>
    ({ sample_id, label, top1, correct, topk_ids, topk_probs, status }));
}

test('inferShard writes rows equal to direct in-process inference, row by row, corrupt image included', async (t) => {
  const { store, input } = await setup();
  const { inferShard } = createInferenceActivities({ store, backend, cacheDir: await tempDir() });
  const out = await inferShard(input);

  const written = await readPredictions(await store.get(predictionKey('run-1', 'tiny-cnn', 0)));
  const expected = await directPredictions();
  t.is(written.length, ROWS);
  for (const [i, row] of written.entries()) t.deepEqual(row, expected[i], `row ${i}`);
  t.deepEqual(written[CORRUPT_AT], {
    sample_id: 'test-00037', label: 7, top1: -1, correct: false, topk_ids: [], topk_probs: [], status: 'corrupt',
  });
  t.like(out, {
    key: 'runs/run-1/predictions/model=tiny-cnn/shard=00000.parquet', rows: ROWS, cached: false, backend: 'wasm',
    correct: expected.filter((r) => r.correct).length, corrupt: 1,
  });
  t.true(out.imagesPerSecond > 0);
});

test('a second inferShard for the same model and shard is served from the cache with identical bytes', async (t) => {
  const { store, input, shard } = await setup();
  const { inferShard } = createInferenceActivities({ store, backend, cacheDir: await tempDir() });
  const first = await inferShard(input);
  const second = await inferShard({ ...input, runId: 'run-2' });
  t.false(first.cached);
  t.true(second.cached);
  t.is(second.imagesPerSecond, 0);
  t.like(second, { rows: ROWS, correct: first.correct, corrupt: 1 });
  const bytes = await store.get(first.key);
  t.deepEqual(await store.get(second.key), bytes);
  t.deepEqual(await store.get(cacheKey(input.modelDigest, shard.sha256, 5)), bytes);
});

test('a cache entry that fails verification is inferred again, giving the same bytes', async (t) => {
  const { store, input, shard } = await setup();
  const { inferShard } = createInferenceActivities({ store, backend, cacheDir: await tempDir() });
  const first = await inferShard(input);
  const bytes = await store.get(first.key);
  await store.put(cacheKey(input.modelDigest, shard.sha256, 5), bytes.subarray(0, 100));
  const again = await inferShard({ ...input, runId: 'run-2' });
  t.false(again.cached);
  t.deepEqual(await store.get(again.key), bytes);
});

test('a shard whose bytes do not match the manifest sha256 fails without retry', async (t) => {
  const { store, input, shard } = await setup();
  const tampered = await store.get(shard.key);
  tampered[200] = tampered[200]! ^ 0xff;
  await store.put(shard.key, tampered);
  const { inferShard } = createInferenceActivities({ store, backend, cacheDir: await tempDir() });
  const err = await t.throwsAsync(inferShard(input), {
    instanceOf: ApplicationFailure,
    message: `dataset: shard datasets/tiny/shards/shard-00000.parquet has sha256 ${sha256(tampered)}, manifest says ${shard.sha256}`,
  });
  t.true(err.nonRetryable);
  t.is(err.type, 'BadInput');
});

test('a registered model whose digest differs from the planned one fails without retry', async (t) => {
  const { store, input } = await setup();
  const { inferShard } = createInferenceActivities({ store, backend, cacheDir: await tempDir() });
  const err = await t.throwsAsync(inferShard({ ...input, modelDigest: 'f'.repeat(64) }), {
    instanceOf: ApplicationFailure,
    message: `infer: model tiny-cnn has digest ${input.modelDigest}, the run expects ${'f'.repeat(64)}`,
  });
  t.true(err.nonRetryable);
});

/** Runs inferShard in the SDK's activity harness; collects heartbeats; cancels after `cancelAfter` of them. */
async function runAttempt(
  s: Setup, cacheDir: string, details?: InferShardProgress, cancelAfter = Infinity,
): Promise<{ out?: InferShardOutput; error?: unknown; heartbeats: InferShardProgress[] }> {
  const env = new MockActivityEnvironment(details ? { heartbeatDetails: details } : {}, { logger: new DefaultLogger('WARN') });
  const heartbeats: InferShardProgress[] = [];
  env.on('heartbeat', (d: InferShardProgress) => {
    heartbeats.push(d);
    if (heartbeats.length >= cancelAfter) env.cancel();
  });
  const { inferShard } = createInferenceActivities({ store: s.store, backend, cacheDir });
  try {
    return { out: await env.run(inferShard, s.input), heartbeats };
  } catch (error) {
    return { error, heartbeats };
  }
}

test('a retried inferShard resumes after the last heartbeated batch and writes identical bytes', async (t) => {
  const straight = await setup();
  const reference = await runAttempt(straight, await tempDir());
  t.deepEqual(reference.heartbeats, [{ rowsDone: 32, batch: 0 }, { rowsDone: 64, batch: 1 }, { rowsDone: 70, batch: 2 }]);
  const expected = await straight.store.get(predictionKey('run-1', 'tiny-cnn', 0));

  const s = await setup();
  const cacheDir = await tempDir();
  const first = await runAttempt(s, cacheDir, undefined, 1);
  t.true(first.error instanceof CancelledFailure, 'the first attempt is cancelled after one batch');
  t.deepEqual(first.heartbeats, [{ rowsDone: 32, batch: 0 }]);

  const second = await runAttempt(s, cacheDir, first.heartbeats[0]);
  t.deepEqual(second.heartbeats, [{ rowsDone: 64, batch: 1 }, { rowsDone: 70, batch: 2 }], 'batch 0 is not inferred again');
  t.false(second.out!.cached);
  t.deepEqual(await s.store.get(second.out!.key), expected);
});

test('a retry on a host without the scratch file recomputes the shard and writes identical bytes', async (t) => {
  const straight = await setup();
  await runAttempt(straight, await tempDir());
  const expected = await straight.store.get(predictionKey('run-1', 'tiny-cnn', 0));

  const s = await setup();
  const retry = await runAttempt(s, await tempDir(), { rowsDone: 64, batch: 1 });
  t.deepEqual(retry.heartbeats.map((h) => h.rowsDone), [32, 64, 70]);
  t.deepEqual(await s.store.get(retry.out!.key), expected);
});
