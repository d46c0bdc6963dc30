/** Small image sets for the ingest tests, built with sharp in a temporary folder. */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { LocalStore } from '../infra/store.js';

/** A fresh temporary folder. */
export function tempDir(prefix = 'crossfix-ingest-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** A fresh LocalStore in a temporary folder. */
export async function tempStore(): Promise<LocalStore> {
  return new LocalStore(await tempDir('crossfix-store-'));
}

/** Deterministic busy pixels (so a JPEG has real entropy-coded data to truncate). */
function pixels(seed: number, width: number, height: number): Buffer {
  const px = Buffer.alloc(width * height * 3);
  for (let i = 0; i < px.length; i++) px[i] = (i * 131 + seed * 977 + (i >> 4) * 29) & 255;
  return px;
}

/** A small JPEG whose pixels depend on seed. */
export function jpeg(seed: number, width = 32, height = 24): Promise<Buffer> {
  return sharp(pixels(seed, width, height), { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

/** A small PNG whose pixels depend on seed. */
export function png(seed: number, width = 20, height = 20): Promise<Buffer> {
  return sharp(pixels(seed, width, height), { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/** Writes files (path relative to root → bytes or text) and returns root. */
export async function writeTree(root: string, files: Record<string, Buffer | string>): Promise<string> {
  for (const [path, body] of Object.entries(files)) {
    const full = join(root, ...path.split('/'));
    await mkdir(join(full, '..'), { recursive: true });
    await writeFile(full, body);
  }
  return root;
}

/** Gzipped IDX images (magic 2051) of `count` images, rows × cols, pixel = image index + offset. */
export function idxImages(count: number, rows = 4, cols = 4): Buffer {
  const head = Buffer.alloc(16);
  head.writeUInt32BE(2051, 0);
  head.writeUInt32BE(count, 4);
  head.writeUInt32BE(rows, 8);
  head.writeUInt32BE(cols, 12);
  const body = Buffer.alloc(count * rows * cols);
  for (let i = 0; i < body.length; i++) body[i] = (Math.floor(i / (rows * cols)) * 40 + (i % (rows * cols))) & 255;
  return gzipSync(Buffer.concat([head, body]));
}

/** Gzipped IDX labels (magic 2049). */
export function idxLabels(labels: number[]): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(2049, 0);
  head.writeUInt32BE(labels.length, 4);
  return gzipSync(Buffer.concat([head, Buffer.from(labels)]));
}
