/**
 * `crossfix demo`: the whole job on the embedded default. Starts the local stack, ingests Fashion-MNIST's test
 * split, registers the bundled model zoo, starts one analysis worker in this process and inference workers as
 * child processes, runs every zoo model over every shard, and prints accuracies, outputs and the Web UI URL.
 * A second demo reuses the dataset, the registrations and the prediction cache.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../infra/config.js';

export interface DemoOptions {
  config: Config;
  /** Inference worker processes. @default 2 */
  workers?: number;
  /** End the output with one JSON line. @default false */
  json?: boolean;
  /** Dataset name for the ingested test split. @default 'fashion-mnist' */
  dataset?: string;
}

const say = (msg: string): void => void process.stderr.write(`demo: ${msg}\n`);

/** Folders of the bundled zoo (conversion/zoo/models/<name>/), sorted. */
export async function zooModelDirs(root: string): Promise<string[]> {
  const dir = join(root, 'conversion', 'zoo', 'models');
  if (!existsSync(dir)) throw new Error(`demo: the model zoo ${dir} is missing`);
  const names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  return names.map((n) => join(dir, n));
}

/** Runs the demo end to end; see the file comment. */
export async function demo(opts: DemoOptions): Promise<void> {
  const [{ stackUp, REPO_ROOT }, { S3Store }, { loadManifestIfPresent, ingestCommand }, { addModel }] = await Promise.all([
    import('../infra/stack.js'), import('../infra/store.js'), import('../datasets/ingest.js'),
    import('../activities/model-store.js')]);
  const dataset = opts.dataset ?? 'fashion-mnist';
  const status = await stackUp();
  say(`stack ready; Temporal Web UI ${status[0]!.url}`);
  const store = new S3Store(opts.config.s3);
  await store.ensureBucket();

  if (!(await loadManifestIfPresent(store, dataset))) {
    const t0 = Date.now();
    const m = await ingestCommand({ source: 'fashion-mnist:test', name: dataset, store });
    say(`ingested ${m.samples} images into ${m.shards.length} shards in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const models: string[] = [];
  // the bundled zoo is authoritative: a re-converted model replaces an older registration of the same name
  for (const dir of await zooModelDirs(REPO_ROOT)) models.push((await addModel(store, dir, { replace: true })).name);
  say(`registered ${models.length} models: ${models.join(', ')}`);

  const { spawnWorker } = await import('./spawn-worker.js');
  const started = await Promise.allSettled(Array.from({ length: opts.workers ?? 2 }, () => spawnWorker('inference', { echo: true })));
  const children = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    for (const c of children) c.kill('SIGTERM');
    throw failed.reason;
  }
  try {
    await runWithAnalysisWorker(opts, dataset, models, status[0]!.url);
  } finally {
    for (const c of children) c.kill('SIGTERM');
  }
}

async function runWithAnalysisWorker(opts: DemoOptions, dataset: string, models: string[], ui: string): Promise<void> {
  const [{ createCrossfixWorker }, { connectClient }, { startRun, followRun, formatProgress, newRunId }] = await Promise.all([
    import('../worker/main.js'), import('../infra/temporal.js'), import('./run.js')]);
  const worker = await createCrossfixWorker({ kind: 'analysis', config: opts.config });
  const running = worker.run();
  try {
    const client = await connectClient(opts.config.temporal);
    const runId = newRunId('demo');
    const handle = await startRun(client, opts.config, { runId, dataset, models });
    say(`run ${runId} started: ${ui}/namespaces/${opts.config.temporal.namespace}/workflows/${encodeURIComponent(handle.workflowId)}`);
    let last = '';
    const result = await followRun(handle, (p) => {
      const line = formatProgress(p).split('\n')[0]!;
      if (line !== last) say((last = line));
    }, 2000);
    console.log(`\nrun ${runId}: ${result.samples} images, ${result.models.length} models`);
    const rows: [string, string][] = [...Object.entries(result.outputs), ['Temporal Web UI', ui],
      ['DuckDB (httpfs)', `select * from read_parquet('${result.outputs.predictions}*/*.parquet', hive_partitioning = true)`]];
    const width = Math.max(...rows.map(([k]) => k.length), ...result.models.map((m) => m.model.length));
    for (const m of result.models) {
      const cached = m.cachedShards === m.shardsTotal ? '  (from the prediction cache)' : '';
      console.log(`  ${m.model.padEnd(width)}  accuracy ${(m.accuracy * 100).toFixed(2)}%${cached}`);
    }
    for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
    if (opts.json) {
      console.log(JSON.stringify({ runId, models: result.models.map((m) => ({ name: m.model, accuracy: m.accuracy })),
        outputs: { ...result.outputs, webUi: ui } }));
    }
  } finally {
    worker.shutdown();
    await running;
  }
}
