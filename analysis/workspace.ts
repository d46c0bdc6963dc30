/**
 * A correctness matrix copied into the kernels' linear memory, plus a bump allocator for the
 * scratch and output regions the counting passes need. Pure module.
 */
import { createKernel, type Kernel } from './kernel.js';
import type { CorrectnessMatrix } from './types.js';

/** Samples per cache block: every model's slice of a block stays in L2 while a pass runs over it. */
export const BLOCK_BYTES = 4096;

/** The matrix inside kernel memory: row m starts at byte m * rowBytes. */
export interface Workspace {
  kernel: Kernel;
  matrix: CorrectnessMatrix;
  rowBytes: number;
  /** BLOCK_BYTES of scratch for one intermediate row slice. */
  scratch: number;
  /** Next free byte (16-aligned). */
  top: number;
}

/** Copies `matrix` into a fresh kernel memory. */
export function loadWorkspace(matrix: CorrectnessMatrix): Workspace {
  const rowBytes = matrix.stride * 4;
  const matrixBytes = matrix.models * rowBytes;
  const kernel = createKernel(matrixBytes + 2 * BLOCK_BYTES);
  new Uint32Array(kernel.memory.buffer, 0, matrix.words.length).set(matrix.words);
  return { kernel, matrix, rowBytes, scratch: matrixBytes, top: matrixBytes + BLOCK_BYTES };
}

/** Reserves `bytes` zeroed bytes of kernel memory, growing it when needed; returns the pointer. */
export function reserve(ws: Workspace, bytes: number): number {
  const ptr = ws.top;
  ws.top += Math.ceil(bytes / 16) * 16;
  const missing = ws.top - ws.kernel.memory.buffer.byteLength;
  if (missing > 0) ws.kernel.memory.grow(Math.ceil(missing / 65536));
  new Uint8Array(ws.kernel.memory.buffer, ptr, bytes).fill(0);
  return ptr;
}

/** Frees everything reserved since `mark` (a previous ws.top). */
export function release(ws: Workspace, mark: number): void {
  ws.top = mark;
}

/** A copy of `count` u32 values at `ptr`. */
export function readU32(ws: Workspace, ptr: number, count: number): Uint32Array {
  return new Uint32Array(ws.kernel.memory.buffer, ptr, count).slice();
}

/** Calls `visit(offset, length)` for each block of a row, in bytes. */
export function forEachBlock(ws: Workspace, visit: (offset: number, length: number) => void): void {
  for (let offset = 0; offset < ws.rowBytes; offset += BLOCK_BYTES) {
    visit(offset, Math.min(BLOCK_BYTES, ws.rowBytes - offset));
  }
}
