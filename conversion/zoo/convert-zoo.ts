/**
 * Converts the demo zoo: for every model in training-log.json, writes its crossfix model card,
 * converts `.cache/zoo-onnx/<name>.onnx` into `conversion/zoo/models/<name>/` with the crossfix
 * converter and its onnxruntime parity check, and records the outcome in conversion.json.
 *
 *   node --import tsx conversion/zoo/convert-zoo.ts [name ...]
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseModelCard, type ModelCard } from '../../lib/model-card.js';
import { convertCommand } from '../convert.js';

const ZOO = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(ZOO, '..', '..');

/** What train_zoo.py records per model (the fields used here). */
export interface ZooLogEntry {
  family: string;
  testCorrect: number;
  testTotal: number;
}

/** The parts of training-log.json that the conversion and verification read. */
export interface ZooLog {
  preprocessing: { mean: number[]; std: number[] };
  classNames: string[];
  models: Record<string, ZooLogEntry>;
}

/** The outcome of converting one model. */
export interface ZooConversion {
  name: string;
  ok: boolean;
  /** Bytes of model.json plus weight shards. */
  bytes?: number;
  maxAbsDiff?: number;
  top1Agreement?: number;
  error?: string;
}

/** Reads conversion/zoo/training-log.json. */
export async function readZooLog(): Promise<ZooLog> {
  return JSON.parse(await readFile(join(ZOO, 'training-log.json'), 'utf8')) as ZooLog;
}

/** The crossfix model card of a zoo model: 28×28×1 NHWC Fashion-MNIST, bilinear, no crop. */
export function zooCard(name: string, log: ZooLog): ModelCard {
  const entry = log.models[name];
  if (!entry) throw new Error(`convert-zoo: model "${name}" is not in training-log.json`);
  return parseModelCard({
    format: 'crossfix-model/1', name, family: entry.family, source: 'crossfix-zoo',
    input: { height: 28, width: 28, channels: 1, layout: 'NHWC' },
    preprocessing: {
      interpolation: 'bilinear', cropFraction: 1, cropMode: 'center',
      mean: log.preprocessing.mean, std: log.preprocessing.std,
    },
    numClasses: 10, classNames: log.classNames, output: 'logits', modelFormat: 'graph',
  }, `convert-zoo: card of ${name}`);
}

/** Writes the card, converts one model with the parity check and returns the outcome. */
export async function convertZooModel(name: string, log: ZooLog): Promise<ZooConversion> {
  const cardPath = join(ROOT, '.cache', 'zoo-cards', `${name}.json`);
  await mkdir(dirname(cardPath), { recursive: true });
  await writeFile(cardPath, JSON.stringify(zooCard(name, log), null, 2) + '\n');
  try {
    const res = await convertCommand({
      onnx: join(ROOT, '.cache', 'zoo-onnx', `${name}.onnx`), out: join(ZOO, 'models', name),
      card: cardPath, check: true, checkSamples: 16,
    });
    const files = await Promise.all(res.files.filter((f) => f !== 'crossfix-model.json')
      .map((f) => readFile(join(res.out, f))));
    const bytes = files.reduce((s, b) => s + b.length, 0);
    const { maxAbsDiff, top1Agreement } = res.parity!;
    return { name, ok: maxAbsDiff < 1e-3 && top1Agreement === 1, bytes, maxAbsDiff, top1Agreement };
  } catch (err) {
    return { name, ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

async function main(): Promise<void> {
  const log = await readZooLog();
  const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(log.models);
  const results: ZooConversion[] = [];
  for (const name of names) {
    const r = await convertZooModel(name, log);
    console.log(JSON.stringify(r));
    results.push(r);
  }
  await writeFile(join(ZOO, 'conversion.json'), JSON.stringify(results, null, 2) + '\n');
  if (results.some((r) => !r.ok)) process.exitCode = 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
