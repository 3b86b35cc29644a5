import * as assert from 'assert';
import { MiB } from '../../src/shared/format';
import { missedPeak } from '../../src/core/missedPeak';
import { MemorySample } from '../../src/core/sampling/types';

const at = (time: number, rss: number, peakRss?: number): MemorySample => ({ time, rss: rss * MiB, peakRss: peakRss === undefined ? undefined : peakRss * MiB });

describe('missedPeak: a burst between two samples, from the OS high-water mark', () => {
  it('reports the new high-water mark when it lies above both samples', () => {
    // The seed's burst: 8 MiB → 176 MiB → back to 49 MiB, all between two samples.
    assert.strictEqual(missedPeak(at(0, 8, 9), at(500, 49, 176)), 176 * MiB);
  });

  it('is nothing when the high-water mark did not move', () => {
    assert.strictEqual(missedPeak(at(0, 8, 176), at(500, 49, 176)), undefined);
  });

  it('is nothing when a sample caught the high (the line already shows it)', () => {
    assert.strictEqual(missedPeak(at(0, 8, 9), at(500, 176, 176)), undefined);
    assert.strictEqual(missedPeak(at(0, 100, 100), at(500, 40, 100.5)), undefined, 'page-size noise above the previous sample');
  });

  it('ignores rises too small to see (under 1 MiB or 2 % above the samples)', () => {
    assert.strictEqual(missedPeak(at(0, 8, 8), at(500, 8, 8.5)), undefined);
    assert.strictEqual(missedPeak(at(0, 1000, 1000), at(500, 990, 1015)), undefined);
    assert.strictEqual(missedPeak(at(0, 1000, 1000), at(500, 990, 1030)), 1030 * MiB);
  });

  it('is nothing without a previous sample or where the OS keeps no high-water mark', () => {
    assert.strictEqual(missedPeak(undefined, at(0, 8, 176)), undefined);
    assert.strictEqual(missedPeak(at(0, 8), at(500, 49)), undefined);
    assert.strictEqual(missedPeak(at(0, 8), at(500, 49, 176)), undefined);
  });
});
