/**
 * What the webview's series keeps up to date as rows arrive and old ones go (src/webview/
 * clientSeries.ts) — the stacked layers, GC ticks, peaks between samples, the lowest and highest
 * RSS and VSZ, the newest value of a column — equals a recount over the rows kept, at every step;
 * and a copy holding as many rows as a series keeps becomes a window of a fixed span.
 */
import * as assert from 'assert';
import { packSeries, SERIES_COLUMNS, SeriesColumn } from '../../src/shared/series';
import { ClientSeries, LAYERS, MAX_POINTS, stackLayersOf, TRIM_BATCH } from '../../src/webview/clientSeries';
import { seededRandom } from '../support/random';


const MiB = 1024 * 1024;

/** A row like a Go program's: OS figures every time, Go figures now and then, a peak between samples rarely. */
function row(rand: () => number, i: number): Partial<Record<SeriesColumn, number>> {
  const rss = 50 * MiB + rand() * 30 * MiB;
  const go = rand() < 0.15;
  return {
    rss: rand() < 0.02 ? undefined : rss,
    vsz: rand() < 0.05 ? undefined : 900 * MiB + rand() * 100 * MiB,
    rssAnon: rss * 0.9,
    rssFile: rss * 0.1,
    ...(go ? { goTotal: rss * 0.8, heapObjects: rss * 0.4, heapUnused: rss * 0.05, heapFree: rss * 0.1, heapReleased: rss * 0.05, stacks: MiB, gcCycles: Math.floor(i / 7), gcGoal: rss * 0.7 } : {}),
    ...(rand() < 0.01 ? { missedPeak: rss + 5 * MiB } : {}),
    ...(rand() < 0.001 ? { memoryLimit: 100 * MiB } : {}),
  };
}

/** What the series must say, recounted from the rows it holds. */
function recount(c: ClientSeries) {
  const cols = c.cols;
  const range = (values: number[]) => {
    let min = Infinity;
    let max = -Infinity;
    for (const v of values) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    return min <= max ? { min, max } : undefined;
  };
  const ticks: number[] = [];
  let prev = NaN;
  cols.gcCycles.forEach((gc, i) => {
    if (Number.isNaN(gc)) return;
    if (!Number.isNaN(prev) && gc > prev) ticks.push(c.time[i]);
    prev = gc;
  });
  const newest = (column: SeriesColumn) => {
    for (let i = cols[column].length - 1; i >= 0; i--) if (!Number.isNaN(cols[column][i])) return cols[column][i];
    return undefined;
  };
  return {
    layers: stackLayersOf(cols, c.length),
    ticks,
    peaks: cols.missedPeak.map((v, i) => (v > 0 ? i : -1)).filter((i) => i >= 0),
    highestPeak: cols.missedPeak.reduce((max, v) => (v > max ? v : max), 0),
    rss: range(cols.rss),
    vsz: range(cols.vsz),
    memoryLimit: newest('memoryLimit'),
    hasGo: cols.goTotal.some((v) => !Number.isNaN(v)),
  };
}

function kept(c: ClientSeries) {
  return {
    layers: c.layers,
    ticks: [...c.gcTicks()],
    peaks: [...c.peaks()],
    highestPeak: c.highestPeak(),
    rss: c.range('rss'),
    vsz: c.range('vsz'),
    memoryLimit: c.newestValue('memoryLimit'),
    hasGo: c.has('goTotal'),
  };
}

describe("the webview's series, kept up to date as rows come and go", () => {
  it('equals a recount over the rows kept, at every step (state, parts, samples, old rows dropped)', () => {
    for (let seed = 1; seed <= 6; seed++) {
      const rand = seededRandom(seed);
      const c = new ClientSeries();
      // A state of some rows, in two parts, as the host sends a long one.
      const n = 200 + Math.floor(rand() * 300);
      const rows = Array.from({ length: n }, (_, i) => row(rand, i));
      const columns = {} as Record<SeriesColumn, number[]>;
      for (const col of SERIES_COLUMNS) columns[col] = rows.map((r) => r[col] ?? NaN);
      const packed = packSeries({ time: rows.map((_, i) => i * 100), columns, events: [] }, { skipEmpty: true });
      const half = Math.floor(n / 2);
      c.reset({ time: packed.time.slice(0, half), columns: Object.fromEntries(Object.entries(packed.columns).map(([k, v]) => [k, v!.slice(0, half)])), events: [] });
      c.append({ time: packed.time.slice(half), columns: Object.fromEntries(Object.entries(packed.columns).map(([k, v]) => [k, v!.slice(half)])), events: [] });
      assert.deepStrictEqual(kept(c), recount(c), `seed ${seed}: after the state`);
      const windowMs = 20_000 + rand() * 60_000;
      for (let i = n; i < n + 3000; i++) {
        c.push(i * 100, row(rand, i), windowMs);
        if (i % 97 === 0 || i === n + 2999) assert.deepStrictEqual(kept(c), recount(c), `seed ${seed}: row ${i} (${c.base} dropped)`);
      }
      assert.ok(c.base > 0, 'old rows were dropped');
    }
  });

  it('keeps the layers as the recount has them: each starts where the one below ends', () => {
    const rand = seededRandom(7);
    const c = new ClientSeries();
    for (let i = 0; i < 500; i++) c.push(i * 100, row(rand, i), 30_000);
    const layers = c.layers;
    for (let i = 0; i < c.length; i++) {
      if (Number.isNaN(c.cols.goTotal[i])) {
        assert.ok(Number.isNaN(layers.heapInUse.upper[i]));
        continue;
      }
      for (let l = 1; l < LAYERS.length; l++) assert.strictEqual(layers[LAYERS[l]].lower[i], layers[LAYERS[l - 1]].upper[i]);
    }
  });

  it('once as many rows as a series keeps have come, scrolls as a window of their span', () => {
    const c = new ClientSeries();
    const rand = seededRandom(3);
    const day = 86_400_000;
    for (let i = 0; i < MAX_POINTS; i++) c.push(i * 100, { rss: rand() * MiB }, day);
    assert.strictEqual(c.capSpanMs, undefined, 'not full yet');
    assert.strictEqual(c.windowFor(day), day);
    for (let i = MAX_POINTS; i < MAX_POINTS + 5000; i++) {
      c.push(i * 100, { rss: rand() * MiB }, day);
      assert.ok(c.length <= MAX_POINTS + TRIM_BATCH + 1, `row ${i}: ${c.length} kept`);
    }
    assert.strictEqual(c.capSpanMs, MAX_POINTS * 100, 'the span the full copy held');
    assert.strictEqual(c.windowFor(day), MAX_POINTS * 100);
    assert.strictEqual(c.windowFor(60_000), 60_000, 'a shorter window stays');
    assert.deepStrictEqual(kept(c), recount(c));
  });
});
