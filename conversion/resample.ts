/**
 * Pillow's `Image.resize` for 8-bit images, re-implemented so crossfix feeds models exactly the
 * pixels timm's eval transform feeds them (torchvision's PIL path calls `Image.resize`).
 *
 * Like Pillow's ImagingResample: separable convolution, horizontal pass first (over only the rows
 * the vertical pass reads), filter support widened by the downscale factor (antialiasing),
 * weights normalised to sum 1 then rounded to fixed point with PRECISION_BITS = 22, each pass
 * rounded and clipped to uint8. 'nearest' follows Pillow's affine nearest-neighbour path.
 * Pure module.
 */
import type { Interpolation } from '../lib/model-card.js';

/** An interleaved 8-bit image, row-major. */
export interface Image8 {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

interface Filter {
  support: number;
  weight: (x: number) => number;
}

const PRECISION_BITS = 32 - 8 - 2;
const HALF = 1 << (PRECISION_BITS - 1);
const SCALE = 1 << PRECISION_BITS;

const FILTERS: Record<Exclude<Interpolation, 'nearest'>, Filter> = {
  box: { support: 0.5, weight: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  bilinear: { support: 1, weight: (x) => Math.max(0, 1 - Math.abs(x)) },
  bicubic: { support: 2, weight: bicubic },
  lanczos: { support: 3, weight: (x) => (x > -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

/** Pillow's cubic convolution kernel with a = -0.5. */
function bicubic(x: number): number {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

/** Fixed-point weights of one pass: for output i, taps start at `first[i]`, `count[i]` of them. */
interface Taps {
  first: Int32Array;
  count: Int32Array;
  weights: Int32Array;
  ksize: number;
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for resizing `inSize` → `outSize`. */
function computeTaps(inSize: number, outSize: number, filter: Filter): Taps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const taps: Taps = {
    first: new Int32Array(outSize),
    count: new Int32Array(outSize),
    weights: new Int32Array(outSize * ksize),
    ksize,
  };
  const w = new Float64Array(ksize);
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const count = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let sum = 0;
    for (let k = 0; k < count; k++) sum += w[k] = filter.weight((k + xmin - center + 0.5) / filterScale);
    for (let k = 0; k < count; k++) {
      const v = sum !== 0 ? w[k]! / sum : w[k]!;
      taps.weights[i * ksize + k] = Math.trunc(v < 0 ? -0.5 + v * SCALE : 0.5 + v * SCALE);
    }
    taps.first[i] = xmin;
    taps.count[i] = count;
  }
  return taps;
}

/** Pillow's clip8: round the fixed-point sum (already biased by HALF) and clamp to 0..255. */
function clip8(v: number): number {
  if (v >= SCALE * 256) return 255;
  if (v <= 0) return 0;
  return v >> PRECISION_BITS;
}

/** Horizontal pass over rows [rowStart, rowStart + rows) of `src`. */
function resampleRows(src: Image8, taps: Taps, rowStart: number, rows: number): Image8 {
  const { channels: c, width: inW, data } = src;
  const { first, count, weights, ksize } = taps;
  const outW = first.length;
  const out = new Uint8Array(outW * rows * c);
  for (let y = 0; y < rows; y++) {
    const rowIn = (y + rowStart) * inW * c;
    let o = y * outW * c;
    for (let x = 0; x < outW; x++) {
      const base = rowIn + first[x]! * c;
      const n = count[x]!;
      const wOff = x * ksize;
      if (c === 3) {
        let s0 = HALF,
          s1 = HALF,
          s2 = HALF;
        for (let k = 0, i = base; k < n; k++, i += 3) {
          const w = weights[wOff + k]!;
          s0 += data[i]! * w;
          s1 += data[i + 1]! * w;
          s2 += data[i + 2]! * w;
        }
        out[o++] = clip8(s0);
        out[o++] = clip8(s1);
        out[o++] = clip8(s2);
        continue;
      }
      for (let ch = 0; ch < c; ch++) {
        let ss = HALF;
        for (let k = 0; k < n; k++) ss += data[base + k * c + ch]! * weights[wOff + k]!;
        out[o++] = clip8(ss);
      }
    }
  }
  return { data: out, width: outW, height: rows, channels: c };
}

/** Vertical pass; `shift` is subtracted from each tap start (rows the horizontal pass skipped). */
function resampleColumns(src: Image8, taps: Taps, shift: number): Image8 {
  const { channels: c, width: w, data } = src;
  const { first, count, weights, ksize } = taps;
  const outH = first.length;
  const stride = w * c;
  const out = new Uint8Array(outH * stride);
  const acc = new Int32Array(stride); // sums stay below 2^31, as in Pillow's INT32 accumulator
  for (let y = 0; y < outH; y++) {
    acc.fill(HALF);
    const base = (first[y]! - shift) * stride;
    const n = count[y]!;
    for (let k = 0; k < n; k++) {
      const wk = weights[y * ksize + k]!;
      const row = base + k * stride;
      for (let i = 0; i < stride; i++) acc[i] = acc[i]! + data[row + i]! * wk;
    }
    const o = y * stride;
    for (let i = 0; i < stride; i++) out[o + i] = clip8(acc[i]!);
  }
  return { data: out, width: w, height: outH, channels: c };
}

/**
 * Source index per output index for Pillow's nearest-neighbour scaling (ImagingScaleAffine):
 * the position starts at step / 2 and is advanced by repeated addition, then truncated; the
 * accumulated rounding matters at exact pixel boundaries. -1 marks a position outside the source.
 */
function nearestIndices(inSize: number, outSize: number): Int32Array {
  const step = inSize / outSize;
  const out = new Int32Array(outSize);
  let pos = step * 0.5;
  for (let i = 0; i < outSize; i++, pos += step) out[i] = pos < inSize ? Math.trunc(pos) : -1;
  return out;
}

/** Pillow's nearest-neighbour resize (an affine scale with fill: unmapped pixels stay 0). */
function resizeNearest(src: Image8, width: number, height: number): Image8 {
  const c = src.channels;
  const xs = nearestIndices(src.width, width);
  const ys = nearestIndices(src.height, height);
  const out = new Uint8Array(width * height * c);
  for (let y = 0; y < height; y++) {
    if (ys[y]! < 0) continue;
    for (let x = 0; x < width; x++) {
      if (xs[x]! < 0) continue;
      const from = (ys[y]! * src.width + xs[x]!) * c;
      out.set(src.data.subarray(from, from + c), (y * width + x) * c);
    }
  }
  return { data: out, width, height, channels: c };
}

/**
 * Resizes `src` to width × height exactly as Pillow `Image.resize(size, filter)` (checked with 9.4) does for
 * modes 'L' and 'RGB' (the whole image as the box, no reducing_gap).
 */
export function resizePillow(src: Image8, width: number, height: number, interpolation: Interpolation): Image8 {
  if (!(width > 0 && height > 0 && Number.isInteger(width) && Number.isInteger(height))) {
    throw new RangeError(`resample: target size must be positive integers, got ${width}×${height}`);
  }
  if (width === src.width && height === src.height) return { ...src, data: src.data.slice() };
  if (interpolation === 'nearest') return resizeNearest(src, width, height);
  const filter = FILTERS[interpolation];
  const horiz = computeTaps(src.width, width, filter);
  const vert = computeTaps(src.height, height, filter);
  let img = src;
  let shift = 0;
  if (width !== src.width) {
    shift = vert.first[0]!;
    const last = vert.first[height - 1]! + vert.count[height - 1]!;
    img = resampleRows(src, horiz, shift, last - shift);
  }
  if (height !== src.height) img = resampleColumns(img, vert, shift);
  return img;
}
