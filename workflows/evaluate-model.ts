/**
 * One model over every shard of a dataset: a sliding window of `inferShard` activities on the inference task
 * queue. History stays bounded: the workflow continues as new after `shardsPerExecution` shards (or when the
 * server suggests it), carrying its totals, and reports progress to the parent at most ~20 times.
 */
import {
  ApplicationFailure,
  continueAsNew,
  defineQuery,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { InferShardInput, InferShardOutput } from '../activities/infer-shard.js';
import type { ShardEntry } from '../lib/dataset.js';
import { modelProgressSignal, type ModelProgress } from './signals.js';
import { requirePositiveIntegers } from './validate.js';
import { inWindow } from './window.js';

export interface EvaluateModelInput {
  runId: string;
  dataset: string;
  model: string;
  modelDigest: string;
  /** Shards still to infer (the whole dataset on the first execution). */
  shards: ShardEntry[];
  shardsTotal: number;
  /** Inference task queue. */
  taskQueue: string;
  /** In-flight inferShard activities for this model. @default 4 */
  window?: number;
  /** @default 5 */
  topK?: number;
  /** @default 32 */
  batchSize?: number;
  /** Continue as new after this many shards, to bound history. @default 250 */
  shardsPerExecution?: number;
  /** Parent workflow to report progress to, if any. */
  parentWorkflowId?: string;
  /** Totals carried over from earlier executions. */
  carried?: ModelTotals;
}

export interface ModelTotals {
  shardsDone: number;
  images: number;
  correct: number;
  corrupt: number;
  cachedShards: number;
  /** Workflow time (ms since epoch) of the first execution's start. */
  startedAt: number;
  /** Summed activity time in ms (inference cost, excluding queueing). */
  activityMs: number;
}

export type EvaluateModelOutput = ModelTotals & {
  model: string;
  modelDigest: string;
  shardsTotal: number;
  /** correct / images; corrupt images count as wrong. */
  accuracy: number;
};

/** Per-model progress query, also answered for the whole run by the parent. */
export const modelProgressQuery = defineQuery<ModelProgress>('progress');

const PROGRESS_STEPS = 20;

/** Runs inference of one model over its shards; see the file comment for limits. */
export async function evaluateModelWorkflow(input: EvaluateModelInput): Promise<EvaluateModelOutput> {
  const { inferShard } = proxyActivities<{ inferShard(i: InferShardInput): Promise<InferShardOutput> }>({
    taskQueue: input.taskQueue,
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: '5 minutes',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 8,
      nonRetryableErrorTypes: ['BadInput'] },
  });
  requirePositiveIntegers(input, ['window', 'shardsPerExecution', 'topK', 'batchSize'], `evaluate model ${input.model}`);
  const totals: ModelTotals = input.carried ?? {
    shardsDone: 0, images: 0, correct: 0, corrupt: 0, cachedShards: 0, startedAt: Date.now(), activityMs: 0,
  };
  const progress = (): ModelProgress => ({
    model: input.model, shardsDone: totals.shardsDone, shardsTotal: input.shardsTotal, images: totals.images,
    correct: totals.correct, cachedShards: totals.cachedShards,
    imagesPerSecond: totals.images / Math.max(1e-3, (Date.now() - totals.startedAt) / 1000),
    done: totals.shardsDone === input.shardsTotal,
  });
  setHandler(modelProgressQuery, progress);

  let lastStep = -1;
  const report = async (): Promise<void> => {
    const step = Math.floor((totals.shardsDone / input.shardsTotal) * PROGRESS_STEPS);
    if (!input.parentWorkflowId || step === lastStep) return;
    lastStep = step;
    await getExternalWorkflowHandle(input.parentWorkflowId).signal(modelProgressSignal, progress());
  };

  // sliding window over this execution's share of the shards; the rest continue as new
  const budget = Math.min(input.shards.length, input.shardsPerExecution ?? 250);
  await inWindow(input.shards.slice(0, budget), input.window ?? 4, async (shard: ShardEntry) => {
    const out = await inferShard({ runId: input.runId, dataset: input.dataset, shard, model: input.model,
      modelDigest: input.modelDigest, topK: input.topK ?? 5, batchSize: input.batchSize ?? 32 });
    totals.shardsDone += 1;
    totals.images += out.rows;
    totals.correct += out.correct;
    totals.corrupt += out.corrupt;
    totals.cachedShards += out.cached ? 1 : 0;
    totals.activityMs += out.ms;
    await report();
  });

  if (budget < input.shards.length) {
    await continueAsNew<typeof evaluateModelWorkflow>({ ...input, shards: input.shards.slice(budget), carried: totals });
  }
  if (totals.shardsDone !== input.shardsTotal) {
    throw ApplicationFailure.nonRetryable(
      `evaluate: model ${input.model} finished ${totals.shardsDone} of ${input.shardsTotal} shards`, 'Internal');
  }
  return { ...totals, model: input.model, modelDigest: input.modelDigest, shardsTotal: input.shardsTotal,
    accuracy: totals.images ? totals.correct / totals.images : 0 };
}
