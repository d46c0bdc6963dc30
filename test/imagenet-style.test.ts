/**
 * An ImageNet-style user path end to end, against timm/PyTorch on the same files: a class-folder tree of real
 * photographs (Go's test video frame in several encodings, plus crops and resizes made with sharp: grayscale,
 * alpha, CMYK, upscaled, tiny, tall, wide) and an ImageNet class-index file → ingest → a timm model exported by
 * conversion/export_timm.py, converted and registered → the evaluate workflow on the real local Temporal dev
 * server and MinIO → the Parquet predictions, compared with timm's own dataset loader and eval transform running
 * the exported PyTorch model (test/fixtures/timm_reference.py).
 */
import test from 'ava';
import { execFile, execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp, { type Sharp } from 'sharp';
import { addModel } from '../activities/model-store.js';
import { readPredictions } from '../activities/write-predictions.js';
import { startRun } from '../cli/run.js';
import { convertCommand } from '../conversion/convert.js';
import { ingest } from '../datasets/ingest.js';
import { REPO_ROOT } from '../infra/stack.js';
import type { DatasetManifest } from '../lib/dataset.js';
import type { PredictionRow } from '../lib/predictions.js';
import type { EvaluateOutput } from '../workflows/evaluate.js';
import { testEnv, type TestEnv } from './helpers/stack.js';
import { startTestWorkers, type TestWorkers } from './helpers/workers.js';

const GO_TESTDATA = join(execFileSync('go', ['env', 'GOROOT'], { encoding: 'utf8' }).trim(), 'src', 'image', 'testdata');
const FRAME = join(GO_TESTDATA, 'video-001.png');
const TIMM_MODEL = 'mobilenetv3_small_050';
/** A seed whose model (after calibration on these photographs) has no two top-6 probabilities within 1e-3. */
const SEED = 1;

/** The first ten ImageNet classes; only three have folders, so labels (1, 7, 9) are not folder positions. */
const CLASS_INDEX = {
  0: ['n01440764', 'tench'], 1: ['n01443537', 'goldfish'], 2: ['n01484850', 'great_white_shark'],
  3: ['n01491361', 'tiger_shark'], 4: ['n01494475', 'hammerhead'], 5: ['n01496331', 'electric_ray'],
  6: ['n01498041', 'stingray'], 7: ['n01514668', 'cock'], 8: ['n01514859', 'hen'], 9: ['n01518878', 'ostrich'],
};

/** The class folders' indices in CLASS_INDEX. */
const LABELS: Record<string, number> = { n01443537: 1, n01514668: 7, n01518878: 9 };

type Make = string | (() => Sharp);
/** Per class folder: file name → a Go test image copied as it is, or a sharp pipeline over the video frame. */
const TREE: Record<string, Record<string, Make>> = {
  n01443537: {
    'a-video.jpeg': 'video-001.jpeg',
    'b-progressive.jpeg': 'video-001.q50.420.progressive.jpeg',
    'c-up-400x275.jpg': () => sharp(FRAME).resize(400, 275, { kernel: 'cubic' }).jpeg({ quality: 90 }),
    'd-gray-120x90.png': () => sharp(FRAME).extract({ left: 10, top: 5, width: 120, height: 90 }).grayscale().toColourspace('b-w').png(),
  },
  n01514668: {
    'a-cmyk.jpeg': 'video-001.cmyk.jpeg',
    'b-video.png': 'video-001.png',
    'c-tall-90x150.jpg': () => sharp(FRAME).extract({ left: 40, top: 0, width: 60, height: 100 }).resize(90, 150)
      .jpeg({ quality: 85, chromaSubsampling: '4:4:4' }),
    'd-alpha-130x100.png': () => sharp(FRAME).extract({ left: 20, top: 3, width: 130, height: 100 }).ensureAlpha(0.5).png(),
  },
  n01518878: {
    'a-q50-422.jpeg': 'video-001.q50.422.jpeg',
    'b-rgb.jpeg': 'video-001.rgb.jpeg',
    'c-wide-600x160.png': () => sharp(FRAME).extract({ left: 0, top: 30, width: 150, height: 40 }).resize(600, 160).png(),
    'd-small-48x33.jpg': () => sharp(FRAME).resize(48, 33).jpeg({ quality: 75 }),
  },
};

interface Reference {
  export: { onnx: string; card: string; pretrained: boolean };
  dataConfig: { input_size: number[]; interpolation: string; crop_pct: number; crop_mode: string };
  samples: { id: string; label: number; topk_ids: number[]; topk_probs: number[] }[];
  accuracy: number;
}

let env: TestEnv;
let workers: TestWorkers | undefined;
let manifest: DatasetManifest;
let reference: Reference;
let model: string;

async function writeTree(root: string): Promise<void> {
  for (const [folder, files] of Object.entries(TREE)) {
    await mkdir(join(root, folder), { recursive: true });
    for (const [name, make] of Object.entries(files)) {
      if (typeof make === 'string') await copyFile(join(GO_TESTDATA, make), join(root, folder, name));
      else await make().toFile(join(root, folder, name));
    }
  }
}

/** Exports the timm model and computes timm's predictions on the tree, in one Python process. */
async function timmReference(exportDir: string, root: string, classIndex: string): Promise<Reference> {
  const { stdout } = await promisify(execFile)('/usr/bin/python3', [join(REPO_ROOT, 'test', 'fixtures', 'timm_reference.py'),
    TIMM_MODEL, exportDir, root, classIndex, '--num-classes', '10', '--seed', String(SEED)],
  { timeout: 5 * 60_000, maxBuffer: 16 << 20 });
  return JSON.parse(stdout) as Reference;
}

test.before(async () => {
  env = await testEnv('imagenet');
  const tmp = await mkdtemp(join(tmpdir(), 'crossfix-imagenet-'));
  const root = join(tmp, 'train');
  const classIndex = join(tmp, 'imagenet_class_index.json');
  await writeTree(root);
  await writeFile(classIndex, JSON.stringify(CLASS_INDEX));
  [reference, manifest] = await Promise.all([
    timmReference(join(tmp, 'export'), root, classIndex),
    ingest({ kind: 'tree', root, classIndex }, { name: 'photos12', store: env.store, shardSize: 5 }),
  ]);
  const converted = await convertCommand({ onnx: reference.export.onnx, out: join(tmp, 'tfjs'), card: reference.export.card });
  model = (await addModel(env.store, converted.out)).name;
  workers = await startTestWorkers(env, join(tmp, 'scratch'));
});

test.after.always(async () => {
  await workers?.stop();
});

/** Every prediction row of a run, read back from MinIO. */
async function runPredictions(runId: string): Promise<PredictionRow[]> {
  const rows: PredictionRow[] = [];
  for (const o of await env.store.list(`runs/${runId}/predictions/model=${model}/`)) {
    rows.push(...(await readPredictions(await env.store.get(o.key), o.key)));
  }
  return rows;
}

test('the export and the dataset are ImageNet-style: bicubic 224² at crop 0.875, 12 photographs in 3 shards', async (t) => {
  const card = JSON.parse(await readFile(reference.export.card, 'utf8'));
  t.like(card, { name: TIMM_MODEL, numClasses: 10, input: { height: 224, width: 224, channels: 3 },
    preprocessing: { interpolation: 'bicubic', cropFraction: 0.875, cropMode: 'center' } });
  t.like(reference.dataConfig, { input_size: [3, 224, 224], interpolation: 'bicubic', crop_pct: 0.875, crop_mode: 'center' });
  t.false(reference.export.pretrained);
  t.deepEqual(manifest.shards.map((s) => s.rows), [5, 5, 2]);
  t.deepEqual(manifest.classes, Object.values(CLASS_INDEX).map(([wnid]) => wnid));
});

test('a run over a class-folder tree predicts what timm predicts on the same files', async (t) => {
  t.timeout(5 * 60_000);
  const runId = `${env.tag}-photos`;
  const started = Date.now();
  const handle = await startRun(workers!.client, env.config, { runId, dataset: 'photos12', models: [model] });
  const out = (await handle.result()) as EvaluateOutput;
  t.log(`run ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const rows = new Map((await runPredictions(runId)).map((r) => [r.sample_id, r]));
  t.deepEqual([...rows.keys()].sort(), reference.samples.map((s) => s.id).sort());

  let maxDiff = 0;
  for (const ref of reference.samples) {
    const row = rows.get(ref.id)!;
    t.is(row.label, LABELS[ref.id.split('/')[0]!]!, ref.id);
    t.is(row.label, ref.label, ref.id);
    t.is(row.status, 'ok', ref.id);
    t.is(row.top1, ref.topk_ids[0]!, ref.id);
    t.deepEqual(row.topk_ids, ref.topk_ids, ref.id);
    row.topk_probs.forEach((p, i) => (maxDiff = Math.max(maxDiff, Math.abs(p - ref.topk_probs[i]!))));
  }
  t.log(`max |Δ prob| ${maxDiff.toExponential(2)} over ${reference.samples.length} photographs, timm accuracy ${reference.accuracy}`);
  t.true(maxDiff < 1e-4, `max |Δ prob| ${maxDiff}`);
  t.like(out.models[0], { model, images: 12, accuracy: reference.accuracy });
});
