/**
 * A tiny WebAssembly binary writer: just enough to emit the fixed bit-counting kernels of
 * ./kernel.ts as bytes at run time, so the engine needs no build step and no assembler package.
 * Pure module.
 */

/** Value types used by the kernels. */
export const I32 = 0x7f;
export const V128 = 0x7b;

/** Core opcodes used by the kernels (one byte each). */
export const op = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i32Load16U: 0x2f,
  i64Load: 0x29,
  i64Store: 0x37,
  i32Store16: 0x3b,
  i64Const: 0x42,
  i64Add: 0x7c,
  i64Shl: 0x86,
  i64ExtendI32U: 0xad,
  i32Store: 0x36,
  i32Store8: 0x3a,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32LtU: 0x49,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32And: 0x71,
  i32Shl: 0x74,
  i32ShrU: 0x76,
  i32Ctz: 0x68,
  i32Popcnt: 0x69,
  emptyBlock: 0x40,
} as const;

/** SIMD opcodes (prefix 0xfd, then the LEB128 number below). */
export const simd = {
  load: 0x00,
  store: 0x0b,
  const: 0x0c,
  i32x4ExtractLane: 0x1b,
  and: 0x4e,
  or: 0x50,
  i8x16Popcnt: 0x62,
  i8x16Add: 0x6e,
  i16x8ExtaddPairwiseI8x16U: 0x7d,
  i32x4ExtaddPairwiseI16x8U: 0x7f,
  i32x4Add: 0xae,
} as const;

/** Unsigned LEB128. */
export function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    const byte = v & 0x7f;
    v >>>= 7;
    out.push(v === 0 ? byte : byte | 0x80);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 for 32-bit values. */
export function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

/** A SIMD instruction: prefix, opcode and optional immediates. */
export function simdOp(code: number, ...immediates: number[]): number[] {
  return [0xfd, ...uleb(code), ...immediates];
}

/** A memory access immediate: log2 alignment and byte offset. */
export function memarg(alignLog2: number, offset: number): number[] {
  return [...uleb(alignLog2), ...uleb(offset)];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(text: string): number[] {
  return vec([...new TextEncoder().encode(text)].map((b) => [b]));
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** One function of a module: its signature, extra locals (types in order) and body. */
export interface WasmFunction {
  name: string;
  params: number[];
  results: number[];
  locals: number[];
  body: number[];
}

/** A module that imports its memory as env.memory and exports every function by name. */
export function assembleModule(functions: WasmFunction[]): Uint8Array {
  const types = functions.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]);
  const imports = vec([[...name('env'), ...name('memory'), 0x02, 0x00, ...uleb(1)]]);
  const funcs = vec(functions.map((_, i) => uleb(i)));
  const exports = vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]));
  const codes = vec(functions.map((f) => codeEntry(f)));
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(types)),
    ...section(2, imports),
    ...section(3, funcs),
    ...section(7, exports),
    ...section(10, codes),
  ]);
}

function codeEntry(f: WasmFunction): number[] {
  const locals = vec(f.locals.map((t) => [...uleb(1), t]));
  const body = [...locals, ...f.body, op.end];
  return [...uleb(body.length), ...body];
}
