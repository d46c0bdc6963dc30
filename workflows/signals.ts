/** Signals and queries shared by the evaluate workflows. No activity, SDK client or Node imports here. */
import { defineQuery, defineSignal } from '@temporalio/workflow';

/** Progress of one model in a run, as answered by the `progress` queries. */
export interface ModelProgress {
  model: string;
  shardsDone: number;
  shardsTotal: number;
  images: number;
  correct: number;
  cachedShards: number;
  /** Images per second since the model's first shard started (workflow time). */
  imagesPerSecond: number;
  done: boolean;
}

/** Progress of a whole run: one entry per model, plus the stage the run is in. */
export interface RunProgress {
  runId: string;
  stage: 'preparing' | 'inferring' | 'analyzing' | 'done' | 'failed';
  models: ModelProgress[];
}

/** Sent by each model's child workflow to the parent, at most ~20 times per model. */
export const modelProgressSignal = defineSignal<[ModelProgress]>('modelProgress');

/** Run-level progress query of the evaluate workflow. */
export const runProgressQuery = defineQuery<RunProgress>('progress');
