/**
 * Layout-sensitive ONNX ops: convolutions, pooling and normalisation run in NHWC; Gemm and
 * MatMul on the trailing axes. Pure module.
 */
import { attr, iota, NHWC, type TfVal, type Val } from './builder.js';
import { normAxis, type OpContext, type OpConverter } from './context.js';
import { align, tfv } from './ops-elementwise.js';
import { alloc, floatConst, isSym, nums, reshapeConst, transposeConst, type ConstT, type Dim } from './tensor.js';

const F = { T: attr.type('float32') };

/** Static spatial size of an NCHW value. */
function spatial(c: OpContext, v: TfVal): [number, number] {
  const [h, w] = [v.shape[2], v.shape[3]];
  if (h === undefined || w === undefined || isSym(h) || isSym(w)) c.fail(`input must be 4-D with static spatial size, got rank ${v.shape.length}`);
  return [h, w];
}

/** Explicit [top, left, bottom, right] pads from pads / auto_pad. */
function resolvePads(c: OpContext, hw: [number, number], k: number[], s: number[], d: number[]): number[] {
  const auto = c.str('auto_pad', 'NOTSET');
  if (auto === 'NOTSET') return c.ints('pads') ?? [0, 0, 0, 0];
  if (auto === 'VALID') return [0, 0, 0, 0];
  const total = hw.map((n, i) => Math.max(0, (Math.ceil(n / s[i]!) - 1) * s[i]! + (k[i]! - 1) * d[i]! + 1 - n));
  const small = total.map((t) => Math.floor(t / 2));
  const big = total.map((t, i) => t - small[i]!);
  return auto === 'SAME_UPPER' ? [small[0]!, small[1]!, big[0]!, big[1]!] : [big[0]!, big[1]!, small[0]!, small[1]!];
}

function padNhwc(c: OpContext, x: TfVal, p: number[], value: number, base: string): string {
  if (p.every((v) => v === 0)) return x.ref;
  const pads = c.b.constant(`${base}/paddings`, { dtype: 'int64', shape: [4, 2], data: [0, 0, p[0]!, p[2]!, p[1]!, p[3]!, 0, 0] });
  return c.b.op(`${base}/pad`, 'PadV2', [x.ref, pads, c.b.scalar(`${base}/padvalue`, value)], { T: attr.type('float32'), Tpaddings: attr.type('int64') });
}

function outSize(n: number, k: number, s: number, d: number, p0: number, p1: number, ceil: boolean): number {
  const q = (n + p0 + p1 - (d * (k - 1) + 1)) / s;
  return (ceil ? Math.ceil(q) : Math.floor(q)) + 1;
}

const conv: OpConverter = (c) => {
  const x = c.b.toPerm(c.in(0), NHWC, c.base);
  const hw = spatial(c, x);
  const w = c.constIn(1, 'Conv weight');
  if (w.shape.length !== 4) c.fail(`only 2-D convolution is supported, weight rank ${w.shape.length}`);
  const [m, cg, kh, kw] = w.shape as [number, number, number, number];
  const g = c.int('group', 1);
  const s = c.ints('strides') ?? [1, 1];
  const d = c.ints('dilations') ?? [1, 1];
  const p = resolvePads(c, hw, [kh, kw], s, d);
  const cin = x.shape[1] as number;
  let ref: string;
  if (g === 1) {
    ref = c.b.op(c.base, 'Conv2D', [x.ref, c.b.constant(`${c.base}/filter`, transposeConst(w, [2, 3, 1, 0]))], {
      ...F, strides: attr.ints([1, s[0]!, s[1]!, 1]), dilations: attr.ints([1, d[0]!, d[1]!, 1]),
      padding: attr.s('EXPLICIT'), explicit_paddings: attr.ints([0, 0, p[0]!, p[2]!, p[1]!, p[3]!, 0, 0]), data_format: attr.s('NHWC'),
    });
  } else if (g === cin && cg === 1) {
    const filter = transposeConst(reshapeConst(w, [cin, m / cin, kh, kw]), [2, 3, 0, 1]);
    ref = c.b.op(c.base, 'DepthwiseConv2dNative', [padNhwc(c, x, p, 0, c.base), c.b.constant(`${c.base}/filter`, filter)], {
      ...F, strides: attr.ints([1, s[0]!, s[1]!, 1]), dilations: attr.ints([1, d[0]!, d[1]!, 1]), padding: attr.s('VALID'), data_format: attr.s('NHWC'),
    });
  } else {
    ref = groupedConv(c, x, w, g, s, d, p);
  }
  const bias = c.opt(2);
  if (bias) ref = c.b.op(`${c.base}/bias`, 'BiasAdd', [ref, c.b.tf(bias, `${c.base}/b`).ref], { ...F, data_format: attr.s('NHWC') });
  const ho = outSize(hw[0], kh, s[0]!, d[0]!, p[0]!, p[2]!, false);
  const wo = outSize(hw[1], kw, s[1]!, d[1]!, p[1]!, p[3]!, false);
  return [tfv(ref, [x.shape[0]!, m, ho, wo], NHWC, 'float32')];
};

function groupedConv(c: OpContext, x: TfVal, w: ConstT, g: number, s: number[], d: number[], p: number[]): string {
  const [m, cg] = w.shape as [number, number];
  const padded = padNhwc(c, x, p, 0, c.base);
  const per = (m / g) * w.data.length / m;
  const outs: string[] = [];
  for (let i = 0; i < g; i++) {
    const part = { ...w, shape: [m / g, ...w.shape.slice(1)], data: (w.data as Float32Array).slice(i * per, (i + 1) * per) };
    const xi = c.b.op(`${c.base}/g${i}/x`, 'StridedSlice', [
      padded, c.b.ints(`${c.base}/g${i}/b`, [0, 0, 0, i * cg]), c.b.ints(`${c.base}/g${i}/e`, [0, 0, 0, (i + 1) * cg]), c.b.ints(`${c.base}/g${i}/s`, [1, 1, 1, 1]),
    ], { ...F, Index: attr.type('int64'), begin_mask: attr.i(7), end_mask: attr.i(7), ellipsis_mask: attr.i(0), new_axis_mask: attr.i(0), shrink_axis_mask: attr.i(0) });
    outs.push(c.b.op(`${c.base}/g${i}`, 'Conv2D', [xi, c.b.constant(`${c.base}/g${i}/filter`, transposeConst(part, [2, 3, 1, 0]))], {
      ...F, strides: attr.ints([1, s[0]!, s[1]!, 1]), dilations: attr.ints([1, d[0]!, d[1]!, 1]), padding: attr.s('VALID'), data_format: attr.s('NHWC'),
    }));
  }
  return c.b.op(c.base, 'ConcatV2', [...outs, c.b.ints(`${c.base}/axis`, [3])], { ...F, N: attr.i(g) });
}

/** MaxPool / AveragePool over NHWC. */
function pool(kind: 'max' | 'avg'): OpConverter {
  return (c) => {
    if (c.node.outputs.length > 1 && c.node.outputs[1]) c.fail('the Indices output');
    const x = c.b.toPerm(c.in(0), NHWC, c.base);
    const hw = spatial(c, x);
    const k = c.ints('kernel_shape') ?? c.fail('kernel_shape is missing');
    if (k.length !== 2) c.fail(`kernel_shape ${JSON.stringify(k)}`);
    const s = c.ints('strides') ?? [1, 1];
    const d = c.ints('dilations') ?? [1, 1];
    if (d.some((v) => v !== 1)) c.fail(`dilations ${JSON.stringify(d)}`);
    const p = resolvePads(c, hw, k, s, d);
    const ceil = c.int('ceil_mode', 0) === 1;
    const out = [0, 1].map((i) => outSize(hw[i]!, k[i]!, s[i]!, 1, p[i]!, p[i + 2]!, ceil));
    const extra = [0, 1].map((i) => Math.max(0, (out[i]! - 1) * s[i]! + k[i]! - (hw[i]! + p[i]! + p[i + 2]!)));
    const full = [p[0]!, p[1]!, p[2]! + extra[0]!, p[3]! + extra[1]!];
    const padded = padNhwc(c, x, full, kind === 'max' ? -Infinity : 0, c.base);
    const tfOp = kind === 'max' ? 'MaxPool' : 'AvgPool';
    let ref = c.b.op(c.base, tfOp, [padded], {
      ...F, ksize: attr.ints([1, k[0]!, k[1]!, 1]), strides: attr.ints([1, s[0]!, s[1]!, 1]), padding: attr.s('VALID'), data_format: attr.s('NHWC'),
    });
    if (kind === 'avg') ref = avgDivisor(c, ref, hw, k, s, p, extra, out);
    return [tfv(ref, [x.shape[0]!, x.shape[1]!, out[0]!, out[1]!], NHWC, 'float32')];
  };
}

/** Rescales a zero-padded AvgPool so that padding is excluded from the count where ONNX says so. */
function avgDivisor(c: OpContext, ref: string, hw: number[], k: number[], s: number[], p: number[], extra: number[], out: number[]): string {
  const include = c.int('count_include_pad', 0) === 1;
  if (extra.some((e) => e > 0)) c.fail('ceil_mode with a partial last window');
  if (include || p.every((v) => v === 0)) return ref;
  const scale = alloc('float32', [1, out[0]!, out[1]!, 1]);
  const count = (i: number, o: number) => {
    const start = o * s[i]! - p[i]!;
    return Math.min(start + k[i]!, hw[i]!) - Math.max(start, 0);
  };
  for (let y = 0; y < out[0]!; y++) {
    for (let x = 0; x < out[1]!; x++) (scale.data as Float32Array)[y * out[1]! + x] = (k[0]! * k[1]!) / (count(0, y) * count(1, x));
  }
  return c.b.op(`${c.base}/rescale`, 'Mul', [ref, c.b.constant(`${c.base}/scale`, scale)], F);
}

/** GlobalAveragePool / GlobalMaxPool: a keep-dims reduction over the spatial axes. */
function globalPool(tfOp: 'Mean' | 'Max'): OpConverter {
  return (c) => {
    const x = c.tfIn(0);
    const axes = x.perm.flatMap((a, i) => (a >= 2 ? [i] : []));
    const ref = c.b.op(c.base, tfOp, [x.ref, c.b.ints(`${c.base}/axes`, axes)], { ...F, keep_dims: attr.b(true), Tidx: attr.type('int64') });
    return [{ ...x, ref, shape: x.shape.map((dd, i) => (i >= 2 ? 1 : dd)) }];
  };
}

/** Per-channel scale and shift of an inference-mode BatchNormalization. */
export function bnAffine(c: OpContext): { scale: Float32Array; shift: Float32Array } {
  if (c.int('training_mode', 0) === 1) c.fail('training_mode=1');
  const [g, b, m, v] = [1, 2, 3, 4].map((i) => nums(c.constIn(i, `BatchNormalization input ${i}`), 'BatchNormalization parameter'));
  const eps = c.float('epsilon', 1e-5);
  const scale = Float32Array.from(g!, (gi, i) => gi / Math.sqrt(v![i]! + eps));
  const shift = Float32Array.from(b!, (bi, i) => bi - m![i]! * scale[i]!);
  return { scale, shift };
}

const batchNorm: OpConverter = (c) => {
  const { scale, shift } = bnAffine(c);
  const r = c.shapeOf(0).length;
  const ones = new Array<number>(Math.max(0, r - 2)).fill(1);
  const sv: Val = { kind: 'const', t: floatConst([scale.length, ...ones], scale) };
  const tv: Val = { kind: 'const', t: floatConst([shift.length, ...ones], shift) };
  const mul = align(c.b, [c.in(0), sv], `${c.base}/scale`);
  const m = c.b.op(`${c.base}/mul`, 'Mul', mul.refs, F);
  const add = align(c.b, [tfv(m, mul.shape, mul.perm, 'float32'), tv], `${c.base}/shift`);
  return [tfv(c.b.op(c.base, 'AddV2', add.refs, F), add.shape, add.perm, 'float32')];
};

/** A TF matrix product where `b` may be a 2-D constant. */
function matmul(c: OpContext, a: Val, bv: Val, base: string): TfVal {
  const ra = a.kind === 'tf' ? a.shape.length : a.t.shape.length;
  const rb = bv.kind === 'tf' ? bv.shape.length : bv.t.shape.length;
  if (ra < 2 || rb < 2) c.fail('1-D MatMul operands');
  const aTf = c.b.tf(a, `${base}/a`);
  const keepPerm = rb === 2 && ra > 2 && aTf.perm[ra - 1] === ra - 1;
  const [x, adjX] = keepPerm ? [aTf, false] : matOperand(c, aTf, ra, `${base}/a`);
  const [y, adjY] = matOperand(c, bv, rb, `${base}/b`);
  const xs = x.shape;
  const ys = y.shape;
  const batchShape = ra >= rb ? xs.slice(0, -2) : ys.slice(0, -2);
  const shape = [...batchShape, xs[ra - 2]!, ys[rb - 1]!];
  if (keepPerm && x.shape.filter(isSym).length <= 1) return flatMatmul(c, x, y, adjY, shape, base);
  const tfOp = ra === 2 && rb === 2 ? 'MatMul' : 'BatchMatMulV2';
  const flags = tfOp === 'MatMul' ? { transpose_a: attr.b(adjX), transpose_b: attr.b(adjY) } : { adj_x: attr.b(adjX), adj_y: attr.b(adjY) };
  const ref = c.b.op(base, tfOp, [x.ref, y.ref], { ...F, ...flags });
  return tfv(ref, shape, keepPerm ? x.perm : iota(shape.length), 'float32');
}

/**
 * [..., K] × [K, N] as one 2-D MatMul between two Reshapes (the WASM backend runs a broadcast
 * BatchMatMul as many small products). `x` keeps its layout; its TF-last axis is ONNX-last.
 */
function flatMatmul(c: OpContext, x: TfVal, y: TfVal, adjY: boolean, shape: Dim[], base: string): TfVal {
  const k = x.shape[x.shape.length - 1]!;
  const flat = c.b.op(`${base}/flatten`, 'Reshape', [x.ref, c.b.ints(`${base}/flat`, [-1, k as number])], F);
  const mm = c.b.op(base, 'MatMul', [flat, y.ref], { ...F, transpose_a: attr.b(false), transpose_b: attr.b(adjY) });
  const tfShape = x.perm.map((a) => shape[a]!);
  const ref = c.b.op(`${base}/unflatten`, 'Reshape', [mm, c.b.shapeVector(`${base}/shape`, tfShape, true)], F);
  return tfv(ref, shape, x.perm, 'float32');
}

/** The operand in plain layout, or with its two last axes swapped (reported as adjoint). */
function matOperand(c: OpContext, v: Val, r: number, base: string): [TfVal, boolean] {
  if (v.kind === 'tf') {
    const swapped = [...iota(r - 2), r - 1, r - 2];
    if (v.perm.every((p, i) => p === swapped[i])) return [v, true];
    if (r > 2 && v.perm[r - 1] === r - 1 && v.perm[r - 2] === r - 2) return [c.b.plain(v, base), false];
  }
  return [c.b.plain(v, base), false];
}

const matMulOp: OpConverter = (c) => [matmul(c, c.in(0), c.in(1), c.base)];

const gemm: OpConverter = (c) => {
  let a = c.in(0);
  let bv = c.in(1);
  if (c.int('transA', 0) === 1) a = a.kind === 'const' ? { kind: 'const', t: transposeConst(a.t, [1, 0]) } : { ...a, shape: [a.shape[1]!, a.shape[0]!], perm: a.perm.map((p) => 1 - p) };
  if (c.int('transB', 0) === 1) bv = bv.kind === 'const' ? { kind: 'const', t: transposeConst(bv.t, [1, 0]) } : { ...bv, shape: [bv.shape[1]!, bv.shape[0]!], perm: bv.perm.map((p) => 1 - p) };
  let y = matmul(c, a, bv, `${c.base}/matmul`);
  const alpha = c.float('alpha', 1);
  if (alpha !== 1) y = { ...y, ref: c.b.op(`${c.base}/alpha`, 'Mul', [y.ref, c.b.scalar(`${c.base}/alphav`, alpha)], F) };
  const cv = c.opt(2);
  if (!cv) return [y];
  const beta = c.float('beta', 1);
  const bias: Val = cv.kind === 'const' && beta !== 1 ? { kind: 'const', t: scaleConst(cv.t, beta) } : cv;
  if (beta !== 1 && cv.kind !== 'const') c.fail(`beta=${beta} with a computed C`);
  const { refs, shape, perm } = align(c.b, [y, bias], `${c.base}/bias`);
  return [tfv(c.b.op(c.base, 'AddV2', refs, F), shape, perm, 'float32')];
};

function scaleConst(t: ConstT, k: number): ConstT {
  return { ...t, data: Float32Array.from(t.data as Float32Array, (v) => v * k) };
}

/** LayerNormalization: (x − mean) / √(var + ε) · scale + bias over the trailing axes. */
const layerNorm: OpConverter = (c) => {
  const x = c.tfIn(0);
  const r = x.shape.length;
  const axis = normAxis(c.int('axis', -1), r);
  if (c.node.outputs.slice(1).some((o) => o)) c.fail('the Mean / InvStdDev outputs');
  const axes = x.perm.flatMap((a, i) => (a >= axis ? [i] : []));
  const red = (base: string, ref: string) => c.b.op(base, 'Mean', [ref, c.b.ints(`${base}/axes`, axes)], { ...F, keep_dims: attr.b(true), Tidx: attr.type('int64') });
  const mean = red(`${c.base}/mean`, x.ref);
  const diff = c.b.op(`${c.base}/diff`, 'Sub', [x.ref, mean], F);
  const variance = red(`${c.base}/var`, c.b.op(`${c.base}/sq`, 'Mul', [diff, diff], F));
  const veps = c.b.op(`${c.base}/veps`, 'AddV2', [variance, c.b.scalar(`${c.base}/eps`, c.float('epsilon', 1e-5))], F);
  const norm = tfv(c.b.op(`${c.base}/norm`, 'Mul', [diff, c.b.op(`${c.base}/rsqrt`, 'Rsqrt', [veps], F)], F), x.shape, x.perm, 'float32');
  const sc = align(c.b, [norm, c.in(1)], `${c.base}/scale`);
  let y = tfv(c.b.op(`${c.base}/mul`, 'Mul', sc.refs, F), sc.shape, sc.perm, 'float32');
  const bias = c.opt(2);
  if (!bias) return [y];
  const bi = align(c.b, [y, bias], `${c.base}/bias`);
  y = tfv(c.b.op(c.base, 'AddV2', bi.refs, F), bi.shape, bi.perm, 'float32');
  return [y];
};

/** NN converters by ONNX op type. */
export const NN_OPS: Record<string, OpConverter> = {
  Conv: conv,
  MaxPool: pool('max'),
  AveragePool: pool('avg'),
  GlobalAveragePool: globalPool('Mean'),
  GlobalMaxPool: globalPool('Max'),
  BatchNormalization: batchNorm,
  MatMul: matMulOp,
  Gemm: gemm,
  LayerNormalization: layerNorm,
};
