/**
 * Runs in headless Chromium: draws the graph (src/webview: the state, the chart model, the chart)
 * for fixed scenes — the same rows, markers and times whatever the build — so that two builds'
 * pictures can be compared pixel by pixel (bench/chartPixels.ts), and a picture drawn a little at a
 * time (samples arriving, the window scrolling) with one drawn at once.
 */
import { applyMessage, createState, GraphState } from '../../src/webview/state';
import { buildChartModel, GraphTheme } from '../../src/webview/chartModel';
import { TimeChart } from '../../src/webview/chart';
import { packSeries, SERIES_COLUMNS, SeriesColumn, SeriesEvent, SeriesSnapshot } from '../../src/shared/series';
import type { ToWebviewMessage, WatchSummary } from '../../src/shared/protocol';
import type { ZoomState } from '../../src/webview/zoom';

/** A row of the scene: its time and values (missing ones absent). */
export interface SceneRow {
  readonly time: number;
  readonly values: Partial<Record<SeriesColumn, number>>;
}

export interface Scene {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly dpr?: number;
  readonly compact?: boolean;
  readonly windowMs: number;
  readonly warningBytes?: number;
  /** Rows the host's state holds when the graph opens. */
  readonly history: readonly SceneRow[];
  readonly events: readonly SeriesEvent[];
  /** Rows that arrive afterwards, in `samples` batches of this many (drawn after each batch when `drawEach`). */
  readonly later?: readonly SceneRow[];
  readonly batch?: number;
  readonly drawEach?: boolean;
  readonly zoom?: ZoomState;
  readonly hoverX?: number;
  readonly comparison?: { readonly time: number[]; readonly rss: number[] };
  readonly theme: GraphTheme;
}

const summary: WatchSummary = {
  id: 'w',
  pid: 4242,
  name: 'svc',
  commandLine: '',
  state: 'running',
  paused: false,
  intervalMs: 100,
  goFigures: { state: 'found', text: '' },
};

function snapshot(rows: readonly SceneRow[], events: readonly SeriesEvent[]): SeriesSnapshot {
  const columns = {} as Record<SeriesColumn, number[]>;
  for (const c of SERIES_COLUMNS) columns[c] = rows.map((r) => r.values[c] ?? NaN);
  return { time: rows.map((r) => r.time), columns, events: [...events] };
}

function canvasFor(scene: Scene): HTMLCanvasElement {
  document.body.replaceChildren();
  document.body.style.margin = '0';
  const canvas = document.createElement('canvas');
  canvas.style.width = `${scene.width}px`;
  canvas.style.height = `${scene.height}px`;
  canvas.style.display = 'block';
  document.body.append(canvas);
  return canvas;
}

function stateOf(scene: Scene): GraphState {
  const state = createState();
  const message: ToWebviewMessage = { type: 'state', watches: [summary], currentId: 'w', series: packSeries(snapshot(scene.history, scene.events), { skipEmpty: true }), windowMs: scene.windowMs, warningBytes: scene.warningBytes ?? 0, busy: false };
  applyMessage(state, message);
  if (scene.comparison) {
    applyMessage(state, {
      type: 'compare',
      comparison: { nameA: 'A', nameB: 'B', alignedOn: 'at their start', time: Float64Array.from(scene.comparison.time), rss: Float64Array.from(scene.comparison.rss), rows: [], markdown: '' },
    });
  }
  if (scene.zoom) state.zoom = scene.zoom;
  return state;
}

/** The canvas's pixels as a data URL (PNG). */
function png(canvas: HTMLCanvasElement): string {
  return canvas.toDataURL('image/png');
}

/**
 * Draws the scene: the history at once, then (with `later`) each batch of rows as it arrives —
 * drawn after each batch when `drawEach`, else once at the end. Returns the final picture.
 */
function draw(scene: Scene, mode: 'once' | 'each' | 'each-then-repaint'): string {
  Object.defineProperty(window, 'devicePixelRatio', { configurable: true, get: () => scene.dpr ?? 1 });
  const canvas = canvasFor(scene);
  const state = stateOf(scene);
  const later = scene.later ?? [];
  const batch = scene.batch ?? 10;
  const feed = (i: number) => applyMessage(state, { type: 'samples', watchId: 'w', rows: later.slice(i, i + batch) });
  if (mode === 'once') for (let i = 0; i < later.length; i += batch) feed(i);
  const chart = new TimeChart(canvas);
  const render = (repaint = false) => {
    const model = buildChartModel(state, scene.theme, !!scene.compact);
    const hover = scene.hoverX !== undefined ? chart.hitTest(scene.hoverX) : undefined;
    (chart.render as (m: unknown, t: unknown, h?: number, o?: { repaint?: boolean }) => number)(model, scene.theme, hover?.x, { repaint });
  };
  render();
  // The hover needs a drawn chart to find its point.
  if (scene.hoverX !== undefined) render();
  if (mode !== 'once') {
    for (let i = 0; i < later.length; i += batch) {
      feed(i);
      render();
    }
    // The same picture drawn whole at the chart's present scroll position.
    if (mode === 'each-then-repaint') render(true);
  }
  const stats = (chart as unknown as { stats?: Record<string, number> }).stats;
  return `${png(canvas)}#${stats ? JSON.stringify(stats) : ''}`;
}

/**
 * Draws the scene as it arrives and, after each batch, the same state whole on a second chart at
 * the same scroll position: the number of pixels that differ after each batch.
 */
function steps(scene: Scene, dump = -1): (number | string)[] {
  Object.defineProperty(window, 'devicePixelRatio', { configurable: true, get: () => scene.dpr ?? 1 });
  const canvas = canvasFor(scene);
  const state = stateOf(scene);
  const later = scene.later ?? [];
  const batch = scene.batch ?? 10;
  const chart = new TimeChart(canvas);
  const render = (repaint: boolean) => {
    const model = buildChartModel(state, scene.theme, !!scene.compact);
    (chart.render as (m: unknown, t: unknown, h?: number, o?: { repaint?: boolean }) => number)(model, scene.theme, undefined, { repaint });
    const ctx = canvas.getContext('2d')!;
    return ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  };
  const out: (number | string)[] = [];
  render(false);
  for (let i = 0; i < later.length; i += batch) {
    applyMessage(state, { type: 'samples', watchId: 'w', rows: later.slice(i, i + batch) });
    const a = render(false);
    if (i / batch === dump) out.push(png(canvas));
    const b = render(true);
    if (i / batch === dump) out.push(png(canvas));
    let n = 0;
    for (let p = 0; p < a.length; p += 4) if (a[p] !== b[p] || a[p + 1] !== b[p + 1] || a[p + 2] !== b[p + 2]) n++;
    out.push(n);
  }
  return out;
}

(window as unknown as { pixels: unknown }).pixels = { draw, steps };
