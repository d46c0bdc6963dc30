/**
 * crossfix workers. An inference worker loads a TF.js backend once and runs inferShard activities on the
 * inference task queue; an analysis worker runs the workflows and the CPU activities (run preparation,
 * analysis, summaries) on the analysis task queue. Heavy things (backend, model cache, S3 client) are created
 * once per worker and handed to the activity factories.
 */
import { DefaultLogger, Runtime, Worker, type LogLevel, type NativeConnection } from '@temporalio/worker';
import type { Config } from '../infra/config.js';
import { S3Store, type ObjectStore } from '../infra/store.js';
import { connectWorker } from '../infra/temporal.js';
import type { BackendName } from './backend.js';
import { workflowBundle } from './bundle.js';

export type WorkerKind = 'inference' | 'analysis';

export interface CrossfixWorkerOptions {
  kind: WorkerKind;
  config: Config;
  /** Preferred TF.js backend (inference only). @default best available: tensorflow-gpu, tensorflow, wasm, cpu */
  backend?: BackendName;
  /**
   * Activities run at once by this worker. @default 2 for inference — one infers while the other fetches, decodes
   * and writes; inference itself runs one at a time per device (the wasm and cpu backends are single-threaded,
   * native backends use every core) — and 2 for analysis
   */
  concurrency?: number;
  /** Override of the task queue from the configuration (tests use unique queues). */
  taskQueue?: string;
  /** An existing connection to reuse (tests). */
  connection?: NativeConnection;
}

let runtimeInstalled = false;

/** SDK messages that are expected in crossfix's layout (an inference worker serves no workflows). */
const BENIGN = new Set(['No workflows registered, not polling for workflow tasks']);
const LEVELS: LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/**
 * Sends Temporal's logging (core, workers, workflows, activities) to stderr at CROSSFIX_LOG_LEVEL (@default WARN),
 * with benign SDK warnings demoted to debug.
 */
export function installRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const wanted = (process.env.CROSSFIX_LOG_LEVEL ?? 'WARN').toUpperCase() as LogLevel;
  const threshold = Math.max(0, LEVELS.indexOf(wanted));
  const logger = new DefaultLogger('TRACE', ({ level, message, meta }) => {
    const effective = BENIGN.has(message) ? 'DEBUG' : level;
    if (LEVELS.indexOf(effective) >= threshold) console.error(`[${effective}] ${message}`, meta ?? '');
  });
  try {
    Runtime.install({ logger });
  } catch {
    // a runtime was already installed by the embedding process; keep it
  }
}

/** Every activity the analysis task queue serves: run control, analysis and chunked triple counting. */
export async function analysisWorkerActivities(store: ObjectStore) {
  const [{ createControlActivities }, { createAnalysisActivities }, { createTripleActivities }] = await Promise.all([
    import('../activities/prepare-run.js'), import('../activities/analyze.js'), import('../activities/analyze-triples.js')]);
  return { ...createControlActivities({ store }), ...createAnalysisActivities({ store }), ...createTripleActivities({ store }) };
}

/** Creates (but does not run) a worker of the given kind. */
export async function createCrossfixWorker(opts: CrossfixWorkerOptions): Promise<Worker> {
  installRuntime();
  const store = new S3Store(opts.config.s3);
  const connection = opts.connection ?? (await connectWorker(opts.config.temporal));
  const namespace = opts.config.temporal.namespace;
  if (opts.kind === 'inference') {
    const [{ selectBackend }, { createInferenceActivities }] = await Promise.all([
      import('./backend.js'), import('../activities/infer-shard.js')]);
    const backend = await selectBackend(opts.backend);
    for (const f of backend.failures) console.error(`worker: backend ${f.name} unavailable: ${f.reason}`);
    console.error(`worker: inference backend ${backend.name}`);
    return Worker.create({
      connection, namespace, taskQueue: opts.taskQueue ?? opts.config.inferenceQueue,
      activities: createInferenceActivities({ store, backend }),
      maxConcurrentActivityTaskExecutions: opts.concurrency ?? 2,
    });
  }
  return Worker.create({
    connection, namespace, taskQueue: opts.taskQueue ?? opts.config.analysisQueue,
    workflowBundle: await workflowBundle(),
    activities: await analysisWorkerActivities(store),
    maxConcurrentActivityTaskExecutions: opts.concurrency ?? 2,
  });
}
