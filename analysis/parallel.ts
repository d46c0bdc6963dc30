/**
 * Multi-core variants of the engine: the triple space split into equal index ranges counted on
 * worker threads (each thread holds its own copy of the matrix, 12.5 MB at 100 × 1,000,000), and
 * analyzeParallel, which runs analyzeCorrectness with those counts. The workers run
 * ./triple-worker.{ts,js} next to this file, so under tsx the process must be started with
 * `--import tsx` (workers inherit it).
 */
import { Worker } from 'node:worker_threads';

import { analyzeCorrectness } from './analyze.js';
import { tripleCount } from './triples.js';
import type { TripleJob } from './triple-worker.js';
import type { AnalysisOptions, AnalysisResult, CorrectnessInput, CorrectnessMatrix } from './types.js';

/** Splits start … end into `parts` contiguous ranges whose sizes differ by at most one. */
export function splitRange(start: number, end: number, parts: number): Array<[number, number]> {
  const count = Math.max(1, Math.min(parts, end - start));
  return Array.from({ length: count }, (_, i) => [
    start + Math.floor(((end - start) * i) / count), start + Math.floor(((end - start) * (i + 1)) / count),
  ]);
}

function runJob(job: TripleJob): Promise<Uint32Array> {
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const worker = new Worker(new URL(`./triple-worker${extension}`, import.meta.url));
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
  const parts = await Promise.all(splitRange(start, end, threads).map(([s, e]) => runJob({ matrix, start: s, end: e })));
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
