/**
 * The graph webview's pure parts: the reducer that applies the host's messages, the chart model
 * built from the state, and the per-pixel-column decimation the chart draws from.
 */
import * as assert from 'assert';
import { SERIES_COLUMNS, SeriesColumn } from '../../src/shared/series';
import type { WatchSummary } from '../../src/shared/protocol';
import { countLabelPlacement, decimate } from '../../src/webview/chart';
import { buildChartModel, GraphTheme, MIN_SPAN_MS } from '../../src/webview/chartModel';
import { adviceClass, diagnosisClass } from '../../src/webview/kinds';
import { applyMessage, createState, currentWatch } from '../../src/webview/state';
import { tooltipPlacement } from '../../src/webview/view';

const THEME: GraphTheme = {
  foreground: '#fff',
  muted: '#aaa',
  grid: '#333',
  background: '#000',
  font: '12px sans-serif',
  rss: 'blue',
  vsz: 'orange',
  release: 'green',
  attach: 'purple',
  exit: 'red',
  warning: 'yellow',
  container: 'violet',
  layers: { heapInUse: 'b', freeHeld: 'y', stacks: 'p', otherRuntime: 'g', lazyFree: 'o', outsideGo: 'r' },
};

function summary(id: string, extra: Partial<WatchSummary> = {}): WatchSummary {
  return { id, pid: 1, name: 'svc', commandLine: '', state: 'running', paused: false, intervalMs: 1000, goFigures: { state: 'none', text: '' }, ...extra };
}

/** Columns as the host's snapshot has them; null (what JSON makes of NaN) is read back as missing. */
/** Every column of `n` points, as the host packs them (null: missing, NaN). */
function columns(n: number, fill: (c: SeriesColumn, i: number) => number | null): Record<SeriesColumn, Float64Array> {
  const out = {} as Record<SeriesColumn, Float64Array>;
  for (const c of SERIES_COLUMNS) out[c] = Float64Array.from({ length: n }, (_, i) => fill(c, i) ?? NaN);
  return out;
}

describe('the graph webview (pure parts)', () => {
  it('applies the state, then samples of the current watch only', () => {
    const state = createState();
    const change = applyMessage(state, {
      type: 'state',
      watches: [summary('a'), summary('b')],
      currentId: 'a',
      series: { time: Float64Array.of(1000, 2000), columns: columns(2, (c, i) => (c === 'rss' ? (i + 1) * 100 : null)), events: [] },
      windowMs: 60_000,
      warningBytes: 0,
      busy: false,
    });
    assert.deepStrictEqual(change, { chrome: true, data: true, watch: true });
    assert.strictEqual(currentWatch(state)?.id, 'a');
    assert.deepStrictEqual(state.series.cols.rss, [100, 200]);
    assert.ok(Number.isNaN(state.series.cols.vsz[0]), 'JSON nulls are missing values');
    assert.strictEqual(applyMessage(state, { type: 'samples', watchId: 'b', rows: [{ time: 3000, values: { rss: 1 } }] }), undefined, "another watch's samples change nothing");
    assert.ok(applyMessage(state, { type: 'samples', watchId: 'a', rows: [{ time: 3000, values: { rss: 350, vsz: 900 } }, { time: 3100, values: { rss: 300, vsz: 901 } }] })?.data);
    assert.deepStrictEqual(state.series.cols.rss, [100, 200, 350, 300]);
    assert.deepStrictEqual(currentWatch(state)?.latest, { time: 3100, rss: 300, vsz: 901, peakRss: 350 });
    assert.strictEqual(applyMessage(state, { type: 'nonsense' } as never), undefined);
    assert.deepStrictEqual(applyMessage(state, { type: 'busy', busy: true }), { chrome: true, data: false });
    assert.strictEqual(state.busy, true);
  });

  it('applies the summaries that come with samples after the rows, and draws nothing for summaries alone', () => {
    const state = createState();
    applyMessage(state, { type: 'state', watches: [summary('a')], currentId: 'a', series: { time: Float64Array.of(1000), columns: columns(1, (c) => (c === 'rss' ? 100 : null)), events: [] }, windowMs: 60_000, warningBytes: 0, busy: false });
    const diagnosis = { kind: 'leak' as const, message: 'Live heap grows 1.0 MiB/s', heapProfile: true };
    const newer = summary('a', { diagnosis, latest: { time: 2000, rss: 220, vsz: 900, peakRss: 230 } });
    assert.deepStrictEqual(applyMessage(state, { type: 'samples', watchId: 'a', rows: [{ time: 2000, values: { rss: 220, vsz: 900 } }], summaries: { watches: [newer], currentId: 'a' } }), { chrome: true, data: true });
    assert.deepStrictEqual(state.series.cols.rss, [100, 220]);
    assert.deepStrictEqual(currentWatch(state)?.diagnosis, diagnosis);
    assert.deepStrictEqual(currentWatch(state)?.latest, { time: 2000, rss: 220, vsz: 900, peakRss: 230 }, "the host's summary, made after the rows, has the last word");
    // Rows of a watch not shown: their summaries still count, and nothing is drawn.
    const later = summary('a', { diagnosis: { ...diagnosis, message: 'Live heap grows 2.0 MiB/s' } });
    assert.deepStrictEqual(applyMessage(state, { type: 'samples', watchId: 'b', rows: [{ time: 2100, values: { rss: 1 } }], summaries: { watches: [later], currentId: 'a' } }), { chrome: true, data: false });
    assert.strictEqual(currentWatch(state)?.diagnosis?.message, 'Live heap grows 2.0 MiB/s');
    assert.deepStrictEqual(state.series.cols.rss, [100, 220]);
  });

  it('builds the chart model: the window, the layers only with Go figures, and the thresholds', () => {
    const state = createState();
    const n = 100;
    applyMessage(state, {
      type: 'state',
      watches: [summary('a')],
      currentId: 'a',
      series: {
        time: Float64Array.from({ length: n }, (_, i) => 1_000_000 + i * 1000),
        columns: columns(n, (c, i) => (c === 'rss' ? 100 + i : c === 'memoryLimit' ? 5000 : c === 'goTotal' && i > 50 ? 90 : ['heapObjects', 'heapUnused', 'heapFree', 'heapReleased', 'stacks'].includes(c) && i > 50 ? 10 : null)),
        events: [{ id: 1, time: 1_000_000, kind: 'attach', label: 'attached' }],
      },
      windowMs: 30_000,
      warningBytes: 4096,
      busy: false,
    });
    const model = buildChartModel(state, THEME, false);
    assert.strictEqual(model.xMax, 1_000_000 + 99_000);
    assert.strictEqual(model.xMin, model.xMax - 30_000, 'the window scrolls');
    assert.strictEqual(model.bands?.length, 6, 'six layers once Go figures exist');
    assert.deepStrictEqual(model.thresholds.map((t) => t.label), ['warning 4.0 KiB', 'GOMEMLIMIT 4.9 KiB']);
    assert.ok(!model.series.some((x) => x.name === 'working set'), 'no container lines without a container limit');
    assert.strictEqual(model.markers[0].color, 'purple');
    assert.strictEqual(model.series.find((s) => s.name === 'RSS')?.fill, false, 'RSS outlines the layers');
    // A short history is shown over MIN_SPAN_MS.
    const short = createState();
    applyMessage(short, { type: 'state', watches: [summary('a')], currentId: 'a', series: { time: Float64Array.of(5000), columns: columns(1, () => 1), events: [] }, windowMs: 300_000, warningBytes: 0, busy: false });
    const m = buildChartModel(short, THEME, true);
    assert.strictEqual(m.xMax - m.xMin, MIN_SPAN_MS);
    assert.strictEqual(m.compact, true);
  });

  it('decimates per pixel column: first, highest, lowest, last; NaN starts a new run', () => {
    // Ten points over 2 px columns, then a gap, then one more.
    const time = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    const values = [5, 9, 1, 4, 7, 7, 2, 8, 3, 6, NaN, 4];
    // x = round(t × 0.2): columns 0 (t 0–2), 1 (t 3–7), 2 (t 8–9), then 2 again after the gap; y = 100 − v.
    const { data, runStarts } = decimate(time, values, 0, time.length, 0, 0.2, 0, 100, 1);
    const cols = [];
    for (let k = 0; k < data.length; k += 5) cols.push(data.slice(k, k + 5));
    assert.deepStrictEqual(cols, [
      [0, 95, 91, 99, 99],
      [1, 96, 92, 98, 92],
      [2, 97, 94, 97, 94],
      [2, 96, 96, 96, 96],
    ]);
    assert.deepStrictEqual(runStarts, [0, 3]);
  });

  it('draws another run over this one: its own times, dashed, and the table; a new watch clears it', () => {
    const state = createState();
    applyMessage(state, { type: 'state', watches: [summary('a')], currentId: 'a', series: { time: Float64Array.of(1000, 2000, 3000), columns: columns(3, (c, i) => (c === 'rss' ? 100 * (i + 1) : null)), events: [] }, windowMs: 60_000, warningBytes: 0, busy: false });
    applyMessage(state, {
      type: 'compare',
      comparison: { nameA: 'before', nameB: 'after', alignedOn: 'at their start', time: Float64Array.of(1000, 1500, 2500), rss: Float64Array.of(50, NaN, 70), rows: [{ title: 'Peak RSS', a: '300 B', b: '70 B', difference: '−230 B', ratio: '×0.23' }], markdown: '|' },
    });
    assert.ok(Number.isNaN(state.comparison!.rss[1]), 'a missing value stays missing');
    const model = buildChartModel(state, THEME, false);
    const overlay = model.series.find((x) => x.name === 'RSS — after')!;
    assert.deepStrictEqual(Array.from(overlay.time!), [1000, 1500, 2500]);
    assert.deepStrictEqual(overlay.dash, [6, 3]);
    applyMessage(state, { type: 'state', watches: [summary('b')], currentId: 'b', windowMs: 60_000, warningBytes: 0, busy: false });
    assert.strictEqual(state.comparison, undefined);
  });

  it("draws a fleet's other replicas faint, under the one shown; never the one shown, never junk; a new state clears them", () => {
    const state = createState();
    applyMessage(state, { type: 'state', watches: [summary('a'), summary('b')], currentId: 'a', series: { time: Float64Array.of(1000, 2000), columns: columns(2, (c) => (c === 'rss' ? 100 : null)), events: [] }, windowMs: 60_000, warningBytes: 0, busy: false });
    assert.ok(applyMessage(state, { type: 'overlay', id: 'b', name: 'pod-b', time: Float64Array.of(1000, 2000), rss: Float64Array.of(300, 400) }));
    assert.strictEqual(applyMessage(state, { type: 'overlay', id: 'a', name: 'itself', time: Float64Array.of(1000), rss: Float64Array.of(1) }), undefined, 'the one shown is not its own overlay');
    assert.strictEqual(applyMessage(state, { type: 'overlay', id: 'c', name: 'junk', time: Float64Array.of(1000, 2000), rss: Float64Array.of(1) }), undefined, 'times and values differ in length');
    const model = buildChartModel(state, THEME, false);
    const others = model.series.filter((x) => x.under);
    assert.deepStrictEqual(others.map((x) => x.name), ['RSS — pod-b']);
    assert.ok(others[0].alpha! < 1 && others[0].width! <= 1, 'faint and thin');
    assert.ok(model.series.indexOf(others[0]) < model.series.findIndex((x) => x.name === 'RSS'), 'behind the RSS shown');
    applyMessage(state, { type: 'state', watches: [summary('a'), summary('b')], currentId: 'b', windowMs: 60_000, warningBytes: 0, busy: false });
    assert.deepStrictEqual(state.overlays, []);
  });

  it('fits a recording\'s time axis to its run and the run compared with it; a live window keeps its minimum span', () => {
    // A 12 s recording, sent with its length as the window (as the recording editor sends it).
    const time = Float64Array.from({ length: 49 }, (_, i) => 1_000_000 + i * 250);
    const message = { type: 'state' as const, watches: [summary('r', { state: 'exited' })], currentId: 'r', series: { time, columns: columns(49, (c) => (c === 'rss' ? 100 : null)), events: [] }, windowMs: 12_000, warningBytes: 0, busy: false };
    const recording = createState(true);
    applyMessage(recording, message);
    let model = buildChartModel(recording, THEME, false);
    assert.deepStrictEqual([model.xMin, model.xMax], [1_000_000, 1_012_000], 'first sample to last');
    // The same series live: shown over the minimum span.
    const live = createState();
    applyMessage(live, message);
    const liveModel = buildChartModel(live, THEME, false);
    assert.strictEqual(liveModel.xMax - liveModel.xMin, MIN_SPAN_MS);
    // A compared run that goes on longer (and its peak between samples): the axis holds it, and its whiskers are in the model.
    applyMessage(recording, {
      type: 'compare',
      comparison: { nameA: 'a', nameB: 'b', alignedOn: 'at their start', time: Float64Array.of(1_000_000, 1_010_000, 1_020_000), rss: Float64Array.of(50, 60, 70), missedPeak: Float64Array.of(NaN, 500, NaN), rows: [], markdown: '|' },
    });
    model = buildChartModel(recording, THEME, false);
    assert.deepStrictEqual([model.xMin, model.xMax], [1_000_000, 1_020_000]);
    assert.deepStrictEqual(Array.from(model.comparedPeaks!.values).map((v) => (Number.isNaN(v) ? null : v)), [null, 500, null]);
    assert.strictEqual(model.comparedPeaks!.color, THEME.foreground, 'in the compared line\'s colour');
  });
});

describe('the hover box', () => {
  it('places the hover box where reading its size after each write placed it, and a flipped box right even with a stale size', () => {
    // Where the box went when its size was read from the layout after its text was written (before 27).
    const measured = (x: number, top: number, right: number, height: number, w: number, h: number) => ({
      left: Math.max(0, x + 12 + w > right ? x - 12 - w : x + 12),
      top: Math.min(top + 8, height - h),
    });
    // What the CSS lengths come to for a box of the given size.
    const resolved = (p: ReturnType<typeof tooltipPlacement>, width: number, height: number, w: number, h: number) => ({
      left: p.left ? parseFloat(p.left) : width - parseFloat(p.right) - w,
      top: p.top ? parseFloat(p.top) : height - parseFloat(p.bottom) - h,
    });
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * n;
    const sides = { flipped: 0, right: 0, clamped: 0, raised: 0 };
    for (let k = 0; k < 2000; k++) {
      const width = 200 + Math.round(rnd(1200));
      const height = 60 + Math.round(rnd(700));
      const top = Math.round(rnd(30));
      const right = width - Math.round(rnd(60));
      const x = Math.round(rnd(right));
      const w = 80 + Math.round(rnd(400));
      const h = 40 + Math.round(rnd(300));
      const at = { x, top, right, width, height };
      const want = measured(x, top, right, height, w, h);
      assert.deepStrictEqual(resolved(tooltipPlacement(at, { width: w, height: h }), width, height, w, h), want, JSON.stringify({ at, w, h }));
      // The same side with an older size (a value under the pointer grew or shrank): the true size places it.
      const stale = { width: Math.max(0, w - 8), height: h };
      const flipsAlike = (x + 12 + stale.width > right) === (x + 12 + w > right) && (x - 12 - stale.width < 0) === (x - 12 - w < 0);
      if (flipsAlike && x + 12 + w > right && x - 12 - w >= 0) assert.deepStrictEqual(resolved(tooltipPlacement(at, stale), width, height, w, h), want);
      if (x + 12 + w > right) sides[x - 12 - w < 0 ? 'clamped' : 'flipped']++;
      else sides.right++;
      if (top + 8 > height - h) sides.raised++;
    }
    // Every branch was taken.
    for (const [side, n] of Object.entries(sides)) assert.ok(n > 20, `${side}: ${n}`);
  });
});

describe('the label at the end of a count line ("12 goroutines")', () => {
  // Was a bug (seen in the URL-target screenshot): early in a watch the newest point is near the
  // left edge, and the label, right-aligned to end before it, ran over the left axis's labels.
  it('ends just before its newest point when it fits inside the plot', () => {
    assert.deepStrictEqual(countLabelPlacement(600, 80, 60, 1300), { x: 596, align: 'right' });
  });

  it('starts just after the point when it would run past the plot\'s left edge, never outside the plot', () => {
    assert.deepStrictEqual(countLabelPlacement(70, 80, 60, 1300), { x: 74, align: 'left' });
    // Near the right edge it ends inside the plot; wider than the plot, it starts at its left edge.
    assert.deepStrictEqual(countLabelPlacement(80, 80, 60, 150), { x: 70, align: 'left' });
    assert.deepStrictEqual(countLabelPlacement(1299, 2000, 60, 1300), { x: 60, align: 'left' });
  });
});

describe('classes named by the host\'s kinds (a recording\'s diagnosis is the file\'s text)', () => {
  it('a known diagnosis kind is its class; anything else, a neutral one', () => {
    assert.strictEqual(diagnosisClass('leak'), 'diagnosis leak');
    assert.strictEqual(diagnosisClass('near-limit'), 'diagnosis near-limit');
    for (const kind of [undefined, '', 'leak live-heap', 'leak" onclick="x', 'a-later-kind', '__proto__', 'toString', 42, {}]) {
      assert.strictEqual(diagnosisClass(kind), 'diagnosis', String(kind));
    }
  });

  it('advice: the same', () => {
    assert.strictEqual(adviceClass('gomemlimit-unset'), 'gomemlimit-unset');
    for (const kind of [undefined, 'gomemlimit-unset x', 'leak', '__proto__']) assert.strictEqual(adviceClass(kind), '', String(kind));
  });
});
