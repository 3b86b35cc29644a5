/**
 * A recording longer than a live series is shown downsampled: at most the bound, times in order,
 * the highest RSS and the highest missed peak kept, every kept row a real row of the file.
 */
import * as assert from 'assert';
import fc from 'fast-check';
import { downsampleSeries } from '../../src/core/recording/offThread';
import type { PackedSeries } from '../../src/shared/series';

function seriesOf(rss: number[], missed: number[]): PackedSeries {
  const n = rss.length;
  return {
    time: Float64Array.from({ length: n }, (_, i) => 1_800_000_000_000 + i * 100),
    columns: { rss: Float64Array.from(rss), vsz: Float64Array.from(rss, (v) => v * 2), missedPeak: Float64Array.from(missed) },
    events: [],
  };
}

describe('downsampleSeries (a recording shown no longer than a live series)', () => {
  it('leaves a series within the bound as it is', () => {
    const series = seriesOf([1, 2, 3], [NaN, NaN, NaN]);
    assert.strictEqual(downsampleSeries(series, 3), series);
  });

  it('150,000 points to at most 20,000: the peak row and the highest missed peak survive', () => {
    const n = 150_000;
    const rss = Array.from({ length: n }, (_, i) => 100 + (i % 1000));
    rss[77_777] = 5_000;
    const missed = Array.from({ length: n }, () => NaN);
    missed[123_457] = 9_000;
    const shown = downsampleSeries(seriesOf(rss, missed), 20_000);
    assert.ok(shown.time.length <= 20_000 && shown.time.length >= 18_000, `${shown.time.length} points`);
    const peakAt = shown.columns.rss!.indexOf(5_000);
    assert.ok(peakAt >= 0, 'the peak row is kept');
    assert.strictEqual(shown.time[peakAt], 1_800_000_000_000 + 77_777 * 100, 'with its own time');
    assert.strictEqual(shown.columns.vsz![peakAt], 10_000, 'and its own other columns');
    assert.strictEqual(Math.max(...shown.columns.missedPeak!.filter((v) => !Number.isNaN(v))), 9_000);
  });

  it('any series: bounded, in time order, each row a row of the original', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double({ min: 0, max: 1e12, noNaN: true }), fc.constant(NaN)), { minLength: 1, maxLength: 400 }), fc.integer({ min: 1, max: 50 }), (rss, bound) => {
        const series = seriesOf(rss, rss.map((v) => v / 3));
        const shown = downsampleSeries(series, bound);
        assert.ok(shown.time.length <= bound);
        for (let i = 1; i < shown.time.length; i++) assert.ok(shown.time[i] > shown.time[i - 1]);
        for (let i = 0; i < shown.time.length; i++) {
          const row = (shown.time[i] - 1_800_000_000_000) / 100;
          assert.ok(Object.is(shown.columns.rss![i], rss[row]) || (Number.isNaN(shown.columns.rss![i]) && Number.isNaN(rss[row])));
        }
        const finite = rss.filter((v) => !Number.isNaN(v));
        if (finite.length) assert.strictEqual(Math.max(...shown.columns.rss!.filter((v) => !Number.isNaN(v))), Math.max(...finite));
      }),
    );
  });
});
