/**
 * Emits a TensorFlow GraphDef (as TF.js reads it from model.json) and tracks, for every
 * converted tensor, how its TF axes relate to the ONNX axes (its layout). Pure module.
 */
import { alloc, fmtDim, isSym, transposeConst, type ConstT, type Dim, type DType } from './tensor.js';

/** A tensor computed by the TF graph. `perm[i]` is the ONNX axis held by TF axis i. */
export interface TfVal {
  kind: 'tf';
  ref: string;
  /** Shape in ONNX axis order. */
  shape: Dim[];
  perm: number[];
  dtype: DType;
}

/** A tensor known at conversion time. */
export interface ConstVal {
  kind: 'const';
  t: ConstT;
}

/** A converted ONNX value. */
export type Val = TfVal | ConstVal;

/** One GraphDef node in TF.js JSON form. */
export interface TfNode {
  name: string;
  op: string;
  input: string[];
  attr: Record<string, unknown>;
}

/** A weight to be written to the shard, named like its Const node. */
export interface TfWeight {
  name: string;
  t: ConstT;
}

const TF_DTYPE: Record<DType, string> = { float32: 'DT_FLOAT', int64: 'DT_INT32', bool: 'DT_BOOL' };

/** GraphDef attribute helpers. */
export const attr = {
  type: (d: DType) => ({ type: TF_DTYPE[d] }),
  i: (n: number) => ({ i: String(n) }),
  f: (x: number) => ({ f: x }),
  b: (x: boolean) => ({ b: x }),
  s: (x: string) => ({ s: Buffer.from(x).toString('base64') }),
  ints: (xs: number[]) => ({ list: { i: xs.map(String) } }),
  strs: (xs: string[]) => ({ list: { s: xs.map((x) => Buffer.from(x).toString('base64')) } }),
};

/** The identity permutation of rank r. */
export const iota = (r: number): number[] => Array.from({ length: r }, (_, i) => i);

/** ONNX NCHW held as TF NHWC. */
export const NHWC = [0, 2, 3, 1];

const sameArr = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Collects GraphDef nodes and weights; hands out unique node names. */
export class GraphBuilder {
  readonly nodes: TfNode[] = [];
  readonly weights: TfWeight[] = [];
  readonly #used = new Set<string>();
  #batch: string | undefined;
  /** TF name of the graph input, used to read the batch size at run time. */
  inputRef = '';

  /** A fresh node name derived from `base`. */
  uid(base: string): string {
    let name = base.replace(/[^A-Za-z0-9_./-]/g, '_').replace(/^[^A-Za-z0-9.]+/, '') || 'node';
    if (this.#used.has(name)) {
      let k = 1;
      while (this.#used.has(`${name}_${k}`)) k++;
      name = `${name}_${k}`;
    }
    this.#used.add(name);
    return name;
  }

  /** Adds a node and returns its name (its first output). */
  op(base: string, op: string, input: string[], attrs: Record<string, unknown> = {}): string {
    const name = this.uid(base);
    this.nodes.push({ name, op, input, attr: attrs });
    return name;
  }

  /** Adds a Const node holding `t`. */
  constant(base: string, t: ConstT): string {
    const name = this.uid(base);
    const dtype = t.dtype;
    this.nodes.push({ name, op: 'Const', input: [], attr: { dtype: attr.type(dtype), value: { tensor: { dtype: TF_DTYPE[dtype] } } } });
    this.weights.push({ name, t });
    return name;
  }

  /** An int32 vector constant. */
  ints(base: string, xs: number[]): string {
    return this.constant(base, { dtype: 'int64', shape: [xs.length], data: xs });
  }

  /** A scalar constant. */
  scalar(base: string, x: number, dtype: DType = 'float32'): string {
    const t = alloc(dtype, []);
    (t.data as number[])[0] = x;
    return this.constant(base, t);
  }

  /** The value as a TF tensor; constants become Const nodes in ONNX layout. */
  tf(v: Val, base: string): TfVal {
    if (v.kind === 'tf') return v;
    return { kind: 'tf', ref: this.constant(`${base}/const`, v.t), shape: v.t.shape, perm: iota(v.t.shape.length), dtype: v.t.dtype };
  }

  /** The value laid out so that TF axis i holds ONNX axis target[i]. */
  toPerm(v: Val, target: number[], base: string): TfVal {
    if (v.kind === 'const') {
      const t = transposeConst(v.t, target);
      return { ...this.tf({ kind: 'const', t }, base), shape: v.t.shape, perm: target.slice() };
    }
    if (sameArr(v.perm, target)) return v;
    const p = target.map((a) => v.perm.indexOf(a));
    const ref = this.op(`${base}/transpose`, 'Transpose', [v.ref, this.ints(`${base}/perm`, p)], { T: attr.type(v.dtype) });
    return { ...v, ref, perm: target.slice() };
  }

  /** The value in plain ONNX layout. */
  plain(v: Val, base: string): TfVal {
    return this.toPerm(v, iota(v.kind === 'tf' ? v.shape.length : v.t.shape.length), base);
  }

  /** The run-time batch size as an int32 scalar. */
  batch(): string {
    if (this.#batch) return this.#batch;
    const shape = this.op('batch/shape', 'Shape', [this.inputRef], {});
    const one = (n: string, x: number) => this.ints(n, [x]);
    this.#batch = this.op('batch/size', 'StridedSlice', [shape, one('batch/b', 0), one('batch/e', 1), one('batch/s', 1)], {
      T: attr.type('int64'), Index: attr.type('int64'), begin_mask: attr.i(0), end_mask: attr.i(0),
      ellipsis_mask: attr.i(0), new_axis_mask: attr.i(0), shrink_axis_mask: attr.i(1),
    });
    return this.#batch;
  }

  /**
   * A shape vector for Reshape (`minusOne`: one batch-dependent dim may become -1) or for
   * BroadcastTo/Fill (batch dims computed from the run-time batch size).
   */
  shapeVector(base: string, shape: Dim[], minusOne: boolean): string {
    const syms = shape.filter(isSym).length;
    if (syms === 0) return this.ints(base, shape as number[]);
    if (minusOne && syms === 1) return this.ints(base, shape.map((d) => (isSym(d) ? -1 : d)));
    const parts = shape.map((d, i) => {
      if (!isSym(d)) return this.ints(`${base}/d${i}`, [d]);
      const b = this.op(`${base}/b${i}`, 'Reshape', [this.batch(), this.ints(`${base}/one${i}`, [1])], { T: attr.type('int64') });
      return d.batch === 1 ? b : this.op(`${base}/m${i}`, 'Mul', [b, this.ints(`${base}/k${i}`, [d.batch])], { T: attr.type('int64') });
    });
    return this.op(base, 'ConcatV2', [...parts, this.ints(`${base}/axis`, [0])], { N: attr.i(parts.length), T: attr.type('int64') });
  }
}

/** A readable shape for error messages. */
export function fmtShape(shape: readonly Dim[]): string {
  return `[${shape.map(fmtDim).join(', ')}]`;
}
