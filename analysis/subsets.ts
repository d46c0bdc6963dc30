/**
 * Best subset of each size k by virtual accuracy. Exhaustive while C(n, k) ≤ the exact limit:
 * sizes 1 and 2 read the intersection matrix, size 3 the triple unions when they were computed,
 * larger sizes walk the combinations depth first, OR-ing one row per level. Beyond the limit the
 * subset grows greedily from the best one of size k − 1. Ties go to the lexicographically first
 * subset (greedy: the lowest model index). Pure module.
 */
import { nextTriple } from './triples.js';
import type { SubsetResult } from './types.js';
import { release, reserve, type Workspace } from './workspace.js';

/** What the search needs besides the workspace. */
export interface SubsetSearch {
  names: string[];
  gram: Uint32Array;
  /** |T_a ∪ T_b ∪ T_c| in lexicographic triple order, when triples were computed. */
  tripleUnions?: Uint32Array;
  maxSize: number;
  exactLimit: number;
}

interface Best {
  models: number[];
  union: number;
}

/** C(n, k) as a float (exact below 2^53). */
export function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return Math.round(c);
}

/** Best subsets for k = 1 … min(maxSize, n). */
export function bestSubsets(ws: Workspace, search: SubsetSearch): SubsetResult[] {
  const n = search.names.length;
  const samples = ws.matrix.samples;
  const out: SubsetResult[] = [];
  let previous: Best = { models: [], union: 0 };
  for (let k = 1; k <= Math.min(search.maxSize, n); k++) {
    const exact = binomial(n, k) <= search.exactLimit;
    previous = exact ? exactBest(ws, search, k) : greedyStep(ws, previous);
    out.push({
      k, models: previous.models.map((m) => search.names[m]!), unionCorrect: previous.union,
      virtualAccuracy: samples === 0 ? 0 : previous.union / samples, method: exact ? 'exact' : 'greedy',
    });
  }
  return out;
}

function exactBest(ws: Workspace, search: SubsetSearch, k: number): Best {
  const n = search.names.length;
  const g = search.gram;
  const best: Best = { models: [], union: -1 };
  const offer = (models: number[], union: number): void => {
    if (union > best.union) [best.models, best.union] = [models, union];
  };
  if (k === 1) for (let a = 0; a < n; a++) offer([a], g[a * n + a]!);
  else if (k === 2) {
    for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) offer([a, b], g[a * n + a]! + g[b * n + b]! - g[a * n + b]!);
  } else if (k === 3 && search.tripleUnions) {
    let t: [number, number, number] = [0, 1, 2];
    for (const union of search.tripleUnions) {
      offer(t, union);
      t = nextTriple(n, ...t);
    }
  } else depthFirst(ws, k, offer);
  return best;
}

/** Walks every k-combination in lexicographic order, offering each with its union count. */
function depthFirst(ws: Workspace, k: number, offer: (models: number[], union: number) => void): void {
  const n = ws.matrix.models;
  const mark = ws.top;
  const levels = Array.from({ length: k }, () => reserve(ws, ws.rowBytes));
  const counter = reserve(ws, 16);
  const chosen: number[] = [];
  const visit = (depth: number, from: number): void => {
    for (let i = from; i <= n - (k - depth); i++) {
      chosen[depth] = i;
      const previous = depth === 0 ? i * ws.rowBytes : levels[depth - 1]!;
      ws.kernel.or(previous, i * ws.rowBytes, levels[depth]!, ws.rowBytes);
      if (depth === k - 1) offer(chosen.slice(), popcountAt(ws, levels[depth]!, counter));
      else visit(depth + 1, i + 1);
    }
  };
  visit(0, 0);
  release(ws, mark);
}

/** popcount of one row-sized buffer, using the 16-byte `counter` slot. */
function popcountAt(ws: Workspace, ptr: number, counter: number): number {
  const view = new Uint32Array(ws.kernel.memory.buffer, counter, 1);
  view[0] = 0;
  ws.kernel.countMany(ptr, ptr, 0, 1, ws.rowBytes, counter);
  return view[0]!;
}

/** Adds to `previous` the model that raises its union most (lowest index on ties). */
function greedyStep(ws: Workspace, previous: Best): Best {
  const mark = ws.top;
  const [union, candidate, counter] = [reserve(ws, ws.rowBytes), reserve(ws, ws.rowBytes), reserve(ws, 16)];
  for (const m of previous.models) ws.kernel.or(union, m * ws.rowBytes, union, ws.rowBytes);
  let best: Best = { models: [], union: -1 };
  for (let i = 0; i < ws.matrix.models; i++) {
    if (previous.models.includes(i)) continue;
    ws.kernel.or(union, i * ws.rowBytes, candidate, ws.rowBytes);
    const count = popcountAt(ws, candidate, counter);
    if (count > best.union) best = { models: [...previous.models, i].sort((x, y) => x - y), union: count };
  }
  release(ws, mark);
  return best;
}
