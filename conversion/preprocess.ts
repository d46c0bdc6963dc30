/**
 * timm's eval transform in TypeScript, pixel-exact with timm + torchvision + Pillow:
 *
 *   Image.open(f).convert('RGB')            → decodeImage (decode.ts)
 *   Resize(floor(size / crop_pct))          → shorter side scaled, long side int(...) truncated;
 *                                             ResizeKeepRatio (round()) for non-square inputs
 *   Image.resize(..., BICUBIC|BILINEAR)     → resizePillow (resample.ts), Pillow's uint8 algorithm
 *   CenterCrop(size)                        → torchvision's round-half-even offsets, zero padding
 *   ToTensor + Normalize(mean, std)         → float32 arithmetic step by step, via a lookup table
 *
 * EXIF orientation is ignored, as timm's loader ignores it. Pure module: no I/O, no logging.
 */
import type { ModelCard } from '../lib/model-card.js';
import { decodeImage } from './decode.js';
import { resizePillow, type Image8 } from './resample.js';

export { ImageDecodeError } from './decode.js';

/** The parts of a model card preprocessing reads. */
export type PreprocessCard = Pick<ModelCard, 'input' | 'preprocessing'>;

/**
 * Decodes, resizes, centre-crops and normalises one image for `card`; returns it as
 * height × width × channels float32 (one NHWC image) whatever `card.input.layout` says.
 * Throws ImageDecodeError `preprocess: cannot decode image (<sharp message>)` for bad bytes.
 */
export async function preprocessImage(bytes: Uint8Array, card: PreprocessCard): Promise<Float32Array> {
  const crop = await preprocessToUint8(bytes, card);
  const out = new Float32Array(crop.data.length);
  normalizeInto(crop, card, out, 0, 'NHWC');
  return out;
}

/**
 * The image timm would hand to ToTensor: decoded, resized and centre-cropped 8-bit pixels,
 * height × width × channels. Exposed for parity tests and for callers that normalise on device.
 */
export async function preprocessToUint8(bytes: Uint8Array, card: PreprocessCard): Promise<Image8> {
  const { height, width, channels } = card.input;
  if (channels !== 1 && channels !== 3) {
    throw new RangeError(`preprocess: input.channels must be 1 or 3, got ${channels}`);
  }
  const decoded = await decodeImage(bytes, channels);
  const { cropFraction, interpolation } = card.preprocessing;
  const [rh, rw] = resizeTarget(decoded.height, decoded.width, height, width, cropFraction);
  // timm's ResizeKeepRatio (non-square inputs) is built without the configured interpolation.
  const filter = Math.floor(height / cropFraction) === Math.floor(width / cropFraction) ? interpolation : 'bilinear';
  const resized = resizePillow(decoded, rw, rh, filter);
  return centerCrop(resized, height, width);
}

/**
 * Preprocesses `images` into the preallocated `out`, which must hold images.length × H × W × C
 * floats, each image in `card.input.layout` order (NHWC or NCHW). Images that fail are left as
 * zeros; the result holds, per index, the error thrown for it or null.
 */
export async function preprocessBatch(
  images: readonly Uint8Array[],
  card: PreprocessCard,
  out: Float32Array,
): Promise<(Error | null)[]> {
  const size = card.input.height * card.input.width * card.input.channels;
  if (out.length !== images.length * size) {
    throw new RangeError(
      `preprocess: batch buffer holds ${out.length} floats, ${images.length} images need ${images.length * size}`,
    );
  }
  const errors: (Error | null)[] = [];
  for (const [i, bytes] of images.entries()) {
    try {
      normalizeInto(await preprocessToUint8(bytes, card), card, out, i * size, card.input.layout);
      errors.push(null);
    } catch (err) {
      out.fill(0, i * size, (i + 1) * size);
      errors.push(err instanceof Error ? err : new Error(String(err)));
    }
  }
  return errors;
}

/**
 * Size [height, width] timm's eval transform resizes an h × w image to before cropping to
 * outH × outW: scale = floor(out / cropFraction) per side; a square scale resizes the shorter
 * side with torchvision's Resize(int) (long side truncated), otherwise timm's ResizeKeepRatio
 * (both sides round()ed; timm 0.9–1.0 builds it with bilinear whatever the configured filter).
 */
export function resizeTarget(h: number, w: number, outH: number, outW: number, cropFraction: number): [number, number] {
  const sh = Math.floor(outH / cropFraction);
  const sw = Math.floor(outW / cropFraction);
  if (sh === sw) {
    if (w <= h) return [Math.trunc((sh * h) / w), sh];
    return [sh, Math.trunc((sh * w) / h)];
  }
  const ratio = Math.min(h / sh, w / sw);
  return [roundHalfEven(h / ratio), roundHalfEven(w / ratio)];
}

/** Python 3's round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** torchvision CenterCrop on a PIL image: zero padding when smaller, round-half-even offsets. */
export function centerCrop(src: Image8, outH: number, outW: number): Image8 {
  const padTop = outH > src.height ? Math.floor((outH - src.height) / 2) : 0;
  const padLeft = outW > src.width ? Math.floor((outW - src.width) / 2) : 0;
  const paddedH = src.height + (outH > src.height ? outH - src.height : 0);
  const paddedW = src.width + (outW > src.width ? outW - src.width : 0);
  const top = roundHalfEven((paddedH - outH) / 2) - padTop;
  const left = roundHalfEven((paddedW - outW) / 2) - padLeft;
  const c = src.channels;
  const out = new Uint8Array(outH * outW * c);
  for (let y = 0; y < outH; y++) {
    const sy = y + top;
    if (sy < 0 || sy >= src.height) continue;
    const x0 = Math.max(0, -left);
    const x1 = Math.min(outW, src.width - left);
    if (x1 <= x0) continue;
    const from = (sy * src.width + x0 + left) * c;
    out.set(src.data.subarray(from, from + (x1 - x0) * c), (y * outW + x0) * c);
  }
  return { data: out, width: outW, height: outH, channels: c };
}

/** Per channel, the 256 values ToTensor + Normalize give each 8-bit sample, in float32 steps. */
function normalizeTable(mean: readonly number[], std: readonly number[]): Float32Array[] {
  return mean.map((m, ch) => {
    const table = new Float32Array(256);
    const fm = Math.fround(m);
    const fs = Math.fround(std[ch]!);
    for (let v = 0; v < 256; v++) table[v] = Math.fround(Math.fround(v / 255) - fm) / fs;
    return table;
  });
}

/** Writes `img` normalised into `out` at `offset`, in NHWC or NCHW order. */
function normalizeInto(
  img: Image8,
  card: PreprocessCard,
  out: Float32Array,
  offset: number,
  layout: 'NHWC' | 'NCHW',
): void {
  const tables = normalizeTable(card.preprocessing.mean, card.preprocessing.std);
  const c = img.channels;
  const plane = img.width * img.height;
  for (let ch = 0; ch < c; ch++) {
    const table = tables[ch]!;
    for (let p = 0; p < plane; p++) {
      const at = layout === 'NHWC' ? p * c + ch : ch * plane + p;
      out[offset + at] = table[img.data[p * c + ch]!]!;
    }
  }
}
