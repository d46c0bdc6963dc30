/**
 * Starting and following runs from a Temporal client: `crossfix run` and `crossfix status`.
 * The workflow input is the plain JSON EvaluateInput, so the Temporal CLI or Web UI can start the same run.
 */
import { randomBytes } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Config } from '../infra/config.js';
import type { EvaluateInput, EvaluateOutput } from '../workflows/evaluate.js';
import type { ModelProgress, RunProgress } from '../workflows/signals.js';

/** Workflow id of a run; its children are `<id>/model=<name>`. */
export function runWorkflowId(runId: string): string {
  return `crossfix-run:${runId}`;
}

/** A fresh run id: `<dataset>-<UTC yyyymmdd-hhmmss>-<4 hex>`. */
export function newRunId(dataset: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${dataset}-${stamp}-${randomBytes(2).toString('hex')}`;
}

function isMissingSearchAttribute(err: unknown): boolean {
  return /search attribute/i.test(String((err as Error)?.message ?? err));
}

/** Starts the evaluate workflow; indexes it by dataset and models where the namespace has those attributes. */
export async function startRun(client: Client, cfg: Config, input: EvaluateInput): Promise<WorkflowHandle> {
  const { defineSearchAttributeKey, SearchAttributeType } = await import('@temporalio/common');
  const options = {
    taskQueue: cfg.analysisQueue,
    workflowId: runWorkflowId(input.runId),
    args: [{ inferenceQueue: cfg.inferenceQueue, ...input }] as [EvaluateInput],
    memo: { dataset: input.dataset, models: input.models.join(',') },
  };
  const typedSearchAttributes = [
    { key: defineSearchAttributeKey('CrossfixDataset', SearchAttributeType.KEYWORD), value: input.dataset },
    { key: defineSearchAttributeKey('CrossfixModels', SearchAttributeType.KEYWORD_LIST), value: input.models },
  ];
  try {
    return await client.workflow.start('evaluateWorkflow', { ...options, typedSearchAttributes });
  } catch (err) {
    if (!isMissingSearchAttribute(err)) throw err;
    console.error('run: namespace lacks CrossfixDataset/CrossfixModels search attributes; starting without them');
    return client.workflow.start('evaluateWorkflow', options);
  }
}

/**
 * The message that explains a failed run: the first failure in the chain that is not just a wrapper (a workflow,
 * child workflow or activity failing because something inside it failed) — usually the activity's own error.
 */
export function failureMessage(err: unknown): string {
  let e = err as Error & { cause?: unknown };
  const wrappers = ['WorkflowFailedError', 'ChildWorkflowFailure', 'ActivityFailure'];
  while (wrappers.includes(e.name) && e.cause instanceof Error) e = e.cause as Error & { cause?: unknown };
  return e.message;
}

/** Progress of a finished run, from its result (a closed workflow answers queries only while a worker runs). */
export function progressFromResult(result: EvaluateOutput): RunProgress {
  return {
    runId: result.runId,
    stage: 'done',
    models: result.models.map((m) => ({ model: m.model, shardsDone: m.shardsDone, shardsTotal: m.shardsTotal,
      images: m.images, correct: m.correct, cachedShards: m.cachedShards, done: true,
      imagesPerSecond: m.activityMs ? m.images / (m.activityMs / 1000) : 0 })),
  };
}

/**
 * Status of a run: the `progress` query while it runs, its result once completed, the failure once failed.
 * Throws naming the workflow id when there is no such run.
 */
export async function runStatus(client: Client, runId: string): Promise<RunProgress & { status: string; failure?: string }> {
  const handle = client.workflow.getHandle(runWorkflowId(runId));
  const desc = await handle.describe().catch((err: Error) => {
    throw new Error(`status: run ${runId} (workflow ${handle.workflowId}) not found: ${err.message}`);
  });
  const status = desc.status.name;
  if (status === 'RUNNING') return { ...(await handle.query<RunProgress>('progress')), status };
  if (status === 'COMPLETED') return { ...progressFromResult((await handle.result()) as EvaluateOutput), status };
  const failure = await handle.result().then(() => undefined, (err: Error) => failureMessage(err));
  return { runId, stage: 'failed', models: [], status, failure };
}

/** One status line per model: `lenet  7/10 shards  7,000 img  412 img/s  acc 0.9012`. */
export function formatProgress(p: RunProgress, width = 24): string {
  const name = Math.max(5, ...p.models.map((m) => m.model.length));
  const lines = p.models.map((m: ModelProgress) => {
    const frac = m.shardsTotal ? m.shardsDone / m.shardsTotal : 0;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    const acc = m.images ? (m.correct / m.images).toFixed(4) : '   -  ';
    return `${m.model.padEnd(name)} [${bar}] ${String(m.shardsDone).padStart(4)}/${m.shardsTotal} shards ` +
      `${String(m.images).padStart(7)} img ${m.imagesPerSecond.toFixed(1).padStart(7)} img/s  acc ${acc}`;
  });
  return [`run ${p.runId}: ${p.stage}`, ...lines].join('\n');
}

/**
 * Waits for a run to finish; every `intervalMs` it queries progress and hands it to `onProgress`
 * (the CLI redraws a progress bar with it). Resolves to the workflow result, rejects with its failure.
 */
export async function followRun(
  handle: WorkflowHandle,
  onProgress: (p: RunProgress) => void,
  intervalMs = 1000,
): Promise<EvaluateOutput> {
  const result = handle.result() as Promise<EvaluateOutput>;
  let finished = false;
  void result.finally(() => (finished = true)).catch(() => undefined);
  while (!finished) {
    try {
      onProgress(await handle.query<RunProgress>('progress'));
    } catch {
      // the workflow may not have had its first task yet, or has just closed
    }
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, intervalMs))]);
  }
  return result;
}
