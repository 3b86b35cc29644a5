/**
 * The graph webview. It keeps a copy of the current watch's series (sent by the host), draws it,
 * and sends back only user intents. It polls nothing: every change arrives as a message.
 */
import { formatBytes, formatDuration } from '../core/format';
import type { SeriesEvent } from '../core/series';
import type { FromWebviewMessage, ToWebviewMessage, WatchSummary, WebviewPersistedState } from '../protocol';
import { AreaBand, ChartMarker, ChartModel, ChartTheme, TimeChart } from './chart';
import { ClientSeries, Layer, LAYER_LABELS, LAYERS, layerSizes, stackLayers } from './clientSeries';
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
  <p id="diagnosis" class="diagnosis" role="status" hidden></p>
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
    <span id="missed-peak-key" class="key missed-peak" title="RSS went this high between two samples and came down before the next: the OS's high-water mark (VmHWM) rose. Only a new high for the process shows." hidden><span class="mark"></span>peak between samples</span>
    <span id="layer-keys" class="layer-keys"></span>
    <span class="spacer"></span>
    <span id="status-line" class="status-line"></span>
  </footer>
  <p class="go-source full-only"><span id="go-source"></span> <button id="add-hook" class="link" hidden>Add hook to this program…</button></p>`;

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
$('add-hook').addEventListener('click', () => post({ type: 'addHook' }));
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
      state.series.reset(message.series as Parameters<ClientSeries['reset']>[0]);
      vscode.setState({ watchId: message.currentId, pid: current()?.pid });
      renderChrome();
      break;
    case 'sample':
      if (message.watchId !== state.currentId) return;
      state.series.push(message.time, message.values, state.windowMs);
      updateLatest(message.watchId, message.time, message.values.rss ?? NaN, message.values.vsz);
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
  // Rebuild the options only when they change: this runs with every sample, and rebuilding
  // would close the list under a person choosing from it.
  const options = state.watches.map((w) => ({ id: w.id, text: `${w.name} (PID ${w.pid})${w.go ? ` · ${w.go}` : ''}${w.state !== 'running' ? ` — ${w.endLabel ?? w.state}` : ''}` }));
  const optionsKey = JSON.stringify(options);
  if (optionsKey !== select.dataset.key) {
    select.dataset.key = optionsKey;
    select.replaceChildren(
      ...options.map((o) => {
        const option = document.createElement('option');
        option.value = o.id;
        option.textContent = o.text;
        return option;
      }),
    );
  }
  if (state.currentId !== undefined && select.value !== state.currentId) select.value = state.currentId;
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
  const rss = range(s.cols.rss);
  const vsz = range(s.cols.vsz);
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
  const diagnosis = $('diagnosis');
  diagnosis.textContent = watch?.diagnosis?.message ?? '';
  diagnosis.className = `diagnosis ${watch?.diagnosis?.kind ?? ''}`;
  diagnosis.hidden = !watch?.diagnosis;
  $('go-source').textContent = watch ? watch.goFigures.text : '';
  $('add-hook').hidden = !(watch && watch.state === 'running' && watch.goFigures.state === 'none');
  renderLayerKeys();
}

/** The legend's layer keys, with the newest values. */
function renderLayerKeys(): void {
  const s = state.series;
  const last = lastGoIndex();
  const keys = $('layer-keys');
  if (last === undefined) {
    keys.replaceChildren();
    return;
  }
  const sizes = layerSizes(s.cols, last);
  const released = s.cols.heapReleased[last];
  keys.replaceChildren(
    ...LAYERS.filter((l) => sizes[l] > 0 || l === 'heapInUse' || l === 'freeHeld').map((l) => {
      const span = document.createElement('span');
      span.className = `key layer ${l}`;
      span.innerHTML = `<span class="swatch"></span>`;
      span.append(`${LAYER_LABELS[l]} ${formatBytes(sizes[l])}`);
      return span;
    }),
    Object.assign(document.createElement('span'), { className: 'key', textContent: `released ${formatBytes(released)}` }),
    keyWith('gc-goal', `GC goal ${formatBytes(s.cols.gcGoal[last])}`),
    keyWith('gc-tick', 'GC cycle'),
  );
}

/** A legend key drawn by CSS (a dashed line, a tick) with its text. */
function keyWith(kind: string, text: string): HTMLElement {
  const span = document.createElement('span');
  span.className = `key ${kind}`;
  const mark = document.createElement('span');
  mark.className = 'mark';
  span.append(mark, text);
  return span;
}

function lastGoIndex(): number | undefined {
  const goTotal = state.series.cols.goTotal;
  for (let i = goTotal.length - 1; i >= 0 && i >= goTotal.length - 50; i--) if (!Number.isNaN(goTotal[i])) return i;
  return undefined;
}

function cssVar(name: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(name).trim();
  return value || fallback;
}

function theme(): ChartTheme & { rss: string; vsz: string; release: string; attach: string; exit: string; failed: string; warning: string; layers: Record<Layer, string> } {
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
    layers: layerColors(foreground),
  };
}

/** One theme colour per layer, set as CSS variables too so the legend's swatches match. */
function layerColors(foreground: string): Record<Layer, string> {
  const colors: Record<Layer, string> = {
    heapInUse: opaque(cssVar('--vscode-charts-blue', '#3794ff')),
    freeHeld: opaque(cssVar('--vscode-charts-yellow', '#cca700')),
    stacks: opaque(cssVar('--vscode-charts-purple', '#b180d7')),
    otherRuntime: opaque(cssVar('--vscode-descriptionForeground', foreground)),
    lazyFree: opaque(cssVar('--vscode-charts-orange', '#d18616')),
    outsideGo: opaque(cssVar('--vscode-charts-red', '#f14c4c')),
  };
  for (const layer of LAYERS) document.body.style.setProperty(`--memory-watch-${layer}`, colors[layer]);
  return colors;
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
  const layers = s.cols.goTotal.some((v) => !Number.isNaN(v)) ? stackLayers(s) : undefined;
  const bands: AreaBand[] = layers ? LAYERS.map((l) => ({ name: LAYER_LABELS[l], lower: layers[l].lower, upper: layers[l].upper, color: t.layers[l] })) : [];
  const limit = lastValue(s.cols.memoryLimit);
  const model: ChartModel = {
    time: s.time,
    count,
    series: [
      { name: 'VSZ', values: s.cols.vsz, color: t.vsz, axis: 1, width: 1.5 },
      // With the layers below it, RSS is their outline; alone, its own filled area.
      { name: 'RSS', values: s.cols.rss, color: t.rss, axis: 0, width: 2, fill: !layers },
      { name: 'GC goal', values: s.cols.gcGoal, color: t.release, axis: 0, width: 1, dash: [4, 3] },
    ],
    bands,
    missedPeaks: { values: s.cols.missedPeak, base: s.cols.rss, color: t.rss },
    ticks: s.gcTicks(),
    tickColor: t.muted,
    markers,
    thresholds: [
      ...(state.warningBytes > 0 ? [{ value: state.warningBytes, axis: 0 as const, color: t.warning, label: `warning ${formatBytes(state.warningBytes)}` }] : []),
      ...(limit !== undefined ? [{ value: limit, axis: 0 as const, color: t.exit, label: `GOMEMLIMIT ${formatBytes(limit)}` }] : []),
    ],
    xMin,
    xMax,
    axisTitles: ['RSS', 'VSZ'],
    compact: document.body.dataset.layout === 'compact',
  };
  renderEventList();
  const highestMissed = s.cols.missedPeak.reduce((max, v) => (v > max ? v : max), 0);
  $('missed-peak-key').hidden = highestMissed === 0;
  const hover = state.hoverX !== undefined ? chart.hitTest(state.hoverX) : undefined;
  const points = chart.render(model, t, hover?.x);
  document.body.style.setProperty('--memory-watch-rss', t.rss);
  document.body.style.setProperty('--memory-watch-gc', t.release);
  document.body.style.setProperty('--memory-watch-vsz', t.vsz);
  const peakText = highestMissed > 0 ? `, highest peak between samples ${formatBytes(highestMissed)}` : '';
  canvas.setAttribute('aria-label', watch ? `Memory graph of ${watch.name}: RSS ${formatBytes(watch.latest?.rss)}, ${count} samples${peakText}` : 'Memory graph: no process watched');
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

function lastValue(values: number[]): number | undefined {
  for (let i = values.length - 1; i >= 0; i--) if (!Number.isNaN(values[i])) return values[i];
  return undefined;
}

function renderTooltip(hover: ReturnType<TimeChart['hitTest']>): void {
  if (!hover || state.series.time.length === 0) {
    tooltip.hidden = true;
    return;
  }
  const s = state.series;
  const i = hover.index;
  const vsz = s.cols.vsz[i];
  const lines = [
    `<strong>${clockLabel(s.time[i])}</strong>`,
    `<span class="key rss"><span class="swatch"></span>RSS ${formatBytes(s.cols.rss[i])}</span>`,
    `<span class="key vsz"><span class="swatch"></span>VSZ ${Number.isNaN(vsz) ? 'n/a' : formatBytes(vsz)}</span>`,
  ];
  // A peak between samples is drawn midway between i − 1 and i: the pointer is near one of them.
  const peak = [i, i + 1].map((j) => s.cols.missedPeak[j]).find((v) => v > 0);
  if (peak !== undefined) lines.push(`<span class="key missed-peak"><span class="mark"></span>peak between samples ${formatBytes(peak)}</span>`);
  if (!Number.isNaN(s.cols.goTotal[i])) {
    const sizes = layerSizes(s.cols, i);
    for (const l of LAYERS) if (sizes[l] > 0) lines.push(`<span class="key layer ${l}"><span class="swatch"></span>${LAYER_LABELS[l]} ${formatBytes(sizes[l])}</span>`);
    lines.push(`<span class="key">released ${formatBytes(s.cols.heapReleased[i])} · GC goal ${formatBytes(s.cols.gcGoal[i])} · ${s.cols.gcCycles[i]} GCs</span>`);
  }
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
