import * as assert from 'assert';
import { MiB } from '../../src/shared/format';
import { describeRelease, isMeasurableRelease, summarise } from '../../src/core/release/measure';

// Recorded around a FreeOSMemory call on the seed-like server (RSS in MiB, 50 ms apart).
const RECORDED = [155.4, 155.4, 140.2, 60.1, 13.4, 13.2, 13.2, 13.3, 13.2];

describe('release measurement', () => {
  const before = { time: 1000, rss: 155.4 * MiB };
  const after = RECORDED.map((mib, i) => ({ time: 1000 + (i + 1) * 50, rss: mib * MiB }));

  it('reports the low point and when RSS settled', () => {
    const r = summarise(before, after, 1000);
    assert.strictEqual(r.after, 13.2 * MiB);
    assert.ok(Math.abs(r.released - 142.2 * MiB) < 1);
    // First sample within 5 % of the full drop from the low: 13.4 MiB at the 5th sample.
    assert.strictEqual(r.settleMs, 250);
  });

  it('writes the line the user reads', () => {
    assert.strictEqual(describeRelease(118.7 * MiB, 13.2 * MiB, 400, ''), 'Released 105.5 MiB: RSS 118.7 → 13.2 MiB in 0.4 s');
  });

  it('calls small changes noise and gives the hint', () => {
    assert.ok(!isMeasurableRelease(100 * MiB, 99.5 * MiB));
    assert.ok(!isMeasurableRelease(4000 * MiB, 3990 * MiB), 'under 1 % of RSS');
    assert.ok(isMeasurableRelease(100 * MiB, 90 * MiB));
    assert.match(describeRelease(100 * MiB, 99.9 * MiB, 0, 'Is there a handler?'), /^No measurable release: RSS 100\.0 → 99\.9 MiB within 2\.0 s\. Is there a handler\?$/);
  });

  it('never reports a negative release when RSS grew', () => {
    const r = summarise(before, [{ time: 1050, rss: 200 * MiB }], 1000);
    assert.strictEqual(r.released, 0);
    assert.strictEqual(r.after, before.rss);
  });
});
