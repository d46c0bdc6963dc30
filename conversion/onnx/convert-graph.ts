/**
 * Walks a decoded ONNX graph in order and emits the equivalent TF graph: constants are folded
 * at conversion time, images enter as NHWC, and the output leaves in ONNX axis order. Pure module.
 */
import { attr, GraphBuilder, iota, NHWC, type TfNode, type TfVal, type TfWeight, type Val } from './builder.js';
import { OpContext, UnsupportedOpError, type OpConverter } from './context.js';
import type { OnnxGraph, OnnxNode } from './decode.js';
import { FOLDERS } from './fold.js';
import { ELEMENTWISE_OPS } from './ops-elementwise.js';
import { NN_OPS } from './ops-nn.js';
import { SHAPE_OPS } from './ops-shape.js';
import { foldBatchNormIntoConv } from './fuse.js';
import { fuseTfOps } from './fuse-tf.js';
import { fmtShape } from './builder.js';
import { isSym, type ConstT, type Dim } from './tensor.js';

/** All op converters by ONNX op type. */
export const CONVERTERS: Record<string, OpConverter> = { ...ELEMENTWISE_OPS, ...NN_OPS, ...SHAPE_OPS };

/** The converted graph. */
export interface ConvertedGraph {
  nodes: TfNode[];
  weights: TfWeight[];
  /** TF name and NHWC (or as-is) shape of the input, -1 for the batch. */
  input: { name: string; shape: number[]; onnxShape: Dim[] };
  output: { name: string; shape: number[] };
}

/** Converts an ONNX graph with one input and one output. */
export function convertGraph(g0: OnnxGraph): ConvertedGraph {
  const g = foldBatchNormIntoConv(g0);
  if (g.inputs.length !== 1) throw new Error(`convert: expected one graph input, got ${g.inputs.length}`);
  if (g.outputs.length !== 1) throw new Error(`convert: expected one graph output, got ${g.outputs.length}`);
  const b = new GraphBuilder();
  const values = new Map<string, Val>();
  for (const [name, t] of g.initializers) values.set(name, { kind: 'const', t });
  const input = placeholder(b, g.inputs[0]!);
  values.set(g.inputs[0]!.name, input);
  for (const node of g.nodes) convertNode(b, node, g.opset, values);
  const out = values.get(g.outputs[0]!);
  if (!out || out.kind !== 'tf') throw new Error(`convert: output "${g.outputs[0]}" does not depend on the input`);
  const plain = b.plain(out, 'output');
  const name = b.op('output', 'Identity', [plain.ref], { T: attr.type(plain.dtype) });
  const shape = plain.shape.map((d) => (isSym(d) ? -1 : d));
  const tfInShape = input.perm.map((a) => input.shape[a]!).map((d) => (isSym(d) ? -1 : d));
  return { ...fuseTfOps(prune(b, name)), input: { name: input.ref, shape: tfInShape, onnxShape: input.shape }, output: { name, shape } };
}

function placeholder(b: GraphBuilder, inp: OnnxGraph['inputs'][number]): TfVal {
  const perm = inp.shape.length === 4 ? NHWC : iota(inp.shape.length);
  const tfShape = perm.map((a) => inp.shape[a]!).map((d) => (isSym(d) ? -1 : d));
  const ref = b.op('input', 'Placeholder', [], {
    dtype: attr.type(inp.dtype), shape: { shape: { dim: tfShape.map((size) => ({ size: String(size) })) } },
  });
  b.inputRef = ref;
  return { kind: 'tf', ref, shape: inp.shape, perm, dtype: inp.dtype };
}

function convertNode(b: GraphBuilder, node: OnnxNode, opset: number, values: Map<string, Val>): void {
  const inputs = node.inputs.map((n) => {
    if (!n) return undefined;
    const v = values.get(n);
    if (!v) throw new Error(`convert: node "${node.name}" reads "${n}", which no earlier node produces`);
    return v;
  });
  const ctx = new OpContext(b, node, opset, inputs);
  const outs = run(ctx, node, opset, inputs);
  node.outputs.forEach((o, i) => {
    const v = outs[i];
    if (o && v) values.set(o, v);
  });
}

function run(ctx: OpContext, node: OnnxNode, opset: number, inputs: (Val | undefined)[]): Val[] {
  if (node.op === 'Constant') return [{ kind: 'const', t: constantValue(ctx) }];
  const present = inputs.filter((v): v is Val => v !== undefined);
  const folder = FOLDERS[node.op];
  const converter = CONVERTERS[node.op];
  if (folder && present.length > 0 && present.every((v) => v.kind === 'const')) {
    try {
      return folder(inputs.map((v) => (v as { t: ConstT } | undefined)?.t as ConstT), node.attrs, opset).map((t) => ({ kind: 'const', t }));
    } catch (e) {
      if (!converter) return ctx.fail((e as Error).message.replace(/^convert: /, ''));
    }
  }
  if (!converter) return ctx.fail();
  try {
    return converter(ctx);
  } catch (e) {
    if (e instanceof UnsupportedOpError) throw e;
    const shapes = inputs.map((v) => (v ? fmtShape(v.kind === 'tf' ? v.shape : v.t.shape) : '-')).join(', ');
    return ctx.fail(`${(e as Error).message.replace(/^convert: /, '')}; input shapes ${shapes}`);
  }
}

function constantValue(ctx: OpContext): ConstT {
  const a = ctx.node.attrs;
  const v = a['value'];
  if (v && typeof v === 'object' && !Array.isArray(v)) return v;
  if (typeof a['value_float'] === 'number') return { dtype: 'float32', shape: [], data: Float32Array.of(a['value_float']) };
  if (typeof a['value_int'] === 'number') return { dtype: 'int64', shape: [], data: [a['value_int']] };
  if (Array.isArray(a['value_floats'])) return { dtype: 'float32', shape: [a['value_floats'].length], data: Float32Array.from(a['value_floats'] as number[]) };
  if (Array.isArray(a['value_ints'])) return { dtype: 'int64', shape: [a['value_ints'].length], data: (a['value_ints'] as number[]).slice() };
  return ctx.fail(`value attribute ${Object.keys(a).join(', ')}`);
}

/** Drops nodes (and their weights) that the output does not depend on. */
function prune(b: GraphBuilder, output: string): { nodes: TfNode[]; weights: TfWeight[] } {
  const byName = new Map(b.nodes.map((n) => [n.name, n]));
  const keep = new Set<string>();
  const stack = [output];
  while (stack.length) {
    const name = stack.pop()!.split(':')[0]!;
    if (keep.has(name)) continue;
    keep.add(name);
    for (const i of byName.get(name)?.input ?? []) stack.push(i);
  }
  keep.add(b.inputRef);
  return { nodes: b.nodes.filter((n) => keep.has(n.name)), weights: b.weights.filter((w) => keep.has(w.name)) };
}
