/**
 * The reduction to pixel columns kept as samples arrive (src/webview/columns.ts) against the one
 * worked out from the samples (decimate() in chart.ts), on random series: gaps, bridged gaps,
 * many samples per column and few, views that scroll and views cut anywhere; kept a few rows at
 * a time it equals built at once; the highest value in view equals a plain scan.
 */
import * as assert from 'assert';
import { decimate } from '../../src/webview/chart';
import { columnOf, CurveColumns, CurveSource, Entries, Lattice } from '../../src/webview/columns';
import { seededRandom } from '../support/random';


interface Series {
  time: number[];
  values: number[];
  also?: number[];
  bridgeMs: number;
}

/** Samples every ~intervalMs (jittered), values a walk with spikes, missing as often as `missing`. */
function series(rand: () => number, n: number, intervalMs: number, missing: number, bridgeMs: number, withAlso = false): Series {
  const time: number[] = [];
  const values: number[] = [];
  const also: number[] = [];
  let t = 1_700_000_000_000 + Math.floor(rand() * 1e6);
  let v = 100 + rand() * 50;
  for (let i = 0; i < n; i++) {
    t += Math.max(1, Math.round(intervalMs * (0.5 + rand())));
    // Now and then a long pause (the line may break even when bridged).
    if (rand() < 0.01) t += Math.round(rand() * 30_000);
    v = Math.max(0, v + (rand() - 0.5) * 10 + (rand() < 0.02 ? 80 : 0));
    time.push(t);
    values.push(rand() < missing ? NaN : Math.round(v * 100) / 100);
    also.push(rand() < missing / 4 ? NaN : v / 2);
  }
  return { time, values, also: withAlso ? also : undefined, bridgeMs };
}

/** decimate()'s columns in value space (y = v: bottom 0, yScale −1), as Entries are. */
function reference(s: Series, first: number, last: number, lattice: Lattice): { column: number; first: number; high: number; low: number; last: number; runStart: boolean }[] {
  const values = s.also ? s.values.map((v, i) => (Number.isNaN(s.also![i]) ? NaN : v)) : s.values;
  const { data, runStarts } = decimate(s.time, values, first, last, lattice.left, lattice.xScale, lattice.origin, 0, -1, s.bridgeMs);
  const out = [];
  for (let k = 0; k < data.length / 5; k++) out.push({ column: data[k * 5], first: data[k * 5 + 1], high: data[k * 5 + 3], low: data[k * 5 + 2], last: data[k * 5 + 4], runStart: runStarts.includes(k) });
  return out;
}

function asList(e: Entries): { column: number; first: number; high: number; low: number; last: number; runStart: boolean }[] {
  return e.column.slice(0, e.length).map((column, k) => ({ column, first: e.first[k], high: e.high[k], low: e.low[k], last: e.last[k], runStart: e.runStart[k] }));
}

function source(s: Series, base = 0, from = 0, to = s.time.length): CurveSource {
  return { time: s.time.slice(from, to), values: s.values.slice(from, to), also: s.also?.slice(from, to), bridgeMs: s.bridgeMs, base: base + from, count: to - from };
}

/** The view [t0, t1] as the chart takes it: rows from one before t0 to one after t1. */
function viewOf(time: number[], t0: number, t1: number): [number, number] {
  const lower = (t: number) => {
    let i = 0;
    while (i < time.length && time[i] < t) i++;
    return i;
  };
  return [Math.max(0, lower(t0) - 1), Math.min(time.length, lower(t1) + 1)];
}

/** One Entries for every call, cleared each time, as the chart keeps one: what a longer use left behind never shows. */
const reused = new Entries();

function entriesOf(cols: CurveColumns, src: CurveSource, first: number, last: number, ka = -Infinity, kb = Infinity): Entries {
  const out = reused;
  out.clear();
  cols.entries(src, last, cols.firstValidRow(src, first, last), ka, kb, out);
  return out;
}

describe('the reduction to pixel columns, kept as samples arrive', () => {
  const cases: [string, number, number, number, boolean][] = [
    // name, interval (ms), missing share, bridge (ms), a second curve (a layer's lower edge)
    ['dense, nothing missing', 100, 0, 0, false],
    ['dense, gaps break the line', 100, 0.05, 0, false],
    ['sparse Go figures, bridged', 100, 0.9, 12_000, false],
    ['a layer of the stack (two curves)', 100, 0.3, 12_000, true],
    ['fewer samples than columns', 2000, 0.1, 0, false],
  ];
  for (const [name, interval, missing, bridge, withAlso] of cases) {
    it(`equals decimate() column by column: ${name}`, () => {
      for (let seed = 1; seed <= 12; seed++) {
        const rand = seededRandom(seed * 7919 + interval);
        const s = series(rand, 3000 + Math.floor(rand() * 3000), interval, missing, bridge, withAlso);
        const span = s.time[s.time.length - 1] - s.time[0];
        const width = 300 + Math.floor(rand() * 1200);
        // A view somewhere in the series, at most all of it.
        const viewSpan = span * (0.05 + rand() * 0.95);
        const t0 = s.time[0] + rand() * (span - viewSpan);
        const lattice: Lattice = { origin: t0, xScale: width / viewSpan, left: 40 + rand() * 30 };
        const [first, last] = viewOf(s.time, t0, t0 + viewSpan);
        const src = source(s);
        const cols = new CurveColumns(lattice, first);
        cols.ingest(src);
        assert.deepStrictEqual(asList(entriesOf(cols, src, first, last)), reference(s, first, last, lattice), `seed ${seed}`);
        // Any run of columns: the same entries as the whole, those columns only.
        const all = reference(s, first, last, lattice);
        if (all.length > 4) {
          const a = all[Math.floor(rand() * all.length)].column;
          const b = a + Math.floor(rand() * 50);
          assert.deepStrictEqual(
            asList(entriesOf(cols, src, first, last, a, b)),
            all.filter((e) => e.column >= a && e.column <= b),
            `seed ${seed}: columns ${a}–${b}`,
          );
        }
        // The highest value in view.
        let max = -Infinity;
        for (let i = first; i < last; i++) if (s.values[i] > max) max = s.values[i];
        if (!withAlso) assert.strictEqual(cols.maxIn(src, last, cols.firstValidRow(src, first, last)), max, `seed ${seed}: max`);
      }
    });
  }

  it('kept a few rows at a time, as the view scrolls and old rows are dropped, equals built at once', function () {
    // Each step is checked against a recount of the whole view: ≈ 0.25 s a seed on a quiet core.
    this.timeout(30_000);
    for (let seed = 1; seed <= 10; seed++) {
      const rand = seededRandom(seed * 104729);
      const s = series(rand, 6000, 100, rand() < 0.5 ? 0.9 : 0.02, rand() < 0.5 ? 12_000 : 0);
      const width = 800 + Math.floor(rand() * 400);
      const windowMs = 60_000 + rand() * 240_000;
      // The window's right edge at the newest row; the lattice made at the first view.
      let n = 1500;
      const firstView = viewOf(s.time.slice(0, n), s.time[n - 1] - windowMs, s.time[n - 1]);
      const lattice: Lattice = { origin: s.time[n - 1] - windowMs, xScale: width / windowMs, left: 50.25 };
      const kept = new CurveColumns(lattice, firstView[0]);
      let base = 0;
      while (n < s.time.length) {
        n = Math.min(s.time.length, n + 1 + Math.floor(rand() * 25));
        // Rows older than the window go in batches, as ClientSeries drops them.
        const cutoff = s.time[n - 1] - windowMs;
        let drop = base;
        while (drop < n && s.time[drop] < cutoff) drop++;
        if (drop - base > 64) base = drop;
        const src = source(s, 0, base, n);
        kept.ingest(src);
        // Scrolled by whole pixels, the newest row at the right edge.
        const shift = Math.ceil((s.time[n - 1] - lattice.origin) * lattice.xScale - width);
        const xMin = lattice.origin + shift / lattice.xScale;
        const local = viewOf(src.time as number[], xMin, xMin + windowMs);
        const first = local[0] + base;
        const last = local[1] + base;
        const built = new CurveColumns(lattice, first);
        built.ingest(src);
        const expected = reference(s, first, last, lattice);
        assert.deepStrictEqual(asList(entriesOf(kept, src, first, last)), expected, `seed ${seed}, ${n} rows`);
        assert.deepStrictEqual(asList(entriesOf(built, src, first, last)), expected, `seed ${seed}, ${n} rows, built at once`);
        // Columns before the view's first row (one before its left edge) are not needed again.
        if (rand() < 0.2) kept.dropBefore(columnOf(lattice, s.time[first]));
      }
    }
  });

  it('finds the first row with a value through the columns', () => {
    const rand = seededRandom(99);
    const s = series(rand, 4000, 100, 0.95, 12_000);
    const lattice: Lattice = { origin: s.time[0], xScale: 1000 / (s.time[3999] - s.time[0]), left: 10 };
    const cols = new CurveColumns(lattice, 0);
    const src = source(s);
    cols.ingest(src);
    for (let k = 0; k < 200; k++) {
      const first = Math.floor(rand() * 3999);
      const last = first + 1 + Math.floor(rand() * (4000 - first - 1));
      let expected = -1;
      for (let i = first; i < last; i++) {
        if (!Number.isNaN(s.values[i])) {
          expected = i;
          break;
        }
      }
      assert.strictEqual(cols.firstValidRow(src, first, last), expected, `[${first}, ${last})`);
    }
  });
});
