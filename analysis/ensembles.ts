/**
 * Realizable ensembles to set beside the oracle. Both break ties the same deterministic way:
 * among the classes tied for the most votes (or the highest probability sum), the winner is the
 * class backed by the highest-ranked model, where models rank by accuracy (descending), then by
 * input order. Predicted classes outside 0…numClasses−1 (−1: no prediction) cast no vote, and a
 * sample where no model votes counts as wrong. Pure module.
 */
import type { ModelPredictions } from './types.js';

/** Model indices in tie-break order: accuracy descending, then input order. */
export function tieBreakOrder(correct: ArrayLike<number>): number[] {
  return Array.from({ length: correct.length }, (_, i) => i).sort((a, b) => correct[b]! - correct[a]! || a - b);
}

/** Per-class score buffer for one sample; `touched` lists scored classes in first-scored order. */
interface Ballot {
  scores: Float64Array;
  touched: Int32Array;
  count: number;
}

function addScore(b: Ballot, cls: number, score: number): void {
  if (cls < 0 || cls >= b.scores.length) return;
  if (b.scores[cls] === 0) b.touched[b.count++] = cls;
  b.scores[cls] = b.scores[cls]! + score;
}

/** The first-scored class among those with the top score (−1 when none); clears the ballot. */
function winner(b: Ballot): number {
  let best = -1;
  let bestScore = 0;
  for (let i = 0; i < b.count; i++) {
    const cls = b.touched[i]!;
    const score = b.scores[cls]!;
    if (score > bestScore) {
      best = cls;
      bestScore = score;
    }
    b.scores[cls] = 0;
  }
  b.count = 0;
  return best;
}

/**
 * Samples the plurality vote of the models' top-1 predictions gets right. With `rightCount`
 * (models right per sample), samples where more than half are right, or none is, skip the count.
 */
export function majorityVoteCorrect(
  labels: Int32Array, models: ModelPredictions[], order: number[], numClasses: number, rightCount?: Uint16Array,
): number {
  const ballot: Ballot = { scores: new Float64Array(numClasses), touched: new Int32Array(models.length), count: 0 };
  const top1 = order.map((m) => models[m]!.top1);
  let correct = 0;
  for (let s = 0; s < labels.length; s++) {
    const k = rightCount?.[s];
    if (k !== undefined && (k === 0 || 2 * k > top1.length)) {
      if (k > 0) correct++;
      continue;
    }
    for (let i = 0; i < top1.length; i++) addScore(ballot, top1[i]![s]!, 1);
    if (winner(ballot) === labels[s]) correct++;
  }
  return correct;
}

/**
 * Samples the mean of stored top-k probabilities gets right, over the models in `order` (all must
 * carry topk); a class outside a model's top-k counts as probability 0 for that model.
 */
export function meanProbabilityCorrect(
  labels: Int32Array, models: ModelPredictions[], order: number[], numClasses: number,
): number {
  const tops = order.map((m) => models[m]!.topk!);
  const width = tops.reduce((sum, t) => sum + t.k, 0);
  const ballot: Ballot = { scores: new Float64Array(numClasses), touched: new Int32Array(width), count: 0 };
  let correct = 0;
  for (let s = 0; s < labels.length; s++) {
    for (let i = 0; i < tops.length; i++) {
      const { k, ids, probs } = tops[i]!;
      for (let j = s * k; j < s * k + k; j++) if (probs[j]! > 0) addScore(ballot, ids[j]!, probs[j]!);
    }
    if (winner(ballot) === labels[s]) correct++;
  }
  return correct;
}
