/**
 * Worker-thread entry of tripleRangeParallel: counts one triple range of the matrix it is sent
 * and posts the counts back. Holds no state between messages.
 */
import { parentPort } from 'node:worker_threads';

import { tripleRange } from './triples.js';
import type { CorrectnessMatrix } from './types.js';

/** One job: the matrix and the lexicographic triple range to count. */
export interface TripleJob {
  matrix: CorrectnessMatrix;
  start: number;
  end: number;
}

parentPort?.on('message', (job: TripleJob) => {
  const counts = tripleRange(job.matrix, job.start, job.end);
  parentPort!.postMessage(counts, [counts.buffer as ArrayBuffer]);
});
