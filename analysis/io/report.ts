/**
 * report.html: one self-contained page (inline SVG and CSS, no scripts, fonts or network) that shows
 * an AnalysisResult: models, correction-rate and virtual-accuracy heatmaps, best triples, per-class
 * bars, top classes, the best-subset curve, diversity and ensembles. Pure module.
 */
import type { AnalysisResult, PairResult } from '../types.js';
import { escapeHtml, heatmapSvg, lineChartSvg, mirroredBarsSvg, percent } from './report-svg.js';

/** Options of `renderReport`. */
export interface ReportOptions {
  /** Page title. @default 'crossfix analysis' */
  title?: string;
  /** Most triples listed. @default 50 */
  maxTriples?: number;
}

const STYLE = `body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}
h1{font-size:24px}h2{font-size:19px;margin-top:36px;border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:15px;margin:18px 0 4px}
table{border-collapse:collapse;font-size:13px}td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}.note{color:#666;font-size:13px}
svg .label{font-size:11px;fill:#222}svg .axis{font-size:11px;fill:#555}.bar{display:inline-block;height:9px;background:#3b528b}
.cards{display:flex;gap:14px;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;padding:8px 14px}.card b{display:block;font-size:20px}`;

/** Renders the whole report page for a result. */
export function renderReport(r: AnalysisResult, options: ReportOptions = {}): string {
  const title = options.title ?? 'crossfix analysis';
  const sections = [
    overviewSection(r),
    modelsSection(r),
    correctionSection(r),
    virtualAccuracySection(r),
    triplesSection(r, options.maxTriples ?? 50),
    subsetsSection(r),
    topClassesSection(r),
    perClassSection(r),
    diversitySection(r),
    ensemblesSection(r),
  ];
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${sections.join('\n')}
</body></html>
`;
}

function table(head: string[], rows: string[][], numeric: boolean[]): string {
  const th = head.map((h, i) => `<th${numeric[i] ? ' class="num"' : ''}>${h}</th>`).join('');
  const tr = rows.map(
    (row) => `<tr>${row.map((c, i) => `<td${numeric[i] ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`,
  );
  return `<table><thead><tr>${th}</tr></thead><tbody>${tr.join('')}</tbody></table>`;
}

function overviewSection(r: AnalysisResult): string {
  const best = [...r.models].sort((a, b) => b.accuracy - a.accuracy)[0];
  const bestPair = [...r.pairs].sort((a, b) => b.virtualAccuracy - a.virtualAccuracy)[0];
  const bestTriple = [...r.triples].sort((a, b) => b.virtualAccuracy - a.virtualAccuracy)[0];
  const card = (label: string, value: string, note = '') =>
    `<div class="card">${label}<b>${value}</b><span class="note">${note}</span></div>`;
  const cards = [
    card('samples', String(r.samples), `${r.numClasses} classes`),
    card('models', String(r.models.length)),
    best ? card('best single model', `${percent(best.accuracy, 2)}%`, escapeHtml(best.name)) : '',
    bestPair
      ? card(
          'best pair (oracle)',
          `${percent(bestPair.virtualAccuracy, 2)}%`,
          escapeHtml(`${bestPair.base} + ${bestPair.corrector}`),
        )
      : '',
    bestTriple
      ? card(
          'best triple (oracle)',
          `${percent(bestTriple.virtualAccuracy, 2)}%`,
          escapeHtml(bestTriple.models.join(' + ')),
        )
      : '',
    card(
      'no model right',
      String(r.noneCorrect.count),
      `${percent(r.samples ? r.noneCorrect.count / r.samples : 0, 2)}% of samples`,
    ),
  ];
  return `<div class="cards">${cards.join('')}</div>`;
}

function modelsSection(r: AnalysisResult): string {
  const order = r.models.map((m, i) => ({ m, i })).sort((a, b) => b.m.accuracy - a.m.accuracy || a.i - b.i);
  const rows = order.map(({ m }, rank) => [
    String(rank + 1),
    escapeHtml(m.name),
    String(m.correct),
    `${percent(m.accuracy, 2)}%`,
    m.accuracyCi ? `${percent(m.accuracyCi[0], 2)}–${percent(m.accuracyCi[1], 2)}%` : '',
  ]);
  return `<h2>Models</h2>${table(['#', 'model', 'correct', 'accuracy', 'CI'], rows, [true, false, true, true, true])}`;
}

function pairLookup(r: AnalysisResult): (base: number, corrector: number) => PairResult | undefined {
  const index = new Map(r.pairs.map((p) => [`${p.base}\u0000${p.corrector}`, p]));
  return (b, c) => index.get(`${r.models[b]!.name}\u0000${r.models[c]!.name}`);
}

function correctionSection(r: AnalysisResult): string {
  const pair = pairLookup(r);
  const values = r.pairs.map((p) => p.potentialCorrectionRate);
  const svg = heatmapSvg({
    labels: r.models.map((m) => m.name),
    value: (b, c) => pair(b, c)?.potentialCorrectionRate,
    domain: [minOf(values, 1), maxOf(values, 0)],
    format: (v) => percent(v),
    tooltip: (b, c) => {
      const p = pair(b, c);
      return p
        ? `${p.corrector} corrects ${p.corrected} of ${p.base}'s ${p.baseErrors} errors (${percent(p.potentialCorrectionRate, 2)}%)`
        : r.models[b]!.name;
    },
    rowTitle: 'base model',
    columnTitle: 'corrector',
  });
  return `<h2>Potential correction rate (%)</h2><p class="note">Share of the base model's errors that the corrector gets right: |F<sub>base</sub> ∩ T<sub>corrector</sub>| / |F<sub>base</sub>|.</p>${svg}`;
}

function virtualAccuracySection(r: AnalysisResult): string {
  const pair = pairLookup(r);
  const values = [...r.pairs.map((p) => p.virtualAccuracy), ...r.models.map((m) => m.accuracy)];
  const svg = heatmapSvg({
    labels: r.models.map((m) => m.name),
    value: (b, c) => (b === c ? r.models[b]!.accuracy : pair(b, c)?.virtualAccuracy),
    domain: [minOf(values), maxOf(values)],
    format: (v) => percent(v),
    tooltip: (b, c) => {
      const p = pair(b, c);
      return p
        ? `${p.base} ∪ ${p.corrector}: ${p.unionCorrect} of ${r.samples} right (${percent(p.virtualAccuracy, 2)}%)`
        : `${r.models[b]!.name} alone: ${percent(r.models[b]!.accuracy, 2)}%`;
    },
    rowTitle: 'base model',
    columnTitle: 'corrector',
  });
  return `<h2>Virtual accuracy of pairs (%)</h2><p class="note">Accuracy of an oracle that picks whichever model is right; the diagonal is each model alone.</p>${svg}`;
}

function triplesSection(r: AnalysisResult, max: number): string {
  if (r.triples.length === 0)
    return '<h2>Triples</h2><p class="note">No triples (fewer than three models, or triples were off).</p>';
  const sorted = r.triples
    .map((t, i) => ({ t, i }))
    .sort((a, b) => b.t.virtualAccuracy - a.t.virtualAccuracy || a.i - b.i)
    .slice(0, max);
  const top = sorted[0]!.t.virtualAccuracy;
  const rows = sorted.map(({ t }, rank) => [
    String(rank + 1),
    t.models.map(escapeHtml).join(' + '),
    String(t.unionCorrect),
    `${percent(t.virtualAccuracy, 2)}%`,
    `<span class="bar" style="width:${Math.round((t.virtualAccuracy / (top || 1)) * 160)}px"></span>`,
  ]);
  const note = r.triples.length > max ? `top ${max} of ${r.triples.length}` : `all ${r.triples.length}`;
  return `<h2>Triples by virtual accuracy</h2><p class="note">${note}</p>${table(['#', 'models', 'union correct', 'virtual accuracy', ''], rows, [true, false, true, true, false])}`;
}

function subsetsSection(r: AnalysisResult): string {
  if (r.subsets.length === 0) return '';
  const points = r.subsets.map((s) => ({ x: s.k, y: s.virtualAccuracy, label: `k=${s.k}: ${s.models.join(', ')}` }));
  const rows = r.subsets.map((s) => [
    String(s.k),
    s.models.map(escapeHtml).join(', '),
    `${percent(s.virtualAccuracy, 2)}%`,
    s.method,
  ]);
  const chart = lineChartSvg({ points, xTitle: 'subset size k', yTitle: 'virtual accuracy (%)' });
  return `<h2>Best subset of each size</h2>${chart}${table(['k', 'models', 'virtual accuracy', 'search'], rows, [true, false, true, false])}`;
}

function topClassesSection(r: AnalysisResult): string {
  const rows = r.models.map((m) => [
    escapeHtml(m.name),
    (r.topCorrectedClasses[m.name] ?? [])
      .map((c) => `${escapeHtml(c.name)} <span class="note">(#${c.class}, ${c.count})</span>`)
      .join(', '),
  ]);
  return `<h2>Top classes by corrected count</h2><p class="note">Per model, the classes where others most often get wrong what it gets right.</p>${table(['model', 'classes (id, corrected)'], rows, [false, false])}`;
}

function perClassSection(r: AnalysisResult): string {
  const byModel = new Map(
    r.models.map((m) => [
      m.name,
      { up: new Array<number>(r.numClasses).fill(0), down: new Array<number>(r.numClasses).fill(0) },
    ]),
  );
  let max = 0;
  for (const p of r.perClass) {
    const series = byModel.get(p.model);
    if (!series || p.classId < 0 || p.classId >= r.numClasses) continue;
    series.up[p.classId] = p.corrected;
    series.down[p.classId] = p.gotCorrected;
    max = Math.max(max, p.corrected, p.gotCorrected);
  }
  const charts = [...byModel].map(
    ([name, s]) =>
      `<h3>${escapeHtml(name)}</h3>${mirroredBarsSvg({ up: s.up, down: s.down, upLabel: 'corrected', downLabel: 'got corrected', max })}`,
  );
  return `<h2>Per class: corrected and got corrected</h2><p class="note">Classes by id on the x axis; ▲ how often the other models are wrong where this model is right, ▼ how often others are right where it is wrong (summed over the other models, same scale for every model).</p>${charts.join('')}`;
}

function diversitySection(r: AnalysisResult): string {
  if (r.diversity.length === 0) return '';
  const index = new Map<string, (typeof r.diversity)[number]>();
  for (const d of r.diversity) index.set(`${d.a}\u0000${d.b}`, d).set(`${d.b}\u0000${d.a}`, d);
  const at = (i: number, j: number) => index.get(`${r.models[i]!.name}\u0000${r.models[j]!.name}`);
  const values = r.diversity.map((d) => d.disagreement);
  const svg = heatmapSvg({
    labels: r.models.map((m) => m.name),
    value: (i, j) => at(i, j)?.disagreement,
    domain: [minOf(values), maxOf(values)],
    format: (v) => percent(v),
    tooltip: (i, j) => {
      const d = at(i, j);
      return d
        ? `${d.a} / ${d.b}: disagreement ${percent(d.disagreement, 2)}%, double fault ${percent(d.doubleFault, 2)}%, Q ${d.yulesQ.toFixed(3)}, κ ${d.cohensKappa.toFixed(3)}, McNemar p ${d.mcnemarP.toPrecision(3)}`
        : r.models[i]!.name;
    },
    rowTitle: 'model',
    columnTitle: 'model',
  });
  return `<h2>Diversity: disagreement (%)</h2><p class="note">Share of samples where exactly one of the two models is right; hover a cell for double fault, Yule's Q, Cohen's κ and McNemar's p.</p>${svg}`;
}

function ensemblesSection(r: AnalysisResult): string {
  if (r.ensembles.length === 0) return '';
  const rows = r.ensembles.map((e) => [
    escapeHtml(e.kind),
    e.models.map(escapeHtml).join(', '),
    String(e.correct),
    `${percent(e.accuracy, 2)}%`,
  ]);
  return `<h2>Ensembles</h2>${table(['kind', 'models', 'correct', 'accuracy'], rows, [false, false, true, true])}`;
}

/** Smallest value (and `floor`), in a loop: spreading n(n-1) pair values as arguments overflows the stack. */
function minOf(values: readonly number[], floor = Infinity): number {
  return values.reduce((a, b) => Math.min(a, b), floor);
}

/** Largest value (and `ceiling`), in a loop, for the same reason. */
function maxOf(values: readonly number[], ceiling = -Infinity): number {
  return values.reduce((a, b) => Math.max(a, b), ceiling);
}
