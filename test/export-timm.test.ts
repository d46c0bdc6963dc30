/**
 * The user's path from a timm model to a registered crossfix model, through the real tools: export_timm.py
 * (Debian torch + timm) → `crossfix convert --card --check` (onnxruntime parity) → `crossfix models add` (MinIO).
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../infra/stack.js';
import { crossfix } from './helpers/cli.js';
import { testEnv } from './helpers/stack.js';

const run = promisify(execFile);

test('a timm model exported with its data config converts with parity and registers', async (t) => {
  t.timeout(10 * 60_000);
  const dir = await mkdtemp(join(tmpdir(), 'crossfix-timm-'));
  await run('/usr/bin/python3', [join(REPO_ROOT, 'conversion', 'export_timm.py'), 'mobilenetv3_small_050',
    join(dir, 'export'), '--random', '--num-classes', '10'], { timeout: 5 * 60_000 });
  const exported = JSON.parse(await readFile(join(dir, 'export', 'crossfix-model.json'), 'utf8'));
  t.like(exported, { numClasses: 10, input: { height: 224, width: 224, channels: 3 },
    preprocessing: { interpolation: 'bicubic', cropFraction: 0.875, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } });

  const conv = await crossfix(['convert', join(dir, 'export', 'model.onnx'), '--out', join(dir, 'tfjs'),
    '--card', join(dir, 'export', 'crossfix-model.json'), '--check']);
  t.is(conv.code, 0, conv.stderr);
  const res = JSON.parse(conv.stdout) as { card: { input: { layout: string } }; parity: { maxAbsDiff: number; top1Agreement: number } };
  t.is(res.card.input.layout, 'NHWC');
  t.true(res.parity.maxAbsDiff <= 1e-4, `max |Δ logit| ${res.parity.maxAbsDiff}`);
  t.is(res.parity.top1Agreement, 1);

  const env = await testEnv('timm');
  const add = await crossfix(['models', 'add', join(dir, 'tfjs'), '--json'], { CROSSFIX_S3_BUCKET: env.config.s3.bucket });
  t.is(add.code, 0, add.stderr);
  t.like(JSON.parse(add.stdout), { name: exported.name, unchanged: false });
});
