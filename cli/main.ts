/**
 * The crossfix command line. Commands import their heavy modules (tfjs, the Temporal worker, the S3 SDK) only
 * when they run, so `crossfix --help`, `up` and `status` start fast.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Config } from '../infra/config.js';

/** Global connection flags; each maps onto the environment variable that infra/config.ts reads. */
const GLOBAL_FLAGS: [flag: string, env: string, help: string][] = [
  ['--temporal-address <host:port>', 'CROSSFIX_TEMPORAL_ADDRESS', 'Temporal frontend (default 127.0.0.1:7233)'],
  ['--namespace <name>', 'CROSSFIX_TEMPORAL_NAMESPACE', 'Temporal namespace (default "default")'],
  ['--temporal-api-key <key>', 'CROSSFIX_TEMPORAL_API_KEY', 'Temporal Cloud API key (implies TLS)'],
  ['--temporal-tls-cert <file>', 'CROSSFIX_TEMPORAL_TLS_CERT', 'mTLS client certificate (implies TLS)'],
  ['--temporal-tls-key <file>', 'CROSSFIX_TEMPORAL_TLS_KEY', 'mTLS client key'],
  ['--s3-endpoint <url>', 'CROSSFIX_S3_ENDPOINT', 'S3 endpoint (default http://127.0.0.1:9000; "" for AWS)'],
  ['--s3-region <region>', 'CROSSFIX_S3_REGION', 'S3 region (default us-east-1)'],
  ['--bucket <name>', 'CROSSFIX_S3_BUCKET', 'bucket for datasets, models and runs (default crossfix)'],
  ['--s3-prefix <prefix>', 'CROSSFIX_S3_PREFIX', 'key prefix inside the bucket (default none)'],
  ['--s3-path-style <bool>', 'CROSSFIX_S3_PATH_STYLE', 'path-style addressing (default true with an endpoint)'],
];

/** Commander parser for options that take a positive integer. */
function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

function attrName(flag: string): string {
  return flag.replace(/^--/, '').split(' ')[0]!.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

async function config(): Promise<Config> {
  const { loadConfig } = await import('../infra/config.js');
  return loadConfig();
}

/** The configured S3 store; `ensure` creates the bucket when missing (commands that write to it). */
async function store(ensure = true) {
  const { S3Store } = await import('../infra/store.js');
  const s = new S3Store((await config()).s3);
  if (ensure) await s.ensureBucket();
  return s;
}

function print(json: boolean, value: unknown, text: string): void {
  console.log(json ? JSON.stringify(value) : text);
}

export function buildProgram(): Command {
  const program = new Command('crossfix')
    .description('How image classifiers correct each other, at dataset scale (Temporal + TF.js + S3/Parquet)')
    .showHelpAfterError();
  for (const [flag, , help] of GLOBAL_FLAGS) program.option(flag, help);
  program.hook('preAction', (cmd) => {
    const opts = cmd.opts();
    for (const [flag, env] of GLOBAL_FLAGS) if (opts[attrName(flag)] !== undefined) process.env[env] = String(opts[attrName(flag)]);
  });

  program.command('up').description('start the local Temporal dev server and MinIO (127.0.0.1)')
    .option('--status', 'only report whether they run').option('--json', 'machine-readable output')
    .action(async (o: { status?: boolean; json?: boolean }) => {
      const { stackUp, stackStatus } = await import('../infra/stack.js');
      const s = o.status ? await stackStatus() : await stackUp();
      const text = s.map((x) => `${x.name.padEnd(8)} ${x.ready ? 'ready' : x.running ? 'starting' : 'stopped'}  ${x.url}` +
        `${x.pid ? `  pid ${x.pid}` : ''}`).join('\n') + `\nTemporal Web UI: ${s[0]!.url}`;
      print(!!o.json, s, text);
      if (o.status && !s.every((x) => x.ready)) process.exitCode = 1;
    });

  program.command('down').description('stop the local stack (data stays in .state/)').action(async () => {
    const { stackDown } = await import('../infra/stack.js');
    await stackDown();
    console.log('stopped');
  });

  program.command('ingest <source>')
    .description('ingest a labeled image set: fashion-mnist[:test|:train], an IDX file pair, a class-folder tree, or a flat folder + --labels')
    .requiredOption('--name <name>', 'dataset name')
    .option('--labels <file>', 'labels file for a flat folder (ImageNet val layout)')
    .option('--class-index <file>', 'class index (JSON list, or ImageNet {"0": ["n01440764", "tench"]})')
    .option('--class-names <file>', 'class names (JSON array or one per line)')
    .option('--shard-size <n>', 'samples per shard', positiveInt, 1000)
    .option('--skip-bad', 'skip unreadable images and record them in skipped.json instead of failing')
    .option('--json', 'machine-readable output')
    .action(async (source: string, o) => {
      const { ingestCommand } = await import('../datasets/ingest.js');
      const manifest = await ingestCommand({ source, name: o.name, labels: o.labels, classIndex: o.classIndex,
        classNames: o.classNames, shardSize: o.shardSize, skipBad: !!o.skipBad, store: await store() });
      print(!!o.json, manifest, `dataset ${manifest.name}: ${manifest.samples} samples, ${manifest.classes.length} classes, ` +
        `${manifest.shards.length} shards`);
    });

  const models = program.command('models').description('the model registry in S3');
  models.command('add <dir>').description('register a TF.js model (model.json + weights + crossfix-model.json)')
    .option('--name <name>', 'registry name (default: the card\'s name)')
    .option('--replace', 'overwrite a registered model of the same name whose digest differs')
    .option('--json', 'machine-readable output')
    .action(async (dir: string, o: { name?: string; replace?: boolean; json?: boolean }) => {
      const { addModel } = await import('../activities/model-store.js');
      const added = await addModel(await store(), dir, { name: o.name, replace: !!o.replace });
      print(!!o.json, added, `model ${added.name} registered (digest ${added.digest.slice(0, 12)})`);
    });
  models.command('list').description('list registered models').option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      const { listModels } = await import('../activities/model-store.js');
      const list = await listModels(await store());
      print(!!o.json, list, list.map((m) => `${m.name}\t${m.digest.slice(0, 12)}`).join('\n'));
    });

  program.command('convert <model>').description('convert an ONNX model to a TF.js graph model with a model card')
    .requiredOption('--out <dir>', 'output folder').option('--card <file>', 'model card or timm data config from export_timm.py')
    .option('--check', 'compare against onnxruntime and report max |Δ logit| and top-1 agreement')
    .option('--images <files...>', 'real images to include in --check, preprocessed as the card says')
    .action(async (model: string, o: { out: string; card?: string; check?: boolean; images?: string[] }) => {
      const { convertCommand } = await import('../conversion/convert.js');
      const res = await convertCommand({ onnx: model, out: o.out, card: o.card, check: !!o.check || !!o.images,
        images: o.images });
      console.log(JSON.stringify(res, null, 2));
    });

  program.command('worker').description('run a worker until interrupted')
    .addOption(new Option('--queue <kind>', 'which task queue to serve').choices(['inference', 'analysis']).makeOptionMandatory())
    .addOption(new Option('--backend <name>', 'preferred TF.js backend').choices(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']))
    .option('--concurrency <n>', 'activities at once (default 2; inference itself runs one at a time per device)', positiveInt)
    .action(async (o) => {
      const { createCrossfixWorker } = await import('../worker/main.js');
      const worker = await createCrossfixWorker({ kind: o.queue, config: await config(), backend: o.backend, concurrency: o.concurrency });
      console.error(`worker: serving ${o.queue} task queue`);
      await worker.run();
    });

  program.command('run').description('start a run: every model over every shard of a dataset, then the analysis')
    .requiredOption('--dataset <name>', 'registered dataset')
    .requiredOption('--models <names>', 'comma-separated registered models', (v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .option('--run-id <id>', 'run id (default <dataset>-<time>-<hex>)')
    .option('--window <n>', 'shards in flight per model', positiveInt)
    .option('--top-k <n>', 'classes kept per prediction', positiveInt)
    .option('--batch-size <n>', 'images per inference batch', positiveInt)
    .option('--no-analysis', 'skip the analysis stage')
    .option('--wait', 'follow the run with a progress bar until it ends')
    .option('--json', 'machine-readable output')
    .action(async (o) => runCommand(o));

  program.command('status <run>').description('progress of a run (or its result once finished)')
    .option('--json', 'machine-readable output')
    .action(async (runId: string, o: { json?: boolean }) => {
      const { connectClient } = await import('../infra/temporal.js');
      const { runStatus, formatProgress } = await import('./run.js');
      const client = await connectClient((await config()).temporal);
      const s = await runStatus(client, runId);
      print(!!o.json, s, `${formatProgress(s)}\nworkflow: ${s.status}${s.failure ? `\nfailure: ${s.failure}` : ''}`);
      if (s.failure) process.exitCode = 1;
    });

  program.command('analyze').description('analyse a run\'s predictions or timm CSVs: pairs, triples, per class, report')
    .option('--run <id>', 'run whose predictions to read from S3')
    .option('--timm-csv <files...>', 'per-image CSVs (filename,top1[,…,topk],target), one per model')
    .requiredOption('--out <dir>', 'output folder, local or s3://bucket/prefix')
    .option('--class-names <file>', 'class names (JSON array or one per line)')
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      if (!o.run === !o.timmCsv) throw new Error('analyze: give exactly one of --run ID or --timm-csv FILE…');
      const { analyzeCommand } = await import('../analysis/io/run-analysis.js');
      const res = await analyzeCommand({ run: o.run, timmCsv: o.timmCsv, out: o.out, classNames: o.classNames,
        store: await store(false) });
      print(!!o.json, res, JSON.stringify(res, null, 2));
    });

  program.command('demo').description('up → ingest Fashion-MNIST → register the model zoo → workers → run → results')
    .option('--workers <n>', 'inference worker processes', positiveInt, 2)
    .option('--json', 'end with one JSON line: {"runId","models":[{"name","accuracy"}],"outputs":{…}}')
    .action(async (o: { workers: number; json?: boolean }) => {
      const { demo } = await import('./demo.js');
      await demo({ workers: o.workers, json: !!o.json, config: await config() });
    });
  return program;
}

async function runCommand(o: { dataset: string; models: string[]; runId?: string; window?: number; topK?: number;
  batchSize?: number; analysis: boolean; wait?: boolean; json?: boolean }): Promise<void> {
  const { connectClient } = await import('../infra/temporal.js');
  const { startRun, followRun, formatProgress, newRunId } = await import('./run.js');
  const cfg = await config();
  const client = await connectClient(cfg.temporal);
  const runId = o.runId ?? newRunId(o.dataset);
  const handle = await startRun(client, cfg, { runId, dataset: o.dataset, models: o.models, window: o.window,
    topK: o.topK, batchSize: o.batchSize, analysis: o.analysis });
  const ui = `${cfg.temporalUi}/namespaces/${cfg.temporal.namespace}/workflows/${encodeURIComponent(handle.workflowId)}`;
  if (!o.wait) return print(!!o.json, { runId, workflowId: handle.workflowId, ui }, `started run ${runId}\n${ui}`);
  const tty = process.stderr.isTTY && !o.json;
  let drawn = 0;
  const result = await followRun(handle, (p) => {
    const text = formatProgress(p);
    if (tty) process.stderr.write(`${drawn ? `\x1b[${drawn}A\x1b[J` : ''}${text}\n`);
    drawn = text.split('\n').length;
  });
  const lines = result.models.map((m) => `${m.model.padEnd(20)} accuracy ${m.accuracy.toFixed(4)} (${m.correct}/${m.images})`);
  print(!!o.json, result, [`run ${runId} finished`, ...lines, ...Object.entries(result.outputs).map(([k, v]) => `${k}: ${v}`)].join('\n'));
}

/** Entry point used by bin/crossfix.js. */
export async function main(argv = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    console.error(`crossfix: ${(err as Error).message ?? err}`);
    process.exitCode = 1;
  }
}
