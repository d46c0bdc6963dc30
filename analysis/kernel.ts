/**
 * WebAssembly SIMD kernels for counting over packed correctness bits, emitted as bytes by
 * ./wasm.ts and compiled once per process. Every length is in bytes and must be a positive multiple
 * of KERNEL_CHUNK_BYTES; every pointer must be 16-byte aligned. Pure module: no I/O.
 */
import { I32, V128, assembleModule, memarg, op, simd, simdOp, sleb, uleb, type WasmFunction } from './wasm.js';

/** Bytes the counting loop consumes per iteration (16 vectors); lengths are multiples of it. */
export const KERNEL_CHUNK_BYTES = 256;

/** The part of a WebAssembly.Memory the engine uses (lib ES2023 carries no WebAssembly types). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}

const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Compiled kernels bound to one linear memory. */
export interface Kernel {
  memory: WasmMemory;
  /** out[j] += popcount(x & c_j) over nBytes, for c_j = c + j*rowBytes, j < numC (out: u32 array). */
  countMany(x: number, c: number, rowBytes: number, numC: number, nBytes: number, out: number): void;
  /** dst = a & b over nBytes. */
  and(a: number, b: number, dst: number, nBytes: number): void;
  /** dst = a | b over nBytes. */
  or(a: number, b: number, dst: number, nBytes: number): void;
  /** For every set bit s of the row (nWords u32 words): counts[s] += 1 (counts: u16 array). */
  countBits(row: number, nWords: number, counts: number): void;
  /** For every set bit s: acc[labels[s]] += counts[s] · 2^32 + 1 (labels: i32, counts: u16, acc: u64). */
  tallyBits(row: number, nWords: number, labels: number, counts: number, acc: number): void;
}

const get = (i: number): number[] => [op.localGet, ...uleb(i)];
const set = (i: number): number[] => [op.localSet, ...uleb(i)];
const tee = (i: number): number[] => [op.localTee, ...uleb(i)];
const i32 = (v: number): number[] => [op.i32Const, ...sleb(v)];
const load = (ptr: number, index: number, offset: number): number[] => [
  ...get(ptr), ...get(index), op.i32Add, ...simdOp(simd.load, ...memarg(4, offset)),
];

/** popcount(x & c) of vector `j` of the current chunk, as an i8x16 on the stack. */
function andPopcount(j: number): number[] {
  return [...load(0, 6, 16 * j), ...load(1, 6, 16 * j), ...simdOp(simd.and), ...simdOp(simd.i8x16Popcnt)];
}

/** Sum of the four i32 lanes of local `v`. */
function laneSum(v: number): number[] {
  const lanes = [1, 2, 3].flatMap((l) => [...get(v), ...simdOp(simd.i32x4ExtractLane, l), op.i32Add]);
  return [...get(v), ...simdOp(simd.i32x4ExtractLane, 0), ...lanes];
}

/** The chunk loop: 16 vectors summed as bytes (≤ 128 per lane), then widened into local 7. */
function countChunkLoop(): number[] {
  const rest = Array.from({ length: 15 }, (_, k) => [...andPopcount(k + 1), ...simdOp(simd.i8x16Add)]).flat();
  return [
    op.loop, op.emptyBlock,
    ...andPopcount(0), ...rest,
    ...simdOp(simd.i16x8ExtaddPairwiseI8x16U), ...simdOp(simd.i32x4ExtaddPairwiseI16x8U),
    ...get(7), ...simdOp(simd.i32x4Add), ...set(7),
    ...get(6), ...i32(KERNEL_CHUNK_BYTES), op.i32Add, ...tee(6), ...get(4), op.i32LtU, op.brIf, 0,
    op.end,
  ];
}

/** countMany(x, c, rowBytes, numC, nBytes, out); locals: 6 = byte index, 7 = i32x4 accumulator. */
function countManyFunction(): WasmFunction {
  const zero = simdOp(simd.const, ...new Array<number>(16).fill(0));
  const body = [
    op.block, op.emptyBlock, ...get(3), op.i32Eqz, op.brIf, 0,
    op.loop, op.emptyBlock,
    ...zero, ...set(7), ...i32(0), ...set(6),
    ...countChunkLoop(),
    ...get(5), ...get(5), op.i32Load, ...memarg(2, 0), ...laneSum(7), op.i32Add, op.i32Store, ...memarg(2, 0),
    ...get(1), ...get(2), op.i32Add, ...set(1),
    ...get(5), ...i32(4), op.i32Add, ...set(5),
    ...get(3), ...i32(1), op.i32Sub, ...tee(3), op.brIf, 0,
    op.end, op.end,
  ];
  return { name: 'countMany', params: [I32, I32, I32, I32, I32, I32], results: [], locals: [I32, V128], body };
}

/** dst = a (and|or) b over nBytes, 16 bytes a step; local 4 = byte index. */
function bitwiseFunction(name: string, code: number): WasmFunction {
  const body = [
    ...i32(0), ...set(4),
    op.loop, op.emptyBlock,
    ...get(2), ...get(4), op.i32Add,
    ...get(0), ...get(4), op.i32Add, ...simdOp(simd.load, ...memarg(4, 0)),
    ...get(1), ...get(4), op.i32Add, ...simdOp(simd.load, ...memarg(4, 0)),
    ...simdOp(code), ...simdOp(simd.store, ...memarg(4, 0)),
    ...get(4), ...i32(16), op.i32Add, ...tee(4), ...get(3), op.i32LtU, op.brIf, 0,
    op.end,
  ];
  return { name, params: [I32, I32, I32, I32], results: [], locals: [I32], body };
}

/**
 * Loop over the set bits of a row: params 0 = row, 1 = nWords; locals `w` (word index), `x` (word),
 * `s` (sample); `visit` is the body run with local `s` set.
 */
function setBitsLoop(w: number, x: number, s: number, visit: number[]): number[] {
  return [
    ...i32(0), ...set(w),
    op.loop, op.emptyBlock,
    ...get(0), ...get(w), ...i32(2), op.i32Shl, op.i32Add, op.i32Load, ...memarg(2, 0), ...set(x),
    op.block, op.emptyBlock, op.loop, op.emptyBlock,
    ...get(x), op.i32Eqz, op.brIf, 1,
    ...get(w), ...i32(5), op.i32Shl, ...get(x), op.i32Ctz, op.i32Add, ...set(s),
    ...visit,
    ...get(x), ...get(x), ...i32(1), op.i32Sub, op.i32And, ...set(x),
    op.br, 0,
    op.end, op.end,
    ...get(w), ...i32(1), op.i32Add, ...tee(w), ...get(1), op.i32LtU, op.brIf, 0,
    op.end,
  ];
}

/** countBits(row, nWords, counts); locals 3 = w, 4 = x, 5 = s, 6 = address. */
function countBitsFunction(): WasmFunction {
  const visit = [
    ...get(2), ...get(5), ...i32(1), op.i32Shl, op.i32Add, ...tee(6),
    ...get(6), op.i32Load16U, ...memarg(1, 0), ...i32(1), op.i32Add, op.i32Store16, ...memarg(1, 0),
  ];
  return { name: 'countBits', params: [I32, I32, I32], results: [], locals: [I32, I32, I32, I32], body: setBitsLoop(3, 4, 5, visit) };
}

/** tallyBits(row, nWords, labels, counts, acc); locals 5 = w, 6 = x, 7 = s, 8 = address. */
function tallyBitsFunction(): WasmFunction {
  const visit = [
    ...get(4), ...get(2), ...get(7), ...i32(2), op.i32Shl, op.i32Add, op.i32Load, ...memarg(2, 0),
    ...i32(3), op.i32Shl, op.i32Add, ...tee(8),
    ...get(8), op.i64Load, ...memarg(3, 0),
    ...get(3), ...get(7), ...i32(1), op.i32Shl, op.i32Add, op.i32Load16U, ...memarg(1, 0),
    op.i64ExtendI32U, op.i64Const, 32, op.i64Shl, op.i64Add, op.i64Const, 1, op.i64Add,
    op.i64Store, ...memarg(3, 0),
  ];
  return {
    name: 'tallyBits', params: [I32, I32, I32, I32, I32], results: [], locals: [I32, I32, I32, I32],
    body: setBitsLoop(5, 6, 7, visit),
  };
}

let compiled: object | undefined;

/** The kernel module, compiled on first use. */
export function kernelModule(): object {
  compiled ??= new wasm.Module(
    assembleModule([
      countManyFunction(), bitwiseFunction('and', simd.and), bitwiseFunction('or', simd.or),
      countBitsFunction(), tallyBitsFunction(),
    ]),
  );
  return compiled;
}

/** Instantiates the kernels over a fresh memory of at least `bytes` bytes. */
export function createKernel(bytes: number): Kernel {
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  const memory = new wasm.Memory({ initial: pages });
  const instance = new wasm.Instance(kernelModule(), { env: { memory } });
  const e = instance.exports as unknown as Omit<Kernel, 'memory'>;
  return { memory, countMany: e.countMany, and: e.and, or: e.or, countBits: e.countBits, tallyBits: e.tallyBits };
}
