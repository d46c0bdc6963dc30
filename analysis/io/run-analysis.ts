/**
 * Orchestration of one analysis: load the input (a run's prediction files or timm CSVs), run the
 * engine, write every output to a store. Used by `crossfix analyze` and the analysis activity.
 */
import type { DatasetManifest } from '../../lib/dataset.js';
import { manifestKey } from '../../lib/dataset.js';
import { analysisPrefix, runPrefix } from '../../lib/predictions.js';
import { LocalStore, S3Store, type ObjectStore } from '../../infra/store.js';
import { analyze, analyzeCorrectness } from '../analyze.js';
import { correctnessFromPredictions } from '../bitset.js';
import type { AnalysisInput, AnalysisOptions, AnalysisResult } from '../types.js';
import { validateInput } from '../validate.js';
import { readClassNames } from './class-names.js';
import { loadRunPredictions } from './predictions.js';
import type { Summary } from './summary.js';
import { readTimmCsv } from './timm-csv.js';
import { writeOutputs } from './write-outputs.js';

/** Where the input comes from: a run in a store, or timm CSV files on the local disk. */
export type AnalysisSource =
  { kind: 'run'; store: ObjectStore; runId: string; models?: string[] } | { kind: 'timm-csv'; files: string[] };

/** Options of `analyzeToStore`. */
export interface AnalyzeToStoreOptions {
  /** Class names by id. @default for a run, the classes of its dataset when run.json names one; else none */
  classNames?: string[];
  /** Key prefix of the outputs in the output store. @default '' */
  prefix?: string;
  /** Engine options. @default {} */
  analysis?: AnalysisOptions;
  /** Called after each stage ('loaded', 'analyzed', 'written'), e.g. to heartbeat. @default none */
  onStage?: (stage: 'loaded' | 'analyzed' | 'written') => void;
  /** |A∩B∩C| for every lexicographic triple, counted elsewhere (chunk activities). @default computed here */
  tripleIntersections?: Uint32Array;
}

/** What one analysis produced: output locations, the summary and stage times in seconds. */
export interface AnalyzeToStoreResult {
  outputs: Record<string, string>;
  summary: Summary;
  seconds: { load: number; analyze: number; write: number; total: number };
}

/** Loads the input, analyzes it and writes every output to `out`. */
export async function analyzeToStore(
  source: AnalysisSource,
  out: ObjectStore,
  options: AnalyzeToStoreOptions = {},
): Promise<AnalyzeToStoreResult> {
  const t0 = performance.now();
  const input = await loadInput(source, options.classNames);
  options.onStage?.('loaded');
  const t1 = performance.now();
  const result = analyzeWithTriples(input, options.analysis, options.tripleIntersections);
  options.onStage?.('analyzed');
  const t2 = performance.now();
  const { outputs, summary } = await writeOutputs(result, out, { prefix: options.prefix ?? '' });
  options.onStage?.('written');
  const t3 = performance.now();
  const s = (ms: number) => ms / 1000;
  return { outputs, summary, seconds: { load: s(t1 - t0), analyze: s(t2 - t1), write: s(t3 - t2), total: s(t3 - t0) } };
}

/**
 * analyze(), except that triple intersection counts computed elsewhere (tripleRange over lexicographic
 * triple indices 0 … C(n, 3)) can be handed in; without them it is analyze() itself.
 */
export function analyzeWithTriples(
  input: AnalysisInput, options: AnalysisOptions = {}, tripleIntersections?: Uint32Array,
): AnalysisResult {
  if (!tripleIntersections) return analyze(input, options);
  validateInput(input);
  const correctness = correctnessFromPredictions(input.labels, input.models);
  return analyzeCorrectness(
    {
      modelNames: input.models.map((m) => m.name), correctness, labels: input.labels, numClasses: input.numClasses,
      classNames: input.classNames, sampleIds: input.sampleIds, predictions: input.models,
    },
    options,
    tripleIntersections,
  );
}

/** Reads the analysis input of a source. */
export async function loadInput(source: AnalysisSource, classNames?: string[]): Promise<AnalysisInput> {
  if (source.kind === 'timm-csv') return readTimmCsv(source.files, classNames ? { classNames } : {});
  const names = classNames ?? (await datasetClasses(source.store, source.runId));
  return loadRunPredictions(source.store, source.runId, {
    ...(source.models ? { models: source.models } : {}),
    ...(names ? { classNames: names } : {}),
  });
}

/** The class names of a run's dataset, when run.json and the dataset manifest are both there. */
export async function datasetClasses(store: ObjectStore, runId: string): Promise<string[] | undefined> {
  const run = await store.tryGet(`${runPrefix(runId)}/run.json`);
  const dataset = run ? (JSON.parse(run.toString('utf8')) as { dataset?: string }).dataset : undefined;
  const manifest = dataset ? await store.tryGet(manifestKey(dataset)) : undefined;
  return manifest ? (JSON.parse(manifest.toString('utf8')) as DatasetManifest).classes : undefined;
}

/** Opens `--out`: an `s3://bucket/prefix` URL (through the S3 client of `store`) or a local directory. */
export function openOutputStore(out: string, store: ObjectStore): ObjectStore {
  if (!out.startsWith('s3://')) return new LocalStore(out);
  if (!(store instanceof S3Store))
    throw new Error(`analyze: --out ${out} needs an S3 store, but the store is ${store.url('')}`);
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(out)!;
  return new S3Store(
    { region: '', forcePathStyle: true, bucket: m[1]!, prefix: m[2]!.replace(/\/+$/, '') },
    store.client,
  );
}

/** Options of `analyzeCommand`, as the CLI parses them. */
export interface AnalyzeCommandOptions {
  /** Run id whose predictions to analyze (exclusive with timmCsv). */
  run?: string;
  /** timm CSV files, one per model (exclusive with run). */
  timmCsv?: string[];
  /** Output location: a local directory or `s3://bucket/prefix`. */
  out: string;
  /** Class-names file (JSON array or one per line). @default none (a run's dataset classes) */
  classNames?: string;
  /** The store holding runs (used for --run and for s3:// outputs). */
  store: ObjectStore;
}

/** `crossfix analyze`: analyzes a run or timm CSVs and writes the outputs to `--out`. */
export async function analyzeCommand(opts: AnalyzeCommandOptions): Promise<AnalyzeToStoreResult> {
  if (!opts.run === !(opts.timmCsv && opts.timmCsv.length > 0)) {
    throw new Error('analyze: give exactly one of --run ID or --timm-csv FILE…');
  }
  const classNames = opts.classNames ? await readClassNames(opts.classNames) : undefined;
  const source: AnalysisSource = opts.run
    ? { kind: 'run', store: opts.store, runId: opts.run }
    : { kind: 'timm-csv', files: opts.timmCsv! };
  return analyzeToStore(source, openOutputStore(opts.out, opts.store), classNames ? { classNames } : {});
}

/** Key prefix of a run's analysis outputs, with the trailing slash. */
export function runAnalysisPrefix(runId: string): string {
  return `${analysisPrefix(runId)}/`;
}
