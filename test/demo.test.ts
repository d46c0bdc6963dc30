/**
 * `crossfix demo --json` end to end through the compiled CLI, on the real local stack and the real
 * Fashion-MNIST test split: every zoo model's accuracy through the pipeline must match the accuracy PyTorch
 * measured at training time within 0.1 percentage point.
 */
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from '../infra/stack.js';
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

  const status = await crossfix(['status', last.runId, '--json'], env);
  t.is(status.code, 0, status.stderr);
  t.like(JSON.parse(status.stdout), { runId: last.runId, stage: 'done', status: 'COMPLETED' });
});
