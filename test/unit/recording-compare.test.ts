/**
 * Run summaries and comparisons: each definition checked on a run built to make the answer
 * plain, then on recordings of real runs (test/integration/recording.test.ts: the agent fixture
 * under the seed's load, with GOGC=off + GOMEMLIMIT and with the default GC) against their raw
 * series.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { MiB } from '../../src/shared/format';
import {
  compareRuns,
  comparisonToMarkdown,
  PEAK_NOTES,
  formatSignedBytes,
  formatSignedDuration,
  parseRecording,
  Recording,
  recordingFromSnapshot,
  summarizeRun,
} from '../../src/core/recording';
import { SeriesSnapshot } from '../../src/shared/series';

const RECORDED = path.join(__dirname, '..', '..', '..', 'test', 'unit', 'recorded');

/** A recording saved by the integration test from a real run. */
function recording(name: string): Recording {
  const result = parseRecording(fs.readFileSync(path.join(RECORDED, 'recordings', `${name}.memwatch.json`), 'utf8'));
  assert.ok(result.ok, result.ok ? '' : result.message);
  return result.recording;
}

/** The values of a column, missing ones left out. */
function present(r: Recording, column: string): number[] {
  return (r.columns[column]?.values ?? []).filter((v): v is number => v !== null);
}

/**
 * A 400 s run at 1 Hz, made so each figure is plain:
 *   t 0–30 s: RSS 90 … 120 MiB (1 MiB more each second) → baseline = median of 31 values = 105 MiB;
 *   t 31–99: 100 MiB; t 100: 300 MiB; a peak between samples of 350 MiB recorded at t 150;
 *   RSS falls 2 MiB a second from t 101 (298 MiB) to t 196 (108 MiB), then stays at 108 MiB;
 *   the recovery threshold is 105 + 0.1 × (350 − 105) = 129.5 MiB, first reached at t 186 (128 MiB);
 *   t 370–400 (the last 30 s): 108 MiB but 200 MiB at t 380 → end = median = 108 MiB.
 * Go figures only from t 140 to t 148, so heap in use at the peak comes from t 148 (2 s away).
 */
function plainRun(): Recording {
  const time: number[] = [];
  const rss: number[] = [];
  for (let t = 0; t <= 400; t++) {
    time.push(1_000_000 + t * 1000);
    let mib: number;
    if (t <= 30) mib = 90 + t;
    else if (t < 100) mib = 100;
    else if (t === 100) mib = 300;
    else mib = Math.max(108, 300 - 2 * (t - 100));
    if (t === 380) mib = 200;
    rss.push(mib * MiB);
  }
  const nan = () => time.map(() => NaN);
  const columns = Object.fromEntries(['vsz', 'rssAnon', 'rssFile', 'lazyFree', 'heapObjects', 'heapUnused', 'heapFree', 'heapReleased', 'stacks', 'goTotal', 'gcGoal', 'gcCycles', 'heapLive', 'memoryLimit', 'goRss', 'missedPeak'].map((c) => [c, nan()]));
  columns.missedPeak[150] = 350 * MiB;
  for (let i = 140; i <= 148; i++) {
    columns.heapObjects[i] = 200 * MiB + i;
    columns.heapUnused[i] = 10 * MiB;
  }
  const snapshot = {
    time,
    columns: { rss, ...columns },
    events: [
      { id: 1, time: 1_000_000, kind: 'attach', label: 'attached' },
      { id: 2, time: 1_095_000, kind: 'note', label: 'load' },
      { id: 3, time: 1_250_000, kind: 'release', label: '−5.0 MiB' },
      { id: 4, time: 1_300_000, kind: 'release', label: '−3.0 MiB' },
    ],
  } as SeriesSnapshot;
  return recordingFromSnapshot(snapshot, { process: { name: 'plain', pid: 1 }, settings: { sampleIntervalMs: 1000, windowMs: 600_000 }, toolVersion: '0.1.0' });
}

describe('recording: run summary', () => {
  it('follows its definitions on a run built to make them plain', () => {
    const s = summarizeRun(plainRun());
    assert.strictEqual(s.sampleCount, 401);
    assert.strictEqual(s.durationMs, 400_000);
    assert.strictEqual(s.peakRss, 350 * MiB);
    assert.strictEqual(s.peakBetweenSamples, true);
    assert.strictEqual(s.peakTimeMs, 150_000);
    assert.strictEqual(s.baselineRss, 105 * MiB);
    assert.strictEqual(s.endRss, 108 * MiB);
    assert.strictEqual(s.recoveryMs, 186_000 - 150_000);
    assert.strictEqual(s.heapInUseAtPeak, 210 * MiB + 148);
    // Both markers measured from the samples: no drop around t 250 and t 300 (RSS flat at 108 MiB).
    assert.strictEqual(s.releaseCount, 2);
    assert.strictEqual(s.releasedBytes, 0);
  });

  it('a short run uses 10 % of it for baseline and end; a run that never comes back says so', () => {
    const r = recordingFromSnapshot(leakSeries(), { process: { name: 'leak', pid: 2 }, settings: { sampleIntervalMs: 250, windowMs: 120_000 }, toolVersion: '0.1.0' });
    const s = summarizeRun(r);
    const rss = present(r, 'rss');
    // 8.5 s of samples at 250 ms: the windows are 0.85 s — the first and last four samples.
    assert.strictEqual(s.durationMs, r.time[r.time.length - 1] - r.time[0]);
    const firsts = r.time.filter((t) => t - r.time[0] <= 0.1 * s.durationMs).length;
    assert.strictEqual(firsts, 4);
    const median4 = (xs: number[]) => Math.round((xs.sort((x, y) => x - y)[1] + xs[2]) / 2);
    assert.strictEqual(s.baselineRss, median4(rss.slice(0, 4)));
    assert.strictEqual(s.endRss, median4(rss.slice(-4)));
    assert.strictEqual(s.peakRss, Math.max(...rss));
    assert.strictEqual(s.recoveryMs, undefined, 'a leak never comes back');
    const row = compareRuns(r, r, 'start');
    assert.ok(row.ok);
    assert.strictEqual(row.comparison.rows.find((x) => x.key === 'recovery')!.aText, 'never');
  });

  it('heap in use at the peak is read while RSS was at the peak, not before the climb', () => {
    // As a real run had it (CI, GOGC=off, 4 Hz samples, Go figures once a second): RSS jumps from
    // 8 to 778 MiB between two Go readings; the one 500 ms before the peak predates the load, the
    // one 501 ms after holds it. The nearest in time alone picked the first: "1.3 MiB at the peak".
    const time = [3186, 3435, 3700, 3935, 4185, 4436, 4685].map((t) => 1_000_000 + t);
    const rss = [8.1, 8.1, 455.8, 777.7, 777.7, 777.7, 777.7].map((m) => Math.round(m * MiB));
    const nan = () => time.map(() => NaN);
    const columns = Object.fromEntries(['heapObjects', 'heapUnused'].map((c) => [c, nan()]));
    columns.heapObjects[1] = 0.2 * MiB;
    columns.heapUnused[1] = 1 * MiB;
    columns.heapObjects[5] = 768 * MiB;
    columns.heapUnused[5] = 1 * MiB;
    const snapshot = { time, columns: { rss, ...columns }, events: [] } as unknown as SeriesSnapshot;
    const s = summarizeRun(recordingFromSnapshot(snapshot, { process: { name: 'holding', pid: 3 }, settings: { sampleIntervalMs: 250, windowMs: 120_000 }, toolVersion: '0.1.0' }));
    assert.strictEqual(s.peakTimeMs, 3935 - 3186);
    assert.strictEqual(s.heapInUseAtPeak, 769 * MiB);
  });

  it('a recording without RSS has counts but no byte figures', () => {
    const r = { ...plainRun(), columns: {} };
    const s = summarizeRun(r);
    assert.strictEqual(s.peakRss, undefined);
    assert.strictEqual(s.baselineRss, undefined);
    assert.strictEqual(s.sampleCount, 401);
    const c = compareRuns(r, plainRun(), 'start');
    assert.ok(c.ok);
    const peak = c.comparison.rows.find((x) => x.key === 'peakRss')!;
    assert.deepStrictEqual([peak.aText, peak.differenceText, peak.ratioText], ['—', '—', '—']);
    assert.strictEqual(c.comparison.rows.find((x) => x.key === 'recovery')!.aText, '—', 'no peak: nothing to recover from');
  });
});

describe('recording: comparing real runs', () => {
  const holding = recording('gogc-off-memlimit');
  const normal = recording('default-gc');

  it('the table matches the raw series', () => {
    const result = compareRuns(holding, normal, 'start');
    assert.ok(result.ok);
    const { a, b, rows } = result.comparison;
    for (const [summary, r] of [
      [a, holding],
      [b, normal],
    ] as const) {
      assert.strictEqual(summary.peakRss, Math.max(...present(r, 'rss'), ...present(r, 'missedPeak')));
      assert.strictEqual(summary.sampleCount, r.time.length);
      assert.strictEqual(summary.releasedBytes, r.events.find((e) => e.kind === 'release')!.bytes);
      // Go figures come with every sample once found: heap in use at the peak is that sample's.
      const row = r.time.findIndex((_, i) => r.columns.rss.values[i] === summary.peakRss || r.columns.missedPeak?.values[i] === summary.peakRss);
      assert.strictEqual(summary.peakTimeMs, r.time[row] - r.time[0]);
      assert.strictEqual(summary.heapInUseAtPeak, r.columns.heapObjects.values[row]! + r.columns.heapUnused.values[row]!);
    }
    const peak = rows.find((r) => r.key === 'peakRss')!;
    assert.strictEqual(peak.difference, b.peakRss! - a.peakRss!);
    assert.strictEqual(peak.differenceText, formatSignedBytes(b.peakRss! - a.peakRss!));
    assert.strictEqual(peak.ratio, b.peakRss! / a.peakRss!);
    assert.match(peak.ratioText, /^×0\.\d\d$/);
    // The default GC saw a peak between two samples (VmHWM) that no sample showed.
    assert.strictEqual(b.peakBetweenSamples, true);
    assert.ok(b.peakRss! > Math.max(...present(normal, 'rss')));
    // The table says so: whose peak is a sample, whose the kernel's high-water mark.
    assert.deepStrictEqual([peak.aNote, peak.bNote], [a.peakBetweenSamples ? PEAK_NOTES.kernel : PEAK_NOTES.sampled, PEAK_NOTES.kernel]);
    assert.ok(rows.every((r) => r.key === 'peakRss' || (r.aNote === undefined && r.bNote === undefined)), 'notes on Peak RSS only');
    // Held memory: the holding run's RSS came back only when Free OS Memory released it.
    const releaseAt = holding.events.find((e) => e.kind === 'release')!.time;
    assert.ok(holding.time[0] + a.peakTimeMs! + a.recoveryMs! >= releaseAt);
    assert.ok(a.releasedBytes > 5 * b.releasedBytes);
  });

  it('offsets overlay b on a at the start or at a marker; a missing marker is a message', () => {
    const atStart = compareRuns(holding, normal, 'start');
    assert.ok(atStart.ok);
    assert.strictEqual(atStart.comparison.offsetMs, holding.startTime + holding.time[0] - (normal.startTime + normal.time[0]));
    assert.strictEqual(atStart.comparison.alignedOn, 'start');
    const atLoad = compareRuns(holding, normal, { markerLabel: 'load' });
    assert.ok(atLoad.ok);
    const loadOf = (r: Recording) => r.startTime + r.events.find((e) => e.label === 'load')!.time;
    assert.strictEqual(atLoad.comparison.offsetMs, loadOf(holding) - loadOf(normal));
    assert.strictEqual(atLoad.comparison.alignedOn, 'marker');
    assert.deepStrictEqual(compareRuns(holding, normal, { markerLabel: 'deploy' }), { ok: false, message: 'Run A has no marker labelled "deploy".' });
    assert.deepStrictEqual(compareRuns(holding, { ...normal, time: [], columns: {} }, 'start'), { ok: false, message: 'Run B has no samples.' });
  });

  it('as a Markdown table for a pull request, with names that cannot break it', () => {
    const result = compareRuns(holding, normal, 'start');
    assert.ok(result.ok);
    const table = comparisonToMarkdown(result.comparison, { a: 'GOGC=off | 1GiB', b: 'default\nGC' });
    const lines = table.split('\n');
    assert.strictEqual(lines.length, 2 + result.comparison.rows.length);
    assert.strictEqual(lines[0], '| | GOGC=off \\| 1GiB | default GC | Difference | Ratio |');
    for (const line of lines) assert.strictEqual(line.split(/(?<!\\)\|/).length, 7, line);
    assert.match(table, /\| Peak RSS \| \d+\.\d MiB \((sampled|kernel's VmHWM, between samples)\) \| \d+\.\d MiB \((sampled|kernel's VmHWM, between samples)\) \| −\d+\.\d MiB \| ×0\.\d\d \|/);
  });
});

describe('recording: signed differences', () => {
  it('a real minus sign, a plus, nothing for zero', () => {
    assert.strictEqual(formatSignedBytes(16 * MiB), '+16.0 MiB');
    assert.strictEqual(formatSignedBytes(-2 * MiB), '\u22122.0 MiB');
    assert.strictEqual(formatSignedBytes(-2 * MiB).codePointAt(0), 0x2212);
    assert.strictEqual(formatSignedBytes(0), '0 B');
    assert.strictEqual(formatSignedBytes(-512), '−512 B');
    assert.strictEqual(formatSignedDuration(4200), '+4.2 s');
    assert.strictEqual(formatSignedDuration(-360), '−0.4 s');
    assert.strictEqual(formatSignedDuration(-40), '−40 ms');
    assert.strictEqual(formatSignedDuration(0), '0 ms');
  });
});

/** The real leak series (test/unit/recorded/series-leak.json), NaN where it was not measured. */
function leakSeries(): SeriesSnapshot {
  const snapshot: SeriesSnapshot = JSON.parse(fs.readFileSync(path.join(RECORDED, 'series-leak.json'), 'utf8'));
  for (const values of Object.values(snapshot.columns)) values.forEach((v, i) => (values[i] = v ?? NaN));
  return snapshot;
}
