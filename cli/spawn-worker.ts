/** `crossfix worker` as a child process, for the demo, the pipeline benchmark and CLI tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../infra/stack.js';
import type { WorkerKind } from '../worker/main.js';

export interface SpawnWorkerOptions {
  /** Environment of the worker (bucket, queues, …). @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Copy the worker's stderr (backend choice, warnings) to this process's stderr. @default false */
  echo?: boolean;
}

/** Starts a worker process; resolves once it serves its task queue, rejects if it exits before that. */
export function spawnWorker(kind: WorkerKind, opts: SpawnWorkerOptions = {}): Promise<ChildProcess> {
  return new Promise((ready, fail) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'crossfix.js'), 'worker', '--queue', kind],
      { env: opts.env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      if (opts.echo) process.stderr.write(d);
      err += d.toString();
      if (err.includes(`serving ${kind}`)) ready(child);
    });
    child.once('exit', (code) => fail(new Error(`worker: ${kind} worker exited with ${code} before serving: ${err}`)));
  });
}
