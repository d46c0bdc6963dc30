/**
 * The spine end to end on the real local Temporal dev server and MinIO: ingest real Fashion-MNIST images into
 * four shards, register small TF.js models, run the evaluate workflow with in-process workers, and read the
 * Parquet predictions back from MinIO with DuckDB.
 */
import test from 'ava';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Context } from '@temporalio/activity';
import { type Client, WorkflowFailedError } from '@temporalio/client';
import { DuckDBInstance } from '@duckdb/node-api';
import { addModel, loadModel } from '../activities/model-store.js';
import { inferRows, type InferShardInput } from '../activities/infer-shard.js';
import { ingest } from '../datasets/ingest.js';
import { readShard } from '../datasets/shard-reader.js';
import type { DatasetManifest } from '../lib/dataset.js';
import { failureMessage, runWorkflowId, startRun } from '../cli/run.js';
import type { EvaluateOutput } from '../workflows/evaluate.js';
import { writeFashionMnistSubset } from './helpers/fixtures.js';
import { testEnv, type TestEnv } from './helpers/stack.js';
import { writeTinyModel } from './helpers/tiny-models.js';
import { startTestWorkers, type TestWorkers } from './helpers/workers.js';

let env: TestEnv;
let client: Client;
let manifest: DatasetManifest;
const modelDirs: Record<string, string> = {};
let workers: TestWorkers | undefined;
/** Faults to inject: `model/shard` → attempts left to fail after the real work is done. */
const faults = new Map<string, number>();
const attempts: string[] = [];

test.before(async () => {
  env = await testEnv('pipeline');
  const tmp = await mkdtemp(join(tmpdir(), 'crossfix-pipeline-'));
  const idx = await writeFashionMnistSubset(tmp, 400);
  manifest = await ingest({ kind: 'idx', ...idx }, { name: 'fm400', store: env.store, shardSize: 100 });
  const specs = [
    { name: 'conv-a', seed: 1, kind: 'conv' as const },
    { name: 'dense-b', seed: 2, kind: 'dense' as const },
    { name: 'dense-c', seed: 3, kind: 'dense' as const },
    { name: 'five-classes', seed: 4, kind: 'dense' as const, numClasses: 5 },
  ];
  for (const s of specs) {
    modelDirs[s.name] = await writeTinyModel(tmp, s);
    await addModel(env.store, modelDirs[s.name]!);
  }

  workers = await startTestWorkers(env, join(tmp, 'scratch'), (inferShard) => async (input: InferShardInput) => {
    const id = `${input.runId}/${input.model}/${input.shard.index}`;
    attempts.push(`${id}#${Context.current().info.attempt}`);
    const out = await inferShard(input);
    const left = faults.get(`${input.model}/${input.shard.index}`) ?? 0;
    if (left > 0) {
      // a fault after the work: drop what this attempt wrote, so the retry must recompute it
      faults.set(`${input.model}/${input.shard.index}`, left - 1);
      await env.store.deletePrefix('cache/');
      await env.store.deletePrefix(out.key);
      throw new Error(`injected fault after ${id}`);
    }
    return out;
  });
  client = workers.client;
});

test.after.always(async () => {
  await workers?.stop();
});

/** Run ids are unique per test-file invocation: the dev server keeps workflow ids across test runs. */
const id = (run: string): string => `${env.tag}-${run}`;

async function run(runId: string, models: string[], extra: object = {}): Promise<EvaluateOutput> {
  const handle = await startRun(client, env.config, { runId: id(runId), dataset: 'fm400', models, window: 2, ...extra });
  return handle.result();
}

/** Copies a run's prediction files from MinIO into a local folder with the same key layout. */
async function fetchRun(runId: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'crossfix-fetch-'));
  for (const o of await env.store.list(`runs/${id(runId)}/predictions/`)) {
    const path = join(dir, o.key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, await env.store.get(o.key));
  }
  return join(dir, 'runs', id(runId), 'predictions');
}

async function duck(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

async function predictionBytes(runId: string, model: string): Promise<Buffer[]> {
  const files = (await env.store.list(`runs/${id(runId)}/predictions/model=${model}/`)).map((o) => o.key);
  return Promise.all(files.map((k) => env.store.get(k)));
}

test.serial('a run writes predictions that DuckDB reads back equal to in-process inference, row by row', async (t) => {
  const out = await run('r1', ['conv-a', 'dense-b']);
  t.is(manifest.shards.length, 4);
  t.deepEqual(out.models.map((m) => [m.model, m.shardsDone, m.images, m.cachedShards]),
    [['conv-a', 4, 400, 0], ['dense-b', 4, 400, 0]]);

  const dir = await fetchRun('r1');
  const rows = await duck(`select model, regexp_extract(filename, 'shard=(\\d+)', 1) as shard, sample_id, label, top1,
    correct, topk_ids, topk_probs, status
    from read_parquet('${dir}/*/*.parquet', hive_partitioning = true, filename = true) order by model, sample_id`);
  t.is(rows.length, 800);
  let compared = 0;
  for (const model of ['conv-a', 'dense-b']) {
    const loaded = await loadModel(env.store, model);
    const mine = rows.filter((r) => r.model === model);
    for (const shard of manifest.shards) {
      const direct = await inferRows(loaded, await readShard(await env.store.get(shard.key)));
      for (const d of direct) {
        const r = mine.find((x) => x.sample_id === d.sample_id)!;
        t.is(Number(r.shard), shard.index);
        t.deepEqual([r.label, r.top1, r.correct, r.status], [d.label, d.top1, d.correct, d.status]);
        t.deepEqual((r.topk_ids as number[]).map(Number), d.topk_ids);
        (r.topk_probs as number[]).forEach((p, i) => t.true(Math.abs(Number(p) - d.topk_probs[i]!) < 1e-6));
        compared++;
      }
    }
    const correct = mine.filter((r) => r.correct).length;
    t.is(out.models.find((m) => m.model === model)!.accuracy, correct / 400);
  }
  t.is(compared, 800);
  t.is(out.outputs.summary, env.store.url(`runs/${id('r1')}/summary.json`));
  t.is(out.outputs.predictions, `${env.store.url(`runs/${id('r1')}/predictions`)}/`);
});

test.serial('rerunning a run with the same inputs writes the same outputs, byte for byte', async (t) => {
  const keys = (await env.store.list(`runs/${id('r1')}/`)).map((o) => o.key).filter((k) => !k.endsWith('summary.json') ||
    k.includes('/analysis/'));
  const before = await Promise.all(keys.map((k) => env.store.get(k)));
  await run('r1', ['conv-a', 'dense-b']);
  t.deepEqual(await Promise.all(keys.map((k) => env.store.get(k))), before);
  t.true(keys.some((k) => k.endsWith('/analysis/triples.parquet')) || keys.some((k) => k.endsWith('/analysis/pairs.parquet')));
});

test.serial('a run id reused for other inputs is refused before anything is written', async (t) => {
  const msg = await failure('r1', ['dense-b']);
  t.is(msg, `run: run id ${id('r1')} already holds a run of other inputs (${env.store.url(`runs/${id('r1')}/run.json`)}); ` +
    'choose another run id');
});

test.serial('adding a model to a finished study infers only that model', async (t) => {
  const out = await run('r2', ['conv-a', 'dense-b', 'dense-c']);
  t.deepEqual(out.models.map((m) => [m.model, m.cachedShards]), [['conv-a', 4], ['dense-b', 4], ['dense-c', 0]]);
  t.deepEqual(await predictionBytes('r2', 'conv-a'), await predictionBytes('r1', 'conv-a'));
});

test.serial('a shard retried after a forced failure writes byte-identical Parquet', async (t) => {
  await env.store.deletePrefix('cache/');
  faults.set('conv-a/2', 1);
  const out = await run('r3', ['conv-a']);
  t.is(out.models[0]!.cachedShards, 0);
  t.deepEqual(attempts.filter((a) => a.startsWith(`${id('r3')}/conv-a/2#`)), [`${id('r3')}/conv-a/2#1`, `${id('r3')}/conv-a/2#2`]);
  t.deepEqual(await predictionBytes('r3', 'conv-a'), await predictionBytes('r1', 'conv-a'));
});

test.serial('a model whose child workflow continues as new after every shard gives the same predictions', async (t) => {
  const out = await run('r4', ['dense-b'], { shardsPerExecution: 1 });
  t.like(out.models[0], { model: 'dense-b', shardsDone: 4, images: 400 });
  const child = await client.workflow.getHandle(`${runWorkflowId(id('r4'))}/model=dense-b`).describe();
  t.not(child.runId, child.raw.workflowExecutionInfo?.firstRunId);
  t.deepEqual(await predictionBytes('r4', 'dense-b'), await predictionBytes('r1', 'dense-b'));
});

test.serial('the progress query reports every model of a finished run', async (t) => {
  const p = await client.workflow.getHandle(runWorkflowId(id('r2'))).query('progress');
  t.like(p, { runId: id('r2'), stage: 'done' });
  t.deepEqual((p as { models: { model: string; shardsDone: number; images: number; done: boolean }[] }).models
    .map((m) => [m.model, m.shardsDone, m.images, m.done]),
  [['conv-a', 4, 400, true], ['dense-b', 4, 400, true], ['dense-c', 4, 400, true]]);
});

test.serial('runs are findable by dataset and model through search attributes, with a memo', async (t) => {
  const query = `CrossfixDataset = 'fm400' AND CrossfixModels = 'dense-c'`;
  let ids: string[] = [];
  for (let i = 0; i < 50 && !ids.includes(runWorkflowId(id('r2'))); i++) {
    ids = [];
    for await (const w of client.workflow.list({ query })) ids.push(w.workflowId);
    if (!ids.includes(runWorkflowId(id('r2')))) await new Promise((r) => setTimeout(r, 200));
  }
  // the run itself, not its children (other test invocations' runs may match too)
  t.deepEqual(ids.filter((w) => w.startsWith(runWorkflowId(id('r2')))), [runWorkflowId(id('r2'))]);
  const desc = await client.workflow.getHandle(runWorkflowId(id('r2'))).describe();
  t.deepEqual(desc.memo, { dataset: 'fm400', models: 'conv-a,dense-b,dense-c' });
});

async function failure(runId: string, models: string[], extra: object = {}): Promise<string> {
  const err = await run(runId, models, extra).then(() => undefined, (e: unknown) => e);
  if (!(err instanceof WorkflowFailedError)) throw new Error(`expected run ${runId} to fail, got ${String(err)}`);
  return failureMessage(err);
}

test.serial('workflow options that are not positive integers fail the run naming option and value', async (t) => {
  t.is(await failure('bad-window', ['dense-b'], { window: 0 }), 'evaluate: window 0 is not a positive integer');
  t.is(await failure('bad-top-k', ['dense-b'], { topK: 2.5 }), 'evaluate: topK 2.5 is not a positive integer');
});

test.serial('a model that is not registered fails the run with one clear message', async (t) => {
  t.is(await failure('bad-model', ['conv-a', 'nope']),
    `run: model nope is not registered (${env.store.url('models/nope/crossfix-model.json')} is missing)`);
});

test.serial('a model whose classes disagree with the dataset fails the run', async (t) => {
  t.is(await failure('bad-classes', ['five-classes']), 'run: model five-classes has 5 classes, dataset fm400 has 10');
});

test.serial('a shard whose bytes differ from the manifest fails without retrying', async (t) => {
  const shard = manifest.shards[1]!;
  const original = await env.store.get(shard.key);
  const tampered = Buffer.from(original);
  tampered.writeUInt8(tampered.readUInt8(tampered.length - 100) ^ 0xff, tampered.length - 100);
  await env.store.put(shard.key, tampered);
  try {
    await env.store.deletePrefix('cache/');
    const before = attempts.length;
    const msg = await failure('bad-shard', ['dense-b']);
    const { sha256 } = await import('../infra/store.js');
    t.is(msg, `dataset: shard ${shard.key} has sha256 ${sha256(tampered)}, manifest says ${shard.sha256}`);
    t.is(attempts.slice(before).filter((a) => a.startsWith(`${id('bad-shard')}/dense-b/1#`)).length, 1);
  } finally {
    await env.store.put(shard.key, original);
  }
});
