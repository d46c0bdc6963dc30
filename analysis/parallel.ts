/**
 * Multi-core variants of the engine: the triple space split into equal index ranges counted on
 * worker threads (each holds its own copy of the matrix: 12.5 MB at 100 × 1,000,000), and
 * analyzeParallel, which runs analyzeCorrectness with those counts. The worker is a short plain-JS
 * program (WORKER_SOURCE) fed the compiled kernel module, so it needs no TypeScript loader; its
 * loop mirrors countBlock in ./triples.ts and the tests check both give the same counts.
 */
import { Worker } from 'node:worker_threads';

import { analyzeCorrectness } from './analyze.js';
import { kernelModule } from './kernel.js';
import { tripleAt, tripleCount } from './triples.js';
import type { AnalysisOptions, AnalysisResult, CorrectnessInput, CorrectnessMatrix } from './types.js';
import { BLOCK_BYTES } from './workspace.js';

interface TripleJob {
  module: object;
  words: Uint32Array;
  rows: number;
  rowBytes: number;
  first: [number, number, number];
  n: number;
  start: number;
  end: number;
  blockBytes: number;
}

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
parentPort.once('message', (job) => {
  const { module, words, rows, rowBytes, first, n, start, end, blockBytes } = job;
  const matrixBytes = rows * rowBytes;
  const memory = new WebAssembly.Memory({ initial: Math.ceil((matrixBytes + blockBytes + (end - start) * 4 + 64) / 65536) });
  const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
  new Uint32Array(memory.buffer, 0, words.length).set(words);
  const scratch = matrixBytes;
  const out = matrixBytes + blockBytes;
  for (let offset = 0; offset < rowBytes; offset += blockBytes) {
    const length = Math.min(blockBytes, rowBytes - offset);
    let [a, b, c] = first;
    for (let index = start; index < end; ) {
      const m = Math.min(n - c, end - index);
      k.and(a * rowBytes + offset, b * rowBytes + offset, scratch, length);
      k.countMany(scratch, c * rowBytes + offset, rowBytes, m, length, out + (index - start) * 4);
      index += m;
      b++;
      if (b > n - 2) { a++; b = a + 1; }
      c = b + 1;
    }
  }
  const counts = new Uint32Array(memory.buffer, out, end - start).slice();
  parentPort.postMessage(counts, [counts.buffer]);
});
`;

/** Splits start … end into `parts` contiguous ranges whose sizes differ by at most one. */
export function splitRange(start: number, end: number, parts: number): Array<[number, number]> {
  const count = Math.max(1, Math.min(parts, end - start));
  return Array.from({ length: count }, (_, i) => [
    start + Math.floor(((end - start) * i) / count), start + Math.floor(((end - start) * (i + 1)) / count),
  ]);
}

function runJob(job: TripleJob): Promise<Uint32Array> {
  const worker = new Worker(WORKER_SOURCE, { eval: true });
  return new Promise<Uint32Array>((resolve, reject) => {
    worker.once('message', (counts: Uint32Array) => resolve(counts));
    worker.once('error', reject);
    worker.postMessage(job);
  }).finally(() => void worker.terminate());
}

/** tripleRange counted on `threads` worker threads. @default threads 2 */
export async function tripleRangeParallel(
  matrix: CorrectnessMatrix, start: number, end: number, threads = 2,
): Promise<Uint32Array> {
  if (end <= start) return new Uint32Array(0);
  const n = matrix.models;
  const job = (s: number, e: number): TripleJob => ({
    module: kernelModule(), words: matrix.words, rows: n, rowBytes: matrix.stride * 4, first: tripleAt(n, s),
    n, start: s, end: e, blockBytes: BLOCK_BYTES,
  });
  const parts = await Promise.all(splitRange(start, end, threads).map(([s, e]) => runJob(job(s, e))));
  const out = new Uint32Array(end - start);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** analyzeCorrectness with the triples counted on `threads` worker threads. @default threads 2 */
export async function analyzeParallel(
  input: CorrectnessInput, options: AnalysisOptions = {}, threads = 2,
): Promise<AnalysisResult> {
  if (options.triples === false) return analyzeCorrectness(input, options);
  const t0 = performance.now();
  const intersections = await tripleRangeParallel(input.correctness, 0, tripleCount(input.modelNames.length), threads);
  const counted = (performance.now() - t0) / 1000;
  const result = analyzeCorrectness(input, options, intersections);
  result.timings.triples = (result.timings.triples ?? 0) + counted;
  result.timings.total = (result.timings.total ?? 0) + counted;
  return result;
}
