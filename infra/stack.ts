/**
 * The local stack: a Temporal dev server (SQLite under the state folder, Web UI on) and MinIO, both bound to
 * 127.0.0.1, started as detached processes so they outlive the CLI call that started them.
 * `crossfix up` / `crossfix down` / `crossfix up --status` are thin wrappers around this file.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

/** Options of the local stack; every port is on 127.0.0.1. */
export interface StackOptions {
  /** Folder for SQLite, MinIO data, logs and pid files. @default '<repo>/.state' (CROSSFIX_STATE) */
  stateDir?: string;
  /** @default 7233 */
  temporalPort?: number;
  /** @default 8233 */
  uiPort?: number;
  /** @default 9000 */
  s3Port?: number;
  /** @default 9001 */
  consolePort?: number;
  /** How long to wait for each server to become ready, in ms. @default 60000 */
  readyTimeoutMs?: number;
}

export interface ServiceStatus {
  name: 'temporal' | 'minio';
  pid?: number;
  running: boolean;
  ready: boolean;
  url: string;
}

/** Search attributes registered on the dev server so runs are findable in the Web UI. */
export const SEARCH_ATTRIBUTES = { CrossfixDataset: 'Keyword', CrossfixModels: 'KeywordList' } as const;

/** The repository root, whether this file runs from source (tsx) or from dist/. */
export const REPO_ROOT = resolve(new URL('..', import.meta.url).pathname.replace(/\/dist\/?$/, ''));

function resolved(opts: StackOptions): Required<StackOptions> {
  return {
    stateDir: opts.stateDir ?? process.env.CROSSFIX_STATE ?? join(REPO_ROOT, '.state'),
    temporalPort: opts.temporalPort ?? 7233,
    uiPort: opts.uiPort ?? 8233,
    s3Port: opts.s3Port ?? 9000,
    consolePort: opts.consolePort ?? 9001,
    readyTimeoutMs: opts.readyTimeoutMs ?? 60_000,
  };
}

/** Finds a tool on PATH or in the set-up script's tools folder; throws naming both places. */
export function findTool(name: 'temporal' | 'minio'): string {
  const tools = process.env.CROSSFIX_TOOLS ?? join(homedir(), '.cache', 'crossfix', 'tools');
  const dirs = [...(process.env.PATH ?? '').split(delimiter), join(tools, 'bin')];
  for (const dir of dirs) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  throw new Error(`stack: ${name} not found on PATH or in ${join(tools, 'bin')}; run 'bash infra/setup.sh'`);
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((done) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    sock.once('connect', () => (sock.destroy(), done(true)));
    sock.once('error', () => done(false));
  });
}

async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

function pidAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function readPid(file: string): Promise<number | undefined> {
  try {
    return Number((await readFile(file, 'utf8')).trim()) || undefined;
  } catch {
    return undefined;
  }
}

/** Starts a server in its own process group, logging to `<state>/<name>.log`; returns its pid. */
async function startDetached(cmd: string, args: string[], o: Required<StackOptions>, name: string, env = {}): Promise<number> {
  const out = openSync(join(o.stateDir, `${name}.log`), 'a');
  try {
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', out, out], env: { ...process.env, ...env } });
    const pid = await new Promise<number>((started, failed) => {
      child.once('spawn', () => started(child.pid!));
      child.once('error', (err) => failed(new Error(`stack: cannot start ${cmd} (${err.message})`, { cause: err })));
    });
    child.unref();
    await writeFile(join(o.stateDir, `${name}.pid`), String(pid));
    return pid;
  } finally {
    closeSync(out);
  }
}

/** Waits until `check` passes; gives up early, with the log's tail, when the server process has exited. */
async function waitFor(what: string, pid: number, check: () => Promise<boolean>, o: Required<StackOptions>, log: string) {
  const deadline = Date.now() + o.readyTimeoutMs;
  let alive = true;
  while (Date.now() < deadline && alive) {
    if (await check()) return;
    alive = pidAlive(pid);
    await new Promise((r) => setTimeout(r, 250));
  }
  const tail = (await readFile(join(o.stateDir, log), 'utf8').catch(() => '')).split('\n').slice(-10).join('\n');
  const why = alive ? `not ready after ${o.readyTimeoutMs} ms` : 'exited before it was ready';
  throw new Error(`stack: ${what} ${why}; last log lines:\n${tail}`);
}

function temporalReady(o: Required<StackOptions>): Promise<boolean> {
  return httpOk(`http://127.0.0.1:${o.uiPort}/api/v1/namespaces/default`);
}

function minioReady(o: Required<StackOptions>): Promise<boolean> {
  return httpOk(`http://127.0.0.1:${o.s3Port}/minio/health/ready`);
}

/** Reports each service: pid from the pid file, whether it runs, whether it answers. */
export async function stackStatus(opts: StackOptions = {}): Promise<ServiceStatus[]> {
  const o = resolved(opts);
  const tPid = await readPid(join(o.stateDir, 'temporal.pid'));
  const mPid = await readPid(join(o.stateDir, 'minio.pid'));
  const [tReady, mReady] = await Promise.all([temporalReady(o), minioReady(o)]);
  return [
    { name: 'temporal', pid: tPid, running: pidAlive(tPid) || tReady, ready: tReady, url: `http://127.0.0.1:${o.uiPort}` },
    { name: 'minio', pid: mPid, running: pidAlive(mPid) || mReady, ready: mReady, url: `http://127.0.0.1:${o.s3Port}` },
  ];
}

async function startTemporal(o: Required<StackOptions>): Promise<void> {
  if (await temporalReady(o)) return;
  if (await portOpen(o.temporalPort)) throw new Error(`stack: port ${o.temporalPort} is taken by something that is not a Temporal dev server`);
  const attrs = Object.entries(SEARCH_ATTRIBUTES).flatMap(([k, v]) => ['--search-attribute', `${k}=${v}`]);
  // one partition per task queue: with a handful of local pollers, tasks written to a partition nobody polls wait
  // for forwarding (up to seconds); clusters with many workers keep the server's default
  const dynamic = ['matching.numTaskqueueReadPartitions=1', 'matching.numTaskqueueWritePartitions=1']
    .flatMap((v) => ['--dynamic-config-value', v]);
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(o.temporalPort), '--ui-ip', '127.0.0.1',
    '--ui-port', String(o.uiPort), '--db-filename', join(o.stateDir, 'temporal.db'), '--log-level', 'warn', ...attrs,
    ...dynamic];
  const pid = await startDetached(findTool('temporal'), args, o, 'temporal');
  await waitFor('Temporal dev server', pid, () => temporalReady(o), o, 'temporal.log');
}

async function startMinio(o: Required<StackOptions>): Promise<void> {
  if (await minioReady(o)) return;
  if (await portOpen(o.s3Port)) throw new Error(`stack: port ${o.s3Port} is taken by something that is not MinIO`);
  const args = ['server', join(o.stateDir, 'minio'), '--address', `127.0.0.1:${o.s3Port}`,
    '--console-address', `127.0.0.1:${o.consolePort}`, '--quiet'];
  const env = { MINIO_ROOT_USER: process.env.CROSSFIX_S3_ACCESS_KEY ?? 'minioadmin',
    MINIO_ROOT_PASSWORD: process.env.CROSSFIX_S3_SECRET_KEY ?? 'minioadmin', MINIO_BROWSER: 'on' };
  const pid = await startDetached(findTool('minio'), args, o, 'minio', env);
  await waitFor('MinIO', pid, () => minioReady(o), o, 'minio.log');
}

/** Starts whatever is not already running and waits until both answer. Idempotent. */
export async function stackUp(opts: StackOptions = {}): Promise<ServiceStatus[]> {
  const o = resolved(opts);
  await mkdir(join(o.stateDir, 'minio'), { recursive: true });
  await Promise.all([startTemporal(o), startMinio(o)]);
  return stackStatus(opts);
}

/** Whether `pid` runs the given tool (a stale pid file may name a reused pid). */
async function runs(pid: number, tool: string): Promise<boolean> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmdline.split('\0')[0]?.endsWith(`/${tool}`) ?? false;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

async function stopPid(file: string, tool: string): Promise<void> {
  const pid = await readPid(file);
  try {
    if (pid && pidAlive(pid) && (await runs(pid, tool))) {
      signalGroup(pid, 'SIGTERM');
      for (let i = 0; i < 100 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
      if (pidAlive(pid)) signalGroup(pid, 'SIGKILL');
    }
  } finally {
    await rm(file, { force: true });
  }
}

/** Stops both servers started by `stackUp` (their data stays in the state folder). */
export async function stackDown(opts: StackOptions = {}): Promise<void> {
  const o = resolved(opts);
  await Promise.all([stopPid(join(o.stateDir, 'temporal.pid'), 'temporal'), stopPid(join(o.stateDir, 'minio.pid'), 'minio')]);
}
