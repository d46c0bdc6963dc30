/**
 * Triple counts over lexicographic triple indices (a < b < c), so the triple space can be cut
 * into ranges that run as separate activities: tripleRange counts |T_a ∩ T_b ∩ T_c| for one
 * range, and unions follow by inclusion–exclusion from the pair intersections. Pure module.
 */
import type { CorrectnessMatrix, TripleResult } from './types.js';
import { forEachBlock, loadWorkspace, readU32, release, reserve, type Workspace } from './workspace.js';

/** Number of unordered triples of n models, C(n, 3). */
export function tripleCount(n: number): number {
  return n < 3 ? 0 : (n * (n - 1) * (n - 2)) / 6;
}

/** Triples whose first model is below `a`. */
function triplesBefore(n: number, a: number): number {
  return tripleCount(n) - tripleCount(n - a);
}

/** Lexicographic index of the triple (a, b, c), a < b < c < n. */
export function tripleIndex(n: number, a: number, b: number, c: number): number {
  const m = n - a - 1;
  const pairsBeforeB = ((m * (m - 1)) / 2) - (((n - b) * (n - b - 1)) / 2);
  return triplesBefore(n, a) + pairsBeforeB + (c - b - 1);
}

/** The triple at lexicographic `index` (0 ≤ index < tripleCount(n)). */
export function tripleAt(n: number, index: number): [number, number, number] {
  if (!Number.isInteger(index) || index < 0 || index >= tripleCount(n)) {
    throw new RangeError(`analysis: triple index ${index} is outside 0…${tripleCount(n) - 1} for ${n} models`);
  }
  let a = 0;
  while (triplesBefore(n, a + 1) <= index) a++;
  let rest = index - triplesBefore(n, a);
  let b = a + 1;
  while (rest >= n - b - 1) {
    rest -= n - b - 1;
    b++;
  }
  return [a, b, b + 1 + rest];
}

/** |T_a ∩ T_b ∩ T_c| for lexicographic triple indices start … end-1. */
export function tripleRange(matrix: CorrectnessMatrix, start: number, end: number): Uint32Array {
  return tripleRangeOn(loadWorkspace(matrix), start, end);
}

/** tripleRange over a loaded workspace. */
export function tripleRangeOn(ws: Workspace, start: number, end: number): Uint32Array {
  const n = ws.matrix.models;
  checkRange(n, start, end);
  if (end === start) return new Uint32Array(0);
  const mark = ws.top;
  const out = reserve(ws, (end - start) * 4);
  forEachBlock(ws, (offset, length) => countBlock(ws, n, start, end, offset, length, out));
  const counts = readU32(ws, out, end - start);
  release(ws, mark);
  return counts;
}

function checkRange(n: number, start: number, end: number): void {
  const total = tripleCount(n);
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > total) {
    throw new RangeError(`analysis: triple range ${start}…${end} is outside 0…${total} for ${n} models`);
  }
}

/** One sample block: for each (a, b) group in the range, AB = A & B, then popcount(AB & C) per c. */
function countBlock(ws: Workspace, n: number, start: number, end: number, offset: number, length: number, out: number) {
  let [a, b, c] = tripleAt(n, start);
  const { kernel, rowBytes, scratch } = ws;
  for (let index = start; index < end; ) {
    const m = Math.min(n - c, end - index);
    kernel.and(a * rowBytes + offset, b * rowBytes + offset, scratch, length);
    kernel.countMany(scratch, c * rowBytes + offset, rowBytes, m, length, out + (index - start) * 4);
    index += m;
    b++;
    if (b > n - 2) {
      a++;
      b = a + 1;
    }
    c = b + 1;
  }
}

/** |T_a ∪ T_b ∪ T_c| by inclusion–exclusion from the pair intersections and triple intersections. */
export function tripleUnion(gram: Uint32Array, n: number, a: number, b: number, c: number, abc: number): number {
  const single = gram[a * n + a]! + gram[b * n + b]! + gram[c * n + c]!;
  return single - gram[a * n + b]! - gram[a * n + c]! - gram[b * n + c]! + abc;
}

/** Union counts for a range that starts at `start`, from its tripleRange intersection counts. */
export function tripleUnions(gram: Uint32Array, n: number, start: number, intersections: Uint32Array): Uint32Array {
  const unions = new Uint32Array(intersections.length);
  if (intersections.length === 0) return unions;
  let [a, b, c] = tripleAt(n, start);
  for (let i = 0; i < intersections.length; i++) {
    unions[i] = tripleUnion(gram, n, a, b, c, intersections[i]!);
    [a, b, c] = nextTriple(n, a, b, c);
  }
  return unions;
}

/** TripleResults for a range that starts at `start`, from its union counts. */
export function tripleResults(names: string[], samples: number, start: number, unions: Uint32Array): TripleResult[] {
  const out: TripleResult[] = [];
  if (unions.length === 0) return out;
  let [a, b, c] = tripleAt(names.length, start);
  for (const unionCorrect of unions) {
    out.push({
      models: [names[a]!, names[b]!, names[c]!], unionCorrect, virtualAccuracy: samples === 0 ? 0 : unionCorrect / samples,
    });
    [a, b, c] = nextTriple(names.length, a, b, c);
  }
  return out;
}

/** The lexicographic successor of (a, b, c). */
export function nextTriple(n: number, a: number, b: number, c: number): [number, number, number] {
  if (c + 1 < n) return [a, b, c + 1];
  if (b + 2 < n) return [a, b + 1, b + 2];
  return [a + 1, a + 2, a + 3];
}
