/**
 * `crossfix demo --json` end to end through the compiled CLI, on the real local stack and the real
 * Fashion-MNIST test split: every zoo model's accuracy through the pipeline must match the accuracy PyTorch
 * measured at training time within 0.1 percentage point.
 */
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { loadConfig } from '../infra/config.js';
import { REPO_ROOT } from '../infra/stack.js';
import { S3Store } from '../infra/store.js';
import { crossfix } from './helpers/cli.js';
import { ensureStack } from './helpers/stack.js';

interface TrainingLog {
  models: Record<string, { testAccuracy: number; testCorrect: number }>;
}

test('the demo reproduces the zoo accuracies PyTorch measured, within 0.1 percentage point', async (t) => {
  t.timeout(30 * 60_000);
  await ensureStack();
  const tag = randomBytes(3).toString('hex');
  const env = { CROSSFIX_S3_BUCKET: `t-demo-${tag}`, CROSSFIX_INFERENCE_QUEUE: `demo-infer-${tag}`,
    CROSSFIX_ANALYSIS_QUEUE: `demo-analysis-${tag}` };
  const res = await crossfix(['demo', '--json'], env);
  t.is(res.code, 0, res.stderr);
  const last = JSON.parse(res.stdout.trim().split('\n').at(-1)!) as {
    runId: string; models: { name: string; accuracy: number }[]; outputs: Record<string, string> };

  const log = JSON.parse(await readFile(join(REPO_ROOT, 'conversion', 'zoo', 'training-log.json'), 'utf8')) as TrainingLog;
  t.deepEqual(last.models.map((m) => m.name).sort(), Object.keys(log.models).sort());
  t.true(last.models.length >= 6);
  for (const m of last.models) {
    const torch = log.models[m.name]!.testAccuracy;
    t.true(Math.abs(m.accuracy - torch) <= 0.001, `${m.name}: pipeline ${m.accuracy}, PyTorch ${torch}`);
  }
  t.regex(last.outputs.summary ?? '', new RegExp(`^s3://t-demo-${tag}/runs/${last.runId}/summary\\.json$`));
  t.truthy(last.outputs.webUi);

  // per image: the pipeline's top-1 equals PyTorch's on (almost) every test image
  const store = new S3Store(loadConfig({ ...process.env, ...env }).s3);
  const dir = await mkdtemp(join(tmpdir(), 'crossfix-demo-'));
  for (const o of await store.list(`runs/${last.runId}/predictions/`)) {
    await mkdir(dirname(join(dir, o.key)), { recursive: true });
    await writeFile(join(dir, o.key), await store.get(o.key));
  }
  const db = await (await DuckDBInstance.create(':memory:')).connect();
  const rows = (await db.runAndReadAll(`
    with p as (select * from read_parquet('${dir}/runs/${last.runId}/predictions/*/*.parquet', hive_partitioning = true)),
         t as (select regexp_extract(filename, '([^/]+)\\.csv$', 1) as model, column0 as sample_id, column1 as top1
               from read_csv('${REPO_ROOT}/conversion/zoo/pytorch-predictions/*.csv', header = false, filename = true))
    select p.model, count(*) as n, sum((p.top1 = t.top1)::int) as same
    from p join t on p.model = t.model and p.sample_id = t.sample_id group by p.model order by p.model`)).getRowObjectsJson();
  t.is(rows.length, last.models.length);
  for (const r of rows) {
    t.is(Number(r.n), 10000, String(r.model));
    t.true(Number(r.same) >= 9990, `${r.model}: top-1 equal to PyTorch on ${r.same} of 10000 images`);
  }

  const status = await crossfix(['status', last.runId, '--json'], env);
  t.is(status.code, 0, status.stderr);
  t.like(JSON.parse(status.stdout), { runId: last.runId, stage: 'done', status: 'COMPLETED' });
});
