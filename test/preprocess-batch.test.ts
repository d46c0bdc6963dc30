import test from 'ava';
import sharp from 'sharp';

import { preprocessBatch, preprocessImage, type PreprocessCard } from '../conversion/preprocess.js';

const card = (layout: 'NHWC' | 'NCHW'): PreprocessCard => ({
  input: { height: 4, width: 4, channels: 3, layout },
  preprocessing: {
    interpolation: 'bicubic',
    cropFraction: 0.875,
    cropMode: 'center',
    mean: [0.5, 0.4, 0.3],
    std: [0.2, 0.25, 0.3],
  },
});

const png = (width: number, height: number, seed: number): Promise<Buffer> => {
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + seed * 11) % 256;
  return sharp(data, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
};

test('preprocessBatch writes each image in NHWC order at its own offset', async (t) => {
  const images = [await png(9, 7, 1), await png(5, 12, 2)];
  const out = new Float32Array(2 * 48);
  t.deepEqual(await preprocessBatch(images, card('NHWC'), out), [null, null]);
  t.deepEqual(out.subarray(0, 48), await preprocessImage(images[0]!, card('NHWC')));
  t.deepEqual(out.subarray(48), await preprocessImage(images[1]!, card('NHWC')));
});

test('preprocessBatch writes channel planes for an NCHW model', async (t) => {
  const image = await png(9, 7, 3);
  const out = new Float32Array(48);
  await preprocessBatch([image], card('NCHW'), out);
  const hwc = await preprocessImage(image, card('NCHW'));
  const chw = new Float32Array(48);
  for (let p = 0; p < 16; p++) for (let c = 0; c < 3; c++) chw[c * 16 + p] = hwc[p * 3 + c]!;
  t.deepEqual(out, chw);
});

test('preprocessBatch zero-fills a corrupt image and returns its error in place', async (t) => {
  const out = new Float32Array(2 * 48).fill(7);
  const errors = await preprocessBatch([Buffer.from('garbage'), await png(6, 6, 4)], card('NHWC'), out);
  t.is(errors[0]?.message, 'preprocess: cannot decode image (Input buffer contains unsupported image format)');
  t.is(errors[1], null);
  t.deepEqual(out.subarray(0, 48), new Float32Array(48));
});

test('preprocessBatch refuses a buffer of the wrong size', async (t) => {
  await t.throwsAsync(preprocessBatch([await png(4, 4, 5)], card('NHWC'), new Float32Array(47)), {
    message: 'preprocess: batch buffer holds 47 floats, 1 images need 48',
  });
});

test('a model with 2 channels is refused', async (t) => {
  const two: PreprocessCard = { ...card('NHWC'), input: { height: 4, width: 4, channels: 2, layout: 'NHWC' } };
  await t.throwsAsync(preprocessImage(await png(4, 4, 6), two), {
    message: 'preprocess: input.channels must be 1 or 3, got 2',
  });
});
