import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { adviseContainer, DEFAULT_DIAGNOSIS, detectGoroutineLeak, Diagnosis, diagnose, diagnoseContainer, detectLeak, withHeapFinding, workingSetTrend } from '../../src/core/diagnosis';
import { formatBytes, formatDuration, MiB } from '../../src/shared/format';
import { packSeries, SERIES_COLUMNS, SeriesColumn, SeriesSnapshot, TimeSeries } from '../../src/shared/series';
import { ClientSeries, layerSizes, stackLayers } from '../../src/webview/clientSeries';

/**
 * Series recorded by test/integration/diagnosis.test.ts from real programs (Go 1.26, Linux):
 * 250 ms samples with Go figures from the agent.
 */
function recorded(name: string): SeriesSnapshot {
  return JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'test', 'unit', 'recorded', `series-${name}.json`), 'utf8'));
}

/** A TimeSeries with the recorded points (up to `until`, a time). */
function rebuild(snapshot: SeriesSnapshot, until = Infinity): TimeSeries {
  const s = new TimeSeries(600_000, 20_000);
  snapshot.time.forEach((t, i) => {
    if (t > until) return;
    const row: Partial<Record<SeriesColumn, number>> = {};
    for (const c of SERIES_COLUMNS) row[c] = snapshot.columns[c]?.[i] ?? NaN;
    s.push(t, row);
  });
  return s;
}

const FAST = { ...DEFAULT_DIAGNOSIS, leakMinSpanMs: 8000 };

describe('diagnosis', () => {
  it('live heap: a program holding 200 MiB', () => {
    const d = diagnose(rebuild(recorded('live-heap')))!;
    assert.strictEqual(d.kind, 'live-heap');
    assert.ok(d.bytes > 195 * MiB && d.bytes < 210 * MiB, String(d.bytes / MiB));
  });

  it('live heap is said against the RSS of the moment its figures were read, never "of" a smaller RSS', () => {
    // Go figures are read at most once a second, RSS every sample: RSS fell 198 → 84 MiB since.
    const s = new TimeSeries(600_000, 100);
    s.push(1000, { rss: 198 * MiB, heapObjects: 150 * MiB, heapLive: 150 * MiB, heapUnused: 10 * MiB, goTotal: 190 * MiB });
    s.push(1500, { rss: 84 * MiB });
    assert.strictEqual(diagnose(s)!.message, 'Live heap is 150.0 MiB of 198.0 MiB RSS — memory the program is using now.');
    // Heap pages in use but not (yet) resident: the heap outgrows RSS.
    const t = new TimeSeries(600_000, 100);
    t.push(1000, { rss: 84 * MiB, heapObjects: 91.5 * MiB, heapLive: 91.5 * MiB, heapUnused: 0.5 * MiB, goTotal: 100 * MiB });
    const d = diagnose(t)!;
    assert.strictEqual(d.kind, 'live-heap');
    assert.strictEqual(d.message, 'Live heap is 91.5 MiB (RSS 84.0 MiB: not all of it is resident) — memory the program is using now.');
  });

  it('after a spike the free heap is held; after Free OS Memory nothing stands out', () => {
    const snap = recorded('spike-then-free');
    const release = snap.events.find((e) => e.kind === 'release')!;
    const before = diagnose(rebuild(snap, release.time - 1))!;
    assert.strictEqual(before.kind, 'free-held');
    assert.match(before.message, /is free heap the Go runtime still holds — it returns it gradually; Free OS Memory releases it now\.$/);
    assert.strictEqual(diagnose(rebuild(snap)), undefined);
  });

  it('a steady leak, once the data spans long enough', () => {
    const s = rebuild(recorded('leak'));
    assert.strictEqual(detectLeak(s, FAST)?.kind, 'leak');
    assert.strictEqual(detectLeak(s, DEFAULT_DIAGNOSIS), undefined, 'seconds are not the default 3 minutes');
    assert.match(diagnose(s, FAST)!.message, /^Live heap grew \d+ % in /);
  });

  it('a leak names the code the heap profile found; a reason the profile cannot explain does not', () => {
    const leak = diagnose(rebuild(recorded('leak')), FAST)!;
    const finding = '91 % of the growth (+88.0 MiB) was allocated at main.(*store).add (main.go:57)';
    assert.strictEqual(withHeapFinding(leak, finding).message, `${leak.message} 91 % of the growth (+88.0 MiB) was allocated at main.(*store).add (main.go:57).`);
    assert.strictEqual(withHeapFinding(leak, undefined), leak);
    const lazy = diagnose(rebuild(recorded('madv-free')))!;
    assert.strictEqual(withHeapFinding(lazy, finding), lazy, 'MADV_FREE pages are not on any allocation site');
  });

  it('MADV_FREE: released pages still in RSS', () => {
    const d = diagnose(rebuild(recorded('madv-free')))!;
    assert.strictEqual(d.kind, 'lazy-free');
  });

  it('cgo: memory outside the Go runtime', () => {
    const d = diagnose(rebuild(recorded('cgo')))!;
    assert.strictEqual(d.kind, 'outside-go');
    assert.ok(d.bytes > 190 * MiB, String(d.bytes / MiB));
  });

  it('names nothing below 16 MiB or 20 % of RSS', () => {
    const s = new TimeSeries(60_000, 256);
    s.push(0, { rss: 12 * MiB, rssAnon: 8 * MiB, heapObjects: 3 * MiB, heapUnused: 1 * MiB, heapFree: 4 * MiB, heapReleased: 0, stacks: MiB, goTotal: 10 * MiB, gcGoal: 4 * MiB, gcCycles: 3 });
    assert.strictEqual(diagnose(s), undefined);
    const big = new TimeSeries(60_000, 256);
    // 30 MiB free of a 1 GiB RSS is not why RSS is high: live heap is.
    big.push(0, { rss: 1024 * MiB, rssAnon: 1000 * MiB, heapObjects: 900 * MiB, heapUnused: 10 * MiB, heapFree: 30 * MiB, heapReleased: 0, stacks: MiB, goTotal: 990 * MiB, gcGoal: 1800 * MiB, gcCycles: 3 });
    assert.strictEqual(diagnose(big)!.kind, 'live-heap');
  });

  it('a growing heap without GC cycles is not called a leak', () => {
    const s = new TimeSeries(600_000, 1024);
    for (let i = 0; i < 100; i++) s.push(i * 1000, { rss: (100 + i) * MiB, heapObjects: (50 + i) * MiB, heapUnused: 0, heapFree: 0, heapReleased: 0, stacks: 0, goTotal: (60 + i) * MiB, gcGoal: 200 * MiB, gcCycles: 4 });
    assert.strictEqual(detectLeak(s, FAST), undefined);
  });

  it('uses Go figures only while fresh (pprof is read every 5 s, a lost source goes stale)', () => {
    const s = new TimeSeries(600_000, 256);
    s.push(0, { rss: 300 * MiB, heapObjects: 10 * MiB, heapUnused: 0, heapFree: 250 * MiB, heapReleased: 0, stacks: 0, goTotal: 280 * MiB, gcGoal: 20 * MiB, gcCycles: 2 });
    s.push(5000, { rss: 300 * MiB });
    assert.strictEqual(diagnose(s)!.kind, 'free-held');
    s.push(60_000, { rss: 300 * MiB });
    assert.strictEqual(diagnose(s), undefined);
  });
});

describe('the stacked layers of RSS', () => {
  it('split RSS into Go classes, lazily freed pages and memory outside Go, clipped at RSS', () => {
    const c = new ClientSeries();
    c.reset(packSeries(recorded('cgo')));
    const last = c.length - 1;
    const sizes = layerSizes(c.cols, last);
    assert.ok(sizes.outsideGo > 190 * MiB);
    const layers = stackLayers(c);
    assert.ok(layers.outsideGo.upper[last] <= c.cols.rss[last]);
    assert.strictEqual(layers.heapInUse.lower[last], 0);
    assert.strictEqual(layers.freeHeld.lower[last], layers.heapInUse.upper[last], 'each layer starts where the one below ends');
  });

  it('has no layers where a point has no Go figures', () => {
    const c = new ClientSeries();
    c.push(1, { rss: 10 * MiB }, 60_000);
    assert.ok(Number.isNaN(stackLayers(c).heapInUse.upper[0]));
  });

  it('reads NaN and columns left out as missing', () => {
    const c = new ClientSeries();
    c.reset({ time: Float64Array.of(1), columns: { rss: Float64Array.of(5), vsz: Float64Array.of(NaN) }, events: [] });
    assert.ok(Number.isNaN(c.cols.vsz[0]));
    assert.ok(Number.isNaN(c.cols.goTotal[0]), 'absent columns too');
  });

  it('marks GC cycles where the count goes up', () => {
    const c = new ClientSeries();
    [1, 1, 2, NaN, 4].forEach((gc, i) => c.push(i * 100, { rss: 1, gcCycles: gc }, 60_000));
    assert.deepStrictEqual(c.gcTicks(), [200, 400]);
  });

  it('a goroutine leak (recorded: 20 goroutines every 100 ms that never end): named, with their stacks; not in a steady program', () => {
    const series = rebuild(recorded('goroutine-leak'));
    const d = detectGoroutineLeak(series, FAST)!;
    assert.strictEqual(d.kind, 'goroutine-leak');
    assert.match(d.message, /^Goroutines grew from \d+ to \d+ in \d+(\.\d)? s and do not come down — a goroutine leak \(stacks hold /);
    assert.strictEqual(detectGoroutineLeak(series), undefined, 'with the default 3-minute span, seconds are not enough');
    assert.strictEqual(detectGoroutineLeak(rebuild(recorded('live-heap')), FAST), undefined);
  });

  describe('in a memory-limited cgroup (recorded: a service with the agent growing 16 MiB/s in a 128 MiB cgroup)', () => {
    const growth = recorded('container-growth');
    const SHORT = { ...DEFAULT_DIAGNOSIS, trendMinSpanMs: 3000, trendWindowMs: 10_000 };
    const limitAt = (i: number) => growth.columns.cgroupLimit[i];
    const firstAbove = (share: number) => growth.time[growth.columns.cgroupWorkingSet.findIndex((v, i) => v >= share * limitAt(i))];

    it('near the limit outranks every other reason: "Working set is 9x % of the container limit"', () => {
      const d = diagnose(rebuild(growth))!;
      assert.strictEqual(d.kind, 'near-limit');
      assert.match(d.message, /^Working set is (9\d|100) % of the container limit \(\d+\.\d MiB of 128\.0 MiB\) — the OOM killer acts at the limit\./);
      // Just below 90 %, it is not "near" yet.
      const before = rebuild(growth, firstAbove(0.9) - 1);
      assert.notStrictEqual(diagnoseContainer(before)?.kind, 'near-limit');
    });

    it('the trend: at the rate of the last window, when the limit is reached', () => {
      const until = firstAbove(0.6);
      const s = rebuild(growth, until);
      const trend = workingSetTrend(s, SHORT)!;
      // The grower adds an 8 MiB block every half second; the fitted line says so within 30 %.
      const perSecond = trend.slope * 1000;
      assert.ok(perSecond > 11.2 * MiB && perSecond < 20.8 * MiB, `${perSecond / MiB} MiB/s`);
      const d = diagnoseContainer(s, SHORT)!;
      assert.strictEqual(d.kind, 'limit-trend');
      assert.match(d.message, /growing\. At the rate of the last \d+(\.\d)? s \(\+\d+\.\d MiB\/min\) the limit is reached in ~1 min\.$/);
      // With the default window, a few seconds of data are not a trend.
      assert.strictEqual(diagnoseContainer(s), undefined);
    });

    it('advice: GOMEMLIMIT unset (the agent says so), above the limit, or fine', () => {
      assert.deepStrictEqual(adviseContainer(rebuild(growth)).map((a) => a.message), [
        'GOMEMLIMIT is not set, but the container limit is 128.0 MiB — set it to about 90 % (GOMEMLIMIT=115MiB): the Go GC then works harder before the kill instead of after.',
      ]);
      // The same run as if GOMEMLIMIT had been 1 GiB, then 100 MiB (only that column differs).
      const withLimit = (bytes: number) => ({ ...growth, columns: { ...growth.columns, memoryLimit: growth.columns.memoryLimit.map((v) => (Number.isNaN(v) || v === null ? v : bytes)) } });
      assert.deepStrictEqual(adviseContainer(rebuild(withLimit(1024 * MiB))).map((a) => a.kind), ['gomemlimit-above-limit']);
      assert.match(adviseContainer(rebuild(withLimit(1024 * MiB)))[0].message, /^GOMEMLIMIT \(1\.0 GiB\) is above the container limit \(128\.0 MiB\)/);
      assert.deepStrictEqual(adviseContainer(rebuild(withLimit(100 * MiB))), []);
      // Without a container limit there is nothing to advise.
      assert.deepStrictEqual(adviseContainer(rebuild(recorded('live-heap'))), []);
    });
  });
});

/**
 * The leak detectors as they were written first (an object per point, slices and spreads): the
 * reference the allocation-free ones must agree with, on any series.
 */
function referenceLeak(s: TimeSeries, o = DEFAULT_DIAGNOSIS): Diagnosis | undefined {
  const points: { t: number; live: number; gc: number }[] = [];
  for (let i = 0; i < s.length; i++) {
    const heapLive = s.value('heapLive', i);
    const live = Number.isNaN(heapLive) ? s.value('heapObjects', i) : heapLive;
    if (!Number.isNaN(live)) points.push({ t: s.time(i), live, gc: s.value('gcCycles', i) });
  }
  if (points.length < 10) return undefined;
  const span = points[points.length - 1].t - points[0].t;
  if (span < o.leakMinSpanMs) return undefined;
  if (!(points[points.length - 1].gc - points[0].gc >= o.leakMinGcCycles)) return undefined;
  const fifth = Math.max(1, Math.floor(points.length / 5));
  const before = Math.min(...points.slice(0, fifth).map((p) => p.live));
  const after = Math.min(...points.slice(-fifth).map((p) => p.live));
  const grown = after - before;
  if (before <= 0 || grown < o.leakMinBytes || grown / before < o.leakGrowth) return undefined;
  return {
    kind: 'leak',
    bytes: grown,
    message: `Live heap grew ${Math.round((grown / before) * 100)} % in ${formatDuration(span)} and GC does not bring it down — look for a leak (heap profile).`,
  };
}

function referenceGoroutineLeak(s: TimeSeries, o = DEFAULT_DIAGNOSIS): Diagnosis | undefined {
  const points: { t: number; n: number; stacks: number }[] = [];
  for (let i = 0; i < s.length; i++) {
    const n = s.value('goroutines', i);
    if (!Number.isNaN(n)) points.push({ t: s.time(i), n, stacks: s.value('stacks', i) });
  }
  if (points.length < 10) return undefined;
  const span = points[points.length - 1].t - points[0].t;
  if (span < o.leakMinSpanMs) return undefined;
  const fifth = Math.max(1, Math.floor(points.length / 5));
  const before = Math.min(...points.slice(0, fifth).map((p) => p.n));
  const after = Math.min(...points.slice(-fifth).map((p) => p.n));
  if (after - before < 100 || after < 2 * before) return undefined;
  const stacks = points[points.length - 1].stacks;
  const held = Number.isNaN(stacks) ? '' : ` (stacks hold ${formatBytes(stacks)})`;
  return {
    kind: 'goroutine-leak',
    bytes: Number.isNaN(stacks) ? 0 : stacks,
    message: `Goroutines grew from ${before} to ${after} in ${formatDuration(span)} and do not come down — a goroutine leak${held}.`,
  };
}

describe('the leak detectors agree with their first, point-by-point form', () => {
  it('on 400 random series: gaps, rises, falls, heap figures missing in places, a window that evicted', () => {
    let seed = 20261129;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const o = { ...DEFAULT_DIAGNOSIS, leakMinSpanMs: 5_000, leakMinGcCycles: 2 };
    let leaks = 0;
    let goroutineLeaks = 0;
    for (let round = 0; round < 400; round++) {
      const rows = 5 + Math.floor(random() * 600);
      const s = new TimeSeries(20_000 + random() * 60_000, 20_000);
      const goEvery = 1 + Math.floor(random() * 10);
      const growth = random() * 2;
      const noLive = random() < 0.3;
      for (let i = 0; i < rows; i++) {
        const go = i % goEvery === 0 && random() > 0.1;
        const level = 1 + (growth * i) / rows;
        s.push(i * 100, {
          rss: 100 * MiB,
          ...(go
            ? {
                heapLive: noLive && random() < 0.5 ? NaN : level * (20 + random() * 10) * MiB,
                heapObjects: level * 40 * MiB,
                gcCycles: Math.floor(i / 20),
                goroutines: Math.round(level * (60 + random() * 40)) + (random() < 0.5 ? i : 0),
                stacks: random() < 0.2 ? NaN : level * MiB,
              }
            : {}),
        });
      }
      const leak = detectLeak(s, o);
      assert.deepStrictEqual(leak, referenceLeak(s, o), `round ${round}`);
      const goroutine = detectGoroutineLeak(s, o);
      assert.deepStrictEqual(goroutine, referenceGoroutineLeak(s, o), `round ${round}`);
      if (leak) leaks++;
      if (goroutine) goroutineLeaks++;
    }
    // Both ways of coming out were taken, many times.
    assert.ok(leaks > 20 && leaks < 380, `${leaks} leaks of 400`);
    assert.ok(goroutineLeaks > 20 && goroutineLeaks < 380, `${goroutineLeaks} goroutine leaks of 400`);
  });
});
