/**
 * Benchmark of the analysis engine on synthetic data:
 *   node --import tsx bench/analysis.ts --models 100 --samples 1000000 [--classes 1000] [--seed 1] [--packed] [--threads 2]
 * Accuracies are spread over 0.6–0.9 and errors are correlated through a shared per-sample
 * difficulty. Up to 5M model-samples it generates full predictions (top-1 and top-5) and runs
 * analyze(); beyond, or with --packed, it generates packed correctness directly and runs
 * analyzeCorrectness() (analyzeParallel with the triples on --threads workers, default 2), so
 * 100 × 1,000,000 stays far below 1 GiB. cpu_s is the main thread's CPU time (workers excluded),
 * worth reading beside total_s on a shared machine. The last line printed is JSON.
 */
import { analyze, analyzeCorrectness } from '../analysis/analyze.js';
import { createCorrectnessMatrix } from '../analysis/bitset.js';
import { analyzeParallel } from '../analysis/parallel.js';
import type { AnalysisInput, AnalysisResult, CorrectnessInput, ModelPredictions } from '../analysis/types.js';

interface BenchArgs {
  models: number;
  samples: number;
  classes: number;
  seed: number;
  packed: boolean;
  threads: number;
}

function parseArgs(argv: string[]): BenchArgs {
  const args: BenchArgs = { models: 8, samples: 50_000, classes: 1000, seed: 1, packed: false, threads: 2 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--packed') args.packed = true;
    else if (['--models', '--samples', '--classes', '--seed', '--threads'].includes(flag)) {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < 0) throw new Error(`bench analysis: ${flag} needs an integer, got ${argv[i]}`);
      args[flag.slice(2) as 'models' | 'samples' | 'classes' | 'seed' | 'threads'] = value;
    } else throw new Error(`bench analysis: unknown argument ${flag}`);
  }
  return args;
}

/** xorshift32 as a [0, 1) generator. */
function generator(seed: number): () => number {
  let x = (seed * 0x9e3779b1) | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

interface Synthetic {
  labels: Int32Array;
  difficulty: Float64Array;
  accuracy: number[];
  random: () => number;
}

function synthetic(a: BenchArgs): Synthetic {
  const random = generator(a.seed);
  const labels = new Int32Array(a.samples);
  const difficulty = new Float64Array(a.samples);
  for (let s = 0; s < a.samples; s++) {
    labels[s] = Math.floor(random() * a.classes);
    difficulty[s] = random();
  }
  const accuracy = Array.from({ length: a.models }, (_, m) => 0.6 + (0.3 * m) / Math.max(1, a.models - 1));
  return { labels, difficulty, accuracy, random };
}

/** Whether model m gets sample s right: its accuracy shifted by the sample's shared difficulty. */
function isRight(syn: Synthetic, m: number, s: number): boolean {
  return syn.random() < syn.accuracy[m]! + 0.6 * (0.5 - syn.difficulty[s]!);
}

function packedInput(a: BenchArgs, syn: Synthetic): CorrectnessInput {
  const matrix = createCorrectnessMatrix(a.models, a.samples);
  for (let m = 0; m < a.models; m++) {
    for (let s = 0; s < a.samples; s++) {
      if (isRight(syn, m, s)) matrix.words[m * matrix.stride + (s >>> 5)]! |= 1 << (s & 31);
    }
  }
  const modelNames = Array.from({ length: a.models }, (_, m) => `model-${m}`);
  return { modelNames, correctness: matrix, labels: syn.labels, numClasses: a.classes };
}

function predictionsInput(a: BenchArgs, syn: Synthetic): AnalysisInput {
  const models: ModelPredictions[] = syn.accuracy.map((_, m) => {
    const top1 = new Int32Array(a.samples);
    const ids = new Int32Array(a.samples * 5);
    const probs = new Float32Array(a.samples * 5);
    for (let s = 0; s < a.samples; s++) {
      const label = syn.labels[s]!;
      top1[s] = isRight(syn, m, s) ? label : (label + 1 + Math.floor(syn.random() * (a.classes - 1))) % a.classes;
      for (let j = 0; j < 5; j++) {
        ids[s * 5 + j] = j === 0 ? top1[s]! : Math.floor(syn.random() * a.classes);
        probs[s * 5 + j] = j === 0 ? 0.4 + 0.5 * syn.random() : 0.1 * syn.random();
      }
    }
    return { name: `model-${m}`, top1, topk: { k: 5, ids, probs } };
  });
  const sampleIds = Array.from({ length: a.samples }, (_, s) => `s${s}`);
  return { sampleIds, labels: syn.labels, numClasses: a.classes, models };
}

const round = (x: number | undefined): number => Math.round((x ?? 0) * 1e4) / 1e4;

/** Runs the benchmark; prints stage timings and, last, one JSON line. */
export async function main(argv: string[]): Promise<void> {
  const a = parseArgs(argv);
  const t0 = performance.now();
  const syn = synthetic(a);
  const full = !a.packed && a.models * a.samples <= 5_000_000;
  const input = full ? predictionsInput(a, syn) : packedInput(a, syn);
  const generateS = (performance.now() - t0) / 1000;
  const cpu0 = process.cpuUsage();
  const result: AnalysisResult = full
    ? analyze(input as AnalysisInput)
    : a.threads > 1
      ? await analyzeParallel(input as CorrectnessInput, {}, a.threads)
      : analyzeCorrectness(input as CorrectnessInput);
  const cpu = process.cpuUsage(cpu0);
  const t = result.timings;
  for (const note of result.notes ?? []) console.log(`note: ${note}`);
  console.log(JSON.stringify({
    models: a.models, samples: a.samples, input: full ? 'predictions' : 'packed', generate_s: round(generateS),
    pairs_s: round(t.pairs), triples_s: round(t.triples), per_class_s: round(t.perClass), subsets_s: round(t.subsets),
    diversity_s: round(t.diversity), ensembles_s: round(t.ensembles), bootstrap_s: round(t.bootstrap),
    total_s: round(t.total), cpu_s: round((cpu.user + cpu.system) / 1e6), peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  }));
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2));
