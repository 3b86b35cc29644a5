/**
 * The graph webview. It keeps a copy of the current watch's series (sent by the host), draws it,
 * and sends back only user intents. It polls nothing: every change arrives as a message.
 */
import { formatBytes, formatDuration } from '../core/format';
import type { SeriesEvent } from '../core/series';
import type { FromWebviewMessage, ToWebviewMessage, WatchSummary, WebviewPersistedState } from '../protocol';
import { ChartMarker, ChartModel, ChartTheme, TimeChart } from './chart';
import { opaque } from './colors';
import { clockLabel } from './scale';

interface VsCodeApi {
  postMessage(message: FromWebviewMessage): void;
  setState(state: WebviewPersistedState): void;
  getState(): WebviewPersistedState | undefined;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const MIN_SPAN_MS = 30_000;
/** Same bound as the host's series: the copy here cannot grow without limit either. */
const MAX_POINTS = 20_000;

/** The current watch's data: arrays with a start offset, trimmed to the window. */
class ClientSeries {
  time: number[] = [];
  rss: number[] = [];
  vsz: number[] = [];
  events: SeriesEvent[] = [];

  reset(snapshot?: { time: number[]; columns: { rss: number[]; vsz: number[] }; events: SeriesEvent[] }): void {
    this.time = snapshot ? [...snapshot.time] : [];
    this.rss = snapshot ? [...snapshot.columns.rss] : [];
    this.vsz = snapshot ? [...snapshot.columns.vsz] : [];
    this.events = snapshot ? [...snapshot.events] : [];
  }

  push(time: number, rss: number, vsz: number | undefined, windowMs: number): void {
    if (this.time.length && time < this.time[this.time.length - 1]) return;
    this.time.push(time);
    this.rss.push(rss);
    this.vsz.push(vsz ?? NaN);
    // Trim in batches: splice is O(n), so do it when a chunk has aged out, not per sample.
    const cutoff = time - windowMs;
    let drop = 0;
    while (drop < this.time.length && this.time[drop] < cutoff) drop++;
    if (drop > 64 || this.time.length > MAX_POINTS) {
      drop = Math.max(drop, this.time.length - MAX_POINTS);
      this.time.splice(0, drop);
      this.rss.splice(0, drop);
      this.vsz.splice(0, drop);
    }
  }

  upsertEvent(event: SeriesEvent): void {
    const i = this.events.findIndex((e) => e.id === event.id);
    if (i >= 0) this.events[i] = event;
    else this.events.push(event);
    if (this.events.length > 500) this.events.splice(0, this.events.length - 500);
  }
}

const state = {
  watches: [] as readonly WatchSummary[],
  currentId: undefined as string | undefined,
  windowMs: 300_000,
  warningBytes: 0,
  busy: false,
  series: new ClientSeries(),
  hoverX: undefined as number | undefined,
};

// ---- DOM ------------------------------------------------------------------------------------

const app = document.getElementById('app')!;
// One template for both layouts: the CSS shows the parts each needs (.full-only, .compact-only).
app.innerHTML = `
  <header class="toolbar">
    <label class="process full-only">
      <span class="visually-hidden">Watched process</span>
      <select id="watch-select" title="Watched process"></select>
    </label>
    <span id="compact-name" class="compact-name compact-only"></span>
    <span id="watch-state" class="badge"></span>
    <span class="spacer"></span>
    <button id="attach" class="secondary full-only" title="Attach Memory Watch to another process">Attach…</button>
    <button id="free" class="full-only" title="Make the program call runtime/debug.FreeOSMemory() and measure the effect">Free OS Memory</button>
  </header>
  <section class="readouts" aria-label="Memory readouts">
    <div class="readout rss"><span class="swatch"></span><span class="name">RSS</span>
      <span class="now" id="rss-now">—</span>
      <span class="range full-only">min <span id="rss-min">—</span> · max <span id="rss-max">—</span></span></div>
    <div class="readout vsz"><span class="swatch"></span><span class="name">VSZ</span>
      <span class="now" id="vsz-now">—</span>
      <span class="range full-only">min <span id="vsz-min">—</span> · max <span id="vsz-max">—</span></span></div>
    <div class="readout peak full-only"><span class="name">Peak RSS</span> <span class="now" id="peak">—</span></div>
  </section>
  <div class="chart-wrap">
    <canvas id="chart" role="img" aria-label="Memory graph"></canvas>
    <div id="tooltip" class="tooltip" role="tooltip" hidden></div>
    <ul id="events" class="visually-hidden" aria-label="Events on the graph"></ul>
    <div id="empty" class="empty" hidden>
      <p>No process is watched.</p>
      <p class="hint full-only">Attach to a running Go program to see its memory here.</p>
      <button id="empty-attach">Attach…</button>
    </div>
  </div>
  <div class="buttons compact-only">
    <button id="free-compact" title="Make the program call runtime/debug.FreeOSMemory() and measure the effect">Free OS Memory</button>
    <button id="open-graph" class="secondary" title="Open the full memory graph">Open Graph</button>
  </div>
  <footer class="legend full-only">
    <span class="key rss"><span class="swatch"></span>RSS (left axis)</span>
    <span class="key vsz"><span class="swatch"></span>VSZ (right axis)</span>
    <span class="spacer"></span>
    <span id="status-line" class="status-line"></span>
  </footer>`;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const select = $<HTMLSelectElement>('watch-select');
const canvas = $<HTMLCanvasElement>('chart');
const tooltip = $('tooltip');
const chart = new TimeChart(canvas);

select.addEventListener('change', () => post({ type: 'select', watchId: select.value }));
$('attach').addEventListener('click', () => post({ type: 'attach' }));
$('empty-attach').addEventListener('click', () => post({ type: 'attach' }));
$('free').addEventListener('click', () => post({ type: 'freeOSMemory' }));
$('free-compact').addEventListener('click', () => post({ type: 'freeOSMemory' }));
$('open-graph').addEventListener('click', () => post({ type: 'openGraph' }));
canvas.addEventListener('mousemove', (e) => {
  state.hoverX = e.offsetX;
  scheduleDraw();
});
canvas.addEventListener('mouseleave', () => {
  state.hoverX = undefined;
  scheduleDraw();
});
new ResizeObserver(() => scheduleDraw()).observe(canvas);
// The theme changes by a class on <body>: redraw with the new colours.
new MutationObserver(() => scheduleDraw()).observe(document.body, { attributes: true, attributeFilter: ['class'] });

function post(message: FromWebviewMessage): void {
  vscode.postMessage(message);
}

// ---- messages -------------------------------------------------------------------------------

window.addEventListener('message', (event: MessageEvent<ToWebviewMessage>) => {
  const message = event.data;
  if (!message || typeof message !== 'object') return;
  switch (message.type) {
    case 'state':
      state.watches = message.watches;
      state.currentId = message.currentId;
      state.windowMs = message.windowMs;
      state.warningBytes = message.warningBytes;
      state.busy = message.busy;
      state.series.reset(message.series);
      vscode.setState({ watchId: message.currentId, pid: current()?.pid });
      renderChrome();
      break;
    case 'sample':
      if (message.watchId !== state.currentId) return;
      state.series.push(message.time, message.rss, message.vsz, state.windowMs);
      updateLatest(message.watchId, message.time, message.rss, message.vsz);
      renderReadouts();
      break;
    case 'event':
      if (message.watchId !== state.currentId) return;
      state.series.upsertEvent(message.event);
      break;
    case 'watches':
      state.watches = message.watches;
      state.currentId = message.currentId;
      renderChrome();
      break;
    case 'busy':
      state.busy = message.busy;
      renderChrome();
      break;
    default:
      return;
  }
  scheduleDraw();
});

function current(): WatchSummary | undefined {
  return state.watches.find((w) => w.id === state.currentId);
}

function updateLatest(id: string, time: number, rss: number, vsz: number | undefined): void {
  state.watches = state.watches.map((w) =>
    w.id === id ? { ...w, latest: { time, rss, vsz, peakRss: Math.max(w.latest?.peakRss ?? 0, rss) } } : w,
  );
}

// ---- rendering ------------------------------------------------------------------------------

function renderChrome(): void {
  const watch = current();
  select.replaceChildren(
    ...state.watches.map((w) => {
      const option = document.createElement('option');
      option.value = w.id;
      option.textContent = `${w.name} (PID ${w.pid})${w.go ? ` · ${w.go}` : ''}${w.state !== 'running' ? ` — ${w.endLabel ?? w.state}` : ''}`;
      option.selected = w.id === state.currentId;
      return option;
    }),
  );
  select.disabled = state.watches.length === 0;
  select.title = watch ? watch.commandLine || watch.name : 'No process watched';
  const badge = $('watch-state');
  const status = watch?.state === 'running' && watch.paused ? 'paused' : (watch?.state ?? '');
  badge.textContent = watch && watch.state !== 'running' ? (watch.endLabel ?? watch.state) : status;
  badge.className = `badge ${status}`;
  badge.hidden = !watch;
  badge.title = status === 'paused' ? 'Stopped in the debugger: memory is still read from the OS; no HTTP requests are sent to it' : '';
  $('compact-name').textContent = watch ? `${watch.name} (PID ${watch.pid})` : '';
  for (const id of ['free', 'free-compact']) {
    const free = $<HTMLButtonElement>(id);
    free.disabled = !watch || watch.state !== 'running' || state.busy;
    free.textContent = state.busy ? 'Freeing…' : 'Free OS Memory';
  }
  $('empty').hidden = !!watch;
  renderReadouts();
}

function renderReadouts(): void {
  const watch = current();
  const s = state.series;
  const range = (values: number[]) => {
    let min = Infinity;
    let max = -Infinity;
    for (const v of values) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    return min <= max ? { min, max } : undefined;
  };
  const rss = range(s.rss);
  const vsz = range(s.vsz);
  $('rss-now').textContent = formatBytes(watch?.latest?.rss);
  $('rss-min').textContent = formatBytes(rss?.min);
  $('rss-max').textContent = formatBytes(rss?.max);
  $('vsz-now').textContent = watch?.latest && watch.latest.vsz === undefined ? 'n/a' : formatBytes(watch?.latest?.vsz);
  $('vsz-min').textContent = formatBytes(vsz?.min);
  $('vsz-max').textContent = formatBytes(vsz?.max);
  $('peak').textContent = formatBytes(watch?.latest?.peakRss);
  const status = $('status-line');
  if (!watch) status.textContent = '';
  else if (watch.state !== 'running') status.textContent = watch.endReason ?? `Watch ${watch.state}.`;
  else if (watch.failure) status.textContent = `⚠ ${watch.failure}`;
  else status.textContent = `${s.time.length} samples · window ${formatDuration(state.windowMs)}`;
}

function cssVar(name: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(name).trim();
  return value || fallback;
}

function theme(): ChartTheme & { rss: string; vsz: string; release: string; attach: string; exit: string; failed: string; warning: string } {
  const foreground = cssVar('--vscode-foreground', '#cccccc');
  return {
    foreground,
    muted: cssVar('--vscode-descriptionForeground', foreground),
    grid: cssVar('--vscode-charts-lines', 'rgba(128,128,128,0.3)'),
    background: cssVar('--vscode-editor-background', '#1e1e1e'),
    font: `${cssVar('--vscode-font-size', '12px')} ${cssVar('--vscode-font-family', 'sans-serif')}`,
    rss: opaque(cssVar('--vscode-charts-blue', '#3794ff')),
    vsz: opaque(cssVar('--vscode-charts-orange', '#d18616')),
    release: opaque(cssVar('--vscode-charts-green', '#89d185')),
    attach: opaque(cssVar('--vscode-charts-purple', '#b180d7')),
    exit: opaque(cssVar('--vscode-charts-red', '#f14c4c')),
    failed: opaque(cssVar('--vscode-charts-red', '#f14c4c')),
    warning: opaque(cssVar('--vscode-charts-yellow', '#cca700')),
  };
}

function markerColor(event: SeriesEvent, t: ReturnType<typeof theme>): string {
  switch (event.kind) {
    case 'release':
      return t.release;
    case 'release-failed':
    case 'exit':
      return t.exit;
    case 'attach':
      return t.attach;
    case 'pause':
      return t.warning;
    default:
      return t.muted;
  }
}

let drawPending = false;
function scheduleDraw(): void {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    draw();
  });
}

let lastReported = { watchId: '', points: -1, lastTime: -1 };

function draw(): void {
  const s = state.series;
  const t = theme();
  const watch = current();
  const count = s.time.length;
  const lastTime = count ? s.time[count - 1] : Date.now();
  const firstTime = count ? s.time[0] : lastTime;
  // The line grows from the left edge; once the window is full it scrolls. A short history is
  // shown over at least MIN_SPAN_MS, so the first seconds are not stretched across the width.
  const xMin = Math.max(firstTime, lastTime - state.windowMs);
  const xMax = Math.max(lastTime, xMin + MIN_SPAN_MS);
  const markers: ChartMarker[] = s.events.map((e) => ({ time: e.time, endTime: e.endTime, band: e.band, label: e.label, color: markerColor(e, t) }));
  const model: ChartModel = {
    time: s.time,
    count,
    series: [
      { name: 'VSZ', values: s.vsz, color: t.vsz, axis: 1, width: 1.5 },
      { name: 'RSS', values: s.rss, color: t.rss, axis: 0, width: 2, fill: true },
    ],
    markers,
    thresholds: state.warningBytes > 0 ? [{ value: state.warningBytes, axis: 0, color: t.warning, label: `warning ${formatBytes(state.warningBytes)}` }] : [],
    xMin,
    xMax,
    axisTitles: ['RSS', 'VSZ'],
    compact: document.body.dataset.layout === 'compact',
  };
  renderEventList();
  const hover = state.hoverX !== undefined ? chart.hitTest(state.hoverX) : undefined;
  const points = chart.render(model, t, hover?.x);
  document.body.style.setProperty('--memory-watch-rss', t.rss);
  document.body.style.setProperty('--memory-watch-vsz', t.vsz);
  canvas.setAttribute('aria-label', watch ? `Memory graph of ${watch.name}: RSS ${formatBytes(watch.latest?.rss)}, ${count} samples` : 'Memory graph: no process watched');
  renderTooltip(hover);
  if (watch && (lastReported.watchId !== watch.id || lastReported.points !== points || lastReported.lastTime !== lastTime)) {
    lastReported = { watchId: watch.id, points, lastTime };
    post({ type: 'rendered', watchId: watch.id, points, lastTime });
  }
}

/** The markers as text, for screen readers (the canvas is a picture). */
let eventListKey = '';
function renderEventList(): void {
  const events = state.series.events;
  const key = events.map((e) => `${e.id}:${e.endTime ?? ''}`).join(',');
  if (key === eventListKey) return;
  eventListKey = key;
  $('events').replaceChildren(
    ...events.map((e) => {
      const li = document.createElement('li');
      li.textContent = `${clockLabel(e.time)} ${e.label}${e.detail ? `: ${e.detail}` : ''}`;
      return li;
    }),
  );
}

function renderTooltip(hover: ReturnType<TimeChart['hitTest']>): void {
  if (!hover || state.series.time.length === 0) {
    tooltip.hidden = true;
    return;
  }
  const s = state.series;
  const i = hover.index;
  const lines = [
    `<strong>${clockLabel(s.time[i])}</strong>`,
    `<span class="key rss"><span class="swatch"></span>RSS ${formatBytes(s.rss[i])}</span>`,
    `<span class="key vsz"><span class="swatch"></span>VSZ ${Number.isNaN(s.vsz[i]) ? 'n/a' : formatBytes(s.vsz[i])}</span>`,
  ];
  const events = s.events.filter((e) => hover.markers.some((m) => m.time === e.time && m.label === e.label));
  for (const e of events) lines.push(`<span class="event">${escapeHtml(e.detail ?? e.label)}</span>`);
  tooltip.innerHTML = lines.join('<br>');
  tooltip.hidden = false;
  const area = chart.plotArea;
  const wrap = canvas.getBoundingClientRect();
  const width = tooltip.offsetWidth;
  const x = hover.x + 12 + width > area.right ? hover.x - 12 - width : hover.x + 12;
  tooltip.style.left = `${Math.max(0, x)}px`;
  tooltip.style.top = `${Math.min(area.top + 8, wrap.height - tooltip.offsetHeight)}px`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

renderChrome();
scheduleDraw();
post({ type: 'ready' });
