/**
 * Constant tensors as the converter sees them: float32 weights, int64 shape vectors whose
 * elements may be a multiple of the (unknown) batch size, and booleans. Pure module.
 */

/** A multiple of the batch size: `{ batch: 3 }` stands for 3 × N. */
export interface Sym {
  batch: number;
}

/** One dimension or one element of a shape vector: a number or a multiple of the batch size. */
export type Dim = number | Sym;

/** Element types the converter keeps; ONNX int32/int64/uint8… all become 'int64'. */
export type DType = 'float32' | 'int64' | 'bool';

/** A constant tensor; float32 data is a Float32Array, the others plain arrays. */
export interface ConstT {
  dtype: DType;
  shape: number[];
  data: Float32Array | Dim[];
}

/** True when the value is a multiple of the batch size. */
export function isSym(d: Dim): d is Sym {
  return typeof d === 'object';
}

/** Product of static dimensions. */
export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Row-major strides of a shape. */
export function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) out[i] = out[i + 1]! * shape[i + 1]!;
  return out;
}

/** A new tensor of `dtype` and `shape`, zero-filled. */
export function alloc(dtype: DType, shape: number[]): ConstT {
  const n = numel(shape);
  const data = dtype === 'float32' ? new Float32Array(n) : new Array<Dim>(n).fill(dtype === 'bool' ? 0 : 0);
  return { dtype, shape, data };
}

/** Element `i` as a static number; throws when it is batch-dependent. */
export function num(t: ConstT, i: number, what: string): number {
  const v = t.data[i];
  if (v === undefined || isSym(v)) throw new Error(`convert: ${what} must be static, got ${fmtDim(v)}`);
  return v;
}

/** All elements as static numbers. */
export function nums(t: ConstT, what: string): number[] {
  return Array.from({ length: t.data.length }, (_, i) => num(t, i, what));
}

/** All elements as dims (numbers or batch multiples). */
export function dims(t: ConstT): Dim[] {
  return Array.from(t.data as ArrayLike<Dim>);
}

/** Human-readable dimension: `7`, `N`, `3N`. */
export function fmtDim(d: Dim | undefined): string {
  if (d === undefined) return 'nothing';
  if (!isSym(d)) return String(d);
  return d.batch === 1 ? 'N' : `${d.batch}N`;
}

/** Permutes a constant: output axis i is input axis perm[i]. */
export function transposeConst(t: ConstT, perm: readonly number[]): ConstT {
  const outShape = perm.map((p) => t.shape[p]!);
  const out = alloc(t.dtype, outShape);
  const inStrides = strides(t.shape);
  const permStrides = perm.map((p) => inStrides[p]!);
  const n = out.data.length;
  const idx = new Array<number>(outShape.length).fill(0);
  const dst = out.data as Dim[];
  const src = t.data as ArrayLike<Dim>;
  for (let o = 0; o < n; o++) {
    let off = 0;
    for (let a = 0; a < idx.length; a++) off += idx[a]! * permStrides[a]!;
    dst[o] = src[off]!;
    for (let a = idx.length - 1; a >= 0; a--) {
      if (++idx[a]! < outShape[a]!) break;
      idx[a] = 0;
    }
  }
  return out;
}

/** The same data under a new shape of equal size. */
export function reshapeConst(t: ConstT, shape: number[]): ConstT {
  if (numel(shape) !== t.data.length) {
    throw new Error(`convert: cannot reshape a constant of ${t.data.length} elements to [${shape}]`);
  }
  return { ...t, shape };
}

/** A float32 constant from numbers. */
export function floatConst(shape: number[], values: ArrayLike<number>): ConstT {
  return { dtype: 'float32', shape, data: Float32Array.from(values) };
}

/** An int64 constant from dims. */
export function intConst(shape: number[], values: Dim[]): ConstT {
  return { dtype: 'int64', shape, data: values.slice() };
}

/** Shape of a numpy-style broadcast of two shapes. */
export function broadcastShapes<T extends Dim>(a: readonly T[], b: readonly T[], what: string): T[] {
  const r = Math.max(a.length, b.length);
  const out: T[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? (1 as T);
    const y = b[b.length - r + i] ?? (1 as T);
    if (x === 1) out.push(y);
    else if (y === 1 || dimEq(x, y)) out.push(x);
    else throw new Error(`convert: ${what} cannot broadcast [${a.map(fmtDim)}] with [${b.map(fmtDim)}]`);
  }
  return out;
}

/** Equality of two dims. */
export function dimEq(a: Dim, b: Dim): boolean {
  if (isSym(a) || isSym(b)) return isSym(a) && isSym(b) && a.batch === b.batch;
  return a === b;
}

/** Broadcasts a constant to `shape` (numpy rules). */
export function expandConst(t: ConstT, shape: number[]): ConstT {
  const out = alloc(t.dtype, shape);
  const pad = shape.length - t.shape.length;
  const src = strides(t.shape);
  const bstr = shape.map((_d, i) => (i < pad || t.shape[i - pad] === 1 ? 0 : src[i - pad]!));
  const idx = new Array<number>(shape.length).fill(0);
  const dst = out.data as Dim[];
  const from = t.data as ArrayLike<Dim>;
  for (let o = 0; o < dst.length; o++) {
    let off = 0;
    for (let a = 0; a < idx.length; a++) off += idx[a]! * bstr[a]!;
    dst[o] = from[off]!;
    for (let a = idx.length - 1; a >= 0; a--) {
      if (++idx[a]! < shape[a]!) break;
      idx[a] = 0;
    }
  }
  return out;
}
