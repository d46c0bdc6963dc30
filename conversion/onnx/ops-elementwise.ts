/**
 * Element-wise ONNX ops (activations, arithmetic with broadcasting, comparisons, Softmax),
 * converted in whatever layout their operands already have. Pure module.
 */
import { attr, iota, type GraphBuilder, type TfVal, type Val } from './builder.js';
import { normAxis, shapeOf, type OpContext, type OpConverter } from './context.js';
import { broadcastShapes, isSym, numel, reshapeConst, transposeConst, type Dim, type DType } from './tensor.js';

/** Operands brought to one rank and one layout, ready for a broadcasting TF op. */
export function align(b: GraphBuilder, vals: Val[], base: string): { refs: string[]; shape: Dim[]; perm: number[] } {
  const shape = vals.map(shapeOf).reduce((s, t) => broadcastShapes(s, t, base));
  const r = shape.length;
  const lead = vals.find((v): v is TfVal => v.kind === 'tf' && v.shape.length === r);
  const perm = lead ? lead.perm : iota(r);
  const refs = vals.map((v, i) => toRank(b, v, r, perm, `${base}/x${i}`));
  return { refs, shape, perm };
}

function toRank(b: GraphBuilder, v: Val, r: number, perm: number[], base: string): string {
  if (v.kind === 'const') {
    if (numel(v.t.shape) === 1) return b.tf({ kind: 'const', t: reshapeConst(v.t, []) }, base).ref;
    const full = reshapeConst(v.t, [...new Array<number>(r - v.t.shape.length).fill(1), ...v.t.shape]);
    return b.tf({ kind: 'const', t: transposeConst(full, perm) }, base).ref;
  }
  if (v.shape.length === r) return b.toPerm(v, perm, base).ref;
  const plain = b.plain(v, base);
  const shape: Dim[] = [...new Array<number>(r - v.shape.length).fill(1), ...v.shape];
  const ref = b.op(`${base}/expand`, 'Reshape', [plain.ref, b.shapeVector(`${base}/shape`, shape, true)], { T: attr.type(v.dtype) });
  return b.toPerm({ ...plain, ref, shape, perm: iota(r) }, perm, base).ref;
}

/** A TF value of `dtype` with the given layout. */
export const tfv = (ref: string, shape: Dim[], perm: number[], dtype: DType): TfVal => ({ kind: 'tf', ref, shape, perm, dtype });

const dtypeOf = (v: Val): DType => (v.kind === 'tf' ? v.dtype : v.t.dtype);

function binaryOp(tfOp: string, outBool = false): OpConverter {
  return (c) => {
    const vals = c.inputs.filter((v): v is Val => v !== undefined);
    if (vals.some((v) => dtypeOf(v) === 'int64') && tfOp === 'RealDiv') c.fail('integer division at run time');
    const { refs, shape, perm } = align(c.b, vals, c.base);
    const dtype = dtypeOf(vals[0]!);
    const T = dtype === 'bool' ? {} : { T: attr.type(dtype) };
    let ref = refs[0]!;
    for (let i = 1; i < refs.length; i++) ref = c.b.op(c.base, tfOp, [ref, refs[i]!], T);
    return [tfv(ref, shape, perm, outBool ? 'bool' : dtype)];
  };
}

/** A one-input TF op applied in place of the ONNX op. */
export function unaryOp(tfOp: string, attrs: (c: OpContext) => Record<string, unknown> = () => ({})): OpConverter {
  return (c) => {
    const x = c.tfIn(0);
    return [{ ...x, ref: c.b.op(c.base, tfOp, [x.ref], { T: attr.type(x.dtype), ...attrs(c) }) }];
  };
}

/** x * k + d element-wise with scalar constants, on the TF side. */
function affine(c: OpContext, x: TfVal, k: number, d: number, base: string): string {
  const m = k === 1 ? x.ref : c.b.op(`${base}/mul`, 'Mul', [x.ref, c.b.scalar(`${base}/k`, k)], { T: attr.type('float32') });
  return d === 0 ? m : c.b.op(`${base}/add`, 'AddV2', [m, c.b.scalar(`${base}/d`, d)], { T: attr.type('float32') });
}

const F = { T: attr.type('float32') };

function clipTo(c: OpContext, ref: string, lo: number, hi: number, base: string): string {
  if (lo === 0 && hi === 6) return c.b.op(base, 'Relu6', [ref], F);
  if (lo === 0 && hi === Infinity) return c.b.op(base, 'Relu', [ref], F);
  if (hi === Infinity) return c.b.op(base, 'Maximum', [ref, c.b.scalar(`${base}/lo`, lo)], F);
  if (lo === -Infinity) return c.b.op(base, 'Minimum', [ref, c.b.scalar(`${base}/hi`, hi)], F);
  return c.b.op(base, 'ClipByValue', [ref, c.b.scalar(`${base}/lo`, lo), c.b.scalar(`${base}/hi`, hi)], F);
}

const clip: OpConverter = (c) => {
  const x = c.tfIn(0);
  const lo = c.opset < 11 ? c.float('min', -Infinity) : c.opt(1) ? constScalar(c, 1) : -Infinity;
  const hi = c.opset < 11 ? c.float('max', Infinity) : c.opt(2) ? constScalar(c, 2) : Infinity;
  return [{ ...x, ref: clipTo(c, x.ref, lo, hi, c.base) }];
};

function constScalar(c: OpContext, i: number): number {
  const t = c.constIn(i, `input ${i}`);
  const v = t.data[0];
  if (v === undefined || isSym(v)) return c.fail(`input ${i} must be a static scalar`);
  return v;
}

const hardSigmoid: OpConverter = (c) => {
  const x = c.tfIn(0);
  const a = affine(c, x, c.float('alpha', 0.2), c.float('beta', 0.5), c.base);
  return [{ ...x, ref: clipTo(c, a, 0, 1, `${c.base}/clip`) }];
};

const hardSwish: OpConverter = (c) => {
  const x = c.tfIn(0);
  const gate = clipTo(c, affine(c, x, 1 / 6, 0.5, c.base), 0, 1, `${c.base}/clip`);
  return [{ ...x, ref: c.b.op(c.base, 'Mul', [x.ref, gate], F) }];
};

/** 0.5·x·(1 + erf(x/√2)), or the tanh approximation. */
const gelu: OpConverter = (c) => {
  const x = c.tfIn(0);
  if (c.str('approximate', 'none') !== 'none') c.fail(`approximate=${c.str('approximate', '')}`);
  const e = c.b.op(`${c.base}/erf`, 'Erf', [affine(c, x, Math.SQRT1_2, 0, `${c.base}/s`)], F);
  const one = affine(c, { ...x, ref: e }, 0.5, 0.5, `${c.base}/h`);
  return [{ ...x, ref: c.b.op(c.base, 'Mul', [x.ref, one], F) }];
};

const leakyRelu: OpConverter = unaryOp('LeakyRelu', (c) => ({ alpha: attr.f(c.float('alpha', 0.01)) }));

const elu: OpConverter = (c) => {
  if (c.float('alpha', 1) !== 1) c.fail(`alpha=${c.float('alpha', 1)}`);
  return unaryOp('Elu')(c);
};

const prelu: OpConverter = (c) => {
  const { refs, shape, perm } = align(c.b, [c.in(0), c.in(1)], c.base);
  return [tfv(c.b.op(c.base, 'Prelu', refs, F), shape, perm, 'float32')];
};

/** Softmax / LogSoftmax over one axis, moved to the TF-last position when needed. */
function softmax(tfOp: string): OpConverter {
  return (c) => {
    const v = c.tfIn(0);
    const r = v.shape.length;
    const axis = normAxis(c.int('axis', c.opset >= 13 ? -1 : 1), r);
    if (c.opset < 13 && axis !== r - 1) c.fail(`axis=${axis} under opset < 13 flattens`);
    const perm = [...v.perm.filter((a) => a !== axis), axis];
    const x = c.b.toPerm(v, perm, c.base);
    return [{ ...x, ref: c.b.op(c.base, tfOp, [x.ref], F) }];
  };
}

const cast: OpConverter = (c) => {
  const x = c.tfIn(0);
  const to = c.int('to', 1);
  const dtype: DType = to === 1 || to === 10 || to === 11 ? 'float32' : to === 9 ? 'bool' : 'int64';
  if (dtype === x.dtype) return [x];
  return [{ ...x, dtype, ref: c.b.op(c.base, 'Cast', [x.ref], { SrcT: attr.type(x.dtype), DstT: attr.type(dtype) }) }];
};

const where: OpConverter = (c) => {
  const { refs, shape, perm } = align(c.b, [c.in(0), c.in(1), c.in(2)], c.base);
  const dtype = dtypeOf(c.in(1));
  return [tfv(c.b.op(c.base, 'SelectV2', refs, { T: attr.type(dtype) }), shape, perm, dtype)];
};

const pow: OpConverter = (c) => {
  const e = c.opt(1);
  if (e?.kind === 'const' && numel(e.t.shape) === 1 && e.t.data[0] === 2) {
    const x = c.tfIn(0);
    return [{ ...x, ref: c.b.op(c.base, 'Mul', [x.ref, x.ref], F) }];
  }
  return binaryOp('Pow')(c);
};

const identity: OpConverter = (c) => [c.in(0)];

/** Element-wise converters by ONNX op type. */
export const ELEMENTWISE_OPS: Record<string, OpConverter> = {
  Add: binaryOp('AddV2'), Sub: binaryOp('Sub'), Mul: binaryOp('Mul'), Div: binaryOp('RealDiv'), Pow: pow,
  Max: binaryOp('Maximum'), Min: binaryOp('Minimum'), Sum: binaryOp('AddV2'),
  Equal: binaryOp('Equal', true), Less: binaryOp('Less', true), Greater: binaryOp('Greater', true),
  LessOrEqual: binaryOp('LessEqual', true), GreaterOrEqual: binaryOp('GreaterEqual', true),
  And: binaryOp('LogicalAnd', true), Or: binaryOp('LogicalOr', true),
  Relu: unaryOp('Relu'), Sigmoid: unaryOp('Sigmoid'), Tanh: unaryOp('Tanh'), Exp: unaryOp('Exp'), Log: unaryOp('Log'),
  Sqrt: unaryOp('Sqrt'), Neg: unaryOp('Neg'), Abs: unaryOp('Abs'), Erf: unaryOp('Erf'), Floor: unaryOp('Floor'),
  Ceil: unaryOp('Ceil'), Reciprocal: unaryOp('Reciprocal'), Sin: unaryOp('Sin'), Cos: unaryOp('Cos'),
  Softplus: unaryOp('Softplus'), Sign: unaryOp('Sign'), Round: unaryOp('Round'), Not: unaryOp('LogicalNot'),
  Selu: unaryOp('Selu'), Elu: elu, LeakyRelu: leakyRelu, PRelu: prelu, Clip: clip,
  HardSigmoid: hardSigmoid, HardSwish: hardSwish, Gelu: gelu, Softmax: softmax('Softmax'),
  LogSoftmax: softmax('LogSoftmax'), Cast: cast, Where: where, Identity: identity, Dropout: identity,
};
