/**
 * Best subset of each size k by virtual accuracy. Exact while C(n, k) ≤ the exact limit: sizes 1
 * and 2 read the intersection matrix, size 3 the triple unions when they were computed, larger
 * sizes read a table of all 2^n subset unions up to SUBSET_TABLE_MAX_MODELS models, and beyond run a
 * branch and bound seeded with the greedy subset (worst case every combination). Beyond the limit the
 * subset grows greedily from the best one of size k − 1. Ties go to the lexicographically first
 * subset (greedy: the lowest model index). Pure module.
 */
import { nextTriple } from './triples.js';
import { popcount32 } from './bitset.js';
import type { CorrectnessMatrix, SubsetResult } from './types.js';
import { release, reserve, type Workspace } from './workspace.js';

/** What the search needs besides the workspace. */
export interface SubsetSearch {
  names: string[];
  gram: Uint32Array;
  /** |T_a ∪ T_b ∪ T_c| in lexicographic triple order, when triples were computed. */
  tripleUnions?: Uint32Array;
  maxSize: number;
  exactLimit: number;
  /** Largest n for the 2^n union table; above it exact sizes ≥ 4 use branch and bound. @default SUBSET_TABLE_MAX_MODELS */
  tableMaxModels?: number;
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

/** Up to this many models, exact sizes ≥ 4 come from a table of all 2^n subset unions. */
export const SUBSET_TABLE_MAX_MODELS = 22;

/** Best subsets for k = 1 … min(maxSize, n). */
export function bestSubsets(ws: Workspace, search: SubsetSearch): SubsetResult[] {
  const n = search.names.length;
  const samples = ws.matrix.samples;
  const maxK = Math.min(search.maxSize, n);
  const exactK = Array.from({ length: maxK + 1 }, (_, k) => k > 0 && binomial(n, k) <= search.exactLimit);
  const needsTable = n <= (search.tableMaxModels ?? SUBSET_TABLE_MAX_MODELS) && exactK.some((e, k) => e && k >= 4);
  const table = needsTable ? tableBest(ws.matrix, exactK) : undefined;
  const out: SubsetResult[] = [];
  let previous: Best = { models: [], union: 0 };
  for (let k = 1; k <= maxK; k++) {
    const exact = exactK[k]!;
    if (exact && k >= 4 && table) previous = table[k]!;
    else previous = exact ? exactBest(ws, search, k, previous) : greedyStep(ws, previous);
    out.push({
      k, models: previous.models.map((m) => search.names[m]!), unionCorrect: previous.union,
      virtualAccuracy: samples === 0 ? 0 : previous.union / samples, method: exact ? 'exact' : 'greedy',
    });
  }
  return out;
}

function exactBest(ws: Workspace, search: SubsetSearch, k: number, smaller: Best): Best {
  const n = search.names.length;
  const g = search.gram;
  const best: Best = { models: [], union: -1 };
  const offer = (models: number[], union: number): void => {
    if (union > best.union) [best.models, best.union] = [models.slice(), union];
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
  } else return branchAndBound(ws, g, k, greedyStep(ws, smaller));
  return best;
}

/**
 * Branch and bound over the k-combinations in lexicographic order. A node holding union U scores
 * every remaining candidate j in one kernel pass (gain_j = |T_j| − |U ∩ T_j|); since unions are
 * submodular, |U| plus the r largest gains bounds every completion with r more models, and a
 * branch whose bound cannot beat (or, before the search found its first best, tie) the best so
 * far is skipped. `seed` (the greedy subset) is the starting lower bound.
 */
function branchAndBound(ws: Workspace, gram: Uint32Array, k: number, seed: Best): Best {
  const n = ws.matrix.models;
  const mark = ws.top;
  const levels = Array.from({ length: k }, () => reserve(ws, ws.rowBytes));
  const counts = reserve(ws, n * 4);
  const best = { models: seed.models, union: seed.union, found: false };
  const chosen: number[] = [];
  const beats = (bound: number): boolean => bound > best.union || (bound === best.union && !best.found);
  const visit = (depth: number, from: number, union: number, unionCount: number): void => {
    const gains = candidateGains(ws, gram, depth === 0 ? -1 : union, from, counts);
    const r = k - depth;
    if (depth === k - 1) {
      gains.forEach((gain, j) => {
        if (!beats(unionCount + gain)) return;
        chosen[depth] = from + j;
        Object.assign(best, { models: chosen.slice(), union: unionCount + gain, found: true });
      });
      return;
    }
    const sorted = gains.slice().sort().reverse();
    const restBound = sorted.subarray(0, r - 1).reduce((a, b) => a + b, 0);
    for (let i = from; i <= n - r; i++) {
      const gain = gains[i - from]!;
      if (!beats(unionCount + gain + restBound)) continue;
      chosen[depth] = i;
      const row = i * ws.rowBytes;
      if (depth > 0) ws.kernel.or(union, row, levels[depth]!, ws.rowBytes);
      visit(depth + 1, i + 1, depth > 0 ? levels[depth]! : row, unionCount + gain);
    }
  };
  visit(0, 0, 0, 0);
  release(ws, mark);
  return { models: best.models, union: best.union };
}

/** gain_j = |T_j| − |U ∩ T_j| for rows from … n−1 (U = none when union < 0). */
function candidateGains(ws: Workspace, gram: Uint32Array, union: number, from: number, counts: number): Float64Array {
  const n = ws.matrix.models;
  const gains = new Float64Array(n - from);
  for (let j = from; j < n; j++) gains[j - from] = gram[j * n + j]!;
  if (union < 0 || from >= n) return gains;
  const view = new Uint32Array(ws.kernel.memory.buffer, counts, n - from);
  view.fill(0);
  ws.kernel.countMany(union, from * ws.rowBytes, ws.rowBytes, n - from, ws.rowBytes, counts);
  for (let j = 0; j < n - from; j++) gains[j] = gains[j]! - view[j]!;
  return gains;
}

/**
 * Best subset of every size k with exactK[k], from all 2^n subset unions at once: with R(x) the set
 * of models right on sample x and g(M) = #{x : R(x) ⊆ M} (a subset-sum transform of the pattern
 * histogram), |∪_{i∈S} T_i| = samples − g(complement of S). Costs n·2^n + models·samples steps.
 */
function tableBest(matrix: CorrectnessMatrix, exactK: boolean[]): Best[] {
  const n = matrix.models;
  const full = 2 ** n - 1;
  const g = patternHistogram(matrix);
  for (let bit = 1; bit <= full; bit *= 2) {
    for (let mask = 0; mask <= full; mask++) if (mask & bit) g[mask] = g[mask]! + g[mask ^ bit]!;
  }
  const bestMask = new Int32Array(exactK.length).fill(-1);
  const bestUnion = new Float64Array(exactK.length).fill(-1);
  for (let mask = 1; mask <= full; mask++) {
    const k = popcount32(mask);
    if (!exactK[k]) continue;
    const union = matrix.samples - g[full ^ mask]!;
    if (union > bestUnion[k]! || (union === bestUnion[k] && lexBefore(mask, bestMask[k]!))) {
      [bestUnion[k], bestMask[k]] = [union, mask];
    }
  }
  return Array.from(bestMask, (mask, k) => ({ models: maskModels(mask, n), union: bestUnion[k]! }));
}

/** How many samples have each right-pattern (bit m set when model m is right). */
function patternHistogram(matrix: CorrectnessMatrix): Uint32Array {
  const patterns = new Uint32Array(matrix.samples);
  const words = Math.ceil(matrix.samples / 32);
  for (let m = 0; m < matrix.models; m++) {
    for (let w = 0; w < words; w++) {
      let x = matrix.words[m * matrix.stride + w]!;
      while (x !== 0) {
        const s = (w << 5) + 31 - Math.clz32(x & -x);
        patterns[s] = patterns[s]! | (1 << m);
        x &= x - 1;
      }
    }
  }
  const histogram = new Uint32Array(2 ** matrix.models);
  for (const p of patterns) histogram[p] = histogram[p]! + 1;
  return histogram;
}

/** Whether the sorted model list of `a` comes before that of `b` (same size; b = −1: none yet). */
function lexBefore(a: number, b: number): boolean {
  if (b < 0) return true;
  const d = a ^ b;
  return (a & d & -d) !== 0;
}

function maskModels(mask: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => i).filter((i) => mask & (1 << i));
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
