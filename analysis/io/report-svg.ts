/**
 * Inline-SVG building blocks of report.html: escaping, a colour scale, an annotated heatmap, a
 * mirrored bar chart and a line chart. Pure module: every function returns markup.
 */

/** Escapes text for HTML and SVG text and attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Formats a fraction as a percentage with `digits` decimals. */
export function percent(fraction: number, digits = 1): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(digits)}` : '–';
}

/** Shortens a label to `max` characters with an ellipsis. */
export function shorten(label: string, max = 28): string {
  return label.length <= max ? label : `${label.slice(0, max - 1)}…`;
}

const STOPS: Array<[number, number, number]> = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

/** Colour of t ∈ [0, 1] on a viridis-like scale, as `rgb(r,g,b)`; also whether dark text reads on it. */
export function colourOf(t: number): { fill: string; darkText: boolean } {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const a = STOPS[i]!;
  const b = STOPS[i + 1]!;
  const rgb = a.map((v, c) => Math.round(v + (b[c]! - v) * (x - i)));
  const luminance = (0.299 * rgb[0]! + 0.587 * rgb[1]! + 0.114 * rgb[2]!) / 255;
  return { fill: `rgb(${rgb.join(',')})`, darkText: luminance > 0.55 };
}

/** Input of `heatmapSvg`: a square matrix over `labels` (rows and columns). */
export interface HeatmapSpec {
  labels: string[];
  /** Value of cell (row, column); undefined draws an empty grey cell. */
  value(row: number, column: number): number | undefined;
  /** Values mapped to the ends of the colour scale. */
  domain: [number, number];
  format(value: number): string;
  /** Tooltip of a cell (plain text, escaped here). */
  tooltip(row: number, column: number): string;
  rowTitle: string;
  columnTitle: string;
}

/** Annotated heatmap; cell and font sizes scale down as the number of labels grows. */
export function heatmapSvg(spec: HeatmapSpec): string {
  const n = spec.labels.length;
  const cell = Math.max(18, Math.min(60, Math.floor(760 / Math.max(1, n))));
  const font = Math.max(7, Math.min(13, Math.round(cell * 0.3)));
  const names = spec.labels.map((l) => shorten(l, 24));
  const left = Math.min(190, 24 + Math.max(...names.map((l) => l.length)) * 6.4);
  const top = Math.min(150, 24 + Math.max(...names.map((l) => l.length)) * 4.6);
  const size = n * cell;
  const parts: string[] = [];
  for (let r = 0; r < n; r++)
    for (let c = 0; c < n; c++) parts.push(heatmapCell(spec, r, c, left + c * cell, top + r * cell, cell, font));
  names.forEach((name, i) =>
    parts.push(
      rowLabel(name, spec.labels[i]!, left - 6, top + i * cell + cell / 2),
      columnLabel(name, spec.labels[i]!, left + i * cell + cell / 2, top - 6),
    ),
  );
  parts.push(
    `<text x="4" y="${top + size + 20}" class="axis">rows: ${escapeHtml(spec.rowTitle)} · columns: ${escapeHtml(spec.columnTitle)}</text>`,
  );
  parts.push(legend(spec, 4, top + size + 30));
  const width = Math.max(left + size + top, 280);
  const height = top + size + 46;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">${parts.join('')}</svg>`;
}

function heatmapCell(
  spec: HeatmapSpec,
  r: number,
  c: number,
  x: number,
  y: number,
  cell: number,
  font: number,
): string {
  const v = spec.value(r, c);
  const tip = `<title>${escapeHtml(spec.tooltip(r, c))}</title>`;
  if (v === undefined)
    return `<g><rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="#e6e6e6" stroke="#fff"/>${tip}</g>`;
  const [lo, hi] = spec.domain;
  const { fill, darkText } = colourOf(hi > lo ? (v - lo) / (hi - lo) : 1);
  const label = `<text x="${x + cell / 2}" y="${y + cell / 2}" font-size="${font}" fill="${darkText ? '#111' : '#fff'}" text-anchor="middle" dominant-baseline="central">${escapeHtml(spec.format(v))}</text>`;
  return `<g><rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}" stroke="#fff"/>${label}${tip}</g>`;
}

/** Ten swatches from the low to the high end of the domain, starting at (x, y). */
function legend(spec: HeatmapSpec, x: number, y: number): string {
  const [lo, hi] = spec.domain;
  const swatches = Array.from(
    { length: 10 },
    (_, i) => `<rect x="${x + 70 + i * 12}" y="${y}" width="12" height="10" fill="${colourOf(i / 9).fill}"/>`,
  );
  const ends = `<text x="${x + 64}" y="${y + 9}" text-anchor="end" class="axis">${escapeHtml(spec.format(lo))}</text><text x="${x + 196}" y="${y + 9}" class="axis">${escapeHtml(spec.format(hi))}</text>`;
  return `<text x="${x}" y="${y + 9}" class="axis">scale</text>${swatches.join('')}${ends}`;
}

function rowLabel(short: string, full: string, x: number, y: number): string {
  return `<text x="${x}" y="${y}" text-anchor="end" dominant-baseline="central" class="label">${escapeHtml(short)}<title>${escapeHtml(full)}</title></text>`;
}

function columnLabel(short: string, full: string, x: number, y: number): string {
  return `<text transform="translate(${x},${y}) rotate(-45)" class="label">${escapeHtml(short)}<title>${escapeHtml(full)}</title></text>`;
}

/** Input of `mirroredBarsSvg`: two non-negative series over the same categories. */
export interface MirroredBarsSpec {
  up: number[];
  down: number[];
  upLabel: string;
  downLabel: string;
  /** Largest value on either side, shared across charts so they compare. */
  max: number;
  width?: number;
}

/** Bars above the axis for `up`, below for `down`; one SVG path per series keeps 1000 classes light. */
export function mirroredBarsSvg(spec: MirroredBarsSpec): string {
  const width = spec.width ?? 760;
  const half = 60;
  const n = Math.max(1, spec.up.length);
  const step = width / n;
  const bar = Math.max(0.6, step * 0.8);
  const scale = spec.max > 0 ? half / spec.max : 0;
  const path = (values: number[], sign: number) =>
    values
      .map((v, i) =>
        v > 0
          ? `M${(i * step).toFixed(2)} ${half + 14}v${(sign * v * scale).toFixed(2)}h${bar.toFixed(2)}v${(-sign * v * scale).toFixed(2)}z`
          : '',
      )
      .join('');
  const height = 2 * half + 28;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">` +
    `<path d="${path(spec.up, -1)}" fill="#2a7f62"/><path d="${path(spec.down, 1)}" fill="#c0504d"/>` +
    `<line x1="0" x2="${width}" y1="${half + 14}" y2="${half + 14}" stroke="#888"/>` +
    `<text x="2" y="10" class="axis">▲ ${escapeHtml(spec.upLabel)} (max ${spec.max})</text>` +
    `<text x="2" y="${height - 2}" class="axis">▼ ${escapeHtml(spec.downLabel)}</text></svg>`
  );
}

/** Input of `lineChartSvg`: points (x, y) with y a fraction, each with a label. */
export interface LineChartSpec {
  points: Array<{ x: number; y: number; label: string }>;
  xTitle: string;
  yTitle: string;
}

/** A line chart with labelled points and a y axis in percent fitted to the data. */
export function lineChartSvg(spec: LineChartSpec): string {
  const width = 760;
  const height = 300;
  const pad = { left: 76, right: 24, top: 24, bottom: 44 };
  const ys = spec.points.map((p) => p.y);
  const lo = Math.max(0, Math.min(...ys) - 0.01);
  const hi = Math.min(1, Math.max(...ys) + 0.01);
  const xMax = Math.max(2, ...spec.points.map((p) => p.x));
  const px = (x: number) => pad.left + ((x - 1) / (xMax - 1)) * (width - pad.left - pad.right);
  const py = (y: number) => pad.top + (hi > lo ? (hi - y) / (hi - lo) : 0.5) * (height - pad.top - pad.bottom);
  const line = spec.points.map((p, i) => `${i ? 'L' : 'M'}${px(p.x).toFixed(1)} ${py(p.y).toFixed(1)}`).join('');
  const dots = spec.points.map(
    (p) =>
      `<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="4" fill="#3b528b"><title>${escapeHtml(p.label)}</title></circle><text x="${px(p.x).toFixed(1)}" y="${(py(p.y) - 9).toFixed(1)}" text-anchor="middle" class="axis">${percent(p.y, 2)}</text>`,
  );
  const ticks = [lo, (lo + hi) / 2, hi].map(
    (t) =>
      `<text x="${pad.left - 6}" y="${py(t).toFixed(1)}" text-anchor="end" dominant-baseline="central" class="axis">${percent(t)}%</text>`,
  );
  const xTicks = spec.points.map(
    (p) =>
      `<text x="${px(p.x).toFixed(1)}" y="${height - pad.bottom + 16}" text-anchor="middle" class="axis">${p.x}</text>`,
  );
  const axes = `<path d="M${pad.left} ${pad.top}V${height - pad.bottom}H${width - pad.right}" fill="none" stroke="#888"/>`;
  const titles = `<text x="${width / 2}" y="${height - 6}" text-anchor="middle" class="axis">${escapeHtml(spec.xTitle)}</text><text transform="translate(14,${height / 2}) rotate(-90)" text-anchor="middle" class="axis">${escapeHtml(spec.yTitle)}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">${axes}${ticks.join('')}${xTicks.join('')}<path d="${line}" fill="none" stroke="#3b528b" stroke-width="2"/>${dots.join('')}${titles}</svg>`;
}
