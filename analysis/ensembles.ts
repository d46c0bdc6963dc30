/**
 * Realizable ensembles to set beside the oracle. Both break ties the same deterministic way:
 * among the classes tied for the most votes (or the highest probability sum), the winner is the
 * class backed by the highest-ranked model, where models rank by accuracy (descending), then by
 * input order. A sample where no model predicts anything counts as wrong. Pure module.
 */
import type { ModelPredictions } from './types.js';

/** Model indices in tie-break order: accuracy descending, then input order. */
export function tieBreakOrder(correct: ArrayLike<number>): number[] {
  return Array.from({ length: correct.length }, (_, i) => i).sort((a, b) => correct[b]! - correct[a]! || a - b);
}

/** Accumulates per-class scores for one sample and returns the winner (−1 when nothing scored). */
class ClassScores {
  readonly #scores: Float64Array;
  readonly #touched: Int32Array;
  #count = 0;

  constructor(numClasses: number, maxTouched: number) {
    this.#scores = new Float64Array(numClasses);
    this.#touched = new Int32Array(maxTouched);
  }

  /** Adds `score` to class `cls`; classes outside 0…numClasses-1 (no prediction) are ignored. */
  add(cls: number, score: number): void {
    if (cls < 0 || cls >= this.#scores.length) return;
    if (this.#scores[cls] === 0) this.#touched[this.#count++] = cls;
    this.#scores[cls] = this.#scores[cls]! + score;
  }

  /** The first-touched class among those with the top score; resets for the next sample. */
  winner(): number {
    let best = -1;
    let bestScore = 0;
    for (let i = 0; i < this.#count; i++) {
      const cls = this.#touched[i]!;
      if (this.#scores[cls]! > bestScore) [best, bestScore] = [cls, this.#scores[cls]!];
      this.#scores[cls] = 0;
    }
    this.#count = 0;
    return best;
  }
}

/** Samples the plurality vote of the models' top-1 predictions gets right. */
export function majorityVoteCorrect(
  labels: Int32Array, models: ModelPredictions[], order: number[], numClasses: number,
): number {
  const scores = new ClassScores(numClasses, models.length);
  const top1 = order.map((m) => models[m]!.top1);
  let correct = 0;
  for (let s = 0; s < labels.length; s++) {
    for (const t of top1) scores.add(t[s]!, 1);
    if (scores.winner() === labels[s]) correct++;
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
  const scores = new ClassScores(numClasses, tops.reduce((sum, t) => sum + t.k, 0));
  let correct = 0;
  for (let s = 0; s < labels.length; s++) {
    for (const { k, ids, probs } of tops) {
      for (let j = s * k; j < s * k + k; j++) if (probs[j]! > 0) scores.add(ids[j]!, probs[j]!);
    }
    if (scores.winner() === labels[s]) correct++;
  }
  return correct;
}
