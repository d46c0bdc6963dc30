/**
 * Packs a converted graph into TF.js graph-model artifacts: model.json content and weight
 * shards. Pure module.
 */
import type { ConvertedGraph } from './convert-graph.js';
import { isSym, type ConstT } from './tensor.js';

/** One entry of the weights manifest. */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool';
}

/** model.json as TF.js reads it. */
export interface GraphModelJson {
  format: 'graph-model';
  generatedBy: string;
  convertedBy: string;
  modelTopology: { node: unknown[]; library: Record<string, never>; versions: { producer: number } };
  signature: Record<string, unknown>;
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
}

/** A converted model in memory. */
export interface GraphModelArtifacts {
  modelJson: GraphModelJson;
  /** Shard files by name, in manifest order. */
  shards: { name: string; data: Uint8Array }[];
  /** All weights concatenated (what tf.io.fromMemory takes). */
  weightData: Uint8Array;
}

/** Shard size for the weight files. @default 32 MiB */
export const SHARD_BYTES = 32 * 1024 * 1024;

function weightBytes(t: ConstT, name: string): [Uint8Array, WeightSpec['dtype']] {
  if (t.dtype === 'float32') {
    const f = t.data as Float32Array;
    return [new Uint8Array(f.buffer, f.byteOffset, f.byteLength), 'float32'];
  }
  const vals = Array.from(t.data as ArrayLike<number | { batch: number }>, (v) => {
    if (isSym(v)) throw new Error(`convert: weight "${name}" depends on the batch size`);
    return v;
  });
  if (t.dtype === 'bool') return [Uint8Array.from(vals, (v) => (v ? 1 : 0)), 'bool'];
  return [new Uint8Array(Int32Array.from(vals).buffer), 'int32'];
}

/** Builds model.json and the weight shards for a converted graph. */
export function toArtifacts(g: ConvertedGraph, generatedBy: string, shardBytes = SHARD_BYTES): GraphModelArtifacts {
  const specs: WeightSpec[] = [];
  const parts: Uint8Array[] = [];
  for (const w of g.weights) {
    const [bytes, dtype] = weightBytes(w.t, w.name);
    specs.push({ name: w.name, shape: w.t.shape, dtype });
    parts.push(bytes);
  }
  const total = parts.reduce((s, p) => s + p.length, 0);
  const weightData = new Uint8Array(total);
  let at = 0;
  for (const p of parts) { weightData.set(p, at); at += p.length; }
  const count = Math.max(1, Math.ceil(total / shardBytes));
  const shards = Array.from({ length: count }, (_, i) => ({
    name: `group1-shard${i + 1}of${count}.bin`,
    data: weightData.subarray(i * shardBytes, Math.min(total, (i + 1) * shardBytes)),
  }));
  const tensorShape = (shape: number[]) => ({ dim: shape.map((size) => ({ size: String(size) })) });
  return {
    modelJson: {
      format: 'graph-model',
      generatedBy,
      convertedBy: 'crossfix convert',
      modelTopology: { node: g.nodes, library: {}, versions: { producer: 1 } },
      signature: {
        inputs: { input: { name: `${g.input.name}:0`, dtype: 'DT_FLOAT', tensorShape: tensorShape(g.input.shape) } },
        outputs: { output: { name: `${g.output.name}:0`, dtype: 'DT_FLOAT', tensorShape: tensorShape(g.output.shape) } },
      },
      weightsManifest: [{ paths: shards.map((s) => s.name), weights: specs }],
    },
    shards,
    weightData,
  };
}
