/**
 * The graph webview's DOM: one template for both layouts (the CSS shows the parts each needs:
 * .full-only, .compact-only), and the functions that bring it up to date with the state. Each
 * writes to the DOM only what changed: with a sample every 100 ms, rewriting unchanged text and
 * rebuilding lists costs the browser style and layout work for nothing.
 */
import { formatBytes, formatDuration } from '../shared/format';
import { GRAPH_INTENTS } from '../shared/protocol';
import type { FromWebviewMessage, GraphIntent, WatchSummary } from '../shared/protocol';
import type { HoverInfo, TimeChart } from './chart';
import { adviceClass, diagnosisClass } from './kinds';
import { LAYER_LABELS, LAYERS, layerSizes } from './clientSeries';
import { clockLabel } from './scale';
import { currentWatch, GraphState } from './state';

/** The graph's DOM; the buttons that send intents are named in GRAPH_INTENTS (protocol.ts). */
export const GRAPH_TEMPLATE = `
  <header class="toolbar">
    <label class="process full-only">
      <span class="visually-hidden">Watched process</span>
      <select id="watch-select" title="Watched process"></select>
    </label>
    <span id="compact-name" class="compact-name compact-only"></span>
    <span id="watch-state" class="badge"></span>
    <span class="spacer"></span>
    <span class="export full-only" role="group" aria-label="Keep and share this run">
      <button id="save" class="secondary live-only history-too" title="Save this run as a .memwatch.json recording">Save…</button>
      <button id="compare" class="secondary" title="Draw another run (a recording or a live watch) over this one, with a table of what changed">Compare…</button>
      <button id="export-csv" class="secondary" title="Export the samples and markers as CSV">CSV</button>
      <button id="export-png" class="secondary" title="Export the graph as shown as a PNG">PNG</button>
    </span>
    <button id="heap" class="secondary full-only live-only" title="Which code holds the heap: allocation sites from a live heap profile, what grew, a click to the line">Heap…</button>
    <button id="attach" class="secondary full-only live-only" title="Attach Memory Watch to another process">Attach…</button>
    <button id="free" class="full-only live-only" title="Make the program call runtime/debug.FreeOSMemory() and measure the effect">Free OS Memory</button>
  </header>
  <section id="fleet" class="fleet history-only" aria-label="The fleet" hidden>
    <p id="fleet-source" class="fleet-source"></p>
    <p id="fleet-headline" class="fleet-headline"></p>
    <p id="fleet-more" class="fleet-more"></p>
  </section>
  <p id="diagnosis" class="diagnosis" role="status" hidden><span id="diagnosis-text"></span> <button id="diagnosis-heap" class="link live-only" title="Which code holds the heap: allocation sites from a live heap profile" hidden>Show heap profile</button></p>
  <ul id="advice" class="advice full-only" hidden></ul>
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
    <canvas id="chart" role="img" aria-label="Memory graph" tabindex="0"></canvas>
    <div id="selection" class="selection" hidden></div>
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
    <button id="heap-compact" class="secondary" title="Which code holds the heap: allocation sites from a live heap profile">Heap</button>
    <button id="open-graph" class="secondary" title="Open the full memory graph">Open Graph</button>
  </div>
  <footer class="legend full-only">
    <span class="key rss"><span class="swatch"></span>RSS (left axis)</span>
    <span class="key vsz"><span class="swatch"></span>VSZ (right axis)</span>
    <span id="container-keys" class="container-keys"></span>
    <span id="overlay-key" class="key overlay" title="The other replicas' RSS over the same range, drawn faint behind the one shown" hidden><span class="mark"></span><span id="overlay-count"></span></span>
    <span id="missed-peak-key" class="key missed-peak" title="RSS went this high between two samples and came down before the next: the OS's high-water mark (VmHWM) rose. Only a new high for the process shows." hidden><span class="mark"></span>peak between samples</span>
    <span id="layer-keys" class="layer-keys"></span>
    <span class="spacer"></span>
    <span id="status-line" class="status-line"></span>
  </footer>
  <p class="go-source full-only"><span id="go-source"></span> <button id="add-hook" class="link live-only" hidden>Add hook to this program…</button><span class="spacer"></span><span id="zoom-hint" class="zoom-hint"></span></p>
  <section id="comparison" class="comparison full-only" aria-label="Compared with another run" hidden>
    <header><strong id="comparison-title"></strong> <span id="comparison-aligned" class="aligned"></span><span class="spacer"></span><button id="copy-table" class="secondary" title="Copy the table as Markdown, for a pull request">Copy as Markdown</button></header>
    <table><thead><tr><th></th><th id="comparison-a"></th><th id="comparison-b"></th><th>Difference</th><th>Ratio</th></tr></thead><tbody id="comparison-rows"></tbody></table>
  </section>`;

export const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/**
 * Sets an element's text only when it differs (no style or layout work for the same text), in its
 * one text node when it has one: replacing the node each second is garbage for a heap the webview
 * shares with the whole workbench in a browser (code-server), whose collections are what cost.
 */
export function setText(el: HTMLElement, text: string): void {
  const node = el.firstChild;
  if (node && node === el.lastChild && node.nodeType === Node.TEXT_NODE) {
    if ((node as Text).data !== text) (node as Text).data = text;
  } else if (el.textContent !== text) el.textContent = text;
}

/** A legend key or a line of the hover box: a class, an optional swatch or mark, its text. */
interface KeyPart {
  readonly className: string;
  readonly text: string;
  readonly decoration?: 'swatch' | 'mark';
  readonly title?: string;
  /** Inside <strong> (the hover box's time). */
  readonly strong?: boolean;
}

/** What each container of keys holds: its parts' shape, and the text node of each part. */
const builtKeys = new WeakMap<HTMLElement, { shape: string; texts: Text[] }>();

/**
 * Shows `parts` in `container`, one <span> each (with `separator` elements between): built when
 * their shape (classes, decorations, titles) changes, otherwise only the texts that changed are
 * written, in place — the legend's values and the hover box change every second, their shape
 * seldom.
 */
function renderKeys(container: HTMLElement, parts: readonly KeyPart[], separator?: 'br'): void {
  const shape = JSON.stringify(parts.map((p) => [p.className, p.decoration, p.title, p.strong]));
  const built = builtKeys.get(container);
  if (built && built.shape === shape) {
    parts.forEach((p, i) => {
      if (built.texts[i].data !== p.text) built.texts[i].data = p.text;
    });
    return;
  }
  const texts: Text[] = [];
  const children: Node[] = [];
  for (const p of parts) {
    if (separator && children.length) children.push(document.createElement(separator));
    const span = document.createElement(p.strong ? 'strong' : 'span');
    if (p.className) span.className = p.className;
    if (p.title) span.title = p.title;
    if (p.decoration) {
      const decoration = document.createElement('span');
      decoration.className = p.decoration;
      span.append(decoration);
    }
    const text = document.createTextNode(p.text);
    span.append(text);
    texts.push(text);
    children.push(span);
  }
  container.replaceChildren(...children);
  builtKeys.set(container, { shape, texts });
}

function setHidden(el: HTMLElement, hidden: boolean): void {
  if (el.hidden !== hidden) el.hidden = hidden;
}

/** Builds the DOM and wires the buttons to intents. */
export function mountView(app: HTMLElement, post: (message: FromWebviewMessage) => void): void {
  app.innerHTML = GRAPH_TEMPLATE;
  const select = $<HTMLSelectElement>('watch-select');
  select.addEventListener('change', () => post({ type: 'select', watchId: select.value }));
  for (const intent of Object.keys(GRAPH_INTENTS) as GraphIntent[]) {
    for (const id of GRAPH_INTENTS[intent].buttons) $(id).addEventListener('click', () => post({ type: intent }));
  }
}

/** The comparison with another run: title, alignment, the table (all text from files or watches: set as text). */
export function renderComparison(state: GraphState): void {
  const section = $('comparison');
  const c = state.comparison;
  setHidden(section, !c);
  if (!c) return;
  setText($('comparison-title'), `${c.nameA} compared with ${c.nameB}`);
  setText($('comparison-aligned'), `(aligned ${c.alignedOn}; ${c.nameB} dashed)`);
  setText($('comparison-a'), c.nameA);
  setText($('comparison-b'), c.nameB);
  const body = $('comparison-rows');
  const key = JSON.stringify([c.nameA, c.nameB, c.rows]);
  if (body.dataset.key === key) return;
  body.dataset.key = key;
  // Each value cell names its column too (data-label): a narrow editor stacks the columns (graph.css).
  const labels = ['', c.nameA, c.nameB, 'Difference', 'Ratio'];
  body.replaceChildren(
    ...c.rows.map((r) => {
      const tr = document.createElement('tr');
      const notes = [undefined, r.aNote, r.bNote];
      for (const [i, text] of [r.title, r.a, r.b, r.difference, r.ratio].entries()) {
        const cell = document.createElement(i === 0 ? 'th' : 'td');
        if (i > 0) cell.dataset.label = labels[i];
        const value = document.createElement('span');
        value.className = 'value';
        value.textContent = text;
        cell.append(value);
        const note = notes[i];
        if (note) {
          // Where the value comes from (Peak RSS: a sample, or the kernel's high-water mark).
          const small = document.createElement('span');
          small.className = 'note';
          small.textContent = note;
          cell.append(small);
        }
        tr.append(cell);
      }
      return tr;
    }),
  );
}

/** The selector, the state badge, the buttons; then the readouts. */
export function renderChrome(state: GraphState): void {
  const watch = currentWatch(state);
  const select = $<HTMLSelectElement>('watch-select');
  // Rebuild the options only when they change: rebuilding would close the list under a person choosing from it.
  const options = state.watches.map((w) => ({ id: w.id, text: optionText(w) }));
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
  select.title = watch ? (watch.url ? `${watch.name} through ${watch.url}` : watch.commandLine || watch.name) : 'No process watched';
  const badge = $('watch-state');
  const status = watch?.state === 'running' && watch.paused ? 'paused' : (watch?.state ?? '');
  setText(badge, watch && watch.state !== 'running' ? (watch.endLabel ?? watch.state) : status);
  const badgeClass = `badge ${status}`;
  if (badge.className !== badgeClass) badge.className = badgeClass;
  setHidden(badge, !watch);
  badge.title = status === 'paused' ? 'Stopped in the debugger: memory is still read from the OS; no HTTP requests are sent to it' : '';
  setText($('compact-name'), watch ? `${watch.name} (PID ${watch.pid})` : '');
  for (const id of ['heap', 'heap-compact']) {
    const heap = $<HTMLButtonElement>(id);
    const disabled = !watch || watch.state !== 'running';
    if (heap.disabled !== disabled) heap.disabled = disabled;
  }
  for (const id of ['free', 'free-compact']) {
    const free = $<HTMLButtonElement>(id);
    const disabled = !watch || watch.state !== 'running' || state.busy;
    if (free.disabled !== disabled) free.disabled = disabled;
    setText(free, state.busy ? 'Freeing…' : 'Free OS Memory');
  }
  setHidden($('empty'), !!watch);
  for (const id of ['save', 'compare', 'export-csv', 'export-png']) {
    const button = $<HTMLButtonElement>(id);
    if (button.disabled !== !watch) button.disabled = !watch;
  }
  renderReadouts(state);
  renderComparison(state);
  renderFleet(state);
}

/** A watch in the selector: "api (PID 4242) · go1.26.8"; a replica of a history: "api-7 — peak 1.1 GiB · OOM-killed 1×". */
function optionText(w: WatchSummary): string {
  if (w.replica) {
    const r = w.replica;
    const events = [r.oomKills ? `OOM-killed ${r.oomKills}×` : '', r.restarts > r.oomKills ? `restarted ${r.restarts - r.oomKills}×` : ''].filter(Boolean);
    return `${w.name} — peak ${formatBytes(r.peakRss)}${events.length ? ` · ${events.join(', ')}` : ''}`;
  }
  return `${w.name} (PID ${w.pid}${w.url ? ` via ${hostOf(w.url)}` : ''})${w.go ? ` · ${w.go}` : ''}${w.state !== 'running' ? ` — ${w.endLabel ?? w.state}` : ''}`;
}

/** A Prometheus history's lines: where from, the replica that peaked highest and the one that grew fastest, the rest (all text from the server: set as text). */
function renderFleet(state: GraphState): void {
  const fleet = state.fleet;
  setHidden($('fleet'), !fleet);
  if (!fleet) return;
  setText($('fleet-source'), fleet.source);
  setText($('fleet-headline'), fleet.headline);
  const more = [fleet.status, fleet.others, ...fleet.notes].filter(Boolean).join(' ');
  setText($('fleet-more'), more);
  setHidden($('fleet-more'), !more);
}

/** Current, min and max readouts, the status line, the diagnosis, the Go source line, the legend. */
export function renderReadouts(state: GraphState): void {
  const watch = currentWatch(state);
  const s = state.series;
  // Kept as rows come and go (clientSeries.ts): not a walk over the window per batch.
  const rss = s.range('rss');
  const vsz = s.range('vsz');
  setText($('rss-now'), formatBytes(watch?.latest?.rss));
  setText($('rss-min'), formatBytes(rss?.min));
  setText($('rss-max'), formatBytes(rss?.max));
  setText($('vsz-now'), watch?.latest && watch.latest.vsz === undefined ? 'n/a' : formatBytes(watch?.latest?.vsz));
  setText($('vsz-min'), formatBytes(vsz?.min));
  setText($('vsz-max'), formatBytes(vsz?.max));
  setText($('peak'), formatBytes(watch?.latest?.peakRss));
  setText($('status-line'), statusLine(state, watch));
  const diagnosis = $('diagnosis');
  setText($('diagnosis-text'), watch?.diagnosis?.message ?? '');
  setHidden($('diagnosis-heap'), !watch?.diagnosis?.heapProfile);
  const className = diagnosisClass(watch?.diagnosis?.kind);
  if (diagnosis.className !== className) diagnosis.className = className;
  setHidden(diagnosis, !watch?.diagnosis);
  renderAdvice(watch);
  setText($('go-source'), watch ? watch.goFigures.text : '');
  setHidden($('add-hook'), !(watch && watch.state === 'running' && watch.goFigures.state === 'none'));
  renderLayerKeys(state);
  renderContainerKeys(state);
  const others = state.overlays.length;
  setText($('overlay-count'), others === 1 ? 'the other replica' : `${others} other replicas`);
  setHidden($('overlay-key'), others === 0);
}

/** The legend's container keys (working set, usage, limit) when the process has a container limit. */
function renderContainerKeys(state: GraphState): void {
  const cols = state.series.cols;
  const i = cols.cgroupLimit.length - 1;
  const limit = i >= 0 ? cols.cgroupLimit[i] : NaN;
  renderKeys(
    $('container-keys'),
    Number.isNaN(limit)
      ? []
      : [
          { className: 'key working-set', decoration: 'mark', text: `working set ${formatBytes(cols.cgroupWorkingSet[i])}`, title: 'The cgroup\'s usage minus inactive page cache: what kubectl top shows and what the OOM killer and Kubernetes act on.' },
          { className: 'key cgroup-usage', decoration: 'mark', text: `cgroup usage ${formatBytes(cols.cgroupUsage[i])}`, title: 'All memory charged to the cgroup, page cache included.' },
          { className: 'key container-limit', decoration: 'mark', text: `limit ${formatBytes(limit)}`, title: 'The lowest memory limit of the cgroup and its parents: at it, the kernel\'s OOM killer ends a process.' },
        ],
  );
}

function statusLine(state: GraphState, watch: WatchSummary | undefined): string {
  if (!watch) return '';
  if (watch.state !== 'running') return watch.endReason ?? `Watch ${watch.state}.`;
  if (watch.failure) return `⚠ ${watch.failure}`;
  return `${state.series.time.length} samples · window ${formatDuration(state.windowMs)}`;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** Advice on the settings (GOMEMLIMIT against the container limit), one line each. */
function renderAdvice(watch: WatchSummary | undefined): void {
  const list = $('advice');
  const advice = watch?.state === 'running' ? (watch.advice ?? []) : [];
  const key = advice.map((a) => a.message).join('\n');
  if (list.dataset.key === key) return;
  list.dataset.key = key;
  list.replaceChildren(
    ...advice.map((a) => {
      const li = document.createElement('li');
      li.className = adviceClass(a.kind);
      li.textContent = a.message;
      return li;
    }),
  );
  setHidden(list, advice.length === 0);
}

/** The newest point with Go figures at or before index i, within maxAgeMs of it. */
function goIndexAtOrBefore(state: GraphState, i: number, maxAgeMs: number): number | undefined {
  const { time, cols } = state.series;
  for (let j = i; j >= 0 && time[i] - time[j] <= maxAgeMs; j--) if (!Number.isNaN(cols.goTotal[j])) return j;
  return undefined;
}

/** The newest point with Go figures among the last 50, if any. */
export function lastGoIndex(state: GraphState): number | undefined {
  const goTotal = state.series.cols.goTotal;
  for (let i = goTotal.length - 1; i >= 0 && i >= goTotal.length - 50; i--) if (!Number.isNaN(goTotal[i])) return i;
  return undefined;
}

/** The legend's layer keys, with the newest values (built when the layers shown change). */
function renderLayerKeys(state: GraphState): void {
  const s = state.series;
  const last = lastGoIndex(state);
  const parts: KeyPart[] = [];
  if (last !== undefined) {
    const sizes = layerSizes(s.cols, last);
    for (const l of LAYERS) if (sizes[l] > 0 || l === 'heapInUse' || l === 'freeHeld') parts.push({ className: `key layer ${l}`, text: `${LAYER_LABELS[l]} ${formatBytes(sizes[l])}`, decoration: 'swatch' });
    parts.push({ className: 'key', text: `released ${formatBytes(s.cols.heapReleased[last])}` });
    parts.push({ className: 'key gc-goal', text: `GC goal ${formatBytes(s.cols.gcGoal[last])}`, decoration: 'mark' });
    parts.push({ className: 'key gc-tick', text: 'GC cycle', decoration: 'mark' });
  }
  renderKeys($('layer-keys'), parts);
}

/** The markers as text, for screen readers (the canvas is a picture). */
export function renderEventList(state: GraphState): void {
  const events = state.series.events;
  const list = $('events');
  const key = events.map((e) => `${e.id}:${e.endTime ?? ''}`).join(',');
  if (list.dataset.key === key) return;
  list.dataset.key = key;
  list.replaceChildren(
    ...events.map((e) => {
      const li = document.createElement('li');
      li.textContent = `${clockLabel(e.time)} ${e.label}${e.detail ? `: ${e.detail}` : ''}`;
      return li;
    }),
  );
}

/** The canvas's accessible name, and whether the legend shows the "peak between samples" key. */
export function renderChartLabel(state: GraphState, canvas: HTMLCanvasElement, shown: { readonly xMin: number; readonly xMax: number }): void {
  const watch = currentWatch(state);
  const highestMissed = state.series.highestPeak();
  const comparedMissed = highestOf(state.comparison?.missedPeak);
  setHidden($('missed-peak-key'), highestMissed === 0 && comparedMissed === 0);
  const peakText = highestMissed > 0 ? `, highest peak between samples ${formatBytes(highestMissed)}` : '';
  const comparedText = comparedMissed > 0 ? `, compared run's highest peak between samples ${formatBytes(comparedMissed)}` : '';
  const time = state.series.time;
  const spans = time.length ? ` over ${formatDuration(time[time.length - 1] - time[0])} (time axis ${formatDuration(shown.xMax - shown.xMin)})` : '';
  const label = watch ? `Memory graph of ${watch.name}: RSS ${formatBytes(watch.latest?.rss)}, ${time.length} samples${spans}${peakText}${comparedText}` : 'Memory graph: no process watched';
  if (canvas.getAttribute('aria-label') !== label) canvas.setAttribute('aria-label', label);
}

/** What the hover box shows and where, as last written. */
let tooltipKey = '';

/** The highest value above 0 (0 when none). */
function highestOf(values: ArrayLike<number> | undefined): number {
  let max = 0;
  for (let i = 0; i < (values?.length ?? 0); i++) if (values![i] > max) max = values![i];
  return max;
}

/** The hover box: time, RSS, VSZ, the layers, markers under the pointer. Target text goes in as text nodes. */
export function renderTooltip(state: GraphState, chart: TimeChart, hover: HoverInfo | undefined): void {
  const tooltip = $('tooltip');
  if (!hover || state.series.time.length === 0) {
    setHidden(tooltip, true);
    return;
  }
  const s = state.series;
  const i = hover.index;
  const vsz = s.cols.vsz[i];
  const lines: KeyPart[] = [
    { className: '', strong: true, text: clockLabel(s.time[i]) },
    { className: 'key rss', decoration: 'swatch', text: `RSS ${formatBytes(s.cols.rss[i])}` },
    { className: 'key vsz', decoration: 'swatch', text: `VSZ ${Number.isNaN(vsz) ? 'n/a' : formatBytes(vsz)}` },
  ];
  // A peak between samples is drawn midway between i − 1 and i: the pointer is near one of them.
  const peak = [i, i + 1].map((j) => s.cols.missedPeak[j]).find((v) => v > 0);
  if (peak !== undefined) lines.push({ className: 'key missed-peak', decoration: 'mark', text: `peak between samples ${formatBytes(peak)}` });
  if (!Number.isNaN(s.cols.cgroupLimit[i])) {
    const share = Math.round((s.cols.cgroupWorkingSet[i] / s.cols.cgroupLimit[i]) * 100);
    lines.push({ className: 'key working-set', decoration: 'mark', text: `working set ${formatBytes(s.cols.cgroupWorkingSet[i])} (${share} % of the ${formatBytes(s.cols.cgroupLimit[i])} limit) · cgroup usage ${formatBytes(s.cols.cgroupUsage[i])}` });
  }
  // The Go figures are read at most once a second: show the newest reading at or before this point.
  const g = goIndexAtOrBefore(state, i, 2000);
  if (g !== undefined) {
    const sizes = layerSizes(s.cols, g);
    for (const l of LAYERS) if (sizes[l] > 0) lines.push({ className: `key layer ${l}`, decoration: 'swatch', text: `${LAYER_LABELS[l]} ${formatBytes(sizes[l])}` });
    lines.push({ className: 'key', text: `released ${formatBytes(s.cols.heapReleased[g])} · GC goal ${formatBytes(s.cols.gcGoal[g])} · ${s.cols.gcCycles[g]} GCs` });
  }
  // Markers' details come from the target: text nodes, never markup.
  const events = s.events.filter((e) => hover.markers.some((m) => m.time === e.time && m.label === e.label));
  for (const e of events) lines.push({ className: 'event', text: e.detail ?? e.label });
  const area = chart.plotArea;
  const box = chart.size;
  // Written only when it changes: each write is a layout, and a mousemove under a resting pointer.
  const key = `${lines.map((l) => l.text).join('\n')}\n${hover.x} ${area.top} ${area.right} ${area.bottom} ${box.width} ${box.height}`;
  if (!tooltip.hidden && tooltipKey === key) return;
  tooltipKey = key;
  renderKeys(tooltip, lines, 'br');
  setHidden(tooltip, false);
  tooltipPlace = { x: hover.x, top: area.top, right: area.right, width: box.width, height: box.height };
  placeTooltip(tooltip);
}

/**
 * Where the hover box goes, and its size as last laid out — kept by a ResizeObserver, which places
 * it again when the size changes (in the same frame, before it is painted). Reading its size right
 * after writing its text would force a layout each time the values under a resting pointer change:
 * of the whole workbench when the webview shares its renderer (code-server).
 */
let tooltipPlace = { x: 0, top: 0, right: 0, width: 0, height: 0 };
let tooltipSize: { width: number; height: number } | undefined;
let tooltipObserver: ResizeObserver | undefined;

/** Places the hover box (tooltipPlacement) with the size it had when last laid out. */
function placeTooltip(tooltip: HTMLElement): void {
  if (!tooltipObserver) {
    tooltipObserver = new ResizeObserver((entries) => {
      const size = entries[entries.length - 1].borderBoxSize?.[0];
      if (!size || tooltip.hidden) return;
      tooltipSize = { width: size.inlineSize, height: size.blockSize };
      placeTooltip(tooltip);
    });
    tooltipObserver.observe(tooltip);
  }
  const place = tooltipPlacement(tooltipPlace, tooltipSize ?? { width: 0, height: 0 });
  const style = tooltip.style;
  // Only what differs is written: an unchanged position costs no layout.
  for (const side of ['left', 'right', 'top', 'bottom'] as const) if (style[side] !== place[side]) style[side] = place[side];
}

/**
 * The hover box's position (CSS lengths, '' for none) beside the hovered point at `x` of a graph of
 * `width` × `height` whose plot starts at `top` and ends at `right`, for a box of `size`: right of
 * the point, or left of it when it would cross the plot's right edge (never past the graph's left
 * edge); its top level with the plot's, or higher when it would reach below the graph. Where it
 * flips or rises it is anchored by that side, so that its true size places it even before it is known.
 */
export function tooltipPlacement(at: { x: number; top: number; right: number; width: number; height: number }, size: { width: number; height: number }): { left: string; right: string; top: string; bottom: string } {
  const { x, top, right, width, height } = at;
  const horizontal = x + 12 + size.width <= right ? { left: `${x + 12}px`, right: '' } : x - 12 - size.width < 0 ? { left: '0px', right: '' } : { left: '', right: `${width - (x - 12)}px` };
  const vertical = top + 8 <= height - size.height ? { top: `${top + 8}px`, bottom: '' } : { top: '', bottom: '0px' };
  return { ...horizontal, ...vertical };
}

