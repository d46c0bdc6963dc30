import test from 'ava';
import { readFileSync } from 'node:fs';
import { checkParity, randomInput } from '../conversion/check.js';
import { convertOnnx } from '../conversion/convert.js';
import { onnxFixtures, type OnnxFixture } from './convert-fixtures.js';

const FAMILIES = ['resnet', 'vgg', 'densenet', 'efficientnet', 'mobilenetv3', 'convnext', 'vit', 'deit', 'swin'];

let fixtures: Map<string, OnnxFixture>;
test.before(async () => {
  fixtures = new Map((await onnxFixtures('timm')).map((f) => [f.name, f]));
});

for (const family of FAMILIES) {
  test(`a small random timm ${family} matches onnxruntime to fp32 rounding (1e-4, or 1e-5 of the logit scale) with the same top-1`, async (t) => {
    const f = fixtures.get(`timm-${family}`);
    if (!f) return t.fail(`fixture timm-${family} was not exported`);
    const bytes = new Uint8Array(readFileSync(f.path));
    const r = await checkParity(bytes, convertOnnx(bytes), [randomInput([4, ...f.input], 5)]);
    t.log(`timm ${family} (opset ${f.opset}): max |Δ| ${r.maxAbsDiff.toExponential(2)} at max |logit| ${r.maxAbsLogit.toFixed(1)}, top-1 agreement ${r.top1Agreement} over ${r.n}`);
    // fp32 rounding grows with depth and logit scale: 1e-4 absolute, or 1e-5 of the largest logit.
    t.true(r.maxAbsDiff <= Math.max(1e-4, 1e-5 * r.maxAbsLogit), `max |Δ| ${r.maxAbsDiff} at max |logit| ${r.maxAbsLogit}`);
    t.is(r.top1Agreement, 1);
  });
}
