/**
 * Our canvas chart against uPlot (the anchor: ~50 KB, fast), both redrawing the same 5 series in
 * headless Chromium (software canvas, as on these machines), interleaved in one run.
 */
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import * as path from 'path';
import { chromium } from 'playwright-core';
import { median, saveResult } from './benchUtil';

const ROOT = path.resolve(__dirname, '..', '..');

export function chromiumPath(): string {
  const candidates = [process.env.MEMORY_WATCH_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean) as string[];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new Error('Chromium not found: run scripts/install-tools.sh (or set MEMORY_WATCH_CHROMIUM)');
  return found;
}

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

export async function runChartBench(): Promise<string> {
  const bundle = await esbuild.build({
    entryPoints: [path.join(ROOT, 'bench', 'chart', 'page.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
  });
  const uplotCss = fs.readFileSync(path.join(ROOT, 'node_modules', 'uplot', 'dist', 'uPlot.min.css'), 'utf8');
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1300, height: 600 }, deviceScaleFactor: 1 });
    await page.setContent(`<!DOCTYPE html><html><head><style>${uplotCss} body{margin:0;background:#1e1e1e}</style></head><body></body></html>`);
    await page.addScriptTag({ content: bundle.outputFiles[0].text });
    const rows: { points: number; ours: number; uplot: number; full: number; live: number }[] = [];
    for (const points of [3000, 20_000]) {
      const ours: number[] = [];
      const uplot: number[] = [];
      const full: number[] = [];
      const live: number[] = [];
      const run = (kind: string, frames: number) =>
        page.evaluate(([k, p, f]) => (globalThis as unknown as { benchChart: (k: string, p: number, f: number) => Promise<number[]> }).benchChart(k, p, f), [kind, points, frames] as const);
      await run('ours', 10);
      await run('uplot', 10);
      for (let round = 0; round < 8; round++) {
        ours.push(...(await run('ours', 15)));
        uplot.push(...(await run('uplot', 15)));
        full.push(...(await run('ours-full', 15)));
        live.push(...(await run('ours-live', 15)));
      }
      rows.push({ points, ours: median(ours), uplot: median(uplot), full: median(full), live: median(live) });
    }
    const version = (await browser.version()).split(' ')[0];
    const uplotVersion = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'uplot', 'package.json'), 'utf8')).version;
    const machine = saveResult('chart', { unit: 'ms per full redraw (median of 120 frames)', chromium: version, uplot: uplotVersion, rows });
    return [
      '## Full redraw of the graph, 5 series (headless Chromium, software canvas)',
      '',
      `Machine: ${machine}; Chromium ${version}, uPlot ${uplotVersion}. 1200×400 px canvas, DPR 1, frames interleaved in rounds.`,
      'Each frame: recompute scales and paths, draw everything (ours: nothing kept from the frame before, as after a zoom, a resize or a new scale), then force rasterisation (1-pixel getImageData).',
      '',
      '| points per series | ours (ms) | uPlot (ms) | ours ÷ uPlot | ours, the full memory graph (ms) | the full memory graph, live: 1 s more samples (ms) |',
      '|---:|---:|---:|---:|---:|---:|',
      ...rows.map((r) => `| ${r.points.toLocaleString('en')} | ${r.ours.toFixed(2)} | ${r.uplot.toFixed(2)} | ${(r.ours / r.uplot).toFixed(2)} | ${r.full.toFixed(2)} | ${r.live.toFixed(2)} |`),
      '',
      'The full memory graph: as Memory Watch draws it with Go figures — six stacked layers, RSS, VSZ and the GC goal, GC ticks. Live: the same window full, redrawn as the graph does once a second, with a 300th more points (a second of a 5-minute window), the range following the newest: the picture scrolls, only the new columns are drawn.',
      '',
      `Goal ≤ 1.0× uPlot at 20k points: ${rows[1].ours <= rows[1].uplot ? 'met' : 'NOT met'}.`,
    ].join('\n');
  } finally {
    await browser.close();
  }
}
