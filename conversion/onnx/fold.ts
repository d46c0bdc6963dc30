/**
 * Evaluates ONNX ops on constants at conversion time (shape arithmetic, constant weights),
 * keeping batch-size multiples symbolic. Pure module.
 */
import type { AttrValue } from './decode.js';
import {
  alloc, broadcastShapes, dims, expandConst, fmtDim, isSym, nums, numel, reshapeConst, strides,
  transposeConst, type ConstT, type Dim, type DType,
} from './tensor.js';

type Attrs = Record<string, AttrValue>;
type Folder = (x: ConstT[], a: Attrs, opset: number) => ConstT[];

const attrInt = (a: Attrs, k: string, d: number): number => (typeof a[k] === 'number' ? (a[k] as number) : d);
const attrInts = (a: Attrs, k: string): number[] | undefined => (Array.isArray(a[k]) ? (a[k] as number[]) : undefined);
const normAxis = (ax: number, r: number) => (ax < 0 ? ax + r : ax);

function symArith(op: string, x: Dim, y: Dim): Dim {
  if (!isSym(x) && !isSym(y)) return numArith(op, x, y);
  const k = (d: Dim) => (isSym(d) ? d.batch : d);
  if (op === 'Mul' && isSym(x) !== isSym(y)) return { batch: k(x) * k(y) };
  if (op === 'Div' && isSym(x) && !isSym(y) && x.batch % y === 0) return { batch: x.batch / y };
  if (op === 'Div' && isSym(x) && isSym(y)) return Math.trunc(x.batch / y.batch);
  if ((op === 'Add' || op === 'Sub') && isSym(x) && isSym(y)) {
    const b = op === 'Add' ? x.batch + y.batch : x.batch - y.batch;
    return b === 0 ? 0 : { batch: b };
  }
  if (op === 'Equal') return isSym(x) && isSym(y) && x.batch === y.batch ? 1 : 0;
  throw new Error(`convert: ${op} of ${fmtDim(x)} and ${fmtDim(y)} depends on the batch size in a way crossfix cannot fold`);
}

function numArith(op: string, x: number, y: number): number {
  switch (op) {
    case 'Add': return x + y;
    case 'Sub': return x - y;
    case 'Mul': return x * y;
    case 'Div': return x / y;
    case 'Pow': return Math.pow(x, y);
    case 'Max': return Math.max(x, y);
    case 'Min': return Math.min(x, y);
    case 'Equal': return x === y ? 1 : 0;
    case 'Less': return x < y ? 1 : 0;
    case 'Greater': return x > y ? 1 : 0;
    case 'LessOrEqual': return x <= y ? 1 : 0;
    case 'GreaterOrEqual': return x >= y ? 1 : 0;
    case 'And': return x && y ? 1 : 0;
    case 'Or': return x || y ? 1 : 0;
    case 'Mod': return x - Math.floor(x / y) * y;
    default: throw new Error(`convert: no constant folding for ${op}`);
  }
}

const BOOL_OUT = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or']);

function binary(op: string): Folder {
  return ([a, b]) => {
    const shape = broadcastShapes(a!.shape, b!.shape, op);
    const [x, y] = [expandConst(a!, shape), expandConst(b!, shape)];
    const dtype: DType = BOOL_OUT.has(op) ? 'bool' : a!.dtype;
    const out = alloc(dtype, shape);
    const dst = out.data as Dim[];
    const intDiv = op === 'Div' && a!.dtype === 'int64';
    for (let i = 0; i < dst.length; i++) {
      const v = symArith(op, x.data[i]!, y.data[i]!);
      dst[i] = intDiv && !isSym(v) ? Math.trunc(v) : v;
    }
    return [out];
  };
}

function unary(f: (x: number) => number): Folder {
  return ([a]) => {
    const out = alloc(a!.dtype, a!.shape);
    nums(a!, 'operand').forEach((v, i) => ((out.data as number[])[i] = f(v)));
    return [out];
  };
}

function gather([data, idx]: ConstT[], a: Attrs): ConstT[] {
  const axis = normAxis(attrInt(a, 'axis', 0), data!.shape.length);
  const n = data!.shape[axis]!;
  const ind = nums(idx!, 'Gather indices').map((i) => (i < 0 ? i + n : i));
  const outer = numel(data!.shape.slice(0, axis));
  const inner = numel(data!.shape.slice(axis + 1));
  const shape = [...data!.shape.slice(0, axis), ...idx!.shape, ...data!.shape.slice(axis + 1)];
  const out = alloc(data!.dtype, shape);
  const dst = out.data as Dim[];
  let o = 0;
  for (let p = 0; p < outer; p++) {
    for (const i of ind) for (let q = 0; q < inner; q++) dst[o++] = data!.data[(p * n + i) * inner + q]!;
  }
  return [out];
}

/** Resolves ONNX Slice inputs to per-axis (start, end, step) over `shape`. */
export function sliceSpec(shape: readonly Dim[], starts: number[], ends: number[], axes: number[], steps: number[]) {
  const spec = shape.map((d) => ({ start: 0, end: d, step: 1, full: true }));
  axes.forEach((ax0, k) => {
    const ax = normAxis(ax0, shape.length);
    const d = shape[ax]!;
    const step = steps[k] ?? 1;
    if (isSym(d)) {
      const full = starts[k] === 0 && ends[k]! >= 2 ** 31 - 1 && step === 1;
      if (!full) throw new Error(`convert: Slice on batch axis ${ax} is not supported`);
      return;
    }
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + d : v, lo), hi);
    const start = step > 0 ? clamp(starts[k]!, 0, d) : clamp(starts[k]!, -1, d - 1);
    const end = step > 0 ? clamp(ends[k]!, 0, d) : clamp(ends[k]!, -1, d - 1);
    spec[ax] = { start, end, step, full: start === 0 && end === d && step === 1 };
  });
  return spec.map((s) => ({ ...s, size: isSym(s.end) ? s.end : Math.max(0, Math.ceil(((s.end as number) - s.start) / s.step)) }));
}

function slice(x: ConstT[], a: Attrs, opset: number): ConstT[] {
  const data = x[0]!;
  const r = data.shape.length;
  const get = (i: number, k: string) => (opset >= 10 ? (x[i] ? nums(x[i]!, `Slice ${k}`) : undefined) : attrInts(a, k));
  const starts = get(1, 'starts')!;
  const axes = get(3, 'axes') ?? starts.map((_, i) => i);
  const spec = sliceSpec(data.shape, starts, get(2, 'ends')!, axes, get(4, 'steps') ?? starts.map(() => 1));
  const shape = spec.map((s) => s.size as number);
  const out = alloc(data.dtype, shape);
  const st = strides(data.shape);
  const idx = new Array<number>(r).fill(0);
  const dst = out.data as Dim[];
  for (let o = 0; o < dst.length; o++) {
    let off = 0;
    for (let k = 0; k < r; k++) off += (spec[k]!.start + idx[k]! * spec[k]!.step) * st[k]!;
    dst[o] = data.data[off]!;
    for (let k = r - 1; k >= 0; k--) {
      if (++idx[k]! < shape[k]!) break;
      idx[k] = 0;
    }
  }
  return [out];
}

function concat(x: ConstT[], a: Attrs): ConstT[] {
  const parts = x.filter((t) => numel(t.shape) > 0 || t.shape.length > 1);
  const first = parts[0] ?? x[0]!;
  const axis = normAxis(attrInt(a, 'axis', 0), first.shape.length);
  const shape = first.shape.slice();
  shape[axis] = parts.reduce((s, t) => s + t.shape[axis]!, 0);
  const out = alloc(first.dtype, shape);
  const outer = numel(shape.slice(0, axis));
  const dst = out.data as Dim[];
  let o = 0;
  for (let p = 0; p < outer; p++) {
    for (const t of parts) {
      const len = numel(t.shape.slice(axis));
      for (let q = 0; q < len; q++) dst[o++] = t.data[p * len + q]!;
    }
  }
  return [out];
}

/** Output shape of ONNX Reshape (0 copies the input dim, -1 is inferred). */
export function reshapeTarget(input: readonly Dim[], target: Dim[], allowZero: boolean): Dim[] {
  const out = target.map((d, i) => (d === 0 && !allowZero ? input[i]! : d));
  const minus = out.findIndex((d) => d === -1);
  if (minus < 0) return out;
  const [inK, inP] = factor(input);
  const [outK, outP] = factor(out.filter((_, i) => i !== minus));
  if (inK % outK !== 0) throw new Error(`convert: cannot infer -1 reshaping ${input.map(fmtDim)} to ${target.map(fmtDim)}`);
  const q = inK / outK;
  out[minus] = inP - outP === 1 ? { batch: q } : inP === outP ? q : NaN;
  if (Number.isNaN(out[minus])) throw new Error(`convert: cannot infer -1 reshaping ${input.map(fmtDim)} to ${target.map(fmtDim)}`);
  return out;
}

function factor(shape: readonly Dim[]): [number, number] {
  let k = 1;
  let p = 0;
  for (const d of shape) {
    if (isSym(d)) { k *= d.batch; p++; } else k *= d;
  }
  return [k, p];
}

function reshape(x: ConstT[], a: Attrs): ConstT[] {
  const shape = reshapeTarget(x[0]!.shape, dims(x[1]!), attrInt(a, 'allowzero', 0) === 1);
  return [reshapeConst(x[0]!, nums({ dtype: 'int64', shape: [shape.length], data: shape }, 'Reshape shape'))];
}

function unsqueeze(x: ConstT[], a: Attrs, opset: number): ConstT[] {
  const axes0 = opset >= 13 ? nums(x[1]!, 'Unsqueeze axes') : attrInts(a, 'axes')!;
  const r = x[0]!.shape.length + axes0.length;
  const axes = axes0.map((ax) => normAxis(ax, r)).sort((p, q) => p - q);
  const shape = x[0]!.shape.slice();
  for (const ax of axes) shape.splice(ax, 0, 1);
  return [reshapeConst(x[0]!, shape)];
}

function squeeze(x: ConstT[], a: Attrs, opset: number): ConstT[] {
  const r = x[0]!.shape.length;
  const given = opset >= 13 ? (x[1] ? nums(x[1], 'Squeeze axes') : undefined) : attrInts(a, 'axes');
  const axes = given ? given.map((ax) => normAxis(ax, r)) : x[0]!.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  return [reshapeConst(x[0]!, x[0]!.shape.filter((_, i) => !axes.includes(i)))];
}

function cast(x: ConstT[], a: Attrs): ConstT[] {
  const to = attrInt(a, 'to', 1);
  const dtype: DType = to === 1 || to === 10 || to === 11 ? 'float32' : to === 9 ? 'bool' : 'int64';
  const src = x[0]!;
  const out = alloc(dtype, src.shape);
  for (let i = 0; i < src.data.length; i++) {
    const v = src.data[i]!;
    (out.data as Dim[])[i] = isSym(v) ? v : dtype === 'int64' ? Math.trunc(v) : dtype === 'bool' ? (v ? 1 : 0) : v;
  }
  return [out];
}

function where([c, x, y]: ConstT[]): ConstT[] {
  const shape = broadcastShapes(broadcastShapes(c!.shape, x!.shape, 'Where'), y!.shape, 'Where');
  const [cc, xx, yy] = [c!, x!, y!].map((t) => expandConst(t, shape));
  const out = alloc(x!.dtype, shape);
  for (let i = 0; i < out.data.length; i++) (out.data as Dim[])[i] = cc!.data[i] ? xx!.data[i]! : yy!.data[i]!;
  return [out];
}

function range([s, l, d]: ConstT[]): ConstT[] {
  const [start, limit, delta] = [s!, l!, d!].map((t) => nums(t, 'Range')[0]!);
  const n = Math.max(0, Math.ceil((limit! - start!) / delta!));
  const out = alloc(s!.dtype, [n]);
  for (let i = 0; i < n; i++) (out.data as number[])[i] = start! + i * delta!;
  return [out];
}

function constantOfShape(x: ConstT[], a: Attrs): ConstT[] {
  const value = a['value'] as ConstT | undefined;
  const out = alloc(value?.dtype ?? 'float32', nums(x[0]!, 'ConstantOfShape shape'));
  const v = value ? value.data[0]! : 0;
  for (let i = 0; i < out.data.length; i++) (out.data as Dim[])[i] = v;
  return [out];
}

function flatten(x: ConstT[], a: Attrs): ConstT[] {
  const s = x[0]!.shape;
  const axis = normAxis(attrInt(a, 'axis', 1), s.length);
  return [reshapeConst(x[0]!, [numel(s.slice(0, axis)), numel(s.slice(axis))])];
}

function transpose(x: ConstT[], a: Attrs): ConstT[] {
  const r = x[0]!.shape.length;
  const perm = attrInts(a, 'perm') ?? Array.from({ length: r }, (_, i) => r - 1 - i);
  return [transposeConst(x[0]!, perm)];
}

function expand(x: ConstT[]): ConstT[] {
  const shape = broadcastShapes(x[0]!.shape, nums(x[1]!, 'Expand shape'), 'Expand');
  return [expandConst(x[0]!, shape)];
}

/** Constant folders by ONNX op type. */
export const FOLDERS: Record<string, Folder> = {
  Identity: (x) => [x[0]!],
  Gather: gather,
  Slice: slice,
  Concat: concat,
  Reshape: reshape,
  Unsqueeze: unsqueeze,
  Squeeze: squeeze,
  Cast: cast,
  Where: where,
  Range: range,
  ConstantOfShape: constantOfShape,
  Flatten: flatten,
  Transpose: transpose,
  Expand: expand,
  Neg: unary((v) => -v),
  Sqrt: unary(Math.sqrt),
  Floor: unary(Math.floor),
  Ceil: unary(Math.ceil),
  Abs: unary(Math.abs),
  Not: unary((v) => (v ? 0 : 1)),
  Reciprocal: unary((v) => 1 / v),
  ...Object.fromEntries(
    ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Mod']
      .map((op) => [op, binary(op)]),
  ),
};
