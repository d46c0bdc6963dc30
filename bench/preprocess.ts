/**
 * Preprocessing throughput and parity: crossfix's Pillow-exact pipeline vs sharp's own resize,
 * for 224×224 crops (crop fraction 0.875) of real photographs.
 *
 *   node --import tsx bench/preprocess.ts [photo ...]   (or: npm run bench -- preprocess [photo ...])
 *
 * Without arguments it uses the photographs test/fixtures/pillow_preprocess.py finds. Prints, per
 * photo and filter, images/s of both paths and how far sharp's crop is from the Pillow-exact one
 * (max and mean |Δ| on the 0–255 scale; the parity tests show crossfix's own Δ is 0); the last
 * line is a JSON summary with harmonic-mean images/s.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

import { preprocessImage, preprocessToUint8, resizeTarget, type PreprocessCard } from '../conversion/preprocess.js';

const SIZE = 224;
const CROP = 0.875;
const SECONDS = 1.5;

const card = (interpolation: 'bicubic' | 'bilinear'): PreprocessCard => ({
  input: { height: SIZE, width: SIZE, channels: 3, layout: 'NHWC' },
  preprocessing: {
    interpolation,
    cropFraction: CROP,
    cropMode: 'center',
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
  },
});

/** sharp's closest equivalent: resize the shorter side with its own kernel, then extract the centre. */
async function sharpCrop(bytes: Buffer, interpolation: 'bicubic' | 'bilinear'): Promise<Uint8Array> {
  const meta = await sharp(bytes).metadata();
  const [h, w] = resizeTarget(meta.height!, meta.width!, SIZE, SIZE, CROP);
  const { data } = await sharp(bytes, { ignoreIcc: true })
    .resize(w, h, { fit: 'fill', kernel: interpolation === 'bicubic' ? 'cubic' : 'linear', fastShrinkOnLoad: false })
    .extract({ left: halfEven((w - SIZE) / 2), top: halfEven((h - SIZE) / 2), width: SIZE, height: SIZE })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return data;
}

/** torchvision's CenterCrop offset rounding (Python round: halves to even). */
const halfEven = (x: number): number => (Number.isInteger(x) || Math.floor(x) % 2 === 0 ? Math.floor(x) : Math.ceil(x));

async function rate(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < SECONDS * 1000) {
    await fn();
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

function diff(a: Uint8Array, b: Uint8Array): { max: number; mean: number } {
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    sum += d;
    max = Math.max(max, d);
  }
  return { max, mean: sum / a.length };
}

const script = join(import.meta.dirname, '..', 'test', 'fixtures', 'pillow_preprocess.py');

interface Row {
  photo: string;
  size: string;
  interpolation: string;
  crossfixPerS: number;
  sharpPerS: number;
  sharpMaxDiff: number;
  sharpMeanDiff: number;
}

/** Measures one photo with one filter: throughput of both paths and sharp's distance from Pillow. */
async function measure(path: string, interpolation: 'bicubic' | 'bilinear'): Promise<Row> {
  const bytes = readFileSync(path);
  const meta = await sharp(bytes).metadata();
  const exact = await preprocessToUint8(bytes, card(interpolation));
  const d = diff(exact.data, await sharpCrop(bytes, interpolation));
  const crossfixPerS = await rate(() => preprocessImage(bytes, card(interpolation)));
  const sharpPerS = await rate(() => sharpCrop(bytes, interpolation));
  const photo = path.split('/').pop()!;
  return {
    photo,
    size: `${meta.width}×${meta.height}`,
    interpolation,
    crossfixPerS,
    sharpPerS,
    sharpMaxDiff: d.max,
    sharpMeanDiff: d.mean,
  };
}

/** `npm run bench -- preprocess [photo ...]`: one line per photo and filter, then a JSON summary. */
export async function main(argv: string[]): Promise<void> {
  const photos =
    argv.length > 0
      ? argv
      : (JSON.parse(execFileSync('/usr/bin/python3', [script, 'photos'], { encoding: 'utf8' })) as string[]);
  const rows: Row[] = [];
  for (const path of photos) {
    for (const interpolation of ['bicubic', 'bilinear'] as const) {
      const r = await measure(path, interpolation);
      rows.push(r);
      console.log(
        `${r.photo} ${r.size} ${interpolation}: crossfix ${r.crossfixPerS.toFixed(1)} img/s, ` +
          `sharp ${r.sharpPerS.toFixed(1)} img/s, sharp vs Pillow max |Δ| ${r.sharpMaxDiff}, mean |Δ| ${r.sharpMeanDiff.toFixed(3)}`,
      );
    }
  }
  const total = (key: 'crossfixPerS' | 'sharpPerS'): number => rows.length / rows.reduce((s, r) => s + 1 / r[key], 0);
  console.log(
    JSON.stringify({
      bench: 'preprocess',
      crop: SIZE,
      cropFraction: CROP,
      crossfixImagesPerS: total('crossfixPerS'),
      sharpImagesPerS: total('sharpPerS'),
      sharpMaxDiff: Math.max(...rows.map((r) => r.sharpMaxDiff)),
      rows,
    }),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2));
