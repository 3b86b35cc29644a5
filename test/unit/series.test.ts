import * as assert from 'assert';
import { capacityFor, MAX_CAPACITY, TimeSeries } from '../../src/shared/series';

const MINUTE = 60_000;

describe('TimeSeries', () => {
  it('keeps only the window', () => {
    const s = new TimeSeries(5 * MINUTE, capacityFor(5 * MINUTE, 1000));
    for (let t = 0; t <= 10 * MINUTE; t += 1000) s.push(t, { rss: t, vsz: 2 * t });
    assert.strictEqual(s.time(0), 5 * MINUTE);
    assert.strictEqual(s.lastTime, 10 * MINUTE);
    assert.strictEqual(s.length, 301);
    const snap = s.snapshot();
    assert.strictEqual(snap.columns.vsz[0], 10 * MINUTE);
  });

  it('stays bounded over hours at the shortest interval', () => {
    const window = 24 * 60 * MINUTE; // the longest window, at 100 ms: far more points than room
    const s = new TimeSeries(window, capacityFor(window, 100));
    assert.strictEqual(s.capacity, MAX_CAPACITY);
    for (let t = 0; t < 6 * 60 * MINUTE; t += 100) s.push(t, { rss: 1 });
    assert.ok(s.length <= MAX_CAPACITY, `${s.length} points`);
    assert.ok(s.length > MAX_CAPACITY / 2);
    // Oldest data is still there, just coarser.
    assert.strictEqual(s.time(0), 0);
  });

  it('keeps peaks when downsampling', () => {
    const s = new TimeSeries(1e12, 256);
    for (let i = 0; i < 5000; i++) s.push(i, { rss: i === 777 ? 1e9 : 1 });
    assert.strictEqual(s.range('rss')!.max, 1e9);
  });

  it('keeps a peak between samples when its row is dropped by downsampling', () => {
    const s = new TimeSeries(1e12, 256);
    // Row 778 carries the missed peak but has the lower RSS of its pair, so 777 is kept.
    for (let i = 0; i < 5000; i++) s.push(i, { rss: i === 777 ? 5 : 1, missedPeak: i === 778 ? 1e9 : NaN });
    assert.strictEqual(s.range('missedPeak')!.max, 1e9);
    assert.strictEqual(s.snapshot().columns.missedPeak.filter((v) => !Number.isNaN(v)).length, 1);
  });

  it('ignores points that go back in time', () => {
    const s = new TimeSeries(MINUTE, 256);
    s.push(10, { rss: 1 });
    s.push(5, { rss: 2 });
    assert.strictEqual(s.length, 1);
  });

  it('marks missing values as NaN', () => {
    const s = new TimeSeries(MINUTE, 256);
    s.push(1, { rss: 5 });
    assert.ok(Number.isNaN(s.value('vsz', 0)));
  });

  it('drops events that left the window but keeps open bands', () => {
    const s = new TimeSeries(MINUTE, 256);
    s.addEvent({ time: 0, kind: 'attach', label: 'attached' });
    const band = s.addEvent({ time: 1, kind: 'note', label: 'paused', band: true });
    for (let t = 0; t <= 3 * MINUTE; t += 1000) s.push(t, { rss: 1 });
    s.addEvent({ time: 3 * MINUTE, kind: 'release', label: '−1 MiB' });
    assert.deepStrictEqual(
      s.allEvents().map((e) => e.label),
      ['paused', '−1 MiB'],
    );
    s.endEvent(band.id, 2);
    s.addEvent({ time: 3 * MINUTE, kind: 'note', label: 'x' });
    assert.ok(!s.allEvents().some((e) => e.label === 'paused'));
  });

  it('keeps an attach marker that predates the first sample', () => {
    const s = new TimeSeries(MINUTE, 256);
    s.addEvent({ time: 100, kind: 'attach', label: 'attached' });
    s.push(105, { rss: 1 });
    s.addEvent({ time: 110, kind: 'release', label: 'r' });
    assert.strictEqual(s.allEvents().length, 2);
  });

  it('resizes without losing what still fits', () => {
    const s = new TimeSeries(10 * MINUTE, 1000);
    for (let t = 0; t < 10 * MINUTE; t += 1000) s.push(t, { rss: t });
    s.resize(MINUTE, 256);
    assert.strictEqual(s.lastTime, 10 * MINUTE - 1000);
    assert.ok(s.time(0) >= 9 * MINUTE - 1000);
  });
});
