/**
 * Analysis activity, on the CPU task queue: reads a run's predictions from the store, runs the
 * engine and writes the outputs under `runs/<id>/analysis/`. Heartbeats between stages; inputs that
 * disagree (models covering different samples, labels that differ) fail without retries. For large
 * model counts the triple counts come from chunk activities (./analyze-triples.ts) as `tripleParts`.
 */
import { Context, heartbeat } from '@temporalio/activity';
import { badInput } from './bad-input.js';
import type { ObjectStore } from '../infra/store.js';
import { analyzeToStore, runAnalysisPrefix } from '../analysis/io/run-analysis.js';

/** One chunk of triple intersection counts: lexicographic triples start … end-1, as u32 LE at `key`. */
export interface TriplePart {
  start: number;
  end: number;
  key: string;
}

export interface AnalyzeRunInput {
  runId: string;
  /** Models to analyze, in this order; each needs prediction files in the run. */
  models: string[];
  /** Class names by id. @default the classes of the run's dataset, when run.json names one */
  classNames?: string[];
  /** Triple counts written by countTriples, tiling 0 … C(n, 3) exactly. @default triples counted here */
  tripleParts?: TriplePart[];
}

export interface AnalyzeRunOutput {
  /** Output file name → location, e.g. `summary.json` → `s3://crossfix/runs/r1/analysis/summary.json`. */
  outputs: Record<string, string>;
  models: { name: string; accuracy: number }[];
}

/** Heartbeats when running inside an activity; a no-op elsewhere (tests, the CLI). */
export function beat(details: unknown): void {
  try {
    Context.current();
  } catch {
    return;
  }
  heartbeat(details);
}

/** Messages of input errors that no retry can fix. */
const BAD_INPUT = /^(predictions|analysis|analyze): /;

/** Runs `work`, turning input errors (see BAD_INPUT) into non-retryable 'BadInput' failures. */
export async function failingOnBadInput<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof Error && BAD_INPUT.test(err.message)) {
      throw badInput(err.message, err);
    }
    throw err;
  }
}

/** Checks that parts tile 0 … total exactly, in order of `start`; returns them sorted. */
export function checkTiling(parts: TriplePart[], total: number): TriplePart[] {
  const sorted = [...parts].sort((a, b) => a.start - b.start);
  let at = 0;
  for (const p of sorted) {
    if (!Number.isInteger(p.start) || !Number.isInteger(p.end) || p.end < p.start) {
      throw new Error(`analyze: triple part ${p.key} has range ${p.start}…${p.end}`);
    }
    if (p.start > at) throw new Error(`analyze: triple parts leave triples ${at}…${p.start} uncovered`);
    if (p.start < at) throw new Error(`analyze: triple parts overlap at triple ${p.start}`);
    at = p.end;
  }
  if (at !== total) throw new Error(`analyze: triple parts end at triple ${at}, ${total} triples expected`);
  return sorted;
}

/** Reads and concatenates triple parts for `models` models; each must hold 4 bytes per triple. */
export async function readTripleParts(store: ObjectStore, parts: TriplePart[], models: number): Promise<Uint32Array> {
  const total = models < 3 ? 0 : (models * (models - 1) * (models - 2)) / 6;
  const out = new Uint32Array(total);
  for (const p of checkTiling(parts, total)) {
    const bytes = await store.get(p.key);
    if (bytes.length !== 4 * (p.end - p.start)) {
      throw new Error(`analyze: triple part ${store.url(p.key)} has ${bytes.length} bytes, expected ${4 * (p.end - p.start)}`);
    }
    for (let i = 0; i < p.end - p.start; i++) out[p.start + i] = bytes.readUInt32LE(4 * i);
    beat({ stage: 'triples read', end: p.end });
  }
  return out;
}

/** Builds the analysis activities over one store (S3 in a worker, a LocalStore in tests). */
export function createAnalysisActivities({ store }: { store: ObjectStore }) {
  return {
    /** Analyzes a run's predictions and writes every output under `runs/<id>/analysis/`. */
    async analyzeRun(input: AnalyzeRunInput): Promise<AnalyzeRunOutput> {
      beat({ stage: 'started' });
      return failingOnBadInput(async () => {
        const triples = input.tripleParts
          ? await readTripleParts(store, input.tripleParts, input.models.length)
          : undefined;
        const { outputs, summary } = await analyzeToStore(
          { kind: 'run', store, runId: input.runId, models: input.models },
          store,
          {
            prefix: runAnalysisPrefix(input.runId),
            onStage: (stage) => beat({ stage }),
            ...(input.classNames ? { classNames: input.classNames } : {}),
            ...(triples ? { tripleIntersections: triples } : {}),
          },
        );
        return { outputs, models: summary.models.map((m) => ({ name: m.name, accuracy: m.accuracy })) };
      });
    },
  };
}

/** The analysis activities' type, for `proxyActivities<AnalysisActivities>()` in workflows. */
export type AnalysisActivities = ReturnType<typeof createAnalysisActivities>;
