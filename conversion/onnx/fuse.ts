/**
 * Graph rewrites before conversion: BatchNormalization folded into the Conv that feeds it.
 * Pure module.
 */
import type { OnnxGraph, OnnxNode } from './decode.js';
import { nums, type ConstT } from './tensor.js';

/**
 * Folds inference-mode BatchNormalization into a preceding Conv whose output feeds nothing else
 * and whose weights are initializers. W' = W·s, b' = (b − mean)·s + beta, s = gamma/√(var + ε).
 */
export function foldBatchNormIntoConv(g: OnnxGraph): OnnxGraph {
  const consumers = new Map<string, number>();
  for (const n of g.nodes) for (const i of n.inputs) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  for (const o of g.outputs) consumers.set(o, (consumers.get(o) ?? 0) + 1);
  const producer = new Map<string, OnnxNode>();
  for (const n of g.nodes) for (const o of n.outputs) producer.set(o, n);
  const initializers = new Map(g.initializers);
  const replaced = new Map<OnnxNode, OnnxNode>();
  const dropped = new Set<OnnxNode>();
  for (const bn of g.nodes) {
    if (bn.op !== 'BatchNormalization' || bn.attrs['training_mode'] === 1 || bn.outputs.filter(Boolean).length !== 1) continue;
    const conv = producer.get(bn.inputs[0]!);
    if (!conv || conv.op !== 'Conv' || replaced.has(conv) || consumers.get(conv.outputs[0]!) !== 1) continue;
    const fused = fuse(conv, bn, initializers);
    if (!fused) continue;
    replaced.set(conv, fused);
    dropped.add(bn);
  }
  const nodes = g.nodes.filter((n) => !dropped.has(n)).map((n) => replaced.get(n) ?? n);
  return { ...g, nodes, initializers };
}

function fuse(conv: OnnxNode, bn: OnnxNode, inits: Map<string, ConstT>): OnnxNode | undefined {
  const w = inits.get(conv.inputs[1]!);
  const params = bn.inputs.slice(1, 5).map((n) => inits.get(n));
  const bias = conv.inputs[2] ? inits.get(conv.inputs[2]) : undefined;
  if (!w || w.dtype !== 'float32' || params.some((p) => !p) || (conv.inputs[2] && !bias)) return undefined;
  const [gamma, beta, mean, variance] = params.map((p) => nums(p!, 'BatchNormalization parameter'));
  const eps = typeof bn.attrs['epsilon'] === 'number' ? bn.attrs['epsilon'] : 1e-5;
  const m = w.shape[0]!;
  const per = w.data.length / m;
  const s = Array.from({ length: m }, (_, i) => gamma![i]! / Math.sqrt(variance![i]! + eps));
  const wd = Float32Array.from(w.data as Float32Array, (v, i) => v * s[Math.floor(i / per)]!);
  const b0 = bias ? nums(bias, 'Conv bias') : new Array<number>(m).fill(0);
  const bd = Float32Array.from(b0, (v, i) => (v - mean![i]!) * s[i]! + beta![i]!);
  const wName = `${conv.inputs[1]}__bnfold_${bn.name}`;
  const bName = `${conv.inputs[1]}__bnfold_bias_${bn.name}`;
  inits.set(wName, { dtype: 'float32', shape: w.shape, data: wd });
  inits.set(bName, { dtype: 'float32', shape: [m], data: bd });
  return { ...conv, inputs: [conv.inputs[0]!, wName, bName], outputs: [bn.outputs[0]!] };
}
