import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Interpolation } from '../lib/model-card.js';
import { preprocessImage, preprocessToUint8, type PreprocessCard } from '../conversion/preprocess.js';

const SCRIPT = join(import.meta.dirname, 'fixtures', 'pillow_preprocess.py');
const PYTHON = '/usr/bin/python3';

interface Case {
  path: string;
  height: number;
  width: number;
  channels: 1 | 3;
  cropFraction: number;
  interpolation: Interpolation;
  mean: number[];
  std: number[];
}
interface Reference {
  error?: string;
  width: number;
  height: number;
  crop: string;
  tensor: string;
}

const python = (args: string[], input?: string): string =>
  execFileSync(PYTHON, [SCRIPT, ...args], { input, encoding: 'utf8', maxBuffer: 1 << 30 });

const edgeDir = mkdtempSync(join(tmpdir(), 'crossfix-preprocess-'));
const edgeNames = JSON.parse(python(['make', edgeDir])) as string[];
const photoPaths = JSON.parse(python(['photos'])) as string[];

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const GREY = { mean: [0.286], std: [0.353] };

function cardOf(c: Case): PreprocessCard {
  return {
    input: { height: c.height, width: c.width, channels: c.channels, layout: 'NHWC' },
    preprocessing: {
      interpolation: c.interpolation,
      cropFraction: c.cropFraction,
      cropMode: 'center',
      mean: c.mean,
      std: c.std,
    },
  };
}

function cases(
  paths: string[],
  sizes: [number, number, number][],
  channels: (1 | 3)[],
  filters: Interpolation[] = ['bicubic', 'bilinear'],
): Case[] {
  const out: Case[] = [];
  for (const path of paths) {
    for (const [height, width, cropFraction] of sizes) {
      for (const interpolation of filters) {
        for (const ch of channels)
          out.push({ path, height, width, cropFraction, interpolation, channels: ch, ...(ch === 3 ? IMAGENET : GREY) });
      }
    }
  }
  return out;
}

/** Runs every case through timm and through crossfix; returns max |Δ| of crops and tensors. */
async function compare(all: Case[]): Promise<{ name: string; crop: number; tensor: number; error?: string }[]> {
  const refs = python(['run'], JSON.stringify(all))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Reference);
  const results = [];
  for (const [i, c] of all.entries()) {
    const ref = refs[i]!;
    const name = `${c.path.split('/').pop()} ${c.height}x${c.width}/${c.cropFraction} ${c.interpolation} c${c.channels}`;
    const bytes = readFileSync(c.path);
    if (ref.error) {
      const error = await preprocessImage(bytes, cardOf(c)).then(
        () => 'accepted',
        (e: Error) => e.message,
      );
      results.push({ name, crop: 0, tensor: 0, error: `pillow ${ref.error}; crossfix ${error}` });
      continue;
    }
    const crop = await preprocessToUint8(bytes, cardOf(c));
    const tensor = await preprocessImage(bytes, cardOf(c));
    results.push({
      name,
      crop: maxDiff(crop.data, Buffer.from(ref.crop, 'base64')),
      tensor: maxDiff(tensor, floats(ref.tensor)),
    });
  }
  return results;
}

const summary = (rs: { crop: number; tensor: number }[]): string =>
  `${rs.length} cases, max crop Δ ${Math.max(...rs.map((r) => r.crop))}, max tensor Δ ${Math.max(...rs.map((r) => r.tensor))}`;

const floats = (b64: string): Float32Array => {
  const b = Buffer.from(b64, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
};

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

test('real photographs preprocess to exactly the pixels and floats timm produces', async (t) => {
  t.true(photoPaths.length >= 6, `expected photographs, found ${JSON.stringify(photoPaths)}`);
  const sizes: [number, number, number][] = [
    [224, 224, 0.875],
    [224, 224, 1],
    [288, 288, 0.95],
    [256, 192, 0.9],
  ];
  const results = await compare(cases(photoPaths, sizes, [3]));
  t.log(summary(results));
  t.deepEqual(
    results.filter((r) => r.crop !== 0 || r.tensor !== 0 || r.error),
    [],
  );
});

test('edge-case images (tiny, extreme aspect, grey, palette, alpha, CMYK, 16-bit, EXIF) match timm exactly', async (t) => {
  const paths = edgeNames.map((n) => join(edgeDir, n));
  const sizes: [number, number, number][] = [
    [32, 32, 0.875],
    [224, 224, 0.9],
    [40, 24, 1],
  ];
  const results = await compare(cases(paths, sizes, [3, 1]));
  t.log(summary(results));
  t.deepEqual(
    results.filter((r) => r.crop !== 0 || r.tensor !== 0 || r.error),
    [],
  );
});

test('nearest, box and lanczos resizes match timm exactly too', async (t) => {
  const paths = [
    ...photoPaths.slice(0, 2),
    ...['tiny_3x5.png', 'tall_1000x10.png', 'palette_90x70.png'].map((n) => join(edgeDir, n)),
  ];
  const results = await compare(
    cases(
      paths,
      [
        [224, 224, 0.875],
        [33, 33, 0.9],
      ],
      [3],
      ['nearest', 'box', 'lanczos'],
    ),
  );
  t.deepEqual(
    results.filter((r) => r.crop !== 0 || r.tensor !== 0 || r.error),
    [],
  );
});

test('a truncated JPEG that Pillow refuses is refused as corrupt', async (t) => {
  const path = photoPaths[0]!.replace(/[^/]+$/, 'truncated.jpg');
  const c: Case = { path, height: 8, width: 8, channels: 3, cropFraction: 1, interpolation: 'bicubic', ...IMAGENET };
  const [ref] = await compare([c]);
  t.is(
    ref!.error,
    'pillow OSError: Truncated File Read; crossfix preprocess: cannot decode image ' +
      '(Input buffer has corrupt header: VipsJpeg: premature end of JPEG image; VipsJpeg: Bogus Huffman table definition; ' +
      'VipsJpeg: premature end of JPEG image)',
  );
});

test('a 28×28 grayscale PNG for a 28×28 one-channel model is only normalised', async (t) => {
  const path = join(edgeDir, 'gray_28x28.png');
  const c: Case = { path, height: 28, width: 28, channels: 1, cropFraction: 1, interpolation: 'bilinear', ...GREY };
  const out = await preprocessImage(readFileSync(path), cardOf(c));
  const pixels = python(['run'], JSON.stringify([c])).trim();
  const ref = JSON.parse(pixels) as Reference;
  const raw = Buffer.from(ref.crop, 'base64');
  t.is(out.length, 28 * 28);
  t.is(out[5], Math.fround(Math.fround(Math.fround(raw[5]! / 255) - Math.fround(0.286)) / Math.fround(0.353)));
  t.deepEqual(out, floats(ref.tensor));
});

test('undecodable bytes are refused with the decoder message', async (t) => {
  const c: Case = {
    path: '',
    height: 8,
    width: 8,
    channels: 3,
    cropFraction: 1,
    interpolation: 'bicubic',
    ...IMAGENET,
  };
  await t.throwsAsync(preprocessImage(Buffer.from('not an image'), cardOf(c)), {
    name: 'ImageDecodeError',
    message: 'preprocess: cannot decode image (Input buffer contains unsupported image format)',
  });
});
