/**
 * The graph's pictures, compared pixel by pixel (not a speed benchmark; run alone, not by
 * `npm run bench`): fixed scenes — a full 5-minute window with the Go layers, GC ticks, peaks
 * between samples, markers and a pause band, in a dark, a light and a high-contrast palette;
 * hovered; zoomed; the compact layout; OS figures only; a container with goroutines; another run
 * compared; a window still filling; 20,000 samples — each drawn
 *  - by this checkout at once, and by a baseline commit (MEMORY_WATCH_BASELINE, default main) at
 *    once: the same picture is the same pixels;
 *  - by this checkout as it arrives (a batch of samples a second, drawn after each: the picture
 *    scrolled and topped up), against the same state drawn whole at the same scroll position.
 * Writes every picture and a diff image (changed pixels in magenta) to test-output/chart-pixels/
 * and prints, per pair, how many pixels differ and by how much.
 *
 *   node out/bench/chartPixels.js
 *   node out/bench/chartPixels.js --steps full-dark   (per batch: pixels that differ as it came vs whole)
 */
import { execFileSync } from 'child_process';
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chromium, Page } from 'playwright-core';
import { parseRecording, toSeriesSnapshot } from '../src/core/recording';
import { SERIES_COLUMNS, SeriesColumn, SeriesEvent } from '../src/shared/series';
import type { GraphTheme } from '../src/webview/chartModel';
import type { Scene, SceneRow } from './chart/pixels';
import { CHROMIUM_ARGS, chromiumPath } from './chart.bench';

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.join(ROOT, 'test-output', 'chart-pixels');
const MiB = 1024 * 1024;

/** VS Code's palettes (Dark Modern, Light Modern, High Contrast) as the webview reads them. */
const THEMES: Record<string, GraphTheme> = {
  dark: palette('#cccccc', '#9d9d9d', 'rgba(204,204,204,0.5)', '#1f1f1f', ['#3794ff', '#d18616', '#89d185', '#b180d7', '#f14c4c', '#cca700']),
  light: palette('#3b3b3b', '#717171', 'rgba(59,59,59,0.5)', '#ffffff', ['#1a85ff', '#d18616', '#388a34', '#652d90', '#e51400', '#bf8803']),
  'high-contrast': palette('#ffffff', '#ffffff', '#ffffff', '#000000', ['#3794ff', '#d18616', '#89d185', '#b180d7', '#f14c4c', '#cca700']),
};

function palette(foreground: string, muted: string, grid: string, background: string, c: string[]): GraphTheme {
  const [blue, orange, green, purple, red, yellow] = c;
  return {
    foreground,
    muted,
    grid,
    background,
    font: '13px system-ui, sans-serif',
    rss: blue,
    vsz: orange,
    release: green,
    attach: purple,
    exit: red,
    warning: yellow,
    container: purple,
    layers: { heapInUse: blue, freeHeld: yellow, stacks: purple, otherRuntime: muted, lazyFree: orange, outsideGo: red },
  };
}

/** Rows of a real recorded Go program (default-gc), round and round, every `intervalMs` from `t0`. */
function rows(count: number, t0: number, intervalMs: number, extra: (i: number) => Partial<Record<SeriesColumn, number>> = () => ({})): SceneRow[] {
  const parsed = parseRecording(fs.readFileSync(path.join(ROOT, 'test', 'unit', 'recorded', 'recordings', 'default-gc.memwatch.json'), 'utf8'));
  if (!parsed.ok) throw new Error(parsed.message);
  const rec = toSeriesSnapshot(parsed.recording);
  return Array.from({ length: count }, (_, i) => {
    const k = i % rec.time.length;
    const values: Partial<Record<SeriesColumn, number>> = {};
    for (const c of SERIES_COLUMNS) if (!Number.isNaN(rec.columns[c][k])) values[c] = rec.columns[c][k];
    // A slow rise under the GC's sawtooth, so that the picture is not a repeat of itself.
    if (values.rss !== undefined) values.rss += Math.floor(i / 50) * 0.05 * MiB;
    return { time: t0 + i * intervalMs, values: { ...values, memoryLimit: 96 * MiB, ...extra(i) } };
  });
}

function osOnly(list: SceneRow[]): SceneRow[] {
  return list.map((r) => ({ time: r.time, values: { rss: r.values.rss, vsz: r.values.vsz } }));
}

const T0 = Date.UTC(2026, 10, 30, 14, 0, 0);

export function scenes(): Scene[] {
  const history = rows(3000, T0, 100);
  const later = rows(3300, T0, 100).slice(3000);
  const events: SeriesEvent[] = [
    { id: 1, time: T0, kind: 'attach', label: 'attached' },
    { id: 2, time: T0 + 120_000, kind: 'release', label: 'released 12 MiB' },
    { id: 3, time: T0 + 160_000, endTime: T0 + 190_000, kind: 'pause', label: 'paused', band: true },
    { id: 4, time: T0 + 280_000, kind: 'note', label: 'deploy' },
  ];
  const base = { width: 1100, height: 460, windowMs: 300_000, warningBytes: 80 * MiB, history, events };
  const out: Scene[] = [];
  for (const [name, theme] of Object.entries(THEMES)) {
    out.push({ ...base, name: `full-${name}`, theme, later, batch: 10 });
  }
  const theme = THEMES.dark;
  out.push({ ...base, name: 'hover', theme, hoverX: 700, later, batch: 10 });
  out.push({ ...base, name: 'zoom-fixed', theme, zoom: { mode: 'fixed', xMin: T0 + 200_000, xMax: T0 + 215_000 } });
  out.push({ ...base, name: 'zoom-follow', theme, zoom: { mode: 'follow', spanMs: 20_000 }, later, batch: 10 });
  out.push({ ...base, name: 'compact', theme, width: 380, height: 200, compact: true, later, batch: 10 });
  out.push({ ...base, name: 'os-only', theme, history: osOnly(history), later: osOnly(later), batch: 10 });
  const container = (i: number) => ({ cgroupUsage: 70 * MiB + (i % 40) * 0.2 * MiB, cgroupWorkingSet: 55 * MiB + (i % 30) * 0.1 * MiB, cgroupLimit: 128 * MiB, goroutines: i % 10 === 0 ? 40 + (i % 7) : NaN });
  out.push({ ...base, name: 'container', theme, history: rows(3000, T0, 100, container), later: rows(3300, T0, 100, container).slice(3000), batch: 10 });
  out.push({ ...base, name: 'compare', theme, comparison: { time: history.map((r) => r.time + 5000), rss: history.map((r, i) => (r.values.rss ?? 0) * 0.8 + (i % 17) * 0.1 * MiB) }, later, batch: 10 });
  out.push({ ...base, name: 'filling', theme, history: rows(1500, T0, 100), later: rows(1600, T0, 100).slice(1500), batch: 10 });
  out.push({ ...base, name: 'first-seconds', theme, history: rows(150, T0, 100), later: rows(250, T0, 100).slice(150), batch: 10 });
  // A 30 s window: 33 px a second, the layer's ring wraps round.
  out.push({ ...base, name: 'window-30s', theme, windowMs: 30_000, history: rows(300, T0, 100), later: rows(900, T0, 100).slice(300), batch: 10 });
  out.push({ ...base, name: 'pause-open', theme, events: [...events.slice(0, 2), { id: 3, time: T0 + 250_000, kind: 'pause', label: 'paused', band: true }], later, batch: 10 });
  const big = rows(20_000, T0, 100);
  out.push({ ...base, name: 'max-window', theme, windowMs: 86_400_000, history: big, later: rows(20_300, T0, 100).slice(20_000), batch: 10 });
  return out;
}

async function bundle(entry: string, nodePaths: string[] = []): Promise<string> {
  const result = await esbuild.build({ entryPoints: [entry], bundle: true, write: false, format: 'iife', platform: 'browser', target: 'es2020', nodePaths });
  return result.outputFiles[0].text;
}

/** The baseline's page: its src/ (git archive) with this checkout's scene code. */
async function baselineBundle(ref: string): Promise<{ script: string; commit: string }> {
  const commit = execFileSync('git', ['rev-parse', '--short', ref], { cwd: ROOT, encoding: 'utf8' }).trim();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-pixels-base-'));
  try {
    execFileSync('sh', ['-c', `git archive ${JSON.stringify(commit)} src | tar -x -C ${JSON.stringify(dir)}`], { cwd: ROOT });
    fs.mkdirSync(path.join(dir, 'bench', 'chart'), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'bench', 'chart', 'pixels.ts'), path.join(dir, 'bench', 'chart', 'pixels.ts'));
    return { script: await bundle(path.join(dir, 'bench', 'chart', 'pixels.ts'), [path.join(ROOT, 'node_modules')]), commit };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function drawWith(page: Page, script: string, scene: Scene, mode: 'once' | 'each' | 'each-then-repaint'): Promise<string> {
  await page.setContent('<!DOCTYPE html><html><body></body></html>');
  await page.setViewportSize({ width: scene.width + 20, height: scene.height + 20 });
  await page.addScriptTag({ content: script });
  return page.evaluate(([s, m]) => (window as unknown as { pixels: { draw(s: unknown, m: string): string } }).pixels.draw(s, m), [scene, mode] as const);
}

/** Pixels that differ between two PNGs (data URLs), the largest channel difference, and a diff image. */
async function compare(page: Page, a0: string, b0: string): Promise<{ differing: number; total: number; maxDelta: number; diff: string }> {
  const a = a0.split('#')[0];
  const b = b0.split('#')[0];
  await page.setContent('<!DOCTYPE html><html><body></body></html>');
  return page.evaluate(async ([x, y]) => {
    const load = (src: string) =>
      new Promise<HTMLImageElement>((resolve, reject) => {
        const img = new Image();
        img.onload = () => resolve(img);
        img.onerror = reject;
        img.src = src;
      });
    const [ia, ib] = await Promise.all([load(x), load(y)]);
    const w = Math.max(ia.width, ib.width);
    const h = Math.max(ia.height, ib.height);
    const pixels = (img: HTMLImageElement) => {
      const c = document.createElement('canvas');
      c.width = w;
      c.height = h;
      const ctx = c.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      return ctx.getImageData(0, 0, w, h);
    };
    const pa = pixels(ia);
    const pb = pixels(ib);
    const out = document.createElement('canvas');
    out.width = w;
    out.height = h;
    const octx = out.getContext('2d')!;
    const od = octx.createImageData(w, h);
    let differing = 0;
    let maxDelta = 0;
    for (let i = 0; i < pa.data.length; i += 4) {
      const d = Math.max(Math.abs(pa.data[i] - pb.data[i]), Math.abs(pa.data[i + 1] - pb.data[i + 1]), Math.abs(pa.data[i + 2] - pb.data[i + 2]));
      const grey = (pa.data[i] + pa.data[i + 1] + pa.data[i + 2]) / 12;
      if (d > 0) {
        differing++;
        if (d > maxDelta) maxDelta = d;
        od.data.set([255, 0, 255, 255], i);
      } else od.data.set([grey, grey, grey, 255], i);
    }
    octx.putImageData(od, 0, 0);
    return { differing, total: w * h, maxDelta, diff: out.toDataURL('image/png') };
  }, [a, b] as const);
}

function save(name: string, dataUrl: string): void {
  dataUrl = dataUrl.split('#')[0];
  fs.writeFileSync(path.join(OUT, `${name}.png`), Buffer.from(dataUrl.split(',')[1], 'base64'));
}

/** Per batch of a scene, the pixels that differ between the picture drawn as it came and drawn whole. */
async function steps(name: string): Promise<void> {
  const scene = scenes().find((s) => s.name === name);
  if (!scene) throw new Error(`no scene ${name}; scenes: ${scenes().map((s) => s.name).join(', ')}`);
  const ours = await bundle(path.join(ROOT, 'bench', 'chart', 'pixels.ts'));
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: scene.width + 20, height: scene.height + 20 } });
    await page.setContent('<!DOCTYPE html><html><body></body></html>');
    await page.addScriptTag({ content: ours });
    const dump = process.argv.includes('--dump') ? Number(process.argv[process.argv.indexOf('--dump') + 1]) : -1;
    const out = await page.evaluate(([s, d]) => (window as unknown as { pixels: { steps(s: unknown, d: number): (number | string)[] } }).pixels.steps(s, d), [scene, dump] as const);
    const pictures = out.filter((x): x is string => typeof x === 'string');
    console.log(`${name}: pixels differing after each batch: ${out.filter((x) => typeof x === 'number').join(' ')}`);
    if (pictures.length) {
      fs.mkdirSync(OUT, { recursive: true });
      save(`${name}-step${dump}-as-it-came`, pictures[0]);
      save(`${name}-step${dump}-whole`, pictures[1]);
      const diff = await compare(page, pictures[0], pictures[1]);
      save(`${name}-step${dump}-diff`, diff.diff);
    }
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--steps');
  if (at >= 0) return steps(process.argv[at + 1]);
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  const ours = await bundle(path.join(ROOT, 'bench', 'chart', 'pixels.ts'));
  const base = await baselineBundle(process.env.MEMORY_WATCH_BASELINE ?? 'main');
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
  const page = await browser.newPage();
  const lines: string[] = [];
  try {
    for (const scene of scenes().filter((s) => !process.env.MW_PIXELS_ONLY || s.name === process.env.MW_PIXELS_ONLY)) {
      const once = await drawWith(page, ours, scene, 'once');
      const baseline = await drawWith(page, base.script, scene, 'once');
      save(`${scene.name}-ours`, once);
      save(`${scene.name}-baseline-${base.commit}`, baseline);
      const vsBase = await compare(page, once, baseline);
      save(`${scene.name}-diff-baseline`, vsBase.diff);
      let line = `${scene.name}: ours vs ${base.commit}, drawn at once: ${vsBase.differing} of ${vsBase.total} px differ (max Δ ${vsBase.maxDelta})`;
      if (scene.later?.length) {
        const each = await drawWith(page, ours, scene, 'each-then-repaint');
        const scrolled = await drawWith(page, ours, scene, 'each');
        save(`${scene.name}-ours-as-it-came`, scrolled);
        save(`${scene.name}-ours-repainted`, each);
        const vsWhole = await compare(page, scrolled, each);
        save(`${scene.name}-diff-as-it-came`, vsWhole.diff);
        line += `; drawn as it came vs whole at the same position: ${vsWhole.differing} px differ (max Δ ${vsWhole.maxDelta}) [redraws ${scrolled.split('#')[1]}]`;
      }
      lines.push(line);
      console.log(line);
    }
  } finally {
    await browser.close();
  }
  fs.writeFileSync(path.join(OUT, 'summary.txt'), `${lines.join('\n')}\n`);
  console.log(`pictures in ${OUT}`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
