/**
 * The CLI's happy path as a user runs it, on the real local stack: `ingest` an IDX pair, `models add` two zoo
 * models, start `crossfix worker` processes for both queues, `run --wait --json`, then `status --json`.
 */
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../infra/config.js';
import { REPO_ROOT } from '../infra/stack.js';
import { S3Store } from '../infra/store.js';
import { spawnWorker } from '../cli/spawn-worker.js';
import { crossfix } from './helpers/cli.js';
import { writeFashionMnistSubset } from './helpers/fixtures.js';
import { ensureStack } from './helpers/stack.js';

const IMAGES = 300;
const MODELS = ['lenet', 'mlp'];

/** Correct top-1 among the first `n` test images, from the PyTorch predictions kept with the zoo. */
async function pytorchCorrect(model: string, n: number): Promise<number> {
  const csv = await readFile(join(REPO_ROOT, 'conversion', 'zoo', 'pytorch-predictions', `${model}.csv`), 'utf8');
  return csv.trim().split('\n').slice(0, n).filter((line) => {
    const cells = line.split(',');
    return cells[1] === cells.at(-1);
  }).length;
}

test('ingest, models add, worker and run --wait work together from the command line', async (t) => {
  t.timeout(10 * 60_000);
  await ensureStack();
  const tag = randomBytes(3).toString('hex');
  const env = { CROSSFIX_S3_BUCKET: `t-cli-${tag}`, CROSSFIX_INFERENCE_QUEUE: `cli-infer-${tag}`,
    CROSSFIX_ANALYSIS_QUEUE: `cli-analysis-${tag}` };
  const idx = await writeFashionMnistSubset(await mkdtemp(join(tmpdir(), 'crossfix-cli-')), IMAGES);

  const ingest = await crossfix(['ingest', idx.images, '--name', 'fm300', '--shard-size', '100', '--json'], env);
  t.is(ingest.code, 0, ingest.stderr);
  t.like(JSON.parse(ingest.stdout), { name: 'fm300', samples: IMAGES });
  for (const m of MODELS) {
    const add = await crossfix(['models', 'add', join(REPO_ROOT, 'conversion', 'zoo', 'models', m), '--json'], env);
    t.is(add.code, 0, add.stderr);
  }

  const workerEnv = { ...process.env, ...env };
  const workers = await Promise.all([spawnWorker('inference', { env: workerEnv }), spawnWorker('analysis', { env: workerEnv })]);
  try {
    const run = await crossfix(['run', '--dataset', 'fm300', '--models', MODELS.join(','), '--run-id', `cli-${tag}`,
      '--wait', '--json'], env);
    t.is(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout) as { runId: string; models: { model: string; correct: number; images: number }[];
      outputs: Record<string, string> };
    t.is(out.runId, `cli-${tag}`);
    for (const m of MODELS) {
      t.like(out.models.find((x) => x.model === m), { images: IMAGES, correct: await pytorchCorrect(m, IMAGES) });
    }
    t.is(out.outputs['report.html'], `s3://t-cli-${tag}/runs/cli-${tag}/analysis/report.html`);

    // the analysis alone, again, from the run's predictions in S3 into a local folder: the same bytes
    const out2 = await mkdtemp(join(tmpdir(), 'crossfix-analyze-'));
    const again = await crossfix(['analyze', '--run', `cli-${tag}`, '--out', out2, '--json'], env);
    t.is(again.code, 0, again.stderr);
    const store = new S3Store(loadConfig({ ...process.env, ...env }).s3);
    for (const file of ['summary.json', 'pairs.parquet', 'report.html']) {
      t.true((await readFile(join(out2, file))).equals(await store.get(`runs/cli-${tag}/analysis/${file}`)), file);
    }

    const status = await crossfix(['status', `cli-${tag}`, '--json'], env);
    t.is(status.code, 0, status.stderr);
    t.like(JSON.parse(status.stdout), { stage: 'done', status: 'COMPLETED' });
  } finally {
    for (const w of workers) w.kill('SIGTERM');
  }
});
