/**
 * The user's path from a timm model to a registered crossfix model, through the real tools: export_timm.py
 * (Debian torch + timm) → `crossfix convert --card --check --images` (onnxruntime parity on random inputs and real
 * photographs) → `crossfix models add` (MinIO).
 */
import test from 'ava';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../infra/stack.js';
import { crossfix } from './helpers/cli.js';
import { testEnv } from './helpers/stack.js';

const run = promisify(execFile);
/** Real photographs (a video frame) that ship with Go, which the set-up needs anyway. */
const GO_TESTDATA = join(execFileSync('go', ['env', 'GOROOT'], { encoding: 'utf8' }).trim(), 'src', 'image', 'testdata');
const PHOTOS = ['video-001.jpeg', 'video-001.q50.420.jpeg', 'video-001.png'].map((f) => join(GO_TESTDATA, f));

test('a timm model exported with its data config converts with parity and registers', async (t) => {
  t.timeout(10 * 60_000);
  const dir = await mkdtemp(join(tmpdir(), 'crossfix-timm-'));
  await run('/usr/bin/python3', [join(REPO_ROOT, 'conversion', 'export_timm.py'), 'mobilenetv3_small_050',
    join(dir, 'export'), '--random', '--num-classes', '10'], { timeout: 5 * 60_000 });
  const exported = JSON.parse(await readFile(join(dir, 'export', 'crossfix-model.json'), 'utf8'));
  t.like(exported, { numClasses: 10, input: { height: 224, width: 224, channels: 3 },
    preprocessing: { interpolation: 'bicubic', cropFraction: 0.875, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } });

  const conv = await crossfix(['convert', join(dir, 'export', 'model.onnx'), '--out', join(dir, 'tfjs'),
    '--card', join(dir, 'export', 'crossfix-model.json'), '--check', '--images', ...PHOTOS]);
  t.is(conv.code, 0, conv.stderr);
  const res = JSON.parse(conv.stdout) as { card: { input: { layout: string } }; parity: { maxAbsDiff: number; top1Agreement: number; n: number; maxAbsLogit: number } };
  t.is(res.card.input.layout, 'NHWC');
  t.log(JSON.stringify(res.parity));
  // 1e-4 absolute, or 1e-5 of the largest logit: a random-init net gives real photographs logits near 100, where
  // fp32 accumulation order alone moves them by ~1e-4 (see test/convert-timm.test.ts for the measurements)
  const { maxAbsDiff, maxAbsLogit } = res.parity;
  t.true(maxAbsDiff <= Math.max(1e-4, 1e-5 * maxAbsLogit), `max |Δ logit| ${maxAbsDiff} at max |logit| ${maxAbsLogit}`);
  t.is(res.parity.top1Agreement, 1);
  t.is(res.parity.n, 8 + PHOTOS.length);

  const env = await testEnv('timm');
  const add = await crossfix(['models', 'add', join(dir, 'tfjs'), '--json'], { CROSSFIX_S3_BUCKET: env.config.s3.bucket });
  t.is(add.code, 0, add.stderr);
  t.like(JSON.parse(add.stdout), { name: exported.name, unchanged: false });
});
