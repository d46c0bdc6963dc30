/**
 * Image checks and encoding with sharp (libvips), the library the inference stage decodes with.
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { IngestError, errText } from './ingest-error.js';
import type { Loaded, SampleRef } from './source.js';

/** File name endings treated as images in folder sources (compared case-insensitively). */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.jpe', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif'];

/** True when the file name ends in one of IMAGE_EXTENSIONS. */
export function isImageFile(name: string): boolean {
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/**
 * Checks that encoded image bytes decode fully: `metadata()` reads only the header, so a
 * truncated JPEG passes it; decoding every pixel (with libvips warnings as errors) does not.
 * @param file path named in the error
 */
export async function checkImage(bytes: Buffer, file: string): Promise<void> {
  const problem = await decodeProblem(bytes);
  if (problem !== undefined) throw decodeError(file, problem);
}

function decodeError(file: string, detail: string): IngestError {
  return new IngestError(`ingest: image ${file} cannot be decoded (${detail})`);
}

const GENERIC_RE = /^(Warning treated as error due to failOn setting)?$/;

/** Decodes failing bytes again (up to 3 times) until libvips gives its own reason, not sharp's generic one. */
async function diagnose(bytes: Buffer, first: string): Promise<string> {
  let problem = first;
  for (let i = 0; i < 3 && GENERIC_RE.test(problem); i++) problem = (await decodeProblem(bytes)) ?? problem;
  return problem;
}

/** Why sharp cannot decode the bytes (first informative line), or undefined when it can. */
async function decodeProblem(bytes: Buffer): Promise<string | undefined> {
  try {
    const meta = await sharp(bytes, { failOn: 'warning' }).metadata();
    if (!meta.width || !meta.height) return 'no image size in the header';
    await sharp(bytes, { failOn: 'warning' }).raw().toBuffer();
    return undefined;
  } catch (err) {
    const lines = errText(err).split('\n').map((l) => l.trim());
    return lines.find((l) => !GENERIC_RE.test(l)) ?? lines[0] ?? '';
  }
}

/**
 * Encodes 8-bit grayscale pixels (row-major) as a one-channel PNG. Settings are fixed, so the
 * same pixels always give the same bytes (sharp writes no timestamp or metadata by default).
 */
export function encodeGrayPng(pixels: Buffer, width: number, height: number): Promise<Buffer> {
  return sharp(pixels, { raw: { width, height, channels: 1 } })
    .toColourspace('b-w')
    .png({ compressionLevel: 9, adaptiveFiltering: true, palette: false })
    .toBuffer();
}

/**
 * Reads and checks the image file of each ref, concurrently, keeping the bytes as they are.
 * A file that cannot be read or decoded comes back as an IngestError naming it.
 *
 * libvips keeps one error buffer per process, so a decode failing beside another can lose its own
 * text to sharp's generic one. Failures are therefore diagnosed again one at a time once the
 * concurrent pass is over, which makes the message the same on every run.
 */
export async function loadImageFiles(refs: SampleRef[]): Promise<Loaded[]> {
  type Read = { ref: SampleRef; image: Buffer; problem?: string } | { ref: SampleRef; error: IngestError };
  const read = await Promise.all(refs.map(async (ref): Promise<Read> => {
    try {
      const image = await readFile(ref.file);
      return { ref, image, problem: await decodeProblem(image) };
    } catch (err) {
      return { ref, error: new IngestError(`ingest: image ${ref.file} cannot be read (${errText(err)})`, { cause: err }) };
    }
  }));
  const out: Loaded[] = [];
  for (const r of read) {
    if ('error' in r) out.push({ ref: r.ref, error: r.error });
    else if (r.problem === undefined) out.push({ ref: r.ref, image: r.image });
    else out.push({ ref: r.ref, error: decodeError(r.ref.file, await diagnose(r.image, r.problem)) });
  }
  return out;
}
