/** Runs the compiled `crossfix` CLI (bin/crossfix.js → dist/) as a user would. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../../infra/stack.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `crossfix ...args` with extra environment variables; never throws on a non-zero exit. */
export function crossfix(args: string[], env: Record<string, string> = {}, timeoutMs = 20 * 60_000): Promise<CliResult> {
  return new Promise((done) => {
    execFile(process.execPath, [join(REPO_ROOT, 'bin', 'crossfix.js'), ...args],
      { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 << 20, cwd: REPO_ROOT },
      (err, stdout, stderr) => done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}
