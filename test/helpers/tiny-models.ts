/**
 * Small TF.js classifiers built by the tests themselves: seeded layers models on 28×28×1 input, saved as
 * model.json + weights + crossfix-model.json into a folder, ready for `models add`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import type { ModelCard } from '../../lib/model-card.js';

export interface TinyModelSpec {
  name: string;
  seed: number;
  kind: 'dense' | 'conv';
  numClasses?: number;
  /** Card overrides, e.g. a wrong input size for bad-input tests. */
  card?: Partial<ModelCard>;
}

function build(spec: TinyModelSpec): tfl.LayersModel {
  const init = (s: number) => tfl.initializers.randomNormal({ mean: 0, stddev: 0.3, seed: spec.seed * 100 + s });
  const m = tfl.sequential();
  if (spec.kind === 'conv') {
    m.add(tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 5, strides: 2, activation: 'relu',
      kernelInitializer: init(1) }));
    m.add(tfl.layers.flatten());
  } else {
    m.add(tfl.layers.flatten({ inputShape: [28, 28, 1] }));
    m.add(tfl.layers.dense({ units: 16, activation: 'tanh', kernelInitializer: init(1) }));
  }
  m.add(tfl.layers.dense({ units: spec.numClasses ?? 10, kernelInitializer: init(2) }));
  return m;
}

/** The card a tiny model is registered with. */
export function tinyCard(spec: TinyModelSpec): ModelCard {
  return {
    format: 'crossfix-model/1', name: spec.name, family: spec.kind, source: 'crossfix-test',
    input: { height: 28, width: 28, channels: 1, layout: 'NHWC' },
    preprocessing: { interpolation: 'bilinear', cropFraction: 1, cropMode: 'center', mean: [0.5], std: [0.25] },
    numClasses: spec.numClasses ?? 10, output: 'logits', modelFormat: 'layers', ...spec.card,
  };
}

/** Builds, saves and returns the folder of a tiny model (model.json, weights.bin, crossfix-model.json). */
export async function writeTinyModel(root: string, spec: TinyModelSpec): Promise<string> {
  await tf.setBackend('cpu');
  const dir = join(root, spec.name);
  await mkdir(dir, { recursive: true });
  const model = build(spec);
  await model.save(tf.io.withSaveHandler(async (a) => {
    const weights = Buffer.from(a.weightData as ArrayBuffer);
    const json = { format: 'layers-model', generatedBy: 'crossfix-test', convertedBy: null,
      modelTopology: a.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }] };
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    await writeFile(join(dir, 'weights.bin'), weights);
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  model.dispose();
  await writeFile(join(dir, 'crossfix-model.json'), JSON.stringify(tinyCard(spec), null, 2));
  return dir;
}
