/**
 * Writes seeded synthetic timm inference CSVs (one per model, `filename,top1,…,top5,target`, rows in
 * a different order per model) and, with --analyze, times `crossfix analyze --timm-csv` on them:
 *   node --import tsx bench/make-timm-csv.ts --out DIR [--models 8] [--samples 50000] [--classes 1000] [--seed 1] [--analyze]
 * Model i is right with probability 0.70 + 0.02·i, errors correlated through a per-sample difficulty.
 * The last line printed is JSON.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LocalStore } from '../infra/store.js';
import { analyzeCommand } from '../analysis/io/run-analysis.js';
import { mulberry32 as seeded } from '../lib/random.js';

interface MakeArgs {
  out: string;
  models: number;
  samples: number;
  classes: number;
  seed: number;
  analyze: boolean;
}

function parseArgs(argv: string[]): MakeArgs {
  const args: MakeArgs = { out: '', models: 8, samples: 50_000, classes: 1000, seed: 1, analyze: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--analyze') args.analyze = true;
    else if (flag === '--out') args.out = argv[++i] ?? '';
    else if (['--models', '--samples', '--classes', '--seed'].includes(flag)) {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < 1)
        throw new Error(`make-timm-csv: ${flag} needs a positive integer, got ${argv[i]}`);
      args[flag.slice(2) as 'models' | 'samples' | 'classes' | 'seed'] = value;
    } else throw new Error(`make-timm-csv: unknown argument ${flag}`);
  }
  if (!args.out) throw new Error('make-timm-csv: --out DIR is required');
  return args;
}


/** One model's CSV text: top-5 ids (top-1 right with the model's odds), target last, rows shuffled. */
function modelCsv(
  m: number,
  labels: Int32Array,
  difficulty: Float64Array,
  classes: number,
  random: () => number,
): string {
  const skill = 0.7 + 0.02 * m;
  const lines = Array.from(labels, (label, s) => {
    const right = random() * 0.5 + difficulty[s]! * 0.5 < skill;
    const top = [right ? label : (label + 1 + Math.floor(random() * (classes - 1))) % classes];
    while (top.length < 5) top.push(Math.floor(random() * classes));
    return `ILSVRC2012_val_${String(s + 1).padStart(8, '0')}.JPEG,${top.join(',')},${label}`;
  });
  for (let i = lines.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [lines[i], lines[j]] = [lines[j]!, lines[i]!];
  }
  return lines.join('\n') + '\n';
}

/** Writes the CSVs; returns their paths. */
export async function makeTimmCsvs(args: Omit<MakeArgs, 'analyze'>): Promise<string[]> {
  const random = seeded(args.seed);
  const labels = Int32Array.from({ length: args.samples }, () => Math.floor(random() * args.classes));
  const difficulty = Float64Array.from({ length: args.samples }, () => random());
  await mkdir(args.out, { recursive: true });
  const files: string[] = [];
  for (let m = 0; m < args.models; m++) {
    const path = join(args.out, `model_${String(m).padStart(2, '0')}.csv`);
    await writeFile(path, modelCsv(m, labels, difficulty, args.classes, random));
    files.push(path);
  }
  return files;
}

/** Entry point: makes the CSVs and, with --analyze, times analyzeCommand on them. */
export async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  const t0 = performance.now();
  const files = await makeTimmCsvs(args);
  const made = (performance.now() - t0) / 1000;
  console.log(`wrote ${files.length} CSVs of ${args.samples} lines to ${args.out} in ${made.toFixed(2)} s`);
  if (!args.analyze) return console.log(JSON.stringify({ files, seconds: { make: made } }));
  const t1 = performance.now();
  const res = await analyzeCommand({
    timmCsv: files,
    out: join(args.out, 'analysis'),
    store: new LocalStore(args.out),
  });
  const total = (performance.now() - t1) / 1000;
  console.log(
    `analyzed in ${total.toFixed(2)} s (load ${res.seconds.load.toFixed(2)}, analyze ${res.seconds.analyze.toFixed(2)}, write ${res.seconds.write.toFixed(2)})`,
  );
  console.log(
    JSON.stringify({
      files: files.length,
      samples: args.samples,
      seconds: { make: made, ...res.seconds, command: total },
    }),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(process.argv.slice(2));
