/**
 * In-process workers for integration tests: an inference worker (wasm backend) and an analysis worker (workflows
 * bundled from source, the production activity set), on the test file's own task queues.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createInferenceActivities, type InferShardInput, type InferShardOutput } from '../../activities/infer-shard.js';
import { selectBackend } from '../../worker/backend.js';
import { buildWorkflowBundle } from '../../worker/bundle.js';
import { analysisWorkerActivities, installRuntime } from '../../worker/main.js';
import type { TestEnv } from './stack.js';

type InferShard = (input: InferShardInput) => Promise<InferShardOutput>;

export interface TestWorkers {
  client: Client;
  /** Shuts both workers down and closes the connections. */
  stop(): Promise<void>;
}

/**
 * Starts both workers; `wrap` may decorate inferShard (fault injection, attempt logging).
 * @param scratch folder for inferShard's resume files
 */
export async function startTestWorkers(env: TestEnv, scratch: string, wrap?: (f: InferShard) => InferShard): Promise<TestWorkers> {
  installRuntime();
  const connection = await NativeConnection.connect({ address: env.config.temporal.address });
  const client = new Client({ connection: await Connection.connect({ address: env.config.temporal.address }) });
  const { inferShard } = createInferenceActivities({ store: env.store, backend: await selectBackend('wasm'), cacheDir: scratch });
  const workers = await Promise.all([
    Worker.create({ connection, taskQueue: env.config.inferenceQueue, activities: { inferShard: wrap ? wrap(inferShard) : inferShard } }),
    Worker.create({ connection, taskQueue: env.config.analysisQueue, workflowBundle: await buildWorkflowBundle(),
      activities: await analysisWorkerActivities(env.store) }),
  ]);
  const running = workers.map((w) => w.run());
  return {
    client,
    async stop() {
      workers.forEach((w) => w.shutdown());
      await Promise.all(running);
      await connection.close();
      await client.connection.close();
    },
  };
}
