import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { preprocessToUint8 } from '../conversion/preprocess.js';
test('x', async (t) => {
  const photos = JSON.parse(execFileSync('/usr/bin/python3', ['test/fixtures/pillow_preprocess.py', 'photos'], { encoding: 'utf8' })) as string[];
  const paths = [...photos, ...readdirSync('/tmp/pp/edge').map((n) => '/tmp/pp/edge/' + n), '/root/.cache/crossfix/python3-skimage/usr/lib/python3/dist-packages/skimage/data/truncated.jpg'];
  const cs = [];
  for (const path of paths) for (const interpolation of ['nearest', 'box', 'lanczos'] as const) for (const [h, w, f] of [[224, 224, 0.875], [33, 33, 0.9]] as const) cs.push({ path, height: h, width: w, channels: 3, cropFraction: f, interpolation, mean: [0, 0, 0], std: [1, 1, 1] });
  const refs = execFileSync('/usr/bin/python3', ['test/fixtures/pillow_preprocess.py', 'run'], { input: JSON.stringify(cs), encoding: 'utf8', maxBuffer: 1 << 30 }).trim().split('\n').map((l) => JSON.parse(l));
  for (const [i, c] of cs.entries()) {
    const ref = refs[i];
    let got; try { got = await preprocessToUint8(readFileSync(c.path), { input: { ...c, layout: 'NHWC' }, preprocessing: { ...c, cropMode: 'center' } } as any); } catch (e) { t.log(c.path, 'ERR', (e as Error).message, ref.error); continue; }
    if (ref.error) { t.log('pillow error only', ref.error); continue; }
    const want = Buffer.from(ref.crop, 'base64'); let m = 0; for (let j = 0; j < want.length; j++) m = Math.max(m, Math.abs(want[j]! - got.data[j]!));
    if (m) t.log(c.path.split('/').pop(), c.interpolation, c.height, m);
  }
  t.pass();
});
