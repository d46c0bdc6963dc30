/**
 * Chunked triple counting without Temporal: packCorrectness, countTriples and analyzeRun with
 * tripleParts called directly over a LocalStore holding a synthetic run's prediction files.
 */
import test from 'ava';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { LocalStore, sha256 } from '../infra/store.js';
import { predictionKey, type PredictionRow } from '../lib/predictions.js';
import { createAnalysisActivities, type TriplePart } from '../activities/analyze.js';
import {
  correctnessKey, createTripleActivities, decodeCorrectness, encodeCorrectness, triplePartKey,
} from '../activities/analyze-triples.js';
import { encodePredictions } from '../activities/write-predictions.js';
import { correctnessFromPredictions } from '../analysis/bitset.js';
import { tripleRange } from '../analysis/triples.js';
import { tripleChunks } from '../workflows/evaluate.js';
import { mulberry32 as random } from '../lib/random.js';

const MODELS = ['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6'];
const SAMPLES = 2500;
const RUN = 'chunks';


/** Writes two prediction shards per model; model m is right with probability 0.4 + 0.07 m. */
async function syntheticRun(): Promise<LocalStore> {
  const store = new LocalStore(await mkdtemp(join(tmpdir(), 'crossfix-chunks-')));
  const rnd = random(7);
  const labels = Array.from({ length: SAMPLES }, () => Math.floor(rnd() * 10));
  for (const [m, model] of MODELS.entries()) {
    const rows: PredictionRow[] = labels.map((label, s) => {
      const top1 = rnd() < 0.4 + 0.07 * m ? label : (label + 1 + Math.floor(rnd() * 9)) % 10;
      return { sample_id: `s${String(s).padStart(5, '0')}`, label, top1, correct: top1 === label,
        topk_ids: [top1], topk_probs: [1], status: 'ok' };
    });
    for (const shard of [0, 1]) {
      const part = rows.slice(shard * 1250, (shard + 1) * 1250);
      await store.put(predictionKey(RUN, model, shard), await encodePredictions(part));
    }
  }
  return store;
}

/** Every analysis output (not the work objects), file name → bytes. */
async function outputBytes(store: LocalStore): Promise<Map<string, Buffer>> {
  const files = (await store.list(`runs/${RUN}/analysis/`)).filter((o) => !o.key.includes('/_work/'));
  return new Map(await Promise.all(files.map(async (o) => [o.key, await store.get(o.key)] as [string, Buffer])));
}

async function countAll(store: LocalStore, chunk: number): Promise<TriplePart[]> {
  const triples = createTripleActivities({ store });
  const packed = await triples.packCorrectness({ runId: RUN, models: MODELS });
  const parts: TriplePart[] = [];
  for (const c of tripleChunks(35, chunk)) {
    const { key } = await triples.countTriples({ runId: RUN, key: packed.key, digest: packed.digest, ...c });
    parts.push({ ...c, key });
  }
  return parts;
}

test('triples counted in chunks and assembled by analyzeRun give the same output bytes as one analysis', async (t) => {
  const store = await syntheticRun();
  const analysis = createAnalysisActivities({ store });
  await analysis.analyzeRun({ runId: RUN, models: MODELS });
  const whole = await outputBytes(store);
  await store.deletePrefix(`runs/${RUN}/analysis/`);

  const parts = await countAll(store, 8);
  t.deepEqual(parts.map((p) => [p.start, p.end]), [[0, 8], [8, 16], [16, 24], [24, 32], [32, 35]]);
  await analysis.analyzeRun({ runId: RUN, models: MODELS, tripleParts: [...parts].reverse() });
  const chunked = await outputBytes(store);
  t.deepEqual([...chunked.keys()], [...whole.keys()]);
  t.true(chunked.has(`runs/${RUN}/analysis/triples.parquet`));
  for (const [key, bytes] of whole) t.true(bytes.equals(chunked.get(key)!), key);
});

test('a triple part holds tripleRange of the packed matrix as u32 little-endian', async (t) => {
  const store = await syntheticRun();
  const parts = await countAll(store, 8);
  const matrix = decodeCorrectness(await store.get(correctnessKey(RUN)), 'correctness.bin');
  const expected = tripleRange(matrix, 8, 16);
  const bytes = await store.get(parts[1]!.key);
  const digest = sha256(await store.get(correctnessKey(RUN)));
  t.is(parts[1]!.key, `runs/${RUN}/analysis/_work/triples-${digest.slice(0, 16)}-8-16.bin`);
  t.deepEqual(Array.from({ length: 8 }, (_, i) => bytes.readUInt32LE(4 * i)), [...expected]);
});

test('correctness.bin starts with magic, models, samples and stride and round-trips', (t) => {
  const labels = Int32Array.from({ length: 40 }, (_, i) => i % 3);
  const matrix = correctnessFromPredictions(labels, [
    { name: 'a', top1: labels }, { name: 'b', top1: Int32Array.from(labels, (l, i) => (i % 2 ? l : -1)) }]);
  const bytes = encodeCorrectness(matrix);
  t.is(bytes.toString('ascii', 0, 4), 'CXCM');
  t.deepEqual([4, 8, 12].map((o) => bytes.readUInt32LE(o)), [2, 40, 64]);
  t.is(bytes.length, 16 + 2 * 64 * 4);
  t.deepEqual(decodeCorrectness(bytes, 'x.bin'), matrix);
  t.throws(() => decodeCorrectness(Buffer.from('nope'), 'x.bin'), {
    message: 'analysis: x.bin is not a packed correctness matrix (magic CXCM missing)',
  });
  t.throws(() => decodeCorrectness(bytes.subarray(0, 100), 'x.bin'), {
    message: 'analysis: x.bin has 100 bytes and stride 64, expected 528 bytes and stride 64 for 2 models × 40 samples',
  });
});

test('countTriples skips a part already there and writes the same bytes once it is gone', async (t) => {
  const store = await syntheticRun();
  const parts = await countAll(store, 8);
  const first = await store.get(parts[0]!.key);
  await store.put(parts[0]!.key, Buffer.alloc(32, 0xff));
  const triples = createTripleActivities({ store });
  const again = { runId: RUN, key: correctnessKey(RUN), start: 0, end: 8, digest: sha256(await store.get(correctnessKey(RUN))) };
  await triples.countTriples(again);
  t.true((await store.get(parts[0]!.key)).equals(Buffer.alloc(32, 0xff)));
  await store.deletePrefix(parts[0]!.key);
  await triples.countTriples(again);
  t.true((await store.get(parts[0]!.key)).equals(first));
});

test('packing a different model list removes the work objects of the older matrix', async (t) => {
  const store = await syntheticRun();
  await countAll(store, 8);
  const triples = createTripleActivities({ store });
  const packed = await triples.packCorrectness({ runId: RUN, models: MODELS.slice(0, 5) });
  t.like(packed, { key: correctnessKey(RUN), models: 5, samples: SAMPLES });
  t.deepEqual((await store.list(`runs/${RUN}/analysis/_work/`)).map((o) => o.key), [correctnessKey(RUN)]);
  const stale = { runId: RUN, key: packed.key, start: 0, end: 3, digest: '0'.repeat(64) };
  await t.throwsAsync(triples.countTriples(stale), {
    message: `analysis: ${store.url(packed.key)} has sha256 ${packed.digest}, expected ${'0'.repeat(64)}`,
  });
  await triples.removeAnalysisWork({ runId: RUN });
  t.deepEqual(await store.list(`runs/${RUN}/analysis/_work/`), []);
});

test('analyzeRun rejects triple parts that do not tile the triple space, without retries', async (t) => {
  const store = await syntheticRun();
  const parts = await countAll(store, 8);
  const analysis = createAnalysisActivities({ store });
  const rejects = async (tripleParts: TriplePart[], message: string) => {
    const err = await t.throwsAsync(analysis.analyzeRun({ runId: RUN, models: MODELS, tripleParts }), { message });
    t.true(err instanceof ApplicationFailure && err.nonRetryable);
  };
  await rejects(parts.filter((p) => p.start !== 8), 'analyze: triple parts leave triples 8…16 uncovered');
  await rejects([...parts, { start: 30, end: 35, key: 'x' }], 'analyze: triple parts overlap at triple 30');
  await rejects(parts.slice(0, 4), 'analyze: triple parts end at triple 32, 35 triples expected');
  const wrong = { start: 32, end: 35, key: triplePartKey(RUN, 32, 35) };
  await store.put(wrong.key, Buffer.alloc(8));
  await rejects([...parts.slice(0, 4), wrong],
    `analyze: triple part ${store.url(wrong.key)} has 8 bytes, expected 12`);
});

test('tripleChunks cuts the triple space into ranges and grows them to keep at most 500', (t) => {
  t.deepEqual(tripleChunks(10, 3), [{ start: 0, end: 3 }, { start: 3, end: 6 }, { start: 6, end: 9 }, { start: 9, end: 10 }]);
  t.is(tripleChunks(1_313_400, 20_000).length, 66);
  const big = tripleChunks(1_313_400, 1000);
  t.is(big.length, 500);
  t.deepEqual(big[0], { start: 0, end: 2627 });
  t.deepEqual(big[499], { start: 499 * 2627, end: 1_313_400 });
  t.is(tripleChunks(0, 20_000).length, 0);
});
