/**
 * Control activities of a run, on the analysis (CPU) task queue: check that the dataset and every model exist
 * and agree before any inference starts, and write the run's record and summary.
 */
import { badInput } from './bad-input.js';
import { DatasetError, loadManifest } from '../datasets/shard-reader.js';
import type { ShardEntry } from '../lib/dataset.js';
import { ModelCardError, parseModelCard, type ModelCard } from '../lib/model-card.js';
import { predictionsPrefix, runPrefix } from '../lib/predictions.js';
import { getJson, NotFoundError, putJson, sha256, type ObjectStore } from '../infra/store.js';
import { modelCardKey, modelDigestKey } from './model-keys.js';

export interface PrepareRunInput {
  runId: string;
  dataset: string;
  models: string[];
}

export interface PreparedModel {
  name: string;
  digest: string;
  numClasses: number;
}

export interface PrepareRunOutput {
  samples: number;
  classes: string[];
  shards: ShardEntry[];
  models: PreparedModel[];
}

export interface RunSummaryInput {
  runId: string;
  dataset: string;
  samples: number;
  models: { name: string; digest: string; images: number; correct: number; corrupt: number; cachedShards: number;
    accuracy: number }[];
  outputs: Record<string, string>;
}

async function describeModel(store: ObjectStore, name: string): Promise<{ card: ModelCard; digest: string }> {
  try {
    const card = parseModelCard(await getJson(store, modelCardKey(name)), `model ${name}`);
    const { digest } = await getJson<{ digest: string }>(store, modelDigestKey(name));
    return { card, digest };
  } catch (err) {
    if (err instanceof NotFoundError) throw badInput(`run: model ${name} is not registered (${err.location} is missing)`, err);
    if (err instanceof ModelCardError) throw badInput(err.message, err);
    throw err;
  }
}

function checkModelAgainstDataset(name: string, card: ModelCard, classes: string[], dataset: string): void {
  const targets = card.classIndex ?? Array.from({ length: card.numClasses }, (_, i) => i);
  const outside = targets.find((c) => c < 0 || c >= classes.length);
  if (outside !== undefined) {
    throw badInput(`run: model ${name} predicts class ${outside}, but dataset ${dataset} has ${classes.length} classes ` +
      '(a classIndex in its card maps model outputs to dataset classes)');
  }
  if (card.numClasses < classes.length && !card.classIndex) {
    throw badInput(`run: model ${name} has ${card.numClasses} classes, dataset ${dataset} has ${classes.length}`);
  }
}

/** What runs/<id>/run.json records: a run id names one (dataset version, model versions) combination. */
interface RunRecord {
  runId: string;
  dataset: string;
  models: PreparedModel[];
  shards: number;
  /** sha256 over the shards' sha256s, in order. */
  datasetDigest: string;
}

/**
 * Writes run.json, or checks that an existing one describes the same run: rerunning a run reproduces its outputs,
 * but reusing its id for other inputs would mix stale prediction files into the analysis.
 */
async function claimRunId(store: ObjectStore, record: RunRecord): Promise<void> {
  const key = `${runPrefix(record.runId)}/run.json`;
  const text = JSON.stringify(record, null, 2) + '\n';
  const existing = await store.tryGet(key);
  if (existing && existing.toString('utf8') !== text) {
    throw badInput(`run: run id ${record.runId} already holds a run of other inputs (${store.url(key)}); ` +
      'choose another run id');
  }
  if (!existing) await store.put(key, text, 'application/json');
}

/** Creates the control activities over one object store. */
export function createControlActivities({ store }: { store: ObjectStore }) {
  return {
    /** Loads the manifest and each model's card and digest; fails without retry on any disagreement. */
    async prepareRun(input: PrepareRunInput): Promise<PrepareRunOutput> {
      if (input.models.length === 0) throw badInput('run: no models given');
      const dup = input.models.find((m, i) => input.models.indexOf(m) !== i);
      if (dup) throw badInput(`run: model ${dup} is listed twice`);
      let manifest;
      try {
        manifest = await loadManifest(store, input.dataset);
      } catch (err) {
        if (err instanceof DatasetError) throw badInput(err.message, err);
        throw err;
      }
      const models: PreparedModel[] = [];
      for (const name of input.models) {
        const { card, digest } = await describeModel(store, name);
        checkModelAgainstDataset(name, card, manifest.classes, input.dataset);
        models.push({ name, digest, numClasses: card.numClasses });
      }
      await claimRunId(store, { runId: input.runId, dataset: input.dataset, models, shards: manifest.shards.length,
        datasetDigest: sha256(manifest.shards.map((s) => s.sha256).join('\n')) });
      return { samples: manifest.samples, classes: manifest.classes, shards: manifest.shards, models };
    },

    /** Writes runs/<id>/summary.json with per-model accuracy and where the outputs are; returns both locations. */
    async writeRunSummary(input: RunSummaryInput): Promise<{ summary: string; predictions: string }> {
      const key = `${runPrefix(input.runId)}/summary.json`;
      const predictions = `${store.url(predictionsPrefix(input.runId))}/`;
      await putJson(store, key, { ...input, predictions });
      return { summary: store.url(key), predictions };
    },
  };
}

export type ControlActivities = ReturnType<typeof createControlActivities>;
