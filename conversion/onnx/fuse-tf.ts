/**
 * Peephole rewrites of the emitted TF graph into the fused kernels TF.js runs in one pass:
 * Conv2D / DepthwiseConv2dNative / MatMul followed by a bias add (BiasAdd, or AddV2 of a constant
 * per-channel vector) and optionally Relu, Relu6, Elu or Sigmoid become _FusedConv2D,
 * FusedDepthwiseConv2dNative or _FusedMatMul. A chain is folded only when each intermediate
 * tensor has no other consumer. A MatMul may reach its bias through a Reshape that keeps the
 * last axis. Pure module.
 */
import { attr, type TfNode, type TfWeight } from './builder.js';
import { numel } from './tensor.js';

const FUSED: Record<string, string> = { Conv2D: '_FusedConv2D', DepthwiseConv2dNative: 'FusedDepthwiseConv2dNative', MatMul: '_FusedMatMul' };
const ACTIVATIONS = new Set(['Relu', 'Relu6', 'Elu', 'Sigmoid']);

/** The graph with fusable Conv / MatMul → bias → activation chains folded into fused ops. */
export function fuseTfOps(g: { nodes: TfNode[]; weights: TfWeight[] }): { nodes: TfNode[]; weights: TfWeight[] } {
  const users = new Map<string, TfNode[]>();
  for (const n of g.nodes) for (const i of n.input) users.set(i, [...(users.get(i) ?? []), n]);
  const weights = new Map(g.weights.map((w) => [w.name, w]));
  const sole = (name: string) => (users.get(name)?.length === 1 ? users.get(name)![0] : undefined);
  const dropped = new Map<string, string>();
  const replaced = new Map<string, TfNode>();
  for (const n of g.nodes) {
    const fused = FUSED[n.op] ? fuseChain(n, sole, weights, dropped) : undefined;
    if (fused) replaced.set(n.name, fused);
  }
  const resolve = (ref: string): string => (dropped.has(ref) ? resolve(dropped.get(ref)!) : ref);
  const nodes = g.nodes.filter((n) => !dropped.has(n.name)).map((n) => replaced.get(n.name) ?? n)
    .map((n) => ({ ...n, input: n.input.map(resolve) }));
  return { nodes, weights: [...weights.values()].filter((w) => nodes.some((n) => n.name === w.name)) };
}

/** Output channels of a Conv2D / DepthwiseConv2dNative / MatMul whose filter is a constant. */
function outChannels(n: TfNode, weights: Map<string, TfWeight>): number | undefined {
  const w = weights.get(n.input[1]!)?.t.shape as number[] | undefined;
  if (!w) return undefined;
  if (n.op === 'Conv2D') return w[3];
  if (n.op === 'DepthwiseConv2dNative') return w[2]! * w[3]!;
  const tb = (n.attr['transpose_b'] as { b?: boolean } | undefined)?.b === true;
  return w.length === 2 ? (tb ? w[0] : w[1]) : undefined;
}

/** The bias operand of `add` (which reads `x`) as a 1-D constant of `c` values, or undefined. */
function biasOf(add: TfNode, x: string, c: number, weights: Map<string, TfWeight>, rank: number): string | undefined {
  if (add.op === 'BiasAdd') return add.input[0] === x ? add.input[1] : undefined;
  if (add.op !== 'AddV2' || add.input.length !== 2) return undefined;
  const other = add.input[0] === x ? add.input[1]! : add.input[1] === x ? add.input[0]! : undefined;
  const w = other === undefined ? undefined : weights.get(other);
  if (!w || w.t.dtype !== 'float32' || numel(w.t.shape) !== c || w.t.shape.length > rank) return undefined;
  if (w.t.shape.length > 0 && w.t.shape[w.t.shape.length - 1] !== c) return undefined;
  if (w.t.shape.length !== 1) weights.set(other!, { name: other!, t: { ...w.t, shape: [c] } });
  return other;
}

/** Folds the chain starting at `n`; records the names of the nodes it absorbs in `dropped`. */
function fuseChain(n: TfNode, sole: (name: string) => TfNode | undefined, weights: Map<string, TfWeight>, dropped: Map<string, string>): TfNode | undefined {
  const c = outChannels(n, weights);
  if (c === undefined) return undefined;
  let head = sole(n.name);
  let via: TfNode | undefined;
  if (n.op === 'MatMul' && head?.op === 'Reshape' && reshapeKeepsLast(head, c, weights)) [via, head] = [head, sole(head.name)];
  const x = via ? via.name : n.name;
  if (!head || (head.op === 'AddV2' && head.input.some((i) => i !== x && !sole(i)))) return undefined;
  const rank = via ? (weights.get(via.input[1]!)?.t.data.length ?? 0) : n.op === 'MatMul' ? 2 : 4;
  const bias = biasOf(head, x, c, weights, rank);
  if (!bias) return undefined;
  const act = via ? undefined : sole(head.name);
  const fuseAct = act && ACTIVATIONS.has(act.op) && act.input.length === 1;
  dropped.set(head.name, via ? via.name : n.name);
  if (fuseAct) dropped.set(act.name, n.name);
  const ops = fuseAct ? ['BiasAdd', act.op] : ['BiasAdd'];
  return { ...n, op: FUSED[n.op]!, input: [n.input[0]!, n.input[1]!, bias], attr: { ...n.attr, fused_ops: attr.strs(ops), num_args: attr.i(1), epsilon: attr.f(0) } };
}

/** Whether a Reshape's constant target shape ends in `c` (so a per-channel bias commutes with it). */
function reshapeKeepsLast(r: TfNode, c: number, weights: Map<string, TfWeight>): boolean {
  const s = weights.get(r.input[1]!)?.t.data as number[] | undefined;
  return s !== undefined && s.length > 0 && Number(s[s.length - 1]) === c;
}
