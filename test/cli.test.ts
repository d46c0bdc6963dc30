/** The compiled CLI: fast start, the local stack's status, and bad input reported as one clear line. */
import test from 'ava';
import { crossfix } from './helpers/cli.js';
import { ensureStack } from './helpers/stack.js';

test.before(async () => {
  await ensureStack();
});

test('crossfix --help lists every command', async (t) => {
  const res = await crossfix(['--help']);
  t.is(res.code, 0);
  for (const cmd of ['up', 'down', 'ingest', 'models', 'convert', 'worker', 'run', 'status', 'analyze', 'demo']) {
    t.regex(res.stdout, new RegExp(`^  ${cmd}\\b`, 'm'));
  }
});

test('crossfix up --status --json reports both servers ready with their URLs', async (t) => {
  const res = await crossfix(['up', '--status', '--json']);
  t.is(res.code, 0, res.stderr);
  t.like(JSON.parse(res.stdout), [
    { name: 'temporal', ready: true, url: 'http://127.0.0.1:8233' },
    { name: 'minio', ready: true, url: 'http://127.0.0.1:9000' },
  ]);
});

test('crossfix ingest of a missing folder fails with one line naming the path', async (t) => {
  const res = await crossfix(['ingest', '/nonexistent/images', '--name', 'x'], { CROSSFIX_S3_BUCKET: 't-cli-ingest' });
  t.is(res.code, 1);
  t.is(res.stderr.trim().split('\n').length, 1, res.stderr);
  t.regex(res.stderr, /\/nonexistent\/images/);
});

test('crossfix analyze without an input says which flags it needs', async (t) => {
  const res = await crossfix(['analyze', '--out', '/tmp/x']);
  t.is(res.code, 1);
  t.is(res.stderr.trim(), 'crossfix: analyze: give exactly one of --run ID or --timm-csv FILE…');
});

test('crossfix status of an unknown run fails with the workflow id', async (t) => {
  const res = await crossfix(['status', 'no-such-run']);
  t.is(res.code, 1);
  t.regex(res.stderr, /crossfix-run:no-such-run/);
});

test('crossfix run refuses a window that is not a positive integer, naming flag and value', async (t) => {
  const res = await crossfix(['run', '--dataset', 'd', '--models', 'a', '--window', 'abc']);
  t.is(res.code, 1);
  t.is(res.stderr.split('\n')[0], `error: option '--window <n>' argument 'abc' is invalid. expected a positive integer, got "abc"`);
});
