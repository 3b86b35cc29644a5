/**
 * The graph webview: it keeps a copy of the current watch's series (sent by the host), draws it,
 * and sends back only user intents. It polls nothing: every change arrives as a message, goes
 * through applyMessage() (state.ts), and schedules at most one render per animation frame.
 */
import type { FromWebviewMessage, ToWebviewMessage, WebviewPersistedState } from '../protocol';
import { TimeChart } from './chart';
import { buildChartModel, GraphTheme } from './chartModel';
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
  scheduleDraw();
});

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
