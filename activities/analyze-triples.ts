/**
 * Triple-count chunk activities, on the CPU task queue, for runs whose C(n, 3) triples are too many
 * for one activity: packCorrectness writes the run's packed correctness matrix once to the store,
 * countTriples counts one range of lexicographic triples from it, and analyzeRun (./analyze.ts)
 * assembles the ranges. Nothing assumes one host: every chunk reads the matrix from the store.
 *
 * Work objects live under `runs/<id>/analysis/_work/` and are kept until the run's analysis
 * succeeds (so a retried analyzeRun finds them); removeAnalysisWork deletes them after that.
 *
 * correctness.bin, all integers u32 little-endian:
 *   bytes 0–3    magic "CXCM"
 *   bytes 4–7    models
 *   bytes 8–11   samples
 *   bytes 12–15  stride (32-bit words per row; rowStride(samples), a multiple of 64)
 *   bytes 16…    models × stride words, row-major (CorrectnessMatrix.words)
 * triples-[<digest16>-]<start>-<end>.bin: (end − start) u32 LE counts |T_a ∩ T_b ∩ T_c|, triple start first.
 */
import { endianness } from 'node:os';
import { sha256, type ObjectStore } from '../infra/store.js';
import { analysisPrefix } from '../lib/predictions.js';
import { correctnessFromPredictions, rowStride } from '../analysis/bitset.js';
import { loadRunPredictions } from '../analysis/io/predictions.js';
import { tripleCount, tripleRangeOn } from '../analysis/triples.js';
import type { CorrectnessMatrix } from '../analysis/types.js';
import { validateInput } from '../analysis/validate.js';
import { loadWorkspace, type Workspace } from '../analysis/workspace.js';
import { beat, failingOnBadInput } from './analyze.js';

export interface PackCorrectnessInput {
  runId: string;
  /** Models in analysis order (the row order of the matrix). */
  models: string[];
}

export interface PackCorrectnessOutput {
  /** Store key of correctness.bin. */
  key: string;
  models: number;
  samples: number;
  /** SHA-256 (hex) of correctness.bin, so chunk caches never serve an older matrix under the same key. */
  digest: string;
}

export interface CountTriplesInput {
  runId: string;
  /** Key of correctness.bin, from packCorrectness. */
  key: string;
  /** Lexicographic triple range start … end-1. */
  start: number;
  end: number;
  /** Expected SHA-256 of correctness.bin. @default not checked */
  digest?: string;
}

const MAGIC = 'CXCM';
const HEADER_BYTES = 16;
/** Triples counted between heartbeats. */
const SLICE_TRIPLES = 8192;
/** Matrices a worker keeps loaded. */
const CACHE_ENTRIES = 2;
const LITTLE_ENDIAN = endianness() === 'LE';

/** Prefix of a run's analysis work objects, with the trailing slash. */
export function analysisWorkPrefix(runId: string): string {
  return `${analysisPrefix(runId)}/_work/`;
}

/** Key of a run's packed correctness matrix. */
export function correctnessKey(runId: string): string {
  return `${analysisWorkPrefix(runId)}correctness.bin`;
}

/**
 * Key of the triple counts for lexicographic triples start … end-1 of the matrix with `digest`: parts of another
 * matrix (a rerun with other models whose clean-up failed half-way) can never be taken for this one's.
 */
export function triplePartKey(runId: string, start: number, end: number, digest?: string): string {
  return `${analysisWorkPrefix(runId)}triples-${digest ? `${digest.slice(0, 16)}-` : ''}${start}-${end}.bin`;
}

/** u32 values as little-endian bytes. */
export function u32le(values: Uint32Array): Buffer {
  const bytes = Buffer.from(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  return LITTLE_ENDIAN ? bytes : bytes.swap32();
}

/** correctness.bin of a matrix (layout in the file comment). */
export function encodeCorrectness(m: CorrectnessMatrix): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.write(MAGIC, 0, 'ascii');
  [m.models, m.samples, m.stride].forEach((v, i) => header.writeUInt32LE(v, 4 + 4 * i));
  return Buffer.concat([header, u32le(m.words)]);
}

/** Reads correctness.bin; `where` names the object in errors. */
export function decodeCorrectness(bytes: Buffer, where: string): CorrectnessMatrix {
  if (bytes.length < HEADER_BYTES || bytes.toString('ascii', 0, 4) !== MAGIC) {
    throw new Error(`analysis: ${where} is not a packed correctness matrix (magic ${MAGIC} missing)`);
  }
  const [models, samples, stride] = [4, 8, 12].map((o) => bytes.readUInt32LE(o)) as [number, number, number];
  const expected = HEADER_BYTES + 4 * models * stride;
  if (stride !== rowStride(samples) || bytes.length !== expected) {
    throw new Error(`analysis: ${where} has ${bytes.length} bytes and stride ${stride}, ` +
      `expected ${expected} bytes and stride ${rowStride(samples)} for ${models} models × ${samples} samples`);
  }
  const body = Buffer.from(bytes.subarray(HEADER_BYTES));
  const words = new Uint32Array((LITTLE_ENDIAN ? body : body.swap32()).buffer, body.byteOffset, models * stride);
  return { models, samples, stride, words: words.slice() };
}

/** tripleRange over start … end-1 in slices, heartbeating between them. */
async function countInSlices(ws: Workspace, start: number, end: number): Promise<Uint32Array> {
  const out = new Uint32Array(end - start);
  for (let at = start; at < end; at += SLICE_TRIPLES) {
    const stop = Math.min(end, at + SLICE_TRIPLES);
    out.set(tripleRangeOn(ws, at, stop), at - start);
    beat({ stage: 'counting', done: stop - start, of: end - start });
    await new Promise((resolve) => setImmediate(resolve));
  }
  return out;
}

/** Builds the triple chunk activities over one store; each worker caches the matrices it loaded. */
export function createTripleActivities({ store }: { store: ObjectStore }) {
  const cache = new Map<string, Workspace>();

  /** The matrix at `key` in kernel memory, loaded once per worker (and per digest). */
  async function workspaceFor(key: string, digest?: string): Promise<Workspace> {
    const id = `${key}#${digest ?? ''}`;
    const hit = cache.get(id);
    if (hit) return hit;
    const bytes = await store.get(key);
    if (digest !== undefined && sha256(bytes) !== digest) {
      throw new Error(`analysis: ${store.url(key)} has sha256 ${sha256(bytes)}, expected ${digest}`);
    }
    const ws = loadWorkspace(decodeCorrectness(bytes, store.url(key)));
    cache.set(id, ws);
    if (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
    return ws;
  }

  return {
    /**
     * Packs the run's correctness matrix and writes it once to `runs/<id>/analysis/_work/correctness.bin`.
     * When an older, different matrix is there (a rerun with other models), the stale work objects go first.
     */
    async packCorrectness(input: PackCorrectnessInput): Promise<PackCorrectnessOutput> {
      return failingOnBadInput(async () => {
        const predictions = await loadRunPredictions(store, input.runId, { models: input.models });
        validateInput(predictions);
        const matrix = correctnessFromPredictions(predictions.labels, predictions.models);
        const bytes = encodeCorrectness(matrix);
        const key = correctnessKey(input.runId);
        const old = await store.tryGet(key);
        if (!old?.equals(bytes)) {
          if (old) await store.deletePrefix(analysisWorkPrefix(input.runId));
          await store.put(key, bytes);
        }
        return { key, models: matrix.models, samples: matrix.samples, digest: sha256(bytes) };
      });
    },

    /** Counts |A∩B∩C| for triples start … end-1 into `triples-<start>-<end>.bin`; skips a part already there. */
    async countTriples(input: CountTriplesInput): Promise<{ key: string }> {
      return failingOnBadInput(async () => {
        const key = triplePartKey(input.runId, input.start, input.end, input.digest);
        if ((await store.head(key)) === 4 * (input.end - input.start)) return { key };
        const ws = await workspaceFor(input.key, input.digest);
        const total = tripleCount(ws.matrix.models);
        if (!Number.isInteger(input.start) || !Number.isInteger(input.end) || input.start < 0 ||
          input.end < input.start || input.end > total) {
          throw new Error(`analysis: triple range ${input.start}…${input.end} is outside 0…${total} for ${ws.matrix.models} models`);
        }
        await store.put(key, u32le(await countInSlices(ws, input.start, input.end)));
        return { key };
      });
    },

    /** Deletes a run's analysis work objects; call only after analyzeRun succeeded. */
    async removeAnalysisWork(input: { runId: string }): Promise<void> {
      await store.deletePrefix(analysisWorkPrefix(input.runId));
    },
  };
}

/** The triple chunk activities' type, for `proxyActivities<TripleActivities>()` in workflows. */
export type TripleActivities = ReturnType<typeof createTripleActivities>;
