/**
 * `npm run bench -- pipeline [--models 2] [--shards 16] [--shard-size 500]`
 *
 * Wall time of M models × S shards through Temporal (inference worker processes, the real local dev server and
 * MinIO) against a plain in-process loop running the same inferShard code on the same shards, in the same run.
 * The prediction cache is cleared before each phase so every phase infers everything. Prints both times, their
 * ratio (goal ≤ 1.1×), images/s per worker, and the speed-up of two workers over one; the last line is JSON.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { addModel, listModels } from '../activities/model-store.js';
import { createInferenceActivities } from '../activities/infer-shard.js';
import { ingest } from '../datasets/ingest.js';
import { loadConfig, type Config } from '../infra/config.js';
import { REPO_ROOT, stackUp } from '../infra/stack.js';
import { S3Store } from '../infra/store.js';
import { selectBackend } from '../worker/backend.js';
import { createCrossfixWorker } from '../worker/main.js';
import { startRun } from '../cli/run.js';
import { zooModelDirs } from '../cli/demo.js';
import { spawnWorker } from '../cli/spawn-worker.js';
import { writeFashionMnistSubset } from '../test/helpers/fixtures.js';

interface Setup {
  config: Config;
  store: S3Store;
  models: string[];
  shards: Awaited<ReturnType<typeof ingest>>['shards'];
  images: number;
}

async function setup(models: number, shards: number, shardSize: number): Promise<Setup> {
  await stackUp();
  const config = { ...loadConfig({ ...process.env, CROSSFIX_S3_BUCKET: 'crossfix-bench' }),
    inferenceQueue: 'bench-inference', analysisQueue: 'bench-analysis' };
  const store = new S3Store(config.s3);
  await store.ensureBucket();
  const tmp = await mkdtemp(join(tmpdir(), 'crossfix-bench-'));
  const manifest = await ingest({ kind: 'idx', ...(await writeFashionMnistSubset(tmp, shards * shardSize)) },
    { name: `fm-${shards}x${shardSize}`, store, shardSize });
  for (const dir of (await zooModelDirs(REPO_ROOT)).slice(0, models)) await addModel(store, dir, { replace: true });
  const names = (await listModels(store)).map((m) => m.name).slice(0, models);
  return { config, store, models: names, shards: manifest.shards, images: manifest.samples };
}

/** The baseline: one process, one loop, the same activity code without Temporal. */
async function inProcess(s: Setup, dataset: string): Promise<number> {
  const { inferShard } = createInferenceActivities({ store: s.store, backend: await selectBackend('wasm') });
  const digests = new Map((await listModels(s.store)).map((m) => [m.name, m.digest]));
  const t0 = performance.now();
  for (const model of s.models) {
    for (const shard of s.shards) {
      await inferShard({ runId: 'bench-inprocess', dataset, shard, model, modelDigest: digests.get(model)! });
    }
  }
  return (performance.now() - t0) / 1000;
}

function startWorkers(count: number, config: Config): Promise<ChildProcess[]> {
  const env = { ...process.env, CROSSFIX_S3_BUCKET: config.s3.bucket, CROSSFIX_INFERENCE_QUEUE: config.inferenceQueue };
  return Promise.all(Array.from({ length: count }, () => spawnWorker('inference', { env })));
}

/** M models × S shards through Temporal with `workers` inference worker processes. */
async function throughTemporal(s: Setup, dataset: string, workers: number, client: Client): Promise<number> {
  await s.store.deletePrefix('cache/');
  const children = await startWorkers(workers, s.config);
  try {
    const t0 = performance.now();
    const runId = `bench-${workers}w-${Date.now()}`;
    const handle = await startRun(client, s.config, { runId, dataset, models: s.models, analysis: false, window: 2 });
    await handle.result();
    return (performance.now() - t0) / 1000;
  } finally {
    for (const c of children) c.kill('SIGTERM');
  }
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: {
    models: { type: 'string', default: '2' }, shards: { type: 'string', default: '16' },
    'shard-size': { type: 'string', default: '500' } } });
  if (!existsSync(join(REPO_ROOT, 'dist', 'cli', 'main.js'))) throw new Error('bench: run npm run build first');
  const s = await setup(Number(values.models), Number(values.shards), Number(values['shard-size']));
  const dataset = `fm-${values.shards}x${values['shard-size']}`;
  const images = s.images * s.models.length;
  console.log(`pipeline bench: ${s.models.length} models (${s.models.join(', ')}) × ${s.shards.length} shards = ${images} images`);

  await s.store.deletePrefix('cache/');
  const baseline = await inProcess(s, dataset);
  console.log(`in-process loop          ${baseline.toFixed(2)} s  ${(images / baseline).toFixed(1)} img/s`);

  const worker = await createCrossfixWorker({ kind: 'analysis', config: s.config });
  const running = worker.run();
  const client = new Client({ connection: await Connection.connect({ address: s.config.temporal.address }) });
  try {
    const one = await throughTemporal(s, dataset, 1, client);
    console.log(`temporal, 1 worker       ${one.toFixed(2)} s  ${(images / one).toFixed(1)} img/s per worker  ratio ${(one / baseline).toFixed(3)}×`);
    const two = await throughTemporal(s, dataset, 2, client);
    console.log(`temporal, 2 workers      ${two.toFixed(2)} s  ${(images / two / 2).toFixed(1)} img/s per worker  speed-up ${(one / two).toFixed(2)}×`);
    // the loop again, warm, so that neither side gains from running first or last
    await s.store.deletePrefix('cache/');
    const again = await inProcess(s, dataset);
    const base = Math.min(baseline, again);
    console.log(`in-process loop, again   ${again.toFixed(2)} s  ratio of 1 worker to the faster loop ${(one / base).toFixed(3)}×`);
    console.log(JSON.stringify({ bench: 'pipeline', models: s.models.length, shards: s.shards.length, images,
      inprocess_s: baseline, inprocess_again_s: again, temporal_1w_s: one, temporal_2w_s: two, ratio_1w: one / base,
      img_per_s_per_worker_1w: images / one, img_per_s_per_worker_2w: images / two / 2, speedup_2w: one / two }));
  } finally {
    worker.shutdown();
    await running;
  }
}
