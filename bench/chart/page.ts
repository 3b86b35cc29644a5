/**
 * Runs in headless Chromium: draws the same 5 series with our TimeChart and with uPlot, on equal
 * canvases, and times full redraws. Each frame's time includes rasterisation: a 1-pixel
 * getImageData after the draw forces the canvas to flush its recorded commands.
 */
import uPlot from 'uplot';
import { TimeChart, ChartModel, ChartTheme } from '../../src/webview/chart';

const WIDTH = 1200;
const HEIGHT = 400;
const SERIES = 5;
const COLORS = ['#3794ff', '#d18616', '#89d185', '#b180d7', '#f14c4c'];
const theme: ChartTheme = { foreground: '#ccc', muted: '#999', grid: 'rgba(128,128,128,0.3)', background: '#1e1e1e', font: '12px sans-serif' };

/** A memory-like walk: slow growth, spikes and drops. Deterministic (seeded) so runs compare. */
function makeData(points: number): { time: Float64Array; values: Float64Array[] } {
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const time = new Float64Array(points);
  const t0 = Date.UTC(2026, 10, 27, 12, 0, 0);
  for (let i = 0; i < points; i++) time[i] = t0 + i * 15; // 20k points ≈ 5 min at 15 ms
  const values = Array.from({ length: SERIES }, (_, s) => {
    const v = new Float64Array(points);
    let x = 50e6 * (s + 1);
    for (let i = 0; i < points; i++) {
      x += (rand() - 0.49) * 2e6;
      if (rand() < 0.001) x *= 0.4;
      v[i] = Math.max(1e6, x);
    }
    return v;
  });
  return { time, values };
}

function flush(canvas: HTMLCanvasElement): void {
  canvas.getContext('2d')!.getImageData(0, 0, 1, 1);
}

function host(): HTMLDivElement {
  document.body.replaceChildren();
  const div = document.createElement('div');
  div.style.width = `${WIDTH}px`;
  div.style.height = `${HEIGHT}px`;
  div.style.position = 'relative';
  document.body.appendChild(div);
  return div;
}

/** A canvas filling a fresh host element. */
function freshCanvas(): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.style.width = '100%';
  canvas.style.height = '100%';
  canvas.style.display = 'block';
  host().appendChild(canvas);
  return canvas;
}

/** Times `frames` full redraws of `model`, each flushed to pixels. */
async function timeRedraws(canvas: HTMLCanvasElement, model: ChartModel, frames: number): Promise<number[]> {
  const chart = new TimeChart(canvas);
  const out: number[] = [];
  for (let f = 0; f < frames; f++) {
    // A whole redraw: nothing kept from the last one (as after a zoom, a resize, a new scale).
    chart.invalidate();
    const start = performance.now();
    chart.render(model, theme);
    await Promise.resolve();
    flush(canvas);
    out.push(performance.now() - start);
  }
  return out;
}

async function oursFrames(points: number, frames: number): Promise<number[]> {
  const canvas = freshCanvas();
  const { time, values } = makeData(points);
  const model: ChartModel = {
    time,
    count: points,
    series: values.map((v, i) => ({ name: `s${i}`, values: v, color: COLORS[i], axis: 0, width: 1.5 })),
    markers: [],
    thresholds: [],
    xMin: time[0],
    xMax: time[points - 1],
    axisTitles: ['', ''],
  };
  return timeRedraws(canvas, model, frames);
}

/** The graph as Memory Watch draws it with Go figures: six stacked layers, three lines, GC ticks. */
function fullModel(time: Float64Array, values: Float64Array[], points: number): ChartModel {
  const rss = values[4];
  const layers = Array.from({ length: 7 }, () => new Float64Array(points));
  for (let i = 0; i < points; i++) {
    // Six layers splitting RSS in fixed shares: the shape of the real thing, deterministic.
    const shares = [0.45, 0.25, 0.02, 0.08, 0.05, 0.1];
    let base = 0;
    layers[0][i] = 0;
    shares.forEach((share, k) => {
      base += rss[i] * share;
      layers[k + 1][i] = base;
    });
  }
  return {
    time,
    count: points,
    series: [
      { name: 'VSZ', values: values[3], color: COLORS[1], axis: 1, width: 1.5 },
      { name: 'RSS', values: rss, color: COLORS[0], axis: 0, width: 2 },
      { name: 'GC goal', values: values[2], color: COLORS[2], axis: 0, width: 1, dash: [4, 3] },
    ],
    bands: Array.from({ length: 6 }, (_, k) => ({ name: `layer ${k}`, lower: layers[k], upper: layers[k + 1], color: COLORS[k % COLORS.length] })),
    ticks: Array.from({ length: 200 }, (_, k) => time[Math.floor((k * points) / 200)]),
    markers: [],
    thresholds: [],
    xMin: time[0],
    xMax: time[points - 1],
    axisTitles: ['', ''],
  };
}

async function oursFullFrames(points: number, frames: number): Promise<number[]> {
  const canvas = freshCanvas();
  const { time, values } = makeData(points);
  return timeRedraws(canvas, fullModel(time, values, points), frames);
}

/**
 * The full memory graph as a live window redraws it: the window full, then per frame one more
 * second of samples (a 300th of the points: 5-minute windows), the range following the newest —
 * what the graph does once a second. Flushed to pixels like the others.
 */
async function oursLiveFrames(points: number, frames: number): Promise<number[]> {
  const canvas = freshCanvas();
  const perFrame = Math.max(1, Math.round(points / 300));
  const total = points + perFrame * (frames + 1);
  const { time, values } = makeData(total);
  const model = fullModel(time, values, total);
  const span = time[points - 1] - time[0];
  const chart = new TimeChart(canvas);
  const at = (count: number): ChartModel => ({ ...model, count, xMin: time[count - 1] - span, xMax: time[count - 1], seriesId: 1, follow: true });
  chart.render(at(points), theme);
  const out: number[] = [];
  for (let f = 1; f <= frames; f++) {
    const start = performance.now();
    chart.render(at(points + f * perFrame), theme);
    await Promise.resolve();
    flush(canvas);
    out.push(performance.now() - start);
  }
  return out;
}

async function uplotFrames(points: number, frames: number): Promise<number[]> {
  const div = host();
  const { time, values } = makeData(points);
  const data: uPlot.AlignedData = [Array.from(time, (t) => t / 1000), ...values.map((v) => Array.from(v))];
  const plot = new uPlot(
    {
      width: WIDTH,
      height: HEIGHT,
      legend: { show: false },
      cursor: { show: false },
      series: [{}, ...values.map((_, i) => ({ stroke: COLORS[i], width: 1.5, points: { show: false } }))],
    },
    data,
    div,
  );
  const canvas = div.querySelector('canvas')!;
  const out: number[] = [];
  for (let f = 0; f < frames; f++) {
    const start = performance.now();
    // A full redraw on new data, as a live graph does per sample: setData recomputes scales and
    // paths (redraw(true, true) with unchanged scales reuses cached paths, which would not be a
    // full redraw). batch() runs uPlot's commit now instead of in a microtask, inside the timed span.
    plot.batch(() => plot.setData(data));
    await Promise.resolve();
    flush(canvas);
    out.push(performance.now() - start);
  }
  plot.destroy();
  return out;
}

(window as unknown as { benchChart: unknown }).benchChart = async (kind: 'ours' | 'ours-full' | 'ours-live' | 'uplot', points: number, frames: number) =>
  kind === 'ours' ? oursFrames(points, frames) : kind === 'ours-full' ? oursFullFrames(points, frames) : kind === 'ours-live' ? oursLiveFrames(points, frames) : uplotFrames(points, frames);
