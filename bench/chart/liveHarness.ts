/**
 * Runs in headless Chromium before the real graph webview (src/webview/main.ts): plays the
 * extension host's part. It provides acquireVsCodeApi (recording what the webview posts), answers
 * `ready` with a `state`, and feeds samples as GraphFeed posts them: a `samples` message with the
 * rows taken since the last one, at most every SAMPLES_EVERY_MS, and the `watches` summaries only
 * when they change (here: with the state). It also counts redraws: animation frames in which the
 * canvas was drawn.
 */
import { graphStateMessages, SAMPLES_EVERY_MS, SampleRow, ToWebviewMessage, WatchSummary } from '../../src/shared/protocol';
import { packSeries, SeriesColumn, SeriesSnapshot } from '../../src/shared/series';

/** One way of filling the graph: a rate, the window setting, and the history the host holds for it. */
export interface LiveFill {
  readonly hz: number;
  /** memoryWatch.window, ms. */
  readonly windowMs: number;
  /** The host's series when the graph opens, times relative: the newest point at 0. */
  readonly snapshot: SeriesSnapshot;
}

/** What the bench puts in `window.liveData` before this script runs. */
export interface LiveData {
  /** The fills the bench measures, by name ('3000': a full 5-minute window at 10 Hz …). */
  readonly fills: Record<string, LiveFill>;
  /** The fill the page opens with. */
  readonly initialFill: string;
  /** Real samples of a Go program (one recording's rows), fed round and round. */
  readonly rows: Partial<Record<SeriesColumn, number>>[];
  readonly summary: WatchSummary;
}

/** Counters the bench reads between two moments. */
export interface LiveCounters {
  /** Animation-frame callbacks that drew on a canvas. */
  redraws: number;
  /** Canvas drawing outside any animation frame (should stay 0). */
  drawsOutsideFrame: number;
  rafCallbacks: number;
  /** Messages the page received (host → webview). */
  messagesIn: number;
  /** Messages the webview posted, by type. */
  posted: Record<string, number>;
  /** DOM mutation records, while observed. */
  mutations: number;
}

const data = (window as unknown as { liveData: LiveData }).liveData;
const counters: LiveCounters = { redraws: 0, drawsOutsideFrame: 0, rafCallbacks: 0, messagesIn: 0, posted: {}, mutations: 0 };
let fill = data.fills[data.initialFill];
let timer: number | undefined;
let flushTimer: number | undefined;
let next = 0;
let pending: SampleRow[] = [];

// Drawing is counted where every frame of the chart starts: it clears the canvas with fillRect.
let drawCalls = 0;
let inFrame = false;
const fillRect = CanvasRenderingContext2D.prototype.fillRect;
CanvasRenderingContext2D.prototype.fillRect = function (this: CanvasRenderingContext2D, ...args: Parameters<typeof fillRect>) {
  drawCalls++;
  if (!inFrame) counters.drawsOutsideFrame++;
  return fillRect.apply(this, args);
};
const raf = window.requestAnimationFrame.bind(window);
/** While set, frame callbacks wait here, as a browser holds them for a hidden page. */
let suspendedFrames: FrameRequestCallback[] | undefined;
window.requestAnimationFrame = (callback: FrameRequestCallback) => {
  if (suspendedFrames) return suspendedFrames.push(callback);
  return raf((time) => {
    const before = drawCalls;
    inFrame = true;
    try {
      callback(time);
    } finally {
      inFrame = false;
      counters.rafCallbacks++;
      if (drawCalls > before) counters.redraws++;
    }
  });
};
window.addEventListener('message', () => counters.messagesIn++);

function deliver(message: ToWebviewMessage): void {
  // The way VS Code's webview host delivers: a structured-clone postMessage into the frame.
  window.postMessage(message, '*');
}

/**
 * The host's `state` — in parts for a long series, as GraphFeed posts it (graphStateMessages) —
 * the history shifted so its newest point is now.
 */
function stateMessages(): ToWebviewMessage[] {
  const snapshot = fill.snapshot;
  const shift = Date.now();
  return graphStateMessages({
    watches: [{ ...data.summary, intervalMs: 1000 / fill.hz }],
    currentId: data.summary.id,
    series: packSeries({ ...snapshot, time: snapshot.time.map((t) => t + shift), events: snapshot.events.map((e) => ({ ...e, time: e.time + shift })) }, { skipEmpty: true }),
    windowMs: fill.windowMs,
    warningBytes: 0,
    busy: false,
  });
}

/** Posts the state's messages one per turn of the event loop, as WebviewPoster does. */
function deliverState(): void {
  const messages = stateMessages();
  const next = () => {
    const message = messages.shift();
    if (!message) return;
    deliver(message);
    if (messages.length) setTimeout(next, 0);
  };
  next();
}

function tick(): void {
  const values = data.rows[next++ % data.rows.length];
  pending.push({ time: Date.now(), values });
}

/** GraphFeed's batch: the rows since the last one, in one message. */
function flush(): void {
  if (!pending.length) return;
  deliver({ type: 'samples', watchId: data.summary.id, rows: pending });
  pending = [];
}

let observer: MutationObserver | undefined;

/**
 * Makes the document say it is hidden (as a background tab or a minimised window would): mode 1
 * only says so (frames still run: what our code does by itself), mode 2 also holds animation
 * frames until visible again (what a browser does for a hidden page); 0 is visible.
 */
function setHidden(mode: 0 | 1 | 2): void {
  const hidden = mode !== 0;
  if (mode === 2) suspendedFrames = [];
  else if (suspendedFrames) {
    const held = suspendedFrames;
    suspendedFrames = undefined;
    for (const callback of held) window.requestAnimationFrame(callback);
  }
  if (hidden) {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
  } else {
    delete (document as unknown as Record<string, unknown>).visibilityState;
    delete (document as unknown as Record<string, unknown>).hidden;
  }
  document.dispatchEvent(new Event('visibilitychange'));
}

(window as unknown as { acquireVsCodeApi: unknown }).acquireVsCodeApi = () => ({
  postMessage(message: { type: string }) {
    counters.posted[message.type] = (counters.posted[message.type] ?? 0) + 1;
    if (message.type === 'ready') deliverState();
  },
  setState() {},
  getState: () => undefined,
});

(window as unknown as { liveBench: unknown }).liveBench = {
  /** Sends the history of fill `name` (as the host does when the shown watch changes), then a sample per tick at its rate. */
  start(name: string) {
    fill = data.fills[name];
    deliverState();
    pending = [];
    timer = window.setInterval(tick, 1000 / fill.hz);
    flushTimer = window.setInterval(flush, SAMPLES_EVERY_MS);
  },
  stop() {
    window.clearInterval(timer);
    window.clearInterval(flushTimer);
    timer = flushTimer = undefined;
  },
  setHidden,
  observeMutations(on: boolean) {
    observer?.disconnect();
    observer = on ? new MutationObserver((records) => (counters.mutations += records.length)) : undefined;
    observer?.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  },
  counters: (): LiveCounters => JSON.parse(JSON.stringify(counters)),
  canvasSize() {
    const canvas = document.getElementById('chart') as HTMLCanvasElement;
    return { width: canvas.clientWidth, height: canvas.clientHeight };
  },
};
