/**
 * Benchmarks: `npm run bench -- <name> [flags]` with name one of pipeline, analysis, preprocess, timm-csv, models.
 * Each prints human-readable lines and, last, one JSON object.
 */
const benches: Record<string, () => Promise<{ main(argv: string[]): Promise<void> }>> = {
  pipeline: () => import('./pipeline.js'),
  analysis: () => import('./analysis.js'),
  preprocess: () => import('./preprocess.js'),
  'timm-csv': () => import('./make-timm-csv.js'),
  models: () => import('./models.js'),
};

const [name, ...rest] = process.argv.slice(2);
const load = name ? benches[name] : undefined;
if (!load) {
  console.error(`bench: expected one of ${Object.keys(benches).join(', ')}, got ${JSON.stringify(name)}`);
  process.exit(2);
}
try {
  await (await load()).main(rest);
  process.exit(0);
} catch (err) {
  console.error(`bench: ${(err as Error).stack ?? err}`);
  process.exit(1);
}
