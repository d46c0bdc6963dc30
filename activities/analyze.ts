/**
 * Analysis activity, on the CPU task queue: reads a run's predictions from the store, runs the
 * engine and writes the outputs under `runs/<id>/analysis/`. Heartbeats between stages; inputs that
 * disagree (models covering different samples, labels that differ) fail without retries.
 */
import { Context, heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ObjectStore } from '../infra/store.js';
import { analyzeToStore, runAnalysisPrefix } from '../analysis/io/run-analysis.js';

export interface AnalyzeRunInput {
  runId: string;
  /** Models to analyze, in this order; each needs prediction files in the run. */
  models: string[];
  /** Class names by id. @default the classes of the run's dataset, when run.json names one */
  classNames?: string[];
}

export interface AnalyzeRunOutput {
  /** Output file name → location, e.g. `summary.json` → `s3://crossfix/runs/r1/analysis/summary.json`. */
  outputs: Record<string, string>;
  models: { name: string; accuracy: number }[];
}

/** Heartbeats when running inside an activity; a no-op elsewhere (tests, the CLI). */
function beat(stage: string): void {
  try {
    Context.current();
  } catch {
    return;
  }
  heartbeat({ stage });
}

/** Messages of input errors that no retry can fix. */
const BAD_INPUT = /^(predictions|analysis|analyze): /;

/** Builds the analysis activities over one store (S3 in a worker, a LocalStore in tests). */
export function createAnalysisActivities({ store }: { store: ObjectStore }) {
  return {
    /** Analyzes a run's predictions and writes every output under `runs/<id>/analysis/`. */
    async analyzeRun(input: AnalyzeRunInput): Promise<AnalyzeRunOutput> {
      beat('started');
      try {
        const { outputs, summary } = await analyzeToStore(
          { kind: 'run', store, runId: input.runId, models: input.models },
          store,
          {
            prefix: runAnalysisPrefix(input.runId),
            onStage: beat,
            ...(input.classNames ? { classNames: input.classNames } : {}),
          },
        );
        return { outputs, models: summary.models.map((m) => ({ name: m.name, accuracy: m.accuracy })) };
      } catch (err) {
        if (err instanceof Error && BAD_INPUT.test(err.message)) {
          throw ApplicationFailure.nonRetryable(err.message, 'BadInput');
        }
        throw err;
      }
    },
  };
}

/** The analysis activities' type, for `proxyActivities<AnalysisActivities>()` in workflows. */
export type AnalysisActivities = ReturnType<typeof createAnalysisActivities>;
