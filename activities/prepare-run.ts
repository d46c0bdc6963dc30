/**
 * Control activities of a run, on the analysis (CPU) task queue: check that the dataset and every model exist
 * and agree before any inference starts, and write the run's record and summary.
 */
import { ApplicationFailure } from '@temporalio/common';
import { loadManifest } from '../datasets/shard-reader.js';
import type { ShardEntry } from '../lib/dataset.js';
import { parseModelCard, type ModelCard } from '../lib/model-card.js';
import { predictionsPrefix, runPrefix } from '../lib/predictions.js';
import { getJson, NotFoundError, putJson, type ObjectStore } from '../infra/store.js';
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

/** Bad input that retrying cannot fix; Temporal does not retry failures of this type. */
function badInput(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, 'BadInput');
}

async function describeModel(store: ObjectStore, name: string): Promise<{ card: ModelCard; digest: string }> {
  try {
    const card = parseModelCard(await getJson(store, modelCardKey(name)), `model ${name}`);
    const { digest } = await getJson<{ digest: string }>(store, modelDigestKey(name));
    return { card, digest };
  } catch (err) {
    if (err instanceof NotFoundError) throw badInput(`run: model ${name} is not registered (${err.location} is missing)`);
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
        throw badInput((err as Error).message);
      }
      const models: PreparedModel[] = [];
      for (const name of input.models) {
        const { card, digest } = await describeModel(store, name);
        checkModelAgainstDataset(name, card, manifest.classes, input.dataset);
        models.push({ name, digest, numClasses: card.numClasses });
      }
      await putJson(store, `${runPrefix(input.runId)}/run.json`, { ...input, models, shards: manifest.shards.length });
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
