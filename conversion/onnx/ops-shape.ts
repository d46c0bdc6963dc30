/**
 * Shape-level ONNX ops (Reshape, Flatten, Transpose, Concat, Slice, Gather, Split, Expand,
 * Pad, Tile, reductions), converted with the axes remapped through each tensor's layout.
 * Transposes cost nothing: they only change the recorded layout. Pure module.
 */
import { attr, iota, type TfVal } from './builder.js';
import { normAxis, rankOf, type OpContext, type OpConverter } from './context.js';
import { reshapeTarget, sliceSpec } from './fold.js';
import { tfv } from './ops-elementwise.js';
import { broadcastShapes, dimEq, dims, isSym, type Dim } from './tensor.js';

const T = (v: TfVal) => ({ T: attr.type(v.dtype) });
const isOne = (d: Dim) => d === 1;

const shape: OpConverter = (c) => {
  const s = c.shapeOf(0);
  const r = s.length;
  const start = normAxis(c.int('start', 0), r);
  const end = c.node.attrs['end'] === undefined ? r : normAxis(c.int('end', r), r);
  const out = s.slice(Math.max(0, start), Math.min(r, end));
  return [{ kind: 'const', t: { dtype: 'int64', shape: [out.length], data: out } }];
};

/** Product of dims, staying symbolic when one of them is the batch. */
function prod(ds: Dim[]): Dim {
  let k = 1;
  let syms = 0;
  for (const d of ds) {
    if (isSym(d)) { k *= d.batch; syms++; } else k *= d;
  }
  if (syms > 1) throw new Error(`convert: a product of several batch dimensions is not supported`);
  return syms ? { batch: k } : k;
}

type Factor = [number, number];
const fac = (d: Dim): Factor => (isSym(d) ? [1, d.batch] : [0, d]);
const mulF = (a: Factor, b: Factor): Factor => [a[0] + b[0], a[1] * b[1]];
const lessF = (a: Factor, b: Factor) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

/**
 * The layout of a reshape's output that keeps the input's TF storage order, or undefined when
 * the reshape mixes axes whose TF order differs from their ONNX order.
 */
export function reshapeLayout(inShape: Dim[], perm: number[], outShape: Dim[]): number[] | undefined {
  const ins = iota(inShape.length).filter((a) => !isOne(inShape[a]!));
  const outs = iota(outShape.length).filter((a) => !isOne(outShape[a]!));
  const groups: { ins: number[]; outs: number[] }[] = [];
  let [i, o] = [0, 0];
  while (i < ins.length && o < outs.length) {
    const g = { ins: [ins[i++]!], outs: [outs[o++]!] };
    let [pi, po] = [fac(inShape[g.ins[0]!]!), fac(outShape[g.outs[0]!]!)];
    while (pi[0] !== po[0] || pi[1] !== po[1]) {
      if (lessF(pi, po) && i < ins.length) { g.ins.push(ins[i]!); pi = mulF(pi, fac(inShape[ins[i++]!]!)); }
      else if (o < outs.length && !lessF(pi, po)) { g.outs.push(outs[o]!); po = mulF(po, fac(outShape[outs[o++]!]!)); }
      else return undefined;
    }
    groups.push(g);
  }
  if (i < ins.length || o < outs.length) return undefined;
  const order = perm.filter((a) => !isOne(inShape[a]!));
  const pos = groups.map((g) => g.ins.map((a) => order.indexOf(a)));
  if (!pos.every((p) => p.every((x, k) => k === 0 || x === p[k - 1]! + 1))) return undefined;
  const sorted = groups.map((g, k) => ({ g, at: pos[k]![0]! })).sort((a, b) => a.at - b.at).map((x) => x.g);
  return placeOnes(sorted.map((g) => g.outs), outShape);
}

/** Output axis order: groups in storage order, each size-1 axis after its ONNX predecessor. */
function placeOnes(groupOuts: number[][], outShape: Dim[]): number[] {
  const order = groupOuts.flat();
  for (let a = 0; a < outShape.length; a++) {
    if (!isOne(outShape[a]!)) continue;
    const at = a === 0 ? -1 : order.indexOf(a - 1);
    order.splice(at + 1, 0, a);
  }
  return order;
}

/** Emits a TF Reshape of `x` to the ONNX shape `out`, in whichever layout avoids a transpose. */
export function reshapeTo(c: OpContext, x: TfVal, out: Dim[], base: string): TfVal {
  const layout = reshapeLayout(x.shape, x.perm, out);
  const src = layout ? x : c.b.plain(x, base);
  const perm = layout ?? iota(out.length);
  const vec = c.b.shapeVector(`${base}/shape`, perm.map((a) => out[a]!), true);
  return tfv(c.b.op(base, 'Reshape', [src.ref, vec], { ...T(x), Tshape: attr.type('int64') }), out, perm, x.dtype);
}

const reshape: OpConverter = (c) => {
  const x = c.tfIn(0);
  const target = dims(c.constIn(1, 'Reshape shape'));
  return [reshapeTo(c, x, reshapeTarget(x.shape, target, c.int('allowzero', 0) === 1), c.base)];
};

const flatten: OpConverter = (c) => {
  const x = c.tfIn(0);
  const axis = normAxis(c.int('axis', 1), x.shape.length);
  return [reshapeTo(c, x, [prod(x.shape.slice(0, axis)), prod(x.shape.slice(axis))], c.base)];
};

const squeeze: OpConverter = (c) => {
  const x = c.tfIn(0);
  const r = x.shape.length;
  const given = c.opset >= 13 ? (c.opt(1) ? c.intsIn(1, 'Squeeze axes') : undefined) : c.ints('axes');
  const axes = given ? given.map((a) => normAxis(a, r)) : iota(r).filter((a) => x.shape[a] === 1);
  return [reshapeTo(c, x, x.shape.filter((_, i) => !axes.includes(i)), c.base)];
};

const unsqueeze: OpConverter = (c) => {
  const x = c.tfIn(0);
  const given = c.opset >= 13 ? c.intsIn(1, 'Unsqueeze axes') : c.ints('axes') ?? c.fail('axes is missing');
  const r = x.shape.length + given.length;
  const out = x.shape.slice();
  for (const a of given.map((v) => normAxis(v, r)).sort((p, q) => p - q)) out.splice(a, 0, 1);
  return [reshapeTo(c, x, out, c.base)];
};

const transpose: OpConverter = (c) => {
  const x = c.tfIn(0);
  const r = x.shape.length;
  const p = c.ints('perm') ?? iota(r).reverse();
  const inv = new Array<number>(r);
  p.forEach((a, i) => (inv[a] = i));
  return [{ ...x, shape: p.map((a) => x.shape[a]!), perm: x.perm.map((a) => inv[a]!) }];
};

const concat: OpConverter = (c) => {
  const vals = c.inputs.filter((v) => v !== undefined && rankOf(v) > 0 && !(v.kind === 'const' && v.t.data.length === 0));
  const lead = vals.find((v): v is TfVal => v!.kind === 'tf') ?? c.fail('all inputs are constant');
  const axis = normAxis(c.int('axis', 0), lead.shape.length);
  const parts = vals.map((v, i) => c.b.toPerm(v!, lead.perm, `${c.base}/in${i}`));
  const sizes = parts.map((p) => p.shape[axis]!);
  if (sizes.some(isSym)) c.fail('concatenation along the batch axis');
  const out = lead.shape.slice();
  out[axis] = (sizes as number[]).reduce((a, b) => a + b, 0);
  const ref = c.b.op(c.base, 'ConcatV2', [...parts.map((p) => p.ref), c.b.ints(`${c.base}/axis`, [lead.perm.indexOf(axis)])], { ...T(lead), N: attr.i(parts.length), Tidx: attr.type('int64') });
  return [{ ...lead, ref, shape: out }];
};

interface AxisSlice { start: number; end: Dim; step: number; full: boolean; size: Dim; shrink?: boolean }

const fullAxis = (d: Dim): AxisSlice => ({ start: 0, end: d, step: 1, full: true, size: d });

/** A TF StridedSlice taking `spec[a]` along each ONNX axis a. */
function stridedSlice(c: OpContext, x: TfVal, spec: AxisSlice[], base: string): TfVal {
  const begin: number[] = [];
  const end: number[] = [];
  const stride: number[] = [];
  let [bm, em, sm] = [0, 0, 0];
  x.perm.forEach((a, j) => {
    const s = spec[a]!;
    begin.push(s.start);
    end.push(isSym(s.end) || s.end < 0 ? 0 : s.end);
    stride.push(s.step);
    if (s.full) { bm |= 1 << j; em |= 1 << j; }
    if (!isSym(s.end) && s.end < 0) em |= 1 << j;
    if (s.shrink) sm |= 1 << j;
  });
  const ref = c.b.op(base, 'StridedSlice', [x.ref, c.b.ints(`${base}/begin`, begin), c.b.ints(`${base}/end`, end), c.b.ints(`${base}/strides`, stride)], {
    ...T(x), Index: attr.type('int64'), begin_mask: attr.i(bm), end_mask: attr.i(em), ellipsis_mask: attr.i(0), new_axis_mask: attr.i(0), shrink_axis_mask: attr.i(sm),
  });
  const kept = iota(x.shape.length).filter((a) => !spec[a]!.shrink);
  const renum = (a: number) => kept.indexOf(a);
  return tfv(ref, kept.map((a) => spec[a]!.size), x.perm.filter((a) => !spec[a]!.shrink).map(renum), x.dtype);
}

const slice: OpConverter = (c) => {
  const x = c.tfIn(0);
  const get = (i: number, k: string) => (c.opset >= 10 ? (c.opt(i) ? c.intsIn(i, `Slice ${k}`) : undefined) : c.ints(k));
  const starts = get(1, 'starts') ?? c.fail('starts is missing');
  const axes = get(3, 'axes') ?? starts.map((_, i) => i);
  let spec: AxisSlice[];
  try {
    spec = sliceSpec(x.shape, starts, get(2, 'ends') ?? c.fail('ends is missing'), axes, get(4, 'steps') ?? starts.map(() => 1));
  } catch (e) {
    return c.fail((e as Error).message.replace(/^convert: /, ''));
  }
  return [stridedSlice(c, x, spec, c.base)];
};

const gather: OpConverter = (c) => {
  const x = c.tfIn(0);
  const r = x.shape.length;
  const axis = normAxis(c.int('axis', 0), r);
  const n = x.shape[axis]!;
  if (isSym(n)) return c.fail('gathering along the batch axis');
  const idxT = c.constIn(1, 'Gather indices');
  const idx = c.intsIn(1, 'Gather indices').map((i) => (i < 0 ? i + n : i));
  if (idxT.shape.length === 0) return [gatherOne(c, x, axis, idx[0]!)];
  const src = idxT.shape.length === 1 ? x : c.b.plain(x, c.base);
  const out = [...x.shape.slice(0, axis), ...idxT.shape, ...x.shape.slice(axis + 1)];
  const ref = c.b.op(c.base, 'GatherV2', [src.ref, c.b.constant(`${c.base}/indices`, { dtype: 'int64', shape: idxT.shape, data: idx }), c.b.ints(`${c.base}/axis`, [src.perm.indexOf(axis)])], {
    Tparams: attr.type(x.dtype), Tindices: attr.type('int64'), Taxis: attr.type('int64'), batch_dims: attr.i(0),
  });
  return [tfv(ref, out, idxT.shape.length === 1 ? src.perm : iota(out.length), x.dtype)];
};

/** One index along `axis`, dropping the axis: a scalar-index GatherV2 in the value's layout (the WASM StridedSlice is slow above rank 4). */
function gatherOne(c: OpContext, x: TfVal, axis: number, i: number): TfVal {
  const ref = c.b.op(c.base, 'GatherV2', [x.ref, c.b.constant(`${c.base}/index`, { dtype: 'int64', shape: [], data: [i] }), c.b.ints(`${c.base}/axis`, [x.perm.indexOf(axis)])], {
    Tparams: attr.type(x.dtype), Tindices: attr.type('int64'), Taxis: attr.type('int64'), batch_dims: attr.i(0),
  });
  const perm = x.perm.filter((a) => a !== axis).map((a) => (a > axis ? a - 1 : a));
  return tfv(ref, x.shape.filter((_, a) => a !== axis), perm, x.dtype);
}

const split: OpConverter = (c) => {
  const x = c.tfIn(0);
  const axis = normAxis(c.int('axis', 0), x.shape.length);
  const n = x.shape[axis]!;
  if (isSym(n)) return c.fail('splitting the batch axis');
  const k = c.node.outputs.length;
  const given = c.opset >= 13 ? (c.opt(1) ? c.intsIn(1, 'Split sizes') : undefined) : c.ints('split');
  const sizes = given ?? Array.from({ length: k }, (_, i) => Math.min(Math.ceil(n / k), n - i * Math.ceil(n / k)));
  let at = 0;
  return sizes.map((size, i) => {
    const spec: AxisSlice[] = x.shape.map((d, a) => (a === axis ? { start: at, end: at + size, step: 1, full: false, size } : fullAxis(d)));
    at += size;
    return stridedSlice(c, x, spec, `${c.base}/out${i}`);
  });
};

const expand: OpConverter = (c) => {
  const x = c.tfIn(0);
  const out = broadcastShapes(x.shape, dims(c.constIn(1, 'Expand shape')), c.base);
  if (out.length === x.shape.length && out.every((d, i) => dimEq(d, x.shape[i]!))) return [x];
  const src = out.length === x.shape.length ? x : reshapeTo(c, x, [...new Array<number>(out.length - x.shape.length).fill(1), ...x.shape], `${c.base}/rank`);
  const vec = c.b.shapeVector(`${c.base}/shape`, src.perm.map((a) => out[a]!), false);
  return [tfv(c.b.op(c.base, 'BroadcastTo', [src.ref, vec], { ...T(x), Tidx: attr.type('int64') }), out, src.perm, x.dtype)];
};

const pad: OpConverter = (c) => {
  const x = c.tfIn(0);
  const r = x.shape.length;
  const raw = c.opset >= 11 ? c.intsIn(1, 'Pad pads') : c.ints('pads') ?? c.fail('pads is missing');
  const axes = c.opset >= 18 && c.opt(3) ? c.intsIn(3, 'Pad axes').map((a) => normAxis(a, r)) : iota(r);
  const pads = new Array<number>(2 * r).fill(0);
  axes.forEach((a, k) => { pads[a] = raw[k]!; pads[a + r] = raw[k + axes.length]!; });
  if (pads.some((p) => p < 0)) c.fail('negative pads');
  const paddings = x.perm.flatMap((a) => [pads[a]!, pads[a + r]!]);
  const mode = c.str('mode', 'constant');
  const pv = c.b.constant(`${c.base}/paddings`, { dtype: 'int64', shape: [r, 2], data: paddings });
  const out = x.shape.map((d, a) => (isSym(d) ? d : d + pads[a]! + pads[a + r]!));
  if (mode === 'reflect') return [{ ...x, shape: out, ref: c.b.op(c.base, 'MirrorPad', [x.ref, pv], { ...T(x), mode: attr.s('REFLECT') }) }];
  if (mode !== 'constant') c.fail(`mode=${mode}`);
  const value = c.opset >= 11 ? (c.opt(2) ? c.intsIn(2, 'Pad value')[0] ?? 0 : 0) : c.float('value', 0);
  return [{ ...x, shape: out, ref: c.b.op(c.base, 'PadV2', [x.ref, pv, c.b.scalar(`${c.base}/value`, value, x.dtype)], { ...T(x), Tpaddings: attr.type('int64') }) }];
};

const tile: OpConverter = (c) => {
  const x = c.tfIn(0);
  const reps = c.intsIn(1, 'Tile repeats');
  const out = x.shape.map((d, a) => (isSym(d) ? (reps[a] === 1 ? d : c.fail('tiling the batch axis')) : d * reps[a]!));
  const ref = c.b.op(c.base, 'Tile', [x.ref, c.b.ints(`${c.base}/multiples`, x.perm.map((a) => reps[a]!))], { ...T(x), Tmultiples: attr.type('int64') });
  return [{ ...x, ref, shape: out }];
};

/** ReduceMean / ReduceSum / ReduceMax / ReduceMin / ReduceProd. */
function reduce(tfOp: string, axesInputFrom: number): OpConverter {
  return (c) => {
    const x = c.tfIn(0);
    const r = x.shape.length;
    const given = c.opset >= axesInputFrom ? (c.opt(1) ? c.intsIn(1, 'axes') : undefined) : c.ints('axes');
    if (!given?.length && c.int('noop_with_empty_axes', 0) === 1) return [x];
    const axes = (given?.length ? given : iota(r)).map((a) => normAxis(a, r));
    const keep = c.int('keepdims', 1) === 1;
    const ref = c.b.op(c.base, tfOp, [x.ref, c.b.ints(`${c.base}/axes`, axes.map((a) => x.perm.indexOf(a)))], { ...T(x), keep_dims: attr.b(keep), Tidx: attr.type('int64') });
    if (keep) return [{ ...x, ref, shape: x.shape.map((d, a) => (axes.includes(a) ? 1 : d)) }];
    const kept = iota(r).filter((a) => !axes.includes(a));
    return [tfv(ref, kept.map((a) => x.shape[a]!), x.perm.filter((a) => !axes.includes(a)).map((a) => kept.indexOf(a)), x.dtype)];
  };
}

const constantOfShape: OpConverter = (c) => {
  const out = dims(c.constIn(0, 'ConstantOfShape shape'));
  const v = c.attr('value');
  const value = v && typeof v === 'object' && 'data' in v ? Number(v.data[0] ?? 0) : 0;
  const dtype = v && typeof v === 'object' && 'dtype' in v ? v.dtype : 'float32';
  const ref = c.b.op(c.base, 'Fill', [c.b.shapeVector(`${c.base}/shape`, out, false), c.b.scalar(`${c.base}/value`, value, dtype)], { T: attr.type(dtype), index_type: attr.type('int64') });
  return [tfv(ref, out, iota(out.length), dtype)];
};

/** Shape converters by ONNX op type. */
export const SHAPE_OPS: Record<string, OpConverter> = {
  Shape: shape, Reshape: reshape, Flatten: flatten, Squeeze: squeeze, Unsqueeze: unsqueeze, Transpose: transpose,
  Concat: concat, Slice: slice, Gather: gather, Split: split, Expand: expand, Pad: pad, Tile: tile,
  ReduceMean: reduce('Mean', 18), ReduceSum: reduce('Sum', 13), ReduceMax: reduce('Max', 18), ReduceMin: reduce('Min', 18),
  ReduceProd: reduce('Prod', 18), ConstantOfShape: constantOfShape,
};
