/**
 * Chunked triple counting on the real local Temporal dev server and MinIO: a run with a tiny `tripleChunk`
 * counts its triples in separate countTriples activities and writes the same analysis bytes as a run that
 * counts them inside analyzeRun.
 */
import test from 'ava';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { addModel } from '../activities/model-store.js';
import { ingest } from '../datasets/ingest.js';
import { runWorkflowId, startRun } from '../cli/run.js';
import type { EvaluateInput } from '../workflows/evaluate.js';
import { writeFashionMnistSubset } from './helpers/fixtures.js';
import { testEnv, type TestEnv } from './helpers/stack.js';
import { writeTinyModel } from './helpers/tiny-models.js';
import { startTestWorkers, type TestWorkers } from './helpers/workers.js';

const MODELS = ['dense-1', 'dense-2', 'dense-3', 'conv-4', 'dense-5'];
let env: TestEnv;
let client: Client;
let workers: TestWorkers | undefined;

test.before(async () => {
  env = await testEnv('chunks');
  const tmp = await mkdtemp(join(tmpdir(), 'crossfix-chunks-'));
  const idx = await writeFashionMnistSubset(tmp, 200);
  await ingest({ kind: 'idx', ...idx }, { name: 'fm200', store: env.store, shardSize: 100 });
  for (const [i, name] of MODELS.entries()) {
    const kind = name.startsWith('conv') ? 'conv' as const : 'dense' as const;
    await addModel(env.store, await writeTinyModel(tmp, { name, seed: 10 + i, kind }));
  }

  workers = await startTestWorkers(env, join(tmp, 'scratch'));
  client = workers.client;
});

test.after.always(async () => {
  await workers?.stop();
});

async function run(name: string, extra: Partial<EvaluateInput> = {}): Promise<string> {
  const runId = `${env.tag}-${name}`;
  const handle = await startRun(client, env.config, { runId, dataset: 'fm200', models: MODELS, window: 2, ...extra });
  await handle.result();
  return runId;
}

/** Scheduled activities of a run's parent workflow, by activity type. */
async function scheduled(runId: string): Promise<Record<string, number>> {
  const history = await client.workflow.getHandle(runWorkflowId(runId)).fetchHistory();
  const counts: Record<string, number> = {};
  for (const e of history.events ?? []) {
    const type = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (type) counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}

const analysisFile = (runId: string, file: string) => env.store.get(`runs/${runId}/analysis/${file}`);

test.serial('a run with tripleChunk 3 counts triples in 4 activities and writes the same bytes as one analysis', async (t) => {
  const chunked = await run('chunked', { tripleChunk: 3, analysisWindow: 2 });
  const whole = await run('whole');

  t.deepEqual(await scheduled(chunked), {
    prepareRun: 1, packCorrectness: 1, countTriples: 4, analyzeRun: 1, removeAnalysisWork: 1, writeRunSummary: 1,
  });
  t.deepEqual(await scheduled(whole), { prepareRun: 1, analyzeRun: 1, writeRunSummary: 1 });
  for (const file of ['triples.parquet', 'summary.json']) {
    t.true((await analysisFile(chunked, file)).equals(await analysisFile(whole, file)), file);
  }
  const summary = JSON.parse((await analysisFile(chunked, 'summary.json')).toString('utf8')) as { triples: unknown[] };
  t.is(summary.triples.length, 10);
  t.deepEqual(await env.store.list(`runs/${chunked}/analysis/_work/`), []);
});
