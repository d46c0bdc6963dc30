/**
 * Parity check of a converted model: runs the ONNX model with onnxruntime (CPU) and the TF.js
 * graph model on the same inputs and compares the logits.
 */
import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import type { GraphModelArtifacts } from './onnx/artifacts.js';

/** A batch in the ONNX model's layout (NCHW for images). */
export interface ParityInput {
  data: Float32Array;
  shape: number[];
}

/** How far the converted model's logits are from onnxruntime's. */
export interface ParityResult {
  /** Largest |Δ logit| over all samples and classes. */
  maxAbsDiff: number;
  /** Fraction of samples whose top-1 class agrees. */
  top1Agreement: number;
  /** Number of samples compared. */
  n: number;
  /** Largest |logit| from onnxruntime, the scale against which maxAbsDiff reads. */
  maxAbsLogit: number;
}

/** Loads converted artifacts into a TF.js GraphModel through the in-memory IO handler. */
export async function loadConverted(converted: GraphModelArtifacts) {
  const j = converted.modelJson;
  const w = converted.weightData;
  return loadGraphModel(tf.io.fromMemory({
    modelTopology: j.modelTopology,
    weightSpecs: j.weightsManifest.flatMap((g) => g.weights),
    weightData: w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) as ArrayBuffer,
    signature: j.signature,
    format: j.format,
  }));
}

/** Runs the ONNX model with onnxruntime-node; returns the first output as a flat array. */
export async function runOnnx(onnxBytes: Uint8Array, input: ParityInput): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(onnxBytes, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  try {
    const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', input.data, input.shape) };
    const out = await session.run(feeds);
    return out[session.outputNames[0]!]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** Runs the TF.js model on an NCHW batch (transposed to NHWC when the model takes images). */
export async function runConverted(converted: GraphModelArtifacts, input: ParityInput): Promise<Float32Array> {
  const model = await loadConverted(converted);
  try {
    return tf.tidy(() => {
      let x = tf.tensor(input.data, input.shape, 'float32');
      if (input.shape.length === 4) x = tf.transpose(x, [0, 2, 3, 1]);
      const y = model.execute(x) as tf.Tensor;
      return y.dataSync() as Float32Array;
    });
  } finally {
    model.dispose();
  }
}

/**
 * Compares onnxruntime and TF.js logits on each batch. Uses the CPU backend when no TF.js
 * backend has been chosen yet.
 */
export async function checkParity(onnxBytes: Uint8Array, converted: GraphModelArtifacts, inputs: ParityInput[]): Promise<ParityResult> {
  await tf.ready();
  let maxAbsDiff = 0;
  let agree = 0;
  let n = 0;
  let maxAbsLogit = 0;
  for (const input of inputs) {
    const [a, b] = [await runOnnx(onnxBytes, input), await runConverted(converted, input)];
    if (a.length !== b.length) throw new Error(`check: onnxruntime gave ${a.length} outputs, TF.js gave ${b.length}`);
    const batch = input.shape[0]!;
    const k = a.length / batch;
    for (let s = 0; s < batch; s++) {
      const ra = a.subarray(s * k, (s + 1) * k);
      const rb = b.subarray(s * k, (s + 1) * k);
      for (let i = 0; i < k; i++) maxAbsLogit = Math.max(maxAbsLogit, Math.abs(ra[i]!));
      for (let i = 0; i < k; i++) maxAbsDiff = Math.max(maxAbsDiff, Number.isNaN(rb[i]!) ? Infinity : Math.abs(ra[i]! - rb[i]!));
      if (argmax(ra) === argmax(rb)) agree++;
      n++;
    }
  }
  return { maxAbsDiff, top1Agreement: n ? agree / n : 1, n, maxAbsLogit };
}

function argmax(xs: Float32Array): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[best]!) best = i;
  return best;
}

/** A deterministic batch of standard-normal values (Box–Muller on a seeded LCG). */
export function randomInput(shape: number[], seed = 1): ParityInput {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = seed >>> 0 || 1;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  for (let i = 0; i < n; i++) data[i] = Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
  return { data, shape };
}
