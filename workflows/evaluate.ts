/**
 * A crossfix run: check the dataset and models, evaluate every model over every shard (one child workflow per
 * model, each a bounded window of inferShard activities), then analyse all pairs and triples and write the run
 * summary. The input is plain JSON (EvaluateInput), so a run can be started from the CLI, the Temporal CLI or
 * the Web UI:
 *
 *   temporal workflow start --type evaluateWorkflow --task-queue crossfix-analysis \
 *     --workflow-id crossfix-run-demo --input '{"runId":"demo","dataset":"fashion-mnist","models":["mlp","lenet"]}'
 *
 * Limits: parent history grows by ~25 events per model (child start/finish plus at most ~20 progress signals),
 * so thousands of models per run are fine; shards per model are bounded by the child's continue-as-new.
 */
import {
  ApplicationFailure,
  executeChild,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ControlActivities } from '../activities/prepare-run.js';
import type { AnalysisActivities } from '../activities/analyze.js';
import { evaluateModelWorkflow, type EvaluateModelOutput } from './evaluate-model.js';
import { modelProgressSignal, runProgressQuery, type ModelProgress, type RunProgress } from './signals.js';

export interface EvaluateInput {
  /** Run id; outputs go to runs/<runId>/. Letters, digits, '-', '_' and '.'. */
  runId: string;
  /** Registered dataset name (datasets/<name>/manifest.json). */
  dataset: string;
  /** Registered model names (models/<name>/). */
  models: string[];
  /** Classes kept per prediction row. @default 5 */
  topK?: number;
  /** Images per inference batch. @default 32 */
  batchSize?: number;
  /** inferShard activities in flight per model. @default 4 */
  window?: number;
  /** Shards per child workflow execution before it continues as new (bounds history). @default 250 */
  shardsPerExecution?: number;
  /** Run the analysis stage after inference. @default true */
  analysis?: boolean;
  /** Task queue of the inference workers. @default 'crossfix-inference' */
  inferenceQueue?: string;
}

export interface EvaluateOutput {
  runId: string;
  dataset: string;
  samples: number;
  models: EvaluateModelOutput[];
  /** Where the outputs are: predictions prefix, summary.json, and analysis files when analysed. */
  outputs: Record<string, string>;
}

const RUN_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Evaluates models on a dataset and analyses how they correct each other. */
export async function evaluateWorkflow(input: EvaluateInput): Promise<EvaluateOutput> {
  if (!RUN_ID_RE.test(input.runId ?? '')) {
    throw ApplicationFailure.nonRetryable(`evaluate: run id ${JSON.stringify(input.runId)} is not valid`, 'BadInput');
  }
  const control = proxyActivities<ControlActivities>({
    startToCloseTimeout: '10 minutes',
    retry: { maximumAttempts: 5, nonRetryableErrorTypes: ['BadInput'] },
  });
  const analysis = proxyActivities<AnalysisActivities>({
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: '10 minutes',
    retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['BadInput'] },
  });
  const progress: RunProgress = { runId: input.runId, stage: 'preparing', models: [] };
  setHandler(runProgressQuery, () => progress);
  setHandler(modelProgressSignal, (p: ModelProgress) => {
    const i = progress.models.findIndex((m) => m.model === p.model);
    if (i >= 0 && progress.models[i]!.shardsDone <= p.shardsDone) progress.models[i] = p;
  });

  try {
    const prepared = await control.prepareRun({ runId: input.runId, dataset: input.dataset, models: input.models });
    progress.models = prepared.models.map((m) => ({ model: m.name, shardsDone: 0, shardsTotal: prepared.shards.length,
      images: 0, correct: 0, cachedShards: 0, imagesPerSecond: 0, done: false }));
    progress.stage = 'inferring';

    // one child per model; ids say what they are: <parent id>/model=<name>
    const parentId = workflowInfo().workflowId;
    const results = await Promise.all(prepared.models.map((m) => executeChild(evaluateModelWorkflow, {
      workflowId: `${parentId}/model=${m.name}`,
      args: [{ runId: input.runId, dataset: input.dataset, model: m.name, modelDigest: m.digest,
        shards: prepared.shards, shardsTotal: prepared.shards.length, taskQueue: input.inferenceQueue ?? 'crossfix-inference',
        window: input.window, topK: input.topK, batchSize: input.batchSize, shardsPerExecution: input.shardsPerExecution,
        parentWorkflowId: parentId }],
    })));
    for (const r of results) {
      const i = progress.models.findIndex((m) => m.model === r.model);
      progress.models[i] = { ...progress.models[i]!, shardsDone: r.shardsDone, images: r.images, correct: r.correct,
        cachedShards: r.cachedShards, done: true };
    }

    const outputs: Record<string, string> = {};
    if (input.analysis ?? true) {
      progress.stage = 'analyzing';
      const analysed = await analysis.analyzeRun({ runId: input.runId, models: input.models, classNames: prepared.classes });
      Object.assign(outputs, analysed.outputs);
    }
    outputs.summary = await control.writeRunSummary({ runId: input.runId, dataset: input.dataset,
      samples: prepared.samples, outputs,
      models: results.map((r) => ({ name: r.model, digest: r.modelDigest, images: r.images, correct: r.correct,
        corrupt: r.corrupt, cachedShards: r.cachedShards, accuracy: r.accuracy })) });
    progress.stage = 'done';
    return { runId: input.runId, dataset: input.dataset, samples: prepared.samples, models: results, outputs };
  } catch (err) {
    progress.stage = 'failed';
    throw err;
  }
}
