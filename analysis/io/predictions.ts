/**
 * Loads a run's prediction files (`runs/<run>/predictions/model=<m>/shard=<n>.parquet`, schema in
 * lib/predictions.ts) from an object store into an AnalysisInput aligned by sample id.
 */
import { parquetReadObjects } from 'hyparquet';
import type { ObjectStore } from '../../infra/store.js';
import { predictionsPrefix } from '../../lib/predictions.js';
import type { AnalysisInput, ModelPredictions } from '../types.js';
import { compareCodeUnits } from './timm-csv.js';

/** Options of `loadRunPredictions`. */
export interface LoadPredictionsOptions {
  /** Models to load, in this order. @default every model under the run's predictions, sorted by name */
  models?: string[];
  /** Class names by id. @default none (ids are shown) */
  classNames?: string[];
  /** Number of classes. @default classNames.length, else 1 + the largest class id seen */
  numClasses?: number;
}

/** One model's rows, in file order, keyed by sample id. */
interface ModelRows {
  name: string;
  index: Map<string, number>;
  keyOf: string[];
  labels: number[];
  top1: number[];
  topkIds: number[][];
  topkProbs: number[][];
}

const KEY_RE = /\/model=([^/]+)\/shard=(\d+)\.parquet$/;

/** Lists a run's prediction files grouped by model name; models and keys are sorted. */
export async function listPredictionFiles(store: ObjectStore, runId: string): Promise<Map<string, string[]>> {
  const byModel = new Map<string, string[]>();
  for (const { key } of await store.list(`${predictionsPrefix(runId)}/`)) {
    const m = KEY_RE.exec(key);
    if (!m) continue;
    const keys = byModel.get(m[1]!) ?? [];
    keys.push(key);
    byModel.set(m[1]!, keys);
  }
  return new Map([...byModel].sort(([a], [b]) => compareCodeUnits(a, b)));
}

/** Reads every prediction file of the chosen models and aligns them by sample id (sorted). */
export async function loadRunPredictions(
  store: ObjectStore,
  runId: string,
  options: LoadPredictionsOptions = {},
): Promise<AnalysisInput> {
  const files = await listPredictionFiles(store, runId);
  const names = options.models ?? [...files.keys()];
  if (names.length === 0) {
    throw new Error(
      `predictions: run ${runId} has no prediction files under ${store.url(predictionsPrefix(runId) + '/')}`,
    );
  }
  const rows: ModelRows[] = [];
  for (const name of names) {
    const keys = files.get(name);
    if (!keys) throw new Error(`predictions: run ${runId} has no prediction files for model ${JSON.stringify(name)}`);
    rows.push(await readModelRows(store, name, keys));
  }
  return alignModels(rows, options);
}

async function readModelRows(store: ObjectStore, name: string, keys: string[]): Promise<ModelRows> {
  const out: ModelRows = { name, index: new Map(), keyOf: [], labels: [], top1: [], topkIds: [], topkProbs: [] };
  for (const key of keys) {
    const bytes = await store.get(key);
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const records = await parquetReadObjects({
      file,
      columns: ['sample_id', 'label', 'top1', 'topk_ids', 'topk_probs'],
    });
    for (const r of records) addRecord(out, key, r);
  }
  return out;
}

function addRecord(out: ModelRows, key: string, r: Record<string, unknown>): void {
  const id = String(r.sample_id);
  const prior = out.index.get(id);
  if (prior !== undefined) {
    throw new Error(
      `predictions: model ${JSON.stringify(out.name)} has sample ${JSON.stringify(id)} twice, in ${out.keyOf[prior]} and ${key}`,
    );
  }
  out.index.set(id, out.labels.length);
  out.keyOf.push(key);
  out.labels.push(Number(r.label));
  out.top1.push(Number(r.top1));
  out.topkIds.push(Array.from((r.topk_ids as ArrayLike<number> | undefined) ?? [], Number));
  out.topkProbs.push(Array.from((r.topk_probs as ArrayLike<number> | undefined) ?? [], Number));
}

function alignModels(rows: ModelRows[], options: LoadPredictionsOptions): AnalysisInput {
  const reference = rows[0]!;
  for (const other of rows.slice(1)) checkSameSamples(reference, other);
  const sampleIds = [...reference.index.keys()].sort(compareCodeUnits);
  const order = (m: ModelRows) => Int32Array.from(sampleIds, (id) => m.index.get(id)!);
  const labels = Int32Array.from(order(reference), (i) => reference.labels[i]!);
  const models = rows.map((m) => toModelPredictions(m, order(m)));
  const numClasses = options.numClasses ?? options.classNames?.length ?? 1 + maxClassId(labels, models);
  return { sampleIds, labels, numClasses, models, ...(options.classNames ? { classNames: options.classNames } : {}) };
}

/** Both models must predict exactly the same samples and agree on each sample's label. */
function checkSameSamples(a: ModelRows, b: ModelRows): void {
  for (const [id, i] of b.index) {
    const j = a.index.get(id);
    if (j === undefined) {
      throw new Error(
        `predictions: model ${JSON.stringify(a.name)} has no prediction for sample ${JSON.stringify(id)} (model ${JSON.stringify(b.name)} has, in ${b.keyOf[i]})`,
      );
    }
    if (a.labels[j] !== b.labels[i]) {
      throw new Error(
        `predictions: models ${JSON.stringify(a.name)} and ${JSON.stringify(b.name)} disagree on the label of sample ${JSON.stringify(id)}: ${a.labels[j]} in ${a.keyOf[j]}, ${b.labels[i]} in ${b.keyOf[i]}`,
      );
    }
  }
  if (a.index.size === b.index.size) return;
  for (const [id, j] of a.index) {
    if (!b.index.has(id)) {
      throw new Error(
        `predictions: model ${JSON.stringify(b.name)} has no prediction for sample ${JSON.stringify(id)} (model ${JSON.stringify(a.name)} has, in ${a.keyOf[j]})`,
      );
    }
  }
}

/** Reorders one model's rows; top-k is kept when any row has it (short rows padded with -1 / 0). */
function toModelPredictions(m: ModelRows, order: Int32Array): ModelPredictions {
  const top1 = Int32Array.from(order, (i) => m.top1[i]!);
  const k = m.topkIds.reduce((max, ids) => Math.max(max, ids.length), 0);
  if (k === 0) return { name: m.name, top1 };
  const ids = new Int32Array(order.length * k).fill(-1);
  const probs = new Float32Array(order.length * k);
  order.forEach((i, s) => {
    ids.set(m.topkIds[i]!, s * k);
    probs.set(m.topkProbs[i]!, s * k);
  });
  return { name: m.name, top1, topk: { k, ids, probs } };
}

/** The largest class id in labels, top-1 and top-k predictions (so no top-k vote is beyond numClasses). */
function maxClassId(labels: Int32Array, models: ModelPredictions[]): number {
  let max = labels.reduce((a, b) => Math.max(a, b), 0);
  for (const m of models) {
    max = m.top1.reduce((a, b) => Math.max(a, b), max);
    if (m.topk) max = m.topk.ids.reduce((a, b) => Math.max(a, b), max);
  }
  return max;
}
