/**
 * The graph webview: it keeps a copy of the current watch's series (sent by the host), draws it,
 * and sends back only user intents. It polls nothing: every change arrives as a message, goes
 * through applyMessage() (state.ts), and schedules at most one render per animation frame.
 */
import type { FromWebviewMessage, ToWebviewMessage, WebviewPersistedState } from '../protocol';
import { TimeChart } from './chart';
import { buildChartModel, GraphTheme, MIN_SPAN_MS } from './chartModel';
import { applyMessage, createState, currentWatch } from './state';
import { readTheme } from './theme';
import { $, mountView, renderChartLabel, renderChrome, renderEventList, renderTooltip } from './view';

interface VsCodeApi {
  postMessage(message: FromWebviewMessage): void;
  setState(state: WebviewPersistedState): void;
  getState(): WebviewPersistedState | undefined;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const post = (message: FromWebviewMessage) => vscode.postMessage(message);
const state = createState();
let hoverX: number | undefined;

mountView(document.getElementById('app')!, post);
const canvas = $<HTMLCanvasElement>('chart');
const chart = new TimeChart(canvas);
const compact = document.body.dataset.layout === 'compact';
let theme: GraphTheme = readTheme();

canvas.addEventListener('mousemove', (e) => {
  hoverX = e.offsetX;
  scheduleDraw();
});
canvas.addEventListener('mouseleave', () => {
  hoverX = undefined;
  scheduleDraw();
});
new ResizeObserver(() => scheduleDraw()).observe(canvas);
// The theme changes by a class on <body>: read the colours again and redraw.
new MutationObserver(() => {
  theme = readTheme();
  scheduleDraw();
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });

window.addEventListener('message', (event: MessageEvent<ToWebviewMessage>) => {
  const change = applyMessage(state, event.data);
  if (!change) return;
  if (change.watch) vscode.setState({ watchId: state.currentId, pid: currentWatch(state)?.pid });
  if (change.chrome) renderChrome(state);
  // New samples alone redraw at most once per pixel column of time; anything else at once.
  if (event.data.type === 'samples') scheduleDataDraw();
  else scheduleDraw();
});

// Hidden (another tab in front, VS Code minimised): no drawing at all; the picture is brought up to date when seen again.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') scheduleDraw();
});

let drawPending = false;
function scheduleDraw(): void {
  if (drawPending || document.visibilityState === 'hidden') return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    draw();
  });
}

/**
 * A new sample moves the picture by a fraction of a pixel when the window is wide (5 minutes over
 * ~900 px: 0.33 s per pixel, three samples at 10 Hz): redraw when time has moved on by a pixel
 * column, not for every sample. The readouts (text) follow every batch regardless.
 */
let lastDraw = 0;
let dataDrawTimer: ReturnType<typeof setTimeout> | undefined;
function scheduleDataDraw(): void {
  if (dataDrawTimer !== undefined) return;
  const area = chart.plotArea;
  const width = Math.max(100, area.right - area.left);
  const span = Math.min(state.windowMs, Math.max(MIN_SPAN_MS, spanOfData()));
  const msPerPixel = span / width;
  const wait = Math.max(0, msPerPixel - (performance.now() - lastDraw));
  dataDrawTimer = setTimeout(() => {
    dataDrawTimer = undefined;
    scheduleDraw();
  }, wait);
}

function spanOfData(): number {
  const time = state.series.time;
  return time.length ? time[time.length - 1] - time[0] : 0;
}

let lastReported = { watchId: '', points: -1, lastTime: -1 };

function draw(): void {
  lastDraw = performance.now();
  const watch = currentWatch(state);
  const model = buildChartModel(state, theme, compact);
  renderEventList(state);
  renderChartLabel(state, canvas);
  const hover = hoverX !== undefined ? chart.hitTest(hoverX) : undefined;
  const points = chart.render(model, theme, hover?.x);
  renderTooltip(state, chart, canvas, hover);
  const lastTime = model.count ? model.time[model.count - 1] : Date.now();
  // Tell the host (and the tests) what was drawn — once per change, not per frame.
  if (watch && (lastReported.watchId !== watch.id || lastReported.points !== points || lastReported.lastTime !== lastTime)) {
    lastReported = { watchId: watch.id, points, lastTime };
    post({ type: 'rendered', watchId: watch.id, points, lastTime });
  }
}

renderChrome(state);
scheduleDraw();
post({ type: 'ready' });
