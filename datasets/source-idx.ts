/**
 * Source (a): an IDX image file and its IDX label file, gzipped or not, as distributed for
 * MNIST and Fashion-MNIST. Pixels are streamed from the image file a window at a time and each
 * image is stored as a one-channel PNG. Sample ids are `<split>-<index in file, 5 digits>`.
 */
import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { constants, createGunzip, gunzipSync } from 'node:zlib';
import { encodeGrayPng } from './image-codec.js';
import { IngestError, errText } from './ingest-error.js';
import type { BadSample } from './ingest-error.js';
import type { Loaded, SampleRef, SourcePlan } from './source.js';

/** Fashion-MNIST's classes by label, the default class names of IDX sources. */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

/** An IDX pair such as Fashion-MNIST's `t10k-images-idx3-ubyte.gz` + `t10k-labels-idx1-ubyte.gz`. */
export interface IdxSource {
  kind: 'idx';
  /** Path of the images file (magic 2051: unsigned bytes, count × rows × columns). */
  images: string;
  /** Path of the labels file (magic 2049: one unsigned byte per image). */
  labels: string;
  /** Prefix of sample ids. @default 'test' for files named `t10k-…`, else 'train' for `train-…`, else 'idx' */
  split?: string;
  /** Class names by label. @default FASHION_MNIST_CLASSES */
  classNames?: string[];
}

const IMAGES_MAGIC = 2051;
const LABELS_MAGIC = 2049;

/** Reads the labels and the images header, reports out-of-range labels, and plans the samples. */
export async function planIdx(src: IdxSource, bad: BadSample): Promise<SourcePlan> {
  const classes = src.classNames ?? FASHION_MNIST_CLASSES;
  const split = src.split ?? defaultSplit(src.images);
  const labels = await readLabels(src.labels);
  const head = await readImagesHeader(src.images);
  if (head.count === 0) throw new IngestError(`ingest: ${src.images} holds no images`);
  if (head.count !== labels.length) {
    throw new IngestError(`ingest: ${src.images} holds ${head.count} images, ${src.labels} holds ${labels.length} labels`);
  }
  const indexOf = new Map<SampleRef, number>();
  const samples: SampleRef[] = [];
  // ids sort in file order: at least 5 digits (Fashion-MNIST's `test-00042`), more for files past 99,999 images
  const width = Math.max(5, String(labels.length - 1).length);
  labels.forEach((label, i) => {
    const ref = { id: `${split}-${String(i).padStart(width, '0')}`, label, file: src.images };
    if (label < classes.length) return void (samples.push(ref), indexOf.set(ref, i));
    bad({ sample_id: ref.id, file: src.labels, reason: `ingest: ${src.labels} item ${i}: label ${label} is out of range 0…${classes.length - 1}` });
  });
  const pixels = new PixelStream(src.images, head);
  return {
    classes,
    description: { kind: 'idx', images: src.images, labels: src.labels, split },
    samples,
    load: (refs) => pixels.encode(refs, indexOf),
  };
}

function defaultSplit(images: string): string {
  const name = basename(images);
  return name.startsWith('t10k') || name.startsWith('test') ? 'test' : name.startsWith('train') ? 'train' : 'idx';
}

function isGzip(bytes: Buffer): boolean {
  return bytes[0] === 0x1f && bytes[1] === 0x8b;
}

async function readLabels(path: string): Promise<Buffer> {
  const file = await readInput(path);
  let bytes: Buffer;
  try {
    bytes = isGzip(file) ? gunzipSync(file) : file;
  } catch (err) {
    throw new IngestError(`ingest: ${path} is not a readable gzip file (${errText(err)})`, { cause: err });
  }
  checkMagic(bytes, LABELS_MAGIC, path);
  const count = bytes.readUInt32BE(4);
  if (bytes.length !== 8 + count) throw new IngestError(`ingest: ${path} says ${count} labels but holds ${bytes.length - 8}`);
  return bytes.subarray(8);
}

function checkMagic(bytes: Buffer, magic: number, path: string): void {
  const found = bytes.length >= 8 ? bytes.readUInt32BE(0) : undefined;
  if (found !== magic) throw new IngestError(`ingest: ${path} is not an IDX file (magic ${found}, expected ${magic})`);
}

async function readInput(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new IngestError(`ingest: ${path} cannot be read (${errText(err)})`, { cause: err });
  }
}

interface ImagesHeader {
  count: number;
  rows: number;
  cols: number;
  gzip: boolean;
}

async function readImagesHeader(path: string): Promise<ImagesHeader> {
  const start = await readStart(path, 64 * 1024);
  const gzip = isGzip(start);
  let head = start;
  if (gzip) {
    try {
      head = Buffer.from(gunzipSync(start, { finishFlush: constants.Z_SYNC_FLUSH }));
    } catch (err) {
      throw new IngestError(`ingest: ${path} is not a readable gzip file (${errText(err)})`, { cause: err });
    }
  }
  checkMagic(head, IMAGES_MAGIC, path);
  if (head.length < 16) throw new IngestError(`ingest: ${path} is too short for an IDX image header`);
  return { count: head.readUInt32BE(4), rows: head.readUInt32BE(8), cols: head.readUInt32BE(12), gzip };
}

async function readStart(path: string, n: number): Promise<Buffer> {
  const fh = await open(path, 'r').catch((err: unknown) => {
    throw new IngestError(`ingest: ${path} cannot be read (${errText(err)})`, { cause: err });
  });
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(n), 0, n, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Streams image records forward through the (gunzipped) images file. */
class PixelStream {
  readonly #path: string;
  readonly #head: ImagesHeader;
  #chunks: AsyncIterator<Buffer> | undefined;
  #pending: Buffer = Buffer.alloc(0);
  /** Offset in the decompressed file of the first byte of #pending. */
  #pos = 0;

  constructor(path: string, head: ImagesHeader) {
    this.#path = path;
    this.#head = head;
  }

  /** Encodes the images of refs (ascending file indices) as PNGs. */
  async encode(refs: SampleRef[], indexOf: Map<SampleRef, number>): Promise<Loaded[]> {
    const { rows, cols } = this.#head;
    const pixels: Buffer[] = [];
    for (const ref of refs) pixels.push(await this.#record(indexOf.get(ref)!));
    const images = await Promise.all(pixels.map((p) => encodeGrayPng(p, cols, rows)));
    return refs.map((ref, i) => ({ ref, image: images[i]! }));
  }

  async #record(index: number): Promise<Buffer> {
    const size = this.#head.rows * this.#head.cols;
    const start = 16 + index * size;
    if (start < this.#pos) throw new Error(`ingest: ${this.#path} image ${index} requested after a later one`);
    await this.#fill(start + size - this.#pos, index);
    const offset = start - this.#pos;
    const record = this.#pending.subarray(offset, offset + size);
    this.#pending = this.#pending.subarray(offset + size);
    this.#pos = start + size;
    return record;
  }

  async #fill(bytes: number, index: number): Promise<void> {
    this.#chunks ??= this.#open();
    const parts = [this.#pending];
    let have = this.#pending.length;
    while (have < bytes) {
      const step = await this.#chunks.next();
      if (step.done) throw new IngestError(`ingest: ${this.#path} ends before image ${index} of ${this.#head.count}`);
      parts.push(step.value);
      have += step.value.length;
    }
    this.#pending = parts.length === 1 ? this.#pending : Buffer.concat(parts);
  }

  #open(): AsyncIterator<Buffer> {
    const file = createReadStream(this.#path, { highWaterMark: 1 << 20 });
    const stream = this.#head.gzip ? file.pipe(createGunzip()) : file;
    return stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }
}
