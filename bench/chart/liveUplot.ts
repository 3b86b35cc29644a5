/**
 * The anchor of the live benchmark: a typical live uPlot chart of the same watch — five series
 * (RSS, heap in use, Go total and GC goal on the left axis, VSZ on the right), legend and cursor
 * as uPlot ships them — fed the same samples at the same rate. Each tick appends a point, drops
 * what left the window, and calls setData with the whole window, as uPlot's streaming demos do.
 */
import uPlot from 'uplot';
import type { SeriesColumn } from '../../src/shared/series';
import type { LiveData } from './liveHarness';

const data = (window as unknown as { liveData: LiveData }).liveData;
const COLUMNS: SeriesColumn[] = ['rss', 'heapObjects', 'goTotal', 'gcGoal', 'vsz'];
const COLORS = ['#3794ff', '#4fc1ff', '#b180d7', '#89d185', '#d18616'];
let plot: uPlot | undefined;
let columns: number[][] = [];
let fill = data.fills[data.initialFill];
/** As many points as our graph keeps at most (clientSeries.ts MAX_POINTS). */
const MAX_POINTS = 20_000;
let timer: number | undefined;
let next = 0;
let redraws = 0;

/** The fill's history, the newest point now (seconds, as uPlot's time axis wants). */
function windowData(): number[][] {
  const snapshot = fill.snapshot;
  const shift = Date.now();
  const nullable = (v: number | null) => (v === null ? NaN : v);
  return [snapshot.time.map((t) => (t + shift) / 1000), ...COLUMNS.map((c) => snapshot.columns[c].map(nullable))];
}

function tick(): void {
  const values = data.rows[next++ % data.rows.length];
  const now = Date.now() / 1000;
  columns[0].push(now);
  COLUMNS.forEach((c, i) => columns[i + 1].push(values[c] ?? NaN));
  const cutoff = now - fill.windowMs / 1000;
  while (columns[0].length && (columns[0][0] < cutoff || columns[0].length > MAX_POINTS)) for (const column of columns) column.shift();
  plot!.setData(columns as uPlot.AlignedData);
}

(window as unknown as { liveBench: unknown }).liveBench = {
  /** Creates the plot at the given size (the size of our graph's canvas), filled with the first fill's history. */
  create(width: number, height: number) {
    columns = windowData();
    plot = new uPlot(
      {
        width,
        height,
        scales: { x: { time: true }, vsz: {} },
        axes: [{}, { values: (_u, ticks) => ticks.map((v) => `${(v / 2 ** 20).toFixed(0)} MiB`), size: 80 }, { scale: 'vsz', side: 1, grid: { show: false }, size: 80 }],
        series: [{}, ...COLUMNS.map((c, i) => ({ label: c, stroke: COLORS[i], width: 1.5, scale: c === 'vsz' ? 'vsz' : undefined, points: { show: false } }))],
        hooks: { draw: [() => void redraws++] },
      },
      columns as uPlot.AlignedData,
      document.getElementById('app')!,
    );
  },
  start(name: string) {
    fill = data.fills[name];
    columns = windowData();
    plot!.setData(columns as uPlot.AlignedData);
    timer = window.setInterval(tick, 1000 / fill.hz);
  },
  stop() {
    window.clearInterval(timer);
    timer = undefined;
  },
  counters: () => ({ redraws }),
};
