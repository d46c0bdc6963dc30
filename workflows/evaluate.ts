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
 * so a run stays far below Temporal's history limits up to about a thousand models; shards per model are bounded by
 * the child's continue-as-new. The analysis itself holds all C(n, 3) triple counts in one activity (n = 1000:
 * 166 M counts, ~0.7 GB), which is the practical ceiling on models per run today.
 * Triples: when C(models, 3) exceeds `tripleChunk`, they are counted by at most 500 countTriples activities
 * (a bounded window of them, 3 events each plus workflow tasks) on the analysis workers, then assembled by analyzeRun.
 */
import {
  ApplicationFailure,
  executeChild,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ControlActivities } from '../activities/prepare-run.js';
import type { AnalysisActivities, AnalyzeRunOutput, TriplePart } from '../activities/analyze.js';
import type { TripleActivities } from '../activities/analyze-triples.js';
import { evaluateModelWorkflow, type EvaluateModelOutput } from './evaluate-model.js';
import { requirePositiveIntegers } from './validate.js';
import { inWindow } from './window.js';
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
  /**
   * Triples per countTriples activity; runs with more than this many triples (C(models, 3)) count them in
   * chunks on the analysis workers. Chunks grow so that there are at most 500. @default 20_000
   */
  tripleChunk?: number;
  /** countTriples activities in flight. @default 4 */
  analysisWindow?: number;
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
/** Most countTriples activities per run, so the parent's history stays in the low thousands of events. */
const MAX_TRIPLE_CHUNKS = 500;

/** Evaluates models on a dataset and analyses how they correct each other. */
export async function evaluateWorkflow(input: EvaluateInput): Promise<EvaluateOutput> {
  if (!RUN_ID_RE.test(input.runId ?? '')) {
    throw ApplicationFailure.nonRetryable(`evaluate: run id ${JSON.stringify(input.runId)} is not valid`, 'BadInput');
  }
  const control = proxyActivities<ControlActivities>({
    startToCloseTimeout: '10 minutes',
    retry: { maximumAttempts: 5, nonRetryableErrorTypes: ['BadInput'] },
  });
  requirePositiveIntegers(input, ['topK', 'batchSize', 'window', 'shardsPerExecution', 'tripleChunk', 'analysisWindow'],
    'evaluate');
  const analysis = proxyActivities<AnalysisActivities>({
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: '10 minutes',
    retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['BadInput'] },
  });
  const triples = proxyActivities<TripleActivities>({
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: '2 minutes',
    retry: { maximumAttempts: 5, nonRetryableErrorTypes: ['BadInput'] },
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
      const analysed = await analyzeStage({ analysis, triples }, input, prepared.classes);
      Object.assign(outputs, analysed.outputs);
    }
    const written = await control.writeRunSummary({ runId: input.runId, dataset: input.dataset,
      samples: prepared.samples, outputs,
      models: results.map((r) => ({ name: r.model, digest: r.modelDigest, images: r.images, correct: r.correct,
        corrupt: r.corrupt, cachedShards: r.cachedShards, accuracy: r.accuracy })) });
    Object.assign(outputs, written);
    progress.stage = 'done';
    return { runId: input.runId, dataset: input.dataset, samples: prepared.samples, models: results, outputs };
  } catch (err) {
    progress.stage = 'failed';
    throw err;
  }
}

/** C(n, 3), inline: workflow code must not import the analysis modules (WebAssembly, Node built-ins). */
function tripleTotal(n: number): number {
  return n < 3 ? 0 : (n * (n - 1) * (n - 2)) / 6;
}

/** Cuts triples 0 … total into ranges of `chunk` triples, grown so that there are at most 500 ranges. */
export function tripleChunks(total: number, chunk: number): { start: number; end: number }[] {
  const size = Math.max(chunk, Math.ceil(total / MAX_TRIPLE_CHUNKS));
  const out: { start: number; end: number }[] = [];
  for (let start = 0; start < total; start += size) out.push({ start, end: Math.min(total, start + size) });
  return out;
}

/**
 * The analysis stage: one analyzeRun, or, when C(n, 3) exceeds `tripleChunk`, packCorrectness, countTriples
 * chunks in a bounded window, analyzeRun over their parts, and removal of the work objects once it succeeded.
 */
async function analyzeStage(
  { analysis, triples }: { analysis: AnalysisActivities; triples: TripleActivities },
  input: EvaluateInput,
  classNames: string[],
): Promise<AnalyzeRunOutput> {
  const base = { runId: input.runId, models: input.models, classNames };
  const total = tripleTotal(input.models.length);
  if (total <= (input.tripleChunk ?? 20_000)) return analysis.analyzeRun(base);

  const packed = await triples.packCorrectness({ runId: input.runId, models: input.models });
  const chunks = tripleChunks(total, input.tripleChunk ?? 20_000);
  const tripleParts: TriplePart[] = await inWindow(chunks, input.analysisWindow ?? 4, async (c) => {
    const { key } = await triples.countTriples({ runId: input.runId, key: packed.key, digest: packed.digest, ...c });
    return { ...c, key };
  });
  const analysed = await analysis.analyzeRun({ ...base, tripleParts });
  await triples.removeAnalysisWork({ runId: input.runId });
  return analysed;
}
