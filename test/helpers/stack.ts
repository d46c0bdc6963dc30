/**
 * Integration-test plumbing: the real local Temporal dev server and MinIO (started once, shared by every test
 * file through a lock in the state folder), a bucket per test file and a task queue per test.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../infra/config.js';
import { REPO_ROOT, stackUp } from '../../infra/stack.js';
import { S3Store } from '../../infra/store.js';

const lockDir = join(process.env.CROSSFIX_STATE ?? join(REPO_ROOT, '.state'), 'stack.lock');

/** Starts the stack unless it runs; concurrent test files wait on a directory lock. */
export async function ensureStack(): Promise<void> {
  await mkdir(join(lockDir, '..'), { recursive: true });
  for (let i = 0; ; i++) {
    try {
      await mkdir(lockDir);
      break;
    } catch {
      if (i > 600) throw new Error(`test: stack lock ${lockDir} held for 2 minutes; remove it if stale`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    await stackUp();
  } finally {
    await rmdir(lockDir).catch(() => undefined);
  }
}

export interface TestEnv {
  config: Config;
  store: S3Store;
  /** Unique suffix for queues and ids in this file. */
  tag: string;
}

/** A fresh bucket and task queues for one test file, on the running local stack. */
export async function testEnv(name: string): Promise<TestEnv> {
  await ensureStack();
  const tag = `${name}-${randomBytes(3).toString('hex')}`;
  const base = loadConfig({ ...process.env, CROSSFIX_S3_BUCKET: `t-${tag}`.toLowerCase().slice(0, 63) });
  const config: Config = { ...base, inferenceQueue: `infer-${tag}`, analysisQueue: `analysis-${tag}` };
  const store = new S3Store(config.s3);
  await store.ensureBucket();
  return { config, store, tag };
}
