import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import sharp from 'sharp';
import { renderReport } from '../analysis/io/report.js';
import { escapeHtml } from '../analysis/io/report-svg.js';
import type { AnalysisResult } from '../analysis/types.js';
import { analyze } from '../analysis/analyze.js';
import { syntheticInput, tinyResult } from './analysis-io-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const SHOTS = join(tmpdir(), 'crossfix-report-shots');

/** Opens the page in headless Chromium; returns console errors, page errors, requests and a full-page PNG. */
async function renderInChromium(browser: Browser, html: string, name: string) {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.setContent(html, { waitUntil: 'load' });
  const png = await page.screenshot({ fullPage: true });
  const height = Number(await page.evaluate('document.documentElement.scrollHeight'));
  await page.close();
  await mkdir(SHOTS, { recursive: true });
  await writeFile(join(SHOTS, `${name}.png`), png);
  return { errors, requests, png, height };
}

/** Distinct colours (quantized to 4 bits a channel) and the share of non-white pixels. */
async function pixelStats(png: Buffer): Promise<{ colours: number; inked: number }> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const colours = new Set<number>();
  let inked = 0;
  for (let i = 0; i < data.length; i += info.channels) {
    colours.add(((data[i]! >> 4) << 8) | ((data[i + 1]! >> 4) << 4) | (data[i + 2]! >> 4));
    if (data[i]! < 240 || data[i + 1]! < 240 || data[i + 2]! < 240) inked++;
  }
  return { colours: colours.size, inked: inked / (info.width * info.height) };
}

async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `report test: ${CHROMIUM} is missing; install Debian's chromium package (apt-get install chromium)`,
    );
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

const cases: Array<[string, () => AnalysisResult]> = [
  ['three hand-built models', () => tinyResult],
  ['thirty engine-analyzed models over 100 classes', () => analyze(syntheticInput(30, 3000, 100))],
];

for (const [what, make] of cases) {
  test(`report.html for ${what} renders in Chromium without errors or requests and is not blank`, async (t) => {
    const browser = await launch();
    try {
      const result = make();
      const shot = await renderInChromium(browser, renderReport(result), what.replace(/\W+/g, '-'));
      t.deepEqual(shot.errors, []);
      t.deepEqual(
        shot.requests.filter((u) => !u.startsWith('about:') && !u.startsWith('data:')),
        [],
      );
      const stats = await pixelStats(shot.png);
      t.true(stats.colours > 40, `only ${stats.colours} distinct colours`);
      t.true(stats.inked > 0.05, `only ${(stats.inked * 100).toFixed(1)}% of pixels are not white`);
      t.true(shot.height > 1500);
    } finally {
      await browser.close();
    }
  });
}

test('renderReport escapes names and embeds nothing external', (t) => {
  const html = renderReport(tinyResult, { title: 'run <1> & "co"' });
  t.true(html.includes('<title>run &#60;1&#62; &#38; &#34;co&#34;</title>'));
  t.true(html.includes('eel &#60;&#38;&#62; &#34;x&#34;'));
  t.false(html.includes('eel <&>'));
  t.false(/<script|<link|@import|url\(|src=/.test(html));
  t.is(renderReport(tinyResult), renderReport(tinyResult));
});

test('renderReport lists the top 50 of many triples, best first', (t) => {
  const result = analyze(syntheticInput(10, 400, 5), { bootstrapResamples: 0 });
  const html = renderReport(result);
  const best = [...result.triples].sort((a, b) => b.virtualAccuracy - a.virtualAccuracy)[0]!;
  t.true(html.includes(`top 50 of ${result.triples.length}`));
  t.true(html.includes(`<td class="num">1</td><td>${best.models.map(escapeHtml).join(' + ')}</td>`));
});
