/**
 * Reads an ONNX ModelProto into the converter's plain graph: nodes with decoded attributes,
 * initializers as constants, graph inputs with their shapes. Pure module.
 */
import onnxProto from 'onnx-proto';
import type { ConstT, Dim, DType } from './tensor.js';

const { onnx } = onnxProto;

/** A decoded attribute value. */
export type AttrValue = number | string | number[] | string[] | ConstT;

/** One ONNX node. */
export interface OnnxNode {
  name: string;
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
}

/** A graph input that is not an initializer. */
export interface GraphInput {
  name: string;
  /** Dimensions; a named or unknown first dimension is the batch. */
  shape: Dim[];
  dtype: DType;
}

/** The decoded ONNX graph. */
export interface OnnxGraph {
  opset: number;
  nodes: OnnxNode[];
  initializers: Map<string, ConstT>;
  inputs: GraphInput[];
  outputs: string[];
}

type Long = { toNumber(): number };
const toNum = (v: number | Long | null | undefined): number => (v == null ? 0 : typeof v === 'number' ? v : v.toNumber());

/** Decodes ONNX model bytes. */
export function decodeOnnx(bytes: Uint8Array): OnnxGraph {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph;
  if (!graph) throw new Error('convert: the ONNX file holds no graph');
  const opset = (model.opsetImport ?? []).filter((o) => !o.domain || o.domain === 'ai.onnx').map((o) => toNum(o.version))[0] ?? 0;
  const initializers = new Map<string, ConstT>();
  for (const t of graph.initializer ?? []) initializers.set(t.name ?? '', decodeTensor(t));
  const inputs = (graph.input ?? []).filter((v) => !initializers.has(v.name ?? '')).map(decodeInput);
  const nodes = (graph.node ?? []).map((n, i) => decodeNode(n, i));
  return { opset, nodes, initializers, inputs, outputs: (graph.output ?? []).map((o) => o.name ?? '') };
}

function decodeInput(v: onnxProto.onnx.IValueInfoProto): GraphInput {
  const tt = v.type?.tensorType;
  const dimsIn = tt?.shape?.dim ?? [];
  const shape: Dim[] = dimsIn.map((d, i) => {
    const n = toNum(d.dimValue);
    if (d.dimValue != null && n > 0 && i > 0) return n;
    if (i === 0 && (d.dimParam || !(n > 0))) return { batch: 1 };
    if (n > 0) return n;
    throw new Error(`convert: input "${v.name}" has dynamic dimension ${i} (${d.dimParam}); only the batch may be dynamic`);
  });
  return { name: v.name ?? '', shape, dtype: mapDType(tt?.elemType ?? 1, `input "${v.name}"`) };
}

function mapDType(t: number, what: string): DType {
  const D = onnx.TensorProto.DataType;
  if (t === D.FLOAT || t === D.DOUBLE || t === D.FLOAT16) return 'float32';
  if (t === D.BOOL) return 'bool';
  if ([D.INT64, D.INT32, D.INT16, D.INT8, D.UINT8, D.UINT16, D.UINT32, D.UINT64].includes(t)) return 'int64';
  throw new Error(`convert: ${what} has ONNX data type ${t}, which crossfix cannot convert`);
}

/** Decodes a TensorProto (initializer or Constant value). */
export function decodeTensor(t: onnxProto.onnx.ITensorProto): ConstT {
  const D = onnx.TensorProto.DataType;
  const shape = (t.dims ?? []).map(toNum);
  const n = shape.reduce((a, b) => a * b, 1);
  const type = t.dataType ?? D.FLOAT;
  const dtype = mapDType(type, `tensor "${t.name}"`);
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  if (raw) return { dtype, shape, data: fromRaw(raw, type, n, dtype) };
  if (type === D.FLOAT) return { dtype, shape, data: Float32Array.from(t.floatData ?? []) };
  if (type === D.DOUBLE) return { dtype, shape, data: Float32Array.from(t.doubleData ?? []) };
  if (type === D.INT64) return { dtype, shape, data: (t.int64Data ?? []).map(toNum) };
  return { dtype, shape, data: dtype === 'float32' ? Float32Array.from(t.int32Data ?? []) : (t.int32Data ?? []).slice() };
}

function fromRaw(raw: Uint8Array, type: number, n: number, dtype: DType): Float32Array | Dim[] {
  const D = onnx.TensorProto.DataType;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const read: Record<number, [number, (o: number) => number]> = {
    [D.FLOAT]: [4, (o) => view.getFloat32(o, true)],
    [D.DOUBLE]: [8, (o) => view.getFloat64(o, true)],
    [D.INT64]: [8, (o) => Number(view.getBigInt64(o, true))],
    [D.UINT64]: [8, (o) => Number(view.getBigUint64(o, true))],
    [D.INT32]: [4, (o) => view.getInt32(o, true)],
    [D.UINT32]: [4, (o) => view.getUint32(o, true)],
    [D.INT16]: [2, (o) => view.getInt16(o, true)],
    [D.UINT16]: [2, (o) => view.getUint16(o, true)],
    [D.INT8]: [1, (o) => view.getInt8(o)],
    [D.UINT8]: [1, (o) => view.getUint8(o)],
    [D.BOOL]: [1, (o) => view.getUint8(o)],
  };
  const r = read[type];
  if (!r) throw new Error(`convert: raw tensor data of ONNX type ${type} is not supported`);
  const [size, get] = r;
  if (dtype === 'float32' && type === D.FLOAT) return new Float32Array(raw.slice().buffer, 0, n);
  const out = dtype === 'float32' ? new Float32Array(n) : new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = get(i * size);
  return out;
}

function decodeNode(n: onnxProto.onnx.INodeProto, index: number): OnnxNode {
  const op = n.opType ?? '';
  const domain = n.domain ?? '';
  const attrs: Record<string, AttrValue> = {};
  for (const a of n.attribute ?? []) attrs[a.name ?? ''] = decodeAttr(a);
  return {
    name: n.name || `${op}_${index}`,
    op: domain && domain !== 'ai.onnx' ? `${domain}.${op}` : op,
    inputs: (n.input ?? []).slice(),
    outputs: (n.output ?? []).slice(),
    attrs,
  };
}

function decodeAttr(a: onnxProto.onnx.IAttributeProto): AttrValue {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case T.FLOAT: return a.f ?? 0;
    case T.INT: return toNum(a.i);
    case T.STRING: return new TextDecoder().decode(a.s ?? new Uint8Array());
    case T.TENSOR: return decodeTensor(a.t ?? {});
    case T.FLOATS: return (a.floats ?? []).slice();
    case T.INTS: return (a.ints ?? []).map(toNum);
    case T.STRINGS: return (a.strings ?? []).map((s) => new TextDecoder().decode(s));
    default: return `<unsupported attribute type ${a.type}>`;
  }
}
