/**
 * Image decoding with Pillow's semantics, as timm's loader sees an image:
 * `Image.open(path).convert('RGB')` (or `'L'` for one-channel models).
 *
 * sharp (libvips) does the decoding; everything Pillow does differently from sharp's defaults is
 * undone or redone here: no EXIF rotation, no ICC transform, alpha dropped without compositing,
 * CMYK through Pillow's own naive formula, 16-bit samples reduced the way Pillow reduces them.
 * Pure: no I/O beyond the bytes given.
 */
import sharp, { type Sharp } from 'sharp';

/** A decoded image: interleaved 8-bit samples, row-major, `channels` per pixel. */
export interface DecodedImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3;
}

/** Thrown for bytes that sharp cannot decode; callers record the sample as corrupt. */
export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
}

interface RawImage {
  data: Uint8Array | Uint16Array;
  width: number;
  height: number;
  /** Bands per pixel, alpha included. */
  bands: number;
  kind: 'grey' | 'rgb' | 'cmyk';
  /** How Pillow reduces 16-bit samples: mode 'I' clips to 255, other modes keep the high byte. */
  reduce16?: 'clip' | 'msb';
}

/**
 * Decodes encoded image bytes (JPEG, PNG, WebP, GIF, TIFF, …) to `channels` 8-bit channels
 * exactly as Pillow's `convert('RGB')` (channels 3) or `convert('L')` (channels 1) would.
 * Throws ImageDecodeError `preprocess: cannot decode image (<sharp message>)`, the message's
 * distinct lines joined by '; '.
 */
export async function decodeImage(bytes: Uint8Array, channels: 1 | 3): Promise<DecodedImage> {
  let raw: RawImage;
  try {
    raw = await decodeRaw(bytes);
  } catch (err) {
    const lines = (err instanceof Error ? err.message : String(err)).split('\n').map((l) => l.trim());
    const message = [...new Set(lines.filter(Boolean))].join('; ');
    throw new ImageDecodeError(`preprocess: cannot decode image (${message})`, { cause: err });
  }
  const { width, height } = raw;
  const data = channels === 3 ? toRgb(raw) : toLuminance(raw);
  return { data, width, height, channels };
}

/** Reads the stored samples without colour management or orientation, keeping their kind. */
async function decodeRaw(bytes: Uint8Array): Promise<RawImage> {
  const meta = await sharp(bytes).metadata();
  const base = () => sharp(bytes, { ignoreIcc: true, autoOrient: false });
  const space = meta.space ?? 'srgb';
  if (space === 'cmyk') {
    return read8(base().pipelineColourspace('cmyk').toColourspace('cmyk'), 'cmyk');
  }
  if (meta.depth === 'ushort' && (space === 'grey16' || space === 'b-w')) {
    // Pillow opens 16-bit grey as mode 'I' (clipped by convert) but grey + alpha as 'LA' (high byte).
    return read16(base().toColourspace('grey16'), 'grey', meta.hasAlpha ? 'msb' : 'clip');
  }
  if (meta.depth === 'ushort') return read16(base().toColourspace('rgb16'), 'rgb', 'msb');
  if (space === 'b-w') return read8(base().toColourspace('b-w'), 'grey');
  return read8(base().toColourspace('srgb'), 'rgb');
}

async function read8(pipeline: Sharp, kind: RawImage['kind']): Promise<RawImage> {
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  const samples = new Uint8Array(data.buffer, data.byteOffset, data.length);
  return { data: samples, width: info.width, height: info.height, bands: info.channels, kind };
}

async function read16(pipeline: Sharp, kind: RawImage['kind'], reduce16: 'clip' | 'msb'): Promise<RawImage> {
  const { data, info } = await pipeline.raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
  const copy = new Uint16Array(data.length / 2);
  for (let i = 0; i < copy.length; i++) copy[i] = data.readUInt16LE(i * 2);
  return { data: copy, width: info.width, height: info.height, bands: info.channels, kind, reduce16 };
}

/** The 8-bit value of sample `i` of a raw image, as Pillow's convert() sees it. */
function sample8(raw: RawImage, i: number): number {
  const v = raw.data[i]!;
  if (raw.reduce16 === 'clip') return v > 255 ? 255 : v;
  if (raw.reduce16 === 'msb') return v >> 8;
  return v;
}

/** Pillow's MULDIV255: a * b / 255 rounded, in integer arithmetic. */
function mulDiv255(a: number, b: number): number {
  const t = a * b + 128;
  return ((t >> 8) + t) >> 8;
}

/** Pillow's `convert('RGB')`: grey replicated, alpha dropped, CMYK by Pillow's naive formula. */
function toRgb(raw: RawImage): Uint8Array {
  const n = raw.width * raw.height;
  const out = new Uint8Array(n * 3);
  for (let p = 0, i = 0, o = 0; p < n; p++, i += raw.bands, o += 3) {
    if (raw.kind === 'cmyk') {
      const nk = 255 - raw.data[i + 3]!;
      out[o] = nk - mulDiv255(raw.data[i]!, nk);
      out[o + 1] = nk - mulDiv255(raw.data[i + 1]!, nk);
      out[o + 2] = nk - mulDiv255(raw.data[i + 2]!, nk);
    } else if (raw.kind === 'grey') {
      out[o] = out[o + 1] = out[o + 2] = sample8(raw, i);
    } else {
      out[o] = sample8(raw, i);
      out[o + 1] = sample8(raw, i + 1);
      out[o + 2] = sample8(raw, i + 2);
    }
  }
  return out;
}

/** Pillow's `convert('L')`: L = (19595 R + 38470 G + 7471 B + 0x8000) >> 16 for colour images. */
function toLuminance(raw: RawImage): Uint8Array {
  const n = raw.width * raw.height;
  const out = new Uint8Array(n);
  if (raw.kind === 'grey') {
    for (let p = 0; p < n; p++) out[p] = sample8(raw, p * raw.bands);
    return out;
  }
  const rgb = raw.kind === 'cmyk' ? toRgb(raw) : null;
  for (let p = 0; p < n; p++) {
    const i = rgb ? p * 3 : p * raw.bands;
    const r = rgb ? rgb[i]! : sample8(raw, i);
    const g = rgb ? rgb[i + 1]! : sample8(raw, i + 1);
    const b = rgb ? rgb[i + 2]! : sample8(raw, i + 2);
    out[p] = (r * 19595 + g * 38470 + b * 7471 + 0x8000) >>> 16;
  }
  return out;
}
