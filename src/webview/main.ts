/**
 * The graph webview: it keeps a copy of the current watch's series (sent by the host), draws it,
 * and sends back only user intents. It polls nothing: every change arrives as a message, goes
 * through applyMessage() (state.ts), and schedules at most one render per animation frame.
 */
import { SAMPLES_EVERY_MS } from '../shared/protocol';
import type { FromWebviewMessage, ToWebviewMessage, WebviewPersistedState } from '../shared/protocol';
import { TimeChart } from './chart';
import { buildChartModel, dataRangeOf, GraphTheme } from './chartModel';
import { formatBytes } from '../shared/format';
import { applyMessage, createState, currentWatch } from './state';
import { ALL, DataRange, describeZoom, panBy, xRange, zoomBy, ZoomState, zoomTo } from './zoom';
import { readTheme } from './theme';
import { $, mountView, renderChartLabel, renderChrome, renderEventList, renderTooltip, setText } from './view';

interface VsCodeApi {
  postMessage(message: FromWebviewMessage): void;
  setState(state: WebviewPersistedState): void;
  getState(): WebviewPersistedState | undefined;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const post = (message: FromWebviewMessage) => vscode.postMessage(message);
// A recording's axis fits its run (chartModel.ts, dataRangeOf).
const state = createState(document.body.dataset.layout === 'recording');
let hoverX: number | undefined;
/** Since the webview loaded: the host's messages and the graph's redraws (reported with `rendered`). */
let messagesSeen = 0;
let draws = 0;
/** Animation frames in which the webview changed what is shown (scheduleFrame). */
let frames = 0;

mountView(document.getElementById('app')!, post);
const canvas = $<HTMLCanvasElement>('chart');
const chart = new TimeChart(canvas);
const compact = document.body.dataset.layout === 'compact';
let theme: GraphTheme = readTheme();

canvas.addEventListener('mousemove', (e) => {
  // Chromium also sends a mousemove to a resting pointer when the layout under it changes (a
  // readout's text, the tooltip): only a move along the time axis changes what is drawn.
  if (e.offsetX === hoverX && dragFrom === undefined) return;
  hoverX = e.offsetX;
  if (dragFrom !== undefined) showSelection(dragFrom, e.offsetX);
  scheduleDraw();
});
canvas.addEventListener('mouseleave', () => {
  hoverX = undefined;
  scheduleDraw();
});

// ---- zoom and pan: drag across the graph to zoom, double-click (or 0) to reset, keys too ----

let dragFrom: number | undefined;
const selection = $('selection');
function dataRange(): DataRange {
  return dataRangeOf(state);
}
/** The time at x (CSS px), on the axis as drawn (it follows the data by whole pixels). */
function timeAt(x: number): number {
  const area = chart.plotArea;
  return chart.timeAt(Math.min(area.right, Math.max(area.left, x)));
}
function showSelection(from: number, to: number): void {
  const area = chart.plotArea;
  const lo = Math.max(area.left, Math.min(from, to));
  const hi = Math.min(area.right, Math.max(from, to));
  selection.style.left = `${lo}px`;
  selection.style.width = `${Math.max(0, hi - lo)}px`;
  selection.style.top = `${area.top}px`;
  selection.hidden = hi - lo < 3;
}
function setZoom(zoom: ZoomState): void {
  state.zoom = zoom;
  $('zoom-hint').textContent = describeZoom(zoom);
  scheduleDraw();
}
canvas.addEventListener('mousedown', (e) => {
  if (e.button !== 0) return;
  dragFrom = e.offsetX;
});
window.addEventListener('mouseup', (e) => {
  if (dragFrom === undefined) return;
  const from = dragFrom;
  dragFrom = undefined;
  selection.hidden = true;
  const to = e.target === canvas ? e.offsetX : (hoverX ?? from);
  // A click, not a drag: nothing to zoom to.
  if (Math.abs(to - from) < 5) return;
  const area = chart.plotArea;
  const { xMin, xMax } = chart.shownRange;
  setZoom(zoomTo(timeAt(from), timeAt(to), dataRange(), (xMax - xMin) / Math.max(1, area.right - area.left)));
});
canvas.addEventListener('dblclick', () => setZoom(ALL));
canvas.addEventListener('keydown', (e) => {
  const data = dataRange();
  const keys: Record<string, () => ZoomState> = {
    '+': () => zoomBy(state.zoom, data, 0.5),
    '=': () => zoomBy(state.zoom, data, 0.5),
    '-': () => zoomBy(state.zoom, data, 2),
    ArrowLeft: () => panBy(state.zoom, data, -0.25),
    ArrowRight: () => panBy(state.zoom, data, 0.25),
    End: () => (state.zoom.mode === 'fixed' ? { mode: 'follow', spanMs: state.zoom.xMax - state.zoom.xMin } : state.zoom),
    '0': () => ALL,
    Escape: () => ALL,
  };
  const next = keys[e.key];
  if (!next) return;
  e.preventDefault();
  setZoom(next());
});

// ---- the comparison table's Markdown, and the graph as a PNG ----

$('export-png').addEventListener('click', () => void renderPng());
$('copy-table').addEventListener('click', () => {
  const markdown = state.comparison?.markdown;
  if (markdown) void navigator.clipboard.writeText(markdown).catch(() => undefined);
});

/** The graph as shown, with a line naming what it is, as a PNG (theme colours included). */
async function renderPng(): Promise<void> {
  draw();
  const watch = currentWatch(state);
  const dpr = window.devicePixelRatio || 1;
  const header = Math.round(28 * dpr);
  const out = document.createElement('canvas');
  out.width = canvas.width;
  out.height = canvas.height + header;
  const ctx = out.getContext('2d')!;
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.fillStyle = theme.foreground;
  ctx.font = `${Math.round(13 * dpr)}px ${getComputedStyle(document.body).fontFamily}`;
  ctx.textBaseline = 'middle';
  const { xMin, xMax } = chart.shownRange;
  const title = watch ? `${watch.name} (PID ${watch.pid}) — RSS ${formatBytes(watch.latest?.rss)} — ${new Date(xMin).toLocaleString()} to ${new Date(xMax).toLocaleTimeString()}` : 'Memory graph';
  ctx.fillText(title, Math.round(8 * dpr), header / 2);
  ctx.drawImage(canvas, 0, header);
  const blob = await new Promise<Blob | null>((resolve) => out.toBlob(resolve, 'image/png'));
  if (blob) post({ type: 'png', data: new Uint8Array(await blob.arrayBuffer()) });
}
new ResizeObserver((entries) => {
  // The border box is what getBoundingClientRect() would say (the canvas has no border or padding).
  const box = entries[entries.length - 1].borderBoxSize?.[0];
  if (box) chart.setDisplaySize(box.inlineSize, box.blockSize);
  scheduleDraw();
}).observe(canvas);
// The theme changes by a class on <body>: read the colours again and redraw.
new MutationObserver(() => {
  theme = readTheme();
  scheduleDraw();
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });

window.addEventListener('message', (event: MessageEvent<ToWebviewMessage>) => {
  if (event.data?.type === 'renderPng') {
    void renderPng();
    return;
  }
  messagesSeen++;
  const change = applyMessage(state, event.data);
  if (!change) return;
  if (change.watch) vscode.setState({ watchId: state.currentId, pid: currentWatch(state)?.pid });
  if (change.chrome || change.watch) chromeStale = true;
  // New samples redraw at most once per pixel column of time; other changes to what the graph
  // draws at once; a change to the text around it (summaries, busy) draws nothing.
  if (event.data.type === 'samples') samplesArrived();
  else if (change.data || change.watch) graphChanged();
  scheduleFrame();
});

/**
 * What the next animation frame brings up to date. Everything a message changes is written in one
 * frame — the text around the graph and the graph together: each frame in which the webview changes
 * what is shown costs the browser a layout, paint and commit of the whole workbench in code-server
 * (its webviews share the workbench's renderer), far more than the writes themselves.
 */
let chromeStale = false;
let graphStale = false;
/** The redraw due is for new samples alone: reported to the host less often (reportDrawn). */
let samplesOnly = false;
let framePending = false;
function scheduleFrame(): void {
  // Hidden (another tab in front, VS Code minimised): nothing is drawn or written, only remembered.
  if (framePending || (!chromeStale && !graphStale) || document.visibilityState === 'hidden') return;
  framePending = true;
  requestAnimationFrame(() => {
    framePending = false;
    if (!chromeStale && !graphStale) return;
    frames++;
    if (chromeStale) {
      chromeStale = false;
      renderChrome(state);
      setText($('zoom-hint'), describeZoom(state.zoom));
    }
    if (graphStale) {
      const forSamples = samplesOnly;
      graphStale = samplesOnly = false;
      draw(forSamples);
    }
  });
}
/** Something other than new samples changed what the graph draws. */
function graphChanged(): void {
  graphStale = true;
  samplesOnly = false;
}
function scheduleDraw(): void {
  graphChanged();
  scheduleFrame();
}

// Seen again: the chrome and the picture are brought up to date at once.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') scheduleDraw();
});

/**
 * A new sample moves the picture by a fraction of a pixel when the window is wide (5 minutes over
 * ~900 px: 0.33 s per pixel, three samples at 10 Hz): redraw when time has moved on by a pixel
 * column, not for every sample, and for new data alone at most every DATA_REDRAW_MIN_MS — each
 * redraw rasterises the whole canvas, which is most of what a visible graph costs the browser
 * (bench/RESULTS.md, "The live graph in the browser").
 */
// Once a second, like the status bar: redrawing twice a second cost the browser markedly more
// (bench/RESULTS.md, "Measured once"), and a memory graph moving once a second loses nothing a
// person reads.
const DATA_REDRAW_MIN_MS = 1000;
/**
 * A redraw due within this long is drawn with the batch at hand. The host sends a batch every
 * SAMPLES_EVERY_MS, a little early or late; one that comes too early leaves the graph to the next.
 */
const ON_TIME_MS = 250;
let lastDraw = 0;
let lastBatchTimer: ReturnType<typeof setTimeout> | undefined;
function samplesArrived(): void {
  const area = chart.plotArea;
  const width = Math.max(100, area.right - area.left);
  const { xMin, xMax } = xRange(state.zoom, dataRange());
  const msPerPixel = (xMax - xMin) / width;
  const wait = Math.max(msPerPixel, DATA_REDRAW_MIN_MS) - (performance.now() - lastDraw);
  clearTimeout(lastBatchTimer);
  lastBatchTimer = undefined;
  if (wait <= ON_TIME_MS) {
    if (!graphStale) samplesOnly = true;
    graphStale = true;
    return;
  }
  // Not due yet: a later batch draws it, in the frame that writes its readouts — not a timer of
  // its own when it is due, which would cost a second frame each second from then on (the phase of
  // the redraws is set by whatever drew last: the pointer, a resize). The timer is for a batch with
  // none after it (the watch paused or stopped).
  lastBatchTimer = setTimeout(() => {
    lastBatchTimer = undefined;
    scheduleDraw();
  }, wait + 2 * SAMPLES_EVERY_MS);
}

/**
 * What was drawn goes to the host (the API, the tests) at once when the graph draws a watch anew —
 * another watch, a state, a zoom, a resize — and, while only new samples arrive, at most every
 * REPORT_SAMPLES_EVERY_MS: each report crosses the workbench and its socket to the extension host,
 * which at one a second was a tenth of what the workbench's main thread spent on an open graph.
 */
const REPORT_SAMPLES_EVERY_MS = 5000;
let lastReported = { watchId: '', points: -1, lastTime: -1 };
let lastReportAt = -Infinity;
let reportTimer: ReturnType<typeof setTimeout> | undefined;
function reportDrawn(watchId: string, points: number, lastTime: number, forSamples: boolean): void {
  if (lastReported.watchId === watchId && lastReported.points === points && lastReported.lastTime === lastTime) return;
  const message: FromWebviewMessage = { type: 'rendered', watchId, points, lastTime, messages: messagesSeen, draws, frames };
  const send = () => {
    reportTimer = undefined;
    lastReported = { watchId, points, lastTime };
    lastReportAt = performance.now();
    post(message);
  };
  clearTimeout(reportTimer);
  const wait = REPORT_SAMPLES_EVERY_MS - (performance.now() - lastReportAt);
  if (!forSamples || wait <= 0 || lastReported.watchId !== watchId) send();
  else reportTimer = setTimeout(send, wait);
}

function draw(forSamples = false): void {
  // A series still arriving in parts is drawn once it is whole (a few turns of the host's event loop).
  if (state.moreRows > 0) return;
  lastDraw = performance.now();
  const watch = currentWatch(state);
  const model = buildChartModel(state, theme, compact);
  renderEventList(state);
  const hover = hoverX !== undefined ? chart.hitTest(hoverX) : undefined;
  const points = chart.render(model, theme, hover?.x);
  draws++;
  // After the render: the label says what the axis spans as drawn.
  renderChartLabel(state, canvas, chart.shownRange);
  renderTooltip(state, chart, hover);
  const lastTime = model.count ? model.time[model.count - 1] : Date.now();
  if (watch) reportDrawn(watch.id, points, lastTime, forSamples);
}

renderChrome(state);
scheduleDraw();
post({ type: 'ready' });
